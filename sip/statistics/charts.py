"""Horizontal bar charts as plain geometry, drawn as inline SVG by the page and by the PDF.

No JavaScript and no style attributes: the template sets coordinates as SVG attributes and the
colours come from CSS classes.
"""

from dataclasses import dataclass

from sip.statistics.tables import PublishedTable, Row

LABEL_WIDTH = 300
BAR_AREA = 340
VALUE_WIDTH = 70
BAR_HEIGHT = 16
GAP = 6
WIDTH = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
# Charts with more bars than this would not be readable: the table carries the rest.
MAX_BARS = 30


@dataclass(frozen=True)
class Bar:
    label: str
    text: str
    y: int
    width: int
    text_x: int
    suppressed: bool


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    bar_x: int
    bar_height: int
    bars: list[Bar]


def _chart(title: str, items: list[tuple[str, str, float | None]], *, maximum: float) -> Chart:
    bars = []
    for index, (label, text, value) in enumerate(items[:MAX_BARS]):
        width = round(BAR_AREA * value / maximum) if value and maximum else 0
        bars.append(
            Bar(
                label=label,
                text=text,
                y=index * (BAR_HEIGHT + GAP),
                width=width,
                text_x=LABEL_WIDTH + width + 4,
                suppressed=value is None,
            )
        )
    return Chart(
        title=title,
        width=WIDTH,
        height=max(len(bars), 1) * (BAR_HEIGHT + GAP),
        bar_x=LABEL_WIDTH,
        bar_height=BAR_HEIGHT,
        bars=bars,
    )


def chart_for(table: PublishedTable, rows: list[Row] | None = None) -> Chart | None:
    """Counts and durations: the total row per category (e.g. per gender). Shares and units: the
    total of each of `rows` (default all). Suppressed values get no bar, only their marker."""
    if table.kind in ("count", "duration"):
        items = [
            (label, cell.text, cell.value)
            for label, cell in zip(table.header, table.total_row.cells, strict=True)
        ]
        values = [value for _label, _text, value in items if value is not None]
        maximum = max(values, default=0)
    else:
        items = [
            (row.label, row.total.text, row.total.value)
            for row in (table.rows if rows is None else rows)
        ]
        maximum = 100
    if not items:
        return None
    return _chart(table.title, items, maximum=maximum)
