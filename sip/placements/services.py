"""Every write to placements, cost splits and examination requests, each in one transaction.

Clocks follow the SIP pattern: the governing agreement's DeadlineRule rows decide which clock
starts at which event; the code never hard-wires a number. The subject of every placement clock
is the Placement.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from actors.models import Huvudman, Membership, Unit, User
from agreements.models import Agreement, DeadlineRule
from agreements.selectors import agreement_for, deadline_rule_get
from config.exceptions import ApplicationError
from deadlines.calendar import STOCKHOLM
from deadlines.selectors import deadline_open_for_subject
from deadlines.services import deadline_cancel, deadline_meet, deadline_open
from sip.models import Case, Individual, Intervention, Meeting
from sip.placements.models import HUNDRED, CostShare, CostSplit, ExaminationRequest, Placement
from sip.placements.selectors import placement_is_placing_team

# Children's agreements cover placed young people up to and including 20 (001, 004).
YOUNG_ADULT_LIMIT = 21

PLACEMENT_CLOCKS = (
    DeadlineRule.Kind.COST_SPLIT_ACUTE,
    DeadlineRule.Kind.JOINT_PLANNING_ACUTE,
    DeadlineRule.Kind.HEALTH_EXAMINATION,
    DeadlineRule.Kind.LVU_MEDICAL,
)
# Clocks that lose their purpose when the child leaves the placement. The cost split and the LVU
# examination still have to be settled for the time the placement lasted.
ENDS_WITH_PLACEMENT = (
    DeadlineRule.Kind.JOINT_PLANNING_ACUTE,
    DeadlineRule.Kind.HEALTH_EXAMINATION,
)


def _save(instance: Model, by: User | None) -> None:
    instance._history_user = by
    instance.save()


def _day_start(day: dt.date) -> dt.datetime:
    """Decisions are recorded by date; a clock counts from the start of that local day."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=STOCKHOLM)


def _lock(placement: Placement) -> Placement:
    return (
        Placement.objects.select_for_update(of=("self",))
        .select_related("agreement", "responsible_unit", "coordinator", "case")
        .get(pk=placement.pk)
    )


def _require_placing_team(placement: Placement, user: User) -> None:
    if not placement_is_placing_team(placement=placement, user=user):
        raise ApplicationError(
            _("Bara socialtjänsten i den placerande kommunen kan göra detta för placeringen.")
        )


def _check_not_future(day: dt.date, message: str) -> None:
    if day > timezone.localdate():
        raise ApplicationError(message)


# --- clocks ---------------------------------------------------------------------------------------


def _open_clocks(
    *,
    placement: Placement,
    event: str,
    started_at: dt.datetime,
    by: User | None,
    health_care_unit: Unit | None = None,
) -> None:
    """Start every placement clock whose rule counts from `event`; none where the agreement
    sets none. A rule owed by health care is put on the examining unit when there is one."""
    for kind in PLACEMENT_CLOCKS:
        rule = deadline_rule_get(agreement=placement.agreement, kind=kind)
        if rule is None or rule.start_event != event:
            continue
        if deadline_open_for_subject(subject=placement, kind=kind):
            continue
        if rule.responsible == DeadlineRule.Responsible.HEALTH_CARE and health_care_unit:
            unit, user = health_care_unit, None
        else:
            unit, user = placement.responsible_unit, placement.coordinator
        deadline_open(
            rule=rule,
            started_at=started_at,
            subject=placement,
            responsible_unit=unit,
            responsible_user=user,
            by=by,
        )


def _meet_clock(*, placement: Placement, kind: str, met_at: dt.datetime, by: User) -> None:
    deadline = deadline_open_for_subject(subject=placement, kind=kind)
    if deadline:
        deadline_meet(deadline=deadline, met_at=met_at, by=by)


# --- placement ------------------------------------------------------------------------------------


def _agreement_for(*, individual: Individual, municipality_county: str, on: dt.date) -> Agreement:
    """The placing municipality's county decides; the children's agreement first for anyone
    under 21, because the children's agreements cover placed young people up to 20."""
    if individual.birth_date is None:
        raise ApplicationError(
            _("Födelsedatum saknas. Ange ett (uppskattat) födelsedatum innan placeringen.")
        )
    children, adults = Agreement.TargetGroup.CHILDREN, Agreement.TargetGroup.ADULTS
    order = [children, adults] if individual.age_on(on) < YOUNG_ADULT_LIMIT else [adults]
    for target_group in order:
        agreement = agreement_for(county=municipality_county, target_group=target_group, on=on)
        if agreement:
            return agreement
    raise ApplicationError(
        _("Det finns ingen överenskommelse i den placerande kommunens län som gäller %(day)s.")
        % {"day": on.isoformat()}
    )


@transaction.atomic
def placement_register(
    *,
    individual: Individual,
    responsible_unit: Unit,
    placement_type: str,
    legal_basis: str,
    decided_on: dt.date,
    starts_on: dt.date,
    by: User,
    is_acute: bool = False,
    planned_end_on: dt.date | None = None,
    case: Case | None = None,
    residence_name: str = "",
    residence_address: str = "",
    protected_residence: bool = False,
) -> Placement:
    """Register a placement decided by the placing municipality's social services.

    1. The registering user is an active member of a social-services unit; that unit's
       municipality is the placing municipality and the user coordinates.
    2. An immediate custody under 6 § LVU is always acute; a person registered with a protected
       place of residence gets a protected placement.
    3. The governing agreement is the linked SIP's, else the one in force in the placing
       municipality's county on the decision date.
    4. Clocks counting from the (acute) placement decision, and for LVU from the custody
       decision, start at the decision date.
    """
    if not Membership.objects.filter(
        user=by, unit=responsible_unit, is_active=True, unit__is_active=True
    ).exists():
        raise ApplicationError(_("Du måste vara aktiv medlem i den ansvariga socialtjänsten."))
    if not responsible_unit.is_social_services or responsible_unit.municipality_id is None:
        raise ApplicationError(
            _("Den ansvariga verksamheten ska vara socialtjänst i den placerande kommunen.")
        )
    if placement_type not in Placement.Form.values:
        raise ApplicationError(_("Okänd placeringsform."))
    if legal_basis not in Placement.LegalBasis.values:
        raise ApplicationError(_("Okänt lagrum."))
    _check_not_future(decided_on, _("Beslutsdatumet kan inte ligga i framtiden."))
    if starts_on < decided_on:
        raise ApplicationError(_("Placeringen kan inte börja före beslutet."))
    if planned_end_on and planned_end_on < starts_on:
        raise ApplicationError(_("Det planerade slutdatumet kan inte ligga före startdatumet."))
    if case is not None and case.individual_id != individual.pk:
        raise ApplicationError(_("SIP-ärendet gäller en annan person."))

    municipality = responsible_unit.municipality
    agreement = (
        case.agreement
        if case is not None
        else _agreement_for(
            individual=individual, municipality_county=municipality.county, on=decided_on
        )
    )
    if legal_basis == Placement.LegalBasis.LVU_IMMEDIATE:
        is_acute = True
    # A person whose whereabouts are already kept secret keeps them secret in every placement.
    protected_residence = protected_residence or individual.protected_residence
    placement = Placement(
        individual=individual,
        case=case,
        agreement=agreement,
        placing_municipality=municipality,
        responsible_unit=responsible_unit,
        coordinator=by,
        placement_type=placement_type,
        legal_basis=legal_basis,
        decided_on=decided_on,
        is_acute=is_acute,
        starts_on=starts_on,
        planned_end_on=planned_end_on,
        residence_name=residence_name.strip(),
        residence_address=residence_address.strip(),
        protected_residence=protected_residence,
    )
    _save(placement, by)
    if protected_residence:
        # Whoever enters a protected address already knows it.
        placement.authorised_users.add(by)

    started_at = _day_start(decided_on)
    event = (
        DeadlineRule.StartEvent.ACUTE_PLACEMENT_DECISION
        if is_acute
        else DeadlineRule.StartEvent.PLACEMENT_DECISION
    )
    _open_clocks(placement=placement, event=event, started_at=started_at, by=by)
    if placement.is_compulsory:
        _open_clocks(
            placement=placement,
            event=DeadlineRule.StartEvent.LVU_CUSTODY,
            started_at=started_at,
            by=by,
        )
    return placement


@transaction.atomic
def placement_authorise_user(*, placement: Placement, user: User, by: User) -> None:
    """Let a colleague in the placing social services see a protected place of residence."""
    placement = _lock(placement)
    if not placement.protected_residence:
        raise ApplicationError(_("Vistelseorten är inte hemlighållen."))
    if not placement.authorised_users.filter(pk=by.pk).exists():
        raise ApplicationError(_("Bara den som själv är behörig kan ge behörighet."))
    if not placement_is_placing_team(placement=placement, user=user):
        raise ApplicationError(
            _("Behörighet kan bara ges till socialtjänsten i den placerande kommunen.")
        )
    placement._history_user = by
    placement.authorised_users.add(user)


@transaction.atomic
def placement_record_joint_planning_invitation(
    *, placement: Placement, invited_on: dt.date, by: User
) -> Placement:
    """The deciding committee has invited to joint planning (001, after an acute placement)."""
    placement = _lock(placement)
    _require_placing_team(placement, by)
    if placement.joint_planning_invited_on:
        raise ApplicationError(_("Inbjudan till gemensam planering är redan registrerad."))
    _check_not_future(invited_on, _("Datumet kan inte ligga i framtiden."))
    if invited_on < placement.decided_on:
        raise ApplicationError(_("Inbjudan kan inte ligga före placeringsbeslutet."))
    placement.joint_planning_invited_on = invited_on
    _save(placement, by)
    _meet_clock(
        placement=placement,
        kind=DeadlineRule.Kind.JOINT_PLANNING_ACUTE,
        met_at=_day_start(invited_on),
        by=by,
    )
    return placement


@transaction.atomic
def placement_end(*, placement: Placement, ended_on: dt.date, reason: str, by: User) -> Placement:
    """End the placement. The page then asks for a follow-up of the SIP or a new one (001)."""
    placement = _lock(placement)
    _require_placing_team(placement, by)
    if placement.is_ended:
        raise ApplicationError(_("Placeringen är redan avslutad."))
    if not reason.strip():
        raise ApplicationError(_("Ange varför placeringen avslutas."))
    _check_not_future(ended_on, _("Slutdatumet kan inte ligga i framtiden."))
    if ended_on < placement.starts_on:
        raise ApplicationError(_("Placeringen kan inte avslutas före sitt startdatum."))
    placement.ended_on = ended_on
    placement.end_reason = reason.strip()
    _save(placement, by)
    for kind in ENDS_WITH_PLACEMENT:
        deadline = deadline_open_for_subject(subject=placement, kind=kind)
        if deadline:
            deadline_cancel(deadline=deadline, reason=_("Placeringen avslutades."), by=by)
    return placement


# --- cost split -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareData:
    unit: Unit
    value: Decimal


def _check_shares(*, basis: str, total_amount: Decimal | None, shares: list[ShareData]) -> None:
    if len(shares) < 2:
        raise ApplicationError(_("En kostnadsfördelning behöver minst två huvudmän."))
    parties = [share.unit.huvudman_id for share in shares]
    if len(set(parties)) != len(parties):
        raise ApplicationError(
            _("Varje huvudman får bara ha en andel. Slå ihop andelarna för samma huvudman.")
        )
    if any(share.value is None or share.value < 0 for share in shares):
        raise ApplicationError(_("Varje andel ska vara noll eller större."))
    total = sum((share.value for share in shares), Decimal("0"))
    if basis == CostSplit.Basis.PERCENT:
        if total != HUNDRED:
            raise ApplicationError(
                _("Andelarna summerar till %(sum)s %%. De ska summera till exakt 100 %%.")
                % {"sum": total}
            )
    elif basis == CostSplit.Basis.AMOUNT:
        if total_amount is None or total_amount <= 0:
            raise ApplicationError(_("Ange totalbeloppet som ska fördelas."))
        if total != total_amount:
            raise ApplicationError(
                _(
                    "Beloppen summerar till %(sum)s kr men totalbeloppet är %(total)s kr. "
                    "De ska vara lika."
                )
                % {"sum": total, "total": total_amount}
            )
    else:
        raise ApplicationError(_("Ange om kostnaden fördelas i procent eller belopp."))


def _is_member(user: User, unit_id: int) -> bool:
    return Membership.objects.filter(
        user=user, unit_id=unit_id, is_active=True, unit__is_active=True
    ).exists()


@transaction.atomic
def cost_split_propose(
    *,
    placement: Placement,
    basis: str,
    shares: Iterable[ShareData],
    ordered_by: Huvudman,
    by: User,
    description: str = "",
    intervention: Intervention | None = None,
    total_amount: Decimal | None = None,
    meeting: Meeting | None = None,
) -> CostSplit:
    """Propose who pays what, for the placement as a whole or one intervention of its SIP.

    1. Only the placing social services propose; costs are discussed without the person, so a
       meeting named as the forum must be an aktörsmöte of the linked SIP.
    2. Percent shares sum to exactly 100, amounts to the total; one share per huvudman.
    3. The proposer agrees for the parties whose units they belong to; every other party agrees
       (or declines) for itself.
    """
    placement = _lock(placement)
    _require_placing_team(placement, by)
    shares = list(shares)
    if intervention is not None and (
        placement.case_id is None or intervention.plan.case_id != placement.case_id
    ):
        raise ApplicationError(_("Insatsen hör inte till placeringens SIP-ärende."))
    if meeting is not None:
        if meeting.case_id != placement.case_id:
            raise ApplicationError(_("Mötet hör inte till placeringens SIP-ärende."))
        if meeting.kind != Meeting.Kind.ACTORS:
            raise ApplicationError(
                _(
                    "Kostnadsansvar diskuteras utan den enskilde. Välj ett aktörsmöte, inte ett "
                    "möte där den enskilde deltar."
                )
            )
    description = description.strip() or (intervention.description if intervention else "")
    if not description:
        raise ApplicationError(_("Ange vad kostnaden avser."))
    _check_shares(basis=basis, total_amount=total_amount, shares=shares)
    if ordered_by.pk not in {share.unit.huvudman_id for share in shares}:
        raise ApplicationError(_("Den beställande huvudmannen ska vara en av parterna."))
    pending = placement.cost_splits.filter(
        status=CostSplit.Status.PROPOSED, intervention=intervention
    )
    if pending.exists():
        raise ApplicationError(
            _("Det finns redan ett förslag för samma kostnad som väntar på svar.")
        )

    now = timezone.now()
    split = CostSplit(
        placement=placement,
        intervention=intervention,
        description=description,
        basis=basis,
        total_amount=total_amount if basis == CostSplit.Basis.AMOUNT else None,
        ordered_by=ordered_by,
        meeting=meeting,
        proposed_by=by,
        proposed_at=now,
    )
    _save(split, by)
    percent = basis == CostSplit.Basis.PERCENT
    for data in shares:
        share = CostShare(
            cost_split=split,
            huvudman=data.unit.huvudman,
            unit=data.unit,
            percent=data.value if percent else None,
            amount=None if percent else data.value,
        )
        if _is_member(by, data.unit.pk):
            share.agreed_by, share.agreed_at = by, now
        _save(share, by)
    _settle_if_all_agreed(split, now=now, by=by)
    return split


def _lock_share(share: CostShare) -> tuple[CostShare, CostSplit]:
    split = (
        CostSplit.objects.select_for_update(of=("self",))
        .select_related("placement__agreement", "ordered_by")
        .get(pk=share.cost_split_id)
    )
    return CostShare.objects.select_for_update().get(pk=share.pk), split


def _check_party(share: CostShare, split: CostSplit, by: User) -> None:
    if split.status != CostSplit.Status.PROPOSED:
        raise ApplicationError(
            _("Kostnadsfördelningen är redan avgjord (%(status)s).")
            % {"status": split.get_status_display()}
        )
    if not _is_member(by, share.unit_id):
        raise ApplicationError(
            _("Bara %(unit)s kan svara för sin huvudmans andel.") % {"unit": share.unit.name}
        )
    if share.is_agreed:
        raise ApplicationError(_("Andelen är redan godkänd."))


@transaction.atomic
def cost_share_agree(*, share: CostShare, by: User) -> CostShare:
    """A party agrees to its own share; when every party has, the split is agreed."""
    share, split = _lock_share(share)
    _check_party(share, split, by)
    now = timezone.now()
    share.agreed_by, share.agreed_at = by, now
    _save(share, by)
    _settle_if_all_agreed(split, now=now, by=by)
    return share


def _settle_if_all_agreed(split: CostSplit, *, now: dt.datetime, by: User) -> None:
    if split.shares.filter(agreed_at__isnull=True).exists():
        return
    split.status = CostSplit.Status.AGREED
    split.settled_at = now
    _save(split, by)
    _meet_cost_split_clock(split, met_at=now, by=by)


@transaction.atomic
def cost_share_decline(*, share: CostShare, reason: str, by: User) -> CostSplit:
    """A party does not agree: the split is "ej överens".

    Where the agreement names who pays in that case (Västmanland: the huvudman that ordered the
    intervention), that payer and the rule's text are recorded and the question is settled.
    Elsewhere it stays open and its clock runs on into the agreement's escalation ladder.
    """
    if not reason.strip():
        raise ApplicationError(_("Ange varför ni inte är överens."))
    share, split = _lock_share(share)
    _check_party(share, split, by)
    now = timezone.now()
    share.declined_by, share.declined_at = by, now
    _save(share, by)
    split.status = CostSplit.Status.NOT_AGREED
    split.settled_at = now
    split.not_agreed_reason = reason.strip()
    agreement = split.placement.agreement
    if agreement.fallback_cost_payer == Agreement.FallbackPayer.ORDERING_HUVUDMAN:
        split.fallback_payer = split.ordered_by
        split.fallback_rule = agreement.fallback_cost_rule or str(
            Agreement.FallbackPayer(agreement.fallback_cost_payer).label
        )
    _save(split, by)
    if split.is_settled:
        _meet_cost_split_clock(split, met_at=now, by=by)
    return split


def _meet_cost_split_clock(split: CostSplit, *, met_at: dt.datetime, by: User) -> None:
    """The clock asks for the costs to be clear: met once nothing proposed is still pending."""
    placement = split.placement
    if placement.cost_splits.filter(status=CostSplit.Status.PROPOSED).exists():
        return
    _meet_clock(placement=placement, kind=DeadlineRule.Kind.COST_SPLIT_ACUTE, met_at=met_at, by=by)


# --- examinations ---------------------------------------------------------------------------------


@transaction.atomic
def examination_request(
    *, placement: Placement, kind: str, unit: Unit, requested_on: dt.date, by: User
) -> ExaminationRequest:
    """Send one request: health care and dental care get separate ones (lag 2017:209, 001).

    A medical examination under 32 § LVU starts the agreement's LVU clock from the committee's
    decision, owed by the examining health-care unit.
    """
    placement = _lock(placement)
    _require_placing_team(placement, by)
    if kind not in ExaminationRequest.Kind.values:
        raise ApplicationError(_("Okänd typ av undersökning."))
    if kind == ExaminationRequest.Kind.DENTAL:
        if unit.kind != Unit.Kind.DENTAL:
            raise ApplicationError(
                _("Begäran om hälsoundersökning av oral hälsa går till tandvården.")
            )
    elif not unit.is_health_care or unit.kind == Unit.Kind.DENTAL:
        raise ApplicationError(_("Begäran går till hälso- och sjukvården, inte till tandvården."))
    if kind == ExaminationRequest.Kind.LVU_MEDICAL and not placement.is_compulsory:
        raise ApplicationError(_("Läkarundersökning enligt 32 § LVU gäller bara vård enligt LVU."))
    _check_not_future(requested_on, _("Datumet kan inte ligga i framtiden."))
    if placement.examinations.filter(
        kind=kind, status=ExaminationRequest.Status.REQUESTED
    ).exists():
        raise ApplicationError(_("Det finns redan en obesvarad begäran av samma slag."))
    request = ExaminationRequest(
        placement=placement, kind=kind, unit=unit, requested_on=requested_on
    )
    _save(request, by)
    if kind == ExaminationRequest.Kind.LVU_MEDICAL:
        _open_clocks(
            placement=placement,
            event=DeadlineRule.StartEvent.LVU_MEDICAL_DECISION,
            started_at=_day_start(requested_on),
            by=by,
            health_care_unit=unit,
        )
    return request


@transaction.atomic
def examination_record_answer(
    *, request: ExaminationRequest, status: str, answered_on: dt.date, by: User, note: str = ""
) -> ExaminationRequest:
    """Record the returned statement, or that the offer was declined.

    The LVU examination needs no consent and cannot be declined; its statement meets the LVU
    clock. The health-examination clock is met once both the health-care and the dental request
    are answered.
    """
    request = (
        ExaminationRequest.objects.select_for_update(of=("self",))
        .select_related("placement")
        .get(pk=request.pk)
    )
    placement = _lock(request.placement)
    _require_placing_team(placement, by)
    if request.status != ExaminationRequest.Status.REQUESTED:
        raise ApplicationError(_("Begäran är redan besvarad."))
    if status not in (
        ExaminationRequest.Status.STATEMENT_RECEIVED,
        ExaminationRequest.Status.DECLINED,
    ):
        raise ApplicationError(_("Ange om utlåtandet kommit eller om undersökningen avböjts."))
    if (
        request.kind == ExaminationRequest.Kind.LVU_MEDICAL
        and status == ExaminationRequest.Status.DECLINED
    ):
        raise ApplicationError(
            _("En läkarundersökning enligt LVU kräver inte samtycke och kan inte avböjas.")
        )
    _check_not_future(answered_on, _("Datumet kan inte ligga i framtiden."))
    if answered_on < request.requested_on:
        raise ApplicationError(_("Svaret kan inte ligga före begäran."))
    request.status = status
    request.answered_on = answered_on
    request.note = note.strip()
    _save(request, by)

    met_at = _day_start(answered_on)
    if request.kind == ExaminationRequest.Kind.LVU_MEDICAL:
        _meet_clock(placement=placement, kind=DeadlineRule.Kind.LVU_MEDICAL, met_at=met_at, by=by)
    else:
        answered = set(
            placement.examinations.filter(
                kind__in=ExaminationRequest.HEALTH_EXAMINATION_KINDS,
            )
            .exclude(status=ExaminationRequest.Status.REQUESTED)
            .values_list("kind", flat=True)
        )
        if answered >= ExaminationRequest.HEALTH_EXAMINATION_KINDS:
            _meet_clock(
                placement=placement,
                kind=DeadlineRule.Kind.HEALTH_EXAMINATION,
                met_at=met_at,
                by=by,
            )
    return request
