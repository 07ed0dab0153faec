"""Reads of agreements and their rules."""

import datetime as dt
import re
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet

from actors.models import Huvudman
from agreements.models import Agreement, ClosedDay, DeadlineRule, EscalationLevel


def agreement_for(*, county: str, target_group: str, on: dt.date) -> Agreement | None:
    """The agreement version in force in a county for a target group on a date, newest first."""
    return (
        Agreement.objects.filter(county=county, target_group=target_group, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .order_by("-valid_from", "-version")
        .first()
    )


def deadline_rule_get(*, agreement: Agreement, kind: str) -> DeadlineRule | None:
    """The active rule of a kind, or None where the agreement sets no such clock."""
    return DeadlineRule.objects.filter(agreement=agreement, kind=kind, is_active=True).first()


def escalation_ladder(*, agreement: Agreement) -> list[EscalationLevel]:
    return list(EscalationLevel.objects.filter(agreement=agreement).order_by("order"))


# --- read-only pages for admins -------------------------------------------------------------------

# "…, Arbetsmodell för samverkan (rad 587–589)": the seeds cite line numbers in the source text.
_SOURCE_LINES = re.compile(r"\brad (\d+)(?:\s*[–-]\s*(\d+))?")


def agreement_list() -> QuerySet[Agreement]:
    return Agreement.objects.annotate(
        rule_count=Count("rules", filter=Q(rules__is_active=True), distinct=True),
        level_count=Count("escalation_levels", distinct=True),
    ).order_by("county", "code", "-version")


def agreement_get(*, pk: int) -> Agreement | None:
    """One agreement with its rules, ladder, closed days and parties: five queries in all."""
    return (
        Agreement.objects.prefetch_related(
            Prefetch("rules", queryset=DeadlineRule.objects.order_by("-is_active", "kind", "pk")),
            Prefetch("escalation_levels", queryset=EscalationLevel.objects.order_by("order")),
            Prefetch("closed_days", queryset=ClosedDay.objects.order_by("date")),
            Prefetch("parties", queryset=Huvudman.objects.order_by("name")),
        )
        .filter(pk=pk)
        .first()
    )


def deadline_rule_list(*, kind: str = "", county: str = "") -> QuerySet[DeadlineRule]:
    rules = DeadlineRule.objects.select_related("agreement")
    if kind:
        rules = rules.filter(kind=kind)
    if county:
        rules = rules.filter(agreement__county=county)
    return rules.order_by("agreement__county", "agreement__code", "-agreement__version", "kind")


def source_lines(section: str) -> range:
    """The lines a source citation points at ("rad 587–589"); empty when it names none."""
    match = _SOURCE_LINES.search(section)
    if not match:
        return range(0)
    first = int(match.group(1))
    last = int(match.group(2) or first)
    return range(first, max(first, last) + 1)


def agreement_source_lines(*, agreement: Agreement) -> list[str] | None:
    """The source document's text, one string per line, or None when the server lacks it.

    Only a bare file name inside AGREEMENT_SOURCES_DIR is read: the name is data an admin can
    edit, and must never reach another file on the server.
    """
    name = agreement.source_document
    directory = Path(settings.AGREEMENT_SOURCES_DIR)
    if not name or Path(name).name != name or name in (".", ".."):
        return None
    path = directory / name
    if not path.is_file():
        return None
    return path.read_text(encoding="utf-8", errors="replace").splitlines()
