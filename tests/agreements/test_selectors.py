"""Which agreement version is in force on a date."""

import datetime as dt

import pytest

from actors.models import County
from agreements.models import Agreement, DeadlineRule
from agreements.selectors import agreement_for, deadline_rule_get, escalation_ladder
from agreements.services import agreement_new_version

pytestmark = pytest.mark.django_db


def test_agreement_for_picks_the_version_in_force_on_each_side_of_the_change():
    old = Agreement.objects.get(code="norrbus", version=1)
    new = agreement_new_version(agreement=old, valid_from=dt.date(2030, 1, 1), by=None)

    def on(day: dt.date) -> Agreement | None:
        return agreement_for(county=County.NORRBOTTEN, target_group="barn", on=day)

    assert on(dt.date(2029, 12, 31)) == old
    assert on(dt.date(2030, 1, 1)) == new
    assert on(dt.date(2012, 12, 31)) is None


def test_agreement_for_finds_nothing_after_a_plan_has_expired():
    def on(day: dt.date) -> Agreement | None:
        return agreement_for(county=County.NORRBOTTEN, target_group="vuxna", on=day)

    assert on(dt.date(2025, 6, 1)).code == "norrbotten-missbruk-beroende"
    assert on(dt.date(2025, 6, 2)) is None


def test_agreement_for_tells_counties_and_target_groups_apart():
    day = dt.date(2024, 3, 1)
    assert agreement_for(county=County.VASTMANLAND, target_group="vuxna", on=day).code == (
        "vastmanland-vuxna"
    )
    assert agreement_for(county=County.VASTERBOTTEN, target_group="barn", on=day).code == (
        "vasterbotten-tidig-upptackt"
    )
    assert agreement_for(county=County.VASTERBOTTEN, target_group="vuxna", on=day) is None


def test_deadline_rule_get_returns_none_where_the_seed_sets_no_clock():
    norrbus = Agreement.objects.get(code="norrbus")
    assert deadline_rule_get(agreement=norrbus, kind=DeadlineRule.Kind.KALLELSE).amount == 5
    assert deadline_rule_get(agreement=norrbus, kind=DeadlineRule.Kind.MEETING_ACUTE) is None


def test_escalation_ladder_is_ordered_from_the_lowest_level():
    ladder = escalation_ladder(agreement=Agreement.objects.get(code="vastmanland-vuxna"))
    assert [level.name for level in ladder] == [
        "Ansvariga chefer",
        "Lokal ledningsgrupp (VuS-grupp)",
        "Välfärd, Region Västmanland",
        "Lämpligt forum",
    ]
