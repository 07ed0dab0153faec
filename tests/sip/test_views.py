import datetime as dt

import icalendar
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sip import services
from sip.models import Case, Individual, Invitation, Meeting
from tests import factories
from tests.helpers import login_verified
from tests.sip.conftest import at

pytestmark = pytest.mark.django_db


def person_form(**overrides):
    data = {
        "id_kind": "personnummer",
        "id_number": "20150314-1234",
        "first_name": "Astrid",
        "last_name": "Berg",
        "gender": "female",
        "home_municipality": "",
        "guardian_1": "Maria Berg",
        "guardian_1_email": "maria@example.se",
        "guardian_1_custody": "on",
    }
    return data | overrides


def test_registering_a_person_stores_the_twelve_digit_number(client, coordinator, municipality):
    login_verified(client, coordinator)
    number = factories.personnummer(dt.date(2015, 3, 14), 123)
    ten_digits = f"{number[2:8]}-{number[8:]}"
    response = client.post(
        reverse("sip:individual_create"),
        person_form(id_number=f" {ten_digits} ", home_municipality=municipality.pk),
    )
    individual = Individual.objects.get()
    assert response.status_code == 302
    assert individual.id_number == number
    assert individual.guardians.get().name == "Maria Berg"


def test_a_duplicate_number_is_refused_with_a_link_to_the_person(client, coordinator, child):
    login_verified(client, coordinator)
    response = client.post(
        reverse("sip:individual_create"),
        person_form(id_number=child.id_number, home_municipality=child.home_municipality.pk),
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "Det finns redan en person registrerad" in content
    assert reverse("sip:individual_detail", args=[child.pk]) in content
    assert Individual.objects.count() == 1


def test_a_bad_check_digit_is_refused_in_swedish_and_nothing_is_written(
    client, coordinator, municipality
):
    login_verified(client, coordinator)
    response = client.post(
        reverse("sip:individual_create"),
        person_form(id_number="20150314-1235", home_municipality=municipality.pk),
    )
    assert "kontrollsiffra stämmer inte" in response.content.decode()
    assert not Individual.objects.exists()


def test_consent_without_every_custodian_is_refused_and_nothing_is_written(
    client, coordinator, case, unit
):
    login_verified(client, coordinator)
    with time_machine.travel(at(2026, 6, 12, 10), tick=False):
        response = client.post(
            reverse("sip:consent_create", args=[case.pk]),
            {"given_at": "2026-06-12T09:00", "units": [unit.pk], "guardians": []},
        )
    assert "varje vårdnadshavare" in response.content.decode()
    assert not case.consents.exists()
    case.refresh_from_db()
    assert case.status == Case.Status.NEED_NOTED


def test_a_meeting_form_with_bad_input_is_refused(client, coordinator, consented):
    login_verified(client, coordinator)
    response = client.post(
        reverse("sip:meeting_create", args=[consented.pk]),
        {"kind": "sip", "starts_at": "inte ett datum", "duration_minutes": "5"},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Fyll i ett giltigt datum/tid." in content
    assert "större än eller lika med 15" in content
    assert not Meeting.objects.exists()


def test_the_case_page_is_for_the_owner_and_colleague_only(
    client, coordinator, colleague, outsider, case
):
    url = reverse("sip:case_detail", args=[case.pk])
    for user, status in ((coordinator, 200), (colleague, 200), (outsider, 404)):
        login_verified(client, user)
        assert client.get(url).status_code == status
    login_verified(client, outsider)
    assert client.get(reverse("sip:plan_pdf", args=[case.pk])).status_code == 404


def test_a_participating_units_member_sees_the_case(client, consented, bup):
    member = factories.MembershipFactory(unit=bup).user
    login_verified(client, member)
    assert client.get(reverse("sip:case_detail", args=[consented.pk])).status_code == 200


def test_the_case_page_query_count_does_not_grow(client, coordinator, held, unit):
    case = held.case
    url = reverse("sip:case_detail", args=[case.pk])
    with time_machine.travel(at(2026, 6, 24, 9), tick=False):
        services.plan_save(case=case, data=plan_data(unit, interventions=1), by=coordinator)
    login_verified(client, coordinator)
    client.get(url)  # a first request may refresh the session; the measured ones compare alike
    counts = []
    for grow in (False, True):
        if grow:
            # Plan versions with more interventions, more participants, planned meetings (a
            # form each) with invitations (a form each), and units on the consent.
            for version in range(2):
                plan = plan_data(unit, interventions=3)
                with time_machine.travel(at(2026, 6, 24, 10 + version), tick=False):
                    services.plan_save(case=case, data=plan, by=coordinator)
            for n in range(4):
                other = factories.UnitFactory()
                case.consents.first().units.add(other)
                participant = factories.ParticipantFactory(case=case, unit=other)
                meeting = factories.MeetingFactory(
                    case=case, kind=Meeting.Kind.ACTORS, starts_at=at(2026, 7, 1 + n, 9)
                )
                Invitation.objects.create(meeting=meeting, participant=participant)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))

    assert len(response.context["meetings"]) == 5
    assert len(response.context["detail"].plan.interventions.all()) == 3
    # The case with the viewer's access, its access-log entry, nine reads of what the page shows
    # and the agreement's closed days; the session, user, TOTP device, roles, session save and
    # savepoints.
    assert counts[0] == counts[1] <= 20


def plan_data(unit, *, interventions: int) -> services.PlanData:
    return services.PlanData(
        needs="Stöd i skolan.",
        lead_name="Karin Ek",
        lead_unit=unit,
        coordinator_name="Karin Ek",
        coordinator_unit=unit,
        interventions=[
            services.InterventionData(
                description=f"Insats {n}",
                unit=unit,
                performer="Psykolog",
                scope="En gång i veckan",
                starts_on=dt.date(2026, 7, 1),
                follow_up="Vid uppföljningsmötet",
            )
            for n in range(interventions)
        ],
    )


def test_the_whole_flow_works_through_the_pages(
    client, coordinator, child, unit, bup, agreement, django_capture_on_commit_callbacks
):
    login_verified(client, coordinator)
    guardians = [g.pk for g in child.guardians.all()]
    with time_machine.travel(at(2026, 6, 12, 10), tick=False):
        client.post(
            reverse("sip:individual_detail", args=[child.pk]),
            {"convening_unit": unit.pk, "reason": "Skolfrånvaro"},
        )
        case = Case.objects.get()
        client.post(
            reverse("sip:consent_create", args=[case.pk]),
            {"given_at": "2026-06-12T09:00", "units": [unit.pk, bup.pk], "guardians": guardians},
        )
        client.post(reverse("sip:participant_create", args=[case.pk]), {"unit": bup.pk})
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("sip:meeting_create", args=[case.pk]),
                {
                    "kind": "sip",
                    "starts_at": "2026-06-17T13:00",
                    "duration_minutes": "60",
                    "place": "Rum 4",
                    "send_now": "on",
                },
            )
    # Sessions expire after 30 idle minutes; the clock just jumped back to the present.
    login_verified(client, coordinator)
    meeting = case.meetings.get()
    case.refresh_from_db()
    assert case.status == Case.Status.CONVENED
    ics = client.get(reverse("sip:meeting_ics", args=[case.pk, meeting.pk]))
    event = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == at(2026, 6, 17, 13)
    participant = case.participants.get()
    letter = client.get(reverse("sip:kallelse_pdf", args=[case.pk, meeting.pk, participant.pk]))
    assert letter["Content-Type"] == "application/pdf"
    with time_machine.travel(at(2026, 6, 17, 15), tick=False):
        client.post(
            reverse("sip:meeting_held", args=[case.pk, meeting.pk]), {"attended": [participant.pk]}
        )
        response = client.post(
            reverse("sip:plan_edit", args=[case.pk]),
            {
                "needs": "Stöd i skolan",
                "lead_name": "Karin Ek",
                "lead_unit": unit.pk,
                "coordinator_name": "Karin Ek",
                "coordinator_unit": unit.pk,
                "insats": "a1",
                "insats-a1-description": "KBT",
                "insats-a1-unit": bup.pk,
                "insats-a1-performer": "Psykolog",
                "insats-a1-scope": "Varje vecka",
                "insats-a1-starts_on": "2026-07-01",
                "insats-a1-follow_up": "Vid uppföljning",
            },
        )
    assert response.status_code == 302
    login_verified(client, coordinator)
    case.refresh_from_db()
    assert case.status == Case.Status.PLAN
    assert case.plans.get().interventions.get().huvudman == bup.huvudman
    pdf = client.get(reverse("sip:plan_pdf", args=[case.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert client.get(reverse("sip:plan_edit", args=[case.pk])).status_code == 200


def test_the_case_list_shows_an_outsider_none_of_the_cases(client, coordinator, outsider):
    factories.CaseFactory(convening_unit=coordinator.memberships.get().unit)
    login_verified(client, outsider)

    response = client.get(reverse("sip:case_list"))

    assert len(response.context["cases"]) == 0
