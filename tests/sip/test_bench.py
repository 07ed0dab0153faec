import io

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from sip.management.commands.bench import (
    MARK_END,
    MARK_START,
    Cast,
    Command,
    Page,
    _case_list_main,
    _deviation_inbox_main,
    _overdue_main,
    _statistics_main,
    available_pages,
    markdown_table,
    parse_wrk,
    percentile,
    write_report,
)
from tests import factories
from tests.sip.conftest import at

WRK_OUTPUT = """Running 30s test @ http://127.0.0.1:8123/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    61.20ms   20.11ms 310.52ms   80.12%
    Req/Sec    65.10     12.30   100.00     70.00%
  Latency Distribution
     50%   58.30ms
     75%   70.00ms
     90%   85.10ms
     99%    1.20s
  3904 requests in 30.02s, 90.12MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:    130.05
Transfer/sec:      3.00MB
""".replace("58.30ms\n", "58.30ms \n")  # real wrk output pads some latency lines with a space


def test_the_table_formatter_right_aligns_numbers_and_escapes_pipes():
    table = markdown_table(
        ["page", "ms", "ok"],
        [["Mina | ärenden", 12.345, True], ["Ärendesida", 1234.5, False], ["x", None, None]],
    )
    assert table.splitlines() == [
        "| page | ms | ok |",
        "|---|---:|---|",
        "| Mina \\| ärenden | 12.3 | ✓ |",
        "| Ärendesida | 1,234.5 | ✗ |",
        "| x | – | – |",
    ]


def test_the_wrk_parser_reads_rate_latencies_and_every_kind_of_error():
    figures = parse_wrk(WRK_OUTPUT)
    assert figures == {
        "requests_per_s": 130.05,
        "requests": 3904,
        "p50_ms": 58.3,
        "p99_ms": 1200.0,
        "errors": 7,
    }


def test_the_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 0.95) == 95
    assert percentile(values, 0.5) == 50
    assert percentile([7.0], 0.95) == 7.0


@pytest.mark.django_db
def test_a_page_whose_url_is_not_installed_is_skipped_with_a_note(coordinator):
    case = factories.CaseFactory(coordinator=coordinator)
    cast = Cast(coordinator=coordinator, manager=coordinator, case=case)
    pages = {
        "Mina ärenden": Page(
            url=lambda cast: reverse("sip:case_list"),
            user=lambda cast: cast.coordinator,
            main_sql=lambda cast: None,
        ),
        "Avvikelseinkorg": Page(
            url=lambda cast: reverse("sip:deviation_inbox_on_another_branch"),
            user=lambda cast: cast.manager,
            main_sql=lambda cast: None,
        ),
    }
    urls, notes = available_pages(pages, cast)
    assert urls == {"Mina ärenden": reverse("sip:case_list")}
    assert len(notes) == 1
    assert notes[0].startswith("Avvikelseinkorg: skipped")


def test_the_report_replaces_only_what_lies_between_the_markers(tmp_path):
    path = tmp_path / "performance.md"
    path.write_text(f"# Performance\n\nIntro.\n\n{MARK_START}\nold table\n{MARK_END}\n\nOutro.\n")
    write_report(path, "new table")
    assert path.read_text() == (
        f"# Performance\n\nIntro.\n\n{MARK_START}\nnew table\n{MARK_END}\n\nOutro.\n"
    )


def test_the_report_is_appended_when_the_file_has_no_markers(tmp_path):
    path = tmp_path / "performance.md"
    path.write_text("# Performance\n")
    write_report(path, "table")
    assert path.read_text() == f"# Performance\n\n{MARK_START}\ntable\n{MARK_END}\n"


@pytest.mark.django_db
def test_the_bench_measures_the_pages_of_generated_data(tmp_path):
    with time_machine.travel(at(2026, 5, 20, 12, 0), tick=False):
        call_command(
            "generate_scale_data",
            scale="tiny",
            stats_file=str(tmp_path / "stats.json"),
            stdout=io.StringIO(),
        )
    output = tmp_path / "performance.md"
    out = io.StringIO()
    call_command(
        "bench", requests=2, skip_sweep=True, skip_load=True, output=str(output), stdout=out
    )
    report = output.read_text()
    assert "| Mina ärenden |" in report
    assert "| Ärendesida |" in report
    assert "| Försenade frister (chef) |" in report
    assert "| Avvikelseinkorg (chef) |" in report
    assert "| Indikatorrapport, ett år (chef) |" in report
    assert "| Indikatorrapport, ett år (hela landet, admin) |" in report
    assert "| Indikatorrapport, ett år (hela landet, kall) |" in report
    assert "| peak RSS | MB | target MB | ok |" in report


@pytest.mark.django_db
def test_the_cast_of_generated_data_sees_full_pages(tmp_path):
    with time_machine.travel(at(2026, 5, 20, 12, 0), tick=False):
        call_command(
            "generate_scale_data",
            scale="tiny",
            stats_file=str(tmp_path / "stats.json"),
            stdout=io.StringIO(),
        )
        cast = Command()._cast()
        assert _case_list_main(cast)
        assert _overdue_main(cast)[0]
        assert _deviation_inbox_main(cast)
        assert _statistics_main(cast.admin, 2025).tables
