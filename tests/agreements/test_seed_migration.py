"""The data migration loads the five seeded agreements, true to their source documents."""

import datetime as dt
import re

import pytest
from django.conf import settings

from agreements.models import Agreement, DeadlineRule, EscalationLevel

pytestmark = pytest.mark.django_db

SEED_CITATION = re.compile(r"^(?P<file>\d{3}_[0-9a-f]{16}\.txt), \S.+$")
SEEDS_DIR = settings.BASE_DIR.parent / "shared" / "seeds"

EXPECTED_AGREEMENTS = {
    "norrbus": ("25", "barn", dt.date(2013, 1, 1), None, "004_f032565bf336a804.txt"),
    "vastmanland-barn-och-unga": (
        "19",
        "barn",
        dt.date(2022, 1, 1),
        None,
        "001_9052c93f2ab8e534.txt",
    ),
    "vastmanland-vuxna": ("19", "vuxna", dt.date(2022, 1, 1), None, "003_915feff060388358.txt"),
    "vasterbotten-tidig-upptackt": (
        "24",
        "barn",
        dt.date(2023, 1, 24),
        None,
        "000_23edd7ab18e8bffa.txt",
    ),
    "norrbotten-missbruk-beroende": (
        "25",
        "vuxna",
        dt.date(2021, 6, 1),
        dt.date(2025, 6, 1),
        "002_404a1a4e41951c6a.txt",
    ),
}

# (kind, start event, amount, unit, responsible): every clock the seeds give a number for, no more.
EXPECTED_RULES = {
    "norrbus": {
        ("kallelse", "consent_given", 5, "working_days", "convening_unit"),
        ("sip_mote", "consent_given", 10, "working_days", "convening_unit"),
        (
            "kostnadsfordelning_akut",
            "acute_placement_decision",
            10,
            "working_days",
            "placing_social_services",
        ),
    },
    "vastmanland-barn-och-unga": {
        (
            "gemensam_planering_akut",
            "acute_placement_decision",
            2,
            "weeks",
            "placing_social_services",
        ),
        ("lakarundersokning_lvu", "lvu_medical_decision", 4, "weeks", "health_care"),
    },
    "vastmanland-vuxna": set(),
    "vasterbotten-tidig-upptackt": {
        ("skyddsbedomning", "concern_report_received", 24, "hours", "social_services"),
        ("forhandsbedomning", "concern_report_received", 14, "calendar_days", "social_services"),
    },
    "norrbotten-missbruk-beroende": set(),
}

# DOMAIN.md §5, as (kind, steering group kind) from the lowest level up.
EXPECTED_LADDERS = {
    "norrbus": [
        ("steering_group", "kommun"),
        ("steering_group", "lansdel"),
        ("steering_group", "lansstyrgrupp"),
        ("steering_group", "politisk"),
    ],
    "vastmanland-barn-och-unga": [
        ("operational", ""),
        ("unit_managers", ""),
        ("steering_group", "bus"),
        ("steering_group", "beredningsgrupp"),
        ("steering_group", "chefsforum"),
        ("steering_group", "politisk"),
    ],
    "vastmanland-vuxna": [
        ("unit_managers", ""),
        ("steering_group", "vus"),
        ("steering_group", "valfard"),
        ("steering_group", ""),
    ],
    "vasterbotten-tidig-upptackt": [("operational", ""), ("steering_group", "beredningsgrupp")],
    "norrbotten-missbruk-beroende": [],
}


def _seeded(code: str) -> Agreement:
    return Agreement.objects.get(code=code, version=1)


def _normalized(text: str) -> str:
    return " ".join(text.split())


def test_it_loads_exactly_the_five_seeded_agreements():
    assert set(Agreement.objects.values_list("code", flat=True)) == set(EXPECTED_AGREEMENTS)


@pytest.mark.parametrize("code", sorted(EXPECTED_AGREEMENTS))
def test_each_agreement_has_its_county_group_dates_and_source(code):
    agreement = _seeded(code)
    county, group, valid_from, valid_to, source = EXPECTED_AGREEMENTS[code]
    assert (
        agreement.county,
        agreement.target_group,
        agreement.valid_from,
        agreement.valid_to,
        agreement.source_document,
    ) == (county, group, valid_from, valid_to, source)


@pytest.mark.parametrize("code", sorted(EXPECTED_RULES))
def test_each_agreement_has_exactly_the_clocks_its_seed_gives(code):
    rules = set(
        _seeded(code).rules.values_list("kind", "start_event", "amount", "time_unit", "responsible")
    )
    assert rules == EXPECTED_RULES[code]


def test_norrbus_kallelse_is_five_working_days_from_consent():
    rule = DeadlineRule.objects.get(agreement__code="norrbus", kind=DeadlineRule.Kind.KALLELSE)
    assert (rule.amount, rule.time_unit, rule.start_event) == (5, "working_days", "consent_given")
    assert "senast inom fem arbetsdagar" in rule.source_quote


def test_norrbus_has_no_invented_clock_for_the_acute_meeting():
    assert not DeadlineRule.objects.filter(
        agreement__code="norrbus", kind=DeadlineRule.Kind.MEETING_ACUTE
    ).exists()


def test_vastmanland_children_joint_planning_is_two_weeks_after_an_acute_placement():
    rule = DeadlineRule.objects.get(
        agreement__code="vastmanland-barn-och-unga", kind=DeadlineRule.Kind.JOINT_PLANNING_ACUTE
    )
    assert (rule.amount, rule.time_unit) == (2, "weeks")


def test_vastmanland_children_falls_back_to_the_ordering_huvudman_paying():
    assert (
        "den huvudman som beställt insatsen stå för kostnaden"
        in _seeded("vastmanland-barn-och-unga").fallback_cost_rule
    )


def test_vasterbotten_protection_assessment_is_24_hours_from_a_report_of_concern():
    rule = DeadlineRule.objects.get(
        agreement__code="vasterbotten-tidig-upptackt", kind=DeadlineRule.Kind.PROTECTION_ASSESSMENT
    )
    assert (rule.amount, rule.time_unit, rule.start_event) == (
        24,
        "hours",
        "concern_report_received",
    )


@pytest.mark.parametrize("code", sorted(EXPECTED_LADDERS))
def test_each_ladder_climbs_in_the_order_of_domain_section_5(code):
    ladder = list(
        EscalationLevel.objects.filter(agreement=_seeded(code))
        .order_by("order")
        .values_list("kind", "steering_group_kind")
    )
    assert ladder == EXPECTED_LADDERS[code]


def test_every_rule_and_level_cites_its_own_seed_file_and_a_quote():
    citations = [
        (rule.agreement.source_document, rule.source_section, rule.source_quote)
        for rule in DeadlineRule.objects.select_related("agreement")
    ] + [
        (level.agreement.source_document, level.source_section, level.source_quote)
        for level in EscalationLevel.objects.select_related("agreement")
    ]
    assert len(citations) == 23
    for source_document, section, quote in citations:
        match = SEED_CITATION.match(section)
        assert match, section
        assert match["file"] == source_document
        assert quote.strip()


@pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason=f"seed documents not found at {SEEDS_DIR}")
def test_every_quote_is_found_word_for_word_in_its_seed_file():
    texts = {path.name: _normalized(path.read_text()) for path in SEEDS_DIR.glob("*.txt")}
    quotes = list(
        DeadlineRule.objects.values_list("agreement__source_document", "source_quote")
    ) + list(EscalationLevel.objects.values_list("agreement__source_document", "source_quote"))
    for source_document, quote in quotes:
        assert _normalized(quote) in texts[source_document], quote


def test_every_seeded_rule_passes_the_models_own_validation():
    for rule in DeadlineRule.objects.all():
        rule.full_clean()


def test_the_migration_leaves_parties_for_the_directory_to_fill():
    assert not Agreement.parties.through.objects.exists()


def test_only_vastmanland_children_names_a_fallback_payer_the_system_can_apply():
    payers = dict(Agreement.objects.values_list("code", "fallback_cost_payer"))
    assert payers == {
        "norrbus": "",
        "vastmanland-barn-och-unga": Agreement.FallbackPayer.ORDERING_HUVUDMAN,
        "vastmanland-vuxna": "",
        "vasterbotten-tidig-upptackt": "",
        "norrbotten-missbruk-beroende": "",
    }
