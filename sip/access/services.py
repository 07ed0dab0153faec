"""Writes for access control: grants on cases, the access log, unmasking and the log review."""

import datetime as dt
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm
from simple_history.utils import bulk_create_with_history

from actors.models import Unit, User
from actors.services import unit_access_group
from config.exceptions import ApplicationError
from sip.access.models import AccessLogEntry, CaseGroupObjectPermission, LogReview, LogReviewItem
from sip.access.selectors import (
    CHANGE,
    VIEW,
    LogFilter,
    access_log_filter,
    case_list_for_user,
    individual_list_for_user,
    managed_units,
)
from sip.models import Case, Individual

MAX_SAMPLE_SIZE = 500

# --- grants ---------------------------------------------------------------------------------------


def _wanted_grants(case: Case) -> dict[int, set[str]]:
    """Unit id -> permissions the case's current state gives that unit (selectors rule 1)."""
    wanted: dict[int, set[str]] = {case.convening_unit_id: {VIEW, CHANGE}}
    for unit_id in case.participants.exclude(unit=None).values_list("unit_id", flat=True):
        wanted.setdefault(unit_id, set()).add(VIEW)
    plan = case.plans.order_by("-version").first()
    if plan:
        for unit_id in (plan.lead_unit_id, plan.coordinator_unit_id, plan.plan_owner_unit_id):
            if unit_id:
                wanted.setdefault(unit_id, set()).update({VIEW, CHANGE})
    return wanted


@transaction.atomic
def case_access_sync(*, case: Case) -> None:
    """Make the case's unit grants match its convening unit, participants and current plan.

    Called by every service that changes one of those, inside its transaction, so access is
    granted or revoked together with the change or not at all. Idempotent: a unit taking part
    twice keeps its grant until its last participation goes.
    """
    wanted = _wanted_grants(case)
    groups: dict[int, Group] = {}
    want: set[tuple[int, str]] = set()
    for unit in Unit.objects.filter(pk__in=wanted).select_related("access_group"):
        group = unit_access_group(unit=unit)
        groups[group.pk] = group
        want |= {(group.pk, codename) for codename in wanted[unit.pk]}
    have = set(
        CaseGroupObjectPermission.objects.filter(content_object=case).values_list(
            "group_id", "permission__codename"
        )
    )
    for group_id, codename in sorted(want - have):
        assign_perm(f"sip.{codename}", groups[group_id], case)
    stale = have - want
    if stale:
        stale_groups = Group.objects.in_bulk({group_id for group_id, _codename in stale})
        for group_id, codename in sorted(stale):
            remove_perm(f"sip.{codename}", stale_groups[group_id], case)


# --- the access log -------------------------------------------------------------------------------


def _client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR is what the web server saw; behind a proxy it must pass the client's address
    # on (docs/access-control.md). A malformed value is dropped rather than failing the read.
    value = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _viewer_unit_id(request: HttpRequest, individual: Individual, case: Case | None) -> int | None:
    annotated = getattr(case if case is not None else individual, "viewer_unit_id", None)
    if annotated is not None:
        return annotated
    if case is not None:
        rows = case_list_for_user(user=request.user).filter(pk=case.pk)
    else:
        rows = individual_list_for_user(user=request.user).filter(pk=individual.pk)
    return rows.values_list("viewer_unit_id", flat=True).first()


def _entry(
    request: HttpRequest,
    *,
    action: str,
    individual: Individual,
    case: Case | None,
    unit_id: int | None,
    reason: str = "",
) -> AccessLogEntry:
    return AccessLogEntry(
        user=request.user,
        unit_id=unit_id,
        individual_id=individual.pk,
        case=case,
        action=action,
        protected=individual.is_protected,
        ip_address=_client_ip(request),
        path=request.get_full_path()[:500],
        reason=reason,
    )


def access_log_record(
    *,
    request: HttpRequest,
    action: str,
    individual: Individual | None = None,
    case: Case | None = None,
    unit_id: int | None = None,
    reason: str = "",
) -> AccessLogEntry:
    """Log one read of a person's or a case's data by the request's user.

    The one call a view needs after it has found what it shows: pass the case (its person is
    taken from it) or the person. The unit acted for is `unit_id`, else the one the selectors
    annotated (`viewer_unit_id`), else it is looked up with the same rule.
    """
    if individual is None:
        if case is None:
            raise ValueError("access_log_record needs a case or a person")
        individual = case.individual
    if unit_id is None:
        unit_id = _viewer_unit_id(request, individual, case)
    entry = _entry(
        request, action=action, individual=individual, case=case, unit_id=unit_id, reason=reason
    )
    entry.save()
    return entry


@dataclass(frozen=True)
class Read:
    """One row of a list page: the person it shows, the case (if any) and the unit acted for."""

    individual: Individual
    case: Case | None
    unit_id: int | None


def access_log_record_rows(
    *, request: HttpRequest, rows: Iterable[Read], action: str = AccessLogEntry.Action.LIST
) -> list[AccessLogEntry]:
    """Log a list page: one entry per row shown (each row shows a person), in one query."""
    return AccessLogEntry.objects.bulk_create(
        [
            _entry(
                request,
                action=action,
                individual=row.individual,
                case=row.case,
                unit_id=row.unit_id,
            )
            for row in rows
        ]
    )


def access_log_record_cases(
    *, request: HttpRequest, cases: list[Case], action: str = AccessLogEntry.Action.LIST
) -> list[AccessLogEntry]:
    """Log a list of cases; they must come from sip.selectors.case_list_for_user, which
    annotates the unit acted for."""
    return access_log_record_rows(
        request=request,
        action=action,
        rows=[
            Read(individual=case.individual, case=case, unit_id=case.viewer_unit_id)
            for case in cases
        ],
    )


@transaction.atomic
def protected_unmask(
    *, request: HttpRequest, individual: Individual, reason: str, case: Case | None = None
) -> AccessLogEntry:
    """Let an authorised user see a protected person's data; the stated reason is logged.

    `individual` must come from individual_list_for_user (it carries `viewer_authorised`).
    """
    if not individual.is_protected:
        raise ApplicationError(_("Personen har ingen skyddad identitet eller vistelseort."))
    if not individual.viewer_authorised:
        raise ApplicationError(
            _("Du är inte behörig att se personens skyddade uppgifter. Be en behörig kollega.")
        )
    if not reason.strip():
        raise ApplicationError(_("Ange skälet till att du behöver se de skyddade uppgifterna."))
    return access_log_record(
        request=request,
        action=AccessLogEntry.Action.UNMASK,
        individual=individual,
        case=case,
        reason=reason.strip(),
    )


# --- the log review -------------------------------------------------------------------------------


def _check_manager(unit: Unit, by: User) -> None:
    if not managed_units(user=by).filter(pk=unit.pk).exists():
        raise ApplicationError(
            _("Bara chefen för %(unit)s kan göra loggkontroll för den.") % {"unit": unit.name}
        )


@transaction.atomic
def log_review_create(
    *,
    unit: Unit,
    period_start: dt.date,
    period_end: dt.date,
    sample_size: int,
    by: User,
    user: User | None = None,
    individual: Individual | None = None,
) -> LogReview:
    """Start a log review (loggkontroll) for one unit and period.

    1. Population: the accesses made for the unit in the period, narrowed to one user and/or
       one person when given.
    2. Every access to a protected person in the population is reviewed.
    3. Of the other accesses, `sample_size` are drawn at random.
    The drawn entries are stored as the review's items, so the sample is fixed once drawn.
    """
    _check_manager(unit, by)
    if period_end < period_start:
        raise ApplicationError(_("Periodens slut kan inte ligga före dess början."))
    if period_start > timezone.localdate():
        raise ApplicationError(_("Perioden kan inte börja i framtiden."))
    if not 0 <= sample_size <= MAX_SAMPLE_SIZE:
        raise ApplicationError(
            _("Stickprovet ska vara mellan 0 och %(max)d poster.") % {"max": MAX_SAMPLE_SIZE}
        )
    population = access_log_filter(
        AccessLogEntry.objects.filter(unit=unit),
        LogFilter(user=user, individual=individual, date_from=period_start, date_to=period_end),
    )
    protected = list(population.filter(protected=True).values_list("pk", flat=True))
    sample = list(
        population.filter(protected=False).order_by("?").values_list("pk", flat=True)[:sample_size]
    )
    if not (protected or sample):
        raise ApplicationError(_("Det finns inga loggposter att granska i urvalet."))
    review = LogReview(
        unit=unit,
        period_start=period_start,
        period_end=period_end,
        filter_user=user,
        filter_individual=individual,
        sample_size=sample_size,
        created_by=by,
        created_at=timezone.now(),
    )
    review._history_user = by
    review.save()
    items = [
        LogReviewItem(review=review, entry_id=pk, selection=LogReviewItem.Selection.PROTECTED)
        for pk in protected
    ] + [
        LogReviewItem(review=review, entry_id=pk, selection=LogReviewItem.Selection.SAMPLE)
        for pk in sample
    ]
    bulk_create_with_history(items, LogReviewItem, default_user=by)
    return review


@transaction.atomic
def log_review_item_mark(
    *, item: LogReviewItem, verdict: str, by: User, comment: str = ""
) -> LogReviewItem:
    """Record whether one access was justified; an unjustified access needs a comment."""
    item = LogReviewItem.objects.select_for_update().select_related("review__unit").get(pk=item.pk)
    _check_manager(item.review.unit, by)
    if item.review.is_completed:
        raise ApplicationError(_("Loggkontrollen är avslutad och kan inte ändras."))
    if verdict not in (LogReviewItem.Verdict.JUSTIFIED, LogReviewItem.Verdict.UNJUSTIFIED):
        raise ApplicationError(_("Ange om åtkomsten var befogad eller inte."))
    if verdict == LogReviewItem.Verdict.UNJUSTIFIED and not comment.strip():
        raise ApplicationError(_("Beskriv varför åtkomsten inte var befogad."))
    item.verdict = verdict
    item.comment = comment.strip()
    item.reviewed_by = by
    item.reviewed_at = timezone.now()
    item._history_user = by
    item.save()
    return item


@transaction.atomic
def log_review_complete(*, review: LogReview, by: User) -> LogReview:
    review = LogReview.objects.select_for_update().select_related("unit").get(pk=review.pk)
    _check_manager(review.unit, by)
    if review.is_completed:
        raise ApplicationError(_("Loggkontrollen är redan avslutad."))
    pending = review.items.filter(verdict=LogReviewItem.Verdict.PENDING).count()
    if pending:
        raise ApplicationError(_("%(count)d loggposter är inte granskade än.") % {"count": pending})
    review.completed_at = timezone.now()
    review.completed_by = by
    review._history_user = by
    review.save()
    return review
