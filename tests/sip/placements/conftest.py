"""A placing municipality's social services (the coordinator's unit, in Norrbotten under the seeded
Norrbus agreement), the region as the other party, and a child to place."""

import datetime as dt

import pytest
import time_machine

from actors.models import County, Huvudman, Membership, Unit
from sip.placements import services
from sip.placements.models import Placement
from tests import factories
from tests.sip.conftest import at


@pytest.fixture
def placing_unit(coordinator):
    """The coordinator's social-services unit; its municipality is in Norrbotten (Norrbus)."""
    unit = coordinator.memberships.get().unit
    assert unit.municipality.county == County.NORRBOTTEN
    return unit


@pytest.fixture
def region(db):
    return factories.HuvudmanFactory(
        name="Region Norrbotten", kind=Huvudman.Kind.REGION, county=County.NORRBOTTEN
    )


@pytest.fixture
def region_bup(region):
    return factories.UnitFactory(huvudman=region, kind=Unit.Kind.BUP, name="BUP Luleå")


@pytest.fixture
def region_manager(region_bup):
    """The manager of a health-care unit of the other party: agrees the region's share."""
    return factories.MembershipFactory(unit=region_bup, role=Membership.Role.MANAGER).user


@pytest.fixture
def health_centre(region):
    return factories.UnitFactory(
        huvudman=region, kind=Unit.Kind.PRIMARY_CARE, name="Hälsocentralen Hertsön"
    )


@pytest.fixture
def dental(region):
    return factories.UnitFactory(huvudman=region, kind=Unit.Kind.DENTAL, name="Folktandvården")


@pytest.fixture
def placed_child(placing_unit):
    return factories.IndividualFactory(
        home_municipality=placing_unit.municipality,
        first_name="Elsa",
        last_name="Nilsson",
        registered_by_unit=placing_unit,
    )


def register(coordinator, unit, child, *, on: dt.date, **overrides) -> Placement:
    """Register a placement as the coordinator on the decision day at 10:00."""
    data = {
        "placement_type": Placement.Form.HVB,
        "legal_basis": Placement.LegalBasis.SOL,
        "decided_on": on,
        "starts_on": on,
        "is_acute": True,
        "residence_name": "HVB Björkgården",
        "residence_address": "Björkvägen 7\n961 00 Boden",
    } | overrides
    with time_machine.travel(at(on.year, on.month, on.day, 10), tick=False):
        return services.placement_register(
            individual=child, responsible_unit=unit, by=coordinator, **data
        )


@pytest.fixture
def easter_placement(coordinator, placing_unit, placed_child):
    """An acute placement decided on Maundy Thursday, 2 April 2026."""
    return register(coordinator, placing_unit, placed_child, on=dt.date(2026, 4, 2))


def shares(*pairs):
    return [services.ShareData(unit=unit, value=value) for unit, value in pairs]
