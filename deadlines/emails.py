"""Swedish texts and e-mails about deadlines. Texts name no person: only the kind of deadline,
its due time and a neutral reference to what it concerns."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import EscalationLevel
from deadlines.models import Deadline, Notification

logger = logging.getLogger(__name__)

_SUBJECTS = {
    Notification.Kind.REMINDER: lambda: _("Påminnelse: frist går snart ut"),
    Notification.Kind.BREACH: lambda: _("Frist överskriden"),
    Notification.Kind.ESCALATION: lambda: _("Överskriden frist har eskalerats"),
}


@dataclass(frozen=True)
class Outgoing:
    kind: str
    deadline: Deadline
    level: EscalationLevel | None
    text: str
    to: list[str]


def _due_display(deadline: Deadline) -> str:
    return timezone.localtime(deadline.due_at).strftime("%Y-%m-%d %H:%M")


def notification_text(*, kind: str, deadline: Deadline, level: EscalationLevel | None) -> str:
    values = {
        "kind": deadline.rule.get_kind_display(),
        "reference": deadline.subject_reference,
        "due": _due_display(deadline),
    }
    if kind == Notification.Kind.REMINDER:
        return _("Påminnelse: fristen för %(kind)s (%(reference)s) går ut %(due)s.") % values
    if kind == Notification.Kind.BREACH:
        return (
            _("Fristen för %(kind)s (%(reference)s) gick ut %(due)s utan att uppfyllas.") % values
        )
    values["level"] = level.name if level else str(deadline.escalation_level)
    return (
        _(
            "Den överskridna fristen för %(kind)s (%(reference)s, förföll %(due)s) har lyfts till: "
            "%(level)s."
        )
        % values
    )


def send_all(outbox: list[Outgoing]) -> None:
    """Send each message on one shared connection; a failure is logged and the loop goes on."""
    connection = get_connection()
    for message in outbox:
        context = {
            "deadline": message.deadline,
            "kind": message.deadline.rule.get_kind_display(),
            "reference": message.deadline.subject_reference,
            "due": _due_display(message.deadline),
            "level": message.level,
            "text": message.text,
        }
        try:
            mail = EmailMultiAlternatives(
                subject=str(_SUBJECTS[message.kind]()),
                body=render_to_string(f"emails/deadlines/{message.kind}.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=message.to,
                connection=connection,
            )
            mail.attach_alternative(
                render_to_string(f"emails/deadlines/{message.kind}.html", context), "text/html"
            )
            mail.send()
        except Exception:
            # The claim is already committed: one bad address must not stop the others.
            logger.exception(
                "Could not send %s e-mail for deadline %s", message.kind, message.deadline.pk
            )
