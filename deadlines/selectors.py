"""Reads of deadlines and notifications. Access to a subject is the calling app's check."""

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Case, Count, F, Max, Min, Q, QuerySet, When
from django.db.models.functions import TruncWeek
from django.utils.translation import gettext_lazy as _

from actors.models import Membership, Unit, User
from actors.selectors import unit_list_for_member
from agreements.models import ClosedDay
from deadlines import calendar
from deadlines.models import Deadline, Notification


def deadline_list_for_subject(*, subject: models.Model) -> QuerySet[Deadline]:
    content_type = ContentType.objects.get_for_model(subject)
    return (
        Deadline.objects.filter(content_type=content_type, object_id=subject.pk)
        .select_related("rule", "responsible_unit", "responsible_user")
        .order_by("due_at", "pk")
    )


def deadline_open_for_subject(*, subject: models.Model, kind: str) -> Deadline | None:
    """The unresolved deadline of a kind: open, or breached and still waiting to be met."""
    return (
        deadline_list_for_subject(subject=subject)
        .filter(kind=kind, status__in=Deadline.UNRESOLVED)
        .first()
    )


def notification_list_for_user(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# --- the managers' overdue page -------------------------------------------------------------------

# "At risk" = open and due within this many working days (today counts as 0).
AT_RISK_WORKING_DAYS = 2
BREACH_CHART_WEEKS = 26


class OverdueState(models.TextChoices):
    OVERDUE = "overdue", _("Överskriden")
    AT_RISK = "at_risk", _("Riskerar att överskridas")


def managed_units(*, user: User) -> QuerySet[Unit]:
    """The active units where the user is an active manager: the scope of the overdue page."""
    return unit_list_for_member(user=user, role=Membership.Role.MANAGER).order_by("name")


def _managed_scope(*, user: User, unit: Unit | None, kind: str) -> QuerySet[Deadline]:
    """Deadlines a manager answers for: the unit is theirs, or (no unit) the responsible person
    is an active member of one of their units. `unit` must come from managed_units."""
    units = managed_units(user=user)
    if unit is not None:
        units = units.filter(pk=unit.pk)
    members = Membership.objects.filter(unit__in=units, is_active=True).values("user_id")
    deadlines = Deadline.objects.filter(
        Q(responsible_unit__in=units)
        | Q(responsible_unit__isnull=True, responsible_user__in=members)
    )
    if kind:
        deadlines = deadlines.filter(kind=kind)
    return deadlines


def at_risk_limit(*, now: dt.datetime) -> dt.datetime:
    """The end of the last day that still counts as "at risk"."""
    return calendar.close_of_day(
        calendar.add_working_days(calendar.local_date(now), AT_RISK_WORKING_DAYS)
    )


def deadline_list_overdue(
    *, user: User, now: dt.datetime, unit: Unit | None = None, kind: str = "", state: str = ""
) -> QuerySet[Deadline]:
    """Breached (or open and already past due: the sweep may not have run yet) and at-risk
    deadlines of the units `user` manages, grouped by unit and kind, oldest due first.

    Each row has `past_due` (overdue rather than at risk). The subject comes prefetched through
    the generic relation: one query per kind of subject, whatever the number of rows.
    """
    overdue = Q(status=Deadline.Status.BREACHED) | Q(status=Deadline.Status.OPEN, due_at__lt=now)
    at_risk = Q(status=Deadline.Status.OPEN, due_at__gte=now, due_at__lte=at_risk_limit(now=now))
    wanted = {OverdueState.OVERDUE: overdue, OverdueState.AT_RISK: at_risk}.get(
        state, overdue | at_risk
    )
    return (
        _managed_scope(user=user, unit=unit, kind=kind)
        .filter(wanted)
        .annotate(past_due=Case(When(overdue, then=True), default=False))
        .select_related("responsible_unit", "responsible_user", "rule", "content_type")
        .prefetch_related("subject")
        .order_by(
            F("responsible_unit__name").asc(nulls_last=True),
            "responsible_unit_id",
            "kind",
            "due_at",
            "pk",
        )
    )


def deadline_overdue_counts(*, deadlines: QuerySet[Deadline]) -> dict[str, int]:
    """How many of a deadline_list_overdue result are overdue and at risk, in one query."""
    return deadlines.order_by().aggregate(
        overdue=Count("pk", filter=Q(past_due=True)),
        at_risk=Count("pk", filter=Q(past_due=False)),
    )


@dataclass(frozen=True)
class OverdueRow:
    deadline: Deadline
    state: OverdueState
    # Overdue: working days since the due date. At risk: working days left until it.
    working_days: int
    subject_label: str
    subject_url: str

    @property
    def unit_name(self) -> str:
        unit = self.deadline.responsible_unit
        return unit.name if unit else ""


class WorkingDayAges:
    """Working-day ages for many deadlines: one query for the agreements' extra closed days,
    then one walk over the calendar per agreement, however many rows are asked about."""

    def __init__(self, *, agreement_ids: Collection[int], first: dt.date, last: dt.date) -> None:
        closed: dict[int, set[dt.date]] = {agreement_id: set() for agreement_id in agreement_ids}
        for agreement_id, day in ClosedDay.objects.filter(
            agreement_id__in=agreement_ids, date__gte=first, date__lte=last
        ).values_list("agreement_id", "date"):
            closed[agreement_id].add(day)
        self._spans = {
            agreement_id: calendar.WorkingDaySpan(first, last, extra_closed=days)
            for agreement_id, days in closed.items()
        }

    @classmethod
    def for_deadlines(cls, deadlines: Iterable[Deadline], *, today: dt.date) -> "WorkingDayAges":
        deadlines = list(deadlines)
        days = [today, *(deadline.due_date for deadline in deadlines)]
        return cls(
            agreement_ids={deadline.rule.agreement_id for deadline in deadlines},
            first=min(days),
            last=max(days),
        )

    @classmethod
    def for_queryset(cls, deadlines: QuerySet[Deadline], *, today: dt.date) -> "WorkingDayAges":
        span = deadlines.order_by().aggregate(first=Min("due_at"), last=Max("due_at"))
        days = [today]
        days += [calendar.local_date(span[key]) for key in ("first", "last") if span[key]]
        agreement_ids = set(
            deadlines.order_by().values_list("rule__agreement_id", flat=True).distinct()
        )
        return cls(agreement_ids=agreement_ids, first=min(days), last=max(days))

    def row(self, deadline: Deadline, *, today: dt.date) -> OverdueRow:
        span = self._spans[deadline.rule.agreement_id]
        if deadline.past_due:
            state = OverdueState.OVERDUE
            working_days = span.between(deadline.due_date, today)
        else:
            state = OverdueState.AT_RISK
            working_days = span.between(today, deadline.due_date)
        subject = deadline.subject
        # The subject model decides whether it has a page; this app never knows which it is.
        get_url = getattr(subject, "get_absolute_url", None)
        return OverdueRow(
            deadline=deadline,
            state=state,
            working_days=working_days,
            subject_label=str(subject) if subject is not None else deadline.subject_reference,
            subject_url=get_url() if callable(get_url) else "",
        )


def overdue_rows(*, deadlines: Iterable[Deadline], today: dt.date) -> list[OverdueRow]:
    deadlines = list(deadlines)
    ages = WorkingDayAges.for_deadlines(deadlines, today=today)
    return [ages.row(deadline, today=today) for deadline in deadlines]


@dataclass(frozen=True)
class WeekCount:
    week_start: dt.date
    count: int

    @property
    def label(self) -> str:
        year, week, _weekday = self.week_start.isocalendar()
        return f"{year}-v{week:02d}"


def deadline_breaches_per_week(
    *, user: User, now: dt.datetime, unit: Unit | None = None, kind: str = ""
) -> list[WeekCount]:
    """Breaches per week (by breached_at, Stockholm weeks from Monday) over the last
    BREACH_CHART_WEEKS weeks up to this one, zeros included, oldest first. One query."""
    today = calendar.local_date(now)
    this_monday = today - dt.timedelta(days=today.weekday())
    first_monday = this_monday - dt.timedelta(weeks=BREACH_CHART_WEEKS - 1)
    since = dt.datetime.combine(first_monday, dt.time(0, 0), tzinfo=calendar.STOCKHOLM)
    counted = (
        _managed_scope(user=user, unit=unit, kind=kind)
        .filter(breached_at__gte=since)
        .annotate(week=TruncWeek("breached_at", tzinfo=calendar.STOCKHOLM))
        .order_by()
        .values("week")
        .annotate(count=Count("pk"))
    )
    by_week = {row["week"].date(): row["count"] for row in counted}
    return [
        WeekCount(week_start=monday, count=by_week.get(monday, 0))
        for monday in (first_monday + dt.timedelta(weeks=n) for n in range(BREACH_CHART_WEEKS))
    ]
