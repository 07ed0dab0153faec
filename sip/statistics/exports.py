"""CSV and XLSX exports of a published report: the same suppressed figures as the page."""

import csv
import io
import re

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from sip.statistics.tables import HIDDEN, SMALL, PublishedReport, PublishedTable, Row

# Excel opens a UTF-8 file with a byte-order mark correctly; Swedish Excel expects semicolons.
_BOM = "\ufeff"
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def legend() -> list[str]:
    return [
        _("%(small)s = färre än 5 (0–4).") % {"small": SMALL},
        _(
            "%(hidden)s = dold så att en annan dold cell inte kan räknas fram ur summor "
            "(sekundär röjandekontroll)."
        )
        % {"hidden": HIDDEN},
        _("Andelar och mediantider visas inte när underlaget är färre än 5."),
    ]


def _lines(table: PublishedTable) -> list[tuple[Row, bool]]:
    return [(row, False) for row in table.rows] + [(table.total_row, True)]


def report_csv(report: PublishedReport) -> bytes:
    """One line per shown figure (long format), so a spreadsheet can pivot it any way."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            _("Indikator"),
            _("Urval"),
            _("Period"),
            _("Rader"),
            _("Rad"),
            _("Fördelning"),
            _("Kolumn"),
            _("Värde"),
        ]
    )
    for table in report.tables:
        for row, _is_total in _lines(table):
            for column, cell in [
                *zip(table.header, row.cells, strict=True),
                (table.total_header, row.total),
            ]:
                writer.writerow(
                    [
                        table.title,
                        report.scope_label,
                        report.period_label,
                        report.dimension_label,
                        row.label,
                        table.columns_label,
                        column,
                        cell.text,
                    ]
                )
    return (_BOM + buffer.getvalue()).encode("utf-8")


def _sheet_title(title: str, used: set[str]) -> str:
    base = _SHEET_FORBIDDEN.sub("", title)[:28].strip()
    name, n = base, 2
    while name.casefold() in used:
        name = f"{base[:25]} ({n})"
        n += 1
    used.add(name.casefold())
    return name


def _xlsx_value(table: PublishedTable, cell) -> object:
    """Counts as numbers, shares as fractions with a percent format; markers and times as text."""
    if cell.value is None or cell.is_suppressed:
        return cell.text
    if table.kind == "count" or (table.kind == "units" and not cell.text.endswith("%")):
        return int(cell.value)
    if cell.text.endswith("%"):
        return cell.value / 100
    return cell.text


def report_xlsx(report: PublishedReport) -> bytes:
    workbook = Workbook()
    about = workbook.active
    about.title = _("Om rapporten")
    bold = Font(bold=True)
    for label, value in (
        (_("Urval"), report.scope_label),
        (_("Period"), report.period_label),
        (_("Rader"), report.dimension_label),
        (_("Fördelning"), report.split_label),
        (
            _("Skapad"),
            timezone.localtime(report.generated_at).strftime("%Y-%m-%d %H:%M")
            if report.generated_at
            else "",
        ),
    ):
        about.append([label, value])
    about.append([])
    for line in legend():
        about.append([line])
    used = {about.title.casefold()}
    for table in report.tables:
        sheet = workbook.create_sheet(_sheet_title(table.title, used))
        sheet.append([table.title])
        sheet["A1"].font = bold
        sheet.append([table.definition])
        header = [report.dimension_label, *table.header, table.total_header]
        sheet.append(header)
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for row, is_total in _lines(table):
            values = [_xlsx_value(table, cell) for cell in [*row.cells, row.total]]
            sheet.append([row.label, *values])
            if is_total:
                for cell in sheet[sheet.max_row]:
                    cell.font = bold
        for cells in sheet.iter_rows(min_row=4):
            for cell in cells:
                if isinstance(cell.value, float):
                    cell.number_format = "0%"
        sheet.column_dimensions["A"].width = 40
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
