"""Who may see and change which case and person, and the reads of the access log.

Every rule is a queryset filter, so a page asks the database once whatever the number of cases.
The rules (docs/access-control.md):

1. A case is granted to units' permission groups (CaseGroupObjectPermission): `view_case` to the
   convening unit and every participating unit, `change_case` to the convening unit and the units
   of the current plan's huvudansvarig, samordnare and planansvarig.
2. A user acts through their active memberships in active units: any role may use `view_case`,
   only coordinators may use `change_case` (managers follow their units' cases, they do not work
   in them). Directory admins and steering-group members get nothing by their role.
3. Consent scope: a grant counts only while a consent in force covers the unit. The convening unit
   is exempt: it holds the case from the noted need, before any consent, and after a withdrawal.
4. A person is visible through a visible case, or to the members of the unit that registered them.
"""

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.db.models import Case as SqlCase
from django.db.models import (
    Count,
    Exists,
    F,
    Lookup,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from actors.models import Membership, Unit, User
from sip.access.models import AccessLogEntry, CaseGroupObjectPermission, LogReview, LogReviewItem
from sip.models import Case, Consent, Individual

VIEW = "view_case"
CHANGE = "change_case"


def member_unit_ids(*, user: User, roles: tuple[str, ...] | None = None) -> QuerySet:
    """Ids of the active units the user is an active member of (as a subquery)."""
    memberships = Membership.objects.filter(user=user, is_active=True, unit__is_active=True)
    if roles:
        memberships = memberships.filter(role__in=roles)
    return memberships.values("unit_id")


def _covered_by_consent() -> Q:
    """Rule 3 as a filter on grants: the convening unit, or a unit a consent in force covers."""
    today = timezone.localdate()
    consent_in_force = Consent.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        case=OuterRef("content_object"),
        units=OuterRef("group__unit"),
        withdrawn_at__isnull=True,
    )
    # An EXISTS on (convening unit, id) rather than a join to the case: the index answers it for
    # a list of thousands of grants without reading each case row.
    convened = Case.objects.filter(
        pk=OuterRef("content_object"), convening_unit=OuterRef("group__unit")
    )
    return Q(Exists(convened)) | Q(Exists(consent_in_force))


def _grants(codename: str) -> QuerySet[CaseGroupObjectPermission]:
    # The permission as a subquery of its own rather than a join: PostgreSQL then finds it once
    # instead of matching the content types again for every grant row.
    permissions = Permission.objects.filter(codename=codename, content_type__app_label="sip")
    return CaseGroupObjectPermission.objects.filter(
        _covered_by_consent(), permission__in=permissions.values("pk")
    )


def case_grants(*, user: User, codename: str = VIEW) -> QuerySet[CaseGroupObjectPermission]:
    """The grants through which `user` reaches cases today (rules 1–3)."""
    if not user.is_authenticated:
        return CaseGroupObjectPermission.objects.none()
    roles = (Membership.Role.COORDINATOR,) if codename == CHANGE else None
    return _grants(codename).filter(group__unit__in=member_unit_ids(user=user, roles=roles))


def acting_unit(grants: QuerySet[CaseGroupObjectPermission]) -> Subquery:
    """The unit a user acts for on a case: the convening unit when they belong to it, otherwise
    the first of their units (by name) that reaches the case."""
    convening_first = SqlCase(
        When(group__unit=F("content_object__convening_unit"), then=Value(0)), default=Value(1)
    )
    return Subquery(
        grants.order_by(convening_first, "group__unit__name", "group__unit__pk").values(
            "group__unit"
        )[:1]
    )


def authorised_for(user: User, individual_ref: str) -> Exists:
    """Whether `user` is authorised for the protected data of the person at `individual_ref`."""
    return Exists(
        Individual.authorised_users.through.objects.filter(
            individual=OuterRef(individual_ref), user_id=user.pk
        )
    )


def _scope(view: QuerySet[CaseGroupObjectPermission], among: Collection[int] | None) -> QuerySet:
    """The cases the grants in `view` reach; `among` narrows them to those ids inside the grants
    subquery too, so the database checks the grants of those cases only."""
    cases = Case.objects.all()
    if among is not None:
        view = view.filter(content_object__in=among)
        cases = cases.filter(pk__in=among)
    return cases.filter(pk__in=view.values("content_object_id"))


class _InArray(Lookup):
    """`lhs = ANY(ARRAY(subquery))` on PostgreSQL, `lhs IN (subquery)` elsewhere (SQLite).

    PostgreSQL runs the subquery once, before the outer query (an InitPlan), and reads the outer
    rows by index from the array. With `IN (subquery)` it plans a join from the subquery's row
    estimate instead, and it estimates the grants subquery at one row whatever the real number:
    with a search or filter beside it, that can become a join that compares every grant with
    every candidate case.
    """

    lookup_name = "in_array"
    prepare_rhs = False

    def _sides(self, compiler, connection) -> tuple[str, str, tuple]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return lhs, rhs, (*lhs_params, *rhs_params)

    def as_sql(self, compiler, connection):
        lhs, rhs, params = self._sides(compiler, connection)
        return f"{lhs} IN {rhs}", params

    def as_postgresql(self, compiler, connection):
        lhs, rhs, params = self._sides(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", params


def case_scope_for_user(*, user: User) -> QuerySet[Case]:
    """Every case `user` may see (rules 1–3), bare: no annotations, related rows or order.

    For reads over the whole list that need only the cases' own columns, such as the worklist's
    ordered ids: the visible ids are collected once and the cases read by primary key.
    """
    if not user.is_authenticated:
        return Case.objects.none()
    visible = case_grants(user=user).values("content_object_id")
    return Case.objects.filter(_InArray(F("pk"), visible))


def _viewer_annotations(*, user: User, with_change: bool = True) -> dict:
    """The per-viewer columns of a case (see case_list_for_user), as annotations."""
    view = case_grants(user=user)
    viewer = {"viewer_unit_id": acting_unit(view.filter(content_object=OuterRef("pk")))}
    if with_change:
        viewer["viewer_can_change"] = Exists(
            case_grants(user=user, codename=CHANGE).filter(content_object=OuterRef("pk"))
        )
    viewer["viewer_authorised"] = authorised_for(user, "individual")
    return viewer


_CASE_RELATED = ("individual", "convening_unit", "coordinator", "agreement")


def case_list_for_user(
    *, user: User, among: Collection[int] | None = None, with_change: bool = True
) -> QuerySet[Case]:
    """The cases `user` may see (rules 1–3), each annotated for the viewer:

    - `viewer_unit_id`: the unit they act for (stored in the access log),
    - `viewer_can_change`: whether they may change the case (left out with with_change=False,
      one grants subquery less, for lists that only link to their cases),
    - `viewer_authorised`: whether they are authorised for the person's protected data.

    `among` narrows the list to those case ids (say, one page of them), checked against just
    their own grants.
    """
    if not user.is_authenticated:
        return Case.objects.none()
    return (
        _scope(case_grants(user=user), among)
        .annotate(**_viewer_annotations(user=user, with_change=with_change))
        .select_related(*_CASE_RELATED)
        .order_by("-opened_at", "-pk")
    )


def case_get_for_user(*, user: User, pk: int) -> Case | None:
    """The case `pk` as case_list_for_user would give it, or None when `user` may not see it.

    One case needs no scope filter: the unit the viewer acts for is found through the same
    grants the scope is made of, so it is null exactly when no grant reaches the case. Leaving
    the filter out saves the database a grants subquery and Django compiling a third of the
    statement, on every case page.
    """
    if not user.is_authenticated:
        return None
    case = (
        Case.objects.filter(pk=pk)
        .annotate(**_viewer_annotations(user=user))
        .select_related(*_CASE_RELATED)
        .first()
    )
    return case if case is not None and case.viewer_unit_id is not None else None


def individual_list_for_user(*, user: User) -> QuerySet[Individual]:
    """The persons `user` may see (rule 4), annotated with `viewer_unit_id` (the registering unit
    when they belong to it, else the unit acting for their most recent visible case of the person)
    and `viewer_authorised`."""
    if not user.is_authenticated:
        return Individual.objects.none()
    units = member_unit_ids(user=user)
    via_case = case_grants(user=user).filter(content_object__individual=OuterRef("pk"))
    convening_first = SqlCase(
        When(group__unit=F("content_object__convening_unit"), then=Value(0)), default=Value(1)
    )
    case_unit = Subquery(
        via_case.order_by(
            "-content_object__opened_at", convening_first, "group__unit__name", "group__unit__pk"
        ).values("group__unit")[:1]
    )
    return (
        Individual.objects.filter(Q(registered_by_unit__in=units) | Q(Exists(via_case)))
        .annotate(
            viewer_unit_id=SqlCase(
                When(registered_by_unit__in=units, then=F("registered_by_unit")),
                default=case_unit,
            ),
            viewer_authorised=authorised_for(user, "pk"),
        )
        .select_related("home_municipality")
    )


def individual_get_for_user(*, user: User, pk: int) -> Individual | None:
    return individual_list_for_user(user=user).filter(pk=pk).first()


def users_who_may_see_individual(*, individual: Individual) -> QuerySet[User]:
    """Active users in an active unit that reaches the person: the candidates for authorisation."""
    reaching = _grants(VIEW).filter(content_object__individual=individual).values("group__unit")
    unit_filter = Q(memberships__unit__in=reaching)
    if individual.registered_by_unit_id:
        unit_filter |= Q(memberships__unit=individual.registered_by_unit_id)
    return (
        User.objects.filter(
            unit_filter,
            is_active=True,
            memberships__is_active=True,
            memberships__unit__is_active=True,
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


# --- the access log -------------------------------------------------------------------------------


def managed_units(*, user: User) -> QuerySet[Unit]:
    """The active units where `user` is an active manager: the scope of their log review."""
    if not user.is_authenticated:
        return Unit.objects.none()
    return Unit.objects.filter(
        pk__in=member_unit_ids(user=user, roles=(Membership.Role.MANAGER,))
    ).order_by("name")


@dataclass(frozen=True)
class LogFilter:
    unit: Unit | None = None
    user: User | None = None
    individual: Individual | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    protected_only: bool = False


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def access_log_filter(entries: QuerySet[AccessLogEntry], log_filter: LogFilter) -> QuerySet:
    """Narrow entries by unit, user, person and period (whole days in Swedish time)."""
    if log_filter.unit:
        entries = entries.filter(unit=log_filter.unit)
    if log_filter.user:
        entries = entries.filter(user=log_filter.user)
    if log_filter.individual:
        entries = entries.filter(individual=log_filter.individual)
    if log_filter.date_from:
        entries = entries.filter(at__gte=_day_start(log_filter.date_from))
    if log_filter.date_to:
        entries = entries.filter(at__lt=_day_start(log_filter.date_to + dt.timedelta(days=1)))
    if log_filter.protected_only:
        entries = entries.filter(protected=True)
    return entries


def access_log_list_for_manager(*, user: User, log_filter: LogFilter) -> QuerySet[AccessLogEntry]:
    """The accesses made for the units `user` manages, newest first."""
    entries = AccessLogEntry.objects.filter(unit__in=managed_units(user=user))
    return access_log_filter(entries, log_filter).select_related(
        "user", "unit", "case", "individual"
    )


def log_review_list_for_manager(*, user: User) -> QuerySet[LogReview]:
    return (
        LogReview.objects.filter(unit__in=managed_units(user=user))
        .select_related("unit", "created_by", "completed_by")
        .annotate(
            item_count=Count("items"),
            pending_count=Count("items", filter=Q(items__verdict=LogReviewItem.Verdict.PENDING)),
        )
        .order_by("-created_at", "-pk")
    )


def log_review_get_for_manager(*, user: User, pk: int) -> LogReview | None:
    return (
        LogReview.objects.filter(unit__in=managed_units(user=user), pk=pk)
        .select_related("unit", "created_by", "completed_by", "filter_user", "filter_individual")
        .first()
    )


def log_review_items(*, review: LogReview) -> QuerySet[LogReviewItem]:
    return review.items.select_related(
        "entry__user", "entry__unit", "entry__case", "entry__individual", "reviewed_by"
    ).order_by("entry__at", "pk")


def access_report_allowed(*, user: User, individual: Individual) -> bool:
    """A person's access report is produced by a manager of a unit that reaches the person."""
    managed = member_unit_ids(user=user, roles=(Membership.Role.MANAGER,))
    if (
        individual.registered_by_unit_id
        and managed.filter(unit_id=individual.registered_by_unit_id).exists()
    ):
        return True
    return (
        case_grants(user=user)
        .filter(content_object__individual=individual, group__unit__in=managed)
        .exists()
    )


def access_report_entries(*, user: User, individual: Individual) -> QuerySet[AccessLogEntry]:
    """Who has read the person's data, for the huvudmän of the units `user` manages.

    Each huvudman (vårdgivare / nämnd) answers for the accesses in its own organisation, so a
    manager reports the accesses made for any unit of their huvudman, and only those.
    """
    huvudmän = managed_units(user=user).values("huvudman_id")
    return (
        AccessLogEntry.objects.filter(individual=individual, unit__huvudman__in=huvudmän)
        .select_related("user", "unit", "case")
        .order_by("-at", "-pk")
    )


def users_of_units(*, units: QuerySet[Unit]) -> QuerySet[User]:
    """Everyone who is or was a member of the units: whose accesses a manager can review."""
    return (
        User.objects.filter(memberships__unit__in=units)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
