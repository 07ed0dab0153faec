"""Reads of deadlines and notifications. Access to a subject is the calling app's check."""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from actors.models import User
from deadlines.models import Deadline, Notification


def deadline_list_for_subject(*, subject: models.Model) -> QuerySet[Deadline]:
    content_type = ContentType.objects.get_for_model(subject)
    return (
        Deadline.objects.filter(content_type=content_type, object_id=subject.pk)
        .select_related("rule", "responsible_unit", "responsible_user")
        .order_by("due_at", "pk")
    )


def deadline_open_for_subject(*, subject: models.Model, kind: str) -> Deadline | None:
    """The unresolved deadline of a kind: open, or breached and still waiting to be met."""
    return (
        deadline_list_for_subject(subject=subject)
        .filter(kind=kind, status__in=Deadline.UNRESOLVED)
        .first()
    )


def notification_list_for_user(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
