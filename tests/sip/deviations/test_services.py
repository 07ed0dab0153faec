import datetime as dt

import pytest
import time_machine
from django.test import TestCase
from django_celery_beat.models import PeriodicTask

from actors.models import County, SteeringGroup
from agreements.models import Agreement, DeadlineRule, EscalationLevel
from config.exceptions import ApplicationError
from deadlines.models import Deadline
from deadlines.selectors import deadline_list_for_subject
from deadlines.services import deadline_sweep, deadline_waive
from sip import services as sip_services
from sip.deviations import services
from sip.deviations.models import DeviationEntry, DeviationReport
from sip.deviations.selectors import report_get_for_user, report_list_for_steering_member
from sip.deviations.tasks import create_deviation_drafts
from sip.models import Invitation
from tests import factories
from tests.sip.conftest import at
from tests.sip.deviations.conftest import FILED, file_report

pytestmark = pytest.mark.django_db

Status = DeviationReport.Status
Kind = DeviationEntry.Kind

# Kallelse due at the close of Monday 22 June 2026 (consent Friday 12 June, Midsummer Eve closed).
KALLELSE_DUE = at(2026, 6, 22, 23, 59, 59)


def sweep(when: dt.datetime):
    """Sweep at `when` and run what the sweep queued for after its commit (the drafts), as a
    committed sweep in production does."""
    with time_machine.travel(when, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        return deadline_sweep(send_email=False)


# --- drafts from breaches -------------------------------------------------------------------------


def test_a_breach_produces_exactly_one_draft_even_when_the_sweep_runs_twice(consented, unit):
    first = sweep(at(2026, 6, 23, 0, 5))
    second = sweep(at(2026, 6, 23, 0, 10))
    with time_machine.travel(at(2026, 6, 23, 0, 15), tick=False):
        third = services.deviation_drafts_from_breaches()

    assert len(first.breached_ids) == 1
    assert second.breached_ids == []
    assert third == []
    draft = DeviationReport.objects.get()
    assert draft.deadline_id == first.breached_ids[0]
    assert (draft.status, draft.category, draft.case, draft.reporting_unit) == (
        Status.DRAFT,
        DeviationReport.Category.MISSED_DEADLINE,
        consented,
        unit,
    )
    assert draft.occurred_at == KALLELSE_DUE
    assert draft.reported_by is None
    assert list(draft.concerned_units.all()) == [unit]
    assert [(e.kind, e.to_status, e.by) for e in draft.entries.all()] == [
        (Kind.CREATED, Status.DRAFT, None)
    ]
    assert draft.history.get().history_type == "+"


def test_the_sweep_queues_the_drafts_for_after_its_commit_and_does_not_wait_for_them(
    consented, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(at(2026, 6, 23, 0, 5), tick=False),
        django_capture_on_commit_callbacks() as queued,
    ):
        result = deadline_sweep(send_email=False)
        assert len(result.breached_ids) == 1
    assert not DeviationReport.objects.exists()
    assert len(queued) == 1
    queued[0]()
    assert DeviationReport.objects.get().deadline_id == result.breached_ids[0]


def test_a_run_for_one_sweeps_moment_leaves_other_breaches_to_the_safety_net(consented):
    rule = consented.agreement.rules.get(kind=DeadlineRule.Kind.FOLLOW_UP)
    earlier, this_sweep = (
        factories.DeadlineFactory(
            subject=factories.CaseFactory(agreement=consented.agreement),
            rule=rule,
            status=Deadline.Status.BREACHED,
            breached_at=moment,
        )
        for moment in (FILED - dt.timedelta(minutes=5), FILED)
    )
    assert create_deviation_drafts(breached_at=FILED.isoformat()) == 1
    assert DeviationReport.objects.get().deadline == this_sweep
    assert create_deviation_drafts() == 1
    assert DeviationReport.objects.get(deadline=earlier)


def test_a_later_breach_adds_its_own_draft_and_leaves_the_first_alone(consented):
    sweep(at(2026, 6, 23, 0, 5))
    # The meeting (10 working days from consent) was due at the close of 29 June.
    result = sweep(at(2026, 6, 30, 0, 5))
    assert len(result.breached_ids) == 1
    assert sorted(DeviationReport.objects.values_list("deadline__kind", flat=True)) == [
        DeadlineRule.Kind.KALLELSE,
        DeadlineRule.Kind.MEETING,
    ]


def test_an_agreement_that_turns_drafts_off_gets_none(consented, agreement):
    agreement.create_deviation_drafts = False
    agreement.save()
    assert len(sweep(at(2026, 6, 23, 0, 5)).breached_ids) == 1
    assert not DeviationReport.objects.exists()


def test_a_waived_breach_gets_no_draft_but_one_met_late_does(agreement, coordinator):
    rule = agreement.rules.get(kind=DeadlineRule.Kind.KALLELSE)
    breach = {
        "rule": rule,
        "status": Deadline.Status.BREACHED,
        "breached_at": at(2026, 6, 23, 0, 5),
        "due_at": KALLELSE_DUE,
    }
    waived = factories.DeadlineFactory(subject=factories.CaseFactory(agreement=agreement), **breach)
    deadline_waive(deadline=waived, reason="Familjen bad om uppskov.", by=coordinator)
    met_late = factories.DeadlineFactory(
        subject=factories.CaseFactory(agreement=agreement), **breach | {"status": "met"}
    )
    created = services.deviation_drafts_from_breaches(now=at(2026, 6, 24, 9))
    assert [report.deadline for report in DeviationReport.objects.filter(pk__in=created)] == [
        met_late
    ]


def test_a_breach_on_a_meeting_drafts_for_its_case_and_other_subjects_get_none(consented):
    meeting = factories.MeetingFactory(case=consented)
    rule = consented.agreement.rules.get(kind=DeadlineRule.Kind.FOLLOW_UP)
    on_meeting = factories.DeadlineFactory(
        subject=meeting, rule=rule, status=Deadline.Status.BREACHED, breached_at=FILED
    )
    factories.DeadlineFactory(rule=rule, status=Deadline.Status.BREACHED, breached_at=FILED)
    created = services.deviation_drafts_from_breaches(now=FILED)
    draft = DeviationReport.objects.get(pk__in=created)
    assert (draft.deadline, draft.meeting, draft.case) == (on_meeting, meeting, consented)
    assert list(draft.concerned_units.all()) == [on_meeting.responsible_unit]


def test_the_periodic_task_catches_breaches_the_signal_missed(consented):
    deadline = factories.DeadlineFactory(
        subject=consented,
        rule=consented.agreement.rules.get(kind=DeadlineRule.Kind.FOLLOW_UP),
        status=Deadline.Status.BREACHED,
        breached_at=FILED,
    )
    task = PeriodicTask.objects.get(name="Avvikelseutkast")
    assert task.task == "sip.deviations.tasks.create_deviation_drafts"
    assert (task.interval.every, task.interval.period) == (5, "minutes")
    assert create_deviation_drafts() == 1
    assert create_deviation_drafts() == 0
    assert DeviationReport.objects.get().deadline == deadline


# --- drafts from absence ------------------------------------------------------------------------


def test_absence_without_notice_makes_a_draft_and_a_declined_invitation_does_not(
    convened, coordinator, school, bup
):
    declined = convened.invitations.get(participant__unit=bup)
    with time_machine.travel(at(2026, 6, 17, 9), tick=False):
        sip_services.invitation_answer(
            invitation=declined,
            response=Invitation.Response.DECLINED,
            decline_reason="Krock med akutbesök.",
            by=coordinator,
        )
    with time_machine.travel(at(2026, 6, 23, 15), tick=False):
        sip_services.meeting_record_held(meeting=convened, attended=[], by=coordinator)

    draft = DeviationReport.objects.get()
    assert (draft.category, draft.status, draft.meeting, draft.case) == (
        DeviationReport.Category.NON_ATTENDANCE,
        Status.DRAFT,
        convened,
        convened.case,
    )
    assert list(draft.concerned_units.all()) == [school]
    assert draft.occurred_at == convened.starts_at
    assert [(e.kind, e.by) for e in draft.entries.all()] == [(Kind.CREATED, coordinator)]


def test_a_recorded_notice_of_absence_makes_no_draft(convened, coordinator):
    participants = list(convened.case.participants.all())
    with time_machine.travel(at(2026, 6, 23, 15), tick=False):
        sip_services.meeting_record_held(
            meeting=convened, attended=[], excused=participants, by=coordinator
        )
    assert not DeviationReport.objects.exists()
    assert all(invitation.excused for invitation in convened.invitations.all())


def test_attending_and_giving_notice_at_once_is_refused(convened, coordinator):
    participant = convened.case.participants.first()
    with (
        time_machine.travel(at(2026, 6, 23, 15), tick=False),
        pytest.raises(ApplicationError, match="både"),
    ):
        sip_services.meeting_record_held(
            meeting=convened, attended=[participant], excused=[participant], by=coordinator
        )


def test_a_draft_is_seen_only_by_the_reporting_side_until_confirmed(
    convened, coordinator, colleague, bup_manager, school, outsider
):
    with time_machine.travel(at(2026, 6, 23, 15), tick=False):
        sip_services.meeting_record_held(
            meeting=convened,
            attended=list(convened.case.participants.filter(unit=school)),
            by=coordinator,
        )
    draft = DeviationReport.objects.get()
    assert report_get_for_user(user=coordinator, pk=draft.pk) == draft
    assert report_get_for_user(user=colleague, pk=draft.pk) == draft
    assert report_get_for_user(user=bup_manager, pk=draft.pk) is None
    assert report_get_for_user(user=outsider, pk=draft.pk) is None
    with pytest.raises(ApplicationError):
        services.report_confirm(report=draft, by=outsider, description="Uteblev.")

    with time_machine.travel(at(2026, 6, 24, 9), tick=False):
        confirmed = services.report_confirm(
            report=draft, by=coordinator, description="BUP uteblev utan att höra av sig."
        )
    assert (confirmed.status, confirmed.reported_by) == (Status.REGISTERED, coordinator)
    assert confirmed.registered_at == at(2026, 6, 24, 9)
    assert report_get_for_user(user=bup_manager, pk=draft.pk) == draft


def test_dismissing_a_draft_needs_a_reason_and_keeps_it(consented, coordinator):
    sweep(at(2026, 6, 23, 0, 5))
    draft = DeviationReport.objects.get()
    with pytest.raises(ApplicationError, match="avfärdas"):
        services.report_dismiss(report=draft, by=coordinator, reason=" ")
    services.report_dismiss(report=draft, by=coordinator, reason="Kallelsen gick ut per telefon.")
    draft.refresh_from_db()
    assert draft.status == Status.DISMISSED
    assert draft.entries.last().text == "Kallelsen gick ut per telefon."
    assert services.deviation_drafts_from_breaches() == []


# --- the workflow ---------------------------------------------------------------------------------


def walk_to_closed(report, *, handler, reporter) -> DeviationReport:
    with time_machine.travel(at(2026, 9, 2, 9), tick=False):
        services.report_receive(report=report, by=handler)
    with time_machine.travel(at(2026, 9, 2, 10), tick=False):
        services.report_investigate(report=report, by=handler, text="Vi går igenom rutinen.")
    with time_machine.travel(at(2026, 9, 3, 11), tick=False):
        services.report_answer(
            report=report,
            by=handler,
            answer="Kopian fastnade i vår brevlåda.",
            measures="Ny rutin för utskick till skolor.",
        )
    with time_machine.travel(at(2026, 9, 4, 12), tick=False):
        return services.report_close(report=report, by=reporter, text="Tack, vi nöjer oss.")


def test_a_report_walks_the_whole_workflow_and_its_history_lists_every_step_with_its_user(
    report, coordinator, bup_manager
):
    closed = walk_to_closed(report, handler=bup_manager, reporter=coordinator)

    assert closed.status == Status.CLOSED
    assert closed.closed_at == at(2026, 9, 4, 12)
    assert [(e.kind, e.from_status, e.to_status, e.by, e.at) for e in closed.entries.all()] == [
        (Kind.CREATED, "", Status.REGISTERED, coordinator, FILED),
        (Kind.STATUS, Status.REGISTERED, Status.RECEIVED, bup_manager, at(2026, 9, 2, 9)),
        (Kind.STATUS, Status.RECEIVED, Status.INVESTIGATING, bup_manager, at(2026, 9, 2, 10)),
        (Kind.ANSWER, Status.INVESTIGATING, Status.ANSWERED, bup_manager, at(2026, 9, 3, 11)),
        (Kind.STATUS, Status.ANSWERED, Status.CLOSED, coordinator, at(2026, 9, 4, 12)),
    ]
    answer = closed.entries.get(kind=Kind.ANSWER)
    assert answer.measures == "Ny rutin för utskick till skolor."
    assert [(h.status, h.history_user) for h in closed.history.order_by("history_date")] == [
        (Status.REGISTERED, coordinator),
        (Status.RECEIVED, bup_manager),
        (Status.INVESTIGATING, bup_manager),
        (Status.ANSWERED, bup_manager),
        (Status.CLOSED, coordinator),
    ]


def test_only_the_concerned_managers_take_the_handling_steps(report, coordinator, bup_member):
    for user in (coordinator, bup_member):
        with pytest.raises(ApplicationError, match="kan inte ta det steget"):
            services.report_receive(report=report, by=user)
    report.refresh_from_db()
    assert report.status == Status.REGISTERED


def test_filing_checks_the_reporter_the_text_and_the_time(consented, coordinator, bup, outsider):
    outsider_unit = outsider.memberships.get().unit
    with pytest.raises(ApplicationError, match="aktiv i"):
        file_report(by=coordinator, unit=outsider_unit, concerned=[bup], case=consented)
    with pytest.raises(ApplicationError, match="Beskriv"):
        file_report(
            by=coordinator,
            unit=consented.convening_unit,
            concerned=[bup],
            case=consented,
            description="  ",
        )
    with pytest.raises(ApplicationError, match="framtiden"):
        file_report(
            by=coordinator,
            unit=consented.convening_unit,
            concerned=[bup],
            case=consented,
            occurred_at=FILED + dt.timedelta(minutes=1),
        )
    assert not DeviationReport.objects.exists()


def test_a_deadline_already_reported_is_refused_with_the_existing_reference(consented, bup):
    sweep(at(2026, 6, 23, 0, 5))
    draft = DeviationReport.objects.get()
    with pytest.raises(ApplicationError, match=draft.reference):
        file_report(
            by=consented.coordinator,
            unit=consented.convening_unit,
            concerned=[bup],
            case=consented,
            deadline=draft.deadline,
        )


# --- escalation -----------------------------------------------------------------------------------

# Seeded ladders (agreements migration 0002): the order a new report starts at, and the orders it
# climbs through. Steps before the first steering group are the managers' own handling.
SEEDED_LADDERS = {
    "norrbus": (None, [1, 2, 3, 4]),
    "vastmanland-barn-och-unga": (2, [3, 4, 5, 6]),
    "vastmanland-vuxna": (1, [2, 3, 4]),
    "vasterbotten-tidig-upptackt": (1, [2]),
    "norrbotten-missbruk-beroende": (None, []),
}


@pytest.mark.parametrize("code", sorted(SEEDED_LADDERS))
def test_escalation_follows_each_seeded_agreements_own_ladder(
    code, coordinator, unit, bup, bup_manager
):
    agreement = Agreement.objects.get(code=code, version=1)
    start, path = SEEDED_LADDERS[code]
    levels = {level.order: level for level in agreement.escalation_levels.all()}
    # One member per steering group kind on the ladder, each in a group covering BUP.
    members = {}
    for order, level in levels.items():
        if level.kind == EscalationLevel.Kind.STEERING_GROUP and level.steering_group_kind:
            group = factories.SteeringGroupFactory(
                kind=level.steering_group_kind, county=agreement.county
            )
            group.units.add(bup)
            members[order] = factories.UserFactory()
            group.members.add(members[order])

    report = file_report(by=coordinator, unit=unit, concerned=[bup], agreement=agreement)
    assert (report.level.order if report.level else None) == start

    lifted_by, by = [], bup_manager
    for day, order in enumerate(path, start=1):
        with time_machine.travel(FILED + dt.timedelta(days=day), tick=False):
            report = services.report_escalate(report=report, by=by, reason="Principiell fråga.")
        assert (report.status, report.level.order) == (Status.ESCALATED, order)
        lifted_by.append(by)
        # A level without a group kind ("lämpligt forum") stays with the concerned managers.
        by = members.get(order, bup_manager)
        if order in members:
            assert list(report_list_for_steering_member(user=by)) == [report]

    top = "ingen eskaleringstrappa" if not path else "översta nivå"
    with pytest.raises(ApplicationError, match=top):
        services.report_escalate(report=report, by=by, reason="Igen.")
    escalations = report.entries.filter(kind=Kind.ESCALATION).order_by("at")
    assert [(entry.level.order, entry.by) for entry in escalations] == list(
        zip(path, lifted_by, strict=True)
    )
    # None of the seeds gives a reply time, so no reply clock opens anywhere on the way.
    assert not deadline_list_for_subject(subject=report).exists()


def test_each_level_opens_its_own_reply_clock_on_the_working_day_calendar(
    coordinator, unit, bup, bup_manager
):
    agreement = factories.AgreementFactory(county=County.NORRBOTTEN)
    factories.DeadlineRuleFactory(
        agreement=agreement,
        kind=DeadlineRule.Kind.DEVIATION_REPLY,
        start_event=DeadlineRule.StartEvent.DEVIATION_ESCALATED,
        amount=10,
    )
    factories.EscalationLevelFactory(
        agreement=agreement, order=1, kind=EscalationLevel.Kind.UNIT_MANAGERS
    )
    factories.EscalationLevelFactory(
        agreement=agreement,
        order=2,
        kind=EscalationLevel.Kind.STEERING_GROUP,
        steering_group_kind=SteeringGroup.Kind.BUS,
        reply_working_days=3,
    )
    group = factories.SteeringGroupFactory(kind=SteeringGroup.Kind.BUS)
    group.municipalities.add(bup.municipality)
    member = factories.UserFactory()
    group.members.add(member)

    report = file_report(by=coordinator, unit=unit, concerned=[bup], agreement=agreement)
    clocks = deadline_list_for_subject(subject=report)
    # Filed Tuesday 1 September: the rule's own 10 working days end Tuesday 15 September.
    first = clocks.get()
    assert (first.due_at, first.responsible_unit) == (at(2026, 9, 15, 23, 59, 59), bup)

    with time_machine.travel(at(2026, 9, 3, 9), tick=False):
        services.report_escalate(report=report, by=bup_manager, reason="Ingen lösning i sikte.")
    first.refresh_from_db()
    second = clocks.exclude(pk=first.pk).get()
    assert first.status == Deadline.Status.CANCELLED
    # The BUS level's own 3 working days from Thursday 3 September: Friday, Monday, Tuesday.
    assert second.due_at == at(2026, 9, 8, 23, 59, 59)

    with time_machine.travel(at(2026, 9, 7, 9), tick=False):
        services.report_receive(report=report, by=member)
        services.report_investigate(report=report, by=member)
        services.report_answer(
            report=report, by=member, answer="Gemensam genomgång.", measures="Ny rutin."
        )
    second.refresh_from_db()
    assert (second.status, second.met_at) == (Deadline.Status.MET, at(2026, 9, 7, 9))


def test_a_county_wide_forum_handles_reports_from_any_unit_of_its_county(
    coordinator, unit, bup, bup_manager
):
    agreement = Agreement.objects.get(code="norrbus", version=1)
    forum = factories.SteeringGroupFactory(
        kind=SteeringGroup.Kind.MUNICIPAL, county=County.NORRBOTTEN
    )
    elsewhere = factories.SteeringGroupFactory(
        kind=SteeringGroup.Kind.MUNICIPAL, county=County.VASTMANLAND
    )
    member, stranger = factories.UserFactory(), factories.UserFactory()
    forum.members.add(member)
    elsewhere.members.add(stranger)
    report = file_report(by=coordinator, unit=unit, concerned=[bup], agreement=agreement)
    with time_machine.travel(at(2026, 9, 2, 9), tick=False):
        services.report_escalate(report=report, by=bup_manager, reason="Kommunnivå.")
    assert list(report_list_for_steering_member(user=member)) == [report]
    assert list(report_list_for_steering_member(user=stranger)) == []


# --- nothing is edited or deleted -----------------------------------------------------------------


@pytest.fixture
def closed(report, coordinator, bup_manager):
    return walk_to_closed(report, handler=bup_manager, reporter=coordinator)


STEPS = {
    "confirm": lambda r, u: services.report_confirm(report=r, by=u, description="Ny text."),
    "dismiss": lambda r, u: services.report_dismiss(report=r, by=u, reason="Fel."),
    "receive": lambda r, u: services.report_receive(report=r, by=u),
    "investigate": lambda r, u: services.report_investigate(report=r, by=u),
    "answer": lambda r, u: services.report_answer(report=r, by=u, answer="A", measures="B"),
    "escalate": lambda r, u: services.report_escalate(report=r, by=u, reason="Lyft."),
    "close": lambda r, u: services.report_close(report=r, by=u),
    "comment": lambda r, u: services.report_comment(report=r, by=u, text="Tillägg."),
}


@pytest.mark.parametrize("step", sorted(STEPS))
def test_every_service_refuses_a_closed_report(step, closed, coordinator, bup_manager):
    entries = closed.entries.count()
    for user in (coordinator, bup_manager):
        with pytest.raises(ApplicationError, match="avslutad"):
            STEPS[step](closed, user)
    closed.refresh_from_db()
    assert (closed.status, closed.entries.count()) == (Status.CLOSED, entries)


def test_a_closed_report_cannot_be_saved_deleted_or_bulk_changed(closed):
    closed.description = "Omskriven historia."
    with pytest.raises(ApplicationError, match="avslutad"):
        closed.save()
    with pytest.raises(ApplicationError):
        closed.delete()
    with pytest.raises(ApplicationError):
        DeviationReport.objects.filter(pk=closed.pk).update(description="x")
    with pytest.raises(ApplicationError):
        DeviationReport.objects.filter(pk=closed.pk).delete()
    closed.refresh_from_db()
    assert closed.description == "Journalkopian kom aldrig fram till skolan."


def test_the_timeline_is_append_only(report, coordinator):
    entry = report.entries.get()
    entry.text = "Ändrad."
    with pytest.raises(ApplicationError):
        entry.save()
    with pytest.raises(ApplicationError):
        entry.delete()
    with pytest.raises(ApplicationError):
        DeviationEntry.objects.filter(report=report).delete()
    with pytest.raises(ApplicationError):
        DeviationEntry.objects.filter(report=report).update(text="x")
    with pytest.raises(ApplicationError):
        report.delete()
    entry.refresh_from_db()
    assert entry.text == ""
