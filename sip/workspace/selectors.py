"""Reads behind the coordinator's pages: the case worklist with each case's next deadline.

Every case read starts from the access selectors (`sip.selectors.case_scope_for_user`,
`case_list_for_user`), so the access rule stays in one place; these only narrow, order and
annotate what they return.
"""

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actors.models import Membership, Unit, User
from agreements.models import ClosedDay, DeadlineRule
from deadlines.calendar import local_date, working_days_between
from deadlines.models import Deadline
from deadlines.selectors import deadline_list_for_subject
from sip.access.selectors import authorised_for
from sip.identity import parse_id_number
from sip.models import Case, Invitation, LeadAssignment, Meeting, Participant, Plan
from sip.selectors import case_list_for_user, case_scope_for_user

# A deadline this many working days away or closer is shown amber.
AMBER_WORKING_DAYS = 2


class Role(models.TextChoices):
    """The user's part in a case, as the worklist shows and filters it."""

    CONVENER = "kallar", _("Handläggare")
    LEAD = "huvudansvarig", _("Huvudansvarig verksamhet")
    COORDINATOR = "samordnare", _("Samordnarens verksamhet")
    PARTICIPANT = "deltar", _("Deltagande verksamhet")


class StatusFilter:
    """Besides one status: every case still running (the default) or every case."""

    RUNNING = ""
    ALL = "alla"


class Sort:
    DEADLINE = ""
    NEWEST = "nyast"


@dataclass(frozen=True)
class CaseFilters:
    query: str = ""
    status: str = StatusFilter.RUNNING
    unit_id: int | None = None
    role: str = ""
    sort: str = Sort.DEADLINE


def _case_deadlines() -> QuerySet[Deadline]:
    # The content type as a scalar subquery (app label and model are unique together):
    # PostgreSQL reads it once per statement, where a join would look it up again for every case.
    case_type = ContentType.objects.filter(app_label="sip", model="case").values("pk")
    return Deadline.objects.filter(
        content_type=Subquery(case_type),
        object_id=OuterRef("pk"),
        status__in=Deadline.UNRESOLVED,
    ).order_by("due_at", "pk")


def _search(text: str, *, today: dt.date) -> Q:
    """Name words must each match a first or last name; digits match the identity number."""
    compact = re.sub(r"[\s\-+]", "", text)
    if compact.isdigit():
        try:
            return Q(individual__id_number=parse_id_number(text, today=today).number)
        except ValidationError:
            return Q(individual__id_number__contains=compact)
    condition = Q()
    for word in text.split():
        condition &= (
            Q(individual__first_name__icontains=word)
            | Q(individual__last_name__icontains=word)
            | Q(individual__reserve_number__iexact=word)
        )
    return condition


def _with_roles(cases: QuerySet[Case], *, user: User) -> QuerySet[Case]:
    """Annotate is_lead_unit, is_plan_coordinator_unit and is_participant_unit."""
    my_units = Membership.objects.filter(user=user, is_active=True, unit__is_active=True).values(
        "unit_id"
    )
    latest_plan = Plan.objects.filter(case=OuterRef("pk")).order_by("-version")
    cases = cases.annotate(
        plan_coordinator_unit_id=Subquery(latest_plan.values("coordinator_unit_id")[:1]),
        is_lead_unit=Exists(
            LeadAssignment.objects.filter(
                case=OuterRef("pk"), ended_at__isnull=True, unit__in=my_units
            )
        ),
        is_participant_unit=Exists(
            Participant.objects.filter(case=OuterRef("pk"), unit__in=my_units)
        ),
    )
    return cases.annotate(is_plan_coordinator_unit=Q(plan_coordinator_unit_id__in=my_units))


def case_worklist_ids(*, user: User, filters: CaseFilters) -> list[int]:
    """The ids of the user's cases that pass the filters, in worklist order.

    The first of the worklist's two reads: ids and order keys only, no related rows and no
    display annotations, so the database reads each visible case once, by its primary key, and
    the whole list costs one statement. The view pages through the ids and reads the page's cases
    with case_worklist; the number of ids is the count the page shows.
    """
    cases = case_scope_for_user(user=user)
    if filters.query.strip():
        # A hit on a name or number would tie a masked row to what was typed: a protected
        # identity is found by search only by those authorised for it.
        cases = cases.filter(
            _search(filters.query.strip(), today=timezone.localdate()),
            Q(individual__protected_identity=False) | authorised_for(user, "individual"),
        )
    if filters.status == StatusFilter.RUNNING:
        cases = cases.exclude(status__in=Case.ENDED)
    elif filters.status != StatusFilter.ALL:
        cases = cases.filter(status=filters.status)
    if filters.unit_id:
        cases = cases.filter(
            Q(convening_unit_id=filters.unit_id)
            | Exists(Participant.objects.filter(case=OuterRef("pk"), unit_id=filters.unit_id))
        )
    role_filters = {
        Role.CONVENER: Q(coordinator=user),
        Role.LEAD: Q(is_lead_unit=True),
        Role.COORDINATOR: Q(is_plan_coordinator_unit=True),
        Role.PARTICIPANT: Q(is_participant_unit=True),
    }
    if filters.role in role_filters:
        cases = _with_roles(cases, user=user).filter(role_filters[filters.role])
    if filters.sort == Sort.NEWEST:
        cases = cases.order_by("-opened_at", "-pk")
    else:
        next_due_at = Subquery(_case_deadlines().values("due_at")[:1])
        cases = cases.order_by(next_due_at.asc(nulls_last=True), "-opened_at", "-pk")
    return list(cases.values_list("pk", flat=True))


def case_worklist(*, user: User, ids: Sequence[int]) -> list[Case]:
    """The cases with these ids (a page of case_worklist_ids) that the user may see, in the
    order of `ids`, with the next unresolved deadline and the user's roles (one query).

    Annotations: next_due_at, next_due_kind, is_lead_unit, is_plan_coordinator_unit,
    is_participant_unit, and viewer_unit_id and viewer_authorised of case_list_for_user (the
    list only links to its cases, so not viewer_can_change). The access rule is checked again
    for just these cases, so a case that left the user's reach since the ids were read is left
    out rather than shown.
    """
    deadlines = _case_deadlines()
    visible = case_list_for_user(user=user, among=ids, with_change=False)
    cases = _with_roles(visible, user=user).annotate(
        next_due_at=Subquery(deadlines.values("due_at")[:1]),
        next_due_kind=Subquery(deadlines.values("kind")[:1]),
    )
    by_id = {case.pk: case for case in cases.order_by()}
    return [by_id[pk] for pk in ids if pk in by_id]


@dataclass(frozen=True)
class DeadlineSignal:
    """A deadline as the coordinator sees it: working days left and a traffic-light level."""

    kind: str
    due_at: dt.datetime
    days_left: int
    level: str  # "green", "amber" or "red"

    @property
    def kind_label(self) -> str:
        try:
            return DeadlineRule.Kind(self.kind).label
        except ValueError:
            return ""

    @property
    def is_breached(self) -> bool:
        return self.level == "red"

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)


def deadline_signal(
    *, kind: str, due_at: dt.datetime, now: dt.datetime, extra_closed: Collection[dt.date] = ()
) -> DeadlineSignal:
    """Red once the moment has passed, amber within AMBER_WORKING_DAYS working days, else green."""
    days_left = working_days_between(local_date(now), local_date(due_at), extra_closed=extra_closed)
    if now > due_at:
        level = "red"
    elif days_left <= AMBER_WORKING_DAYS:
        level = "amber"
    else:
        level = "green"
    return DeadlineSignal(kind=kind, due_at=due_at, days_left=days_left, level=level)


def closed_days_by_agreement(*, agreement_ids: Iterable[int]) -> dict[int, frozenset[dt.date]]:
    """The agreements' extra closed days in one query (a page shows cases of several)."""
    days: dict[int, set[dt.date]] = defaultdict(set)
    for agreement_id, day in ClosedDay.objects.filter(
        agreement_id__in=set(agreement_ids)
    ).values_list("agreement_id", "date"):
        days[agreement_id].add(day)
    return {key: frozenset(value) for key, value in days.items()}


@dataclass(frozen=True)
class WorklistRow:
    case: Case
    signal: DeadlineSignal | None
    roles: list[Role]
    status_label: str


def worklist_rows(*, cases: Iterable[Case], user: User, now: dt.datetime) -> list[WorklistRow]:
    """Attach the deadline signal and the user's roles to one page of annotated cases.

    One query for the agreements' closed days, whatever the page size.
    """
    cases = list(cases)
    closed = closed_days_by_agreement(agreement_ids=(case.agreement_id for case in cases))
    # Translated once per page: get_status_display looks the label up anew for every row.
    status_labels = {value: str(label) for value, label in Case.Status.choices}
    rows = []
    for case in cases:
        signal = None
        if case.next_due_at is not None:
            signal = deadline_signal(
                kind=case.next_due_kind,
                due_at=case.next_due_at,
                now=now,
                extra_closed=closed.get(case.agreement_id, frozenset()),
            )
        held = (
            (Role.CONVENER, case.coordinator_id == user.pk),
            (Role.LEAD, case.is_lead_unit),
            (Role.COORDINATOR, bool(case.is_plan_coordinator_unit)),
            (Role.PARTICIPANT, case.is_participant_unit),
        )
        rows.append(
            WorklistRow(
                case=case,
                signal=signal,
                roles=[role for role, yes in held if yes],
                status_label=status_labels.get(case.status, case.status),
            )
        )
    return rows


def deadline_rows(
    *, deadlines: Iterable[Deadline], agreement_id: int, now: dt.datetime
) -> list[tuple[Deadline, DeadlineSignal | None]]:
    """Each deadline with its signal while unresolved (one query for the closed days)."""
    closed = closed_days_by_agreement(agreement_ids=[agreement_id]).get(agreement_id, frozenset())
    return [
        (
            deadline,
            deadline_signal(
                kind=deadline.kind, due_at=deadline.due_at, now=now, extra_closed=closed
            )
            if deadline.status in Deadline.UNRESOLVED
            else None,
        )
        for deadline in deadlines
    ]


def case_open_deadlines(*, case: Case, now: dt.datetime) -> list[DeadlineSignal]:
    """The case's unresolved deadlines, soonest first, as signals (two queries)."""
    deadlines = deadline_list_for_subject(subject=case).filter(status__in=Deadline.UNRESOLVED)
    return [
        signal
        for _deadline, signal in deadline_rows(
            deadlines=deadlines, agreement_id=case.agreement_id, now=now
        )
    ]


def meeting_list_for_case(*, case: Case, status: str | None = None) -> list[Meeting]:
    """The case's meetings with their invitations and answers, in two queries."""
    meetings = case.meetings.prefetch_related(
        Prefetch(
            "invitations",
            queryset=Invitation.objects.select_related("participant__unit"),
        )
    )
    if status:
        meetings = meetings.filter(status=status)
    return list(meetings)


def case_unit_choices(*, case: Case) -> QuerySet[Unit]:
    """The units a plan can name: the convening unit and every participating unit."""
    return (
        Unit.objects.filter(Q(pk=case.convening_unit_id) | Q(sip_participations__case=case))
        .select_related("huvudman")
        .distinct()
        .order_by("name")
    )


def plan_people(*, case: Case, user: User) -> list[str]:
    """Names to suggest for huvudansvarig, samordnare and planansvarig: the named participants
    and the case's handläggare (one query)."""
    names = [str(case.coordinator), str(user)]
    names += case.participants.exclude(person_name="").values_list("person_name", flat=True)
    return sorted(set(names))
