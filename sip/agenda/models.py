"""A user's calendar subscription: a secret token lets a calendar client read their meetings."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeed(models.Model):
    """One subscription link per user. Only a hash of the token is stored, so a copy of the
    database does not open anyone's calendar; the link is shown once, when it is made."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("användare"),
        on_delete=models.CASCADE,
        related_name="calendar_feed",
    )
    token_hash = models.CharField(_("nyckel (hash)"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("skapad"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kalenderprenumeration")
        verbose_name_plural = _("kalenderprenumerationer")

    def __str__(self) -> str:
        return str(self.user)
