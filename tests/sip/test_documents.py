import datetime as dt
import io

import icalendar
import pytest
import time_machine
from django.core import mail
from pypdf import PdfReader

from deadlines.calendar import STOCKHOLM
from sip import services
from sip.emails import Method
from sip.ics import meeting_ics
from sip.pdf import kallelse_letter_pdf, plan_pdf
from sip.selectors import meeting_recipients, plan_get
from tests.sip.conftest import at

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    """The text of every page with line breaks folded, so wrapped table cells read as one line."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def test_the_kallelse_ics_parses_and_carries_attendees_and_local_time(convened):
    message = mail.outbox[0]
    part = message.attachments[0]
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    assert calendar["METHOD"] == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    start = event.decoded("DTSTART")
    assert start == at(2026, 6, 23, 13)
    assert start.tzinfo.key == "Europe/Stockholm"
    assert (start.hour, start.utcoffset()) == (13, dt.timedelta(hours=2))
    assert event.decoded("DTEND") == at(2026, 6, 23, 14, 30)
    attendees = sorted(str(a) for a in event.get("ATTENDEE"))
    guardians = sorted(f"mailto:{g.email}" for g in convened.case.individual.guardians.all())
    assert attendees == sorted(
        ["mailto:bup@example.se", "mailto:tallbacken@example.se", *guardians]
    )
    assert str(event["UID"]) == f"{convened.uid}@samordna"
    assert event["SEQUENCE"] == 0
    # Calendars are widely shared: the person's name stays out of the invitation.
    assert "Astrid" not in calendar.to_ical().decode()


def test_the_ics_uid_is_stable_and_a_winter_meeting_keeps_local_time(convened, coordinator):
    with time_machine.travel(at(2026, 6, 17, 9), tick=False):
        services.meeting_reschedule(
            meeting=convened,
            starts_at=dt.datetime(2026, 12, 1, 9, 30, tzinfo=STOCKHOLM),
            duration_minutes=60,
            place="Rum 3",
            by=coordinator,
        )
    convened.refresh_from_db()
    ics = meeting_ics(
        meeting=convened, recipients=meeting_recipients(meeting=convened), method=Method.REQUEST
    )
    event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
    assert str(event["UID"]) == f"{convened.uid}@samordna"
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(hours=1)
    assert event.decoded("DTSTART").hour == 9


def test_the_plan_pdf_holds_the_name_and_the_interventions(held, coordinator, unit, bup):
    data = services.PlanData(
        needs="Stöd i skolan.",
        own_goals="Att må bättre och gå i skolan.",
        lead_name="Karin Ek",
        lead_unit=unit,
        coordinator_name="Karin Ek",
        coordinator_unit=unit,
        other_measures="Mormor hjälper till med skjuts.",
        next_follow_up=dt.date(2026, 9, 1),
        interventions=[
            services.InterventionData(
                description="Samtalsbehandling KBT",
                unit=bup,
                performer="Psykolog på BUP",
                scope="En gång i veckan",
                starts_on=dt.date(2026, 7, 1),
                ends_on=dt.date(2026, 12, 31),
                follow_up="Skattningsskala vid uppföljning",
            )
        ],
        no_interventions=[
            services.NoInterventionData(unit=unit, reason="Inga behov hos oss just nu.")
        ],
    )
    with time_machine.travel(at(2026, 6, 24, 9), tick=False):
        services.plan_save(case=held.case, data=data, by=coordinator)
    text = pdf_text(plan_pdf(plan=plan_get(case=held.case)))
    assert "Samordnad individuell plan" in text
    assert "Astrid Lindqvist" in text
    assert "Samtalsbehandling KBT" in text
    assert "Psykolog på BUP" in text
    assert "En gång i veckan" in text
    assert "Huvudansvarig: Karin Ek" in text
    assert "Inga behov hos oss just nu." in text
    assert "Underskrift" in text


def test_the_kallelse_letter_is_addressed_to_the_unit_and_names_the_person(convened):
    school = convened.case.participants.get(unit__name="Tallbackens skola")
    assert school.needs_letter
    text = pdf_text(kallelse_letter_pdf(meeting=convened, participant=school))
    assert "Tallbackens skola" in text
    assert "Skolvägen 1" in text
    assert "Astrid Lindqvist" in text
    assert "13:00–14:30" in text
    assert "Familjecentralen, rum 2" in text


def test_the_letter_never_prints_a_protected_persons_address(convened):
    individual = convened.case.individual
    individual.address = "Hemliga gatan 7"
    individual.protected_residence = True
    individual.save()
    school = convened.case.participants.get(unit__name="Tallbackens skola")
    assert "Hemliga gatan" not in pdf_text(
        kallelse_letter_pdf(meeting=convened, participant=school)
    )
