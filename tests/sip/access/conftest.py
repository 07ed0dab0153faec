import pytest

from tests.sip.access.world import build_world


@pytest.fixture
def world(agreement):
    """The roles' own world: its case is convened by `convener`, `participant`'s unit takes part."""
    return build_world(
        agreement=agreement,
        tag="egen",
        first_name="Siri",
        last_name="Hemligsson",
        address="Gömstället 7, 123 45 Tallby",
    )


@pytest.fixture
def foreign(agreement):
    """A world none of `world`'s users has any part in."""
    return build_world(
        agreement=agreement,
        tag="frammande",
        first_name="Tor",
        last_name="Främling",
        address="Bortavägen 3, 999 99 Fjärran",
    )


@pytest.fixture
def protected_world(agreement):
    """Like `world`, but the person has protected identity and residence; the convener is
    authorised for them (and has not unmasked them)."""
    return build_world(
        agreement=agreement,
        tag="skyddad",
        first_name="Sagolina",
        last_name="Doldsdotter",
        address="Lönngången 13, 111 22 Gömby",
        protected=True,
    )
