import importlib

import pytest
from django.core.management import call_command

from actors.demo import DEMO_LOGINS, DEMO_PASSWORD
from actors.models import County, Huvudman, Membership, Municipality, SteeringGroup, Unit, User
from agreements.models import Agreement

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (Huvudman, Municipality, Unit, User, Membership, SteeringGroup)
    ) + tuple(model.history.count() for model in (Huvudman, Unit, Membership))


def test_the_demo_has_both_regions_and_all_their_municipalities():
    call_command("seed_demo", stdout=None)

    assert Municipality.objects.filter(county=County.NORRBOTTEN).count() == 14
    assert Municipality.objects.filter(county=County.VASTMANLAND).count() == 10
    assert Huvudman.objects.filter(kind=Huvudman.Kind.REGION).count() == 2
    assert Huvudman.objects.filter(kind=Huvudman.Kind.KOMMUN).count() == 24
    assert set(Unit.objects.values_list("kind", flat=True)) >= {
        Unit.Kind.SOCIAL_IFO,
        Unit.Kind.PRIMARY_SCHOOL,
        Unit.Kind.BUP,
        Unit.Kind.DENTAL,
    }
    assert Unit.objects.filter(has_system_access=False).exists()


def test_seeding_the_demo_twice_changes_nothing():
    call_command("seed_demo")
    before = _counts()

    call_command("seed_demo")

    assert _counts() == before


def test_the_seeded_agreements_get_their_county_parties():
    call_command("seed_demo")

    norrbus = Agreement.objects.get(code="norrbus")
    assert norrbus.parties.filter(name="Region Norrbotten").exists()
    assert norrbus.parties.filter(kind=Huvudman.Kind.KOMMUN).count() == 14


@pytest.mark.parametrize("login", DEMO_LOGINS, ids=lambda login: login.username)
def test_every_demo_login_can_sign_in_and_reach_the_start_page(client, login, settings):
    # As under `make run`, whose settings switch the second factor off for the demo logins.
    settings.SAMORDNA_REQUIRE_2FA = importlib.import_module(
        "config.settings.local"
    ).SAMORDNA_REQUIRE_2FA
    call_command("seed_demo")

    response = client.post(
        "/logga-in/", {"username": login.username, "password": DEMO_PASSWORD}, follow=True
    )

    assert response.status_code == 200
    assert response.context["user"].username == login.username
    assert "Välkommen" in response.content.decode()
