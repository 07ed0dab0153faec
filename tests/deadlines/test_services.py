import datetime as dt
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.db.models import F

from config.exceptions import ApplicationError
from deadlines.models import Deadline, Notification
from deadlines.selectors import deadline_list_for_subject, deadline_open_for_subject
from deadlines.services import (
    deadline_cancel,
    deadline_cancel_open_for_subject,
    deadline_meet,
    deadline_open,
    deadline_sweep,
    deadline_waive,
)
from tests import factories
from tests.deadlines.conftest import local

pytestmark = pytest.mark.django_db

STARTED = local(2026, 4, 2, 10, 0)
DUE = local(2026, 4, 13, 23, 59, 59)
SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def subject(db):
    return factories.UnitFactory()


@pytest.fixture
def deadline(rule, subject, unit, coordinator):
    with time_machine.travel(STARTED, tick=False):
        return deadline_open(
            rule=rule,
            started_at=STARTED,
            subject=subject,
            responsible_unit=unit,
            responsible_user=coordinator,
            by=coordinator,
        )


def sweep(at: dt.datetime):
    with time_machine.travel(at, tick=False):
        return deadline_sweep()


def test_it_opens_a_deadline_with_due_reminder_and_escalation_moments(deadline, coordinator):
    assert deadline.status == Deadline.Status.OPEN
    assert deadline.due_at == DUE
    assert deadline.next_reminder_at == local(2026, 4, 9, 8, 0)
    # Two working days after the due date (14, 15 April), at the close of the day.
    assert deadline.next_escalation_at == local(2026, 4, 15, 23, 59, 59)
    assert deadline.history.get().history_user == coordinator


def test_a_second_unresolved_deadline_of_the_same_kind_is_refused(deadline, rule, subject, unit):
    with pytest.raises(ApplicationError, match="redan en öppen frist"):
        deadline_open(rule=rule, started_at=STARTED, subject=subject, responsible_unit=unit)


def test_a_deadline_without_anyone_responsible_is_refused(rule, subject):
    with pytest.raises(ApplicationError, match="ansvarig"):
        deadline_open(rule=rule, started_at=STARTED, subject=subject)


def test_a_naive_start_time_is_refused(rule, subject, unit):
    with pytest.raises(ApplicationError, match="tidszon"):
        deadline_open(
            rule=rule,
            started_at=dt.datetime(2026, 4, 2, 10),  # noqa: DTZ001 - naive on purpose
            subject=subject,
            responsible_unit=unit,
        )


def test_the_selectors_find_the_subjects_deadlines(deadline, subject, rule):
    assert list(deadline_list_for_subject(subject=subject)) == [deadline]
    assert deadline_open_for_subject(subject=subject, kind=rule.kind) == deadline
    assert deadline_open_for_subject(subject=factories.UnitFactory(), kind=rule.kind) is None


@pytest.mark.parametrize(
    ("at", "status"),
    [
        (DUE - SECOND, Deadline.Status.OPEN),
        (DUE, Deadline.Status.OPEN),
        (DUE + SECOND, Deadline.Status.BREACHED),
    ],
)
def test_the_breach_boundary_is_one_second_after_due(deadline, at, status):
    sweep(at)
    deadline.refresh_from_db()
    assert deadline.status == status


def test_it_breaches_notifies_and_mails_the_responsible_and_managers(
    deadline, coordinator, manager_of
):
    mail.outbox.clear()
    result = sweep(DUE + SECOND)
    deadline.refresh_from_db()
    assert result.breached_ids == [deadline.pk]
    assert deadline.breached_at == DUE + SECOND
    assert deadline.next_reminder_at is None
    assert set(
        Notification.objects.filter(deadline=deadline, kind="breach").values_list("user", flat=True)
    ) == {coordinator.pk, manager_of.pk}
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {coordinator.email, manager_of.email}
    assert "Frist överskriden" in mail.outbox[0].subject
    assert mail.outbox[0].alternatives[0][1] == "text/html"
    assert deadline.history.filter(history_change_reason="Frist överskriden").exists()


def test_a_second_sweep_changes_nothing_and_sends_nothing(deadline):
    sweep(DUE + SECOND)
    mail.outbox.clear()
    notifications = Notification.objects.count()
    result = sweep(DUE + 2 * SECOND)
    assert result.breached_ids == result.reminded_ids == result.escalated_ids == []
    assert mail.outbox == []
    assert Notification.objects.count() == notifications


def test_reminders_come_at_their_moment_and_move_on_to_the_next(deadline, coordinator):
    assert sweep(local(2026, 4, 9, 7, 59, 59)).reminded_ids == []
    mail.outbox.clear()
    assert sweep(local(2026, 4, 9, 8, 0)).reminded_ids == [deadline.pk]
    deadline.refresh_from_db()
    assert deadline.reminders_sent == 1
    assert deadline.next_reminder_at == local(2026, 4, 10, 8, 0)
    assert [m.to for m in mail.outbox] == [[coordinator.email]]
    assert sweep(local(2026, 4, 9, 8, 5)).reminded_ids == []
    assert sweep(local(2026, 4, 10, 8, 0)).reminded_ids == [deadline.pk]
    deadline.refresh_from_db()
    assert deadline.reminders_sent == 2
    assert deadline.next_reminder_at is None


def test_a_late_sweep_sends_one_reminder_not_a_backlog(deadline):
    mail.outbox.clear()
    assert sweep(local(2026, 4, 10, 9, 0)).reminded_ids == [deadline.pk]
    deadline.refresh_from_db()
    assert deadline.next_reminder_at is None
    assert len(mail.outbox) == 1


def test_a_deadline_past_due_is_never_reminded_even_when_its_breach_step_is_skipped(
    deadline, monkeypatch
):
    from deadlines import services

    # Another sweep holds the breach step: this one must not remind what is already overdue.
    real_lock = services._step_lock
    monkeypatch.setattr(
        services, "_step_lock", lambda kind: kind != Notification.Kind.BREACH and real_lock(kind)
    )
    result = sweep(DUE + SECOND)

    deadline.refresh_from_db()
    assert result.reminded_ids == []
    assert deadline.status == Deadline.Status.OPEN
    assert deadline.reminders_sent == 0


def test_a_reminder_without_a_responsible_person_goes_to_the_units_mailbox(rule, subject):
    unit = factories.UnitFactory()
    with time_machine.travel(STARTED, tick=False):
        deadline = deadline_open(
            rule=rule, started_at=STARTED, subject=subject, responsible_unit=unit
        )
    mail.outbox.clear()
    sweep(local(2026, 4, 9, 8, 0))
    assert [m.to for m in mail.outbox] == [[unit.email]]
    assert not Notification.objects.filter(deadline=deadline).exists()


def test_escalation_climbs_one_level_per_interval_and_stops_at_the_top(deadline, manager_of):
    sweep(DUE + SECOND)
    steps = [
        (local(2026, 4, 15, 23, 59, 58), 0),
        (local(2026, 4, 15, 23, 59, 59), 1),
        (local(2026, 4, 16, 12, 0), 1),
        (local(2026, 4, 17, 23, 59, 59), 2),
        (local(2026, 4, 21, 23, 59, 59), 3),
        (local(2026, 6, 1, 12, 0), 3),
    ]
    for at, level in steps:
        sweep(at)
        deadline.refresh_from_db()
        assert deadline.escalation_level == level, at
    assert deadline.next_escalation_at is None
    escalations = Notification.objects.filter(deadline=deadline, kind="escalation", user=manager_of)
    assert escalations.count() == 3


def test_escalation_to_a_steering_level_reaches_the_group_covering_the_unit(
    rule, subject, unit, manager_of
):
    level = rule.agreement.escalation_levels.get(order=1)
    level.kind = "steering_group"
    level.steering_group_kind = "bus"
    level.save()
    member = factories.UserFactory()
    group = factories.SteeringGroupFactory(kind="bus")
    group.members.add(member)
    group.municipalities.add(unit.municipality)
    other_group = factories.SteeringGroupFactory(kind="bus")
    other_group.members.add(factories.UserFactory())
    with time_machine.travel(STARTED, tick=False):
        deadline = deadline_open(
            rule=rule, started_at=STARTED, subject=subject, responsible_unit=unit
        )
    sweep(DUE + SECOND)
    mail.outbox.clear()
    sweep(local(2026, 4, 15, 23, 59, 59))
    escalated = Notification.objects.filter(deadline=deadline, kind="escalation")
    assert list(escalated.values_list("user", flat=True)) == [member.pk]
    assert [m.to for m in mail.outbox] == [[member.email]]
    # Level 2 is a managers' level: the unit's managers hear of it.
    sweep(local(2026, 4, 17, 23, 59, 59))
    assert escalated.filter(user=manager_of).exists()


def test_escalation_to_a_steering_level_reaches_a_county_wide_group_of_the_agreements_county(
    rule, subject, unit, manager_of
):
    level = rule.agreement.escalation_levels.get(order=1)
    level.kind = "steering_group"
    level.steering_group_kind = "beredningsgrupp"
    level.save()
    # A regional forum lists no unit or municipality: it covers its county.
    forum_member, both, elsewhere = (factories.UserFactory() for _ in range(3))
    forum = factories.SteeringGroupFactory(kind="beredningsgrupp", county=rule.agreement.county)
    forum.members.add(forum_member, both)
    local_group = factories.SteeringGroupFactory(kind="beredningsgrupp")
    local_group.members.add(both)
    local_group.units.add(unit)
    other_county = factories.SteeringGroupFactory(kind="beredningsgrupp", county="19")
    other_county.members.add(elsewhere)
    assert rule.agreement.county != "19"
    with time_machine.travel(STARTED, tick=False):
        deadline = deadline_open(
            rule=rule, started_at=STARTED, subject=subject, responsible_unit=unit
        )
    sweep(DUE + SECOND)
    sweep(local(2026, 4, 15, 23, 59, 59))

    escalated = Notification.objects.filter(deadline=deadline, kind="escalation")
    assert sorted(escalated.values_list("user", flat=True)) == sorted([forum_member.pk, both.pk])


def test_a_failing_mail_server_does_not_undo_the_breach(deadline):
    with mock.patch(
        "django.core.mail.EmailMultiAlternatives.send", side_effect=ConnectionError("down")
    ):
        result = sweep(DUE + SECOND)
    deadline.refresh_from_db()
    assert result.breached_ids == [deadline.pk]
    assert deadline.status == Deadline.Status.BREACHED
    assert Notification.objects.filter(deadline=deadline).exists()


def test_meeting_in_time_is_not_late(deadline, coordinator):
    deadline = deadline_meet(deadline=deadline, met_at=DUE, by=coordinator)
    assert deadline.status == Deadline.Status.MET
    assert not deadline.was_met_late
    assert deadline.next_reminder_at is None
    assert deadline.next_escalation_at is None


def test_meeting_after_a_breach_records_it_as_met_late(deadline, coordinator):
    sweep(DUE + SECOND)
    deadline = deadline_meet(
        deadline=Deadline.objects.get(pk=deadline.pk), met_at=DUE + dt.timedelta(days=2)
    )
    assert deadline.status == Deadline.Status.MET
    assert deadline.was_met_late
    assert Deadline.objects.filter(status="met", met_at__gt=F("due_at")).count() == 1


def test_a_waiver_without_a_reason_is_refused(deadline, coordinator):
    with pytest.raises(ApplicationError, match="skäl"):
        deadline_waive(deadline=deadline, reason="  ", by=coordinator)
    deadline.refresh_from_db()
    assert deadline.status == Deadline.Status.OPEN


def test_a_waiver_records_reason_and_user(deadline, coordinator):
    deadline = deadline_waive(deadline=deadline, reason="Familjen flyttade", by=coordinator)
    assert deadline.status == Deadline.Status.WAIVED
    assert deadline.reason == "Familjen flyttade"
    assert deadline.history.first().history_user == coordinator


def test_closing_an_already_closed_deadline_is_refused(deadline, coordinator):
    deadline_meet(deadline=deadline, by=coordinator)
    with pytest.raises(ApplicationError, match="redan avslutad"):
        deadline_cancel(deadline=deadline, reason="Fel", by=coordinator)


def test_cancel_open_for_subject_cancels_only_unresolved_deadlines(subject, unit, coordinator):
    kinds = ["kallelse", "sip_mote", "uppfoljning", "avvikelse_svar"]
    rules = [factories.DeadlineRuleFactory(kind=kind) for kind in kinds]
    opened = [
        deadline_open(rule=r, started_at=STARTED, subject=subject, responsible_unit=unit)
        for r in rules
    ]
    deadline_meet(deadline=opened[0], by=coordinator)
    deadline_waive(deadline=opened[1], reason="Ej aktuellt", by=coordinator)
    sweep(opened[3].due_at + SECOND)
    other = factories.DeadlineFactory(rule=rules[2])
    count = deadline_cancel_open_for_subject(
        subject=subject, reason="Ärendet avslutat", by=coordinator
    )
    statuses = dict(
        Deadline.objects.filter(pk__in=[d.pk for d in opened]).values_list("kind", "status")
    )
    assert count == 2
    assert statuses == {
        "kallelse": "met",
        "sip_mote": "waived",
        "uppfoljning": "cancelled",
        "avvikelse_svar": "cancelled",
    }
    assert Deadline.objects.get(pk=other.pk).status == "open"
    assert (
        Deadline.history.filter(
            history_change_reason="Ärendet avslutat", history_user=coordinator
        ).count()
        == 2
    )


def test_model_computations_follow_the_clock(deadline):
    assert not deadline.is_overdue(DUE)
    assert deadline.is_overdue(DUE + SECOND)
    assert deadline.working_days_left(dt.date(2026, 4, 2)) == 5
    assert deadline.working_days_left(dt.date(2026, 4, 13)) == 0
    assert deadline.working_days_left(dt.date(2026, 4, 14)) == -1
