"""The new-case wizard: person → reason → consent → the deadlines it started."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actors.models import County, Unit
from sip.models import Case, Individual
from tests import factories
from tests.helpers import login_verified
from tests.sip.conftest import at

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 12, 10)


@pytest.fixture
def logged_in(client, coordinator):
    """The client as the coordinator, with the clock pinned to Friday 12 June 2026 10:00."""
    with time_machine.travel(NOW, tick=False):
        login_verified(client, coordinator)
        yield client


def ten_digits(number: str) -> str:
    return f"{number[2:8]}-{number[8:]}"


# --- step 1: the person ---------------------------------------------------------------------------


def test_a_registered_person_is_found_by_number_and_the_number_stays_out_of_the_url(
    logged_in, child
):
    response = logged_in.post(reverse("sip:case_new"), {"id_number": ten_digits(child.id_number)})

    assert response.status_code == 302
    assert response.url == reverse("sip:case_new_details", args=[child.pk])
    assert child.id_number[2:8] not in response.url


def test_an_unknown_number_offers_registration_with_the_number_filled_in(logged_in, municipality):
    number = factories.personnummer(dt.date(2014, 2, 3), 42)

    response = logged_in.post(reverse("sip:case_new"), {"id_number": number})

    content = response.content.decode()
    assert response.status_code == 200
    assert "Ingen person med det numret är registrerad" in content
    assert response.context["register_form"].initial["id_number"] == f"{number[:8]}-{number[8:]}"
    assert 'id="person-register"' in content


def test_a_wrong_check_digit_is_refused_in_swedish_and_the_typed_number_is_kept(logged_in):
    response = logged_in.post(reverse("sip:case_new"), {"id_number": "20150314-1235"})

    content = response.content.decode()
    assert "kontrollsiffra stämmer inte" in content
    assert 'value="20150314-1235"' in content
    assert response.context["register_form"] is None


def test_registering_in_the_wizard_goes_on_to_the_reason(logged_in, municipality):
    number = factories.personnummer(dt.date(2014, 2, 3), 42)

    response = logged_in.post(
        reverse("sip:case_new_register"),
        {
            "id_kind": "personnummer",
            "id_number": number,
            "first_name": "Selma",
            "last_name": "Lagerlöf",
            "gender": "female",
            "home_municipality": municipality.pk,
            "guardian_1": "Louise Lagerlöf",
            "guardian_1_custody": "on",
        },
    )

    individual = Individual.objects.get(id_number=number)
    assert response.url == reverse("sip:case_new_details", args=[individual.pk])
    assert individual.guardians.get().name == "Louise Lagerlöf"


def test_registering_a_known_number_links_to_the_wizard_step_of_that_person(logged_in, child):
    response = logged_in.post(
        reverse("sip:case_new_register"),
        {
            "id_kind": "personnummer",
            "id_number": child.id_number,
            "first_name": "Dubbel",
            "last_name": "Person",
            "gender": "female",
            "home_municipality": child.home_municipality.pk,
        },
    )

    content = response.content.decode()
    assert "Det finns redan en person registrerad" in content
    assert reverse("sip:case_new_details", args=[child.pk]) in content
    assert 'value="Dubbel"' in content
    assert Individual.objects.count() == 1


# --- step 2: reason -------------------------------------------------------------------------------


def test_opening_the_case_goes_on_to_consent(logged_in, child, unit, agreement):
    response = logged_in.post(
        reverse("sip:case_new_details", args=[child.pk]),
        {"convening_unit": unit.pk, "reason": "Oro för skolfrånvaro", "is_acute": "on"},
    )

    case = Case.objects.get()
    assert response.url == reverse("sip:case_new_consent", args=[case.pk])
    assert case.is_acute
    assert case.coordinator.memberships.get().unit == unit


def test_a_missing_reason_is_refused_and_the_rest_is_kept(logged_in, child, unit, agreement):
    response = logged_in.post(
        reverse("sip:case_new_details", args=[child.pk]),
        {"convening_unit": unit.pk, "reason": "", "is_acute": "on"},
    )

    content = response.content.decode()
    assert "Detta fält måste fyllas i." in content
    assert response.context["form"]["is_acute"].value() is True
    assert not Case.objects.exists()


def test_a_case_without_an_agreement_is_refused_with_the_services_message(logged_in, unit):
    gotland = factories.MunicipalityFactory(code="0980", name="Gotland", county=County.GOTLAND)
    stranger = factories.IndividualFactory(home_municipality=gotland, registered_by_unit=unit)

    response = logged_in.post(
        reverse("sip:case_new_details", args=[stranger.pk]),
        {"convening_unit": unit.pk, "reason": "Behov"},
    )

    assert "Det finns ingen överenskommelse" in response.content.decode()
    assert not Case.objects.exists()


# --- step 3: consent, step 4: what started -------------------------------------------------------


def test_consent_starts_the_kallelse_and_meeting_clocks_and_the_last_page_shows_them(
    logged_in, case, unit, bup
):
    guardians = [g.pk for g in case.individual.guardians.all()]

    response = logged_in.post(
        reverse("sip:case_new_consent", args=[case.pk]),
        {"given_at": "2026-06-12T09:30", "guardians": guardians, "units": [unit.pk, bup.pk]},
    )

    assert response.url == reverse("sip:case_new_done", args=[case.pk])
    done = logged_in.get(response.url)
    signals = done.context["signals"]
    assert [(s.kind, s.due_at.date(), s.days_left) for s in signals] == [
        ("kallelse", dt.date(2026, 6, 22), 5),
        ("sip_mote", dt.date(2026, 6, 29), 10),
    ]
    content = done.content.decode()
    assert "5 arbetsdagar kvar" in content
    assert "10 arbetsdagar kvar" in content
    assert set(case.consents.get().units.all()) == {unit, bup}


def test_a_refused_consent_keeps_the_chosen_units_and_the_time(logged_in, case, unit, bup):
    response = logged_in.post(
        reverse("sip:case_new_consent", args=[case.pk]),
        {"given_at": "2026-06-12T09:30", "guardians": [], "units": [unit.pk, bup.pk]},
    )

    content = response.content.decode()
    assert "varje vårdnadshavare som har vårdnaden" in content
    assert list(response.context["chosen"]) == sorted([unit, bup], key=lambda u: u.name)
    assert f'name="units" value="{bup.pk}"' in content
    assert 'value="2026-06-12T09:30"' in content
    assert not case.consents.exists()


def test_the_consent_step_starts_with_the_convening_unit_chosen(logged_in, case, unit):
    response = logged_in.get(reverse("sip:case_new_consent", args=[case.pk]))

    assert list(response.context["chosen"]) == [unit]


def test_the_wizard_steps_of_a_case_are_for_the_owner_and_colleague_only(
    client, coordinator, colleague, outsider, case
):
    with time_machine.travel(NOW, tick=False):
        for user, status in ((coordinator, 200), (colleague, 200), (outsider, 404)):
            login_verified(client, user)
            for name in ("sip:case_new_consent", "sip:case_new_done"):
                assert client.get(reverse(name, args=[case.pk])).status_code == status


# --- picking units --------------------------------------------------------------------------------


def test_the_unit_search_finds_by_name_kind_and_municipality(logged_in, school, bup):
    url = reverse("sip:unit_pick_search")

    by_name = logged_in.get(url, {"q": "tallback"}).context["page"]
    by_kind = logged_in.get(url, {"kind": Unit.Kind.BUP}).context["page"]
    by_place = logged_in.get(url, {"municipality": bup.municipality.code}).context["page"]

    assert list(by_name) == [school]
    assert list(by_kind) == [bup]
    assert list(by_place) == [bup]


def test_a_picked_unit_comes_back_as_a_hidden_input_with_a_labelled_remove_button(logged_in, bup):
    response = logged_in.get(reverse("sip:unit_pick_chip", args=[bup.pk]))

    content = response.content.decode()
    assert f'name="units" value="{bup.pk}"' in content
    assert f'aria-label="Ta bort {bup.name}"' in content


def test_the_unit_search_runs_the_same_queries_for_10_and_200_units(
    logged_in, django_assert_max_num_queries
):
    counts = []
    for added, shown in ((10, 11), (190, 20)):
        factories.UnitFactory.create_batch(added)
        with django_assert_max_num_queries(11), CaptureQueriesContext(connection) as queries:
            response = logged_in.get(reverse("sip:unit_pick_search"), {"q": ""})
        # The coordinator's own unit is in the directory too.
        assert len(response.context["page"]) == shown
        counts.append(len(queries))

    assert counts[0] == counts[1]
