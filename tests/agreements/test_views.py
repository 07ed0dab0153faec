"""The admins' read-only agreement pages and the source text viewer."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models import Agreement
from agreements.selectors import source_lines
from tests import factories
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def sources(tmp_path, settings):
    settings.AGREEMENT_SOURCES_DIR = tmp_path
    return tmp_path


@pytest.fixture
def agreement(sources):
    (sources / "norrbus.txt").write_text(
        "\n".join(f"rad {n}" for n in range(1, 11)) + "\n", encoding="utf-8"
    )
    agreement = factories.AgreementFactory(
        source_document="norrbus.txt", source_title="Norrbus riktlinjer"
    )
    factories.DeadlineRuleFactory(
        agreement=agreement,
        source_section="norrbus.txt, Arbetsmodell för samverkan (rad 7–8)",
        source_quote="Kallelse senast inom fem arbetsdagar.",
    )
    factories.EscalationLevelFactory(agreement=agreement, order=1, source_section="avsnitt 2")
    return agreement


def pages(agreement: Agreement) -> list[str]:
    return [
        reverse("agreements:list"),
        reverse("agreements:rules"),
        reverse("agreements:detail", args=[agreement.pk]),
        reverse("agreements:source", args=[agreement.pk]),
    ]


def test_an_admin_opens_every_agreement_page(client, admin_user, agreement):
    login_verified(client, admin_user)
    for url in pages(agreement):
        assert client.get(url).status_code == 200, url


def test_coordinators_and_managers_are_refused(client, coordinator, manager, agreement):
    for user in (coordinator, manager):
        login_verified(client, user)
        for url in pages(agreement):
            assert client.get(url).status_code == 403, url


def test_the_detail_shows_each_rule_with_its_quote_and_a_link_to_the_cited_line(
    client, admin_user, agreement
):
    login_verified(client, admin_user)

    response = client.get(reverse("agreements:detail", args=[agreement.pk]))

    source = reverse("agreements:source", args=[agreement.pk])
    assert f'href="{source}#rad-7"' in response.text
    assert "Kallelse senast inom fem arbetsdagar." in response.text
    # A citation without a line number is shown, not linked.
    assert "avsnitt 2" in response.text
    assert "#rad-None" not in response.text


def test_the_source_text_marks_the_cited_lines(client, admin_user, agreement):
    login_verified(client, admin_user)

    response = client.get(reverse("agreements:source", args=[agreement.pk]))

    assert '<li id="rad-6">rad 6</li>' in response.text
    assert '<li id="rad-7" class="cited">rad 7</li>' in response.text
    assert '<li id="rad-8" class="cited">rad 8</li>' in response.text
    assert '<li id="rad-9">rad 9</li>' in response.text


@pytest.mark.parametrize("name", ["../secret.txt", "/etc/passwd", "saknas.txt", ""])
def test_a_source_name_outside_the_sources_folder_or_missing_is_not_read(
    client, admin_user, sources, name
):
    (sources.parent / "secret.txt").write_text("hemligt", encoding="utf-8")
    agreement = factories.AgreementFactory(source_document=name)
    login_verified(client, admin_user)

    response = client.get(reverse("agreements:source", args=[agreement.pk]))

    assert response.status_code == 200
    assert "hemligt" not in response.text
    assert "root:" not in response.text
    assert "finns inte på den här servern" in response.text


def test_an_unknown_agreement_is_404(client, admin_user):
    login_verified(client, admin_user)
    assert client.get(reverse("agreements:detail", args=[999999])).status_code == 404


def test_the_rule_list_filters_by_kind(client, admin_user, agreement):
    other = factories.DeadlineRuleFactory(kind="sip_mote", start_event="consent_given")
    login_verified(client, admin_user)

    response = client.get(reverse("agreements:rules"), {"kind": "sip_mote"})

    listed = list(response.context["page"])
    # The seeded agreements have meeting rules too.
    assert other in listed
    assert {rule.kind for rule in listed} == {"sip_mote"}


@pytest.mark.parametrize("name", ["agreements:list", "agreements:rules"])
def test_the_list_query_count_is_the_same_for_a_few_and_60_agreements(client, admin_user, name):
    login_verified(client, admin_user)
    counts = []
    for total in (6, 60):
        while Agreement.objects.count() < total:
            rule = factories.DeadlineRuleFactory()
            factories.EscalationLevelFactory(agreement=rule.agreement)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12


def test_the_detail_query_count_does_not_grow_with_rules_and_levels(client, admin_user):
    login_verified(client, admin_user)
    agreement = factories.AgreementFactory()
    counts = []
    kinds = ["kallelse", "sip_mote", "sip_mote_akut", "uppfoljning"]
    for total in (1, 4):
        for kind in kinds[agreement.rules.count() : total]:
            event = "meeting_held" if kind == "uppfoljning" else "consent_given"
            factories.DeadlineRuleFactory(agreement=agreement, kind=kind, start_event=event)
            factories.EscalationLevelFactory(agreement=agreement)
            agreement.parties.add(factories.HuvudmanFactory())
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("agreements:detail", args=[agreement.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    ("section", "lines"),
    [
        ("004.txt, Arbetsmodell (rad 587–589)", [587, 588, 589]),
        ("004.txt, Länsstyrgrupp (rad 809)", [809]),
        ("001.txt, Kostnadsansvar (rad 1231-1237)", list(range(1231, 1238))),
        ("000.txt, Beslut om rutin (41)", []),
    ],
)
def test_a_citation_names_the_lines_it_quotes(section, lines):
    assert list(source_lines(section)) == lines
