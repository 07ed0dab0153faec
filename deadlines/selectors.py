"""Reads of deadlines and notifications. Access to a subject is the calling app's check."""

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Case, Count, F, Max, Min, Q, QuerySet, Value, When
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from actors.models import Membership, Unit, User
from actors.selectors import unit_list_for_member
from agreements.models import ClosedDay, DeadlineRule
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


@dataclass(frozen=True)
class ManagedScope:
    """The units a manager answers for and their active members, read once per request.

    The deadline reads filter on these ids as literal lists: with the units and members as
    subqueries (`unit IN (...) OR (no unit AND person IN (...))`) PostgreSQL could use no index
    for either arm and read every unresolved deadline in the country; with lists each arm is an
    index scan on a partial index (docs/manager-pages.md).
    """

    # Ordered by name: the filter form's choices.
    units: tuple[Unit, ...]
    # Unit id → ids of its active members (the manager is one of them).
    members: Mapping[int, frozenset[int]]

    @property
    def unit_ids(self) -> list[int]:
        return [unit.pk for unit in self.units]

    @property
    def member_ids(self) -> list[int]:
        return sorted(set().union(*self.members.values()))

    def narrowed_to(self, *, unit_id: int) -> "ManagedScope":
        """The scope of one of the units; `unit_id` must be one of `units` (the form checks)."""
        return ManagedScope(
            units=tuple(unit for unit in self.units if unit.pk == unit_id),
            members={unit_id: self.members[unit_id]},
        )

    def deadlines(self, *, kind: str = "") -> QuerySet[Deadline]:
        """Deadlines of the managed units, and those without a unit whose responsible person is
        an active member of one of them."""
        deadlines = Deadline.objects.filter(
            Q(responsible_unit__in=self.unit_ids)
            | Q(responsible_unit__isnull=True, responsible_user__in=self.member_ids)
        )
        if kind:
            deadlines = deadlines.filter(kind=kind)
        return deadlines


def managed_scope(*, user: User) -> ManagedScope:
    """What the manager answers for, in one query: every active membership of the units they
    manage. They are an active member of each of those units, so every unit is among the rows."""
    memberships = (
        Membership.objects.filter(is_active=True, unit__in=managed_units(user=user))
        .select_related("unit")
        .order_by("unit__name", "unit_id", "user_id")
    )
    units: dict[int, Unit] = {}
    members: dict[int, set[int]] = {}
    for membership in memberships:
        units.setdefault(membership.unit_id, membership.unit)
        members.setdefault(membership.unit_id, set()).add(membership.user_id)
    return ManagedScope(
        units=tuple(units.values()),
        members={unit_id: frozenset(ids) for unit_id, ids in members.items()},
    )


def at_risk_limit(*, now: dt.datetime) -> dt.datetime:
    """The end of the last day that still counts as "at risk"."""
    return calendar.close_of_day(
        calendar.add_working_days(calendar.local_date(now), AT_RISK_WORKING_DAYS)
    )


def deadline_list_overdue(
    *, scope: ManagedScope, now: dt.datetime, kind: str = "", state: str = ""
) -> QuerySet[Deadline]:
    """Breached (or open and already past due: the sweep may not have run yet) and at-risk
    deadlines a manager answers for (`scope`), grouped by unit and kind, oldest due first.

    Each row has `past_due` (overdue rather than at risk) and its rule's `agreement_id` (whose
    closed days count). The subject comes prefetched through the generic relation: one query per
    kind of subject, whatever the number of rows.
    """
    overdue = Q(status=Deadline.Status.BREACHED) | Q(status=Deadline.Status.OPEN, due_at__lt=now)
    at_risk = Q(status=Deadline.Status.OPEN, due_at__gte=now, due_at__lte=at_risk_limit(now=now))
    wanted = {OverdueState.OVERDUE: overdue, OverdueState.AT_RISK: at_risk}.get(
        state, overdue | at_risk
    )
    # The units in the scope's order (by name), no unit last: the sort needs no join, so
    # PostgreSQL joins the units and people to the page's rows only, after the LIMIT.
    unit_order = Case(
        *(
            When(responsible_unit=unit_id, then=Value(position))
            for position, unit_id in enumerate(scope.unit_ids)
        ),
        default=Value(len(scope.units)),
    )
    return (
        scope.deadlines(kind=kind)
        .filter(wanted)
        .annotate(
            past_due=Case(When(overdue, then=True), default=False),
            agreement_id=F("rule__agreement_id"),
        )
        # No content type joined: the subjects' prefetch finds it in ContentType's cache.
        .select_related("responsible_unit", "responsible_user")
        .prefetch_related("subject")
        .order_by(unit_order, "kind", "due_at", "pk")
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
    # Translated once per list: get_kind_display() translates every choice on each call.
    kind_label: str
    state_label: str
    # Formatted here, once per row: the template's date filter and a {% blocktranslate count %}
    # per row cost more than the rest of a row.
    due_iso: str
    due_text: str
    age_text: str
    # The responsible person and the escalation level, or "–".
    responsible_text: str
    level_text: str

    @property
    def unit_name(self) -> str:
        unit = self.deadline.responsible_unit
        return unit.name if unit else ""


class WorkingDayAges:
    """Working-day ages for many deadlines from deadline_list_overdue: one query for the
    agreements' extra closed days, then one walk over the calendar per agreement, however many
    rows are asked about. Makes the OverdueRow of each deadline."""

    def __init__(self, *, agreement_ids: Collection[int], first: dt.date, last: dt.date) -> None:
        self._kind_labels = {kind: str(label) for kind, label in DeadlineRule.Kind.choices}
        self._state_labels = {state: str(state.label) for state in OverdueState}
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
            agreement_ids={deadline.agreement_id for deadline in deadlines},
            first=min(days),
            last=max(days),
        )

    @classmethod
    def for_queryset(cls, deadlines: QuerySet[Deadline], *, today: dt.date) -> "WorkingDayAges":
        """The agreements and the span of due dates of all the rows, in one pass over them."""
        spans = (
            deadlines.order_by()
            .values("rule__agreement_id")
            .annotate(first=Min("due_at"), last=Max("due_at"))
        )
        days, agreement_ids = [today], set()
        for span in spans:
            agreement_ids.add(span["rule__agreement_id"])
            days += [calendar.local_date(span["first"]), calendar.local_date(span["last"])]
        return cls(agreement_ids=agreement_ids, first=min(days), last=max(days))

    def row(self, deadline: Deadline, *, today: dt.date) -> OverdueRow:
        span = self._spans[deadline.agreement_id]
        if deadline.past_due:
            state = OverdueState.OVERDUE
            working_days = span.between(deadline.due_date, today)
            age = ngettext(
                "%(days)s sedan förfallodagen", "%(days)s sedan förfallodagen", working_days
            )
        else:
            state = OverdueState.AT_RISK
            working_days = span.between(today, deadline.due_date)
            age = ngettext("%(days)s kvar", "%(days)s kvar", working_days)
        due = timezone.localtime(deadline.due_at)
        subject = deadline.subject
        # The subject model decides whether it has a page; this app never knows which it is.
        get_url = getattr(subject, "get_absolute_url", None)
        return OverdueRow(
            deadline=deadline,
            state=state,
            working_days=working_days,
            subject_label=str(subject) if subject is not None else deadline.subject_reference,
            subject_url=get_url() if callable(get_url) else "",
            kind_label=self._kind_labels.get(deadline.kind, deadline.kind),
            state_label=self._state_labels[state],
            due_iso=due.isoformat(),
            due_text=due.strftime("%Y-%m-%d %H:%M"),
            age_text=age % {"days": working_days},
            responsible_text=_text_or_dash(deadline.responsible_user),
            level_text=_text_or_dash(deadline.escalation_level),
        )


def _text_or_dash(value: object) -> str:
    # What the template's |default:"–" showed: a level 0 is "–" too.
    return str(value) if value else "–"


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
    *, scope: ManagedScope, now: dt.datetime, kind: str = ""
) -> list[WeekCount]:
    """Breaches per week (by breached_at, Stockholm weeks from Monday) over the last
    BREACH_CHART_WEEKS weeks up to this one, zeros included, oldest first. One query."""
    today = calendar.local_date(now)
    this_monday = today - dt.timedelta(days=today.weekday())
    first_monday = this_monday - dt.timedelta(weeks=BREACH_CHART_WEEKS - 1)
    since = dt.datetime.combine(first_monday, dt.time(0, 0), tzinfo=calendar.STOCKHOLM)
    counted = (
        scope.deadlines(kind=kind)
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
