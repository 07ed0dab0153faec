"""The managers' page of overdue and at-risk deadlines, its CSV export and its chart."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actors.models import Membership
from agreements.models import ClosedDay, DeadlineRule
from deadlines import calendar
from deadlines.models import Deadline
from deadlines.selectors import (
    OverdueState,
    deadline_breaches_per_week,
    deadline_list_overdue,
    managed_scope,
    overdue_rows,
)
from tests import factories
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db

# Wednesday 11 March 2026, 10:00 in Stockholm. "At risk" runs to the close of Friday 13 March.
NOW = dt.datetime(2026, 3, 11, 10, 0, tzinfo=calendar.STOCKHOLM)
TODAY = NOW.date()
URL = reverse("deadlines:overdue")


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def unit(manager):
    return manager.memberships.get().unit


def breached(unit, *, due: dt.date, **kwargs) -> Deadline:
    due_at = calendar.close_of_day(due)
    return factories.DeadlineFactory(
        responsible_unit=unit,
        status=Deadline.Status.BREACHED,
        started_at=due_at - dt.timedelta(days=7),
        due_at=due_at,
        breached_at=due_at + dt.timedelta(minutes=5),
        **kwargs,
    )


def open_due(unit, *, due_at: dt.datetime, **kwargs) -> Deadline:
    return factories.DeadlineFactory(
        responsible_unit=unit, started_at=due_at - dt.timedelta(days=7), due_at=due_at, **kwargs
    )


def overdue(manager) -> list[Deadline]:
    return list(deadline_list_overdue(scope=managed_scope(user=manager), now=NOW))


# --- who sees what --------------------------------------------------------------------------------


def test_a_manager_sees_a_breached_deadline_of_their_unit(client, manager, unit):
    deadline = breached(unit, due=dt.date(2026, 3, 6))
    login_verified(client, manager)

    response = client.get(URL)

    assert response.status_code == 200
    assert [row.deadline for row in response.context["rows"]] == [deadline]
    assert unit.name in response.text
    assert '<time datetime="2026-03-06T23:59:59+01:00">2026-03-06 23:59</time>' in response.text
    assert "3 sedan förfallodagen" in response.text


def test_a_coordinator_of_the_same_unit_is_refused(client, colleague, unit):
    breached(unit, due=dt.date(2026, 3, 6))
    login_verified(client, colleague)

    assert client.get(URL).status_code == 403
    assert client.get(reverse("deadlines:overdue_export")).status_code == 403


def test_a_manager_of_another_unit_does_not_see_the_deadline(client, unit, outsider):
    breached(unit, due=dt.date(2026, 3, 6))
    other = factories.MembershipFactory(role=Membership.Role.MANAGER).user
    login_verified(client, other)

    response = client.get(URL)

    assert response.status_code == 200
    assert response.context["rows"] == []


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_a_deadline_without_a_unit_shows_when_its_person_works_in_my_unit(manager, unit):
    person = factories.MembershipFactory(unit=unit).user
    stranger = factories.UserFactory()
    mine = breached(None, due=dt.date(2026, 3, 6), responsible_user=person)
    breached(None, due=dt.date(2026, 3, 6), responsible_user=stranger)

    assert overdue(manager) == [mine]


def test_a_deadline_without_a_unit_is_not_shown_once_its_person_has_left_my_unit(manager, unit):
    person = factories.MembershipFactory(unit=unit, is_active=False).user
    breached(None, due=dt.date(2026, 3, 6), responsible_user=person)

    assert overdue(manager) == []


def test_the_unit_filter_also_narrows_deadlines_without_a_unit_to_that_units_people(
    client, manager, unit
):
    second_unit = factories.MembershipFactory(user=manager, role=Membership.Role.MANAGER).unit
    person = factories.MembershipFactory(unit=second_unit).user
    theirs = breached(None, due=dt.date(2026, 3, 6), responsible_user=person)
    login_verified(client, manager)

    def listed(**params):
        return [row.deadline for row in client.get(URL, params).context["rows"]]

    assert listed() == [theirs]
    assert listed(unit=second_unit.pk) == [theirs]
    assert listed(unit=unit.pk) == []


def test_the_managers_units_and_their_people_are_read_in_one_query(
    manager, coordinator, unit, django_assert_num_queries
):
    second = factories.MembershipFactory(user=manager, role=Membership.Role.MANAGER).unit
    member = factories.MembershipFactory(unit=second).user
    factories.MembershipFactory(unit=second, is_active=False)
    factories.MembershipFactory(user=member, role=Membership.Role.MANAGER)  # not mine

    with django_assert_num_queries(1):
        scope = managed_scope(user=manager)

    assert set(scope.units) == {unit, second}
    assert scope.members == {
        unit.pk: frozenset({manager.pk, coordinator.pk}),
        second.pk: frozenset({manager.pk, member.pk}),
    }


# --- overdue, at risk, age ------------------------------------------------------------------------


def test_at_risk_ends_at_the_close_of_the_second_working_day_ahead(manager, unit):
    inside = open_due(unit, due_at=calendar.close_of_day(dt.date(2026, 3, 13)))
    open_due(unit, due_at=calendar.close_of_day(dt.date(2026, 3, 13)) + dt.timedelta(seconds=1))
    open_due(unit, due_at=calendar.close_of_day(dt.date(2026, 3, 16)))

    rows = overdue_rows(deadlines=overdue(manager), today=TODAY)

    assert [(row.deadline, row.state, row.working_days) for row in rows] == [
        (inside, OverdueState.AT_RISK, 2)
    ]


def test_an_open_deadline_one_second_past_due_counts_as_overdue_before_the_sweep(manager, unit):
    late = open_due(unit, due_at=NOW - dt.timedelta(seconds=1))
    on_time = open_due(unit, due_at=NOW)

    rows = overdue_rows(deadlines=overdue(manager), today=TODAY)

    assert {row.deadline: row.state for row in rows} == {
        late: OverdueState.OVERDUE,
        on_time: OverdueState.AT_RISK,
    }


def test_met_waived_and_cancelled_deadlines_are_not_listed(manager, unit):
    for status in (Deadline.Status.MET, Deadline.Status.WAIVED, Deadline.Status.CANCELLED):
        open_due(unit, due_at=NOW - dt.timedelta(days=3), status=status)
    assert overdue(manager) == []


def test_the_age_is_counted_in_working_days_since_the_due_date(manager, unit):
    # Due Friday 6 March: Monday, Tuesday and Wednesday have passed since.
    friday = breached(unit, due=dt.date(2026, 3, 6))
    rule = factories.DeadlineRuleFactory()
    ClosedDay.objects.create(agreement=rule.agreement, date=dt.date(2026, 3, 10), reason="Stängt")
    with_closed_day = breached(unit, due=dt.date(2026, 3, 6), rule=rule)

    rows = overdue_rows(deadlines=overdue(manager), today=TODAY)

    ages = {row.deadline: row.working_days for row in rows}
    assert ages[friday] == 3
    # The agreement closed Tuesday 10 March: one working day fewer.
    assert ages[with_closed_day] == 2


# --- filters --------------------------------------------------------------------------------------


def test_the_filters_narrow_by_unit_kind_and_state(client, manager, unit):
    second_unit = factories.MembershipFactory(user=manager, role=Membership.Role.MANAGER).unit
    kallelse = breached(unit, due=dt.date(2026, 3, 6))
    meeting = breached(
        unit, due=dt.date(2026, 3, 6), rule=factories.DeadlineRuleFactory(kind="sip_mote")
    )
    at_risk = open_due(unit, due_at=calendar.close_of_day(dt.date(2026, 3, 12)))
    elsewhere = breached(second_unit, due=dt.date(2026, 3, 6))
    login_verified(client, manager)

    def listed(**params):
        return {row.deadline for row in client.get(URL, params).context["rows"]}

    assert listed() == {kallelse, meeting, at_risk, elsewhere}
    assert listed(unit=second_unit.pk) == {elsewhere}
    assert listed(kind="sip_mote") == {meeting}
    assert listed(state="at_risk") == {at_risk}
    assert listed(state="overdue", unit=unit.pk) == {kallelse, meeting}


def test_a_unit_i_do_not_manage_is_refused_at_the_form_and_shows_only_my_units(
    client, manager, unit
):
    mine = breached(unit, due=dt.date(2026, 3, 6))
    foreign = factories.UnitFactory()
    breached(foreign, due=dt.date(2026, 3, 6))
    login_verified(client, manager)

    response = client.get(URL, {"unit": foreign.pk})

    assert response.status_code == 200
    assert response.context["form"].errors["unit"]
    assert [row.deadline for row in response.context["rows"]] == [mine]


# --- the page -------------------------------------------------------------------------------------


def test_the_page_links_a_subject_that_has_a_page_and_names_one_that_has_not(client, manager, unit):
    case = factories.CaseFactory(convening_unit=unit)
    breached(unit, due=dt.date(2026, 3, 6), subject=case)
    plain_subject = factories.UnitFactory(name="Ämne utan sida")
    breached(unit, due=dt.date(2026, 3, 5), subject=plain_subject)
    login_verified(client, manager)

    response = client.get(URL)

    assert f'<a href="{case.get_absolute_url()}">{case.reference}</a>' in response.text
    assert "Ämne utan sida" in response.text
    assert '<a href="">' not in response.text


def test_the_page_groups_rows_by_unit_and_then_by_kind(client, manager, unit):
    second_unit = factories.MembershipFactory(
        user=manager, role=Membership.Role.MANAGER, unit__name="Ö-enheten"
    ).unit
    meeting_rule = factories.DeadlineRuleFactory(kind=DeadlineRule.Kind.MEETING)
    breached(second_unit, due=dt.date(2026, 3, 4))
    breached(unit, due=dt.date(2026, 3, 5), rule=meeting_rule)
    breached(unit, due=dt.date(2026, 3, 4))
    login_verified(client, manager)

    rows = client.get(URL).context["rows"]

    assert [(row.unit_name, row.deadline.kind) for row in rows] == [
        (unit.name, DeadlineRule.Kind.KALLELSE),
        (unit.name, DeadlineRule.Kind.MEETING),
        ("Ö-enheten", DeadlineRule.Kind.KALLELSE),
    ]


def test_the_page_paginates(client, manager, unit):
    rule = factories.DeadlineRuleFactory()
    for n in range(51):
        breached(unit, due=dt.date(2026, 3, 6) - dt.timedelta(days=n), rule=rule)
    login_verified(client, manager)

    first = client.get(URL)
    second = client.get(URL, {"sida": 2})

    assert len(first.context["rows"]) == 50
    assert len(second.context["rows"]) == 1
    assert "Sida 2 av 2" in second.text


def test_the_page_query_count_is_the_same_for_10_and_200_deadlines(client, manager, unit):
    rule = factories.DeadlineRuleFactory()
    login_verified(client, manager)
    client.get(URL)  # a first request may refresh the session; the measured ones compare alike
    counts = []
    for total in (10, 200):
        while Deadline.objects.count() < total:
            case = factories.CaseFactory(convening_unit=unit, agreement=rule.agreement)
            n = Deadline.objects.count()
            breached(unit, due=dt.date(2026, 3, 6) - dt.timedelta(days=n), rule=rule, subject=case)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL)
        assert response.status_code == 200
        assert response.context["counts"]["overdue"] == total
        counts.append(len(queries))
    # The scope, the counts (also the paginator's total), the page, its subjects, closed days,
    # the chart; the session, user, TOTP device, roles, session save and savepoints.
    assert counts[0] == counts[1] <= 15


def test_the_chart_counts_breaches_per_week_with_an_accessible_text_alternative(
    client, manager, unit
):
    # Each is breached five minutes after its due day ends: two in the week of Monday 2 March,
    # one in this week (Monday 9 March).
    breached(unit, due=dt.date(2026, 3, 4))
    breached(unit, due=dt.date(2026, 3, 2))
    breached(unit, due=dt.date(2026, 3, 10))
    old = breached(unit, due=dt.date(2025, 6, 2))  # more than 26 weeks ago
    login_verified(client, manager)

    weeks = deadline_breaches_per_week(scope=managed_scope(user=manager), now=NOW)
    response = client.get(URL)

    assert len(weeks) == 26
    assert weeks[-1].week_start == dt.date(2026, 3, 9)
    assert weeks[-1].count == 1
    assert weeks[-2].week_start == dt.date(2026, 3, 2)
    assert weeks[-2].count == 2
    assert sum(week.count for week in weeks) == 3
    assert old.breached_at.date() < weeks[0].week_start
    assert '<svg class="breach-chart"' in response.text
    assert '<title id="breach-chart-title">' in response.text
    assert '<desc id="breach-chart-desc">3 överskridna frister' in response.text
    assert '<table class="visually-hidden">' in response.text
    assert '<th scope="row">2026-v11</th><td>1</td>' in response.text


def test_the_page_has_no_inline_script_or_style(client, manager, unit):
    breached(unit, due=dt.date(2026, 3, 6))
    login_verified(client, manager)
    text = client.get(URL).text
    assert "style=" not in text
    assert "<script>" not in text


# --- CSV ------------------------------------------------------------------------------------------


def export_rows(client, **params) -> list[list[str]]:
    response = client.get(reverse("deadlines:overdue_export"), params)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))


def test_the_export_streams_the_filtered_rows_with_their_age(client, manager, unit):
    person = factories.UserFactory(first_name="Eva", last_name="Ek")
    breached(unit, due=dt.date(2026, 3, 6), responsible_user=person)
    open_due(unit, due_at=calendar.close_of_day(dt.date(2026, 3, 12)))
    login_verified(client, manager)

    header, *rows = export_rows(client, state="overdue")

    assert header[0] == "Verksamhet"
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["Verksamhet"] == unit.name
    assert row["Läge"] == "Överskriden"
    assert row["Förfaller"] == "2026-03-06 23:59"
    assert row["Arbetsdagar sedan förfallodag / kvar"] == "3"
    assert row["Ansvarig person"] == "Eva Ek"


def test_the_export_defuses_cells_that_a_spreadsheet_would_run_as_formulas(client, manager):
    unit = manager.memberships.get().unit
    unit.name = "=HYPERLINK(1)"
    unit.save()
    breached(unit, due=dt.date(2026, 3, 6))
    login_verified(client, manager)

    _header, row = export_rows(client)

    assert row[0] == "'=HYPERLINK(1)"


def test_the_export_uses_a_fixed_number_of_queries(client, manager, unit):
    rule = factories.DeadlineRuleFactory()
    login_verified(client, manager)
    export_rows(client)  # a first request may refresh the session; the measured ones compare
    counts = []
    for total in (10, 60):
        while Deadline.objects.count() < total:
            n = Deadline.objects.count()
            breached(unit, due=dt.date(2026, 3, 6) - dt.timedelta(days=n), rule=rule)
        with CaptureQueriesContext(connection) as queries:
            rows = export_rows(client)
        assert len(rows) == total + 1
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 13
