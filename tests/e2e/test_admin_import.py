import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from actors.models import Membership, Unit
from tests import factories
from tests.actors.csvdata import GOOD
from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_admin_imports_a_directory_csv_after_a_preview(page: Page, tmp_path):
    admin = factories.UserFactory(
        username="admin.e2e", first_name="Eva", last_name="Strand", is_staff=True, is_superuser=True
    )
    upload = tmp_path / "katalog.csv"
    upload.write_text(GOOD, encoding="utf-8")

    login(page, admin.username)
    page.get_by_role("link", name="Importera katalog").click()
    page.get_by_label("CSV-fil").set_input_files(upload)
    page.get_by_role("button", name="Granska fil").click()

    expect(page.get_by_role("status")).to_contain_text("Förhandsgranskning: 4 nya")
    expect(page.get_by_role("cell", name="lulea-ifo").first).to_be_visible()
    assert not Unit.objects.filter(key="lulea-ifo").exists(), "the preview must not save"
    screenshot(page, "admin-import-preview")

    page.get_by_role("button", name="Bekräfta och importera").click()

    expect(page.get_by_role("status")).to_contain_text("Katalogen importerad: 4 nya")
    expect(page.get_by_role("link", name="Socialtjänst IFO Luleå")).to_be_visible()
    assert Unit.objects.filter(key__in=["lulea-ifo", "bup-lulea"]).count() == 2
    assert Membership.objects.filter(user__username="anna.a").count() == 2
    screenshot(page, "admin-directory")

    page.get_by_role("link", name="Yrkespersoner").click()
    expect(page.get_by_role("cell", name="BUP Luleå – Chef")).to_be_visible()
    screenshot(page, "admin-professionals")


def test_an_admin_reads_an_agreements_rules_and_follows_a_citation_to_its_source(
    page: Page, settings, tmp_path
):
    settings.AGREEMENT_SOURCES_DIR = tmp_path
    lines = [f"Rad {n} i riktlinjerna." for n in range(1, 801)]
    lines[586] = "När de lämnat sitt samtycke ska en kallelse göras,"
    lines[587] = "senast inom fem arbetsdagar."
    (tmp_path / "004_f032565bf336a804.txt").write_text("\n".join(lines), encoding="utf-8")
    admin = factories.UserFactory(
        username="admin.avtal",
        first_name="Eva",
        last_name="Strand",
        is_staff=True,
        is_superuser=True,
    )
    agreement = factories.AgreementFactory(
        code="norrbus",
        valid_from=dt.date(2013, 1, 1),
        name="Norrbus – riktlinjer för samverkan kring barn och unga",
        source_document="004_f032565bf336a804.txt",
        source_title="Norrbus – Gemensamma riktlinjer för samverkan för barn och unga",
    )
    factories.DeadlineRuleFactory(
        agreement=agreement,
        source_section="004_f032565bf336a804.txt, Arbetsmodell för samverkan (rad 587–589)",
        source_quote=(
            "När de lämnat sitt samtycke ska en kallelse göras, senast inom fem arbetsdagar."
        ),
    )
    factories.EscalationLevelFactory(
        agreement=agreement,
        order=1,
        name="Kommunnivå",
        kind="steering_group",
        steering_group_kind="kommun",
        source_section="004_f032565bf336a804.txt, Oenighet vid tillämpning (rad 767–772)",
    )

    login(page, admin.username)
    page.get_by_role("link", name="Överenskommelser").click()
    page.get_by_role("link", name=agreement.name).click()

    expect(page.get_by_role("cell", name="Kallelse till SIP-möte")).to_be_visible()
    expect(page.get_by_text("senast inom fem arbetsdagar")).to_be_visible()
    expect(
        page.get_by_role("link", name="Arbetsmodell för samverkan (rad 587–589)")
    ).to_have_attribute("href", f"/avtal/{agreement.pk}/kalla/#rad-587")
    screenshot(page, "admin-agreement")

    page.get_by_role("link", name="Arbetsmodell för samverkan (rad 587–589)").click()
    cited = page.locator("#rad-587")
    expect(cited).to_have_text("När de lämnat sitt samtycke ska en kallelse göras,")
    expect(cited).to_have_class("cited")
    expect(cited).to_be_in_viewport()
    screenshot(page, "admin-agreement-source", full_page=False)
