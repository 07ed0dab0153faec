"""The suppression rule: under 5 shows "<5", and no total lets a hidden cell be worked out."""

import pytest

from sip.statistics.selectors import Dimension, ReportQuery, Scope, Split, report_build
from sip.statistics.suppression import (
    HIDDEN_STATE,
    SHOWN,
    SMALL_STATE,
    TOTAL,
    publish,
    suppress_counts,
)
from sip.statistics.tables import HIDDEN, SMALL, Column, CountTable, Group, RawReport
from tests.sip.statistics.conftest import YEAR_2025


def grid(rows: list[list[int]]) -> dict[tuple[int, int], int]:
    """Inner cells plus every row, column and grand total, keyed like suppress_counts wants."""
    values = {}
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            values[(r, c)] = value
        values[(r, TOTAL)] = sum(row)
    for c in [*range(len(rows[0])), TOTAL]:
        values[(TOTAL, c)] = sum(values[(r, c)] for r in range(len(rows)))
    return values


def hidden(states: dict) -> set:
    return {cell for cell, state in states.items() if state == HIDDEN_STATE}


def test_it_shows_counts_of_five_and_more_and_hides_zero_to_four():
    states = suppress_counts(grid([[0, 4, 5, 12]]), rows=1, columns=4, siblings=[])

    assert states[(0, 0)] == states[(0, 1)] == SMALL_STATE
    assert states[(0, 2)] == states[(0, 3)] == SHOWN


def test_it_hides_a_second_cell_when_one_alone_could_be_worked_out_from_its_totals():
    # Row totals 13 and 17, column totals 11 and 19: hiding only the 3 would give it away.
    states = suppress_counts(grid([[3, 10], [8, 9]]), rows=2, columns=2, siblings=[])

    assert states[(0, 0)] == SMALL_STATE
    # Row 0 hides its smallest other cell (10); column 0 then hides 8; column 1 then hides 9.
    assert hidden(states) == {(0, 1), (1, 0), (1, 1)}
    assert all(states[cell] == SHOWN for cell in [(0, TOTAL), (1, TOTAL), (TOTAL, 0), (TOTAL, 1)])


def test_it_hides_the_total_when_no_other_cell_is_left_to_hide():
    # One row: each column total equals its cell, so the 30 can only be protected by its total.
    states = suppress_counts(grid([[3, 30]]), rows=1, columns=2, siblings=[])

    assert states[(0, 1)] == HIDDEN_STATE
    assert states[(TOTAL, 1)] == HIDDEN_STATE
    assert states[(0, TOTAL)] == SHOWN


def test_it_hides_more_when_two_hidden_cells_would_sum_to_eight():
    # 4 + 4 = 38 - 30: both would have to be 4.
    states = suppress_counts(grid([[4, 4, 30], [20, 20, 20]]), rows=2, columns=3, siblings=[])

    assert states[(0, 2)] == HIDDEN_STATE


def test_it_treats_rows_sharing_a_parent_as_a_group_because_the_parent_is_shown_elsewhere():
    # Rows 0 and 1 are municipalities of one county part, whose sum the county-part table shows.
    values = grid([[3, 10], [12, 11], [7, 8]])

    alone = suppress_counts(values, rows=3, columns=2, siblings=[])
    grouped = suppress_counts(values, rows=3, columns=2, siblings=[[0, 1], [2]])

    assert alone[(1, 0)] == SHOWN
    assert grouped[(1, 0)] == HIDDEN_STATE
    assert grouped[(1, 1)] == HIDDEN_STATE


def line_is_safe(cells: list, total) -> bool:
    """A reader can work out a hidden cell when it is the only unknown in a sum they see."""
    unknown = sum(cell.is_suppressed for cell in cells) + total.is_suppressed
    return unknown != 1


@pytest.mark.django_db
@pytest.mark.parametrize("split", [Split.GENDER, Split.AGE])
@pytest.mark.parametrize("dimension", list(Dimension))
def test_no_published_total_reveals_a_suppressed_cell(world, report_clock, dimension, split):
    query = ReportQuery(
        scope=Scope(key="land", label="Hela landet", national=True),
        period=YEAR_2025,
        dimension=dimension,
        split=split,
    )
    report = publish(report_build(query), scope_label="", dimension_label="", split_label="")

    for table in (table for table in report.tables if table.kind == "count"):
        rows = [*table.rows, table.total_row]
        for row in rows:
            assert line_is_safe(row.cells, row.total), (table.key, row.label)
        for c in range(len(table.header)):
            column = [row.cells[c] for row in table.rows]
            assert line_is_safe(column, table.total_row.cells[c]), (table.key, c)
        assert line_is_safe([row.total for row in table.rows], table.total_row.total)


@pytest.mark.django_db
def test_a_steering_groups_table_hides_the_cells_its_totals_would_give_away(
    world, report_clock, steering_group
):
    scope = Scope(
        key="grupp",
        label="BUS Norra",
        unit_ids=(world.units["ifo"].pk,),
        municipality_ids=(world.municipalities["norrby"].pk,),
    )
    query = ReportQuery(scope=scope, period=YEAR_2025, dimension=Dimension.UNIT)
    report = publish(report_build(query), scope_label="", dimension_label="", split_label="")
    started = next(table for table in report.tables if table.key == "started")

    def texts(row):
        return [cell.text for cell in row.cells], row.total.text

    # Girls 5 at IFO, 0 at the school: the girls' total 5 would give the school's 0–4 away,
    # so IFO's 5 is hidden; then the total column would give the school away, so IFO's 7 is too.
    assert [row.label for row in started.rows] == ["IFO Norrby", "Norrby skola"]
    assert texts(started.rows[0]) == ([HIDDEN, SMALL, SMALL], HIDDEN)
    assert texts(started.rows[1]) == ([SMALL, SMALL, SMALL], SMALL)
    assert texts(started.total_row) == (["5", SMALL, SMALL], "7")


@pytest.mark.django_db
def test_it_shows_shares_and_times_only_over_five_or_more(world, report_clock):
    query = ReportQuery(
        scope=Scope(key="land", label="Hela landet", national=True),
        period=YEAR_2025,
        dimension=Dimension.UNIT,
    )
    report = publish(report_build(query), scope_label="", dimension_label="", split_label="")
    tables = {table.key: table for table in report.tables}
    ifo = next(row for row in tables["kallelse_on_time"].rows if row.label == "IFO Norrby")

    # IFO girls 2 of 3 (too few); IFO in all 4 of 5; everyone 5 of 6.
    assert ifo.cells[0].text == SMALL
    assert ifo.total.text == "80 %"
    assert tables["kallelse_on_time"].total_row.total.text == "83 %"
    # Meeting: 4 of 6 on time.
    assert tables["meeting_on_time"].total_row.total.text == "67 %"
    days = tables["days_to_kallelse"]
    ifo_days = next(row for row in days.rows if row.label == "IFO Norrby")
    assert ifo_days.total.text == "2 / 6,2"
    assert days.total_row.total.text == "2 / 6"
    assert tables["days_to_meeting"].total_row.total.text == "10 / 11,2"
    units = tables["units_convening"]
    assert [cell.text for cell in units.total_row.cells] == ["2", "4"]
    assert units.total_row.total.text == "50 %"


def test_a_table_with_categories_of_its_own_is_published_like_the_split_tables():
    """The shape a deviation-report indicator takes: one more section returning such a table."""
    report = RawReport(
        period_label="2025",
        groups=[Group("1", "Norrby"), Group("2", "Söderby")],
        columns=[Column("barn:female", "flicka")],
        tables=[
            CountTable(
                key="deviations_by_category",
                title="Avvikelser per kategori",
                definition="",
                cells={("1", "kallelse"): 7, ("1", "samverkan"): 9, ("2", "samverkan"): 2},
                columns=[Column("kallelse", "Kallelse"), Column("samverkan", "Samverkan")],
                columns_label="Kategori",
            )
        ],
    )

    (table,) = publish(report, scope_label="", dimension_label="", split_label="Kön").tables

    assert table.header == ["Kallelse", "Samverkan"]
    assert table.columns_label == "Kategori"
    # Söderby's 2 is small; its row total (2) is too; the column and row groups then need more.
    assert [cell.text for cell in table.rows[1].cells] == [SMALL, SMALL]
    assert [cell.text for cell in table.rows[0].cells] == [HIDDEN, HIDDEN]
    assert [cell.text for cell in table.total_row.cells] == ["7", "11"]


def linked_report(margins: str) -> RawReport:
    """The same reports twice: by three categories and by two levels (row totals 8 and 18)."""

    def counts(key: str, cells: dict, columns: list[str]) -> CountTable:
        return CountTable(
            key=key,
            title=key,
            definition="",
            cells=cells,
            columns=[Column(column, column) for column in columns],
            columns_label=key,
            margins=margins,
        )

    return RawReport(
        period_label="2025",
        groups=[Group("1", "Norrby"), Group("2", "Söderby")],
        columns=[],
        tables=[
            counts(
                "by_category",
                {("1", "a"): 4, ("1", "b"): 4, ("2", "a"): 6, ("2", "b"): 6, ("2", "c"): 6},
                ["a", "b", "c"],
            ),
            counts(
                "by_level", {("1", "1"): 4, ("1", "2"): 4, ("2", "1"): 9, ("2", "2"): 9}, ["1", "2"]
            ),
        ],
    )


def test_tables_that_share_their_totals_hide_the_same_totals():
    """By level, Norrby's 4 + 4 would be pinned by its total 8, so that total is hidden (and then
    Söderby's, for the grand total). By category nothing pins Norrby's 4, 4, 0; shown there, its 8
    would give the level table's cells away."""
    unlinked = publish(linked_report(""), scope_label="", dimension_label="", split_label="")
    linked = publish(linked_report("reports"), scope_label="", dimension_label="", split_label="")

    by_category, by_level = unlinked.tables
    assert [row.total.text for row in by_level.rows] == [HIDDEN, HIDDEN]
    assert [row.total.text for row in by_category.rows] == ["8", "18"]
    for table in linked.tables:
        assert [row.total.text for row in table.rows] == [HIDDEN, HIDDEN]
        assert table.total_row.total.text == "26"
    by_category = linked.tables[0]
    assert [cell.text for cell in by_category.rows[0].cells] == [SMALL, SMALL, SMALL]
    assert [cell.text for cell in by_category.rows[1].cells] == [HIDDEN, HIDDEN, HIDDEN]
