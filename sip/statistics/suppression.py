"""Small-count suppression: turns raw tables into what a page, export or PDF may show.

The rule (docs/statistics.md, "Suppression"):
1. Primary: every count under 5 (0–4, in cells and in totals) shows as "<5".
2. Secondary: a count table is a set of lines — each row with its row total, each column with its
   column total, and each column within the rows that share a parent shown elsewhere (the
   municipalities of one county part, the units of one huvudman). A line must never let a hidden
   cell be worked out:
   - if exactly one of its cells (total included) is hidden, the smallest shown cell of the line is
     hidden too ("x"); when no cell is left to hide, the total is hidden;
   - if the total is known and every hidden cell is under 5, their sum must not pin each one
     (two hidden cells summing to 8 must each be 4), so another cell is hidden the same way.
   Every line touched by a newly hidden cell is checked again, until none changes.
   Count tables that share their margins (CountTable.margins: the same reports by category and by
   level) are suppressed together: a row total or grand total hidden in one is hidden in all,
   and their lines are checked again, until they agree.
3. Shares and durations are not sums of their cells; a share or median over fewer than 5 shows
   "<5". Unit counts are not about people and are shown as they are.
"""

from collections import deque
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sip.statistics.tables import (
    HIDDEN,
    SMALL,
    Cell,
    Column,
    CountTable,
    DurationTable,
    Group,
    PublishedReport,
    PublishedTable,
    RawReport,
    Row,
    ShareTable,
    Stat,
    UnitTable,
)

LIMIT = 5
TOTAL = -1

SHOWN, SMALL_STATE, HIDDEN_STATE = "shown", "small", "hidden"


# --- counts ------------------------------------------------------------------------------------


def _smallest_shown(line: list[tuple[int, int]], values: dict, states: dict):
    shown = [cell for cell in line if states[cell] == SHOWN]
    return min(shown, key=lambda cell: (values[cell], cell), default=None)


def _line_needs_more(line: list, total, values: dict, states: dict) -> bool:
    """Whether a hidden cell of this line could be worked out from what the line shows.

    `total` is the total cell's key, or None when the sum is shown in another table (a parent
    dimension), which a reader must be assumed to know.
    """
    hidden = [cell for cell in line if states[cell] != SHOWN]
    total_hidden = total is not None and states[total] != SHOWN
    unknowns = len(hidden) + (1 if total_hidden else 0)
    if unknowns == 1:
        return True
    if total_hidden or len(hidden) < 2:
        return False
    # Every hidden cell lies in 0–4 when primary; their known sum pins all of them at 4 (or 0,
    # which shows no one).
    if any(states[cell] != SMALL_STATE for cell in hidden):
        return False
    hidden_sum = sum(values[cell] for cell in hidden)
    return hidden_sum == (LIMIT - 1) * len(hidden)


def suppress_counts(
    values: dict[tuple[int, int], int],
    *,
    rows: int,
    columns: int,
    siblings: list[list[int]],
    hidden: frozenset[tuple[int, int]] = frozenset(),
) -> dict[tuple[int, int], str]:
    """The state of every cell of a count table, totals included (row or column TOTAL = -1).

    `values` holds the inner cells and all totals; `siblings` lists groups of row indexes whose sum
    another table shows; `hidden` cells are hidden from the start (another table hides them).
    """
    states = {cell: SMALL_STATE if value < LIMIT else SHOWN for cell, value in values.items()}
    for cell in hidden:
        if states[cell] == SHOWN:
            states[cell] = HIDDEN_STATE
    all_columns = [*range(columns), TOTAL]
    # Lines, in this order: each row (TOTAL last), each column (TOTAL last), then each column of
    # each sibling group. A cell's lines are found by arithmetic on that order, so hiding a cell
    # re-checks only the lines it can affect; a national table has thousands of rows.
    lines: list[tuple[list, tuple[int, int] | None]] = []
    for row in [*range(rows), TOTAL]:
        lines.append(([(row, column) for column in range(columns)], (row, TOTAL)))
    for column in all_columns:
        lines.append(([(row, column) for row in range(rows)], (TOTAL, column)))
    group_of_row: dict[int, int] = {}
    kept = [members for members in siblings if 1 < len(members) < rows]
    for group, members in enumerate(kept):
        for row in members:
            group_of_row[row] = group
        for column in all_columns:
            lines.append(([(row, column) for row in members], None))
    first_column_line, first_sibling_line = rows + 1, rows + 1 + columns + 1

    def lines_of(cell: tuple[int, int]) -> list[int]:
        row, column = cell
        column_index = columns if column == TOTAL else column
        found = [rows if row == TOTAL else row, first_column_line + column_index]
        if row in group_of_row:
            found.append(first_sibling_line + group_of_row[row] * (columns + 1) + column_index)
        return found

    # First in, first out, each line queued once: a long column is checked again once after the
    # rows that touched it, not once per hidden cell.
    pending = deque(range(len(lines)))
    queued = set(pending)
    while pending:
        index = pending.popleft()
        queued.discard(index)
        line, total = lines[index]
        if not line or not _line_needs_more(line, total, values, states):
            continue
        extra = _smallest_shown(line, values, states)
        if extra is None and total is not None and states[total] == SHOWN:
            extra = total
        if extra is not None:
            states[extra] = HIDDEN_STATE
            for touched in lines_of(extra):
                if touched not in queued:
                    queued.add(touched)
                    pending.append(touched)
    return states


def _count_cell(value: int, state: str) -> Cell:
    if state == SMALL_STATE:
        return Cell(SMALL)
    if state == HIDDEN_STATE:
        return Cell(HIDDEN)
    return Cell(str(value), value)


def _siblings(groups: list[Group]) -> list[list[int]]:
    by_parent: dict[str, list[int]] = {}
    for index, group in enumerate(groups):
        if group.parent is not None:
            by_parent.setdefault(group.parent, []).append(index)
    return list(by_parent.values())


def _count_values(table: CountTable, groups: list[Group], columns: list[Column]) -> dict:
    values: dict[tuple[int, int], int] = {}
    for r, group in enumerate(groups):
        for c, column in enumerate(columns):
            values[(r, c)] = table.cells.get((group.key, column.key), 0)
        values[(r, TOTAL)] = sum(values[(r, c)] for c in range(len(columns)))
    for c in [*range(len(columns)), TOTAL]:
        values[(TOTAL, c)] = sum(values[(r, c)] for r in range(len(groups)))
    return values


def _count_states(
    tables: list, groups: list[Group], columns: list[Column]
) -> dict[str, tuple[dict, dict]]:
    """The values and suppression states of every count table of the report, by table key.

    Tables that share their margins are run again with every margin cell hidden in any of them
    hidden from the start, until all hide the same margins. Each run can only add hidden margins,
    so this ends; usually the first run already agrees.
    """
    siblings = _siblings(groups)

    def run(table: CountTable, hidden: frozenset) -> tuple[dict, dict]:
        own = table.columns if table.columns is not None else columns
        values = _count_values(table, groups, own)
        return values, suppress_counts(
            values, rows=len(groups), columns=len(own), siblings=siblings, hidden=hidden
        )

    states: dict[str, tuple[dict, dict]] = {}
    linked: dict[str, list[CountTable]] = {}
    for table in tables:
        if not isinstance(table, CountTable):
            continue
        if table.margins:
            linked.setdefault(table.margins, []).append(table)
        else:
            states[table.key] = run(table, frozenset())
    for members in linked.values():
        hidden: frozenset = frozenset()
        while True:
            found = {table.key: run(table, hidden) for table in members}
            margins = [
                {cell for cell, state in cells.items() if cell[1] == TOTAL and state != SHOWN}
                for _values, cells in found.values()
            ]
            union = frozenset().union(*margins)
            if all(margin == union for margin in margins):
                break
            hidden = union
        states |= found
    return states


def _publish_counts(
    table: CountTable,
    groups: list[Group],
    columns: list[Column],
    shown: range,
    suppressed: tuple[dict, dict],
):
    columns = table.columns if table.columns is not None else columns
    values, states = suppressed

    def row(r: int, label: str) -> Row:
        return Row(
            label=label,
            cells=[_count_cell(values[(r, c)], states[(r, c)]) for c in range(len(columns))],
            total=_count_cell(values[(r, TOTAL)], states[(r, TOTAL)]),
        )

    return (
        "count",
        [column.label for column in columns],
        [(r, row(r, groups[r].label)) for r in shown],
        row(TOTAL, _("Totalt")),
    )


# --- shares, durations, units ------------------------------------------------------------------


def _percent(numerator: int, denominator: int) -> Cell:
    if denominator < LIMIT:
        return Cell(SMALL)
    share = (Decimal(100 * numerator) / Decimal(denominator)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return Cell(f"{share} %", float(share))


def _publish_shares(table: ShareTable, groups: list[Group], columns: list[Column], shown: range):
    def pair(cells: list[tuple[int, int]]) -> tuple[int, int]:
        return sum(on for on, _n in cells), sum(n for _on, n in cells)

    page = [(r, groups[r]) for r in shown]
    grid = {
        (group.key, column.key): table.cells.get((group.key, column.key), (0, 0))
        for _r, group in page
        for column in columns
    }
    rows = [
        (
            r,
            Row(
                label=group.label,
                cells=[_percent(*grid[(group.key, column.key)]) for column in columns],
                total=_percent(*pair([grid[(group.key, column.key)] for column in columns])),
            ),
        )
        for r, group in page
    ]
    # Cells whose group or column has no row (e.g. no agreement) still count in the totals.
    column_totals = [
        _percent(*pair([value for (_g, key), value in table.cells.items() if key == column.key]))
        for column in columns
    ]
    total = Row(_("Totalt"), column_totals, _percent(*pair(list(table.cells.values()))))
    return "share", [column.label for column in columns], rows, total


def _days(value: float | None) -> str:
    if value is None:
        return "–"
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.1f}".replace(".", ",")


def _duration(stat: Stat | None) -> Cell:
    if stat is None or stat.n < LIMIT:
        return Cell(SMALL)
    return Cell(f"{_days(stat.median)} / {_days(stat.p90)}", stat.median)


def _publish_durations(
    table: DurationTable, groups: list[Group], columns: list[Column], shown: range
):
    rows = [
        (
            r,
            Row(
                label=groups[r].label,
                cells=[
                    _duration(table.cells.get((groups[r].key, column.key))) for column in columns
                ],
                total=_duration(table.by_group.get(groups[r].key)),
            ),
        )
        for r in shown
    ]
    total = Row(
        _("Totalt"),
        [_duration(table.by_column.get(column.key)) for column in columns],
        _duration(table.total),
    )
    return "duration", [column.label for column in columns], rows, total


def _units_row(label: str, units: int, convened: int) -> Row:
    # Unit counts are not about people: a share over few units is shown as it is.
    if units:
        value = (Decimal(100 * convened) / Decimal(units)).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        share = Cell(f"{value} %", float(value))
    else:
        share = Cell("–")
    return Row(label, [Cell(str(convened), convened), Cell(str(units), units)], share)


def _publish_units(table: UnitTable, groups: list[Group], columns: list[Column], shown: range):
    rows = [
        (r, _units_row(groups[r].label, *table.rows[groups[r].key]))
        for r in shown
        if groups[r].key in table.rows
    ]
    return (
        "units",
        [_("Har kallat till SIP"), _("Aktiva verksamheter")],
        rows,
        _units_row(_("Totalt"), *table.total),
    )


# Count tables are published with their states from _count_states (suppressed report-wide).
_PUBLISHERS = {
    ShareTable: _publish_shares,
    DurationTable: _publish_durations,
    UnitTable: _publish_units,
}

_TOTAL_HEADERS = {
    "count": gettext_lazy("Totalt"),
    "share": gettext_lazy("Totalt"),
    "duration": gettext_lazy("Totalt"),
    "units": gettext_lazy("Andel"),
}


def publish(
    report: RawReport,
    *,
    scope_label: str,
    dimension_label: str,
    split_label: str,
) -> PublishedReport:
    """Every table of the report as it may be shown: suppressed, labelled, rows in name order.

    Suppression and totals cover every row; page() cuts one page of rows out of the result.
    """
    published = PublishedReport(
        scope_label=scope_label,
        period_label=report.period_label,
        dimension_label=dimension_label,
        split_label=split_label,
        generated_at=report.generated_at,
        group_count=len(report.groups),
    )
    shown = range(len(report.groups))
    count_states = _count_states(report.tables, report.groups, report.columns)
    for table in report.tables:
        if isinstance(table, CountTable):
            kind, header, rows_shown, total = _publish_counts(
                table, report.groups, report.columns, shown, count_states[table.key]
            )
        else:
            publisher = _PUBLISHERS[type(table)]
            kind, header, rows_shown, total = publisher(table, report.groups, report.columns, shown)
        if kind == "units":
            columns_label = ""
        elif isinstance(table, CountTable) and table.columns is not None:
            columns_label = str(table.columns_label)
        else:
            columns_label = split_label
        published.tables.append(
            PublishedTable(
                key=table.key,
                kind=kind,
                title=str(table.title),
                definition=str(table.definition),
                header=[str(label) for label in header],
                total_header=str(_TOTAL_HEADERS[kind]),
                rows=[row for _r, row in rows_shown],
                total_row=total,
                columns_label=columns_label,
                row_groups=[r for r, _row in rows_shown],
            )
        )
    return published


def page(report: PublishedReport, rows: slice) -> PublishedReport:
    """The report with only the rows of one page of its groups (totals stay those of every row).

    A copy: the report itself may be a cached one that other requests read.
    """
    shown = range(report.group_count)[rows]
    tables = []
    for table in report.tables:
        kept = [(r, row) for r, row in zip(table.row_groups, table.rows, strict=True) if r in shown]
        tables.append(
            replace(table, rows=[row for _r, row in kept], row_groups=[r for r, _row in kept])
        )
    return replace(report, tables=tables)
