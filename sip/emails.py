"""Kallelse e-mails with the .ics attached. Queued with on_commit so a rollback sends nothing.

Texts carry the case reference, never the person's name: e-mail leaves the system unencrypted.
"""

import logging
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from sip.ics import Method, meeting_ics, meeting_summary
from sip.models import Meeting
from sip.selectors import meeting_recipients

logger = logging.getLogger(__name__)

__all__ = ["Method", "kallelse_messages", "send_kallelse", "send_kallelse_on_commit"]


def _calendar_part(ics: bytes, method: Method) -> MIMEText:
    part = MIMEText(ics.decode("utf-8"), "calendar", "utf-8")
    part.set_param("method", method.value)
    part.add_header("Content-Disposition", "attachment", filename="kallelse.ics")
    return part


def kallelse_messages(*, meeting: Meeting, method: Method) -> list[EmailMultiAlternatives]:
    """One message per recipient, each carrying the same invitation with every attendee."""
    recipients = meeting_recipients(meeting=meeting)
    if not recipients:
        return []
    # Every recipient sees the attendee list: a protected identity is not listed in it.
    listed = meeting_recipients(
        meeting=meeting, with_person=not meeting.case.individual.protected_identity
    )
    ics = meeting_ics(meeting=meeting, recipients=listed, method=method)
    if method == Method.CANCEL:
        subject = _("Inställt: %s") % meeting_summary(meeting)
    elif meeting.sequence:
        subject = _("Ändrad tid/plats: %s") % meeting_summary(meeting)
    else:
        subject = _("Kallelse: %s") % meeting_summary(meeting)
    context = {"meeting": meeting, "case": meeting.case, "cancelled": method == Method.CANCEL}
    body = render_to_string("emails/sip/kallelse.txt", context)
    html = render_to_string("emails/sip/kallelse.html", context)
    reply_to = [meeting.case.coordinator.email] if meeting.case.coordinator.email else []
    messages = []
    for recipient in recipients:
        message = EmailMultiAlternatives(
            subject=subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[recipient.email],
            reply_to=reply_to,
        )
        message.attach_alternative(html, "text/html")
        message.attach(_calendar_part(ics, method))
        messages.append(message)
    return messages


def send_kallelse(*, meeting_id: int, method: Method) -> int:
    meeting = Meeting.objects.select_related(
        "case__individual", "case__coordinator", "case__convening_unit"
    ).get(pk=meeting_id)
    messages = kallelse_messages(meeting=meeting, method=method)
    if messages:
        get_connection().send_messages(messages)
    logger.info("kallelse %s for meeting %s sent to %d", method, meeting_id, len(messages))
    return len(messages)


def send_kallelse_on_commit(*, meeting_id: int, method: Method) -> None:
    transaction.on_commit(lambda: send_kallelse(meeting_id=meeting_id, method=method))
