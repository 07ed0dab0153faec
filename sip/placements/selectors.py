"""Reads of placements, with the access filter inside.

Who sees a placement (docs/access-control.md, "Placements"): members of the placing
municipality's social services (they are responsible and coordinate, 001/004), whoever may read
the linked SIP case (the case's grants and consent scope, sip.access.selectors), and members of
units that represent a party in one of its cost splits. A protected place of residence is shown
only to the placement's own authorised users.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    BigIntegerField,
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.db.models.functions import Coalesce

from actors.models import Huvudman, Membership, Unit, User
from deadlines.models import Deadline
from deadlines.selectors import deadline_list_for_subject
from sip.access.selectors import acting_unit, authorised_for, case_grants
from sip.models import Case, Intervention, Meeting
from sip.placements.models import CostShare, CostSplit, ExaminationRequest, Placement


def _member_unit_ids(user: User) -> QuerySet:
    return Membership.objects.filter(user=user, is_active=True, unit__is_active=True).values(
        "unit_id"
    )


def _placing_team_units(user: User) -> QuerySet[Unit]:
    return Unit.objects.filter(
        pk__in=_member_unit_ids(user),
        kind__in=Unit.SOCIAL_SERVICES_KINDS,
        municipality__isnull=False,
    )


def _follow_up_arranged() -> Q:
    """After the placement ended, the linked SIP has a meeting booked or a new case was opened
    for the person (001: "Tidigare SIP följs upp eller en ny upprättas")."""
    meeting_after_end = Meeting.objects.filter(
        case=OuterRef("case"), starts_at__date__gte=OuterRef("ended_on")
    ).exclude(status=Meeting.Status.CANCELLED)
    case_after_end = Case.objects.filter(
        individual=OuterRef("individual"), opened_at__date__gte=OuterRef("ended_on")
    )
    return Exists(meeting_after_end) | Exists(case_after_end)


def placement_list_for_user(*, user: User) -> QuerySet[Placement]:
    """The placements `user` may see, each annotated for the viewer:

    - `viewer_unit_id`: the unit they act for (stored in the access log): the responsible unit,
      else another unit of the placing social services, else the unit through which they read
      the linked case, else the unit representing their party in a cost split;
    - `case_visible`: whether they may read the linked case (else the page does not name it);
    - `viewer_authorised`: whether they are authorised for the person's protected data.
    """
    if not user.is_authenticated:
        return Placement.objects.none()
    units = _member_unit_ids(user)
    placing_team = _placing_team_units(user).filter(municipality=OuterRef("placing_municipality"))
    case_reach = case_grants(user=user).filter(content_object=OuterRef("case"))
    party = CostShare.objects.filter(cost_split__placement=OuterRef("pk"), unit__in=units)
    team_units = placing_team.annotate(
        responsible_first=SqlCase(
            When(pk=OuterRef("responsible_unit"), then=Value(0)), default=Value(1)
        )
    ).order_by("responsible_first", "name", "pk")
    return (
        Placement.objects.filter(Exists(placing_team) | Exists(case_reach) | Exists(party))
        .select_related("individual", "placing_municipality", "responsible_unit", "case")
        .annotate(
            needs_sip_follow_up=ExpressionWrapper(
                Q(ended_on__isnull=False) & ~_follow_up_arranged(), output_field=BooleanField()
            ),
            viewer_unit_id=Coalesce(
                Subquery(team_units.values("pk")[:1]),
                acting_unit(case_reach),
                Subquery(party.order_by("unit__name", "unit_id").values("unit_id")[:1]),
                output_field=BigIntegerField(),
            ),
            case_visible=Exists(case_reach),
            viewer_authorised=authorised_for(user, "individual"),
        )
        .order_by("-decided_on", "-pk")
    )


def placement_get_for_user(*, user: User, pk: int) -> Placement | None:
    return (
        placement_list_for_user(user=user)
        .select_related("agreement", "coordinator", "individual__home_municipality")
        .filter(pk=pk)
        .first()
    )


def placement_is_placing_team(*, placement: Placement, user: User) -> bool:
    """An active member of the placing municipality's social services may act for it."""
    return _placing_team_units(user).filter(municipality=placement.placing_municipality_id).exists()


def placement_address_visible(*, placement: Placement, user: User) -> bool:
    """A protected place of residence is for the placement's authorised users only. A person
    with protected identity or residence keeps theirs hidden in every placement, also where the
    placement was registered before the protection."""
    if not (placement.protected_residence or placement.individual.is_protected):
        return True
    return placement.authorised_users.filter(pk=user.pk).exists()


def placing_team_users(*, placement: Placement) -> QuerySet[User]:
    return (
        User.objects.filter(
            is_active=True,
            memberships__is_active=True,
            memberships__unit__is_active=True,
            memberships__unit__kind__in=Unit.SOCIAL_SERVICES_KINDS,
            memberships__unit__municipality=placement.placing_municipality_id,
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def user_placing_units(*, user: User) -> QuerySet[Unit]:
    """The social-services units a user may register a placement for."""
    return _placing_team_units(user).select_related("municipality").order_by("name")


def party_unit_choices(*, placement: Placement) -> QuerySet[Unit]:
    """Units that may represent a huvudman in a cost split: active units of the county's
    huvudmän."""
    return (
        Unit.objects.filter(is_active=True, huvudman__county=placement.placing_municipality.county)
        .select_related("huvudman")
        .order_by("huvudman__name", "name")
    )


def huvudman_choices(*, placement: Placement) -> QuerySet[Huvudman]:
    return Huvudman.objects.filter(county=placement.placing_municipality.county).order_by("name")


def examination_unit_choices(*, placement: Placement) -> QuerySet[Unit]:
    return (
        Unit.objects.filter(
            is_active=True,
            kind__in=Unit.HEALTH_CARE_KINDS,
            huvudman__county=placement.placing_municipality.county,
        )
        .select_related("huvudman")
        .order_by("name")
    )


def placement_interventions(*, placement: Placement) -> QuerySet[Intervention]:
    """The interventions of the linked SIP's current plan: what a cost split may be about."""
    if placement.case_id is None:
        return Intervention.objects.none()
    plan = placement.case.plans.order_by("-version").values("pk")[:1]
    return Intervention.objects.filter(plan__in=plan).select_related("huvudman", "unit")


def placement_actor_meetings(*, placement: Placement) -> QuerySet[Meeting]:
    """Aktörsmöten of the linked SIP: the only meetings where costs may be discussed."""
    if placement.case_id is None:
        return Meeting.objects.none()
    return placement.case.meetings.filter(kind=Meeting.Kind.ACTORS).order_by("starts_at")


@dataclass(frozen=True)
class ExaminationRow:
    kind: str
    label: str
    current: ExaminationRequest | None
    earlier: list[ExaminationRequest]


@dataclass(frozen=True)
class PlacementDetail:
    placement: Placement
    deadlines: list[Deadline]
    cost_splits: list[CostSplit]
    examinations: list[ExaminationRow]
    show_address: bool
    is_placing_team: bool
    user_unit_ids: frozenset[int]
    needs_sip_follow_up: bool
    cost_split_expected_by: dt.date | None
    cost_split_settled: bool


def placement_detail(
    *, placement: Placement, user: User, person_revealed: bool = True
) -> PlacementDetail:
    """Everything the placement page shows, in a fixed number of queries.

    `person_revealed` is False while a protected person is masked for the viewer: their place of
    residence then stays hidden too, whatever the placement's own authorisations.
    """
    splits = list(
        placement.cost_splits.select_related(
            "intervention", "ordered_by", "fallback_payer", "meeting", "proposed_by"
        ).prefetch_related(
            Prefetch(
                "shares",
                queryset=CostShare.objects.select_related(
                    "huvudman", "unit", "agreed_by", "declined_by"
                ),
            )
        )
    )
    requests = list(placement.examinations.select_related("unit"))
    rows = []
    for kind, label in ExaminationRequest.Kind.choices:
        if kind == ExaminationRequest.Kind.LVU_MEDICAL and not placement.is_compulsory:
            continue
        of_kind = [request for request in requests if request.kind == kind]
        rows.append(
            ExaminationRow(
                kind=kind,
                label=label,
                current=of_kind[-1] if of_kind else None,
                earlier=of_kind[:-1],
            )
        )
    needs_follow_up = (
        placement.is_ended
        and not Placement.objects.filter(pk=placement.pk).filter(_follow_up_arranged()).exists()
    )
    return PlacementDetail(
        placement=placement,
        deadlines=list(deadline_list_for_subject(subject=placement)),
        cost_splits=splits,
        examinations=rows,
        show_address=person_revealed and placement_address_visible(placement=placement, user=user),
        is_placing_team=placement_is_placing_team(placement=placement, user=user),
        user_unit_ids=frozenset(_member_unit_ids(user).values_list("unit_id", flat=True)),
        needs_sip_follow_up=needs_follow_up,
        cost_split_expected_by=placement.cost_split_expected_by,
        cost_split_settled=any(split.is_settled for split in splits),
    )
