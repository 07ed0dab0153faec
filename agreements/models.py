"""Regional agreements (överenskommelser) and the rules they set. Rules are data, not code."""

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from actors.models import County, Huvudman, SteeringGroup


class Agreement(models.Model):
    """One version of a regional agreement. A case keeps the version it was opened under."""

    class TargetGroup(models.TextChoices):
        CHILDREN = "barn", _("Barn och unga")
        ADULTS = "vuxna", _("Vuxna")

    class FallbackPayer(models.TextChoices):
        ORDERING_HUVUDMAN = "bestallande_huvudman", _("Den huvudman som beställt insatsen")

    code = models.SlugField(
        _("kod"), max_length=60, help_text=_("Samma kod för alla versioner av en överenskommelse.")
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("namn"), max_length=250)
    county = models.CharField(_("län"), max_length=2, choices=County.choices)
    target_group = models.CharField(_("målgrupp"), max_length=10, choices=TargetGroup.choices)
    parties = models.ManyToManyField(
        Huvudman, verbose_name=_("parter"), related_name="agreements", blank=True
    )
    valid_from = models.DateField(_("gäller från"))
    valid_to = models.DateField(_("gäller till"), null=True, blank=True)
    source_document = models.CharField(
        _("källdokument"), max_length=200, help_text=_("Filnamn eller diarienummer.")
    )
    source_title = models.CharField(_("källdokumentets titel"), max_length=300, blank=True)
    create_deviation_drafts = models.BooleanField(
        _("skapa utkast till avvikelse automatiskt"),
        default=True,
        help_text=_("Vid passerad frist eller ej anmäld frånvaro skapas ett utkast."),
    )
    fallback_cost_rule = models.TextField(
        _("regel när kostnadsfördelning inte kan enas"), blank=True
    )
    fallback_cost_payer = models.CharField(
        _("vem betalar när kostnadsfördelning inte kan enas"),
        max_length=30,
        choices=FallbackPayer.choices,
        blank=True,
        help_text=_(
            "Regeln ovan i en form som systemet kan tillämpa. Tomt = ingen regel; oenigheten "
            "lyfts enligt eskaleringstrappan."
        ),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("överenskommelse")
        verbose_name_plural = _("överenskommelser")
        ordering = ["county", "code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "version"], name="agreement_code_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    def clean(self) -> None:
        super().clean()
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError(
                {"valid_to": _("Slutdatum kan inte ligga före startdatum.")},
                code="valid_to_before_from",
            )


class ClosedDay(models.Model):
    """An extra non-working day an agreement adds to the national calendar."""

    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.CASCADE,
        related_name="closed_days",
        verbose_name=_("överenskommelse"),
    )
    date = models.DateField(_("datum"))
    reason = models.CharField(_("anledning"), max_length=200)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("extra stängd dag")
        verbose_name_plural = _("extra stängda dagar")
        constraints = [
            models.UniqueConstraint(fields=["agreement", "date"], name="closed_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}"


class DeadlineRule(models.Model):
    """A clock an agreement sets: which event starts it, how long it runs, who answers for it."""

    class Kind(models.TextChoices):
        KALLELSE = "kallelse", _("Kallelse till SIP-möte")
        MEETING = "sip_mote", _("SIP-möte")
        MEETING_ACUTE = "sip_mote_akut", _("SIP-möte (akut)")
        FOLLOW_UP = "uppfoljning", _("Uppföljning")
        COST_SPLIT_ACUTE = "kostnadsfordelning_akut", _("Kostnadsfördelning efter akut placering")
        JOINT_PLANNING_ACUTE = (
            "gemensam_planering_akut",
            _("Inbjudan till gemensam planering efter akut placering"),
        )
        PROTECTION_ASSESSMENT = "skyddsbedomning", _("Skyddsbedömning")
        PRELIMINARY_ASSESSMENT = "forhandsbedomning", _("Förhandsbedömning")
        LVU_MEDICAL = "lakarundersokning_lvu", _("Läkarundersökning LVU")
        HEALTH_EXAMINATION = "halsoundersokning", _("Hälsoundersökning placerat barn")
        DEVIATION_REPLY = "avvikelse_svar", _("Svar på avvikelse")

    class StartEvent(models.TextChoices):
        CONSENT_GIVEN = "consent_given", _("Samtycke lämnat")
        KALLELSE_SENT = "kallelse_sent", _("Kallelse skickad")
        MEETING_HELD = "meeting_held", _("SIP-möte hållet")
        PLAN_ESTABLISHED = "plan_established", _("Plan upprättad")
        FOLLOW_UP_DATE_SET = "follow_up_date_set", _("Datum för uppföljning satt")
        PLACEMENT_DECISION = "placement_decision", _("Placeringsbeslut")
        ACUTE_PLACEMENT_DECISION = "acute_placement_decision", _("Beslut om akut placering")
        LVU_CUSTODY = "lvu_custody", _("Beslut om vård/omhändertagande enligt LVU")
        CONCERN_REPORT_RECEIVED = "concern_report_received", _("Orosanmälan inkommen")
        DEVIATION_ESCALATED = "deviation_escalated", _("Avvikelse lyft till nivå")
        LVU_MEDICAL_DECISION = (
            "lvu_medical_decision",
            _("Beslut om läkarundersökning enligt 32 § LVU"),
        )

    class TimeUnit(models.TextChoices):
        WORKING_DAYS = "working_days", _("arbetsdagar")
        CALENDAR_DAYS = "calendar_days", _("kalenderdagar")
        WEEKS = "weeks", _("veckor")
        HOURS = "hours", _("timmar")

    class Responsible(models.TextChoices):
        CONVENING_UNIT = "convening_unit", _("Kallande verksamhet")
        COORDINATOR = "coordinator", _("Samordnare")
        HUVUDANSVARIG = "huvudansvarig", _("Huvudansvarig")
        PLACING_SOCIAL_SERVICES = "placing_social_services", _("Placerande kommuns socialtjänst")
        SOCIAL_SERVICES = "social_services", _("Socialtjänsten")
        CONCERNED_UNIT_MANAGER = "concerned_unit_manager", _("Berörd verksamhets chef")
        HEALTH_CARE = "health_care", _("Hälso- och sjukvården")

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="rules", verbose_name=_("överenskommelse")
    )
    kind = models.CharField(_("typ av frist"), max_length=40, choices=Kind.choices)
    start_event = models.CharField(
        _("startande händelse"), max_length=40, choices=StartEvent.choices
    )
    amount = models.PositiveIntegerField(
        _("antal"), validators=[MinValueValidator(1, message=_("Antalet måste vara minst 1."))]
    )
    time_unit = models.CharField(_("enhet"), max_length=20, choices=TimeUnit.choices)
    responsible = models.CharField(_("ansvarig"), max_length=40, choices=Responsible.choices)
    reminder_offsets = models.JSONField(
        _("påminnelser före förfallotid"),
        default=list,
        blank=True,
        help_text=_(
            "Lista med heltal i regelns egen enhet före förfallotiden, t.ex. [2, 1] = två och en "
            "arbetsdag innan."
        ),
    )
    escalate_after = models.PositiveIntegerField(
        _("eskalera efter (arbetsdagar)"),
        null=True,
        blank=True,
        help_text=_(
            "Arbetsdagar efter passerad frist innan den lyfts till nästa nivå på "
            "eskaleringstrappan. Tomt = ingen automatisk eskalering."
        ),
    )
    source_section = models.CharField(
        _("källa (avsnitt)"), max_length=300, help_text=_("Fil och avsnitt i källdokumentet.")
    )
    source_quote = models.TextField(_("citat ur källan"), blank=True)
    is_active = models.BooleanField(_("aktiv"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("fristregel")
        verbose_name_plural = _("fristregler")
        ordering = ["agreement", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "kind"],
                condition=Q(is_active=True),
                name="deadline_rule_one_active_kind_per_agreement",
                violation_error_message=_(
                    "Överenskommelsen har redan en aktiv fristregel av denna typ. Inaktivera den "
                    "gamla regeln först."
                ),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=1),
                name="deadline_rule_amount_positive",
                violation_error_message=_("Antalet måste vara minst 1."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.amount} {self.get_time_unit_display()}"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list[str]] = {}
        allowed = KIND_EVENTS.get(self.kind)
        if self.start_event and allowed is not None and self.start_event not in allowed:
            errors.setdefault("start_event", []).append(
                _("Fristen ”%(kind)s” kan inte starta vid ”%(event)s”. Tillåtna: %(allowed)s.")
                % {
                    "kind": self.get_kind_display(),
                    "event": self.get_start_event_display(),
                    "allowed": ", ".join(
                        str(self.StartEvent(event).label) for event in sorted(allowed)
                    ),
                }
            )
        offsets_error = reminder_offsets_error(self.reminder_offsets, self.amount)
        if offsets_error:
            errors.setdefault("reminder_offsets", []).append(offsets_error)
        if errors:
            raise ValidationError(errors)


class EscalationLevel(models.Model):
    """One step of an agreement's escalation ladder, lowest `order` first."""

    class Kind(models.TextChoices):
        OPERATIONAL = "operational", _("Operativ nivå")
        UNIT_MANAGERS = "unit_managers", _("Ansvariga chefer")
        STEERING_GROUP = "steering_group", _("Styrgrupp/forum")

    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.CASCADE,
        related_name="escalation_levels",
        verbose_name=_("överenskommelse"),
    )
    order = models.PositiveSmallIntegerField(_("ordning"))
    name = models.CharField(_("namn"), max_length=200)
    kind = models.CharField(_("typ"), max_length=20, choices=Kind.choices)
    steering_group_kind = models.CharField(
        _("typ av styrgrupp"),
        max_length=30,
        choices=SteeringGroup.Kind.choices,
        blank=True,
        help_text=_("Vilken sorts grupp som tar emot ärenden på denna nivå."),
    )
    reply_working_days = models.PositiveIntegerField(
        _("svarstid (arbetsdagar)"), null=True, blank=True
    )
    source_section = models.CharField(_("källa (avsnitt)"), max_length=300)
    source_quote = models.TextField(_("citat ur källan"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("eskaleringsnivå")
        verbose_name_plural = _("eskaleringstrappa")
        ordering = ["agreement", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "order"], name="escalation_level_order_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


# Which events may start each kind of clock. A cost split cannot start from consent, a kallelse
# cannot start from a placement: admins configure rules, and this keeps them meaningful.
KIND_EVENTS: dict[str, frozenset[str]] = {
    DeadlineRule.Kind.KALLELSE: frozenset({DeadlineRule.StartEvent.CONSENT_GIVEN}),
    DeadlineRule.Kind.MEETING: frozenset(
        {DeadlineRule.StartEvent.CONSENT_GIVEN, DeadlineRule.StartEvent.KALLELSE_SENT}
    ),
    DeadlineRule.Kind.MEETING_ACUTE: frozenset(
        {DeadlineRule.StartEvent.CONSENT_GIVEN, DeadlineRule.StartEvent.KALLELSE_SENT}
    ),
    DeadlineRule.Kind.FOLLOW_UP: frozenset(
        {
            DeadlineRule.StartEvent.MEETING_HELD,
            DeadlineRule.StartEvent.PLAN_ESTABLISHED,
            DeadlineRule.StartEvent.FOLLOW_UP_DATE_SET,
        }
    ),
    DeadlineRule.Kind.COST_SPLIT_ACUTE: frozenset(
        {DeadlineRule.StartEvent.ACUTE_PLACEMENT_DECISION}
    ),
    DeadlineRule.Kind.JOINT_PLANNING_ACUTE: frozenset(
        {DeadlineRule.StartEvent.ACUTE_PLACEMENT_DECISION}
    ),
    DeadlineRule.Kind.PROTECTION_ASSESSMENT: frozenset(
        {DeadlineRule.StartEvent.CONCERN_REPORT_RECEIVED}
    ),
    DeadlineRule.Kind.PRELIMINARY_ASSESSMENT: frozenset(
        {DeadlineRule.StartEvent.CONCERN_REPORT_RECEIVED}
    ),
    DeadlineRule.Kind.LVU_MEDICAL: frozenset(
        {DeadlineRule.StartEvent.LVU_MEDICAL_DECISION, DeadlineRule.StartEvent.LVU_CUSTODY}
    ),
    DeadlineRule.Kind.HEALTH_EXAMINATION: frozenset(
        {
            DeadlineRule.StartEvent.PLACEMENT_DECISION,
            DeadlineRule.StartEvent.ACUTE_PLACEMENT_DECISION,
        }
    ),
    DeadlineRule.Kind.DEVIATION_REPLY: frozenset({DeadlineRule.StartEvent.DEVIATION_ESCALATED}),
}


def reminder_offsets_error(offsets: object, amount: int | None) -> str | None:
    """Why a reminder list is unusable, or None. Pure, so forms and models share it."""
    if offsets in (None, []):
        return None
    if not isinstance(offsets, list) or not all(
        isinstance(offset, int) and not isinstance(offset, bool) for offset in offsets
    ):
        return str(_("Påminnelser anges som en lista med heltal, t.ex. [2, 1]."))
    if any(offset < 1 for offset in offsets):
        return str(_("Varje påminnelse måste vara minst 1."))
    if len(set(offsets)) != len(offsets):
        return str(_("Samma påminnelse får inte anges två gånger."))
    if amount is not None and any(offset >= amount for offset in offsets):
        return str(
            _("Varje påminnelse måste vara mindre än fristens längd (%(amount)s).")
            % {"amount": amount}
        )
    return None
