"""Reads of SIP data, with the access filter inside."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from actors.models import Unit, User
from deadlines.models import Deadline
from deadlines.selectors import deadline_list_for_subject
from sip.access.selectors import (  # noqa: F401 - the access rules' reads stay importable here
    case_get_for_user,
    case_list_for_user,
    case_scope_for_user,
    individual_get_for_user,
    individual_list_for_user,
    member_unit_ids,
)
from sip.models import (
    Case,
    Consent,
    Intervention,
    Invitation,
    LeadAssignment,
    Meeting,
    Participant,
    Plan,
)


def user_units_for_convening(*, user: User) -> QuerySet[Unit]:
    return Unit.objects.filter(pk__in=member_unit_ids(user=user)).order_by("name")


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    consents: list[Consent]
    participants: list[Participant]
    meetings: list[Meeting]
    plan: Plan | None
    deadlines: list[Deadline]
    lead_history: list[LeadAssignment]


def case_detail(*, case: Case) -> CaseDetail:
    """Everything the case page shows, in a fixed number of queries (nine).

    Only what the page shows is read: the latest plan (not every version), its interventions
    with their units in one query, the consents' units (not who gave them).
    """
    participants = list(case.participants.select_related("unit"))
    meetings = list(
        case.meetings.prefetch_related(
            Prefetch(
                "invitations",
                queryset=Invitation.objects.select_related("participant__unit"),
            )
        )
    )
    plan = (
        case.plans.select_related("lead_unit", "coordinator_unit", "plan_owner_unit")
        .prefetch_related(
            Prefetch("interventions", queryset=Intervention.objects.select_related("unit"))
        )
        # The models' orderings start with the case, which would join it to sort by its own
        # ordering: within one case the rest of the ordering is enough.
        .order_by("-version")
        .first()
    )
    return CaseDetail(
        case=case,
        consents=list(case.consents.prefetch_related("units")),
        participants=participants,
        meetings=meetings,
        plan=plan,
        # The page shows each deadline's own columns only: no rule, unit or person joined.
        deadlines=list(deadline_list_for_subject(subject=case).select_related(None)),
        lead_history=list(
            case.lead_assignments.select_related("unit").order_by("started_at", "pk")
        ),
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


def meeting_recipients(*, meeting: Meeting, with_person: bool = True) -> list[Recipient]:
    """Who gets the kallelse e-mail: each participant with an address, and for meetings that
    include the person, the person and their custodial guardians when an address is given.

    `with_person=False` leaves the person and guardians out, for a viewer who may not see a
    protected person's identity."""
    seen: set[str] = set()
    recipients: list[Recipient] = []

    def add(name: str, email: str, role: str = "REQ-PARTICIPANT") -> None:
        if email and email.lower() not in seen:
            seen.add(email.lower())
            recipients.append(Recipient(name=name, email=email, role=role))

    for participant in meeting.case.participants.select_related("unit"):
        add(participant.person_name or participant.organisation_name, participant.contact_email)
    if meeting.includes_individual and with_person:
        individual = meeting.case.individual
        add(individual.full_name, individual.email)
        for guardian in individual.guardians.filter(has_custody=True):
            add(guardian.name, guardian.email)
    return recipients
