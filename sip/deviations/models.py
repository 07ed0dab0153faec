"""Deviation reports (avvikelserapporter) and their append-only audit trail.

A report is never edited or deleted once registered: its status moves through the workflow in
`DeviationReport.TRANSITIONS`, and everything said or decided about it is a new `DeviationEntry`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from actors.models import Unit
from agreements.models import Agreement, EscalationLevel
from config.exceptions import ApplicationError
from deadlines.models import Deadline
from sip.models import Case, Invitation, Meeting


class DeviationQuerySet(models.QuerySet):
    """Refuses bulk deletes and bulk updates: they would bypass the history and the checks below.

    Reports change one at a time through the services; entries never change.
    """

    def delete(self):
        raise ApplicationError(str(_("Avvikelserapporter och deras historik kan inte tas bort.")))

    def update(self, **kwargs):
        raise ApplicationError(str(_("Avvikelserapporter ändras bara genom sina arbetssteg.")))


class DeviationReport(models.Model):
    class Category(models.TextChoices):
        MISSED_DEADLINE = "missad_frist", _("Missad frist")
        NON_ATTENDANCE = "utebliven_narvaro", _("Utebliven närvaro")
        PLAN_NOT_FOLLOWED = "plan_ej_foljd", _("Planen följs inte")
        INFORMATION_TRANSFER = "informationsoverforing", _("Informationsöverföring")
        COST_DISPUTE = "kostnadstvist", _("Tvist om kostnadsansvar")
        OTHER = "annat", _("Annat")

    class Status(models.TextChoices):
        DRAFT = "utkast", _("Utkast")
        REGISTERED = "registrerad", _("Registrerad")
        RECEIVED = "mottagen", _("Mottagen")
        INVESTIGATING = "under_utredning", _("Under utredning")
        ANSWERED = "besvarad", _("Besvarad")
        ESCALATED = "eskalerad", _("Eskalerad")
        CLOSED = "avslutad", _("Avslutad")
        DISMISSED = "avfardad", _("Avfärdat utkast")

    # The allowed steps; services check every status change against this table. An escalated
    # report walks the same steps again at its new level.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.DRAFT: frozenset({Status.REGISTERED, Status.DISMISSED}),
        Status.REGISTERED: frozenset({Status.RECEIVED, Status.ESCALATED}),
        Status.RECEIVED: frozenset({Status.INVESTIGATING, Status.ESCALATED}),
        Status.INVESTIGATING: frozenset({Status.ANSWERED, Status.ESCALATED}),
        Status.ANSWERED: frozenset({Status.CLOSED, Status.ESCALATED}),
        Status.ESCALATED: frozenset({Status.RECEIVED, Status.ESCALATED}),
        Status.CLOSED: frozenset(),
        Status.DISMISSED: frozenset(),
    }
    FINAL = frozenset({Status.CLOSED, Status.DISMISSED})
    # Drafts are not yet reports: only the reporting side sees them.
    UNCONFIRMED = frozenset({Status.DRAFT, Status.DISMISSED})

    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("styrande överenskommelse"),
        on_delete=models.PROTECT,
        related_name="deviation_reports",
    )
    reporting_unit = models.ForeignKey(
        Unit,
        verbose_name=_("rapporterande verksamhet"),
        on_delete=models.PROTECT,
        related_name="reported_deviations",
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rapporterad av"),
        on_delete=models.PROTECT,
        related_name="reported_deviations",
        null=True,
        blank=True,
        help_text=_("Tomt för ett automatiskt utkast tills det bekräftas."),
    )
    concerned_units = models.ManyToManyField(
        Unit, verbose_name=_("berörda verksamheter"), related_name="concerned_deviations"
    )
    category = models.CharField(_("kategori"), max_length=30, choices=Category.choices)
    case = models.ForeignKey(
        Case,
        verbose_name=_("SIP-ärende"),
        on_delete=models.PROTECT,
        related_name="deviation_reports",
        null=True,
        blank=True,
    )
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("möte"),
        on_delete=models.PROTECT,
        related_name="deviation_reports",
        null=True,
        blank=True,
    )
    deadline = models.ForeignKey(
        Deadline,
        verbose_name=_("frist"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    invitation = models.ForeignKey(
        Invitation,
        verbose_name=_("inbjudan (frånvaro)"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    occurred_at = models.DateTimeField(_("när det hände"))
    description = models.TextField(_("vad hände"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REGISTERED
    )
    level = models.ForeignKey(
        EscalationLevel,
        verbose_name=_("nivå i eskaleringstrappan"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Tomt = hanteras av de berörda verksamheternas chefer."),
    )
    created_at = models.DateTimeField(_("skapad"))
    registered_at = models.DateTimeField(_("registrerad"), null=True, blank=True)
    closed_at = models.DateTimeField(_("avslutad"), null=True, blank=True)
    history = HistoricalRecords()

    objects = DeviationQuerySet.as_manager()

    class Meta:
        verbose_name = _("avvikelserapport")
        verbose_name_plural = _("avvikelserapporter")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One report per breached deadline and per absence, however often the sweep runs.
            models.UniqueConstraint(fields=["deadline"], name="deviation_one_per_deadline"),
            models.UniqueConstraint(fields=["invitation"], name="deviation_one_per_invitation"),
            models.CheckConstraint(
                condition=Q(status__in=["utkast", "avfardad"]) | ~Q(description=""),
                name="deviation_registered_has_description",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "category"], name="deviation_status_category_idx"),
            models.Index(fields=["registered_at"], name="deviation_registered_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args, **kwargs) -> None:
        # Last line of defence behind the services: a closed report stays as it was, whatever
        # path (admin, shell, a future view) tries to write it.
        if self.pk and DeviationReport.objects.filter(pk=self.pk, status__in=self.FINAL).exists():
            raise ApplicationError(str(_("Rapporten är avslutad och kan inte ändras.")))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ApplicationError(str(_("Avvikelserapporter kan inte tas bort.")))

    @property
    def reference(self) -> str:
        return f"AVV-{self.created_at:%Y}-{self.pk:05d}"

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, frozenset())

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL


class DeviationEntry(models.Model):
    """One line of a report's timeline: a status step, an escalation, an answer or a comment.

    Append-only: saving an existing entry and deleting any entry are refused.
    """

    class Kind(models.TextChoices):
        CREATED = "skapad", _("Skapad")
        STATUS = "status", _("Statusändring")
        ESCALATION = "eskalering", _("Eskalering")
        ANSWER = "svar", _("Svar och åtgärder")
        COMMENT = "kommentar", _("Kommentar")

    report = models.ForeignKey(
        DeviationReport,
        verbose_name=_("avvikelserapport"),
        on_delete=models.PROTECT,
        related_name="entries",
    )
    kind = models.CharField(_("typ"), max_length=20, choices=Kind.choices)
    from_status = models.CharField(
        _("från status"), max_length=20, choices=DeviationReport.Status.choices, blank=True
    )
    to_status = models.CharField(
        _("till status"), max_length=20, choices=DeviationReport.Status.choices, blank=True
    )
    level = models.ForeignKey(
        EscalationLevel,
        verbose_name=_("nivå"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    text = models.TextField(_("text"), blank=True)
    measures = models.TextField(_("åtgärder"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("av"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Tomt = systemet."),
    )
    at = models.DateTimeField(_("tidpunkt"))

    objects = DeviationQuerySet.as_manager()

    class Meta:
        verbose_name = _("händelse i avvikelse")
        verbose_name_plural = _("händelser i avvikelser")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["report", "at"], name="deviation_entry_report_idx")]

    def __str__(self) -> str:
        return f"{self.report_id} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ApplicationError(str(_("En händelse i en avvikelse kan inte ändras.")))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ApplicationError(str(_("En händelse i en avvikelse kan inte tas bort.")))
