"""Deviation-report fixtures on top of the SIP world in tests/sip/conftest.py.

The cast: `coordinator` (owner: files reports for `unit`, the case's convening unit), `colleague`
(same unit), `bup_manager` (manager of the concerned unit BUP), `outsider` (an unrelated unit).
"""

import pytest
import time_machine

from actors.models import Membership
from sip.deviations import services
from sip.deviations.models import DeviationReport
from tests import factories
from tests.sip.conftest import at

# The clock every report fixture is filed at: after the SIP fixtures' June 2026 events.
FILED = at(2026, 9, 1, 10)


@pytest.fixture
def bup_manager(bup):
    return factories.MembershipFactory(unit=bup, role=Membership.Role.MANAGER).user


@pytest.fixture
def bup_member(bup):
    return factories.MembershipFactory(unit=bup, role=Membership.Role.COORDINATOR).user


def file_report(*, by, unit, concerned, case=None, agreement=None, **extra) -> DeviationReport:
    data = {
        "category": DeviationReport.Category.INFORMATION_TRANSFER,
        "occurred_at": at(2026, 8, 31, 14),
        "description": "Journalkopian kom aldrig fram till skolan.",
    } | extra
    with time_machine.travel(FILED, tick=False):
        return services.report_create(
            by=by,
            reporting_unit=unit,
            concerned_units=concerned,
            case=case,
            agreement=agreement,
            **data,
        )


@pytest.fixture
def report(consented, coordinator, unit, bup, bup_manager):
    """A registered report from the convening unit about BUP, on the consented case."""
    return file_report(by=coordinator, unit=unit, concerned=[bup], case=consented)
