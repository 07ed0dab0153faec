"""The access rules on the feature packages' own pages: placements, deviation reports and the
coordinator's worklist. The matrix checks who gets which answer; these check what the pages show
and log."""

import pytest
import time_machine
from django.urls import reverse

from sip.access.models import AccessLogEntry
from tests import factories
from tests.helpers import login_verified
from tests.sip.access.world import NOW

pytestmark = pytest.mark.django_db


def get(client, user, url):
    with time_machine.travel(NOW, tick=False):
        login_verified(client, user)
        return client.get(url)


def new_entries(before: int) -> list[AccessLogEntry]:
    return list(AccessLogEntry.objects.order_by("pk")[before:])


# --- placements -----------------------------------------------------------------------------------


def test_the_placement_list_writes_one_entry_per_placement_for_the_unit_acted_for(client, world):
    before = AccessLogEntry.objects.count()

    page = get(client, world.users["participant"], reverse("sip:placement_list"))

    assert world.placement.reference in page.content.decode()
    assert [
        (entry.action, entry.individual, entry.case, entry.unit) for entry in new_entries(before)
    ] == [(AccessLogEntry.Action.LIST, world.individual, world.case, world.participating_unit)]


def test_a_placing_colleague_who_may_not_read_the_case_sees_the_placement_without_it(client, world):
    neighbours = factories.UnitFactory(municipality=world.convening_unit.municipality)
    colleague = factories.MembershipFactory(unit=neighbours).user
    before = AccessLogEntry.objects.count()

    page = get(client, colleague, reverse("sip:placement_detail", args=[world.placement.pk]))

    assert page.status_code == 200
    assert world.case.reference not in page.content.decode()
    [entry] = new_entries(before)
    assert (entry.individual, entry.case, entry.unit) == (world.individual, None, neighbours)
    case_page = get(client, colleague, reverse("sip:case_detail", args=[world.case.pk]))
    assert case_page.status_code == 404


def test_a_protected_persons_placement_shows_the_residence_only_once_unmasked(
    client, protected_world
):
    convener = protected_world.users["convener"]
    url = reverse("sip:placement_detail", args=[protected_world.placement.pk])
    assert "Lönngången" not in get(client, convener, url).content.decode()

    with time_machine.travel(NOW, tick=False):
        client.post(
            reverse("sip:access:unmask", args=[protected_world.individual.pk]),
            {"reason": "Ska ordna skolskjuts.", "case": protected_world.case.pk},
        )
    page = get(client, convener, url).content.decode()

    assert "Lönngången" in page
    assert "Sagolina Doldsdotter" in page


# --- deviation reports ----------------------------------------------------------------------------


def test_a_deviation_report_names_the_person_only_to_those_who_may_read_the_case(client, world):
    url = reverse("sip:deviation_detail", args=[world.report.pk])
    before = AccessLogEntry.objects.count()

    participant_page = get(client, world.users["participant"], url).content.decode()
    [entry] = new_entries(before)
    steering_page = get(client, world.users["steering"], url).content.decode()

    assert "Siri Hemligsson" in participant_page
    assert (entry.action, entry.case, entry.unit) == (
        AccessLogEntry.Action.VIEW,
        world.case,
        world.participating_unit,
    )
    assert "Hemligsson" not in steering_page
    assert "[namn]" in steering_page
    assert world.case.reference not in steering_page
    assert AccessLogEntry.objects.count() == before + 1


def test_a_protected_persons_name_is_masked_in_a_report_until_unmasked(client, protected_world):
    convener = protected_world.users["convener"]
    url = reverse("sip:deviation_detail", args=[protected_world.report.pk])
    assert "Doldsdotter" not in get(client, convener, url).content.decode()

    with time_machine.travel(NOW, tick=False):
        client.post(
            reverse("sip:access:unmask", args=[protected_world.individual.pk]),
            {"reason": "Ska besvara avvikelsen.", "case": protected_world.case.pk},
        )

    assert "Sagolina Doldsdotter" in get(client, convener, url).content.decode()


# --- the worklist ---------------------------------------------------------------------------------


def search(client, user, text: str) -> str:
    with time_machine.travel(NOW, tick=False):
        login_verified(client, user)
        client.post(reverse("sip:case_list"), {"q": text, "status": "alla"})
        return client.get(reverse("sip:case_list")).content.decode()


def test_the_worklist_search_finds_a_protected_identity_only_for_those_authorised(
    client, protected_world
):
    reference = protected_world.case.reference

    participant_hits = search(client, protected_world.users["participant"], "Doldsdotter")
    convener_hits = search(client, protected_world.users["convener"], "Doldsdotter")

    assert reference not in participant_hits
    assert reference in convener_hits
    assert "Doldsdotter" not in convener_hits.replace('value="Doldsdotter"', "")
    assert reference in search(client, protected_world.users["participant"], "")
