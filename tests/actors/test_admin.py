import pytest
from django.urls import reverse

from actors.models import Unit
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_unit_changelist_links_to_the_import_page(client, login_verified, admin_user):
    login_verified(client, admin_user)

    response = client.get(reverse("admin:actors_unit_changelist"))

    assert reverse("actors:import") in response.content.decode()


def test_the_inactivate_action_deactivates_units_and_records_the_admin(
    client, login_verified, admin_user
):
    units = factories.UnitFactory.create_batch(2)
    factories.MembershipFactory(unit=units[0])
    login_verified(client, admin_user)

    response = client.post(
        reverse("admin:actors_unit_changelist"),
        {"action": "deactivate", "_selected_action": [unit.pk for unit in units]},
    )

    assert response.status_code == 302
    assert set(Unit.objects.values_list("is_active", flat=True)) == {False}
    assert units[0].history.first().history_user == admin_user


def test_bulk_delete_is_not_offered_for_units(client, login_verified, admin_user):
    factories.UnitFactory()
    login_verified(client, admin_user)

    response = client.get(reverse("admin:actors_unit_changelist"))

    assert "delete_selected" not in response.content.decode()


@pytest.mark.parametrize(
    "name",
    [
        "admin:actors_huvudman_change",
        "admin:actors_unit_change",
        "admin:actors_user_change",
        "admin:actors_membership_change",
    ],
)
def test_the_change_pages_with_inlines_open(client, login_verified, admin_user, name):
    membership = factories.MembershipFactory()
    obj = {
        "admin:actors_huvudman_change": membership.unit.huvudman,
        "admin:actors_unit_change": membership.unit,
        "admin:actors_user_change": membership.user,
        "admin:actors_membership_change": membership,
    }[name]
    login_verified(client, admin_user)

    assert client.get(reverse(name, args=[obj.pk])).status_code == 200


def test_the_municipality_and_steering_group_admins_open(client, login_verified, admin_user):
    factories.SteeringGroupFactory()
    login_verified(client, admin_user)

    for name in ("admin:actors_municipality_changelist", "admin:actors_steeringgroup_changelist"):
        assert client.get(reverse(name)).status_code == 200
