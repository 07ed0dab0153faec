"""Deviation report pages. Each view finds the report through report_list_for_user (404 for
everyone else), lets a form check the input and one service do the work. There is no edit and no
delete view: a report only moves forward through its steps and gains comments."""

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from actors.models import Unit
from actors.selectors import user_roles
from config.exceptions import ApplicationError
from deadlines.calendar import STOCKHOLM
from sip.access.models import AccessLogEntry
from sip.access.services import access_log_record
from sip.access.shortcuts import get_case_or_404, reveals
from sip.deviations import forms, selectors, services
from sip.deviations.models import DeviationEntry, DeviationReport
from sip.selectors import case_get_for_user, user_units_for_convening

PAGE_SIZE = 50
TIMELINE_PAGE_SIZE = 100


# --- filing -------------------------------------------------------------------------------------


@login_required
def report_create(
    request: HttpRequest,
    case_pk: int | None = None,
    meeting_pk: int | None = None,
    deadline_pk: int | None = None,
) -> HttpResponse:
    """The report form, from a case, one of its meetings or deadlines, or on its own."""
    case = meeting = deadline = None
    initial: dict = {"occurred_at": timezone.localtime().replace(second=0, microsecond=0)}
    if case_pk is not None:
        # Anyone who may read the case may report a deviation on it (a participant too).
        case = get_case_or_404(request, case_pk)
        concerned = selectors.case_units(case=case)
    else:
        concerned = Unit.objects.filter(is_active=True).order_by("name")
    if meeting_pk is not None:
        meeting = get_object_or_404(case.meetings, pk=meeting_pk)
        initial |= {
            "category": DeviationReport.Category.NON_ATTENDANCE,
            "occurred_at": meeting.starts_at,
        }
    if deadline_pk is not None:
        deadline = get_object_or_404(selectors.case_deadlines(case=case), pk=deadline_pk)
        initial |= {
            "category": DeviationReport.Category.MISSED_DEADLINE,
            "occurred_at": deadline.due_at,
            "concerned_units": [u for u in [deadline.responsible_unit_id] if u],
        }
    units = user_units_for_convening(user=request.user)
    if not units.exists():
        raise PermissionDenied
    initial["reporting_unit"] = units.first()
    form = forms.ReportForm(
        request.POST or None,
        initial=initial,
        reporting_units=units,
        concerned_units=concerned,
        with_agreement=case is None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = services.report_create(
                by=request.user,
                reporting_unit=data["reporting_unit"],
                concerned_units=data["concerned_units"],
                category=data["category"],
                occurred_at=data["occurred_at"],
                description=data["description"],
                agreement=data.get("agreement"),
                case=case,
                meeting=meeting,
                deadline=deadline,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Avvikelsen %s är registrerad.") % report.reference)
            return redirect("sip:deviation_detail", pk=report.pk)
    return render(
        request,
        "sip/deviations/report_form.html",
        {"form": form, "case": case, "meeting": meeting, "deadline": deadline},
    )


# --- one report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Step:
    label: str
    form: type[django_forms.Form]
    run: Callable[..., object]
    done: str
    style: str = "secondary"


# The posted steps by URL slug: label, form, service call, success message.
_STEPS: dict[str, tuple[str, _Step]] = {
    "bekrafta": (
        selectors.CONFIRM,
        _Step(
            gettext_lazy("Bekräfta utkastet"),
            forms.ConfirmForm,
            lambda report, by, data: services.report_confirm(report=report, by=by, **data),
            gettext_lazy("Utkastet är bekräftat och rapporten registrerad."),
            "primary",
        ),
    ),
    "avfarda": (
        selectors.DISMISS,
        _Step(
            gettext_lazy("Avfärda utkastet"),
            forms.DismissForm,
            lambda report, by, data: services.report_dismiss(report=report, by=by, **data),
            gettext_lazy("Utkastet är avfärdat."),
            "danger",
        ),
    ),
    "mottagen": (
        selectors.RECEIVE,
        _Step(
            gettext_lazy("Kvittera som mottagen"),
            forms.NoteForm,
            lambda report, by, data: services.report_receive(report=report, by=by, **data),
            gettext_lazy("Rapporten är kvitterad som mottagen."),
            "primary",
        ),
    ),
    "utred": (
        selectors.INVESTIGATE,
        _Step(
            gettext_lazy("Påbörja utredning"),
            forms.NoteForm,
            lambda report, by, data: services.report_investigate(report=report, by=by, **data),
            gettext_lazy("Rapporten är under utredning."),
            "primary",
        ),
    ),
    "besvara": (
        selectors.ANSWER,
        _Step(
            gettext_lazy("Besvara med åtgärder"),
            forms.AnswerForm,
            lambda report, by, data: services.report_answer(report=report, by=by, **data),
            gettext_lazy("Svaret är registrerat."),
            "primary",
        ),
    ),
    "eskalera": (
        selectors.ESCALATE,
        _Step(
            gettext_lazy("Lyft till nästa nivå"),
            forms.EscalateForm,
            lambda report, by, data: services.report_escalate(report=report, by=by, **data),
            gettext_lazy("Rapporten är lyft till nästa nivå."),
            "warning",
        ),
    ),
    "avsluta": (
        selectors.CLOSE,
        _Step(
            gettext_lazy("Avsluta"),
            forms.NoteForm,
            lambda report, by, data: services.report_close(report=report, by=by, **data),
            gettext_lazy("Rapporten är avslutad."),
        ),
    ),
    "kommentera": (
        selectors.COMMENT,
        _Step(
            gettext_lazy("Kommentera"),
            forms.CommentForm,
            lambda report, by, data: services.report_comment(report=report, by=by, **data),
            gettext_lazy("Kommentaren är sparad."),
        ),
    ),
}


def _report(request: HttpRequest, pk: int) -> DeviationReport:
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    if report is None:
        raise Http404
    return report


@dataclass(frozen=True)
class _TimelineRow:
    entry: DeviationEntry
    text: str
    measures: str


def _timeline(entries, *, redacted: bool, names: list[str]) -> list[_TimelineRow]:
    def show(text: str) -> str:
        return selectors.redact(text, names=names) if redacted else text

    return [_TimelineRow(entry, show(entry.text), show(entry.measures)) for entry in entries]


def _report_case(request: HttpRequest, report: DeviationReport) -> tuple[bool, bool | None]:
    """Whether the viewer may read the report's case, and whether its person is shown to them.

    A report's texts are about a case's person: they are shown unmasked only to those who may
    read the case, and for a protected person only once unmasked; such a view is logged as a
    read of the case. None: a report without a case (no person to hide but identity numbers).
    """
    if not report.case_id:
        return False, None
    case = case_get_for_user(user=request.user, pk=report.case_id)
    if case is None:
        return False, False
    access_log_record(
        request=request,
        action=AccessLogEntry.Action.CHANGE
        if request.method == "POST"
        else AccessLogEntry.Action.VIEW,
        case=case,
    )
    return True, reveals(request, case.individual, authorised=case.viewer_authorised)


def _detail_page(
    request: HttpRequest,
    report: DeviationReport,
    *,
    bound: tuple[str, django_forms.Form] | None = None,
) -> HttpResponse:
    case_visible, sees_person = _report_case(request, report)
    detail = selectors.report_detail(report=report, user=request.user, sees_person=sees_person)
    report = detail.report
    steps = []
    for slug, (action, step) in _STEPS.items():
        if action not in detail.actions:
            continue
        if bound and bound[0] == slug:
            form = bound[1]
        else:
            initial = {"description": detail.summary} if action == selectors.CONFIRM else None
            form = step.form(initial=initial, auto_id=f"{slug}_%s")
        steps.append(
            {"slug": slug, "step": step, "form": form, "open": bool(bound and bound[0] == slug)}
        )
    page = Paginator(selectors.entry_list(report=report), TIMELINE_PAGE_SIZE).get_page(
        request.GET.get("sida")
    )
    timeline = _timeline(
        page, redacted=not detail.sees_person, names=selectors.report_person_names(report)
    )
    return render(
        request,
        "sip/deviations/report_detail.html",
        {
            "detail": detail,
            "report": report,
            "case_visible": case_visible,
            "steps": steps,
            "page": page,
            "timeline": timeline,
        },
    )


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, _report(request, pk))


@login_required
@require_POST
def report_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Run one posted step; bad input or a refused step re-shows the page with the message."""
    if step not in _STEPS:
        raise Http404
    report = _report(request, pk)
    action, definition = _STEPS[step]
    form = definition.form(request.POST, auto_id=f"{step}_%s")
    if form.is_valid():
        try:
            definition.run(report, request.user, form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, str(definition.done))
            return redirect("sip:deviation_detail", pk=report.pk)
    access = selectors.report_access(report=report, user=request.user)
    following = selectors.next_level(selectors.report_ladder(report=report), report.level)
    if action not in selectors.report_actions(report=report, access=access, next_level=following):
        # The step is not offered (e.g. the report is closed): the page has no form to show the
        # message at, so it goes on top of the page.
        messages.error(request, " ".join(form.non_field_errors()) or _("Steget är inte möjligt."))
        return redirect("sip:deviation_detail", pk=report.pk)
    return _detail_page(request, report, bound=(step, form))


# --- lists --------------------------------------------------------------------------------------


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("sida", None)
    return query.urlencode()


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Reports concerning the user's units (the managers' inbox), or those their units filed."""
    form = forms.InboxFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    reports = selectors.report_inbox(
        user=request.user,
        direction="from" if filters.get("visa") == "fran" else "to",
        status=filters.get("status", ""),
        category=filters.get("category", ""),
    )
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("sida"))
    return render(
        request,
        "sip/deviations/inbox.html",
        {
            "form": form,
            "page": page,
            "rows": selectors.report_rows(page),
            "query": _query_without_page(request),
        },
    )


@login_required
def steering(request: HttpRequest) -> HttpResponse:
    """A steering group member's list of reports lifted to their groups' level."""
    page = Paginator(
        selectors.report_list_for_steering_member(user=request.user), PAGE_SIZE
    ).get_page(request.GET.get("sida"))
    return render(
        request,
        "sip/deviations/steering.html",
        {"page": page, "rows": selectors.report_rows(page)},
    )


@login_required
def case_timeline(request: HttpRequest, case_pk: int) -> HttpResponse:
    """Every step, answer and comment of the case's reports the user may see, in time order."""
    case = get_case_or_404(request, case_pk)
    reports = selectors.report_list_for_case(user=request.user, case=case)
    page = Paginator(selectors.entry_list(reports=reports), TIMELINE_PAGE_SIZE).get_page(
        request.GET.get("sida")
    )
    # Whoever may open the case sees its person anyway, unless a protected person is masked.
    timeline = _timeline(
        page,
        redacted=not case.person_revealed,
        names=[]
        if case.person_revealed
        else selectors.individual_names(individual_id=case.individual_id),
    )
    return render(
        request,
        "sip/deviations/case_timeline.html",
        {"case": case, "page": page, "timeline": timeline},
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


# Spreadsheet programs run cells starting with these as formulas.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _local(moment) -> str:
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M") if moment else ""


def _export_rows(reports) -> Iterator[list[str]]:
    yield [
        _("Referens"),
        _("Överenskommelse"),
        _("Kategori"),
        _("Status"),
        _("Nivå"),
        _("Rapporterande verksamhet"),
        _("Berörda verksamheter"),
        _("SIP-ärende"),
        _("När det hände"),
        _("Registrerad"),
        _("Avslutad"),
        _("Vad hände"),
    ]
    for report in reports.iterator(chunk_size=500):
        yield [
            _cell(value)
            for value in (
                report.reference,
                report.agreement.name,
                report.get_category_display(),
                report.get_status_display(),
                report.level.name if report.level_id else "",
                report.reporting_unit.name,
                ", ".join(unit.name for unit in report.concerned_units.all()),
                report.case.reference if report.case_id else "",
                _local(report.occurred_at),
                _local(report.registered_at),
                _local(report.closed_at),
                # Identity numbers and the person's and guardians' names never leave in a file.
                selectors.redact(report.description, names=selectors.report_person_names(report)),
            )
        ]


@login_required
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The reports the user may see (inbox filters apply), semicolon-separated UTF-8 with BOM."""
    form = forms.InboxFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    reports = selectors.report_list_for_export(
        user=request.user, status=filters.get("status", ""), category=filters.get("category", "")
    )
    writer = csv.writer(_Echo(), delimiter=";")

    def stream() -> Iterator[str]:
        yield "\ufeff"
        for row in _export_rows(reports):
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="avvikelser-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    return response


@login_required
def yearly(request: HttpRequest) -> HttpResponse:
    """The follow-up indicator (002): reports per agreement and category for one year."""
    roles = user_roles(user=request.user)
    if not (roles.is_manager or roles.is_steering_member or roles.is_admin):
        raise PermissionDenied
    this_year = timezone.localdate().year
    form = forms.YearForm(request.GET or {"year": this_year})
    year = form.cleaned_data["year"] if form.is_valid() else this_year
    page = Paginator(selectors.deviation_yearly_counts(year=year), PAGE_SIZE).get_page(
        request.GET.get("sida")
    )
    return render(
        request,
        "sip/deviations/yearly.html",
        {
            "form": form,
            "year": year,
            "page": page,
            "categories": DeviationReport.Category.labels,
            "query": _query_without_page(request),
        },
    )
