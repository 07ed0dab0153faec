"""Validation of agreements and their rules: bad input gets a Swedish ValidationError."""

import datetime as dt

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from agreements.models import KIND_EVENTS, DeadlineRule, reminder_offsets_error
from tests.factories import AgreementFactory, DeadlineRuleFactory

pytestmark = pytest.mark.django_db


def _errors(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as info:
        instance.full_clean()
    return info.value.message_dict


def test_a_valid_rule_passes():
    DeadlineRuleFactory.build(agreement=AgreementFactory()).full_clean()


def test_a_zero_amount_is_refused():
    rule = DeadlineRuleFactory.build(agreement=AgreementFactory(), amount=0, reminder_offsets=[])
    assert "Antalet måste vara minst 1." in _errors(rule)["amount"]


def test_a_start_event_that_does_not_fit_the_kind_is_refused():
    rule = DeadlineRuleFactory.build(
        agreement=AgreementFactory(),
        kind=DeadlineRule.Kind.KALLELSE,
        start_event=DeadlineRule.StartEvent.ACUTE_PLACEMENT_DECISION,
    )
    (message,) = _errors(rule)["start_event"]
    assert message.startswith("Fristen ”Kallelse till SIP-möte” kan inte starta vid")
    assert "Samtycke lämnat" in message


def test_a_cost_split_may_start_only_from_an_acute_placement_decision():
    agreement = AgreementFactory()
    fitting = DeadlineRuleFactory.build(
        agreement=agreement,
        kind=DeadlineRule.Kind.COST_SPLIT_ACUTE,
        start_event=DeadlineRule.StartEvent.ACUTE_PLACEMENT_DECISION,
    )
    fitting.full_clean()
    fitting.start_event = DeadlineRule.StartEvent.CONSENT_GIVEN
    assert "start_event" in _errors(fitting)


def test_a_second_active_rule_of_one_kind_is_refused_in_swedish():
    existing = DeadlineRuleFactory()
    duplicate = DeadlineRuleFactory.build(agreement=existing.agreement)
    assert _errors(duplicate)[NON_FIELD_ERRORS] == [
        "Överenskommelsen har redan en aktiv fristregel av denna typ. Inaktivera den gamla "
        "regeln först."
    ]


def test_an_inactive_rule_may_share_its_kind_with_the_active_one():
    existing = DeadlineRuleFactory()
    DeadlineRuleFactory.build(agreement=existing.agreement, is_active=False).full_clean()


@pytest.mark.parametrize(
    ("offsets", "message"),
    [
        ([5], "Varje påminnelse måste vara mindre än fristens längd (5)."),
        ([2, 7], "Varje påminnelse måste vara mindre än fristens längd (5)."),
        ([0], "Varje påminnelse måste vara minst 1."),
        ([-1], "Varje påminnelse måste vara minst 1."),
        ([1, 1], "Samma påminnelse får inte anges två gånger."),
        (["2"], "Påminnelser anges som en lista med heltal, t.ex. [2, 1]."),
        ([True], "Påminnelser anges som en lista med heltal, t.ex. [2, 1]."),
        ([1.5], "Påminnelser anges som en lista med heltal, t.ex. [2, 1]."),
        ({"a": 1}, "Påminnelser anges som en lista med heltal, t.ex. [2, 1]."),
    ],
)
def test_bad_reminder_offsets_are_refused(offsets, message):
    rule = DeadlineRuleFactory.build(
        agreement=AgreementFactory(), amount=5, reminder_offsets=offsets
    )
    assert _errors(rule)["reminder_offsets"] == [message]


@pytest.mark.parametrize("offsets", [[], [4], [2, 1], [4, 3, 2, 1]])
def test_reminder_offsets_below_the_amount_are_accepted(offsets):
    assert reminder_offsets_error(offsets, 5) is None


def test_every_kind_has_its_allowed_start_events():
    assert set(KIND_EVENTS) == set(DeadlineRule.Kind.values)
    for events in KIND_EVENTS.values():
        assert events
        assert events <= set(DeadlineRule.StartEvent.values)


def test_an_agreement_that_ends_before_it_starts_is_refused():
    agreement = AgreementFactory.build(
        valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2024, 12, 31)
    )
    assert _errors(agreement)["valid_to"] == ["Slutdatum kan inte ligga före startdatum."]


def test_an_agreement_may_end_on_the_day_it_starts():
    AgreementFactory.build(
        valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 1, 1)
    ).full_clean()
