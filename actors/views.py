from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from actors import services
from actors.forms import (
    DirectoryFilterForm,
    ImportConfirmForm,
    ImportUploadForm,
    ProfessionalFilterForm,
    SearchForm,
    SteeringGroupFilterForm,
)
from actors.selectors import huvudman_list, professional_list, steering_group_list, unit_search

PAGE_SIZE = 50


def directory_admin_required(view: Callable) -> Callable:
    """Anonymous users go to the login page; signed-in non-admins get 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_directory_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@login_required
def my_units(request: HttpRequest) -> HttpResponse:
    memberships = (
        request.user.memberships.filter(is_active=True, unit__is_active=True)
        .select_related("unit__huvudman", "unit__municipality")
        .order_by("unit__name")
    )
    return render(request, "actors/my_units.html", {"memberships": memberships})


@directory_admin_required
def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    municipality = filters.get("municipality")
    units = unit_search(
        query=filters.get("q", ""),
        kind=filters.get("kind", ""),
        municipality_code=municipality.code if municipality else "",
    )
    if filters.get("huvudman"):
        units = units.filter(huvudman=filters["huvudman"])
    page = Paginator(units, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "actors/directory.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@directory_admin_required
def directory_export(request: HttpRequest) -> HttpResponse:
    filename = f"aktorskatalog-{timezone.localdate():%Y-%m-%d}.csv"
    return HttpResponse(
        services.directory_export_csv(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@directory_admin_required
def directory_import(request: HttpRequest) -> HttpResponse:
    """Upload → dry-run preview → confirm; the confirm step re-validates the same content."""
    upload_form = ImportUploadForm()
    context: dict = {}
    if request.method == "POST" and "content" in request.POST:
        confirm_form = ImportConfirmForm(request.POST)
        if confirm_form.is_valid():
            result = services.directory_import(
                text=confirm_form.cleaned_data["content"], user=request.user, dry_run=False
            )
            if result.imported:
                messages.success(
                    request,
                    _("Katalogen importerad: %(c)s nya, %(u)s ändrade, %(n)s oförändrade rader.")
                    % {"c": result.created, "u": result.updated, "n": result.unchanged},
                )
                return redirect("actors:directory")
            context["result"] = result
    elif request.method == "POST":
        upload_form = ImportUploadForm(request.POST, request.FILES)
        if upload_form.is_valid():
            text = upload_form.cleaned_data["file"]
            result = services.directory_import(text=text, user=request.user, dry_run=True)
            context["result"] = result
            if result.ok:
                context["confirm_form"] = ImportConfirmForm(initial={"content": text})
    context["upload_form"] = upload_form
    return render(request, "actors/import.html", context)


def _listing(request: HttpRequest, template: str, form, items) -> HttpResponse:
    """A paginated admin list with its filter form; the page number survives filtering links."""
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, template, {"form": form, "page": page, "query": query.urlencode()})


def _filters(form) -> dict:
    return form.cleaned_data if form.is_valid() else {}


@directory_admin_required
def huvudman_directory(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    owners = huvudman_list(query=_filters(form).get("q", ""))
    return _listing(request, "actors/huvudman_list.html", form, owners)


@directory_admin_required
def professional_directory(request: HttpRequest) -> HttpResponse:
    form = ProfessionalFilterForm(request.GET or None)
    filters = _filters(form)
    people = professional_list(query=filters.get("q", ""), role=filters.get("role", ""))
    return _listing(request, "actors/professional_list.html", form, people)


@directory_admin_required
def steering_group_directory(request: HttpRequest) -> HttpResponse:
    form = SteeringGroupFilterForm(request.GET or None)
    groups = steering_group_list(county=_filters(form).get("county", ""))
    return _listing(request, "actors/steering_group_list.html", form, groups)
