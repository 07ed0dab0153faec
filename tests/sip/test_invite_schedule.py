"""Inviting units from the directory, and proposing a time against a week of booked meetings."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sip import services
from sip.models import Case, Invitation, Meeting
from tests import factories
from tests.helpers import login_verified
from tests.sip.conftest import at

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 16, 9)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def logged_in(client, coordinator):
    with time_machine.travel(NOW, tick=False):
        login_verified(client, coordinator)
        yield client


@pytest.fixture
def consented_only(case, coordinator, unit, school, bup):
    """Consent covering the school and BUP, but nobody invited yet."""
    with time_machine.travel(at(2026, 6, 12, 10), tick=False):
        services.consent_record(
            case=case,
            given_at=at(2026, 6, 12, 10),
            units=[unit, school, bup],
            guardians=list(case.individual.guardians.all()),
            by=coordinator,
        )
    return case


# --- inviting -------------------------------------------------------------------------------------


def test_the_invite_page_suggests_the_consented_units_not_yet_invited(
    logged_in, consented_only, school, bup
):
    response = logged_in.get(reverse("sip:case_invite", args=[consented_only.pk]))

    assert {u.name for u in response.context["suggested"]} >= {school.name, bup.name}
    assert f'id="invite-unit-{bup.pk}"' in response.content.decode()


def test_inviting_a_consented_unit_with_htmx_updates_the_list_in_place(
    logged_in, consented_only, bup
):
    response = logged_in.post(
        reverse("sip:case_invite", args=[consented_only.pk]), {"unit": bup.pk}, headers=HTMX
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<section id="participants"')
    assert f"{bup.name} är tillagd som deltagare." in content
    assert response["HX-Trigger"] == "participants-changed"
    assert consented_only.participants.get().unit == bup


def test_a_unit_outside_the_consent_is_refused_in_swedish_and_not_added(logged_in, consented_only):
    stranger = factories.UnitFactory(name="Ungdomsmottagningen")

    response = logged_in.post(
        reverse("sip:case_invite", args=[consented_only.pk]), {"unit": stranger.pk}, headers=HTMX
    )

    assert "Samtycket omfattar inte Ungdomsmottagningen" in response.content.decode()
    assert not consented_only.participants.exists()


def test_without_htmx_inviting_returns_to_the_page_with_the_message(logged_in, consented_only, bup):
    response = logged_in.post(
        reverse("sip:case_invite", args=[consented_only.pk]), {"unit": bup.pk}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("sip:case_invite", args=[consented_only.pk])
    assert f"{bup.name} är tillagd som deltagare." in response.content.decode()


def test_inviting_before_consent_says_why(logged_in, case, bup):
    response = logged_in.post(
        reverse("sip:case_invite", args=[case.pk]), {"unit": bup.pk}, headers=HTMX
    )

    assert "Deltagare kan läggas till först när samtycke finns." in response.content.decode()


def test_directory_hits_on_the_invite_page_say_whether_the_consent_covers_them(
    logged_in, consented, bup, school
):
    factories.UnitFactory(name="Tallbackens fritids")
    stranger_bup = factories.UnitFactory(name="BUP Enköping")

    tall = logged_in.get(reverse("sip:case_unit_search", args=[consented.pk]), {"q": "tallback"})
    bups = logged_in.get(reverse("sip:case_unit_search", args=[consented.pk]), {"q": "BUP"})

    assert "Deltar redan" in tall.content.decode()
    assert "Omfattas inte av samtycket" in tall.content.decode()
    assert f'id="invite-unit-{stranger_bup.pk}"' not in bups.content.decode()


def test_the_invite_pages_are_for_the_owner_and_colleague_only(
    client, coordinator, colleague, outsider, consented
):
    with time_machine.travel(NOW, tick=False):
        for user, status in ((coordinator, 200), (colleague, 200), (outsider, 404)):
            login_verified(client, user)
            for name in ("sip:case_invite", "sip:case_unit_search", "sip:meeting_create"):
                assert client.get(reverse(name, args=[consented.pk])).status_code == status


def test_the_invite_page_runs_the_same_queries_for_10_and_200_participants(
    logged_in, consented, django_assert_max_num_queries
):
    url = reverse("sip:case_invite", args=[consented.pk])
    counts = []
    for added in (8, 190):
        factories.ParticipantFactory.create_batch(added, case=consented)
        with django_assert_max_num_queries(16), CaptureQueriesContext(connection) as queries:
            response = logged_in.get(url)
        assert response.status_code == 200
        counts.append(len(queries))

    assert len(response.context["participants"]) == 200
    assert counts[0] == counts[1]


# --- scheduling -----------------------------------------------------------------------------------


@pytest.fixture
def elsewhere(agreement, bup):
    """A case the coordinator cannot see, with BUP booked on Tuesday 23 June 13:30–14:30."""
    other_unit = factories.UnitFactory(name="Socialtjänst Knivsta")
    other = factories.CaseFactory(agreement=agreement, convening_unit=other_unit)
    factories.ParticipantFactory(case=other, unit=bup)
    return factories.MeetingFactory(
        case=other, starts_at=at(2026, 6, 23, 13, 30), duration_minutes=60
    )


def week_of(client, case, **params):
    return client.get(reverse("sip:meeting_schedule_week", args=[case.pk]), params)


def test_the_week_shows_an_invited_units_booking_anonymously_and_the_clash(
    logged_in, consented, elsewhere, bup
):
    response = week_of(logged_in, consented, starts_at="2026-06-23T13:00", duration_minutes=90)

    content = response.content.decode()
    [clash] = response.context["clashes"]
    assert clash.label == f"Upptaget: {bup.name}"
    assert "Den föreslagna tiden krockar med" in content
    assert "calendar-entry-clash" in content
    assert elsewhere.case.reference not in content
    assert elsewhere.case.individual.last_name not in content


def test_a_free_time_is_confirmed_without_clashes(logged_in, consented, elsewhere):
    response = week_of(logged_in, consented, starts_at="2026-06-23T10:00", duration_minutes=60)

    assert response.context["clashes"] == []
    assert "Ingen krock" in response.content.decode()


def test_my_own_meetings_show_with_their_case_reference(logged_in, convened):
    response = week_of(logged_in, convened.case, starts_at="2026-06-23T14:00", duration_minutes=60)

    [clash] = response.context["clashes"]
    assert clash.label == f"SIP-möte – {convened.case.reference}"
    assert clash.url == reverse("sip:case_detail", args=[convened.case.pk])


def test_the_week_can_be_stepped_and_unreadable_input_is_no_proposal(logged_in, consented):
    response = week_of(logged_in, consented, starts_at="inte en tid", vecka="2026-W27")

    assert response.context["has_proposal"] is False
    assert response.context["days"][0].date.isoformat() == "2026-06-29"


def test_scheduling_and_sending_the_kallelse_convenes_the_case(
    logged_in, consented, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(
            reverse("sip:meeting_create", args=[consented.pk]),
            {
                "kind": "sip",
                "starts_at": "2026-06-23T10:00",
                "duration_minutes": "60",
                "place": "Rum 4",
                "send_now": "on",
            },
        )

    assert response.url == reverse("sip:case_detail", args=[consented.pk])
    consented.refresh_from_db()
    assert consented.status == Case.Status.CONVENED
    assert consented.meetings.get().invitations.count() == 2


def test_a_refused_kallelse_leaves_no_meeting_behind_and_keeps_the_input(logged_in, consented_only):
    response = logged_in.post(
        reverse("sip:meeting_create", args=[consented_only.pk]),
        {
            "kind": "sip",
            "starts_at": "2026-06-23T10:00",
            "duration_minutes": "45",
            "place": "Rum 4",
            "send_now": "on",
        },
    )

    content = response.content.decode()
    assert "Lägg till minst en deltagare innan kallelsen skickas." in content
    assert 'value="Rum 4"' in content
    assert 'value="45"' in content
    assert not Meeting.objects.exists()


def test_the_schedule_page_shows_who_accepted_and_who_declined(logged_in, convened, coordinator):
    accepted, declined = convened.invitations.order_by("pk")
    services.invitation_answer(invitation=accepted, response="accepterad", by=coordinator)
    services.invitation_answer(
        invitation=declined, response="avboj", decline_reason="Semester", by=coordinator
    )

    response = logged_in.get(reverse("sip:meeting_create", args=[convened.case.pk]))

    content = response.content.decode()
    assert "Tackat ja" in content
    assert "Tackat nej" in content
    assert "Semester" in content
    assert Invitation.objects.filter(response="accepterad").count() == 1


def test_a_follow_up_is_proposed_on_the_plans_follow_up_date(logged_in, held, coordinator, unit):
    with time_machine.travel(at(2026, 6, 24, 10), tick=False):
        services.plan_save(
            case=held.case,
            data=services.PlanData(
                needs="Stöd",
                lead_name="Karin Ek",
                lead_unit=unit,
                coordinator_name="Karin Ek",
                coordinator_unit=unit,
                next_follow_up=at(2026, 9, 1).date(),
            ),
            by=coordinator,
        )

    response = logged_in.get(
        reverse("sip:meeting_create", args=[held.case.pk]), {"typ": "uppfoljning"}
    )

    form = response.context["form"]
    assert form.initial["kind"] == "uppfoljning"
    assert form.initial["starts_at"] == at(2026, 9, 1, 9)
    assert response.context["days"][0].date.isoformat() == "2026-08-31"


def test_the_week_runs_the_same_queries_for_10_and_200_meetings(
    logged_in, consented, bup, agreement, django_assert_max_num_queries
):
    other = factories.CaseFactory(agreement=agreement)
    factories.ParticipantFactory(case=other, unit=bup)
    counts = []
    for added in (10, 190):
        for n in range(added):
            factories.MeetingFactory(case=other, starts_at=at(2026, 6, 22 + n % 5, 8 + n % 9))
        # Including the access-log entry for the case read.
        with django_assert_max_num_queries(15), CaptureQueriesContext(connection) as queries:
            response = week_of(
                logged_in, consented, starts_at="2026-06-23T10:00", duration_minutes=60
            )
        counts.append(len(queries))

    assert sum(len(day.entries) for day in response.context["days"]) == 201
    assert counts[0] == counts[1]
