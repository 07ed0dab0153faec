"""Access to SIP cases: object permissions held by units, the access log and its review.

Who may do what is described in docs/access-control.md. In short: a case is granted to units'
permission groups (django-guardian, one group per unit); a user acts through their active
memberships; the consent narrows what a participating unit may see; every read of a person's or a
case's data leaves one entry in an access log that the application can neither change nor delete.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase
from simple_history.models import HistoricalRecords

from actors.models import Unit
from sip.models import Case, Individual


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    """guardian's group object permission with a real foreign key to the case.

    guardian picks this model by itself in assign_perm/remove_perm; the foreign key lets the
    access filter join cases to grants without casting guardian's text object ids.
    """

    content_object = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="group_permissions"
    )

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("behörighet till ärende")
        verbose_name_plural = _("behörigheter till ärenden")


class MaskedIndividual(Individual):
    """A display copy of a protected person for a viewer who may not see the protected data.

    Views hand this copy to templates and documents in place of the person, so a page that prints
    `case.individual` shows the mask without knowing about protection. It can never be saved.
    """

    class Meta:
        proxy = True
        verbose_name = _("individ (maskerad)")
        verbose_name_plural = _("individer (maskerade)")

    @classmethod
    def of(cls, individual: Individual) -> "MaskedIndividual":
        masked = cls(
            **{field.attname: getattr(individual, field.attname) for field in cls._meta.fields}
        )
        masked._state.adding = False
        masked._state.db = individual._state.db
        # Keep what the selector already joined (home municipality) so the copy costs no query.
        masked._state.fields_cache = dict(individual._state.fields_cache)
        # Whereabouts are hidden for both kinds of protection; the identity only for the first.
        masked.address = ""
        masked.phone = ""
        masked.email = ""
        if individual.protected_identity:
            masked.first_name = str(_("Skyddad"))
            masked.last_name = str(_("identitet"))
            masked.id_number = ""
            masked.reserve_number = ""
            masked.birth_date = None
        return masked

    @property
    def id_display(self) -> str:
        if self.protected_identity:
            return str(_("Skyddad identitet"))
        return super().id_display

    def save(self, *args, **kwargs) -> None:
        raise TypeError("A masked display copy of a protected person is never saved.")

    def delete(self, *args, **kwargs):
        raise TypeError("A masked display copy of a protected person is never deleted.")


def identity_hidden(individual: Individual) -> bool:
    """Whether a page shows the mask of a protected identity (guardians would reveal it too)."""
    return isinstance(individual, MaskedIndividual) and individual.protected_identity


class AccessLogImmutableError(Exception):
    """Raised on any attempt to change or delete access-log entries through the ORM."""


class AccessLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AccessLogImmutableError("Access-log entries are never changed.")

    def delete(self):
        raise AccessLogImmutableError("Access-log entries are never deleted.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AccessLogImmutableError("Access-log entries are never changed.")


class AccessLogEntry(models.Model):
    """One read of a person's or a case's data: who, acting for which unit, what, when, from where.

    Written once by sip.access.services and never changed: save() refuses updates, delete() and
    the queryset's update()/delete() refuse, the admin is read-only, and a database trigger
    (migration sip.access) refuses UPDATE and DELETE on the table itself. Entries are kept at
    least five years (HSLF-FS 2016:40 4 kap. 9 §); the application offers no purge at all.
    """

    class Action(models.TextChoices):
        LIST = "lista", _("Lista")
        VIEW = "visning", _("Visning")
        CHANGE = "andring", _("Registrering/ändring")
        PDF = "pdf", _("PDF")
        ICS = "ics", _("Kalenderfil")
        EXPORT = "export", _("Export")
        UNMASK = "skyddat", _("Visade skyddade uppgifter")
        REPORT = "loggutdrag", _("Loggutdrag för personen")

    at = models.DateTimeField(_("tidpunkt"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("användare"),
        on_delete=models.PROTECT,
        related_name="access_log_entries",
    )
    # Unit and person are looked up through accesslog_unit_at and accesslog_individual_at (Meta),
    # which begin with them: an index of their own would only be two more entries to write for
    # every row a page view logs (a list page logs 50).
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("för verksamhet"),
        on_delete=models.PROTECT,
        related_name="access_log_entries",
        null=True,
        blank=True,
        db_index=False,
    )
    individual = models.ForeignKey(
        Individual,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="access_log_entries",
        db_index=False,
    )
    case = models.ForeignKey(
        Case,
        verbose_name=_("ärende"),
        on_delete=models.PROTECT,
        related_name="access_log_entries",
        null=True,
        blank=True,
    )
    action = models.CharField(_("åtgärd"), max_length=20, choices=Action.choices)
    protected = models.BooleanField(
        _("skyddad person"),
        default=False,
        help_text=_("Personen hade skyddad identitet eller hemlighållen vistelseort."),
    )
    ip_address = models.GenericIPAddressField(_("IP-adress"), null=True, blank=True)
    path = models.CharField(_("adress i systemet"), max_length=500, blank=True)
    reason = models.TextField(_("angivet skäl"), blank=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("loggpost")
        verbose_name_plural = _("åtkomstlogg")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["unit", "at"], name="accesslog_unit_at"),
            models.Index(fields=["individual", "at"], name="accesslog_individual_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AccessLogImmutableError("Access-log entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AccessLogImmutableError("Access-log entries are never deleted.")


class LogReview(models.Model):
    """A manager's log review (loggkontroll) of the accesses made for one unit in a period."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("verksamhet"), on_delete=models.PROTECT, related_name="log_reviews"
    )
    period_start = models.DateField(_("från och med"))
    period_end = models.DateField(_("till och med"))
    filter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("urval: användare"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    filter_individual = models.ForeignKey(
        Individual,
        verbose_name=_("urval: person"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    sample_size = models.PositiveIntegerField(_("slumpmässigt urval (antal)"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("påbörjad av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("påbörjad"))
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("avslutad av"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    completed_at = models.DateTimeField(_("avslutad"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("loggkontroll")
        verbose_name_plural = _("loggkontroller")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.unit} {self.period_start}–{self.period_end}"

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None


class LogReviewItem(models.Model):
    """One log entry in a review with the reviewer's judgement."""

    class Selection(models.TextChoices):
        SAMPLE = "stickprov", _("Slumpmässigt stickprov")
        PROTECTED = "skyddad", _("Åtkomst till skyddad person")

    class Verdict(models.TextChoices):
        PENDING = "ej_granskad", _("Ej granskad")
        JUSTIFIED = "befogad", _("Befogad")
        UNJUSTIFIED = "obefogad", _("Inte befogad")

    review = models.ForeignKey(
        LogReview, verbose_name=_("loggkontroll"), on_delete=models.CASCADE, related_name="items"
    )
    entry = models.ForeignKey(
        AccessLogEntry, verbose_name=_("loggpost"), on_delete=models.PROTECT, related_name="+"
    )
    selection = models.CharField(_("urval"), max_length=20, choices=Selection.choices)
    verdict = models.CharField(
        _("bedömning"), max_length=20, choices=Verdict.choices, default=Verdict.PENDING
    )
    comment = models.TextField(_("kommentar"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granskad av"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    reviewed_at = models.DateTimeField(_("granskad"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("granskad loggpost")
        verbose_name_plural = _("granskade loggposter")
        ordering = ["review", "entry__at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["review", "entry"], name="log_review_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.review}: {self.entry}"
