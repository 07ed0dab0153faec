"""Statistics pages and downloads. Only users with a scope (managers, steering-group members,
admins) get in; everything shown comes from a published, suppressed report."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from sip.statistics.charts import Chart, chart_for
from sip.statistics.exports import legend, report_csv, report_xlsx
from sip.statistics.forms import ReportForm
from sip.statistics.pdf import report_pdf
from sip.statistics.selectors import statistics_report, statistics_scopes_for_user
from sip.statistics.tables import PublishedReport, PublishedTable, Row

ROWS_PER_PAGE = 50
# "Beräkna om nu": the report computed anew instead of served from the cache (where it may be up to
# STATISTICS_CACHE_SECONDS old).
FRESH = "uppdatera"


@dataclass(frozen=True)
class Section:
    table: PublishedTable
    rows: list[Row]
    chart: Chart | None


def _page_rows(request: HttpRequest) -> slice:
    """The rows of the asked-for page; a page past the end is cut off by the report itself."""
    try:
        number = max(int(request.GET.get("sida", 1)), 1)
    except ValueError:
        number = 1
    return slice((number - 1) * ROWS_PER_PAGE, number * ROWS_PER_PAGE)


def _report(
    request: HttpRequest, rows: slice | None = None
) -> tuple[ReportForm, PublishedReport | None]:
    scopes = statistics_scopes_for_user(user=request.user)
    if not scopes:
        raise PermissionDenied
    form = ReportForm(request.GET, scopes=scopes)
    if not form.is_valid():
        return form, None
    report = statistics_report(
        user=request.user,
        query=form.report_query(),
        scopes=scopes,
        rows=rows,
        fresh=request.GET.get(FRESH) == "1",
    )
    if report is None:
        raise PermissionDenied
    return form, report


@login_required
def statistics_page(request: HttpRequest) -> HttpResponse:
    form, report = _report(request, _page_rows(request))
    sections, page = [], None
    if report is not None:
        page = Paginator(range(report.group_count), ROWS_PER_PAGE).get_page(request.GET.get("sida"))
        sections = [Section(table, table.rows, chart_for(table)) for table in report.tables]
    query = request.GET.copy()
    query.pop("sida", None)
    query.pop(FRESH, None)
    return render(
        request,
        "sip/statistics/report.html",
        {
            "form": form,
            "report": report,
            "sections": sections,
            "page": page,
            "query": query.urlencode(),
            "fresh": FRESH,
            "legend": legend(),
        },
    )


def _download(request: HttpRequest, render_file, content_type: str, suffix: str) -> HttpResponse:
    _form, report = _report(request)
    if report is None:
        return statistics_page(request)
    response = HttpResponse(render_file(report), content_type=content_type)
    name = f"sip-statistik-{report.period_label.replace(' – ', '_')}.{suffix}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def statistics_csv(request: HttpRequest) -> HttpResponse:
    return _download(request, report_csv, "text/csv; charset=utf-8", "csv")


@login_required
def statistics_xlsx(request: HttpRequest) -> HttpResponse:
    return _download(
        request,
        report_xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    )


@login_required
def statistics_pdf(request: HttpRequest) -> HttpResponse:
    return _download(request, report_pdf, "application/pdf", "pdf")
