"""Reads of agreements and their rules."""

import datetime as dt

from django.db.models import Q

from agreements.models import Agreement, DeadlineRule, EscalationLevel


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
