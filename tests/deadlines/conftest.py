import datetime as dt

import pytest

from actors.models import Membership
from agreements.models import DeadlineRule
from deadlines import calendar
from tests import factories


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=calendar.STOCKHOLM)


@pytest.fixture
def unit(coordinator):
    return coordinator.memberships.get().unit


@pytest.fixture
def rule(db):
    """Kallelse within 5 working days, reminders 2 and 1 working days before, escalation every
    2 working days up a three-step ladder."""
    rule = factories.DeadlineRuleFactory(
        amount=5,
        time_unit=DeadlineRule.TimeUnit.WORKING_DAYS,
        reminder_offsets=[2, 1],
        escalate_after=2,
    )
    for order in (1, 2, 3):
        factories.EscalationLevelFactory(agreement=rule.agreement, order=order)
    return rule


@pytest.fixture
def manager_of(unit):
    return factories.MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user
