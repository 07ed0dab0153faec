"""The case page as the coordinator's hub: deadline signals, the main actions, attendance."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sip import services
from sip.models import Invitation
from tests import factories
from tests.helpers import login_verified
from tests.sip.conftest import at

pytestmark = pytest.mark.django_db


def page(client, user, case, when):
    with time_machine.travel(when, tick=False):
        login_verified(client, user)
        return client.get(reverse("sip:case_detail", args=[case.pk])).content.decode()


def test_the_case_page_shows_open_deadlines_in_working_days_left(client, coordinator, consented):
    content = page(client, coordinator, consented, at(2026, 6, 18, 9))

    assert "deadline-amber" in content
    assert "1 arbetsdag kvar" in content
    assert 'id="go-invite"' in content
    assert 'id="go-consent"' not in content


def test_consent_is_offered_only_while_the_case_waits_for_it(client, coordinator, case):
    content = page(client, coordinator, case, at(2026, 6, 2, 9))

    assert 'id="go-consent"' in content
    assert reverse("sip:case_new_consent", args=[case.pk]) in content


def test_a_follow_up_can_be_booked_once_there_is_a_plan(client, coordinator, held, unit):
    before = page(client, coordinator, held.case, at(2026, 6, 24, 9))
    with time_machine.travel(at(2026, 6, 24, 10), tick=False):
        services.plan_save(
            case=held.case,
            data=services.PlanData(
                needs="Stöd",
                lead_name="Karin Ek",
                lead_unit=unit,
                coordinator_name="Karin Ek",
                coordinator_unit=unit,
            ),
            by=coordinator,
        )

    after = page(client, coordinator, held.case, at(2026, 6, 24, 11))

    assert 'id="book-follow-up"' not in before
    assert 'id="book-follow-up"' in after
    assert 'id="plan-pdf"' in after


def test_attendance_starts_from_those_who_accepted(client, coordinator, convened):
    accepted, declined = convened.invitations.order_by("pk")
    services.invitation_answer(invitation=accepted, response="accepterad", by=coordinator)
    services.invitation_answer(
        invitation=declined, response="avboj", decline_reason="Krockar", by=coordinator
    )
    with time_machine.travel(at(2026, 6, 23, 15), tick=False):
        login_verified(client, coordinator)
        response = client.get(reverse("sip:meeting_held", args=[convened.case.pk, convened.pk]))

    assert response.context["form"].initial["attended"] == [accepted.participant_id]


def test_the_attendance_page_runs_the_same_queries_for_10_and_200_participants(
    client, coordinator, convened, django_assert_max_num_queries
):
    case = convened.case
    counts = []
    # Signed in at the moment of the requests: a session stamped later than a request's clock
    # is refreshed (rewritten) by that request, which is not what is counted here.
    with time_machine.travel(at(2026, 6, 23, 15), tick=False):
        login_verified(client, coordinator)
    for added in (8, 190):
        participants = factories.ParticipantFactory.create_batch(added, case=case)
        Invitation.objects.bulk_create(
            Invitation(meeting=convened, participant=p) for p in participants
        )
        with (
            time_machine.travel(at(2026, 6, 23, 15), tick=False),
            django_assert_max_num_queries(16),
            CaptureQueriesContext(connection) as queries,
        ):
            response = client.get(reverse("sip:meeting_held", args=[case.pk, convened.pk]))
        assert response.status_code == 200
        counts.append(len(queries))

    assert len(response.context["form"].fields["attended"].queryset) == 200
    assert counts[0] == counts[1]


def test_the_schedule_page_runs_the_same_queries_for_10_and_200_planned_meetings(
    client, coordinator, consented, django_assert_max_num_queries
):
    counts = []
    with time_machine.travel(at(2026, 6, 17, 9), tick=False):  # as the requests: no refresh
        login_verified(client, coordinator)
    for added in (10, 190):
        factories.MeetingFactory.create_batch(added, case=consented, starts_at=at(2026, 6, 23, 9))
        with (
            time_machine.travel(at(2026, 6, 17, 9), tick=False),
            django_assert_max_num_queries(20),
            CaptureQueriesContext(connection) as queries,
        ):
            response = client.get(reverse("sip:meeting_create", args=[consented.pk]))
        assert response.status_code == 200
        counts.append(len(queries))

    assert len(response.context["meetings"]) == 200
    assert counts[0] == counts[1]
