import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from agreements.models import DeadlineRule
from config.exceptions import ApplicationError
from deadlines.calendar import local_date
from deadlines.models import Deadline
from deadlines.selectors import deadline_list_for_subject, deadline_open_for_subject
from sip import services
from sip.models import Case, Invitation, LeadAssignment, Meeting
from tests import factories
from tests.sip.conftest import at, consent

pytestmark = pytest.mark.django_db

S = Case.Status
K = DeadlineRule.Kind


def clocks(case) -> dict[str, Deadline]:
    return {deadline.kind: deadline for deadline in deadline_list_for_subject(subject=case)}


def plan_data(unit, *, lead="Karin Ek", lead_unit=None, follow_up=None, **extra):
    return services.PlanData(
        needs="Stöd i skolan och behandling för ångest.",
        own_goals="Jag vill gå till skolan varje dag.",
        lead_name=lead,
        lead_unit=lead_unit or unit,
        coordinator_name="Karin Ek",
        coordinator_unit=unit,
        next_follow_up=follow_up,
        interventions=[
            services.InterventionData(
                description="Samtalsbehandling KBT",
                unit=unit,
                performer="Psykolog",
                scope="En gång i veckan",
                starts_on=dt.date(2026, 7, 1),
                follow_up="Vid uppföljningsmötet",
            )
        ],
        **extra,
    )


# --- opening ----------------------------------------------------------------------------------


def test_opening_a_case_fixes_the_agreement_of_the_persons_county_and_age(case, agreement):
    assert case.agreement == agreement
    assert case.status == S.NEED_NOTED


def test_opening_a_case_without_an_agreement_in_force_is_refused(municipality, unit, coordinator):
    adult = factories.IndividualFactory(
        home_municipality=municipality, birth_date=dt.date(1980, 1, 1)
    )
    with pytest.raises(ApplicationError, match="ingen överenskommelse för vuxna"):
        services.case_open(
            individual=adult,
            convening_unit=unit,
            coordinator=coordinator,
            reason="x",
            by=coordinator,
        )
    assert not Case.objects.exists()


def test_a_young_adult_falls_back_to_the_childrens_agreement(
    agreement, municipality, unit, coordinator
):
    with time_machine.travel(at(2026, 6, 1, 9), tick=False):
        young = factories.IndividualFactory(
            home_municipality=municipality, birth_date=dt.date(2007, 1, 1)
        )
        case = services.case_open(
            individual=young,
            convening_unit=unit,
            coordinator=coordinator,
            reason="x",
            by=coordinator,
        )
    assert case.agreement == agreement


def test_opening_for_a_unit_the_coordinator_is_not_in_is_refused(
    agreement, child, coordinator, bup
):
    with pytest.raises(ApplicationError, match="aktiv medlem"):
        services.case_open(
            individual=child,
            convening_unit=bup,
            coordinator=coordinator,
            reason="x",
            by=coordinator,
        )


def test_a_case_in_norrbotten_is_governed_by_the_seeded_norrbus_clocks(coordinator, unit):
    """Seeded Norrbus: kallelse 5 working days from consent, meeting 10 from its start event."""
    child = factories.IndividualFactory()  # MunicipalityFactory defaults to Norrbotten
    factories.GuardianFactory(individual=child)
    with time_machine.travel(at(2026, 6, 1, 9), tick=False):
        case = services.case_open(
            individual=child,
            convening_unit=unit,
            coordinator=coordinator,
            reason="x",
            by=coordinator,
        )
    assert case.agreement.code == "norrbus"
    consent(case, coordinator, when=at(2026, 6, 12, 10), units=[unit])
    assert clocks(case)[K.KALLELSE].due_date == dt.date(2026, 6, 22)
    with time_machine.travel(at(2026, 6, 12, 11), tick=False):
        services.participant_add(case=case, unit=unit, by=coordinator)
    with time_machine.travel(at(2026, 6, 16, 9), tick=False):
        meeting = services.meeting_schedule(
            case=case, kind="sip", starts_at=at(2026, 6, 25, 9), place="Rum 1", by=coordinator
        )
        services.kallelse_send(meeting=meeting, by=coordinator)
    # From consent Fri 12 June: Mon 29 June. From the kallelse Tue 16 June: Wed 1 July.
    # Both skip Midsummer Eve (Fri 19 June).
    expected = {
        DeadlineRule.StartEvent.CONSENT_GIVEN: dt.date(2026, 6, 29),
        DeadlineRule.StartEvent.KALLELSE_SENT: dt.date(2026, 7, 1),
    }
    meeting_clock = clocks(case)[K.MEETING]
    assert meeting_clock.due_date == expected[meeting_clock.rule.start_event]


# --- consent and the clocks -------------------------------------------------------------------


def test_consent_on_the_friday_before_midsummer_gives_the_right_due_dates(case, coordinator, unit):
    consent(case, coordinator, when=at(2026, 6, 12, 10), units=[unit])
    case.refresh_from_db()
    assert case.status == S.CONSENT
    found = clocks(case)
    # Mon 15, Tue 16, Wed 17, Thu 18, (Fri 19 Midsummer Eve closed), Mon 22 = 5 working days.
    assert found[K.KALLELSE].due_date == dt.date(2026, 6, 22)
    # ...then Tue 23, Wed 24, Thu 25, Fri 26, Mon 29 = 10 working days.
    assert found[K.MEETING].due_date == dt.date(2026, 6, 29)
    assert found[K.KALLELSE].status == Deadline.Status.OPEN
    assert found[K.KALLELSE].responsible_unit == unit


def test_consent_on_the_thursday_before_midsummer_skips_the_eve(case, coordinator, unit):
    consent(case, coordinator, when=at(2026, 6, 18, 16), units=[unit])
    found = clocks(case)
    # Fri 19 closed: Mon 22, Tue 23, Wed 24, Thu 25, Fri 26 = 5; Mon 29 .. Fri 3 July = 10.
    assert found[K.KALLELSE].due_date == dt.date(2026, 6, 26)
    assert found[K.MEETING].due_date == dt.date(2026, 7, 3)


def test_an_acute_case_uses_the_acute_meeting_rule(case, coordinator, unit, agreement):
    factories.DeadlineRuleFactory(
        agreement=agreement,
        kind=K.MEETING_ACUTE,
        start_event=DeadlineRule.StartEvent.CONSENT_GIVEN,
        amount=48,
        time_unit=DeadlineRule.TimeUnit.HOURS,
    )
    case.is_acute = True
    case.save()
    consent(case, coordinator, when=at(2026, 6, 12, 10), units=[unit])
    found = clocks(case)
    assert K.MEETING not in found
    assert found[K.MEETING_ACUTE].due_at == at(2026, 6, 14, 10)


def test_an_agreement_without_clocks_opens_none(coordinator, unit, municipality):
    factories.AgreementFactory(county=municipality.county, valid_from=dt.date(2020, 1, 1))
    child = factories.IndividualFactory(home_municipality=municipality)
    factories.GuardianFactory(individual=child)
    with time_machine.travel(at(2026, 6, 1, 9), tick=False):
        case = services.case_open(
            individual=child,
            convening_unit=unit,
            coordinator=coordinator,
            reason="x",
            by=coordinator,
        )
    consent(case, coordinator, when=at(2026, 6, 12, 10), units=[unit])
    assert clocks(case) == {}


def test_consent_for_a_child_without_every_custodian_is_refused(case, coordinator, unit):
    first = case.individual.guardians.first()
    with (
        time_machine.travel(at(2026, 6, 12, 10), tick=False),
        pytest.raises(ApplicationError, match="varje vårdnadshavare"),
    ):
        services.consent_record(
            case=case, given_at=at(2026, 6, 12, 9), units=[unit], guardians=[first], by=coordinator
        )
    case.refresh_from_db()
    assert case.status == S.NEED_NOTED
    assert not case.consents.exists()
    assert clocks(case) == {}


def test_a_guardian_without_custody_is_not_needed(case, coordinator, unit):
    extra = factories.GuardianFactory(individual=case.individual, has_custody=False)
    custodians = [g for g in case.individual.guardians.all() if g != extra]
    with time_machine.travel(at(2026, 6, 12, 10), tick=False):
        services.consent_record(
            case=case,
            given_at=at(2026, 6, 12, 9),
            units=[unit],
            guardians=custodians,
            by=coordinator,
        )
    case.refresh_from_db()
    assert case.status == S.CONSENT


def test_an_adults_consent_must_be_their_own(agreement, coordinator, unit, municipality):
    factories.AgreementFactory(
        county=municipality.county, target_group="vuxna", valid_from=dt.date(2020, 1, 1)
    )
    adult = factories.IndividualFactory(
        home_municipality=municipality, birth_date=dt.date(1980, 1, 1)
    )
    with time_machine.travel(at(2026, 6, 1, 9), tick=False):
        case = services.case_open(
            individual=adult,
            convening_unit=unit,
            coordinator=coordinator,
            reason="x",
            by=coordinator,
        )
        with pytest.raises(ApplicationError, match="eget samtycke"):
            services.consent_record(
                case=case, given_at=at(2026, 6, 1, 8), units=[unit], by=coordinator
            )
        services.consent_record(
            case=case,
            given_at=at(2026, 6, 1, 8),
            units=[unit],
            given_by_individual=True,
            by=coordinator,
        )
    case.refresh_from_db()
    assert case.status == S.CONSENT


def test_consent_in_the_future_is_refused(case, coordinator, unit):
    with (
        time_machine.travel(at(2026, 6, 12, 10), tick=False),
        pytest.raises(ApplicationError, match="framtiden"),
    ):
        services.consent_record(
            case=case,
            given_at=at(2026, 6, 13, 10),
            units=[unit],
            guardians=list(case.individual.guardians.all()),
            by=coordinator,
        )


def test_withdrawing_consent_cancels_the_clocks_and_stops_the_case(consented, coordinator):
    given = consented.consents.get()
    with time_machine.travel(at(2026, 6, 15, 10), tick=False):
        services.consent_withdraw(
            consent=given,
            withdrawn_at=at(2026, 6, 15, 9),
            withdrawn_by="Maria Lindqvist",
            by=coordinator,
        )
    consented.refresh_from_db()
    assert consented.status == S.CANCELLED
    assert "Maria Lindqvist" in consented.end_reason
    assert {d.status for d in clocks(consented).values()} == {Deadline.Status.CANCELLED}
    given.refresh_from_db()
    assert given.withdrawn_at == at(2026, 6, 15, 9)
    assert given.history.order_by("-history_id").first().history_user == coordinator


def test_refused_consent_ends_the_case_and_it_can_be_reopened(case, coordinator, unit):
    services.consent_refuse(case=case, reason="Vårdnadshavarna vill inte.", by=coordinator)
    case.refresh_from_db()
    assert case.status == S.CONSENT_REFUSED
    with pytest.raises(ApplicationError, match="Samtycke nekat"):
        consent(case, coordinator, when=at(2026, 6, 12, 10), units=[unit])
    services.case_reopen(case=case, by=coordinator)
    consent(case, coordinator, when=at(2026, 6, 12, 10), units=[unit])
    case.refresh_from_db()
    assert case.status == S.CONSENT


# --- participants -----------------------------------------------------------------------------


def test_a_participant_unit_outside_the_consent_is_refused(case, coordinator, unit, bup):
    consent(case, coordinator, when=at(2026, 6, 12, 10), units=[unit])
    with (
        time_machine.travel(at(2026, 6, 12, 11), tick=False),
        pytest.raises(ApplicationError, match="omfattar inte BUP Uppsala"),
    ):
        services.participant_add(case=case, unit=bup, by=coordinator)
    assert not case.participants.exists()


def test_participants_before_consent_are_refused(case, coordinator, unit):
    with pytest.raises(ApplicationError, match="först när samtycke finns"):
        services.participant_add(case=case, unit=unit, by=coordinator)


def test_an_external_participant_needs_an_address(consented, coordinator):
    with time_machine.travel(at(2026, 6, 12, 11), tick=False):
        with pytest.raises(ApplicationError, match="e-post eller postadress"):
            services.participant_add(
                case=consented, organisation="Försäkringskassan", by=coordinator
            )
        services.participant_add(
            case=consented, organisation="Försäkringskassan", email="fk@example.se", by=coordinator
        )
    assert consented.participants.count() == 3


def test_declining_an_invitation_needs_a_reason(convened, coordinator):
    invitation = convened.invitations.first()
    with pytest.raises(ApplicationError, match="skälet"):
        services.invitation_answer(invitation=invitation, response="avboj", by=coordinator)
    services.invitation_answer(
        invitation=invitation, response="avboj", decline_reason="Semester", by=coordinator
    )
    invitation.refresh_from_db()
    assert invitation.response == Invitation.Response.DECLINED


# --- kallelse and meetings --------------------------------------------------------------------


def test_sending_the_kallelse_meets_the_kallelse_deadline(convened):
    case = convened.case
    assert case.status == S.CONVENED
    kallelse = clocks(case)[K.KALLELSE]
    assert kallelse.status == Deadline.Status.MET
    assert local_date(kallelse.met_at) == dt.date(2026, 6, 16)
    assert clocks(case)[K.MEETING].status == Deadline.Status.OPEN
    assert convened.invitations.count() == 2


def test_the_kallelse_mails_every_participant_and_the_custodians(convened):
    recipients = sorted(address for message in mail.outbox for address in message.to)
    guardians = sorted(g.email for g in convened.case.individual.guardians.all())
    assert recipients == sorted(["bup@example.se", "tallbacken@example.se", *guardians])
    # The person is never named (a random coordinator may share her first name, not her number).
    individual = convened.case.individual
    assert all(individual.full_name not in message.body for message in mail.outbox)
    assert all(individual.id_number not in message.body for message in mail.outbox)


def test_a_rolled_back_kallelse_sends_nothing(
    consented, coordinator, django_capture_on_commit_callbacks
):
    with time_machine.travel(at(2026, 6, 16, 9), tick=False):
        meeting = services.meeting_schedule(
            case=consented, kind="sip", starts_at=at(2026, 6, 23, 13), place="Rum", by=coordinator
        )
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            services.kallelse_send(meeting=meeting, by=coordinator)
            raise RuntimeError
    assert mail.outbox == []
    meeting.refresh_from_db()
    assert meeting.kallelse_sent_at is None


def test_a_kallelse_without_participants_is_refused(case, coordinator, unit):
    consent(case, coordinator, when=at(2026, 6, 12, 10), units=[unit])
    with time_machine.travel(at(2026, 6, 16, 9), tick=False):
        meeting = services.meeting_schedule(
            case=case, kind="sip", starts_at=at(2026, 6, 23, 13), place="Rum", by=coordinator
        )
        with pytest.raises(ApplicationError, match="minst en deltagare"):
            services.kallelse_send(meeting=meeting, by=coordinator)
    case.refresh_from_db()
    assert case.status == S.CONSENT


def test_a_meeting_in_the_past_or_without_place_is_refused(consented, coordinator):
    with time_machine.travel(at(2026, 6, 16, 9), tick=False):
        with pytest.raises(ApplicationError, match="framtiden"):
            services.meeting_schedule(
                case=consented,
                kind="sip",
                starts_at=at(2026, 6, 15, 13),
                place="Rum",
                by=coordinator,
            )
        with pytest.raises(ApplicationError, match="plats eller videolänk"):
            services.meeting_schedule(
                case=consented, kind="sip", starts_at=at(2026, 6, 23, 13), by=coordinator
            )
    assert not consented.meetings.exists()


def test_recording_the_meeting_as_held_meets_the_meeting_deadline(held):
    case = held.case
    assert case.status == S.MEETING_HELD
    assert clocks(case)[K.MEETING].status == Deadline.Status.MET
    assert held.status == Meeting.Status.HELD
    assert set(held.invitations.values_list("attended", flat=True)) == {True}


def test_a_meeting_cannot_be_held_before_it_starts(convened, coordinator):
    with (
        time_machine.travel(at(2026, 6, 22, 15), tick=False),
        pytest.raises(ApplicationError, match="före sin starttid"),
    ):
        services.meeting_record_held(meeting=convened, attended=[], by=coordinator)
    convened.case.refresh_from_db()
    assert convened.case.status == S.CONVENED


def test_rescheduling_sends_an_update_and_cancelling_a_cancellation(
    convened, coordinator, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with time_machine.travel(at(2026, 6, 17, 9), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            services.meeting_reschedule(
                meeting=convened,
                starts_at=at(2026, 6, 24, 9),
                duration_minutes=60,
                video_link="https://video.example.se/sip",
                by=coordinator,
            )
        assert len(mail.outbox) == 4
        assert b"SEQUENCE:1" in mail.outbox[0].attachments[0].get_payload(decode=True)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.meeting_cancel(meeting=convened, reason="Sjukdom", by=coordinator)
    ics = mail.outbox[0].attachments[0]
    assert ics.get_param("method") == "CANCEL"
    assert b"STATUS:CANCELLED" in ics.get_payload(decode=True)
    assert b"SEQUENCE:2" in ics.get_payload(decode=True)


def test_an_actors_meeting_leaves_out_the_person_and_the_status(
    consented, coordinator, django_capture_on_commit_callbacks
):
    with time_machine.travel(at(2026, 6, 15, 9), tick=False):
        meeting = services.meeting_schedule(
            case=consented,
            kind="aktorsmote",
            starts_at=at(2026, 6, 16, 13),
            place="Rum",
            by=coordinator,
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.kallelse_send(meeting=meeting, by=coordinator)
    consented.refresh_from_db()
    assert consented.status == S.CONSENT
    assert clocks(consented)[K.KALLELSE].status == Deadline.Status.OPEN
    assert sorted(a for m in mail.outbox for a in m.to) == [
        "bup@example.se",
        "tallbacken@example.se",
    ]


# --- plan -------------------------------------------------------------------------------------


def test_the_huvudansvarig_history_is_complete(held, coordinator, unit, bup):
    case = held.case
    with time_machine.travel(at(2026, 6, 24, 9), tick=False):
        services.plan_save(case=case, data=plan_data(unit, lead="Karin Ek"), by=coordinator)
    with time_machine.travel(at(2026, 6, 25, 9), tick=False):
        services.plan_save(case=case, data=plan_data(unit, lead="Karin Ek"), by=coordinator)
    with time_machine.travel(at(2026, 6, 26, 9), tick=False):
        services.plan_save(
            case=case, data=plan_data(unit, lead="Per Holm", lead_unit=bup), by=coordinator
        )
    with time_machine.travel(at(2026, 6, 29, 9), tick=False):
        services.plan_save(case=case, data=plan_data(unit, lead="Karin Ek"), by=coordinator)
    periods = list(LeadAssignment.objects.filter(case=case).order_by("started_at"))
    assert [(p.name, p.unit, p.plan.version) for p in periods] == [
        ("Karin Ek", unit, 1),
        ("Per Holm", bup, 3),
        ("Karin Ek", unit, 4),
    ]
    assert [p.ended_at for p in periods] == [at(2026, 6, 26, 9), at(2026, 6, 29, 9), None]
    assert list(case.plans.values_list("version", flat=True)) == [4, 3, 2, 1]
    assert periods[0].history.order_by("-history_id").first().history_user == coordinator


def test_a_samordnare_outside_social_services_and_health_care_needs_a_planansvarig(
    held, coordinator, unit, school
):
    data = plan_data(unit)
    outside = services.PlanData(**{**data.__dict__, "coordinator_unit": school})
    with time_machine.travel(at(2026, 6, 24, 9), tick=False):
        with pytest.raises(ApplicationError, match="planansvarig"):
            services.plan_save(case=held.case, data=outside, by=coordinator)
        assert not held.case.plans.exists()
        with_owner = services.PlanData(
            **{**outside.__dict__, "plan_owner_name": "Karin Ek", "plan_owner_unit": unit}
        )
        plan = services.plan_save(case=held.case, data=with_owner, by=coordinator)
    assert plan.plan_owner_unit == unit


def test_a_unit_with_both_interventions_and_none_needed_is_refused(held, coordinator, unit):
    data = plan_data(unit, no_interventions=[services.NoInterventionData(unit=unit, reason="x")])
    with (
        time_machine.travel(at(2026, 6, 24, 9), tick=False),
        pytest.raises(ApplicationError, match="både insatser"),
    ):
        services.plan_save(case=held.case, data=data, by=coordinator)


def test_the_follow_up_date_opens_the_follow_up_clock_and_follow_up_closes_it(
    held, coordinator, unit, django_capture_on_commit_callbacks
):
    case = held.case
    with time_machine.travel(at(2026, 6, 24, 9), tick=False):
        services.plan_save(
            case=case, data=plan_data(unit, follow_up=dt.date(2026, 9, 1)), by=coordinator
        )
    assert clocks(case)[K.FOLLOW_UP].due_date == dt.date(2026, 9, 8)
    with time_machine.travel(at(2026, 6, 25, 9), tick=False):
        services.plan_save(
            case=case, data=plan_data(unit, follow_up=dt.date(2026, 9, 15)), by=coordinator
        )
    follow_ups = [d for d in deadline_list_for_subject(subject=case) if d.kind == K.FOLLOW_UP]
    assert sorted((d.status, d.due_date) for d in follow_ups) == [
        (Deadline.Status.CANCELLED, dt.date(2026, 9, 8)),
        (Deadline.Status.OPEN, dt.date(2026, 9, 22)),
    ]
    with time_machine.travel(at(2026, 9, 10, 9), tick=False):
        meeting = services.meeting_schedule(
            case=case, kind="uppfoljning", starts_at=at(2026, 9, 15, 9), place="Rum", by=coordinator
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.kallelse_send(meeting=meeting, by=coordinator)
    with time_machine.travel(at(2026, 9, 15, 11), tick=False):
        services.meeting_record_held(meeting=meeting, attended=[], by=coordinator)
    case.refresh_from_db()
    assert case.status == S.FOLLOW_UP
    assert deadline_open_for_subject(subject=case, kind=K.FOLLOW_UP) is None
    with time_machine.travel(at(2026, 9, 15, 12), tick=False):
        services.plan_save(case=case, data=plan_data(unit), by=coordinator)
        case.refresh_from_db()
        assert case.status == S.PLAN
        services.case_close(case=case, reason="Målen är uppnådda.", by=coordinator)
    case.refresh_from_db()
    assert case.status == S.CLOSED
    assert case.end_reason == "Målen är uppnådda."


# --- the state machine, allowed and forbidden --------------------------------------------------


def _case_in(status, agreement, unit, coordinator, child):
    return factories.CaseFactory(
        status=status,
        agreement=agreement,
        convening_unit=unit,
        coordinator=coordinator,
        individual=child,
    )


def _attempt(action, case, coordinator, unit):
    with time_machine.travel(at(2026, 6, 12, 10), tick=False):
        if action == "consent":
            consent(case, coordinator, when=at(2026, 6, 12, 10), units=[unit])
        elif action == "refuse":
            services.consent_refuse(case=case, reason="Nej", by=coordinator)
        elif action == "cancel":
            services.case_cancel(case=case, reason="Flyttat", by=coordinator)
        elif action == "close":
            services.case_close(case=case, reason="Klart", by=coordinator)
        elif action == "reopen":
            services.case_reopen(case=case, by=coordinator)
        elif action == "plan":
            services.plan_save(case=case, data=plan_data(unit), by=coordinator)


_ALLOWED = {
    "consent": {S.NEED_NOTED: S.CONSENT, S.REOPENED: S.CONSENT},
    "refuse": {S.NEED_NOTED: S.CONSENT_REFUSED},
    "cancel": {
        s: S.CANCELLED
        for s in (
            S.NEED_NOTED,
            S.CONSENT,
            S.CONVENED,
            S.MEETING_HELD,
            S.PLAN,
            S.FOLLOW_UP,
            S.REOPENED,
        )
    },
    "close": {S.PLAN: S.CLOSED, S.FOLLOW_UP: S.CLOSED},
    "reopen": {S.CLOSED: S.REOPENED, S.CANCELLED: S.REOPENED, S.CONSENT_REFUSED: S.REOPENED},
    "plan": {S.MEETING_HELD: S.PLAN, S.PLAN: S.PLAN, S.FOLLOW_UP: S.PLAN},
}


@pytest.mark.parametrize("status", S.values)
@pytest.mark.parametrize("action", sorted(_ALLOWED))
def test_each_step_is_allowed_only_from_its_states(
    action, status, agreement, unit, coordinator, child
):
    case = _case_in(status, agreement, unit, coordinator, child)
    expected = _ALLOWED[action].get(status)
    if expected is None:
        with pytest.raises(ApplicationError):
            _attempt(action, case, coordinator, unit)
        case.refresh_from_db()
        assert case.status == status
    else:
        _attempt(action, case, coordinator, unit)
        case.refresh_from_db()
        assert case.status == expected
        if expected != status:
            assert case.history.order_by("-history_id").first().history_user == coordinator


@pytest.mark.parametrize("status", S.values)
def test_a_sip_kallelse_is_sent_only_after_consent(status, agreement, unit, coordinator, child):
    case = _case_in(status, agreement, unit, coordinator, child)
    case.consents.create(given_at=at(2026, 6, 1, 9), given_by_individual=True)
    factories.ParticipantFactory(case=case, unit=unit)
    meeting = factories.MeetingFactory(case=case, starts_at=at(2026, 6, 23, 13))
    allowed = status in (S.CONSENT, S.CONVENED, S.REOPENED)
    with time_machine.travel(at(2026, 6, 16, 9), tick=False):
        if allowed:
            services.kallelse_send(meeting=meeting, by=coordinator)
        else:
            with pytest.raises(ApplicationError):
                services.kallelse_send(meeting=meeting, by=coordinator)
    case.refresh_from_db()
    assert case.status == (S.CONVENED if allowed else status)


def test_a_forbidden_step_names_both_states(case, coordinator):
    with pytest.raises(ApplicationError) as raised:
        services.case_close(case=case, reason="Klart", by=coordinator)
    assert raised.value.message == "Ärendet kan inte gå från ”Behov uppmärksammat” till ”Avslutad”."


def test_cancelling_needs_a_reason_and_cancels_the_clocks(consented, coordinator):
    with pytest.raises(ApplicationError, match="varför"):
        services.case_cancel(case=consented, reason="  ", by=coordinator)
    services.case_cancel(case=consented, reason="Familjen har flyttat.", by=coordinator)
    consented.refresh_from_db()
    assert consented.status == S.CANCELLED
    assert {d.status for d in clocks(consented).values()} == {Deadline.Status.CANCELLED}
