"""The case steps in the browser: consent refused/withdrawn, cancel/close/reopen, meetings moved or
cancelled, invitations answered. Each is a POST that one service performs."""

import icalendar
import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from deadlines.models import Deadline
from deadlines.selectors import deadline_list_for_subject
from sip import services
from sip.models import Case, Invitation, Meeting
from tests import factories
from tests.helpers import login_verified
from tests.sip.conftest import at

pytestmark = pytest.mark.django_db

S = Case.Status


def post(client, user, name, args, data=None, *, when=None):
    """Post as `user` with the clock at `when` (a session only lives 30 minutes of that clock)."""
    with time_machine.travel(when or at(2026, 6, 17, 9), tick=False):
        login_verified(client, user)
        return client.post(reverse(name, args=args), data or {})


@pytest.fixture
def planned(held, coordinator, unit):
    """The case of `held` with plan version 1 (status "plan upprättad")."""
    case = held.case
    with time_machine.travel(at(2026, 6, 24, 10), tick=False):
        services.plan_save(
            case=case,
            data=services.PlanData(
                needs="Stöd i skolan",
                lead_name="Karin Ek",
                lead_unit=unit,
                coordinator_name="Karin Ek",
                coordinator_unit=unit,
            ),
            by=coordinator,
        )
    case.refresh_from_db()
    return case


def calendar_part(message):
    part = message.attachments[0]
    return part, icalendar.Calendar.from_ical(part.get_payload(decode=True))


# --- consent refused ------------------------------------------------------------------------------


def test_refusing_consent_ends_the_case_and_says_so(client, coordinator, case):
    with time_machine.travel(at(2026, 6, 2, 9), tick=False):
        login_verified(client, coordinator)
        response = client.post(
            reverse("sip:consent_refuse", args=[case.pk]),
            {"reason": "Vårdnadshavarna vill inte."},
            follow=True,
        )
    assert response.redirect_chain == [(reverse("sip:case_detail", args=[case.pk]), 302)]
    assert "Ärendet är registrerat som samtycke nekat." in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.CONSENT_REFUSED
    assert case.end_reason == "Vårdnadshavarna vill inte."


def test_refusing_consent_without_a_reason_is_refused_in_swedish(client, coordinator, case):
    response = post(client, coordinator, "sip:consent_refuse", [case.pk], {"reason": " "})
    assert response.status_code == 200
    assert "Detta fält måste fyllas i." in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.NEED_NOTED


def test_refusing_consent_once_it_is_given_shows_the_state_machine_error(
    client, coordinator, consented
):
    response = post(client, coordinator, "sip:consent_refuse", [consented.pk], {"reason": "Nej"})
    assert response.status_code == 200
    assert "Ärendet kan inte gå från ”Samtycke lämnat” till ”Samtycke nekat”." in (
        response.content.decode()
    )
    consented.refresh_from_db()
    assert (consented.status, consented.end_reason) == (S.CONSENT, "")


# --- consent withdrawn ----------------------------------------------------------------------------


def test_withdrawing_consent_records_who_and_when_and_stops_the_case(
    client, coordinator, consented
):
    consent = consented.consents.get()
    response = post(
        client,
        coordinator,
        "sip:consent_withdraw",
        [consented.pk, consent.pk],
        {"withdrawn_at": "2026-06-15T09:00", "withdrawn_by": "Maria Lindqvist"},
        when=at(2026, 6, 15, 10),
    )
    assert response.url == reverse("sip:case_detail", args=[consented.pk])
    consent.refresh_from_db()
    assert (consent.withdrawn_at, consent.withdrawn_by) == (at(2026, 6, 15, 9), "Maria Lindqvist")
    consented.refresh_from_db()
    assert consented.status == S.CANCELLED
    assert "Maria Lindqvist" in consented.end_reason


def test_withdrawing_consent_without_saying_who_is_refused_in_swedish(
    client, coordinator, consented
):
    consent = consented.consents.get()
    response = post(
        client,
        coordinator,
        "sip:consent_withdraw",
        [consented.pk, consent.pk],
        {"withdrawn_at": "2026-06-15T09:00", "withdrawn_by": ""},
        when=at(2026, 6, 15, 10),
    )
    assert "Detta fält måste fyllas i." in response.content.decode()
    consent.refresh_from_db()
    assert consent.withdrawn_at is None
    consented.refresh_from_db()
    assert consented.status == S.CONSENT


def test_a_withdrawal_dated_before_the_consent_shows_the_service_error(
    client, coordinator, consented
):
    consent = consented.consents.get()
    response = post(
        client,
        coordinator,
        "sip:consent_withdraw",
        [consented.pk, consent.pk],
        {"withdrawn_at": "2026-06-11T09:00", "withdrawn_by": "Maria Lindqvist"},
        when=at(2026, 6, 15, 10),
    )
    assert response.status_code == 200
    assert "Tidpunkten för återkallelsen måste ligga mellan samtycket och nu." in (
        response.content.decode()
    )
    consent.refresh_from_db()
    assert consent.withdrawn_at is None
    consented.refresh_from_db()
    assert consented.status == S.CONSENT


# --- cancel, close, reopen ------------------------------------------------------------------------


def test_cancelling_a_case_stores_the_reason_and_cancels_its_clocks(client, coordinator, consented):
    response = post(
        client, coordinator, "sip:case_cancel", [consented.pk], {"reason": "Familjen flyttar."}
    )
    assert response.url == reverse("sip:case_detail", args=[consented.pk])
    consented.refresh_from_db()
    assert (consented.status, consented.end_reason) == (S.CANCELLED, "Familjen flyttar.")
    assert consented.ended_at == at(2026, 6, 17, 9)
    statuses = {deadline.status for deadline in deadline_list_for_subject(subject=consented)}
    assert statuses == {Deadline.Status.CANCELLED}


def test_cancelling_without_a_reason_is_refused_in_swedish(client, coordinator, consented):
    response = post(client, coordinator, "sip:case_cancel", [consented.pk], {"reason": ""})
    assert "Detta fält måste fyllas i." in response.content.decode()
    consented.refresh_from_db()
    assert consented.status == S.CONSENT


def test_cancelling_a_cancelled_case_shows_the_state_machine_error(client, coordinator, case):
    services.case_cancel(case=case, reason="Först", by=coordinator)
    response = post(client, coordinator, "sip:case_cancel", [case.pk], {"reason": "Igen"})
    assert "Ärendet kan inte gå från ”Avbrutet” till ”Avbrutet”." in response.content.decode()
    case.refresh_from_db()
    assert case.end_reason == "Först"


def test_closing_a_case_with_a_plan_stores_the_reason(client, coordinator, planned):
    response = post(
        client,
        coordinator,
        "sip:case_close",
        [planned.pk],
        {"reason": "Målen är nådda."},
        when=at(2026, 6, 25, 9),
    )
    assert response.url == reverse("sip:case_detail", args=[planned.pk])
    planned.refresh_from_db()
    assert (planned.status, planned.end_reason) == (S.CLOSED, "Målen är nådda.")


def test_closing_without_a_reason_is_refused_in_swedish(client, coordinator, planned):
    response = post(
        client, coordinator, "sip:case_close", [planned.pk], {}, when=at(2026, 6, 25, 9)
    )
    assert "Detta fält måste fyllas i." in response.content.decode()
    planned.refresh_from_db()
    assert planned.status == S.PLAN


def test_closing_a_case_that_only_has_a_noted_need_shows_the_state_machine_error(
    client, coordinator, case
):
    response = post(client, coordinator, "sip:case_close", [case.pk], {"reason": "Klart"})
    assert response.status_code == 200
    assert "Ärendet kan inte gå från ”Behov uppmärksammat” till ”Avslutad”." in (
        response.content.decode()
    )
    case.refresh_from_db()
    assert (case.status, case.end_reason) == (S.NEED_NOTED, "")


def test_reopening_a_cancelled_case_clears_the_end(client, coordinator, case):
    services.case_cancel(case=case, reason="Fel person", by=coordinator)
    response = post(client, coordinator, "sip:case_reopen", [case.pk])
    assert response.url == reverse("sip:case_detail", args=[case.pk])
    case.refresh_from_db()
    assert (case.status, case.end_reason, case.ended_at) == (S.REOPENED, "", None)


def test_reopening_an_open_case_shows_the_state_machine_error(client, coordinator, case):
    response = post(client, coordinator, "sip:case_reopen", [case.pk])
    assert response.status_code == 200
    assert "Ärendet kan inte gå från ”Behov uppmärksammat” till ”Återöppnad”." in (
        response.content.decode()
    )
    case.refresh_from_db()
    assert case.status == S.NEED_NOTED


# --- meetings -------------------------------------------------------------------------------------


def reschedule_form(**overrides):
    return {"starts_at": "2026-06-24T09:00", "duration_minutes": "60", "place": "Rum 3"} | overrides


def test_rescheduling_a_meeting_sends_everyone_an_ics_update(
    client, coordinator, convened, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            coordinator,
            "sip:meeting_reschedule",
            [convened.case.pk, convened.pk],
            reschedule_form(),
        )
    assert response.url == reverse("sip:case_detail", args=[convened.case.pk])
    convened.refresh_from_db()
    assert (convened.starts_at, convened.place, convened.sequence) == (
        at(2026, 6, 24, 9),
        "Rum 3",
        1,
    )
    assert len(mail.outbox) == 4
    part, calendar = calendar_part(mail.outbox[0])
    assert part.get_param("method") == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == at(2026, 6, 24, 9)
    assert str(event["UID"]) == f"{convened.uid}@samordna"


def test_rescheduling_without_a_start_time_is_refused_in_swedish_and_sends_nothing(
    client, coordinator, convened, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            coordinator,
            "sip:meeting_reschedule",
            [convened.case.pk, convened.pk],
            reschedule_form(starts_at=""),
        )
    assert "Detta fält måste fyllas i." in response.content.decode()
    convened.refresh_from_db()
    assert (convened.starts_at, convened.sequence) == (at(2026, 6, 23, 13), 0)
    assert mail.outbox == []


def test_rescheduling_a_held_meeting_shows_the_service_error(client, coordinator, held):
    response = post(
        client,
        coordinator,
        "sip:meeting_reschedule",
        [held.case.pk, held.pk],
        reschedule_form(),
        when=at(2026, 6, 23, 16),
    )
    assert response.status_code == 200
    assert "Bara ett planerat möte kan ändras." in response.content.decode()
    held.refresh_from_db()
    assert (held.starts_at, held.sequence) == (at(2026, 6, 23, 13), 0)


def test_cancelling_a_meeting_sends_everyone_a_calendar_cancellation(
    client, coordinator, convened, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            coordinator,
            "sip:meeting_cancel",
            [convened.case.pk, convened.pk],
            {"reason": "Sjukdom"},
        )
    assert response.url == reverse("sip:case_detail", args=[convened.case.pk])
    convened.refresh_from_db()
    assert convened.status == Meeting.Status.CANCELLED
    assert "Sjukdom" in convened.notes
    assert len(mail.outbox) == 4
    part, calendar = calendar_part(mail.outbox[0])
    assert part.get_param("method") == "CANCEL"
    assert calendar["METHOD"] == "CANCEL"
    assert calendar.walk("VEVENT")[0]["STATUS"] == "CANCELLED"


def test_cancelling_a_meeting_without_a_reason_is_refused_in_swedish_and_sends_nothing(
    client, coordinator, convened, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client, coordinator, "sip:meeting_cancel", [convened.case.pk, convened.pk], {}
        )
    assert "Detta fält måste fyllas i." in response.content.decode()
    convened.refresh_from_db()
    assert convened.status == Meeting.Status.PLANNED
    assert mail.outbox == []


def test_cancelling_a_held_meeting_shows_the_service_error(client, coordinator, held):
    response = post(
        client,
        coordinator,
        "sip:meeting_cancel",
        [held.case.pk, held.pk],
        {"reason": "Sjukdom"},
        when=at(2026, 6, 23, 16),
    )
    assert "Bara ett planerat möte kan ställas in." in response.content.decode()
    held.refresh_from_db()
    assert held.status == Meeting.Status.HELD


# --- invitation answers ---------------------------------------------------------------------------


def answer(client, user, invitation, data, **kwargs):
    meeting = invitation.meeting
    return post(
        client,
        user,
        "sip:invitation_answer",
        [meeting.case.pk, meeting.pk, invitation.pk],
        data,
        **kwargs,
    )


def test_an_accepted_invitation_is_recorded(client, coordinator, convened):
    invitation = convened.invitations.first()
    response = answer(client, coordinator, invitation, {"response": "accepterad"})
    assert response.url == reverse("sip:case_detail", args=[convened.case.pk])
    invitation.refresh_from_db()
    assert invitation.response == Invitation.Response.ACCEPTED


def test_a_declined_invitation_keeps_its_reason(client, coordinator, convened):
    invitation = convened.invitations.first()
    answer(client, coordinator, invitation, {"response": "avboj", "decline_reason": "Semester"})
    invitation.refresh_from_db()
    assert (invitation.response, invitation.decline_reason) == (
        Invitation.Response.DECLINED,
        "Semester",
    )


def test_declining_without_a_reason_is_refused_in_swedish(client, coordinator, convened):
    invitation = convened.invitations.first()
    response = answer(client, coordinator, invitation, {"response": "avboj"})
    assert response.status_code == 200
    assert "Ange skälet till att inbjudan avböjs." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.response == Invitation.Response.PENDING


def test_an_answer_without_yes_or_no_is_refused_in_swedish(client, coordinator, convened):
    invitation = convened.invitations.first()
    response = answer(client, coordinator, invitation, {"response": "kanske"})
    assert "Välj ett giltigt alternativ." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.response == Invitation.Response.PENDING


def test_answering_for_a_held_meeting_shows_the_service_error(client, coordinator, held):
    invitation = held.invitations.first()
    response = answer(
        client, coordinator, invitation, {"response": "accepterad"}, when=at(2026, 6, 23, 16)
    )
    assert "Mötet är inte längre planerat." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.response == Invitation.Response.PENDING


# --- access and method ----------------------------------------------------------------------------


def step_requests(meeting):
    """Every new step for the case of `meeting`, each with input that would succeed."""
    case = meeting.case
    invitation = meeting.invitations.first()
    return [
        ("sip:consent_refuse", [case.pk], {"reason": "Nej"}),
        (
            "sip:consent_withdraw",
            [case.pk, case.consents.get().pk],
            {"withdrawn_at": "2026-06-15T09:00", "withdrawn_by": "Maria Lindqvist"},
        ),
        ("sip:case_cancel", [case.pk], {"reason": "Avbryt"}),
        ("sip:case_close", [case.pk], {"reason": "Klart"}),
        ("sip:case_reopen", [case.pk], {}),
        ("sip:meeting_reschedule", [case.pk, meeting.pk], reschedule_form()),
        ("sip:meeting_cancel", [case.pk, meeting.pk], {"reason": "Sjukdom"}),
        (
            "sip:invitation_answer",
            [case.pk, meeting.pk, invitation.pk],
            {"response": "accepterad"},
        ),
    ]


def test_an_outsider_gets_404_for_every_step_and_nothing_changes(client, outsider, convened):
    for name, args, data in step_requests(convened):
        assert post(client, outsider, name, args, data).status_code == 404, name
    convened.refresh_from_db()
    assert (convened.status, convened.sequence) == (Meeting.Status.PLANNED, 0)
    assert convened.case.status == S.CONVENED
    assert convened.case.consents.get().withdrawn_at is None
    assert not Invitation.objects.exclude(response=Invitation.Response.PENDING).exists()


def test_a_colleague_in_the_unit_may_take_a_step(client, colleague, consented):
    response = post(client, colleague, "sip:case_cancel", [consented.pk], {"reason": "Flytt"})
    assert response.status_code == 302
    consented.refresh_from_db()
    assert consented.status == S.CANCELLED


def test_the_steps_take_only_post(client, coordinator, convened):
    with time_machine.travel(at(2026, 6, 17, 9), tick=False):
        login_verified(client, coordinator)
        for name, args, _data in step_requests(convened):
            assert client.get(reverse(name, args=args)).status_code == 405, name


def test_a_step_needs_the_csrf_token(coordinator, consented):
    strict = Client(enforce_csrf_checks=True)
    response = post(strict, coordinator, "sip:case_cancel", [consented.pk], {"reason": "Flytt"})
    assert response.status_code == 403
    consented.refresh_from_db()
    assert consented.status == S.CONSENT


# --- the case page --------------------------------------------------------------------------------


def page(client, user, case, *, when=None):
    with time_machine.travel(when or at(2026, 6, 17, 9), tick=False):
        login_verified(client, user)
        return client.get(reverse("sip:case_detail", args=[case.pk])).content.decode()


def test_a_new_case_offers_refusal_and_cancelling_but_not_closing_or_reopening(
    client, coordinator, case
):
    content = page(client, coordinator, case)
    assert reverse("sip:consent_refuse", args=[case.pk]) in content
    assert reverse("sip:case_cancel", args=[case.pk]) in content
    assert reverse("sip:case_close", args=[case.pk]) not in content
    assert reverse("sip:case_reopen", args=[case.pk]) not in content


def test_a_case_with_a_plan_offers_closing(client, coordinator, planned):
    content = page(client, coordinator, planned, when=at(2026, 6, 25, 9))
    assert reverse("sip:case_close", args=[planned.pk]) in content
    assert reverse("sip:consent_refuse", args=[planned.pk]) not in content


def test_an_ended_case_offers_only_reopening(client, coordinator, consented):
    services.consent_withdraw(
        consent=consented.consents.get(),
        withdrawn_at=at(2026, 6, 15, 9),
        withdrawn_by="Maria Lindqvist",
        by=coordinator,
    )
    content = page(client, coordinator, consented)
    assert reverse("sip:case_reopen", args=[consented.pk]) in content
    for name in ("sip:case_cancel", "sip:case_close", "sip:consent_refuse"):
        assert reverse(name, args=[consented.pk]) not in content
    consent = consented.consents.get()
    assert reverse("sip:consent_withdraw", args=[consented.pk, consent.pk]) not in content


def test_a_planned_meeting_offers_moving_cancelling_and_answers_and_a_held_one_does_not(
    client, coordinator, convened
):
    case = convened.case
    invitation = convened.invitations.first()
    urls = [
        reverse("sip:meeting_reschedule", args=[case.pk, convened.pk]),
        reverse("sip:meeting_cancel", args=[case.pk, convened.pk]),
        reverse("sip:invitation_answer", args=[case.pk, convened.pk, invitation.pk]),
    ]
    content = page(client, coordinator, case)
    assert all(url in content for url in urls)
    assert reverse("sip:consent_withdraw", args=[case.pk, case.consents.get().pk]) in content
    # The form is filled in with the meeting's current time, in Swedish local time.
    assert 'value="2026-06-23T13:00"' in content
    with time_machine.travel(at(2026, 6, 23, 15), tick=False):
        services.meeting_record_held(meeting=convened, attended=[], by=coordinator)
    content = page(client, coordinator, case, when=at(2026, 6, 23, 16))
    assert not any(url in content for url in urls)


def test_the_case_page_with_its_step_forms_keeps_a_fixed_query_count(
    client, coordinator, convened, django_assert_max_num_queries
):
    case = convened.case
    url = reverse("sip:case_detail", args=[case.pk])
    with time_machine.travel(at(2026, 6, 17, 9), tick=False):
        login_verified(client, coordinator)
        with django_assert_max_num_queries(22):
            assert client.get(url).status_code == 200
        for n in range(3):
            meeting = factories.MeetingFactory(
                case=case, kind=Meeting.Kind.ACTORS, starts_at=at(2026, 7, 1 + n, 9)
            )
            for participant in case.participants.all():
                Invitation.objects.create(meeting=meeting, participant=participant)
        with django_assert_max_num_queries(22):
            content = client.get(url).content.decode()
    assert all(
        reverse("sip:meeting_reschedule", args=[case.pk, meeting.pk]) in content
        for meeting in case.meetings.all()
    )
    assert case.meetings.count() == 4
