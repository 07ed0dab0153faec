"""The shapes of a report: raw tables from the queries and the published (suppressed) ones.

Only published tables leave sip/statistics: pages, exports and the PDF are built from them.
"""

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    key: str
    label: str


@dataclass(frozen=True)
class Group:
    """One row of every table: an agreement, municipality, county part, huvudman or unit."""

    key: str | None
    label: str
    # The row's parent in a coarser dimension (county part of a municipality, huvudman of a unit):
    # that dimension's table shows the parent's sum, so suppression treats siblings as one group.
    parent: str | None = None


@dataclass
class CountTable:
    """Counts of people or events per (group, column). Additive: totals are sums of cells."""

    key: str
    title: str
    definition: str
    cells: dict[tuple[str | None, str], int]
    # None: the report's split columns (gender or age band); a table with categories of its own
    # (e.g. deviation reports by category) lists them here.
    columns: list[Column] | None = None
    # What those own columns are, e.g. "Kategori"; shown where the split's name would be.
    columns_label: str = ""
    # Tables with the same non-empty `margins` count the same things in different columns (every
    # deviation report once by category, once by level): their row totals and grand total are the
    # same numbers, so suppression hides them alike in all of them.
    margins: str = ""


@dataclass
class ShareTable:
    """On time / decided per (group, column); totals are ratios of summed counts."""

    key: str
    title: str
    definition: str
    cells: dict[tuple[str | None, str], tuple[int, int]]


@dataclass(frozen=True)
class Stat:
    n: int
    median: float | None
    p90: float | None


@dataclass
class DurationTable:
    """Median and 90th percentile per cell and for every margin (not additive, so from SQL)."""

    key: str
    title: str
    definition: str
    cells: dict[tuple[str | None, str], Stat]
    by_group: dict[str | None, Stat]
    by_column: dict[str, Stat]
    total: Stat


@dataclass
class UnitTable:
    """Active units in scope and how many of them convened a SIP, per group and in all."""

    key: str
    title: str
    definition: str
    rows: dict[str | None, tuple[int, int]]
    total: tuple[int, int]


Table = CountTable | ShareTable | DurationTable | UnitTable


@dataclass
class RawReport:
    period_label: str
    groups: list[Group]
    columns: list[Column]
    tables: list[Table] = field(default_factory=list)
    generated_at: dt.datetime | None = None


# --- published: what may be shown --------------------------------------------------------------

SMALL = "<5"
HIDDEN = "x"


@dataclass(frozen=True)
class Cell:
    text: str
    # The number behind a shown cell (for charts and spreadsheets); None when suppressed or empty.
    value: float | None = None

    @property
    def is_suppressed(self) -> bool:
        return self.text in (SMALL, HIDDEN)


@dataclass(frozen=True)
class Row:
    label: str
    cells: list[Cell]
    total: Cell


@dataclass
class PublishedTable:
    key: str
    kind: str  # "count", "share", "duration" or "units"
    title: str
    definition: str
    header: list[str]
    total_header: str
    rows: list[Row]
    total_row: Row
    # What the columns are ("Kön", "Åldersgrupp", a table's own "Kategori"; empty for units).
    columns_label: str = ""
    # Each row's place in the report's groups (a units table has rows only for groups with
    # units), so that one page of groups can be cut out of a published report.
    row_groups: list[int] = field(default_factory=list)


@dataclass
class PublishedReport:
    scope_label: str
    period_label: str
    dimension_label: str
    split_label: str
    # When the numbers were computed: a report may be served from the cache for a while.
    generated_at: dt.datetime | None
    # Rows of every table in the report; `rows` of a table may hold one page of them.
    group_count: int = 0
    tables: list[PublishedTable] = field(default_factory=list)
