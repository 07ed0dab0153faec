"""The admins' directory pages: huvudmän, professionals and steering groups."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actors.models import Membership
from tests import factories
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db

PAGES = ["actors:huvudman_list", "actors:professional_list", "actors:steering_group_list"]


@pytest.mark.parametrize("name", PAGES)
def test_an_admin_opens_the_page_and_a_coordinator_or_manager_is_refused(
    client, admin_user, coordinator, manager, name
):
    login_verified(client, admin_user)
    assert client.get(reverse(name)).status_code == 200
    for user in (coordinator, manager):
        login_verified(client, user)
        assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, name):
    assert client.get(reverse(name)).status_code == 302


def test_the_huvudman_list_counts_active_units_and_searches_by_name(client, admin_user):
    owner = factories.HuvudmanFactory(name="Bodens kommun")
    factories.UnitFactory.create_batch(2, huvudman=owner)
    factories.UnitFactory(huvudman=owner, is_active=False)
    factories.HuvudmanFactory(name="Region Norrbotten")
    login_verified(client, admin_user)

    response = client.get(reverse("actors:huvudman_list"), {"q": "boden"})

    assert [(o.name, o.unit_count) for o in response.context["page"]] == [("Bodens kommun", 2)]


def test_the_professional_list_shows_each_person_once_with_all_memberships(client, admin_user):
    person = factories.UserFactory(first_name="Sara", last_name="Lind")
    factories.MembershipFactory(user=person, unit__name="BUP Luleå")
    factories.MembershipFactory(user=person, unit__name="IFO Luleå", role=Membership.Role.MANAGER)
    factories.MembershipFactory(user__first_name="Per")
    login_verified(client, admin_user)

    response = client.get(reverse("actors:professional_list"), {"role": "manager"})

    assert list(response.context["page"]) == [person]
    assert "BUP Luleå – Handläggare/samordnare" in response.text
    assert "IFO Luleå – Chef" in response.text


def test_the_steering_group_list_filters_by_county(client, admin_user):
    group = factories.SteeringGroupFactory(county="19")
    group.members.add(factories.UserFactory(), factories.UserFactory())
    factories.SteeringGroupFactory(county="25")
    login_verified(client, admin_user)

    response = client.get(reverse("actors:steering_group_list"), {"county": "19"})

    assert [(g, g.member_count) for g in response.context["page"]] == [(group, 2)]


def _fill(name: str, total: int) -> None:
    if name == "actors:huvudman_list":
        factories.UnitFactory.create_batch(total)
    elif name == "actors:professional_list":
        for _ in range(total):
            person = factories.MembershipFactory().user
            factories.MembershipFactory(user=person)
    else:
        for _ in range(total):
            group = factories.SteeringGroupFactory()
            group.municipalities.add(factories.MunicipalityFactory())
            group.members.add(factories.UserFactory())


@pytest.mark.parametrize("name", PAGES)
def test_the_query_count_is_the_same_for_5_and_60_rows(client, admin_user, name):
    login_verified(client, admin_user)
    counts = []
    for total in (5, 55):
        _fill(name, total)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 13  # +1: the session's TOTP device


def test_the_lists_paginate_at_50(client, admin_user):
    factories.HuvudmanFactory.create_batch(51)
    login_verified(client, admin_user)

    response = client.get(reverse("actors:huvudman_list"), {"page": 2})

    assert len(response.context["page"]) == 1
    assert "Sida 2 av 2" in response.text
