"""iCalendar (.ics) invitations: METHOD:REQUEST for new and moved meetings, CANCEL for cancelled.

The UID is stable per meeting and SEQUENCE grows with every change, so calendar clients update the
entry they already have instead of adding a new one. Texts name no person: calendars are widely
shared, so the case reference stands in for the name.
"""

import enum
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress

from deadlines.calendar import STOCKHOLM
from sip.models import Meeting
from sip.selectors import Recipient


class Method(enum.StrEnum):
    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


def meeting_uid(meeting: Meeting) -> str:
    return f"{meeting.uid}@samordna"


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = name
    for key, value in params.items():
        address.params[key] = value
    return address


def meeting_summary(meeting: Meeting) -> str:
    return _("%(kind)s – %(reference)s") % {
        "kind": meeting.get_kind_display(),
        "reference": meeting.case.reference,
    }


def _event(meeting: Meeting) -> Event:
    """The parts of a meeting every calendar entry carries: when, where, what, and its identity."""
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", meeting.starts_at.astimezone(STOCKHOLM))
    event.add("dtend", meeting.ends_at.astimezone(STOCKHOLM))
    event.add("summary", meeting_summary(meeting))
    if meeting.place:
        event.add("location", meeting.place)
    if meeting.video_link:
        event.add("url", meeting.video_link)
    return event


def _calendar(**properties: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Samordna//SIP//SV")
    calendar.add("version", "2.0")
    for key, value in properties.items():
        calendar.add(key, value)
    return calendar


def meeting_ics(*, meeting: Meeting, recipients: list[Recipient], method: Method) -> bytes:
    organiser = meeting.case.coordinator
    calendar = _calendar(method=method.value)
    event = _event(meeting)
    event.add(
        "description",
        _("Kallelse till %(kind)s. Kallande verksamhet: %(unit)s. Kontakt: %(contact)s.")
        % {
            "kind": meeting.get_kind_display(),
            "unit": meeting.case.convening_unit.name,
            "contact": str(organiser),
        },
    )
    event.add("status", "CANCELLED" if method == Method.CANCEL else "CONFIRMED")
    event.add(
        "organizer",
        _address(organiser.email or settings.DEFAULT_FROM_EMAIL, str(organiser)),
    )
    for recipient in recipients:
        event.add(
            "attendee",
            _address(
                recipient.email,
                recipient.name,
                ROLE=recipient.role,
                PARTSTAT="NEEDS-ACTION",
                RSVP="TRUE",
            ),
        )
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def meetings_feed_ics(*, meetings: Iterable[Meeting], name: str) -> bytes:
    """A subscription feed: each meeting with time, place and case reference only. No names, no
    addresses, no attendees: the feed is read by calendar services outside the organisation."""
    calendar = _calendar(**{"x-wr-calname": name, "x-published-ttl": "PT1H"})
    for meeting in meetings:
        event = _event(meeting)
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
