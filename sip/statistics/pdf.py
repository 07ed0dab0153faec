"""The printable report for a steering-group meeting, in the house style of sip/pdf.py."""

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, TableStyle

from sip.pdf import _build, _cell, _p, _table
from sip.statistics.charts import Chart, chart_for
from sip.statistics.exports import legend
from sip.statistics.tables import PublishedReport, PublishedTable

_WIDTH = 170 * mm
_BAR = colors.HexColor("#1d4f73")


def _drawing(chart: Chart) -> Drawing:
    """The page's SVG chart again, scaled to the text width; SVG's y grows down, PDF's up."""
    scale = _WIDTH / chart.width
    height = chart.height * scale
    drawing = Drawing(_WIDTH, height)
    for bar in chart.bars:
        top = height - bar.y * scale
        baseline = top - chart.bar_height * scale + 2
        drawing.add(
            String(chart.bar_x * scale - 4, baseline, bar.label[:40], fontSize=7, textAnchor="end")
        )
        if bar.width:
            drawing.add(
                Rect(
                    chart.bar_x * scale,
                    top - chart.bar_height * scale,
                    bar.width * scale,
                    chart.bar_height * scale,
                    fillColor=_BAR,
                    strokeColor=None,
                )
            )
        drawing.add(String(bar.text_x * scale, baseline, bar.text, fontSize=7))
    return drawing


def _grid(report: PublishedReport, table: PublishedTable):
    columns = len(table.header) + 1
    label_width = 45 * mm
    widths = [label_width] + [(_WIDTH - label_width) / columns] * columns
    rows = [[_cell(report.dimension_label), *map(_cell, table.header), _cell(table.total_header)]]
    # Figures as plain strings: a national report has thousands of cells, and a Paragraph each
    # made the PDF take tens of seconds. Only names need wrapping.
    for row in [*table.rows, table.total_row]:
        rows.append([_cell(row.label), *(cell.text for cell in row.cells), row.total.text])
    grid = _table(rows, widths)
    grid.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (1, 1), (-1, -1), 8),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
            ]
        )
    )
    return grid


def report_pdf(report: PublishedReport) -> bytes:
    title = _("Uppföljning av SIP – %(scope)s, %(period)s") % {
        "scope": report.scope_label,
        "period": report.period_label,
    }
    story: list = [
        _p(_("Uppföljning av samordnad individuell plan (SIP)"), "Title"),
        _p(_("Urval: %s") % report.scope_label),
        _p(_("Period: %s") % report.period_label),
        _p(
            _("Rader: %(rows)s · fördelning: %(split)s")
            % {"rows": report.dimension_label, "split": report.split_label}
        ),
    ]
    if report.generated_at:
        story.append(
            _p(_("Skapad %s") % date_format(timezone.localtime(report.generated_at), "Y-m-d H:i"))
        )
    story += [Spacer(1, 3 * mm), *(_p(line) for line in legend()), Spacer(1, 4 * mm)]
    for table in report.tables:
        heading = [_p(table.title, "Heading3"), _p(table.definition)]
        chart = chart_for(table)
        if chart is not None:
            heading += [Spacer(1, 2 * mm), _drawing(chart)]
        story += [KeepTogether([*heading, Spacer(1, 2 * mm)]), _grid(report, table)]
        story.append(Spacer(1, 6 * mm))
    return _build(story, title=title)
