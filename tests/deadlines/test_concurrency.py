"""Two sweeps at once on PostgreSQL, each on its own connection, never act twice on a row."""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection, transaction

from actors.models import Membership
from agreements.models import DeadlineRule
from deadlines.models import Deadline, Notification
from deadlines.services import deadline_sweep
from tests import factories
from tests.deadlines.conftest import local

pytestmark = pytest.mark.django_db(transaction=True)

NOW = local(2026, 5, 20, 12, 0)
ROWS = 40


def make_rows() -> dict[str, set[int]]:
    rule = factories.DeadlineRuleFactory(
        time_unit=DeadlineRule.TimeUnit.WORKING_DAYS, reminder_offsets=[1], escalate_after=1
    )
    factories.EscalationLevelFactory(agreement=rule.agreement, order=1)
    unit = factories.UnitFactory()
    factories.MembershipFactory(unit=unit, role=Membership.Role.MANAGER)
    factories.MembershipFactory(unit=unit, role=Membership.Role.COORDINATOR)
    common = {"rule": rule, "responsible_unit": unit, "started_at": NOW - dt.timedelta(days=20)}
    overdue = factories.DeadlineFactory.create_batch(
        ROWS, due_at=NOW - dt.timedelta(hours=1), **common
    )
    to_remind = factories.DeadlineFactory.create_batch(
        ROWS,
        due_at=NOW + dt.timedelta(days=1),
        next_reminder_at=NOW - dt.timedelta(minutes=1),
        **common,
    )
    to_escalate = factories.DeadlineFactory.create_batch(
        ROWS,
        status=Deadline.Status.BREACHED,
        due_at=NOW - dt.timedelta(days=3),
        next_escalation_at=NOW - dt.timedelta(minutes=1),
        **common,
    )
    return {
        "breached": {d.pk for d in overdue},
        "reminded": {d.pk for d in to_remind},
        "escalated": {d.pk for d in to_escalate},
    }


def run_two_sweeps_at_once() -> list:
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(deadline_sweep(now=NOW))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def test_two_sweeps_at_once_breach_remind_and_escalate_each_row_exactly_once():
    expected = make_rows()
    mail.outbox.clear()
    first, second = run_two_sweeps_at_once()
    for name, attribute in [
        ("breached", "breached_ids"),
        ("reminded", "reminded_ids"),
        ("escalated", "escalated_ids"),
    ]:
        a, b = set(getattr(first, attribute)), set(getattr(second, attribute))
        assert a.isdisjoint(b), name
        assert a | b == expected[name], name
    assert Deadline.objects.filter(pk__in=expected["reminded"], reminders_sent=1).count() == ROWS
    assert Deadline.objects.filter(pk__in=expected["escalated"], escalation_level=1).count() == ROWS
    assert Notification.objects.count() == 3 * ROWS
    assert len(mail.outbox) == 3 * ROWS
    assert Deadline.history.filter(history_change_reason="Frist överskriden").count() == ROWS


def test_a_sweep_gives_way_to_a_user_holding_a_due_deadline_and_catches_up_next_time():
    expected = make_rows()
    held = min(expected["breached"])
    locked, release = threading.Event(), threading.Event()

    def user_changing_the_deadline():
        try:
            with transaction.atomic():
                Deadline.objects.select_for_update().get(pk=held)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    user = threading.Thread(target=user_changing_the_deadline)
    user.start()
    assert locked.wait(timeout=30)
    try:
        first = deadline_sweep(now=NOW)
    finally:
        release.set()
        user.join(timeout=60)
    # The breach step waited half a second for the row, then gave way as a whole: nothing half
    # done. The other steps went ahead.
    assert first.breached_ids == []
    assert Deadline.objects.filter(pk__in=expected["breached"], status="open").count() == ROWS
    assert set(first.reminded_ids) == expected["reminded"]
    assert set(deadline_sweep(now=NOW).breached_ids) == expected["breached"]
