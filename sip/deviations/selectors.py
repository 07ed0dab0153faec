"""Reads of deviation reports, with the access filter inside.

Who sees a report:
- members of the reporting unit and the related case's coordinator (drafts included);
- once confirmed, members of the concerned units;
- once confirmed, members of an active steering group of the kind at the report's current level
  that covers a concerned unit (lists the unit or its municipality, or lists neither and serves
  the agreement's whole county).
"""

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from actors.models import Membership, SteeringGroup, Unit, User
from agreements.models import Agreement, EscalationLevel
from agreements.selectors import escalation_ladder
from deadlines.calendar import STOCKHOLM
from deadlines.models import Deadline
from deadlines.selectors import deadline_list_for_subject
from sip.deviations.models import DeviationEntry, DeviationReport
from sip.links import url_for_each
from sip.models import Case, Individual, Meeting

Status = DeviationReport.Status

# --- access -----------------------------------------------------------------------------------


def _member_unit_ids(user: User, *, role: str | None = None) -> QuerySet:
    memberships = Membership.objects.filter(user=user, is_active=True, unit__is_active=True)
    if role:
        memberships = memberships.filter(role=role)
    return memberships.values("unit_id")


def _concerns(units: QuerySet) -> Exists:
    return Exists(
        DeviationReport.concerned_units.through.objects.filter(
            deviationreport_id=OuterRef("pk"), unit_id__in=units
        )
    )


def _steering_covers(user: User) -> Exists:
    """A group of the user's of the report's current level kind covers one of its units."""
    groups = SteeringGroup.objects.filter(
        members=user, is_active=True, kind=OuterRef("level__steering_group_kind")
    ).filter(
        Q(units__concerned_deviations=OuterRef("pk"))
        | Q(municipalities__units__concerned_deviations=OuterRef("pk"))
        | Q(units__isnull=True, municipalities__isnull=True, county=OuterRef("agreement__county"))
    )
    return Exists(groups)


def _at_steering_level() -> Q:
    return Q(level__kind=EscalationLevel.Kind.STEERING_GROUP) & ~Q(level__steering_group_kind="")


@dataclass(frozen=True)
class _Visibility:
    """The three ways a user sees a report (the module docstring), each a filter on reports."""

    reporter: Q
    concerned: Q
    steering: Q

    @property
    def any(self) -> Q:
        return self.reporter | self.concerned | self.steering


def _visibility(user: User) -> _Visibility:
    units = _member_unit_ids(user)
    confirmed = ~Q(status__in=DeviationReport.UNCONFIRMED)
    return _Visibility(
        reporter=Q(reporting_unit__in=units) | Q(case__coordinator=user),
        concerned=confirmed & _concerns(units),
        steering=confirmed & _at_steering_level() & _steering_covers(user),
    )


def _reports(condition: Q) -> QuerySet[DeviationReport]:
    return (
        DeviationReport.objects.filter(condition)
        .select_related("agreement", "reporting_unit", "level", "case")
        .order_by("-created_at", "-pk")
    )


def report_list_for_user(*, user: User) -> QuerySet[DeviationReport]:
    if not user.is_authenticated:
        return DeviationReport.objects.none()
    return _reports(_visibility(user).any)


def report_get_for_user(*, user: User, pk: int) -> DeviationReport | None:
    return report_list_for_user(user=user).filter(pk=pk).first()


@dataclass(frozen=True)
class ReportAccess:
    """How a user stands to one report; decides which workflow steps they may take."""

    reporter_side: bool = False
    concerned_member: bool = False
    concerned_manager: bool = False
    level_member: bool = False
    handled_by_steering_group: bool = False

    @property
    def sees_report(self) -> bool:
        return self.reporter_side or self.concerned_member or self.level_member

    @property
    def handler(self) -> bool:
        """Acknowledges, investigates, answers and escalates at the report's current level."""
        return self.level_member if self.handled_by_steering_group else self.concerned_manager

    @property
    def sees_personal_data(self) -> bool:
        # A steering group sees what it needs to judge the matter, not who the person is.
        return self.reporter_side or self.concerned_member


def report_access(*, report: DeviationReport, user: User) -> ReportAccess:
    """Three queries: the user's roles in the report's units, and steering group cover."""
    if not user.is_authenticated:
        return ReportAccess()
    concerned = set(report.concerned_units.values_list("pk", flat=True))
    roles: dict[int, set[str]] = {}
    for unit_id, role in Membership.objects.filter(
        user=user,
        is_active=True,
        unit__is_active=True,
        unit_id__in=concerned | {report.reporting_unit_id},
    ).values_list("unit_id", "role"):
        roles.setdefault(unit_id, set()).add(role)
    at_steering = bool(
        report.level_id
        and report.level.kind == EscalationLevel.Kind.STEERING_GROUP
        and report.level.steering_group_kind
    )
    level_member = (
        at_steering
        and DeviationReport.objects.filter(pk=report.pk).filter(_steering_covers(user)).exists()
    )
    coordinator_id = report.case.coordinator_id if report.case_id else None
    return ReportAccess(
        reporter_side=report.reporting_unit_id in roles or coordinator_id == user.pk,
        concerned_member=any(unit in roles for unit in concerned),
        concerned_manager=any(Membership.Role.MANAGER in roles.get(unit, ()) for unit in concerned),
        level_member=level_member,
        handled_by_steering_group=at_steering,
    )


# The workflow steps a view offers and a service checks, by name.
CONFIRM, DISMISS, RECEIVE, INVESTIGATE, ANSWER, ESCALATE, CLOSE, COMMENT = (
    "confirm",
    "dismiss",
    "receive",
    "investigate",
    "answer",
    "escalate",
    "close",
    "comment",
)
_HANDLER_STEPS = {
    RECEIVE: Status.RECEIVED,
    INVESTIGATE: Status.INVESTIGATING,
    ANSWER: Status.ANSWERED,
    CLOSE: Status.CLOSED,
}


def report_actions(
    *, report: DeviationReport, access: ReportAccess, next_level: EscalationLevel | None
) -> frozenset[str]:
    """What the user may do now. The reporting side confirms drafts and, once answered, may
    close or lift the report; the handler at the current level takes every other step."""
    if report.is_final or not access.sees_report:
        return frozenset()
    if report.status == Status.DRAFT:
        return frozenset({CONFIRM, DISMISS}) if access.reporter_side else frozenset()
    actions = {COMMENT}
    if access.handler:
        actions |= {step for step, status in _HANDLER_STEPS.items() if report.can_move_to(status)}
        if next_level is not None and report.can_move_to(Status.ESCALATED):
            actions.add(ESCALATE)
    if access.reporter_side and report.status == Status.ANSWERED:
        actions.add(CLOSE)
        if next_level is not None:
            actions.add(ESCALATE)
    return frozenset(actions)


# --- the escalation ladder ----------------------------------------------------------------------


def starting_level(ladder: list[EscalationLevel]) -> EscalationLevel | None:
    """Where a new report stands: the top of the ladder's leading operational/manager steps.

    The concerned units' managers handle a new report; a ladder that opens with a steering group
    (Norrbus: kommunnivå) has no such step, so the report stands below the ladder until lifted.
    """
    start = None
    for level in ladder:
        if level.kind == EscalationLevel.Kind.STEERING_GROUP:
            break
        start = level
    return start


def next_level(
    ladder: list[EscalationLevel], current: EscalationLevel | None
) -> EscalationLevel | None:
    floor = current.order if current else 0
    return next((level for level in ladder if level.order > floor), None)


def report_ladder(*, report: DeviationReport) -> list[EscalationLevel]:
    return escalation_ladder(agreement=report.agreement)


# --- redaction ----------------------------------------------------------------------------------

# 10 or 12 digits with an optional - or + before the last four: personnummer/samordningsnummer.
_ID_NUMBER = re.compile(r"(?<!\d)(?:\d{2})?\d{6}[-+ ]?\d{4}(?!\d)")


def redact(text: str, *, names: Iterable[str] = ()) -> str:
    """Masks identity numbers and the given names (the person and their guardians)."""
    text = _ID_NUMBER.sub(_("[personnummer]"), text)
    words = sorted({w for name in names for w in name.split() if len(w) > 1}, key=len, reverse=True)
    if words:
        pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.I)
        text = pattern.sub(_("[namn]"), text)
    return text


def report_person_names(report: DeviationReport) -> list[str]:
    """Names to mask in a report's text; needs case__individual__guardians prefetched."""
    if not report.case_id:
        return []
    individual = report.case.individual
    return [individual.first_name, individual.last_name] + [
        guardian.name for guardian in individual.guardians.all()
    ]


def individual_names(*, individual_id: int) -> list[str]:
    """Names to mask in texts about one person: theirs and their guardians' (two queries)."""
    individual = Individual.objects.prefetch_related("guardians").get(pk=individual_id)
    return [individual.first_name, individual.last_name] + [
        guardian.name for guardian in individual.guardians.all()
    ]


def _with_people(reports: QuerySet[DeviationReport]) -> QuerySet[DeviationReport]:
    return reports.select_related("case__individual").prefetch_related(
        "case__individual__guardians"
    )


# --- one report -------------------------------------------------------------------------------


def draft_summary(report: DeviationReport) -> str:
    """The text an automatic draft proposes; names no person, only units and dates."""
    if report.deadline_id:
        return _("Fristen ”%(kind)s” förföll %(due)s utan att vara uppfylld.") % {
            "kind": report.deadline.get_kind_display(),
            "due": report.deadline.due_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M"),
        }
    if report.invitation_id:
        meeting = report.invitation.meeting
        return _("%(unit)s uteblev från %(kind)s %(when)s utan anmält förhinder.") % {
            "unit": report.invitation.participant.organisation_name,
            "kind": meeting.get_kind_display(),
            "when": meeting.starts_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M"),
        }
    return ""


@dataclass(frozen=True)
class ReportDetail:
    report: DeviationReport
    concerned_units: list[Unit]
    ladder: list[EscalationLevel]
    next_level: EscalationLevel | None
    deadlines: list[Deadline]
    access: ReportAccess
    actions: frozenset[str]
    description: str
    summary: str
    sees_person: bool


def report_detail(
    *, report: DeviationReport, user: User, sees_person: bool | None = None
) -> ReportDetail:
    """Everything the report page shows except the paginated timeline, in fixed queries.

    `sees_person`: whether the texts are shown without masking the person's names and numbers.
    The view decides it for a report on a case (the viewer may read the case and the person is
    not masked for them); without it, the reporting side and the concerned units see them.
    """
    report = (
        _with_people(DeviationReport.objects.filter(pk=report.pk))
        .select_related(
            "agreement",
            "reporting_unit",
            "reported_by",
            "level",
            "meeting",
            "deadline",
            "invitation__participant__unit",
            "invitation__meeting",
        )
        .get()
    )
    ladder = report_ladder(report=report)
    following = next_level(ladder, report.level)
    access = report_access(report=report, user=user)
    if sees_person is None:
        sees_person = access.sees_personal_data
    description = report.description
    if not sees_person:
        description = redact(description, names=report_person_names(report))
    return ReportDetail(
        report=report,
        concerned_units=list(report.concerned_units.order_by("name")),
        ladder=ladder,
        next_level=following,
        deadlines=list(deadline_list_for_subject(subject=report)),
        access=access,
        actions=report_actions(report=report, access=access, next_level=following),
        description=description,
        summary=draft_summary(report) if report.status in DeviationReport.UNCONFIRMED else "",
        sees_person=sees_person,
    )


def entry_list(
    *, report: DeviationReport | None = None, reports: QuerySet | None = None
) -> QuerySet[DeviationEntry]:
    """A report's timeline, or the merged timeline of several (a case's), oldest first."""
    entries = DeviationEntry.objects.select_related("by", "level", "report")
    if report is not None:
        return entries.filter(report=report).order_by("at", "pk")
    return entries.filter(report__in=reports.values("pk")).order_by("at", "pk")


def case_units(*, case: Case) -> QuerySet[Unit]:
    """The units a report on a case can concern: the convening unit and the participants'."""
    return (
        Unit.objects.filter(Q(pk=case.convening_unit_id) | Q(sip_participations__case=case))
        .distinct()
        .order_by("name")
    )


def case_deadlines(*, case: Case) -> QuerySet[Deadline]:
    """The deadlines on a case and on its meetings."""
    return Deadline.objects.filter(
        Q(content_type=ContentType.objects.get_for_model(Case), object_id=case.pk)
        | Q(
            content_type=ContentType.objects.get_for_model(Meeting),
            object_id__in=case.meetings.values("pk"),
        )
    ).select_related("responsible_unit")


# --- lists --------------------------------------------------------------------------------------


def _concerned_prefetch() -> Prefetch:
    return Prefetch("concerned_units", queryset=Unit.objects.order_by("name"))


def report_inbox(
    *,
    user: User,
    direction: str = "to",
    status: str = "",
    category: str = "",
) -> QuerySet[DeviationReport]:
    """Reports concerning the user's units ("to"), or reported by them ("from").

    Each direction is one arm of the visibility rule rather than the rule AND the direction:
    the same reports, but Django builds (twice a page: count and rows) and PostgreSQL plans a
    statement without the steering-group arm's nine joins.

    Without the concerned units: report_rows reads just their names for the page.
    """
    if not user.is_authenticated:
        return DeviationReport.objects.none()
    visibility = _visibility(user)
    reports = _reports(visibility.reporter if direction == "from" else visibility.concerned)
    if status:
        reports = reports.filter(status=status)
    if category:
        reports = reports.filter(category=category)
    return reports


@dataclass(frozen=True)
class ReportRow:
    """One line of a report list, every cell already text: the template's per-row
    get_*_display (which translates every choice), {% url %} and date filter cost more than
    the rest of a row."""

    url: str
    reference: str
    category: str
    status: str
    level: str
    agreement: str
    reporting_unit: str
    concerned_units: str
    occurred: str


def report_rows(reports: Iterable[DeviationReport]) -> list[ReportRow]:
    """Rows of a page from report_inbox or report_list_for_steering_member (their
    select_related); labels translated and the URL reversed once. The concerned units' names
    come from one query of (report, name) pairs: cheaper than a prefetch, which builds a Unit
    and a related manager for each of them."""
    reports = list(reports)
    concerned: dict[int, list[str]] = {report.pk: [] for report in reports}
    for report_id, name in (
        DeviationReport.concerned_units.through.objects.filter(deviationreport_id__in=concerned)
        .order_by("unit__name")
        .values_list("deviationreport_id", "unit__name")
    ):
        concerned[report_id].append(name)
    categories = {value: str(label) for value, label in DeviationReport.Category.choices}
    statuses = {value: str(label) for value, label in DeviationReport.Status.choices}
    url = url_for_each("sip:deviation_detail")
    rows = []
    for report in reports:
        level = report.level.name if report.level_id else ""
        rows.append(
            ReportRow(
                url=url(report.pk),
                reference=report.reference,
                category=categories.get(report.category, report.category),
                status=statuses.get(report.status, report.status),
                level=level or "–",
                agreement=report.agreement.name,
                reporting_unit=str(report.reporting_unit),
                concerned_units=", ".join(concerned[report.pk]),
                occurred=timezone.localtime(report.occurred_at).strftime("%Y-%m-%d"),
            )
        )
    return rows


def report_list_for_steering_member(*, user: User) -> QuerySet[DeviationReport]:
    """Reports standing at a level the user's steering groups handle, without person data.
    report_rows reads their concerned units."""
    if not user.is_authenticated:
        return DeviationReport.objects.none()
    return (
        DeviationReport.objects.exclude(status__in=DeviationReport.UNCONFIRMED)
        .filter(_at_steering_level() & _steering_covers(user))
        .select_related("agreement", "reporting_unit", "level")
        .order_by("-created_at", "-pk")
    )


def report_list_for_export(
    *, user: User, status: str = "", category: str = ""
) -> QuerySet[DeviationReport]:
    reports = report_list_for_user(user=user).exclude(status__in=DeviationReport.UNCONFIRMED)
    if status:
        reports = reports.filter(status=status)
    if category:
        reports = reports.filter(category=category)
    return _with_people(reports).prefetch_related(_concerned_prefetch())


def report_list_for_case(*, user: User, case: Case) -> QuerySet[DeviationReport]:
    return report_list_for_user(user=user).filter(case=case)


# --- the yearly indicator (002: number of deviation reports about cooperation) ----------------


@dataclass(frozen=True)
class YearRow:
    code: str
    name: str
    counts: list[int]  # in DeviationReport.Category order
    total: int


def deviation_yearly_counts(*, year: int) -> list[YearRow]:
    """Registered reports per agreement (all versions of a code together) and category.

    A year is a Stockholm calendar year of `registered_at`; drafts and dismissed drafts do not
    count. Every agreement appears, with zeros, so a year without reports is visible as such.
    """
    start = dt.datetime(year, 1, 1, tzinfo=STOCKHOLM)
    end = dt.datetime(year + 1, 1, 1, tzinfo=STOCKHOLM)
    counts: dict[tuple[str, str], int] = {
        (code, category): n
        for code, category, n in DeviationReport.objects.filter(
            registered_at__gte=start, registered_at__lt=end
        )
        .exclude(status__in=DeviationReport.UNCONFIRMED)
        .values("agreement__code", "category")
        .annotate(n=Count("pk"))
        .values_list("agreement__code", "category", "n")
    }
    names: dict[str, str] = {}
    for code, name in Agreement.objects.order_by("code", "-version").values_list("code", "name"):
        names.setdefault(code, name)
    rows = []
    for code, name in sorted(names.items(), key=lambda item: item[1]):
        row = [counts.get((code, category), 0) for category in DeviationReport.Category.values]
        rows.append(YearRow(code=code, name=name, counts=row, total=sum(row)))
    return rows
