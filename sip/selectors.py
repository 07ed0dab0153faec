"""Reads of SIP data, with the access filter inside."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from actors.models import Membership, Unit, User
from deadlines.models import Deadline
from deadlines.selectors import deadline_list_for_subject
from sip.models import Case, Individual, Invitation, Meeting, Participant, Plan


def _member_unit_ids(user: User) -> QuerySet:
    return Membership.objects.filter(user=user, is_active=True, unit__is_active=True).values(
        "unit_id"
    )


def _visible_cases(user: User) -> QuerySet[Case]:
    """Cases where one of the user's active units convenes or takes part.

    The ids come from each side's own index, united once. An OR across the join to participants
    with DISTINCT made PostgreSQL read and de-duplicate every case in the country (over a
    second per page at national scale).
    """
    if not user.is_authenticated:
        return Case.objects.none()
    units = _member_unit_ids(user)
    visible = (
        Case.objects.filter(convening_unit__in=units)
        .order_by()
        .values("pk")
        .union(Participant.objects.filter(unit__in=units).order_by().values("case_id"))
    )
    return Case.objects.filter(pk__in=visible)


def case_list_for_user(*, user: User) -> QuerySet[Case]:
    """The user's cases, newest first. A paginated list pages `case_ids_for_user` instead."""
    return (
        _visible_cases(user)
        .select_related("individual", "convening_unit", "coordinator", "agreement")
        .order_by("-opened_at", "-pk")
    )


def case_ids_for_user(*, user: User) -> QuerySet:
    """The ids of the user's cases, newest first: what a page of the list is cut from.

    Counting and cutting a page touch only indexes (unit → id, participant unit → case, id →
    opened_at); the page's own rows are read afterwards by `case_list_by_ids`, so a unit that
    sees thousands of cases reads fifty.
    """
    return _visible_cases(user).order_by("-opened_at", "-pk").values_list("pk", flat=True)


def case_list_by_ids(*, ids: list[int]) -> list[Case]:
    """The cases with these ids, in the order given."""
    cases = Case.objects.select_related(
        "individual", "convening_unit", "coordinator", "agreement"
    ).in_bulk(ids)
    return [cases[pk] for pk in ids if pk in cases]


def case_get_for_user(*, user: User, pk: int) -> Case | None:
    return (
        _visible_cases(user)
        .select_related("individual", "convening_unit", "coordinator", "agreement")
        .filter(pk=pk)
        .first()
    )


def individual_list_for_user(*, user: User) -> QuerySet[Individual]:
    """Any active member of a unit may look a person up, so a SIP can be started by any actor.

    Address and whereabouts of protected persons stay hidden (individual_address_visible).
    """
    if (
        not user.is_authenticated
        or not Membership.objects.filter(user=user, is_active=True).exists()
    ):
        return Individual.objects.none()
    return Individual.objects.select_related("home_municipality")


def individual_address_visible(*, individual: Individual, user: User) -> bool:
    if not individual.is_protected:
        return True
    return individual.authorised_users.filter(pk=user.pk).exists()


def user_units_for_convening(*, user: User) -> QuerySet[Unit]:
    return Unit.objects.filter(pk__in=_member_unit_ids(user)).order_by("name")


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    consents: list
    participants: list[Participant]
    meetings: list[Meeting]
    plan: Plan | None
    plan_versions: list[Plan]
    deadlines: list[Deadline]
    lead_history: list


def case_detail(*, case: Case) -> CaseDetail:
    """Everything the case page shows, in a fixed number of queries."""
    participants = list(case.participants.select_related("unit__huvudman"))
    meetings = list(
        case.meetings.prefetch_related(
            Prefetch(
                "invitations",
                queryset=Invitation.objects.select_related("participant__unit"),
            )
        )
    )
    plan_versions = list(case.plans.only("pk", "version", "created_at", "case_id"))
    plan = (
        case.plans.select_related("lead_unit", "coordinator_unit", "plan_owner_unit")
        .prefetch_related(
            "interventions__unit", "interventions__huvudman", "no_interventions__unit"
        )
        .first()
    )
    return CaseDetail(
        case=case,
        consents=list(case.consents.prefetch_related("units", "given_by_guardians")),
        participants=participants,
        meetings=meetings,
        plan=plan,
        plan_versions=plan_versions,
        deadlines=list(deadline_list_for_subject(subject=case)),
        lead_history=list(case.lead_assignments.select_related("unit", "plan")),
    )


def plan_get(*, case: Case, version: int | None = None) -> Plan | None:
    plans = case.plans.select_related(
        "case__individual", "lead_unit", "coordinator_unit", "plan_owner_unit"
    ).prefetch_related("interventions__unit", "interventions__huvudman", "no_interventions__unit")
    if version is not None:
        plans = plans.filter(version=version)
    return plans.order_by("-version").first()


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    role: str  # "REQ-PARTICIPANT" for professionals and the person, "OPT-PARTICIPANT" for others


def meeting_recipients(*, meeting: Meeting) -> list[Recipient]:
    """Who gets the kallelse e-mail: each participant with an address, and for meetings that
    include the person, the person and their custodial guardians when an address is given."""
    seen: set[str] = set()
    recipients: list[Recipient] = []

    def add(name: str, email: str, role: str = "REQ-PARTICIPANT") -> None:
        if email and email.lower() not in seen:
            seen.add(email.lower())
            recipients.append(Recipient(name=name, email=email, role=role))

    for participant in meeting.case.participants.select_related("unit"):
        add(participant.person_name or participant.organisation_name, participant.contact_email)
    if meeting.includes_individual:
        individual = meeting.case.individual
        add(individual.full_name, individual.email)
        for guardian in individual.guardians.filter(has_custody=True):
            add(guardian.name, guardian.email)
    return recipients
