"""Placements outside the home, their cost split and the health examinations of a placed child.

The placing municipality's social services are always responsible and coordinate (001, 004). The
cost split is professionals-only (001: "Kostnadsansvar ska diskuteras utan individens
medverkan"), so nothing here is ever read by a document meant for the person or guardians.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from actors.models import Huvudman, Municipality, Unit
from agreements.models import Agreement
from sip.models import Case, Individual, Intervention, Meeting

HUNDRED = Decimal("100")


class Placement(models.Model):
    class Form(models.TextChoices):
        FAMILY_HOME = "familjehem", _("Familjehem")
        REINFORCED_FAMILY_HOME = "forstarkt_familjehem", _("Förstärkt familjehem")
        HVB = "hvb", _("HVB (hem för vård eller boende)")
        SUPPORTED_HOUSING = "stodboende", _("Stödboende")
        SIS = "sis", _("SiS-hem")

    class LegalBasis(models.TextChoices):
        SOL = "sol", _("SoL (frivillig)")
        LVU = "lvu", _("LVU")
        LVU_IMMEDIATE = "lvu_6", _("LVU 6 § (omedelbart omhändertagande)")

    COMPULSORY = frozenset({LegalBasis.LVU, LegalBasis.LVU_IMMEDIATE})

    individual = models.ForeignKey(
        Individual, verbose_name=_("individ"), on_delete=models.PROTECT, related_name="placements"
    )
    case = models.ForeignKey(
        Case,
        verbose_name=_("SIP-ärende"),
        on_delete=models.PROTECT,
        related_name="placements",
        null=True,
        blank=True,
    )
    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("överenskommelse"),
        on_delete=models.PROTECT,
        related_name="placements",
    )
    placing_municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("placerande kommun"),
        on_delete=models.PROTECT,
        related_name="placements",
    )
    responsible_unit = models.ForeignKey(
        Unit,
        verbose_name=_("ansvarig socialtjänst"),
        on_delete=models.PROTECT,
        related_name="placements",
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handläggare"),
        on_delete=models.PROTECT,
        related_name="placements",
    )
    placement_type = models.CharField(_("placeringsform"), max_length=30, choices=Form.choices)
    legal_basis = models.CharField(_("lagrum"), max_length=10, choices=LegalBasis.choices)
    decided_on = models.DateField(_("beslutsdatum"))
    is_acute = models.BooleanField(_("akut placering"), default=False)
    starts_on = models.DateField(_("startdatum"))
    planned_end_on = models.DateField(_("planerat slutdatum"), null=True, blank=True)
    residence_name = models.CharField(_("boende (familjehem/HVB)"), max_length=200, blank=True)
    residence_address = models.TextField(_("adress"), blank=True)
    protected_residence = models.BooleanField(_("hemlighållen vistelseort"), default=False)
    authorised_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("behöriga att se vistelseorten"),
        related_name="authorised_placements",
        blank=True,
    )
    joint_planning_invited_on = models.DateField(
        _("inbjudan till gemensam planering skickad"), null=True, blank=True
    )
    ended_on = models.DateField(_("avslutad"), null=True, blank=True)
    end_reason = models.TextField(_("skäl till avslut"), blank=True)
    created_at = models.DateTimeField(_("registrerad"), auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[authorised_users])

    class Meta:
        verbose_name = _("placering")
        verbose_name_plural = _("placeringar")
        ordering = ["-decided_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__gte=models.F("decided_on")),
                name="placement_starts_on_or_after_decision",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("starts_on")),
                name="placement_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"PL-{self.decided_on:%Y}-{self.pk:05d}"

    @property
    def is_compulsory(self) -> bool:
        return self.legal_basis in self.COMPULSORY

    @property
    def is_ended(self) -> bool:
        return self.ended_on is not None

    @property
    def cost_split_expected_by(self) -> dt.date | None:
        """A planned placement should have its cost split settled before it starts (004,
        "Kostnadsfördelning bör vara klarlagd innan placering sker"). Acute ones follow the
        agreement's clock instead."""
        return None if self.is_acute else self.starts_on


class CostSplit(models.Model):
    """Who pays what for the placement as a whole or for one intervention of the linked SIP."""

    class Basis(models.TextChoices):
        PERCENT = "procent", _("Procent")
        AMOUNT = "belopp", _("Belopp (kr)")

    class Status(models.TextChoices):
        PROPOSED = "foreslagen", _("Föreslagen")
        AGREED = "overens", _("Överens")
        NOT_AGREED = "ej_overens", _("Ej överens")

    placement = models.ForeignKey(
        Placement,
        verbose_name=_("placering"),
        on_delete=models.CASCADE,
        related_name="cost_splits",
    )
    intervention = models.ForeignKey(
        Intervention,
        verbose_name=_("insats"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Tomt = placeringen som helhet."),
    )
    description = models.CharField(_("vad kostnaden avser"), max_length=300)
    basis = models.CharField(_("fördelas i"), max_length=10, choices=Basis.choices)
    total_amount = models.DecimalField(
        _("totalbelopp (kr)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    ordered_by = models.ForeignKey(
        Huvudman,
        verbose_name=_("beställande huvudman"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("diskuterad på aktörsmöte"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("föreslagen av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("föreslagen"))
    settled_at = models.DateTimeField(_("avgjord"), null=True, blank=True)
    not_agreed_reason = models.TextField(_("skäl till oenighet"), blank=True)
    fallback_payer = models.ForeignKey(
        Huvudman,
        verbose_name=_("betalar enligt överenskommelsens regel"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    fallback_rule = models.TextField(_("tillämpad regel"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kostnadsfördelning")
        verbose_name_plural = _("kostnadsfördelningar")
        ordering = ["placement", "proposed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(basis="belopp") | Q(total_amount__gt=0),
                name="cost_split_amount_basis_has_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.get_status_display()})"

    @property
    def is_settled(self) -> bool:
        """Settled means who pays is clear: agreed, or not agreed under a fallback rule."""
        return self.status == self.Status.AGREED or self.fallback_payer_id is not None


class CostShare(models.Model):
    """One huvudman's part, represented by one of its units whose members agree for it."""

    cost_split = models.ForeignKey(
        CostSplit,
        verbose_name=_("kostnadsfördelning"),
        on_delete=models.CASCADE,
        related_name="shares",
    )
    huvudman = models.ForeignKey(
        Huvudman, verbose_name=_("huvudman"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("företrädande verksamhet"),
        on_delete=models.PROTECT,
        related_name="cost_shares",
    )
    percent = models.DecimalField(
        _("andel (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    amount = models.DecimalField(
        _("belopp (kr)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("godkänd av"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    agreed_at = models.DateTimeField(_("godkänd"), null=True, blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("avböjd av"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    declined_at = models.DateTimeField(_("avböjd"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kostnadsandel")
        verbose_name_plural = _("kostnadsandelar")
        ordering = ["cost_split", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cost_split", "huvudman"], name="cost_share_one_per_huvudman"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.huvudman}: {self.display_value}"

    @property
    def display_value(self) -> str:
        """Swedish number format; whole numbers without decimals (60 %, 12 500 kr)."""
        value = self.percent if self.percent is not None else self.amount
        text = number_format(value, decimal_pos=0 if value % 1 == 0 else 2, force_grouping=True)
        return f"{text} %" if self.percent is not None else f"{text} kr"

    @property
    def is_agreed(self) -> bool:
        return self.agreed_at is not None


class ExaminationRequest(models.Model):
    """A request for one of the legislated examinations of a placed child (001).

    Lag 2017:209 asks social services to send one request to health care and a separate one to
    dental care, and two statements come back; 32 § LVU orders a medical examination.
    """

    class Kind(models.TextChoices):
        HEALTH = "halsa", _("Hälsoundersökning, hälso- och sjukvård (lag 2017:209)")
        DENTAL = "tandvard", _("Hälsoundersökning, tandvård (lag 2017:209)")
        LVU_MEDICAL = "lvu", _("Läkarundersökning enligt 32 § LVU")

    HEALTH_EXAMINATION_KINDS = frozenset({Kind.HEALTH, Kind.DENTAL})

    class Status(models.TextChoices):
        REQUESTED = "begard", _("Begärd")
        STATEMENT_RECEIVED = "utlatande", _("Utlåtande mottaget")
        DECLINED = "avbojd", _("Avböjd")

    placement = models.ForeignKey(
        Placement,
        verbose_name=_("placering"),
        on_delete=models.CASCADE,
        related_name="examinations",
    )
    kind = models.CharField(_("undersökning"), max_length=10, choices=Kind.choices)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("mottagande verksamhet"),
        on_delete=models.PROTECT,
        related_name="examination_requests",
    )
    requested_on = models.DateField(
        _("begäran skickad"), help_text=_("För läkarundersökning enligt LVU: nämndens beslut.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED
    )
    answered_on = models.DateField(_("besvarad"), null=True, blank=True)
    note = models.TextField(_("anteckning"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("begäran om undersökning")
        verbose_name_plural = _("begäran om undersökningar")
        ordering = ["placement", "kind", "requested_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["placement", "kind"],
                condition=Q(status="begard"),
                name="examination_one_open_request_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"
