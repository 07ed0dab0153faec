"""My calendar: week and month grids, clashes, and the .ics subscription feed."""

import datetime as dt

import icalendar
import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sip import services
from sip.agenda.grid import Entry, mark_clashes, month_grid, parse_iso_week
from sip.agenda.models import CalendarFeed, token_hash
from sip.models import Meeting
from tests import factories
from tests.helpers import login_verified
from tests.sip.conftest import at

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 17, 9)


def entry(start_hour, end_hour, day=17):
    return Entry(
        starts_at=at(2026, 6, day, start_hour),
        ends_at=at(2026, 6, day, end_hour),
        label=f"{start_hour}-{end_hour}",
        kind="mine",
    )


# --- the grids ------------------------------------------------------------------------------------


def test_overlapping_entries_clash_and_back_to_back_ones_do_not():
    marked = mark_clashes([entry(13, 15), entry(9, 10), entry(10, 11), entry(14, 16)])

    assert [(e.label, e.clashes) for e in marked] == [
        ("9-10", False),
        ("10-11", False),
        ("13-15", True),
        ("14-16", True),
    ]


def test_a_month_grid_is_whole_weeks_from_monday_with_outside_days_marked():
    weeks = month_grid(
        first=dt.date(2026, 6, 1), entries=[entry(9, 10)], today=dt.date(2026, 6, 17)
    )

    assert len(weeks) == 5
    assert weeks[0][0].date == dt.date(2026, 6, 1)
    assert weeks[-1][-1].date == dt.date(2026, 7, 5)
    assert not weeks[-1][-1].in_month
    day = weeks[2][2]
    assert (day.date, day.is_today, len(day.entries)) == (dt.date(2026, 6, 17), True, 1)


def test_an_unreadable_week_falls_back_to_the_week_of_today():
    assert parse_iso_week("vecka 25", default=dt.date(2026, 6, 17)) == dt.date(2026, 6, 15)
    assert parse_iso_week("2026-W27", default=dt.date(2026, 6, 17)) == dt.date(2026, 6, 29)


# --- the pages ------------------------------------------------------------------------------------


def week_entries(client, user, week="2026-W26"):
    with time_machine.travel(NOW, tick=False):
        login_verified(client, user)
        response = client.get(reverse("sip:calendar_week"), {"vecka": week})
    return [e for day in response.context["days"] for e in day.entries], response


def test_my_week_shows_my_meetings_and_not_other_peoples(
    client, coordinator, colleague, outsider, convened, bup
):
    bup_member = factories.MembershipFactory(unit=bup).user

    mine, response = week_entries(client, coordinator)

    assert [e.label for e in mine] == [f"SIP-möte – {convened.case.reference}"]
    assert "tisdag" in response.content.decode()
    assert len(week_entries(client, bup_member)[0]) == 1
    assert week_entries(client, colleague)[0] == []
    assert week_entries(client, outsider)[0] == []


def test_a_cancelled_meeting_leaves_my_calendar(client, coordinator, convened):
    with time_machine.travel(NOW, tick=False):
        services.meeting_cancel(meeting=convened, reason="Sjukdom", by=coordinator)

    assert week_entries(client, coordinator)[0] == []


def test_the_month_shows_my_meetings_on_their_days(client, coordinator, convened):
    with time_machine.travel(NOW, tick=False):
        login_verified(client, coordinator)
        response = client.get(reverse("sip:calendar_month"), {"manad": "2026-06"})

    days = {day.date: day for week in response.context["weeks"] for day in week}
    assert len(days[dt.date(2026, 6, 23)].entries) == 1
    assert convened.case.reference in response.content.decode()
    assert response.context["next"] == "2026-07"


@pytest.mark.parametrize("name", ["sip:calendar_week", "sip:calendar_month"])
def test_calendar_pages_run_the_same_queries_for_10_and_200_meetings(
    client, coordinator, consented, name, django_assert_max_num_queries
):
    counts = []
    login_verified(client, coordinator)
    for added in (10, 190):
        factories.MeetingFactory.create_batch(
            added, case=consented, starts_at=at(2026, 6, 23, 9), kallelse_sent_at=NOW
        )
        with django_assert_max_num_queries(12), CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(name), {"vecka": "2026-W26", "manad": "2026-06"})
        assert response.status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


# --- the subscription -----------------------------------------------------------------------------


def make_link(client, user):
    login_verified(client, user)
    client.post(reverse("sip:calendar_subscription"), {"skapa": "1"})
    response = client.get(reverse("sip:calendar_subscription"))
    return response.context["feed_url"], response


def test_a_new_link_is_shown_once_and_only_its_hash_is_stored(client, coordinator):
    url, response = make_link(client, coordinator)

    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 40
    assert url == f"http://testserver{reverse('sip:calendar_feed', args=[token])}"
    assert response["Referrer-Policy"] == "no-referrer"
    assert CalendarFeed.objects.get(user=coordinator).token_hash == token_hash(token)
    assert not CalendarFeed.objects.filter(token_hash=token).exists()
    assert client.get(reverse("sip:calendar_subscription")).context["feed_url"] == ""


def test_a_new_link_replaces_the_old_one_and_revoking_stops_it(client, coordinator, convened):
    old, _response = make_link(client, coordinator)
    new, _response = make_link(client, coordinator)
    anonymous = Client()

    assert anonymous.get(old).status_code == 404
    assert anonymous.get(new).status_code == 200

    client.post(reverse("sip:calendar_subscription"), {"aterkalla": "1"})

    assert anonymous.get(new).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_revoking_without_a_link_says_so_in_swedish(client, coordinator):
    login_verified(client, coordinator)

    response = client.post(reverse("sip:calendar_subscription"), {"aterkalla": "1"}, follow=True)

    assert "Du har ingen prenumerationslänk att återkalla." in response.content.decode()


def test_the_feed_has_my_meetings_with_no_names_or_personal_numbers(client, coordinator, convened):
    url, _response = make_link(client, coordinator)
    individual = convened.case.individual

    with time_machine.travel(NOW, tick=False):
        response = Client().get(url)

    body = response.content.decode()
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    [event] = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["SUMMARY"]) == f"SIP-möte – {convened.case.reference}"
    assert event.decoded("DTSTART") == at(2026, 6, 23, 13)
    assert str(event["LOCATION"]) == "Familjecentralen, rum 2"
    for private in (individual.id_number, individual.id_number[2:8], individual.last_name):
        assert private not in body
    for guardian in individual.guardians.all():
        assert guardian.name not in body
    assert "ATTENDEE" not in body
    assert "ORGANIZER" not in body
    assert "mailto:" not in body


def test_a_wrong_token_or_an_inactive_user_gets_404(client, coordinator):
    url, _response = make_link(client, coordinator)
    anonymous = Client()

    assert anonymous.get(reverse("sip:calendar_feed", args=["gissning"])).status_code == 404
    coordinator.is_active = False
    coordinator.save()
    assert anonymous.get(url).status_code == 404


def test_the_feed_runs_the_same_queries_for_10_and_200_meetings(
    client, coordinator, consented, django_assert_max_num_queries
):
    url, _response = make_link(client, coordinator)
    anonymous = Client()
    counts = []
    for added in (10, 190):
        factories.MeetingFactory.create_batch(added, case=consented)
        with django_assert_max_num_queries(4), CaptureQueriesContext(connection) as queries:
            response = anonymous.get(url)
        counts.append(len(queries))

    assert len(icalendar.Calendar.from_ical(response.content).walk("VEVENT")) == 200
    assert counts[0] == counts[1]
    assert Meeting.objects.count() == 200
