import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from actors.models import Membership
from agreements.models import DeadlineRule
from deadlines.selectors import deadline_list_for_subject
from sip.placements import services
from sip.placements.models import CostSplit, Placement
from tests import factories
from tests.helpers import login_verified
from tests.sip.conftest import at
from tests.sip.placements.conftest import register, shares

pytestmark = pytest.mark.django_db

ADDRESS = "Björkvägen 7"


def detail_url(placement: Placement) -> str:
    return reverse("sip:placement_detail", args=[placement.pk])


def split_form(*rows, **fields):
    data = {
        "intervention": "",
        "description": "Placering HVB Björkgården",
        "basis": "procent",
        "total_amount": "",
        "ordered_by": "",
        "meeting": "",
        "andel-TOTAL_FORMS": "3",
        "andel-INITIAL_FORMS": "0",
        "andel-MIN_NUM_FORMS": "0",
        "andel-MAX_NUM_FORMS": "10",
    } | fields
    for index, (unit, value) in enumerate(rows):
        data[f"andel-{index}-unit"] = unit.pk
        data[f"andel-{index}-value"] = value
    return data


@pytest.fixture
def protected(coordinator, placing_unit, placed_child):
    return register(
        coordinator,
        placing_unit,
        placed_child,
        on=dt.date(2026, 4, 2),
        legal_basis=Placement.LegalBasis.LVU_IMMEDIATE,
        protected_residence=True,
    )


# --- registering and seeing the clocks ------------------------------------------------------------


def test_the_coordinator_registers_an_acute_placement_and_sees_its_clock(
    client, coordinator, placing_unit, placed_child
):
    login_verified(client, coordinator)
    form_page = client.get(reverse("sip:placement_create", args=[placed_child.pk]))
    assert placing_unit.name in form_page.content.decode()
    with time_machine.travel(at(2026, 4, 2, 10), tick=False):
        response = client.post(
            reverse("sip:placement_create", args=[placed_child.pk]),
            {
                "responsible_unit": placing_unit.pk,
                "case": "",
                "placement_type": "hvb",
                "legal_basis": "sol",
                "decided_on": "2026-04-02",
                "is_acute": "on",
                "starts_on": "2026-04-02",
                "residence_name": "HVB Björkgården",
                "residence_address": ADDRESS,
            },
        )
        placement = Placement.objects.get()
        assert response.status_code == 302
        assert response.url == detail_url(placement)
        page = client.get(detail_url(placement)).content.decode()
    assert "Kostnadsfördelning efter akut placering" in page
    assert "2026-04-20 23:59" in page
    assert ADDRESS in page


def test_bad_registration_input_is_refused_in_swedish_and_nothing_is_written(
    client, coordinator, placing_unit, placed_child
):
    login_verified(client, coordinator)
    with time_machine.travel(at(2026, 4, 2, 10), tick=False):
        response = client.post(
            reverse("sip:placement_create", args=[placed_child.pk]),
            {
                "responsible_unit": placing_unit.pk,
                "placement_type": "hvb",
                "legal_basis": "sol",
                "decided_on": "2026-04-02",
                "starts_on": "2026-03-30",
            },
        )
    assert response.status_code == 200
    assert "Placeringen kan inte börja före beslutet." in response.content.decode()
    assert not Placement.objects.exists()


# --- who sees what --------------------------------------------------------------------------------


def test_the_placing_team_and_parties_see_the_placement_and_an_outsider_does_not(
    client, easter_placement, coordinator, colleague, outsider, placing_unit, region_bup
):
    region_manager = factories.MembershipFactory(unit=region_bup, role=Membership.Role.MANAGER).user
    for user, status in ((coordinator, 200), (colleague, 200), (outsider, 404)):
        login_verified(client, user)
        assert client.get(detail_url(easter_placement)).status_code == status, user
    login_verified(client, region_manager)
    assert client.get(detail_url(easter_placement)).status_code == 404
    with time_machine.travel(at(2026, 4, 7, 9), tick=False):
        services.cost_split_propose(
            placement=easter_placement,
            basis="procent",
            description="Placering",
            ordered_by=placing_unit.huvudman,
            shares=shares((placing_unit, Decimal("50")), (region_bup, Decimal("50"))),
            by=coordinator,
        )
    # Representing a party in a cost split opens the page to that unit.
    assert client.get(detail_url(easter_placement)).status_code == 200
    login_verified(client, outsider)
    assert client.get(reverse("sip:placement_list")).content.decode().count("PL-2026") == 0


def test_participants_of_the_linked_sip_see_the_placement(
    client, held, coordinator, placing_unit, school
):
    placement = register(
        coordinator, placing_unit, held.case.individual, on=dt.date(2026, 6, 24), case=held.case
    )
    school_user = factories.MembershipFactory(unit=school).user
    login_verified(client, school_user)
    response = client.get(detail_url(placement))
    assert response.status_code == 200
    # They may look, not act for the placing municipality: the placement is no secret to them.
    assert "Föreslå kostnadsfördelning" not in response.content.decode()
    assert client.get(reverse("sip:cost_split_create", args=[placement.pk])).status_code == 403


def test_a_protected_place_of_residence_is_shown_only_to_users_with_the_right(
    client, protected, coordinator, colleague, outsider
):
    login_verified(client, coordinator)
    assert ADDRESS in client.get(detail_url(protected)).content.decode()
    login_verified(client, colleague)
    page = client.get(detail_url(protected)).content.decode()
    assert ADDRESS not in page
    assert "Björkgården" not in page
    assert "Hemlighållen vistelseort – visas bara för behöriga" in page
    assert ADDRESS not in client.get(reverse("sip:placement_list")).content.decode()
    login_verified(client, outsider)
    assert client.get(detail_url(protected)).status_code == 404


def test_an_authorised_coordinator_gives_a_colleague_the_right(
    client, protected, coordinator, colleague, outsider
):
    login_verified(client, colleague)
    response = client.post(
        reverse("sip:placement_authorise", args=[protected.pk]), {"user": colleague.pk}
    )
    assert "Bara den som själv är behörig" in response.content.decode()
    login_verified(client, coordinator)
    client.post(reverse("sip:placement_authorise", args=[protected.pk]), {"user": outsider.pk})
    assert not protected.authorised_users.filter(pk=outsider.pk).exists()
    client.post(reverse("sip:placement_authorise", args=[protected.pk]), {"user": colleague.pk})
    login_verified(client, colleague)
    assert ADDRESS in client.get(detail_url(protected)).content.decode()


# --- proposing and agreeing the split ------------------------------------------------------------


def test_shares_that_do_not_sum_to_100_are_refused_on_the_page_and_nothing_is_written(
    client, easter_placement, coordinator, placing_unit, region_bup
):
    login_verified(client, coordinator)
    form_page = client.get(reverse("sip:cost_split_create", args=[easter_placement.pk]))
    assert "Andelar per huvudman" in form_page.content.decode()
    response = client.post(
        reverse("sip:cost_split_create", args=[easter_placement.pk]),
        split_form((placing_unit, "70"), (region_bup, "20"), ordered_by=placing_unit.huvudman_id),
    )
    assert response.status_code == 200
    assert "Andelarna summerar till 90 %. De ska summera till exakt 100 %." in (
        response.content.decode()
    )
    assert not CostSplit.objects.exists()


def test_the_other_party_agrees_its_share_on_the_page_and_the_clock_is_met(
    client, easter_placement, coordinator, placing_unit, region_bup, region_manager
):
    login_verified(client, coordinator)
    with time_machine.travel(at(2026, 4, 8, 9), tick=False):
        response = client.post(
            reverse("sip:cost_split_create", args=[easter_placement.pk]),
            split_form(
                (placing_unit, "60"), (region_bup, "40"), ordered_by=placing_unit.huvudman_id
            ),
        )
    assert response.status_code == 302
    split = CostSplit.objects.get()
    share = split.shares.get(unit=region_bup)
    agree_url = reverse("sip:cost_share_agree", args=[easter_placement.pk, split.pk, share.pk])
    # The placing coordinator cannot agree for the region.
    client.post(agree_url)
    share.refresh_from_db()
    assert share.agreed_at is None

    login_verified(client, region_manager)
    page = client.get(detail_url(easter_placement)).content.decode()
    assert agree_url in page
    with time_machine.travel(at(2026, 4, 9, 9), tick=False):
        client.post(agree_url)
    split.refresh_from_db()
    assert split.status == CostSplit.Status.AGREED
    deadline = easter_placement_clock(easter_placement)
    assert deadline.status == "met"


def easter_placement_clock(placement):
    return deadline_list_for_subject(subject=placement).get(kind=DeadlineRule.Kind.COST_SPLIT_ACUTE)


def test_declining_without_a_reason_is_refused_and_leaves_the_split_proposed(
    client, easter_placement, coordinator, placing_unit, region_bup, region_manager
):
    with time_machine.travel(at(2026, 4, 8, 9), tick=False):
        split = services.cost_split_propose(
            placement=easter_placement,
            basis="procent",
            description="Placering",
            ordered_by=placing_unit.huvudman,
            shares=shares((placing_unit, Decimal("50")), (region_bup, Decimal("50"))),
            by=coordinator,
        )
    share = split.shares.get(unit=region_bup)
    login_verified(client, region_manager)
    response = client.post(
        reverse("sip:cost_share_decline", args=[easter_placement.pk, split.pk, share.pk]),
        {"reason": ""},
    )
    assert response.status_code == 200
    split.refresh_from_db()
    assert split.status == CostSplit.Status.PROPOSED


# --- ending ---------------------------------------------------------------------------------------


def test_ending_a_linked_placement_asks_to_book_a_follow_up_of_the_sip(
    client, held, coordinator, placing_unit
):
    case = held.case
    placement = register(
        coordinator, placing_unit, case.individual, on=dt.date(2026, 6, 24), case=case
    )
    login_verified(client, coordinator)
    with time_machine.travel(at(2026, 8, 3, 9), tick=False):
        client.post(
            reverse("sip:placement_end", args=[placement.pk]),
            {"ended_on": "2026-08-03", "reason": "Flyttar hem."},
        )
        page = client.get(detail_url(placement)).content.decode()
        listing = client.get(reverse("sip:placement_list")).content.decode()
    assert "Tidigare SIP följs upp eller en ny upprättas" in page
    assert reverse("sip:meeting_create", args=[case.pk]) in page
    assert reverse("sip:individual_detail", args=[case.individual_id]) in page
    assert "SIP ska följas upp" in listing

    factories.MeetingFactory(
        case=case, kind="uppfoljning", starts_at=at(2026, 8, 20, 10), place="Rum 1"
    )
    with time_machine.travel(at(2026, 8, 4, 9), tick=False):
        page = client.get(detail_url(placement)).content.decode()
    assert "Tidigare SIP följs upp eller en ny upprättas" not in page


def test_only_the_placing_team_can_end_a_placement(client, easter_placement, outsider, colleague):
    login_verified(client, outsider)
    url = reverse("sip:placement_end", args=[easter_placement.pk])
    assert client.post(url, {"ended_on": "2026-04-10", "reason": "x"}).status_code == 404
    login_verified(client, colleague)
    with time_machine.travel(at(2026, 4, 10, 9), tick=False):
        assert client.post(url, {"ended_on": "2026-04-10", "reason": "Hem."}).status_code == 302
    easter_placement.refresh_from_db()
    assert easter_placement.ended_on == dt.date(2026, 4, 10)


# --- query counts ---------------------------------------------------------------------------------


def _add_splits(placement, coordinator, placing_unit, region, n):
    with time_machine.travel(at(2026, 4, 8, 9), tick=False):
        for index in range(n):
            unit = factories.UnitFactory(huvudman=region, kind="bup")
            split = services.cost_split_propose(
                placement=placement,
                basis="procent",
                description=f"Kostnad {index}",
                ordered_by=placing_unit.huvudman,
                shares=shares((placing_unit, Decimal("50")), (unit, Decimal("50"))),
                by=coordinator,
            )
            # A settled split lets the next proposal for the same costs be made.
            services.cost_share_agree(
                share=split.shares.get(unit=unit),
                by=factories.MembershipFactory(unit=unit).user,
            )


@pytest.mark.parametrize("splits", [1, 6])
def test_the_placement_page_has_a_fixed_number_of_queries(
    client,
    easter_placement,
    coordinator,
    placing_unit,
    region,
    django_assert_max_num_queries,
    splits,
):
    _add_splits(easter_placement, coordinator, placing_unit, region, splits)
    login_verified(client, coordinator)
    # Including the access-log entry for reading the placed person's data.
    with django_assert_max_num_queries(18):
        response = client.get(detail_url(easter_placement))
    assert response.content.decode().count("Kostnad ") == splits


@pytest.mark.parametrize("placements", [1, 8])
def test_the_list_page_has_a_fixed_number_of_queries(
    client, coordinator, placing_unit, django_assert_max_num_queries, placements
):
    factories.PlacementFactory.create_batch(
        placements,
        responsible_unit=placing_unit,
        coordinator=coordinator,
        ended_on=dt.date(2026, 4, 1),
    )
    login_verified(client, coordinator)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("sip:placement_list"))
    assert response.content.decode().count("SIP ska följas upp") == placements


def test_the_list_paginates(client, coordinator, placing_unit):
    factories.PlacementFactory.create_batch(
        51, responsible_unit=placing_unit, coordinator=coordinator
    )
    login_verified(client, coordinator)
    first = client.get(reverse("sip:placement_list")).content.decode()
    second = client.get(reverse("sip:placement_list"), {"sida": 2}).content.decode()
    link = 'href="/sip/placeringar/'
    assert first.count(link) - first.count(f'{link}"') == 50
    assert second.count(link) - second.count(f'{link}"') == 1
