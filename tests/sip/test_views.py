import datetime as dt

import icalendar
import pytest
import time_machine
from django.urls import reverse

from sip.models import Case, Individual, Meeting
from tests import factories
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
    client.force_login(coordinator)
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
    client.force_login(coordinator)
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
    client.force_login(coordinator)
    response = client.post(
        reverse("sip:individual_create"),
        person_form(id_number="20150314-1235", home_municipality=municipality.pk),
    )
    assert "kontrollsiffra stämmer inte" in response.content.decode()
    assert not Individual.objects.exists()


def test_consent_without_every_custodian_is_refused_and_nothing_is_written(
    client, coordinator, case, unit
):
    client.force_login(coordinator)
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
    client.force_login(coordinator)
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
        client.force_login(user)
        assert client.get(url).status_code == status
    client.force_login(outsider)
    assert client.get(reverse("sip:plan_pdf", args=[case.pk])).status_code == 404


def test_a_participating_units_member_sees_the_case(client, consented, bup):
    member = factories.MembershipFactory(unit=bup).user
    client.force_login(member)
    assert client.get(reverse("sip:case_detail", args=[consented.pk])).status_code == 200


def test_the_case_page_query_count_does_not_grow(
    client, coordinator, held, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    url = reverse("sip:case_detail", args=[held.case.pk])
    with django_assert_max_num_queries(22):
        assert client.get(url).status_code == 200
    case = held.case
    for n in range(4):
        unit = factories.UnitFactory()
        case.consents.first().units.add(unit)
        factories.ParticipantFactory(case=case, unit=unit)
        factories.MeetingFactory(
            case=case, kind=Meeting.Kind.ACTORS, starts_at=at(2026, 7, 1 + n, 9)
        )
    with django_assert_max_num_queries(22):
        assert client.get(url).status_code == 200


def test_the_whole_flow_works_through_the_pages(
    client, coordinator, child, unit, bup, agreement, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
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
    client.force_login(coordinator)
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
                "insats-TOTAL_FORMS": "1",
                "insats-INITIAL_FORMS": "0",
                "insats-0-description": "KBT",
                "insats-0-unit": bup.pk,
                "insats-0-performer": "Psykolog",
                "insats-0-scope": "Varje vecka",
                "insats-0-starts_on": "2026-07-01",
                "insats-0-follow_up": "Vid uppföljning",
                "ingen-TOTAL_FORMS": "0",
                "ingen-INITIAL_FORMS": "0",
            },
        )
    assert response.status_code == 302
    client.force_login(coordinator)
    case.refresh_from_db()
    assert case.status == Case.Status.PLAN
    assert case.plans.get().interventions.get().huvudman == bup.huvudman
    pdf = client.get(reverse("sip:plan_pdf", args=[case.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert client.get(reverse("sip:plan_edit", args=[case.pk])).status_code == 200


@pytest.mark.parametrize("count", [3, 60])
def test_the_case_list_runs_the_same_queries_however_many_cases_there_are(
    client, coordinator, django_assert_max_num_queries, count
):
    unit = coordinator.memberships.get().unit
    factories.CaseFactory.create_batch(count, convening_unit=unit)
    client.force_login(coordinator)

    # The list counts ids, cuts a page of ids and reads that page's cases: one query more than
    # a single joined query, and independent of the number of cases.
    with django_assert_max_num_queries(12):
        response = client.get(reverse("sip:case_list"))

    assert response.status_code == 200
    assert len(response.context["cases"]) == min(count, 50)


def test_the_case_list_shows_an_outsider_none_of_the_cases(client, coordinator, outsider):
    factories.CaseFactory(convening_unit=coordinator.memberships.get().unit)
    client.force_login(outsider)

    response = client.get(reverse("sip:case_list"))

    assert len(response.context["cases"]) == 0
