"""Deadlines (frister) on any subject, and the in-app notifications the sweep leaves behind.

The engine knows nothing of what it tracks: a deadline points at its subject through a generic
relation, so higher apps (sip) tell it what to track and it never imports them.
"""

import datetime as dt
from collections.abc import Collection

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from actors.models import Unit
from agreements.models import DeadlineRule
from deadlines import calendar


class Deadline(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("öppen")
        MET = "met", _("uppfylld")
        BREACHED = "breached", _("överskriden")
        WAIVED = "waived", _("efterskänkt")
        CANCELLED = "cancelled", _("makulerad")

    # A breached deadline still waits for someone to act; met, waived and cancelled are closed.
    UNRESOLVED = frozenset({Status.OPEN, Status.BREACHED})

    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        verbose_name=_("typ av ärende"),
        # deadline_subject_idx (content type, object id) answers every lookup by content type; a
        # second index on its first column alone was one more entry to write per changed row.
        db_index=False,
    )
    object_id = models.PositiveBigIntegerField(_("ärendets id"))
    subject = GenericForeignKey("content_type", "object_id")
    rule = models.ForeignKey(
        DeadlineRule, on_delete=models.PROTECT, related_name="deadlines", verbose_name=_("regel")
    )
    # Copied from the rule so "open kallelse deadlines" is an index lookup, not a join.
    kind = models.CharField(_("typ av frist"), max_length=40, choices=DeadlineRule.Kind.choices)
    started_at = models.DateTimeField(_("startade"))
    due_at = models.DateTimeField(_("förfaller"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    met_at = models.DateTimeField(_("uppfylld"), null=True, blank=True)
    reason = models.TextField(_("skäl för efterskänkning/makulering"), blank=True)
    responsible_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="deadlines",
        null=True,
        blank=True,
        verbose_name=_("ansvarig verksamhet"),
    )
    responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="deadlines",
        null=True,
        blank=True,
        verbose_name=_("ansvarig person"),
    )
    escalation_level = models.PositiveSmallIntegerField(
        _("eskaleringsnivå"), default=0, help_text=_("0 = inte eskalerad.")
    )
    next_reminder_at = models.DateTimeField(_("nästa påminnelse"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("skickade påminnelser"), default=0)
    breached_at = models.DateTimeField(_("överskriden"), null=True, blank=True)
    next_escalation_at = models.DateTimeField(_("nästa eskalering"), null=True, blank=True)
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)
    # History is read per deadline (by id) and by date. Indexes on the copied foreign keys were
    # never read, yet every sweep paid for them on each history row it wrote.
    history = HistoricalRecords(
        no_db_index=["content_type", "rule", "responsible_unit", "responsible_user"]
    )

    class Meta:
        verbose_name = _("frist")
        verbose_name_plural = _("frister")
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="deadline_subject_idx"),
            # The sweep reads the overdue rows' groups (rule, due time, subject type, level)
            # from this index alone before it breaches them.
            models.Index(
                fields=["due_at"],
                include=["rule", "content_type", "escalation_level"],
                condition=Q(status="open"),
                name="deadline_open_due_idx",
            ),
            models.Index(
                fields=["next_reminder_at"],
                condition=Q(next_reminder_at__isnull=False),
                name="deadline_next_reminder_idx",
            ),
            models.Index(
                fields=["next_escalation_at"],
                condition=Q(next_escalation_at__isnull=False),
                name="deadline_next_escalation_idx",
            ),
            # The managers' overdue page: a unit's unresolved deadlines by due date, and its
            # breaches by week for the chart.
            models.Index(
                fields=["responsible_unit", "due_at"],
                condition=Q(status__in=["open", "breached"]),
                name="deadline_unit_unresolved_idx",
            ),
            models.Index(
                fields=["responsible_unit", "breached_at"],
                condition=Q(breached_at__isnull=False),
                name="deadline_unit_breached_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "kind"],
                condition=Q(status__in=["open", "breached"]),
                name="deadline_one_unresolved_per_subject_kind",
            ),
            models.CheckConstraint(
                condition=Q(responsible_unit__isnull=False) | Q(responsible_user__isnull=False),
                name="deadline_has_responsible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    def is_overdue(self, now: dt.datetime) -> bool:
        """Unresolved and past due: the clock has run out whether or not the sweep has seen it."""
        return self.status in self.UNRESOLVED and now > self.due_at

    def working_days_left(self, today: dt.date, *, extra_closed: Collection[dt.date] = ()) -> int:
        """Working days from `today` to the due date: 0 on the due day, negative once past."""
        return calendar.working_days_between(
            today, calendar.local_date(self.due_at), extra_closed=extra_closed
        )

    @property
    def due_date(self) -> dt.date:
        return calendar.local_date(self.due_at)

    @property
    def was_met_late(self) -> bool:
        return (
            self.status == self.Status.MET and self.met_at is not None and self.met_at > self.due_at
        )

    @property
    def subject_reference(self) -> str:
        """A reference that names no person: safe in e-mail and notification text."""
        return f"{self.content_type.name} #{self.object_id}"


class Notification(models.Model):
    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Påminnelse")
        BREACH = "breach", _("Överskriden frist")
        ESCALATION = "escalation", _("Eskalering")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="deadline_notifications",
        verbose_name=_("användare"),
        # notification_user_idx (user, -created_at) serves every lookup by user; a second index
        # on user alone only made each sweep's notification INSERT slower.
        db_index=False,
        # No database constraint, as for `deadline` below: its check ran once per notification,
        # about a tenth of a national sweep (120,000 checks, 0.6 s). Users are deactivated, not
        # deleted, and Django's CASCADE runs in Python, so a deleted user still takes their
        # notifications along.
        db_constraint=False,
    )
    deadline = models.ForeignKey(
        Deadline,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("frist"),
        # No database constraint: checking it share-locks, i.e. rewrites, every deadline row the
        # sweep has just updated, once per notification (measured: a third of a national sweep).
        # Deadlines are never deleted by the application, and Django's CASCADE runs in Python,
        # so a deleted deadline still takes its notifications with it.
        db_constraint=False,
    )
    kind = models.CharField(_("typ"), max_length=20, choices=Kind.choices)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)
    read_at = models.DateTimeField(_("läst"), null=True, blank=True)

    class Meta:
        verbose_name = _("notis")
        verbose_name_plural = _("notiser")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="notification_user_idx")]

    def __str__(self) -> str:
        return self.text

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
