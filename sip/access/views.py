"""Pages for protected data (unmask, authorise) and the managers' log review (loggkontroll)."""

import csv
import io
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.exceptions import ApplicationError
from sip import services as sip_services
from sip.access import services
from sip.access.forms import (
    AuthoriseForm,
    LogFilterForm,
    LogReviewForm,
    LogReviewItemForm,
    UnmaskForm,
)
from sip.access.models import AccessLogEntry, LogReviewItem
from sip.access.selectors import (
    LogFilter,
    access_log_list_for_manager,
    access_report_allowed,
    access_report_entries,
    case_get_for_user,
    individual_get_for_user,
    log_review_get_for_manager,
    log_review_items,
    log_review_list_for_manager,
    managed_units,
    users_of_units,
    users_who_may_see_individual,
)
from sip.access.shortcuts import UNMASK_MINUTES, get_individual_or_404, unmask_remember
from sip.models import Individual

PAGE_SIZE = 50


def person_label(individual: Individual) -> str:
    """How log pages name a person: never a protected one, whose case reference must do."""
    if individual.is_protected:
        return _("Skyddad person")
    return f"{individual.full_name} ({individual.id_display})"


def manager_required(view: Callable) -> Callable:
    """The log review is for managers: others get 403 (the pages are no secret, the data is)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not managed_units(user=request.user).exists():
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


# --- protected persons ----------------------------------------------------------------------------


@login_required
@require_POST
def unmask(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a protected person's data for a while, after the authorised user states why."""
    individual = individual_get_for_user(user=request.user, pk=pk)
    if individual is None:
        raise Http404
    form = UnmaskForm(request.POST)
    form.is_valid()
    case_pk = form.cleaned_data.get("case")
    case = case_get_for_user(user=request.user, pk=case_pk) if case_pk else None
    if case is not None and case.individual_id != individual.pk:
        case = None
    try:
        services.protected_unmask(
            request=request,
            individual=individual,
            reason=form.cleaned_data.get("reason", ""),
            case=case,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        unmask_remember(request, individual)
        messages.success(
            request,
            _("De skyddade uppgifterna visas i %(minutes)d minuter. Ditt skäl är loggat.")
            % {"minutes": UNMASK_MINUTES},
        )
    if case is not None:
        return redirect("sip:case_detail", pk=case.pk)
    return redirect("sip:individual_detail", pk=individual.pk)


@login_required
@require_POST
def individual_authorise(request: HttpRequest, pk: int) -> HttpResponse:
    individual = individual_get_for_user(user=request.user, pk=pk)
    if individual is None:
        raise Http404
    form = AuthoriseForm(request.POST, users=users_who_may_see_individual(individual=individual))
    if not form.is_valid():
        messages.error(request, _("Välj en användare som har tillgång till personen."))
    else:
        try:
            sip_services.individual_authorise_user(
                individual=individual, user=form.cleaned_data["user"], by=request.user
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(user)s är behörig att se personens skyddade uppgifter.")
                % {"user": form.cleaned_data["user"]},
            )
    return redirect("sip:individual_detail", pk=individual.pk)


# --- the log and the log review -------------------------------------------------------------------


def _entry_rows(entries) -> list[tuple[AccessLogEntry, str]]:
    return [(entry, person_label(entry.individual)) for entry in entries]


@manager_required
def log_list(request: HttpRequest) -> HttpResponse:
    units = managed_units(user=request.user)
    users = users_of_units(units=units)
    form = LogFilterForm(request.GET or None, units=units, users=users)
    data = form.cleaned_data if form.is_valid() else {}
    log_filter = LogFilter(
        unit=data.get("unit"),
        user=data.get("user"),
        individual=data.get("person"),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        protected_only=data.get("protected_only", False),
    )
    page = Paginator(
        access_log_list_for_manager(user=request.user, log_filter=log_filter), PAGE_SIZE
    ).get_page(request.GET.get("sida"))
    query = request.GET.copy()
    query.pop("sida", None)
    return render(
        request,
        "sip/access/log_list.html",
        {"form": form, "page": page, "rows": _entry_rows(page), "query": query.urlencode()},
    )


@manager_required
def review_list(request: HttpRequest) -> HttpResponse:
    units = managed_units(user=request.user)
    today = timezone.localdate()
    form = LogReviewForm(
        request.POST or None,
        units=units,
        users=users_of_units(units=units),
        initial={"period_start": today.replace(day=1), "period_end": today},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            review = services.log_review_create(
                unit=data["unit"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                sample_size=data["sample_size"],
                user=data["user"],
                individual=data["person"],
                by=request.user,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("sip:access:review_detail", pk=review.pk)
    page = Paginator(log_review_list_for_manager(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("sida")
    )
    return render(request, "sip/access/review_list.html", {"form": form, "page": page})


def _review(request: HttpRequest, pk: int):
    review = log_review_get_for_manager(user=request.user, pk=pk)
    if review is None:
        raise Http404
    return review


@manager_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    page = Paginator(log_review_items(review=review), PAGE_SIZE).get_page(request.GET.get("sida"))
    rows = [
        (
            item,
            person_label(item.entry.individual),
            None
            if review.is_completed
            else LogReviewItemForm(
                auto_id=f"post{item.pk}_%s",
                initial={
                    "verdict": item.verdict
                    if item.verdict != LogReviewItem.Verdict.PENDING
                    else None,
                    "comment": item.comment,
                },
            ),
        )
        for item in page
    ]
    return render(
        request, "sip/access/review_detail.html", {"review": review, "page": page, "rows": rows}
    )


@manager_required
@require_POST
def review_item_mark(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    review = _review(request, pk)
    item = get_object_or_404(review.items.all(), pk=item_pk)
    form = LogReviewItemForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Ange om åtkomsten var befogad eller inte."))
    else:
        try:
            services.log_review_item_mark(item=item, by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, exc.message)
    response = redirect("sip:access:review_detail", pk=review.pk)
    page = request.POST.get("sida", "")
    if page.isdigit():
        response["Location"] += f"?sida={page}#post{item.pk}"
    return response


@manager_required
@require_POST
def review_complete(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    try:
        services.log_review_complete(review=review, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Loggkontrollen är avslutad."))
    return redirect("sip:access:review_detail", pk=review.pk)


# --- a person's access report ---------------------------------------------------------------------


def _report_individual(request: HttpRequest, pk: int, action: str) -> Individual:
    individual = get_individual_or_404(request, pk, action=action)
    if not access_report_allowed(user=request.user, individual=individual):
        raise PermissionDenied
    return individual


@login_required
def person_report(request: HttpRequest, pk: int) -> HttpResponse:
    """Who has read this person's data, in the reporting manager's huvudman."""
    individual = _report_individual(request, pk, AccessLogEntry.Action.REPORT)
    page = Paginator(
        access_report_entries(user=request.user, individual=individual), PAGE_SIZE
    ).get_page(request.GET.get("sida"))
    return render(
        request, "sip/access/person_report.html", {"individual": individual, "page": page}
    )


@login_required
def person_report_csv(request: HttpRequest, pk: int) -> HttpResponse:
    individual = _report_individual(request, pk, AccessLogEntry.Action.EXPORT)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([_("Tidpunkt"), _("Användare"), _("Verksamhet"), _("Ärende"), _("Åtgärd")])
    for entry in access_report_entries(user=request.user, individual=individual).iterator():
        writer.writerow(
            [
                timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
                entry.user.get_full_name() or entry.user.username,
                entry.unit.name if entry.unit_id else "",
                entry.case.reference if entry.case_id else "",
                entry.get_action_display(),
            ]
        )
    filename = f"loggutdrag-{individual.pk}-{timezone.localdate():%Y-%m-%d}.csv"
    return HttpResponse(
        buffer.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
