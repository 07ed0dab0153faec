"""New versions of an agreement, and attaching a county's huvudmän as parties."""

import datetime as dt

import pytest

from actors.models import County, Huvudman
from agreements.models import Agreement, ClosedDay, DeadlineRule, EscalationLevel
from agreements.services import agreement_attach_county_parties, agreement_new_version
from config.exceptions import ApplicationError
from tests.factories import (
    AgreementFactory,
    DeadlineRuleFactory,
    EscalationLevelFactory,
    HuvudmanFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

RULE_FIELDS = (
    "id",
    "kind",
    "start_event",
    "amount",
    "time_unit",
    "responsible",
    "reminder_offsets",
    "escalate_after",
    "source_section",
    "source_quote",
    "is_active",
)


def _rules(agreement: Agreement) -> list[tuple]:
    return list(
        DeadlineRule.objects.filter(agreement=agreement).order_by("kind").values_list(*RULE_FIELDS)
    )


def test_a_new_version_copies_rules_ladder_and_closed_days():
    old = Agreement.objects.get(code="norrbus", version=1)
    ClosedDay.objects.create(agreement=old, date=dt.date(2030, 6, 3), reason="Lokal stängning")
    admin = UserFactory()

    new = agreement_new_version(agreement=old, valid_from=dt.date(2030, 1, 1), by=admin)

    assert (new.code, new.version, new.valid_from, new.valid_to) == (
        "norrbus",
        2,
        dt.date(2030, 1, 1),
        None,
    )
    assert [row[1:] for row in _rules(new)] == [row[1:] for row in _rules(old)]
    assert list(new.escalation_levels.values_list("order", "name", "source_quote")) == list(
        old.escalation_levels.values_list("order", "name", "source_quote")
    )
    assert list(new.closed_days.values_list("date", "reason")) == [
        (dt.date(2030, 6, 3), "Lokal stängning")
    ]
    assert new.history.get().history_user == admin
    assert new.rules.first().history.get().history_user == admin


def test_a_new_version_closes_the_old_one_the_day_before_and_leaves_its_rules_untouched():
    old = Agreement.objects.get(code="norrbus", version=1)
    rules_before = _rules(old)
    levels_before = list(EscalationLevel.objects.filter(agreement=old).values_list())

    new = agreement_new_version(agreement=old, valid_from=dt.date(2030, 1, 1), by=None)
    DeadlineRule.objects.filter(agreement=new, kind=DeadlineRule.Kind.KALLELSE).update(amount=3)

    old.refresh_from_db()
    assert old.valid_to == dt.date(2029, 12, 31)
    assert _rules(old) == rules_before
    assert list(EscalationLevel.objects.filter(agreement=old).values_list()) == levels_before


def test_an_old_version_that_already_ended_keeps_its_end_date():
    old = Agreement.objects.get(code="norrbotten-missbruk-beroende")
    agreement_new_version(agreement=old, valid_from=dt.date(2026, 1, 1), by=None)
    old.refresh_from_db()
    assert old.valid_to == dt.date(2025, 6, 1)


def test_a_new_version_of_an_outdated_version_is_refused():
    old = AgreementFactory(valid_from=dt.date(2020, 1, 1))
    agreement_new_version(agreement=old, valid_from=dt.date(2021, 1, 1), by=None)
    with pytest.raises(ApplicationError, match="Det finns redan en nyare version"):
        agreement_new_version(agreement=old, valid_from=dt.date(2022, 1, 1), by=None)
    assert Agreement.objects.filter(code=old.code).count() == 2


def test_a_new_version_that_does_not_start_after_the_old_one_is_refused():
    old = AgreementFactory(valid_from=dt.date(2020, 1, 1))
    DeadlineRuleFactory(agreement=old)
    with pytest.raises(ApplicationError, match="måste börja gälla efter 2020-01-01"):
        agreement_new_version(agreement=old, valid_from=dt.date(2020, 1, 1), by=None)
    old.refresh_from_db()
    assert old.valid_to is None
    assert Agreement.objects.filter(code=old.code).count() == 1


def test_a_new_version_keeps_the_parties():
    old = AgreementFactory(valid_from=dt.date(2020, 1, 1))
    party = HuvudmanFactory()
    old.parties.add(party)
    EscalationLevelFactory(agreement=old)
    new = agreement_new_version(agreement=old, valid_from=dt.date(2021, 1, 1), by=None)
    assert list(new.parties.all()) == [party]


def test_attaching_county_parties_takes_every_region_and_kommun_of_the_county_only():
    agreement = Agreement.objects.get(code="norrbus")
    region = HuvudmanFactory(kind=Huvudman.Kind.REGION, county=County.NORRBOTTEN)
    kommun = HuvudmanFactory(kind=Huvudman.Kind.KOMMUN, county=County.NORRBOTTEN)
    HuvudmanFactory(kind=Huvudman.Kind.INDEPENDENT_SCHOOL, county=County.NORRBOTTEN)
    HuvudmanFactory(kind=Huvudman.Kind.KOMMUN, county=County.VASTMANLAND)

    assert agreement_attach_county_parties(agreement=agreement) == 2
    assert set(agreement.parties.all()) == {region, kommun}


def test_attaching_county_parties_twice_changes_nothing_the_second_time():
    agreement = Agreement.objects.get(code="norrbus")
    HuvudmanFactory(kind=Huvudman.Kind.REGION, county=County.NORRBOTTEN)
    agreement_attach_county_parties(agreement=agreement)
    assert agreement_attach_county_parties(agreement=agreement) == 0
    assert agreement.parties.count() == 1


def test_a_new_version_keeps_the_fallback_rule_and_payer():
    old = Agreement.objects.get(code="vastmanland-barn-och-unga", version=1)
    new = agreement_new_version(agreement=old, valid_from=dt.date(2030, 1, 1), by=UserFactory())
    assert (new.fallback_cost_rule, new.fallback_cost_payer) == (
        old.fallback_cost_rule,
        Agreement.FallbackPayer.ORDERING_HUVUDMAN,
    )
