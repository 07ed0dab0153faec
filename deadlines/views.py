import csv
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deadlines import calendar
from deadlines.charts import bar_chart
from deadlines.forms import OverdueFilterForm
from deadlines.selectors import (
    AT_RISK_WORKING_DAYS,
    ManagedScope,
    OverdueRow,
    WorkingDayAges,
    deadline_breaches_per_week,
    deadline_list_overdue,
    deadline_overdue_counts,
    managed_scope,
    notification_list_for_user,
    notification_unread_count,
    overdue_rows,
)
from deadlines.services import notification_mark_all_read, notification_mark_read

PAGE_SIZE = 50
OVERDUE_PAGE_SIZE = 50


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(notification_list_for_user(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("sida")
    )
    return render(
        request,
        "deadlines/notifications.html",
        {"page": page, "unread": notification_unread_count(user=request.user)},
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    # Filtering by owner first turns someone else's notification into a plain 404.
    notification = get_object_or_404(notification_list_for_user(user=request.user), pk=pk)
    notification_mark_read(notification=notification, user=request.user)
    if request.headers.get("HX-Request"):
        return render(request, "deadlines/_notification.html", {"notification": notification})
    return redirect("deadlines:notifications")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notification_mark_all_read(user=request.user)
    messages.success(request, _("%(count)d notiser markerades som lästa.") % {"count": count})
    return redirect("deadlines:notifications")


def _overdue_filters(request: HttpRequest) -> tuple[OverdueFilterForm, ManagedScope, dict]:
    """The filter form over the user's managed units, the scope narrowed to the chosen unit and
    the other filters; 403 for anyone who manages none."""
    scope = managed_scope(user=request.user)
    if not scope.units:
        raise PermissionDenied
    form = OverdueFilterForm(request.GET or None, scope=scope)
    filters = form.filters()
    unit_id = filters.pop("unit", None)
    if unit_id is not None:
        scope = scope.narrowed_to(unit_id=unit_id)
    return form, scope, filters


class _CountedPaginator(Paginator):
    """A paginator told its total, for a list whose rows the page has counted already."""

    def __init__(self, object_list, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.count = count


@login_required
def overdue_list(request: HttpRequest) -> HttpResponse:
    form, scope, filters = _overdue_filters(request)
    now = timezone.now()
    deadlines = deadline_list_overdue(scope=scope, now=now, **filters)
    counts = deadline_overdue_counts(deadlines=deadlines)
    # Every listed row is either overdue or at risk: the counts make the paginator's COUNT.
    page = _CountedPaginator(
        deadlines, OVERDUE_PAGE_SIZE, count=counts["overdue"] + counts["at_risk"]
    ).get_page(request.GET.get("sida"))
    weeks = deadline_breaches_per_week(scope=scope, now=now, kind=filters.get("kind", ""))
    query = request.GET.copy()
    query.pop("sida", None)
    return render(
        request,
        "deadlines/overdue.html",
        {
            "form": form,
            "page": page,
            "rows": overdue_rows(deadlines=page.object_list, today=calendar.local_date(now)),
            "counts": counts,
            "weeks": weeks,
            "chart": bar_chart([(week.label, week.count) for week in weeks]),
            "query": query.urlencode(),
            "at_risk_days": AT_RISK_WORKING_DAYS,
        },
    )


class _Echo:
    """csv.writer writes into this and gets the line back, so rows can be streamed."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value: object) -> str:
    # A cell starting with = + - @ is a formula to Excel; the leading quote keeps it text.
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def _overdue_csv_row(row: OverdueRow) -> list[str]:
    deadline = row.deadline
    local = timezone.localtime
    return [
        _csv_cell(value)
        for value in (
            row.unit_name,
            row.kind_label,
            row.state_label,
            row.due_text,
            local(deadline.breached_at).strftime("%Y-%m-%d %H:%M") if deadline.breached_at else "",
            row.working_days,
            deadline.responsible_user or "",
            row.subject_label,
            deadline.escalation_level,
        )
    ]


@login_required
def overdue_export(request: HttpRequest) -> StreamingHttpResponse:
    """The overdue list with the page's filters as CSV, streamed so a large export never sits in
    memory: semicolon-separated UTF-8 with a BOM, as Swedish Excel expects."""
    _form, scope, filters = _overdue_filters(request)
    now = timezone.now()
    today = calendar.local_date(now)
    deadlines = deadline_list_overdue(scope=scope, now=now, **filters)
    ages = WorkingDayAges.for_queryset(deadlines, today=today)
    writer = csv.writer(_Echo(), delimiter=";")
    header = [
        _("Verksamhet"),
        _("Typ av frist"),
        _("Läge"),
        _("Förfaller"),
        _("Överskriden"),
        _("Arbetsdagar sedan förfallodag / kvar"),
        _("Ansvarig person"),
        _("Ärende"),
        _("Eskaleringsnivå"),
    ]

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(header)
        for deadline in deadlines.iterator(chunk_size=500):
            yield writer.writerow(_overdue_csv_row(ages.row(deadline, today=today)))

    filename = f"forsenade-frister-{today:%Y-%m-%d}.csv"
    return StreamingHttpResponse(
        lines(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
