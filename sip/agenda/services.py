"""Writes of the calendar subscription."""

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from actors.models import User
from config.exceptions import ApplicationError
from sip.agenda.models import CalendarFeed, token_hash

# 32 random bytes: the token is the only thing guarding the feed, so it must not be guessable.
TOKEN_BYTES = 32


@transaction.atomic
def calendar_feed_rotate(*, user: User) -> str:
    """Make a new subscription link for the user; any earlier link stops working at once.

    Returns the token, which is not stored and cannot be shown again.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    feed = CalendarFeed.objects.select_for_update().filter(user=user).first() or CalendarFeed(
        user=user
    )
    feed.token_hash = token_hash(token)
    feed.created_at = timezone.now()
    feed._history_user = user
    feed.save()
    return token


@transaction.atomic
def calendar_feed_revoke(*, user: User) -> None:
    feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
    if feed is None:
        raise ApplicationError(_("Du har ingen prenumerationslänk att återkalla."))
    feed._history_user = user
    feed.delete()
