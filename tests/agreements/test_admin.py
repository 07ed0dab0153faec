"""The agreement admin: pages open for an admin, bad rules get form errors, versions via action."""

import datetime as dt

import pytest
from django.urls import reverse

from agreements.models import Agreement, DeadlineRule
from tests.factories import AgreementFactory, DeadlineRuleFactory, EscalationLevelFactory

pytestmark = pytest.mark.django_db


def _agreement_form(agreement: Agreement, rules: list[dict]) -> dict:
    data = {
        "code": agreement.code,
        "version": agreement.version,
        "name": agreement.name,
        "county": agreement.county,
        "target_group": agreement.target_group,
        "valid_from": agreement.valid_from.isoformat(),
        "valid_to": "",
        "create_deviation_drafts": "on",
        "fallback_cost_rule": "",
        "source_document": agreement.source_document,
        "source_title": "",
        "rules-TOTAL_FORMS": len(rules),
        "rules-INITIAL_FORMS": 0,
        "escalation_levels-TOTAL_FORMS": 0,
        "escalation_levels-INITIAL_FORMS": 0,
        "closed_days-TOTAL_FORMS": 0,
        "closed_days-INITIAL_FORMS": 0,
    }
    for index, rule in enumerate(rules):
        row = {
            "kind": DeadlineRule.Kind.KALLELSE,
            "is_active": "on",
            "start_event": DeadlineRule.StartEvent.CONSENT_GIVEN,
            "amount": 5,
            "time_unit": DeadlineRule.TimeUnit.WORKING_DAYS,
            "responsible": DeadlineRule.Responsible.CONVENING_UNIT,
            "reminder_offsets": "[2, 1]",
            "escalate_after": "",
            "source_section": "test.txt, avsnitt 1",
            "source_quote": "",
        } | rule
        data |= {f"rules-{index}-{key}": value for key, value in row.items()}
    return data


def test_the_changelist_opens_for_an_admin_with_a_fixed_number_of_queries(
    client, login_verified, admin_user, django_assert_max_num_queries
):
    login_verified(client, admin_user)
    for _ in range(10):
        EscalationLevelFactory(agreement=DeadlineRuleFactory().agreement)
    # 15: one of them loads the session's TOTP device to check the second factor.
    with django_assert_max_num_queries(15):
        response = client.get(
            reverse("admin:agreements_agreement_changelist"), {"county__exact": "25"}
        )
    assert response.status_code == 200
    assert "Norrbus" in response.text
    assert len(response.context["cl"].result_list) == 12


def test_the_change_page_shows_each_rule_with_its_source(client, login_verified, admin_user):
    login_verified(client, admin_user)
    norrbus = Agreement.objects.get(code="norrbus")
    response = client.get(reverse("admin:agreements_agreement_change", args=[norrbus.pk]))
    assert response.status_code == 200
    assert "senast inom fem arbetsdagar" in response.text
    assert "004_f032565bf336a804.txt, Arbetsmodell för samverkan" in response.text


def test_the_add_and_history_pages_open(client, login_verified, admin_user):
    login_verified(client, admin_user)
    norrbus = Agreement.objects.get(code="norrbus")
    assert client.get(reverse("admin:agreements_agreement_add")).status_code == 200
    assert (
        client.get(reverse("admin:agreements_agreement_history", args=[norrbus.pk])).status_code
        == 200
    )


def test_search_finds_an_agreement_by_source_document(client, login_verified, admin_user):
    login_verified(client, admin_user)
    response = client.get(reverse("admin:agreements_agreement_changelist"), {"q": "003_915"})
    assert list(response.context["cl"].result_list) == [
        Agreement.objects.get(code="vastmanland-vuxna")
    ]


def test_two_active_rules_of_one_kind_get_a_form_error_not_a_crash(
    client, login_verified, admin_user
):
    login_verified(client, admin_user)
    agreement = AgreementFactory()
    response = client.post(
        reverse("admin:agreements_agreement_change", args=[agreement.pk]),
        _agreement_form(agreement, [{}, {"amount": 7}]),
    )
    assert response.status_code == 200
    assert "Två aktiva fristregler av typen ”Kallelse till SIP-möte”" in response.text
    assert not agreement.rules.exists()


def test_a_rule_with_a_wrong_start_event_gets_a_swedish_form_error(
    client, login_verified, admin_user
):
    login_verified(client, admin_user)
    agreement = AgreementFactory()
    response = client.post(
        reverse("admin:agreements_agreement_change", args=[agreement.pk]),
        _agreement_form(agreement, [{"start_event": DeadlineRule.StartEvent.LVU_CUSTODY}]),
    )
    assert response.status_code == 200
    assert "kan inte starta vid" in response.text
    assert not agreement.rules.exists()


def test_a_valid_rule_is_saved_with_its_reminders(client, login_verified, admin_user):
    login_verified(client, admin_user)
    agreement = AgreementFactory()
    response = client.post(
        reverse("admin:agreements_agreement_change", args=[agreement.pk]),
        _agreement_form(agreement, [{}]),
    )
    assert response.status_code == 302
    assert agreement.rules.get().reminder_offsets == [2, 1]


def test_the_new_version_action_asks_for_a_date_then_creates_the_version(
    client, login_verified, admin_user
):
    login_verified(client, admin_user)
    norrbus = Agreement.objects.get(code="norrbus")
    url = reverse("admin:agreements_agreement_changelist")
    selection = {"action": "create_new_version", "_selected_action": [norrbus.pk]}

    asked = client.post(url, selection)
    assert asked.status_code == 200
    assert "Ny version gäller från" in asked.text

    done = client.post(url, selection | {"apply": "1", "valid_from": "2030-01-01"}, follow=True)
    assert done.status_code == 200
    new = Agreement.objects.get(code="norrbus", version=2)
    assert new.valid_from == dt.date(2030, 1, 1)
    assert new.rules.count() == 3
    assert new.history.get().history_user == admin_user


def test_the_new_version_action_reports_a_refusal(client, login_verified, admin_user):
    login_verified(client, admin_user)
    norrbus = Agreement.objects.get(code="norrbus")
    response = client.post(
        reverse("admin:agreements_agreement_changelist"),
        {
            "action": "create_new_version",
            "_selected_action": [norrbus.pk],
            "apply": "1",
            "valid_from": "2010-01-01",
        },
        follow=True,
    )
    assert "måste börja gälla efter 2013-01-01" in response.text
    assert not Agreement.objects.filter(code="norrbus", version=2).exists()
