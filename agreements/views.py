"""Read-only pages for admins: the agreements, their rules and ladders, and the source texts."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from actors.views import directory_admin_required
from agreements.forms import RuleFilterForm
from agreements.selectors import (
    agreement_get,
    agreement_list,
    agreement_source_lines,
    deadline_rule_list,
    source_lines,
)

PAGE_SIZE = 50


@directory_admin_required
def agreement_index(request: HttpRequest) -> HttpResponse:
    page = Paginator(agreement_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "agreements/agreement_list.html", {"page": page, "query": ""})


def _agreement(pk: int):
    agreement = agreement_get(pk=pk)
    if agreement is None:
        raise Http404
    return agreement


@directory_admin_required
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "agreements/agreement_detail.html", {"agreement": _agreement(pk)})


@directory_admin_required
def agreement_source(request: HttpRequest, pk: int) -> HttpResponse:
    """The source text with numbered lines; the lines a rule or level cites are marked."""
    agreement = _agreement(pk)
    lines = agreement_source_lines(agreement=agreement)
    cited = {
        line
        for item in [*agreement.rules.all(), *agreement.escalation_levels.all()]
        for line in source_lines(item.source_section)
    }
    numbered = [(number, text, number in cited) for number, text in enumerate(lines or [], 1)]
    return render(
        request,
        "agreements/agreement_source.html",
        {"agreement": agreement, "lines": numbered, "available": lines is not None},
    )


@directory_admin_required
def rule_index(request: HttpRequest) -> HttpResponse:
    form = RuleFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rules = deadline_rule_list(kind=filters.get("kind", ""), county=filters.get("county", ""))
    page = Paginator(rules, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "agreements/rule_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )
