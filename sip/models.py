"""The SIP case: the individual, consent, participants, meetings and the versioned plan."""

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from actors.models import Huvudman, Municipality, Unit
from agreements.models import Agreement
from sip.identity import format_id_number

ADULT_AGE = 18


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


class Individual(models.Model):
    """The person a SIP is for. Identified by a 12-digit number, or explicitly without one."""

    class IdKind(models.TextChoices):
        PERSONNUMMER = "personnummer", _("Personnummer")
        SAMORDNINGSNUMMER = "samordningsnummer", _("Samordningsnummer")
        RESERVNUMMER = "reservnummer", _("Reservnummer")
        UNKNOWN = "okand", _("Okänd identitet")

    class Gender(models.TextChoices):
        # One stored value; the label follows age (flicka/pojke for children, kvinna/man for adults)
        # so statistics can split by gender and by age from the same field.
        FEMALE = "female", _("Flicka/kvinna")
        MALE = "male", _("Pojke/man")
        OTHER = "other", _("Annan")

    id_kind = models.CharField(_("typ av identitet"), max_length=20, choices=IdKind.choices)
    id_number = models.CharField(
        _("personnummer/samordningsnummer"), max_length=12, blank=True, help_text=_("12 siffror")
    )
    reserve_number = models.CharField(_("reservnummer"), max_length=40, blank=True)
    first_name = models.CharField(_("förnamn"), max_length=100)
    last_name = models.CharField(_("efternamn"), max_length=100)
    birth_date = models.DateField(_("födelsedatum"), null=True, blank=True)
    gender = models.CharField(_("kön (för statistik)"), max_length=10, choices=Gender.choices)
    home_municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("hemkommun"),
        on_delete=models.PROTECT,
        related_name="individuals",
    )
    address = models.TextField(_("adress"), blank=True)
    email = models.EmailField(_("e-post"), blank=True)
    phone = models.CharField(_("telefon"), max_length=40, blank=True)
    protected_identity = models.BooleanField(_("skyddad identitet"), default=False)
    protected_residence = models.BooleanField(_("hemlighållen vistelseort"), default=False)
    authorised_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("behöriga att se adress och vistelseort"),
        related_name="authorised_individuals",
        blank=True,
    )
    registered_by_unit = models.ForeignKey(
        Unit,
        verbose_name=_("registrerad av verksamhet"),
        on_delete=models.PROTECT,
        related_name="registered_individuals",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("registrerad"), auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[authorised_users])

    class Meta:
        verbose_name = _("individ")
        verbose_name_plural = _("individer")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"], condition=~Q(id_number=""), name="individual_id_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def has_id_number(self) -> bool:
        return self.id_kind in (self.IdKind.PERSONNUMMER, self.IdKind.SAMORDNINGSNUMMER)

    @property
    def id_display(self) -> str:
        if self.has_id_number:
            return format_id_number(self.id_number)
        if self.id_kind == self.IdKind.RESERVNUMMER:
            return f"{self.reserve_number} ({self.get_id_kind_display()})"
        return str(self.get_id_kind_display())

    @property
    def is_protected(self) -> bool:
        return self.protected_identity or self.protected_residence

    def age_on(self, day: dt.date) -> int | None:
        return age_on(self.birth_date, day) if self.birth_date else None

    def is_child_on(self, day: dt.date) -> bool:
        age = self.age_on(day)
        return age is not None and age < ADULT_AGE

    def gender_label_on(self, day: dt.date) -> str:
        if self.gender == self.Gender.OTHER:
            return str(_("annan"))
        if self.is_child_on(day):
            return str(_("flicka") if self.gender == self.Gender.FEMALE else _("pojke"))
        return str(_("kvinna") if self.gender == self.Gender.FEMALE else _("man"))


class Guardian(models.Model):
    individual = models.ForeignKey(
        Individual, verbose_name=_("individ"), on_delete=models.CASCADE, related_name="guardians"
    )
    name = models.CharField(_("namn"), max_length=200)
    email = models.EmailField(_("e-post"), blank=True)
    phone = models.CharField(_("telefon"), max_length=40, blank=True)
    address = models.TextField(_("adress"), blank=True)
    has_custody = models.BooleanField(_("har vårdnaden"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("vårdnadshavare")
        verbose_name_plural = _("vårdnadshavare")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    """A SIP case (SIP-ärende). Its agreement is chosen when it opens and never changes."""

    class Status(models.TextChoices):
        NEED_NOTED = "behov", _("Behov uppmärksammat")
        CONSENT = "samtycke", _("Samtycke lämnat")
        CONVENED = "kallad", _("Kallad")
        MEETING_HELD = "mote_hallet", _("Möte hållet")
        PLAN = "plan", _("Plan upprättad")
        FOLLOW_UP = "uppfoljning", _("Uppföljning")
        CLOSED = "avslutad", _("Avslutad")
        CONSENT_REFUSED = "samtycke_nekat", _("Samtycke nekat")
        CANCELLED = "avbrutet", _("Avbrutet")
        REOPENED = "ateroppnad", _("Återöppnad")

    # The allowed steps. Services check every status change against this table.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.NEED_NOTED: frozenset({Status.CONSENT, Status.CONSENT_REFUSED, Status.CANCELLED}),
        Status.CONSENT: frozenset({Status.CONVENED, Status.CANCELLED}),
        Status.CONVENED: frozenset({Status.MEETING_HELD, Status.CANCELLED}),
        Status.MEETING_HELD: frozenset({Status.PLAN, Status.CANCELLED}),
        Status.PLAN: frozenset({Status.FOLLOW_UP, Status.CLOSED, Status.CANCELLED}),
        Status.FOLLOW_UP: frozenset({Status.PLAN, Status.CLOSED, Status.CANCELLED}),
        Status.CLOSED: frozenset({Status.REOPENED}),
        Status.CONSENT_REFUSED: frozenset({Status.REOPENED}),
        Status.CANCELLED: frozenset({Status.REOPENED}),
        Status.REOPENED: frozenset({Status.CONSENT, Status.CONVENED, Status.CANCELLED}),
    }
    ENDED = frozenset({Status.CLOSED, Status.CONSENT_REFUSED, Status.CANCELLED})

    individual = models.ForeignKey(
        Individual, verbose_name=_("individ"), on_delete=models.PROTECT, related_name="cases"
    )
    agreement = models.ForeignKey(
        Agreement, verbose_name=_("överenskommelse"), on_delete=models.PROTECT, related_name="cases"
    )
    convening_unit = models.ForeignKey(
        Unit, verbose_name=_("kallande verksamhet"), on_delete=models.PROTECT, related_name="cases"
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handläggare"),
        on_delete=models.PROTECT,
        related_name="sip_cases",
    )
    reason = models.TextField(_("anledning"))
    is_acute = models.BooleanField(_("akut"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEED_NOTED
    )
    end_reason = models.TextField(_("skäl till avslut/avbrott"), blank=True)
    opened_at = models.DateTimeField(_("öppnat"))
    ended_at = models.DateTimeField(_("avslutat/avbrutet"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("SIP-ärende")
        verbose_name_plural = _("SIP-ärenden")
        ordering = ["-opened_at"]
        # A user's case list reads ids and dates from indexes alone (sip.selectors).
        indexes = [
            models.Index(fields=["convening_unit", "id"], name="case_unit_id_idx"),
            models.Index(fields=["id"], include=["opened_at"], name="case_id_opened_at_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        # Lets generic pages (the managers' overdue list) link a deadline to its case.
        return reverse("sip:case_detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"SIP-{self.opened_at:%Y}-{self.pk:05d}"

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, frozenset())

    @property
    def is_ended(self) -> bool:
        return self.status in self.ENDED


class Consent(models.Model):
    """Consent to the SIP: who gave it, when, which units it covers, and any withdrawal."""

    case = models.ForeignKey(
        Case, verbose_name=_("ärende"), on_delete=models.CASCADE, related_name="consents"
    )
    given_at = models.DateTimeField(_("lämnat"))
    given_by_individual = models.BooleanField(_("lämnat av den enskilde"), default=False)
    given_by_guardians = models.ManyToManyField(
        Guardian, verbose_name=_("lämnat av vårdnadshavare"), related_name="consents", blank=True
    )
    units = models.ManyToManyField(
        Unit, verbose_name=_("omfattar verksamheter"), related_name="sip_consents"
    )
    valid_until = models.DateField(_("gäller till"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("återkallat"), null=True, blank=True)
    withdrawn_by = models.CharField(_("återkallat av"), max_length=200, blank=True)
    history = HistoricalRecords(m2m_fields=[given_by_guardians, units])

    class Meta:
        verbose_name = _("samtycke")
        verbose_name_plural = _("samtycken")
        ordering = ["-given_at"]

    def __str__(self) -> str:
        return f"{self.case} {self.given_at:%Y-%m-%d}"

    def is_in_force_on(self, day: dt.date) -> bool:
        return self.withdrawn_at is None and (self.valid_until is None or day <= self.valid_until)


class Participant(models.Model):
    """A unit from the directory or an ad-hoc external participant, with a named person."""

    case = models.ForeignKey(
        Case, verbose_name=_("ärende"), on_delete=models.CASCADE, related_name="participants"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("verksamhet"),
        on_delete=models.PROTECT,
        related_name="sip_participations",
        null=True,
        blank=True,
    )
    organisation = models.CharField(
        _("extern organisation"),
        max_length=200,
        blank=True,
        help_text=_("När verksamheten inte finns i katalogen."),
    )
    person_name = models.CharField(_("namngiven person"), max_length=200, blank=True)
    email = models.EmailField(_("e-post"), blank=True)
    phone = models.CharField(_("telefon"), max_length=40, blank=True)
    postal_address = models.TextField(_("postadress"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("deltagare")
        verbose_name_plural = _("deltagare")
        ordering = ["pk"]
        indexes = [models.Index(fields=["unit", "case"], name="participant_unit_case_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False) | ~Q(organisation=""),
                name="participant_unit_or_organisation",
            ),
        ]

    def __str__(self) -> str:
        name = self.unit.name if self.unit_id else self.organisation
        return f"{name} – {self.person_name}" if self.person_name else name

    @property
    def organisation_name(self) -> str:
        return self.unit.name if self.unit_id else self.organisation

    @property
    def contact_email(self) -> str:
        """The named person's address first, else the unit's functional mailbox."""
        if self.email:
            return self.email
        return self.unit.email if self.unit_id else ""

    @property
    def needs_letter(self) -> bool:
        """Units without system access (and external participants) get a printable letter."""
        return not self.unit_id or not self.unit.has_system_access

    @property
    def letter_address(self) -> str:
        if self.postal_address:
            return self.postal_address
        return self.unit.postal_address if self.unit_id else ""


class Meeting(models.Model):
    class Kind(models.TextChoices):
        SIP = "sip", _("SIP-möte")
        ACTORS = "aktorsmote", _("Aktörsmöte (utan den enskilde)")
        FOLLOW_UP = "uppfoljning", _("Uppföljningsmöte")

    class Status(models.TextChoices):
        PLANNED = "planerat", _("Planerat")
        HELD = "hallet", _("Hållet")
        CANCELLED = "installt", _("Inställt")

    case = models.ForeignKey(
        Case, verbose_name=_("ärende"), on_delete=models.CASCADE, related_name="meetings"
    )
    kind = models.CharField(_("typ av möte"), max_length=20, choices=Kind.choices)
    starts_at = models.DateTimeField(_("starttid"))
    duration_minutes = models.PositiveIntegerField(_("längd (minuter)"), default=60)
    place = models.CharField(_("plats"), max_length=300, blank=True)
    video_link = models.URLField(_("videolänk"), blank=True)
    notes = models.TextField(_("anteckningar"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    uid = models.UUIDField(_("kalender-id"), default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(_("kalenderversion"), default=0)
    kallelse_sent_at = models.DateTimeField(_("kallelse skickad"), null=True, blank=True)
    held_at = models.DateTimeField(_("registrerat hållet"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("möte")
        verbose_name_plural = _("möten")
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.duration_minutes)

    @property
    def includes_individual(self) -> bool:
        # Cost responsibility and other professionals-only matters are discussed without the person.
        return self.kind != self.Kind.ACTORS


class Invitation(models.Model):
    """One participant's invitation to one meeting: the answer and the attendance."""

    class Response(models.TextChoices):
        PENDING = "obesvarad", _("Ej besvarad")
        ACCEPTED = "accepterad", _("Tackat ja")
        DECLINED = "avboj", _("Tackat nej")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("möte"), on_delete=models.CASCADE, related_name="invitations"
    )
    participant = models.ForeignKey(
        Participant,
        verbose_name=_("deltagare"),
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    response = models.CharField(
        _("svar"), max_length=20, choices=Response.choices, default=Response.PENDING
    )
    decline_reason = models.TextField(_("skäl till nej"), blank=True)
    attended = models.BooleanField(_("närvarade"), null=True, blank=True)
    # Notice of absence given outside the invitation answer (e.g. by phone on the day). A declined
    # invitation is notice too; only absence without either can become a deviation draft.
    excused = models.BooleanField(_("anmält förhinder"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("inbjudan")
        verbose_name_plural = _("inbjudningar")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "participant"], name="invitation_meeting_participant_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} – {self.meeting}"


class Plan(models.Model):
    """One version of the plan. Versions are never edited: a change is a new version."""

    case = models.ForeignKey(
        Case, verbose_name=_("ärende"), on_delete=models.CASCADE, related_name="plans"
    )
    version = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(_("upprättad"))
    own_goals = models.TextField(_("den enskildes egna mål"), blank=True)
    own_views = models.TextField(_("den enskildes synpunkter"), blank=True)
    needs = models.TextField(_("behov"))
    other_measures = models.TextField(
        _("insatser av andra än region och kommun"),
        blank=True,
        help_text=_("T.ex. familj, föreningar, Försäkringskassan."),
    )
    lead_name = models.CharField(_("huvudansvarig"), max_length=200)
    lead_unit = models.ForeignKey(
        Unit, verbose_name=_("huvudansvarig verksamhet"), on_delete=models.PROTECT, related_name="+"
    )
    coordinator_name = models.CharField(_("samordnare"), max_length=200)
    coordinator_unit = models.ForeignKey(
        Unit, verbose_name=_("samordnarens verksamhet"), on_delete=models.PROTECT, related_name="+"
    )
    plan_owner_name = models.CharField(_("planansvarig"), max_length=200, blank=True)
    plan_owner_unit = models.ForeignKey(
        Unit,
        verbose_name=_("planansvarigs verksamhet"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    next_follow_up = models.DateField(_("nästa uppföljning"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("planer")
        ordering = ["case", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="plan_case_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.case} plan v{self.version}"


class Intervention(models.Model):
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="interventions"
    )
    description = models.TextField(_("insats"))
    huvudman = models.ForeignKey(
        Huvudman, verbose_name=_("ansvarig huvudman"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("ansvarig verksamhet"), on_delete=models.PROTECT, related_name="+"
    )
    performer = models.CharField(_("utförare"), max_length=200)
    scope = models.CharField(_("omfattning"), max_length=200)
    starts_on = models.DateField(_("start"))
    ends_on = models.DateField(_("slut"), null=True, blank=True)
    follow_up = models.TextField(_("hur insatsen följs upp"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("insats")
        verbose_name_plural = _("insatser")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description[:60]


class NoIntervention(models.Model):
    """A unit's documented judgement that no assessment or intervention is needed from it (004)."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="no_interventions"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("verksamhet"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("motivering"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ingen insats behövs")
        verbose_name_plural = _("ingen insats behövs")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.unit}: {self.reason[:40]}"


class LeadAssignment(models.Model):
    """One holder of the huvudansvar over a period; a change of holder ends one, starts the next."""

    case = models.ForeignKey(
        Case, verbose_name=_("ärende"), on_delete=models.CASCADE, related_name="lead_assignments"
    )
    name = models.CharField(_("huvudansvarig"), max_length=200)
    unit = models.ForeignKey(
        Unit, verbose_name=_("verksamhet"), on_delete=models.PROTECT, related_name="+"
    )
    plan = models.ForeignKey(
        Plan, verbose_name=_("utsedd i planversion"), on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("från"))
    ended_at = models.DateTimeField(_("till"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("huvudansvarig (period)")
        verbose_name_plural = _("huvudansvariga (historik)")
        ordering = ["case", "started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(ended_at__isnull=True),
                name="lead_one_current_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"


# Sub-features keep their models in their own package; importing them here registers them with
# the sip app.
from sip.access.models import (  # noqa: E402, F401
    AccessLogEntry,
    CaseGroupObjectPermission,
    LogReview,
    LogReviewItem,
    MaskedIndividual,
)
from sip.agenda.models import CalendarFeed  # noqa: E402, F401
from sip.deviations.models import DeviationEntry, DeviationReport  # noqa: E402, F401
from sip.placements.models import (  # noqa: E402, F401
    CostShare,
    CostSplit,
    ExaminationRequest,
    Placement,
)
