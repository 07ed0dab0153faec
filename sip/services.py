"""Every write to a SIP case. Each function checks the state machine and runs in one transaction."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from actors.models import Membership, Municipality, Unit, User
from agreements.models import Agreement, DeadlineRule
from agreements.selectors import agreement_for, deadline_rule_get
from config.exceptions import ApplicationError
from deadlines.calendar import STOCKHOLM
from deadlines.selectors import deadline_open_for_subject
from deadlines.services import (
    deadline_cancel,
    deadline_cancel_open_for_subject,
    deadline_meet,
    deadline_open,
)
from sip import emails
from sip.access.selectors import users_who_may_see_individual
from sip.access.services import case_access_sync
from sip.deviations.services import deviation_drafts_for_absences
from sip.identity import format_id_number, parse_id_number
from sip.models import (
    Case,
    Consent,
    Guardian,
    Individual,
    Intervention,
    Invitation,
    LeadAssignment,
    Meeting,
    NoIntervention,
    Participant,
    Plan,
)

# Young people up to this age may fall under a children's agreement (Norrbus covers up to 20).
YOUNG_ADULT_LIMIT = 21


def _save(instance: Model, by: User | None) -> None:
    instance._history_user = by
    instance.save()


def _move(case: Case, to: str, *, by: User | None) -> None:
    """Change status or refuse with a message naming both states."""
    if not case.can_move_to(to):
        raise ApplicationError(
            _("Ärendet kan inte gå från ”%(from)s” till ”%(to)s”.")
            % {"from": case.get_status_display(), "to": Case.Status(to).label}
        )
    case.status = to
    _save(case, by)


def _lock(case: Case) -> Case:
    """Re-read the case under a row lock so two users cannot move it at once."""
    return (
        Case.objects.select_for_update().select_related("agreement", "individual").get(pk=case.pk)
    )


# --- individual -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GuardianData:
    name: str
    has_custody: bool = True
    email: str = ""
    phone: str = ""
    address: str = ""


@transaction.atomic
def individual_register(
    *,
    id_kind: str,
    first_name: str,
    last_name: str,
    gender: str,
    home_municipality: Municipality,
    by: User,
    id_number: str = "",
    reserve_number: str = "",
    birth_date: dt.date | None = None,
    address: str = "",
    email: str = "",
    phone: str = "",
    protected_identity: bool = False,
    protected_residence: bool = False,
    guardians: Iterable[GuardianData] = (),
    registered_by_unit: Unit | None = None,
) -> Individual:
    """Register a person once.

    1. A personnummer/samordningsnummer is validated and stored in 12-digit form; its kind and the
       birth date follow from the number.
    2. A person without a number (reservnummer, unknown identity) is marked as such.
    3. A number already registered is refused; the error carries the existing person's id.
    """
    if id_kind in (Individual.IdKind.PERSONNUMMER, Individual.IdKind.SAMORDNINGSNUMMER):
        try:
            parsed = parse_id_number(id_number, today=timezone.localdate())
        except ValidationError as exc:
            raise ApplicationError(exc.messages[0]) from None
        id_kind = (
            Individual.IdKind.SAMORDNINGSNUMMER
            if parsed.is_coordination_number
            else Individual.IdKind.PERSONNUMMER
        )
        number, birth_date = parsed.number, parsed.birth_date
        existing = Individual.objects.filter(id_number=number).first()
        if existing:
            raise ApplicationError(
                _("Det finns redan en person registrerad med nummer %(number)s.")
                % {"number": format_id_number(number)},
                extra={"existing_id": existing.pk},
            )
    elif id_kind in (Individual.IdKind.RESERVNUMMER, Individual.IdKind.UNKNOWN):
        number = ""
        if id_kind == Individual.IdKind.RESERVNUMMER and not reserve_number.strip():
            raise ApplicationError(_("Ange reservnumret."))
    else:
        raise ApplicationError(_("Okänd typ av identitet."))
    if birth_date and birth_date > timezone.localdate():
        raise ApplicationError(_("Födelsedatumet kan inte ligga i framtiden."))
    if gender not in Individual.Gender.values:
        raise ApplicationError(_("Ange kön för statistik: flicka/kvinna, pojke/man eller annan."))

    individual = Individual(
        id_kind=id_kind,
        id_number=number,
        reserve_number=reserve_number.strip() if id_kind == Individual.IdKind.RESERVNUMMER else "",
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        birth_date=birth_date,
        gender=gender,
        home_municipality=home_municipality,
        address=address,
        email=email,
        phone=phone,
        protected_identity=protected_identity,
        protected_residence=protected_residence,
        registered_by_unit=registered_by_unit,
    )
    _save(individual, by)
    if individual.is_protected:
        # Whoever registers a protected person already knows the data; others must be authorised.
        individual.authorised_users.add(by)
    for guardian in guardians:
        guardian_add(individual=individual, data=guardian, by=by)
    return individual


@transaction.atomic
def guardian_add(*, individual: Individual, data: GuardianData, by: User) -> Guardian:
    if not data.name.strip():
        raise ApplicationError(_("Ange vårdnadshavarens namn."))
    guardian = Guardian(
        individual=individual,
        name=data.name.strip(),
        email=data.email,
        phone=data.phone,
        address=data.address,
        has_custody=data.has_custody,
    )
    _save(guardian, by)
    return guardian


@transaction.atomic
def individual_authorise_user(*, individual: Individual, user: User, by: User) -> None:
    """Let one named user see a protected person's identity, address and whereabouts.

    Only an authorised user can authorise another, and only someone who already reaches the
    person through a case or the registering unit can be authorised.
    """
    # Re-read: the caller may hold a masked display copy, and the m2m history copies the row.
    individual = Individual.objects.get(pk=individual.pk)
    if not individual.is_protected:
        raise ApplicationError(_("Personen har ingen skyddad identitet eller vistelseort."))
    if not individual.authorised_users.filter(pk=by.pk).exists():
        raise ApplicationError(_("Bara den som själv är behörig kan ge andra behörighet."))
    if not users_who_may_see_individual(individual=individual).filter(pk=user.pk).exists():
        raise ApplicationError(
            _("%(user)s har inte tillgång till personen genom något ärende.") % {"user": user}
        )
    individual._history_user = by
    individual.authorised_users.add(user)


# --- case -----------------------------------------------------------------------------------------


def _agreement_for_individual(*, individual: Individual, on: dt.date) -> Agreement:
    """The governing agreement: county of the home municipality, target group by age.

    Under 18 is barn och unga. 18–20 falls back to a children's agreement when the county has no
    adults' agreement in force, because e.g. Norrbus covers young people up to 20.
    """
    if individual.birth_date is None:
        raise ApplicationError(
            _("Födelsedatum saknas. Ange ett (uppskattat) födelsedatum innan ärendet öppnas.")
        )
    county = individual.home_municipality.county
    age = individual.age_on(on)
    children, adults = Agreement.TargetGroup.CHILDREN, Agreement.TargetGroup.ADULTS
    order = [children] if age < 18 else [adults, children] if age < YOUNG_ADULT_LIMIT else [adults]
    for target_group in order:
        agreement = agreement_for(county=county, target_group=target_group, on=on)
        if agreement:
            return agreement
    raise ApplicationError(
        _("Det finns ingen överenskommelse för %(group)s i %(county)s som gäller %(day)s.")
        % {
            "group": Agreement.TargetGroup(order[0]).label.lower(),
            "county": individual.home_municipality.get_county_display(),
            "day": on.isoformat(),
        }
    )


@transaction.atomic
def case_open(
    *,
    individual: Individual,
    convening_unit: Unit,
    coordinator: User,
    reason: str,
    by: User,
    is_acute: bool = False,
) -> Case:
    if not reason.strip():
        raise ApplicationError(_("Ange anledningen till SIP."))
    if not Membership.objects.filter(
        user=coordinator, unit=convening_unit, is_active=True
    ).exists():
        raise ApplicationError(
            _("Handläggaren måste vara aktiv medlem i den kallande verksamheten.")
        )
    now = timezone.now()
    case = Case(
        individual=individual,
        agreement=_agreement_for_individual(individual=individual, on=timezone.localdate(now)),
        convening_unit=convening_unit,
        coordinator=coordinator,
        reason=reason.strip(),
        is_acute=is_acute,
        opened_at=now,
    )
    _save(case, by)
    case_access_sync(case=case)
    return case


def _clock_rules(case: Case) -> list[DeadlineRule]:
    """The SIP clocks the case's agreement sets. An acute case takes the acute meeting rule, and
    the ordinary one where the agreement has none: acute never gets more time than ordinary."""
    meeting = None
    if case.is_acute:
        meeting = deadline_rule_get(agreement=case.agreement, kind=DeadlineRule.Kind.MEETING_ACUTE)
    meeting = meeting or deadline_rule_get(agreement=case.agreement, kind=DeadlineRule.Kind.MEETING)
    rules = [
        deadline_rule_get(agreement=case.agreement, kind=DeadlineRule.Kind.KALLELSE),
        meeting,
        deadline_rule_get(agreement=case.agreement, kind=DeadlineRule.Kind.FOLLOW_UP),
    ]
    return [rule for rule in rules if rule is not None]


def _open_clocks(*, case: Case, event: str, started_at: dt.datetime, by: User | None) -> None:
    """Start every clock whose rule counts from `event`; none where the agreement sets none."""
    for rule in _clock_rules(case):
        if rule.start_event != event:
            continue
        if deadline_open_for_subject(subject=case, kind=rule.kind):
            continue
        deadline_open(
            rule=rule,
            started_at=started_at,
            subject=case,
            responsible_unit=case.convening_unit,
            responsible_user=case.coordinator,
            by=by,
        )


def _meet_clocks(*, case: Case, kinds: Iterable[str], met_at: dt.datetime, by: User | None) -> None:
    for kind in kinds:
        deadline = deadline_open_for_subject(subject=case, kind=kind)
        if deadline:
            deadline_meet(deadline=deadline, met_at=met_at, by=by)


def _end(case: Case, to: str, *, reason: str, by: User | None) -> Case:
    _move(case, to, by=by)
    case.end_reason = reason
    case.ended_at = timezone.now()
    _save(case, by)
    deadline_cancel_open_for_subject(subject=case, reason=reason, by=by)
    return case


@transaction.atomic
def case_cancel(*, case: Case, reason: str, by: User) -> Case:
    if not reason.strip():
        raise ApplicationError(_("Ange varför ärendet avbryts."))
    return _end(_lock(case), Case.Status.CANCELLED, reason=reason.strip(), by=by)


@transaction.atomic
def case_close(*, case: Case, reason: str, by: User) -> Case:
    if not reason.strip():
        raise ApplicationError(_("Ange varför ärendet avslutas."))
    return _end(_lock(case), Case.Status.CLOSED, reason=reason.strip(), by=by)


@transaction.atomic
def case_reopen(*, case: Case, by: User) -> Case:
    case = _lock(case)
    _move(case, Case.Status.REOPENED, by=by)
    case.ended_at = None
    case.end_reason = ""
    _save(case, by)
    return case


# --- consent --------------------------------------------------------------------------------------


def consent_in_force(*, case: Case, on: dt.date) -> Consent | None:
    for consent in case.consents.prefetch_related("units").order_by("-given_at"):
        if consent.is_in_force_on(on):
            return consent
    return None


@transaction.atomic
def consent_record(
    *,
    case: Case,
    given_at: dt.datetime,
    units: Iterable[Unit],
    by: User,
    given_by_individual: bool = False,
    guardians: Iterable[Guardian] = (),
    valid_until: dt.date | None = None,
) -> Consent:
    """Record consent and start the clocks that count from it.

    1. Who consents: an adult themself; for a child every guardian with custody.
    2. The case moves to "samtycke".
    3. Clocks whose rule starts at consent_given open from `given_at` (kallelse, meeting).
    """
    case = _lock(case)
    individual = case.individual
    units = list(units)
    guardians = list(guardians)
    if given_at > timezone.now():
        raise ApplicationError(_("Samtycket kan inte registreras med en tidpunkt i framtiden."))
    if not units:
        raise ApplicationError(_("Ange vilka verksamheter samtycket omfattar."))
    if valid_until and valid_until < timezone.localdate(given_at):
        raise ApplicationError(_("Slutdatumet kan inte ligga före samtyckesdatumet."))
    if any(guardian.individual_id != individual.pk for guardian in guardians):
        raise ApplicationError(_("Vårdnadshavaren hör inte till den här personen."))
    if individual.is_child_on(timezone.localdate(given_at)):
        custodians = set(individual.guardians.filter(has_custody=True).values_list("pk", flat=True))
        if not custodians:
            raise ApplicationError(
                _("Barnet har ingen registrerad vårdnadshavare med vårdnad. Registrera den först.")
            )
        if not custodians <= {guardian.pk for guardian in guardians}:
            raise ApplicationError(
                _("För ett barn krävs samtycke från varje vårdnadshavare som har vårdnaden.")
            )
    elif not given_by_individual:
        raise ApplicationError(_("För en vuxen krävs den enskildes eget samtycke."))

    _move(case, Case.Status.CONSENT, by=by)
    consent = Consent(
        case=case,
        given_at=given_at,
        given_by_individual=given_by_individual,
        valid_until=valid_until,
    )
    _save(consent, by)
    consent.units.set(units)
    consent.given_by_guardians.set(guardians)
    _open_clocks(case=case, event=DeadlineRule.StartEvent.CONSENT_GIVEN, started_at=given_at, by=by)
    return consent


@transaction.atomic
def consent_refuse(*, case: Case, reason: str, by: User) -> Case:
    if not reason.strip():
        raise ApplicationError(_("Ange vad som framkom när samtycke nekades."))
    return _end(_lock(case), Case.Status.CONSENT_REFUSED, reason=reason.strip(), by=by)


@transaction.atomic
def consent_withdraw(
    *, consent: Consent, withdrawn_at: dt.datetime, withdrawn_by: str, by: User
) -> Consent:
    """Withdrawal ends the consent, cancels every open clock and stops the case."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at:
        raise ApplicationError(_("Samtycket är redan återkallat."))
    if not withdrawn_by.strip():
        raise ApplicationError(_("Ange vem som återkallade samtycket."))
    if withdrawn_at < consent.given_at or withdrawn_at > timezone.now():
        raise ApplicationError(
            _("Tidpunkten för återkallelsen måste ligga mellan samtycket och nu.")
        )
    consent.withdrawn_at = withdrawn_at
    consent.withdrawn_by = withdrawn_by.strip()
    _save(consent, by)
    case = _lock(consent.case)
    if not case.is_ended:
        _end(
            case,
            Case.Status.CANCELLED,
            reason=_("Samtycket återkallades av %(who)s.") % {"who": consent.withdrawn_by},
            by=by,
        )
    return consent


# --- participants ---------------------------------------------------------------------------------


@transaction.atomic
def participant_add(
    *,
    case: Case,
    by: User,
    unit: Unit | None = None,
    organisation: str = "",
    person_name: str = "",
    email: str = "",
    phone: str = "",
    postal_address: str = "",
) -> Participant:
    """Add a unit from the directory (only if the consent covers it) or an external participant."""
    case = _lock(case)
    if case.is_ended:
        raise ApplicationError(_("Ärendet är avslutat; deltagare kan inte läggas till."))
    if (unit is None) == (not organisation.strip()):
        raise ApplicationError(
            _("Välj antingen en verksamhet ur katalogen eller ange en extern organisation.")
        )
    consent = consent_in_force(case=case, on=timezone.localdate())
    if consent is None:
        raise ApplicationError(_("Deltagare kan läggas till först när samtycke finns."))
    if unit is not None and unit not in consent.units.all():
        raise ApplicationError(
            _("Samtycket omfattar inte %(unit)s. Ett nytt samtycke behövs.") % {"unit": unit.name}
        )
    if unit is None and not (email or postal_address.strip()):
        raise ApplicationError(
            _("Ange e-post eller postadress så att den externa deltagaren kan kallas.")
        )
    participant = Participant(
        case=case,
        unit=unit,
        organisation=organisation.strip(),
        person_name=person_name.strip(),
        email=email,
        phone=phone,
        postal_address=postal_address.strip(),
    )
    _save(participant, by)
    case_access_sync(case=case)
    return participant


@transaction.atomic
def participant_remove(*, participant: Participant, by: User) -> None:
    """Take a participant off the case; its unit loses access in the same transaction.

    A participant that has been invited to a meeting stays: the kallelse and the attendance are
    part of the case record. A unit with a role in the current plan stays too.
    """
    case = _lock(participant.case)
    participant = Participant.objects.select_related("unit").get(pk=participant.pk, case=case)
    if case.is_ended:
        raise ApplicationError(_("Ärendet är avslutat; deltagare kan inte tas bort."))
    name = participant.organisation_name
    if participant.invitations.exists():
        raise ApplicationError(
            _(
                "%(name)s har kallats till ett möte i ärendet och kan inte tas bort; "
                "kallelsen och närvaron ska finnas kvar i ärendet."
            )
            % {"name": name}
        )
    plan = case.plans.order_by("-version").first()
    if plan and participant.unit_id in (
        plan.lead_unit_id,
        plan.coordinator_unit_id,
        plan.plan_owner_unit_id,
    ):
        raise ApplicationError(
            _("%(name)s har ett ansvar i gällande plan och kan inte tas bort.") % {"name": name}
        )
    participant._history_user = by
    participant.delete()
    case_access_sync(case=case)


@transaction.atomic
def invitation_answer(
    *, invitation: Invitation, response: str, by: User, decline_reason: str = ""
) -> Invitation:
    if response not in (Invitation.Response.ACCEPTED, Invitation.Response.DECLINED):
        raise ApplicationError(_("Svaret ska vara ja eller nej."))
    if response == Invitation.Response.DECLINED and not decline_reason.strip():
        raise ApplicationError(_("Ange skälet till att inbjudan avböjs."))
    if invitation.meeting.status != Meeting.Status.PLANNED:
        raise ApplicationError(_("Mötet är inte längre planerat."))
    invitation.response = response
    invitation.decline_reason = (
        decline_reason.strip() if response == Invitation.Response.DECLINED else ""
    )
    _save(invitation, by)
    return invitation


# --- meetings -------------------------------------------------------------------------------------

# Which meeting may be planned in which case status.
_MEETING_STATUSES = {
    Meeting.Kind.SIP: frozenset({Case.Status.CONSENT, Case.Status.CONVENED, Case.Status.REOPENED}),
    # An aktörsmöte needs consent too (002) and may come before or after the SIP meeting.
    Meeting.Kind.ACTORS: frozenset(
        {
            Case.Status.CONSENT,
            Case.Status.CONVENED,
            Case.Status.MEETING_HELD,
            Case.Status.PLAN,
            Case.Status.FOLLOW_UP,
            Case.Status.REOPENED,
        }
    ),
    Meeting.Kind.FOLLOW_UP: frozenset({Case.Status.PLAN, Case.Status.FOLLOW_UP}),
}


def _check_meeting_fields(
    *, starts_at: dt.datetime, duration_minutes: int, place: str, video_link: str
) -> None:
    if starts_at <= timezone.now():
        raise ApplicationError(_("Mötet måste ligga i framtiden."))
    if not 15 <= duration_minutes <= 8 * 60:
        raise ApplicationError(_("Mötets längd ska vara mellan 15 minuter och 8 timmar."))
    if not (place.strip() or video_link.strip()):
        raise ApplicationError(_("Ange plats eller videolänk."))


@transaction.atomic
def meeting_schedule(
    *,
    case: Case,
    kind: str,
    starts_at: dt.datetime,
    by: User,
    duration_minutes: int = 60,
    place: str = "",
    video_link: str = "",
) -> Meeting:
    case = _lock(case)
    if kind not in _MEETING_STATUSES:
        raise ApplicationError(_("Okänd mötestyp."))
    if case.status not in _MEETING_STATUSES[kind]:
        raise ApplicationError(
            _("Ett %(kind)s kan inte planeras när ärendet har status ”%(status)s”.")
            % {"kind": Meeting.Kind(kind).label, "status": case.get_status_display()}
        )
    _check_meeting_fields(
        starts_at=starts_at, duration_minutes=duration_minutes, place=place, video_link=video_link
    )
    meeting = Meeting(
        case=case,
        kind=kind,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        place=place.strip(),
        video_link=video_link.strip(),
    )
    _save(meeting, by)
    return meeting


def _lock_meeting(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().select_related("case").get(pk=meeting.pk)


def _invite_all(meeting: Meeting, by: User) -> None:
    """Every current participant gets an invitation; earlier answers are kept."""
    invited = set(meeting.invitations.values_list("participant_id", flat=True))
    for participant in meeting.case.participants.all():
        if participant.pk not in invited:
            _save(Invitation(meeting=meeting, participant=participant), by)


@transaction.atomic
def kallelse_send(*, meeting: Meeting, by: User) -> Meeting:
    """Send the kallelse for a planned meeting.

    1. Invitations for every participant; e-mails with the .ics go out after commit.
    2. A SIP meeting moves the case to "kallad" and meets the kallelse clock.
    3. Clocks counting from kallelse_sent open.
    """
    meeting = _lock_meeting(meeting)
    case = _lock(meeting.case)
    meeting.case = case
    if meeting.status != Meeting.Status.PLANNED:
        raise ApplicationError(_("Kallelse kan bara skickas till ett planerat möte."))
    if meeting.kallelse_sent_at:
        raise ApplicationError(
            _("Kallelsen är redan skickad. Ändra mötet för att skicka en uppdatering.")
        )
    if meeting.starts_at <= timezone.now():
        raise ApplicationError(_("Mötet har redan börjat; kallelse kan inte skickas."))
    if not case.participants.exists():
        raise ApplicationError(_("Lägg till minst en deltagare innan kallelsen skickas."))
    if case.status not in _MEETING_STATUSES[meeting.kind]:
        raise ApplicationError(
            _("Kallelse kan inte skickas när ärendet har status ”%(status)s”.")
            % {"status": case.get_status_display()}
        )
    now = timezone.now()
    if meeting.kind == Meeting.Kind.SIP:
        if consent_in_force(case=case, on=timezone.localdate(now)) is None:
            raise ApplicationError(_("Det finns inget gällande samtycke."))
        if case.status != Case.Status.CONVENED:
            _move(case, Case.Status.CONVENED, by=by)
        _meet_clocks(case=case, kinds=[DeadlineRule.Kind.KALLELSE], met_at=now, by=by)
        _open_clocks(case=case, event=DeadlineRule.StartEvent.KALLELSE_SENT, started_at=now, by=by)
    meeting.kallelse_sent_at = now
    _save(meeting, by)
    _invite_all(meeting, by)
    emails.send_kallelse_on_commit(meeting_id=meeting.pk, method=emails.Method.REQUEST)
    return meeting


@transaction.atomic
def meeting_reschedule(
    *,
    meeting: Meeting,
    starts_at: dt.datetime,
    by: User,
    duration_minutes: int,
    place: str = "",
    video_link: str = "",
) -> Meeting:
    """Move a planned meeting; when the kallelse is out, everyone gets an updated invitation."""
    meeting = _lock_meeting(meeting)
    if meeting.status != Meeting.Status.PLANNED:
        raise ApplicationError(_("Bara ett planerat möte kan ändras."))
    _check_meeting_fields(
        starts_at=starts_at, duration_minutes=duration_minutes, place=place, video_link=video_link
    )
    meeting.starts_at = starts_at
    meeting.duration_minutes = duration_minutes
    meeting.place = place.strip()
    meeting.video_link = video_link.strip()
    # Calendar clients apply an update only when SEQUENCE grows.
    meeting.sequence += 1
    _save(meeting, by)
    if meeting.kallelse_sent_at:
        _invite_all(meeting, by)
        emails.send_kallelse_on_commit(meeting_id=meeting.pk, method=emails.Method.REQUEST)
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, reason: str, by: User) -> Meeting:
    meeting = _lock_meeting(meeting)
    if meeting.status != Meeting.Status.PLANNED:
        raise ApplicationError(_("Bara ett planerat möte kan ställas in."))
    if not reason.strip():
        raise ApplicationError(_("Ange varför mötet ställs in."))
    meeting.status = Meeting.Status.CANCELLED
    meeting.notes = "\n".join(filter(None, [meeting.notes, _("Inställt: %s") % reason.strip()]))
    meeting.sequence += 1
    _save(meeting, by)
    if meeting.kallelse_sent_at:
        emails.send_kallelse_on_commit(meeting_id=meeting.pk, method=emails.Method.CANCEL)
    return meeting


@transaction.atomic
def meeting_record_held(
    *,
    meeting: Meeting,
    attended: Iterable[Participant],
    by: User,
    notes: str = "",
    excused: Iterable[Participant] = (),
) -> Meeting:
    """Record a meeting as held, with who attended and who gave notice of absence.

    A SIP meeting moves the case to "möte hållet" and meets the meeting clock; a follow-up meeting
    meets the follow-up clock and moves the case to "uppföljning". Absence without notice becomes
    a deviation draft where the agreement wants drafts.
    """
    meeting = _lock_meeting(meeting)
    case = _lock(meeting.case)
    if meeting.status != Meeting.Status.PLANNED:
        raise ApplicationError(_("Mötet är inte planerat och kan inte registreras som hållet."))
    if not meeting.kallelse_sent_at:
        raise ApplicationError(_("Kallelsen till mötet har inte skickats."))
    now = timezone.now()
    if meeting.starts_at > now:
        raise ApplicationError(_("Mötet kan inte registreras som hållet före sin starttid."))
    attended_ids = {participant.pk for participant in attended}
    excused_ids = {participant.pk for participant in excused}
    invitations = list(meeting.invitations.all())
    if not attended_ids | excused_ids <= {invitation.participant_id for invitation in invitations}:
        raise ApplicationError(_("Närvaro kan bara anges för inbjudna deltagare."))
    if attended_ids & excused_ids:
        raise ApplicationError(_("En deltagare kan inte både ha närvarat och anmält förhinder."))

    if meeting.kind == Meeting.Kind.SIP:
        _move(case, Case.Status.MEETING_HELD, by=by)
        _meet_clocks(
            case=case,
            kinds=[DeadlineRule.Kind.MEETING, DeadlineRule.Kind.MEETING_ACUTE],
            met_at=meeting.starts_at,
            by=by,
        )
        _open_clocks(case=case, event=DeadlineRule.StartEvent.MEETING_HELD, started_at=now, by=by)
    elif meeting.kind == Meeting.Kind.FOLLOW_UP:
        if case.status == Case.Status.PLAN:
            _move(case, Case.Status.FOLLOW_UP, by=by)
        elif case.status != Case.Status.FOLLOW_UP:
            raise ApplicationError(_("Ett uppföljningsmöte kräver en upprättad plan."))
        _meet_clocks(
            case=case, kinds=[DeadlineRule.Kind.FOLLOW_UP], met_at=meeting.starts_at, by=by
        )
    elif case.is_ended:
        raise ApplicationError(_("Ärendet är avslutat."))

    meeting.status = Meeting.Status.HELD
    meeting.held_at = now
    if notes.strip():
        meeting.notes = notes.strip()
    _save(meeting, by)
    for invitation in invitations:
        invitation.attended = invitation.participant_id in attended_ids
        invitation.excused = invitation.participant_id in excused_ids
        _save(invitation, by)
    deviation_drafts_for_absences(meeting=meeting, by=by)
    return meeting


# --- plan -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InterventionData:
    description: str
    unit: Unit
    performer: str
    scope: str
    starts_on: dt.date
    follow_up: str
    ends_on: dt.date | None = None


@dataclass(frozen=True)
class NoInterventionData:
    unit: Unit
    reason: str


@dataclass(frozen=True)
class PlanData:
    needs: str
    lead_name: str
    lead_unit: Unit
    coordinator_name: str
    coordinator_unit: Unit
    own_goals: str = ""
    own_views: str = ""
    other_measures: str = ""
    plan_owner_name: str = ""
    plan_owner_unit: Unit | None = None
    next_follow_up: dt.date | None = None
    interventions: list[InterventionData] = field(default_factory=list)
    no_interventions: list[NoInterventionData] = field(default_factory=list)


def _check_plan(data: PlanData) -> None:
    if not data.needs.strip():
        raise ApplicationError(_("Beskriv behoven."))
    if not (data.lead_name.strip() and data.lead_unit):
        raise ApplicationError(_("Ange huvudansvarig person och verksamhet."))
    if not (data.coordinator_name.strip() and data.coordinator_unit):
        raise ApplicationError(_("Ange samordnare och samordnarens verksamhet."))
    unit = data.coordinator_unit
    if not (unit.is_social_services or unit.is_health_care):
        if not (data.plan_owner_name.strip() and data.plan_owner_unit):
            raise ApplicationError(
                _(
                    "Samordnaren hör inte till socialtjänsten eller hälso- och sjukvården. "
                    "Ange då en planansvarig därifrån."
                )
            )
        owner = data.plan_owner_unit
        if not (owner.is_social_services or owner.is_health_care):
            raise ApplicationError(
                _("Planansvarig ska höra till socialtjänsten eller hälso- och sjukvården.")
            )
    if data.next_follow_up and data.next_follow_up <= timezone.localdate():
        raise ApplicationError(_("Datum för uppföljning ska ligga framåt i tiden."))
    for item in data.interventions:
        if not all(
            text.strip() for text in (item.description, item.performer, item.scope, item.follow_up)
        ):
            raise ApplicationError(
                _("Varje insats ska ha beskrivning, utförare, omfattning och uppföljning.")
            )
        if item.ends_on and item.ends_on < item.starts_on:
            raise ApplicationError(_("En insats kan inte sluta före sin start."))
    units_with_interventions = {item.unit.pk for item in data.interventions}
    for item in data.no_interventions:
        if not item.reason.strip():
            raise ApplicationError(
                _("Motivera varför ingen insats behövs från %(unit)s.") % {"unit": item.unit.name}
            )
        if item.unit.pk in units_with_interventions:
            raise ApplicationError(
                _("%(unit)s har både insatser och ”ingen insats behövs”.")
                % {"unit": item.unit.name}
            )


def _follow_up_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=STOCKHOLM)


@transaction.atomic
def plan_save(*, case: Case, data: PlanData, by: User) -> Plan:
    """Write a new plan version; earlier versions are kept unchanged.

    1. Allowed after the SIP meeting, and at follow-up; the case moves to "plan upprättad".
    2. A change of huvudansvarig ends the current holder's period and starts a new one.
    3. A new follow-up date replaces the open follow-up clock.
    """
    case = _lock(case)
    _check_plan(data)
    previous = case.plans.order_by("-version").first()
    now = timezone.now()
    if case.status in (Case.Status.MEETING_HELD, Case.Status.FOLLOW_UP):
        _move(case, Case.Status.PLAN, by=by)
    elif case.status != Case.Status.PLAN:
        raise ApplicationError(
            _("Planen kan inte skrivas när ärendet har status ”%(status)s”.")
            % {"status": case.get_status_display()}
        )
    plan = Plan(
        case=case,
        version=previous.version + 1 if previous else 1,
        created_at=now,
        own_goals=data.own_goals.strip(),
        own_views=data.own_views.strip(),
        needs=data.needs.strip(),
        other_measures=data.other_measures.strip(),
        lead_name=data.lead_name.strip(),
        lead_unit=data.lead_unit,
        coordinator_name=data.coordinator_name.strip(),
        coordinator_unit=data.coordinator_unit,
        plan_owner_name=data.plan_owner_name.strip() if data.plan_owner_unit else "",
        plan_owner_unit=data.plan_owner_unit if data.plan_owner_name.strip() else None,
        next_follow_up=data.next_follow_up,
    )
    _save(plan, by)
    for item in data.interventions:
        _save(
            Intervention(
                plan=plan,
                description=item.description.strip(),
                huvudman=item.unit.huvudman,
                unit=item.unit,
                performer=item.performer.strip(),
                scope=item.scope.strip(),
                starts_on=item.starts_on,
                ends_on=item.ends_on,
                follow_up=item.follow_up.strip(),
            ),
            by,
        )
    for item in data.no_interventions:
        _save(NoIntervention(plan=plan, unit=item.unit, reason=item.reason.strip()), by)

    _assign_lead(case=case, plan=plan, now=now, by=by)
    # The huvudansvarig, samordnare and planansvarig units may change the case from now on.
    case_access_sync(case=case)
    if previous is None:
        _open_clocks(
            case=case, event=DeadlineRule.StartEvent.PLAN_ESTABLISHED, started_at=now, by=by
        )
    if plan.next_follow_up and (previous is None or previous.next_follow_up != plan.next_follow_up):
        rule = deadline_rule_get(agreement=case.agreement, kind=DeadlineRule.Kind.FOLLOW_UP)
        if rule and rule.start_event == DeadlineRule.StartEvent.FOLLOW_UP_DATE_SET:
            current = deadline_open_for_subject(subject=case, kind=DeadlineRule.Kind.FOLLOW_UP)
            if current:
                deadline_cancel(
                    deadline=current,
                    reason=_("Nytt datum för uppföljning i plan v%d.") % plan.version,
                    by=by,
                )
            _open_clocks(
                case=case,
                event=DeadlineRule.StartEvent.FOLLOW_UP_DATE_SET,
                started_at=_follow_up_start(plan.next_follow_up),
                by=by,
            )
    return plan


def _assign_lead(*, case: Case, plan: Plan, now: dt.datetime, by: User) -> None:
    current = LeadAssignment.objects.filter(case=case, ended_at__isnull=True).first()
    if current and current.name == plan.lead_name and current.unit_id == plan.lead_unit_id:
        return
    if current:
        current.ended_at = now
        _save(current, by)
    _save(
        LeadAssignment(
            case=case, name=plan.lead_name, unit=plan.lead_unit, plan=plan, started_at=now
        ),
        by,
    )
