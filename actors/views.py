from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from actors.selectors import unit_list_for_member


@login_required
def my_units(request: HttpRequest) -> HttpResponse:
    memberships = request.user.memberships.filter(is_active=True).select_related(
        "unit__huvudman", "unit__municipality"
    )
    return render(request, "actors/my_units.html", {"memberships": memberships})


# Placeholders replaced by the directory work in progress (issue 2); never committed as final.
def directory(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


directory_export = directory_import = directory
