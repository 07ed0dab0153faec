"""Who sees the statistics, that no page or file carries personal data, and fixed query counts."""

import datetime as dt
import io
import re
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from sip.deviations.models import DeviationReport
from sip.identity import format_id_number
from tests import factories
from tests.helpers import login_verified
from tests.sip.statistics.conftest import at

pytestmark = pytest.mark.django_db

PAGE = reverse("sip:statistics")
YEAR = {"year": "2025", "dimension": "verksamhet"}


def personal_data(world) -> list[str]:
    """Every name and number of the people in the world, in each form a page could print them."""
    found = []
    for person in world.people:
        found += [person.first_name, person.last_name, person.id_number]
        found += [format_id_number(person.id_number), person.id_number[2:]]
    return found


def assert_no_personal_data(text: str, world) -> None:
    for value in personal_data(world):
        assert value not in text, value


def test_a_steering_group_member_sees_the_report_of_their_group_without_personal_data(
    client, world, member, report_clock
):
    login_verified(client, member)

    response = client.get(PAGE, YEAR)

    html = response.content.decode()
    assert response.status_code == 200
    assert "BUS Norra" in html
    assert "Påbörjade SIP-ärenden" in html
    assert "IFO Norrby" in html
    # BUP Söderby and Västerby are outside the group's units and municipalities.
    assert "BUP Söderby" not in html
    assert "IFO Västerby" not in html
    assert_no_personal_data(html, world)


def test_a_manager_sees_the_units_they_manage(client, world, ifo_manager, report_clock):
    login_verified(client, ifo_manager)

    response = client.get(PAGE, YEAR)

    assert response.status_code == 200
    assert "IFO Norrby" in response.content.decode()


def test_a_coordinator_without_a_steering_role_is_refused(client, world, coordinator):
    login_verified(client, coordinator)

    assert client.get(PAGE).status_code == 403
    assert client.get(reverse("sip:statistics_csv")).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client, world):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_a_member_cannot_ask_for_a_scope_that_is_not_theirs(client, world, member, report_clock):
    login_verified(client, member)

    response = client.get(PAGE, {**YEAR, "scope": "land"})

    assert response.status_code == 200
    assert response.context["report"] is None
    assert "Påbörjade SIP-ärenden" not in response.content.decode()


def test_an_admin_sees_the_whole_country(client, world, admin_user, report_clock):
    login_verified(client, admin_user)

    html = client.get(PAGE, YEAR).content.decode()

    assert "Hela landet" in html
    assert "BUP Söderby" in html


def test_it_shows_a_swedish_error_for_a_period_that_ends_before_it_starts(
    client, world, member, report_clock
):
    login_verified(client, member)

    response = client.get(PAGE, {"from_month": "2025-06", "to_month": "2025-01"})

    assert response.status_code == 200
    assert "Till-månaden kan inte ligga före från-månaden." in response.content.decode()
    assert response.context["report"] is None


def test_it_reports_a_chosen_period_of_whole_months(client, world, member, report_clock):
    login_verified(client, member)

    response = client.get(PAGE, {"from_month": "2025-03", "to_month": "2025-04"})

    assert response.context["report"].period_label == "2025-03-01 – 2025-04-30"


def test_the_page_has_charts_but_no_inline_scripts_or_style_attributes(
    client, world, admin_user, report_clock
):
    login_verified(client, admin_user)

    html = client.get(PAGE, YEAR).content.decode()

    assert "<svg" in html
    assert 'class="stat-chart-bar"' in html
    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_the_navigation_links_to_statistics_for_members_only(client, world, member, coordinator):
    login_verified(client, member)
    assert PAGE in client.get(reverse("home")).content.decode()

    login_verified(client, coordinator)
    assert PAGE not in client.get(reverse("home")).content.decode()


def test_the_csv_has_the_suppressed_figures_and_no_personal_data(
    client, world, member, report_clock
):
    login_verified(client, member)

    response = client.get(reverse("sip:statistics_csv"), YEAR)

    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert text.splitlines()[0] == "Indikator;Urval;Period;Rader;Rad;Fördelning;Kolumn;Värde"
    assert (
        "Påbörjade SIP-ärenden;BUS Norra;2025;Verksamhet (kallande);IFO Norrby;Kön;flicka;x" in text
    )
    assert "Påbörjade SIP-ärenden;BUS Norra;2025;Verksamhet (kallande);Totalt;Kön;flicka;5" in text
    assert_no_personal_data(text, world)


def test_a_steering_group_member_gets_the_deviation_reports_without_personal_data(
    client, world, member, report_clock
):
    """The reports' texts name their people (conftest); only counts leave the statistics."""
    login_verified(client, member)

    html = client.get(PAGE, YEAR).content.decode()
    csv = client.get(reverse("sip:statistics_csv"), YEAR).content.decode("utf-8-sig")

    for key in ("deviations", "deviations_by_category", "deviations_by_level"):
        assert f'id="{key}"' in html
    prefix = "BUS Norra;2025;Verksamhet (kallande)"
    # D1–D3 and D6, all filed by IFO Norrby: 4 reports, each cell and total too few to show.
    assert f"Avvikelserapporter per nivå;{prefix};IFO Norrby;Nivå;Steg 1;<5" in csv
    assert f"Avvikelserapporter per kategori;{prefix};Totalt;Kategori;Missad frist;<5" in csv
    assert f"Avvikelserapporter;{prefix};Totalt;Kön;Totalt;<5" in csv
    assert_no_personal_data(html, world)
    assert_no_personal_data(csv, world)
    assert "fick ingen kallelse" not in html + csv


def test_the_xlsx_has_one_sheet_per_indicator_and_no_personal_data(
    client, world, member, report_clock
):
    login_verified(client, member)

    response = client.get(reverse("sip:statistics_xlsx"), YEAR)

    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames[0] == "Om rapporten"
    started = workbook["Påbörjade SIP-ärenden"]
    assert [cell.value for cell in started[3]] == [
        "Verksamhet (kallande)",
        "flicka",
        "pojke",
        "annan (barn och unga)",
        "Totalt",
    ]
    assert [cell.value for cell in started[6]] == ["Totalt", 5, "<5", "<5", 7]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        text = "".join(archive.read(name).decode() for name in archive.namelist())
    assert_no_personal_data(text, world)


def test_the_pdf_is_a_report_for_the_group_without_personal_data(
    client, world, member, report_clock
):
    login_verified(client, member)

    response = client.get(reverse("sip:statistics_pdf"), YEAR)

    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "BUS Norra" in text
    assert "Påbörjade SIP-ärenden" in text
    assert_no_personal_data(text, world)


def more_cases(world, count: int) -> None:
    for n in range(count):
        name = f"extra{n}"
        world.case(
            name,
            unit="ifo",
            gender="male",
            birth=dt.date(2012, 1, 1),
            home="norrby",
            opened=at(2025, 2, 1 + n % 27, 9),
        )
        world.consent(name, at(2025, 3, 1 + n % 27, 9))
        world.meeting(name, starts=at(2025, 4, 1 + n % 27, 9), kallelse=at(2025, 3, 28, 9))
        world.deviation(
            unit="ifo",
            case=name,
            category=DeviationReport.Category.values[n % 6],
            level=1 + n % 3,
            registered=at(2025, 5, 1 + n % 27, 9),
        )
    for n in range(count):
        factories.UnitFactory(
            name=f"Enhet {n}",
            huvudman=world.huvudman["kommun"],
            municipality=world.municipalities["norrby"],
        )


@pytest.mark.parametrize("extra", [0, 30])
def test_the_page_takes_the_same_number_of_queries_whatever_the_data(
    client, world, member, report_clock, django_assert_max_num_queries, extra
):
    more_cases(world, extra)
    login_verified(client, member)

    with django_assert_max_num_queries(19):
        response = client.get(PAGE, YEAR)

    assert response.status_code == 200


def test_the_page_paginates_the_rows(client, world, admin_user, report_clock):
    for n in range(55):
        factories.UnitFactory(name=f"Enhet {n:02d}", huvudman=world.huvudman["kommun"])
    login_verified(client, admin_user)

    first = client.get(PAGE, YEAR)
    second = client.get(PAGE, {**YEAR, "sida": "2"})

    assert first.context["page"].paginator.num_pages == 2
    assert "Enhet 00" in first.content.decode()
    assert "IFO Norrby" in second.content.decode()
