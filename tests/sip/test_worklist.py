"""Mina ärenden: the worklist selector (next deadline, roles, search) and its page."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models import DeadlineRule
from sip import services
from sip.models import Case
from sip.workspace.selectors import (
    CaseFilters,
    Role,
    case_worklist,
    case_worklist_ids,
    deadline_signal,
    worklist_rows,
)
from tests import factories
from tests.helpers import login_verified
from tests.sip.conftest import at

pytestmark = pytest.mark.django_db

# Including the one INSERT of the access-log entries for the cases shown.
WORKLIST_MAX_QUERIES = 14


def rows_at(user, when, **filters):
    with time_machine.travel(when, tick=False):
        ids = case_worklist_ids(user=user, filters=CaseFilters(**filters))
        cases = case_worklist(user=user, ids=ids)
        return worklist_rows(cases=cases, user=user, now=when)


# --- the deadline signal --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "days_left", "level"),
    [
        # Consent Friday 12 June 2026: kallelse due Monday 22 June (Midsummer Eve is closed).
        (at(2026, 6, 16, 9), 3, "green"),
        (at(2026, 6, 17, 9), 2, "amber"),
        (at(2026, 6, 18, 9), 1, "amber"),
        (at(2026, 6, 22, 23, 59, 59), 0, "amber"),
        (at(2026, 6, 23, 0, 0, 0), -1, "red"),
        (at(2026, 6, 25, 9), -3, "red"),
    ],
)
def test_the_next_deadline_shows_working_days_left_and_turns_amber_then_red(
    coordinator, consented, now, days_left, level
):
    [row] = rows_at(coordinator, now)

    assert row.signal.kind == DeadlineRule.Kind.KALLELSE
    assert row.signal.due_at == at(2026, 6, 22, 23, 59, 59)
    assert (row.signal.days_left, row.signal.level) == (days_left, level)


def test_an_extra_closed_day_of_the_agreement_counts_as_no_working_day(coordinator, consented):
    factories.ClosedDayFactory(agreement=consented.agreement, date=dt.date(2026, 6, 17))

    [row] = rows_at(coordinator, at(2026, 6, 16, 9))

    assert row.signal.days_left == 2
    assert row.signal.level == "amber"


def test_a_signal_is_red_the_second_after_the_due_moment_even_on_the_same_day():
    due = at(2026, 6, 22, 12)

    assert deadline_signal(kind="kallelse", due_at=due, now=due).level == "amber"
    assert (
        deadline_signal(kind="kallelse", due_at=due, now=due + dt.timedelta(seconds=1)).level
        == "red"
    )


def test_the_next_deadline_moves_on_when_the_kallelse_is_sent(coordinator, convened):
    [row] = rows_at(coordinator, at(2026, 6, 17, 9))

    assert row.signal.kind == DeadlineRule.Kind.MEETING
    assert row.signal.due_at == at(2026, 6, 29, 23, 59, 59)
    assert row.signal.days_left == 7


def test_a_case_without_open_deadlines_has_no_signal(coordinator, case):
    [row] = rows_at(coordinator, at(2026, 6, 2, 9))

    assert row.signal is None


# --- who sees what, and in which role -------------------------------------------------------------


def test_the_owner_and_colleague_see_the_case_and_the_outsider_does_not(
    coordinator, colleague, outsider, case
):
    when = at(2026, 6, 2, 9)

    assert [row.case for row in rows_at(coordinator, when)] == [case]
    assert [row.case for row in rows_at(colleague, when)] == [case]
    assert rows_at(outsider, when) == []


def test_each_row_names_the_users_roles_in_the_case(coordinator, colleague, consented, bup):
    bup_member = factories.MembershipFactory(unit=bup).user
    when = at(2026, 6, 16, 9)

    assert rows_at(coordinator, when)[0].roles == [Role.CONVENER]
    assert rows_at(colleague, when)[0].roles == []
    assert rows_at(bup_member, when)[0].roles == [Role.PARTICIPANT]


def test_the_lead_and_plan_coordinator_units_are_roles_too(coordinator, held, unit, bup):
    bup_member = factories.MembershipFactory(unit=bup).user
    with time_machine.travel(at(2026, 6, 24, 10), tick=False):
        services.plan_save(
            case=held.case,
            data=services.PlanData(
                needs="Stöd i skolan",
                lead_name="Britt BUP",
                lead_unit=bup,
                coordinator_name="Karin Ek",
                coordinator_unit=unit,
            ),
            by=coordinator,
        )
    when = at(2026, 6, 25, 9)

    assert rows_at(bup_member, when)[0].roles == [Role.LEAD, Role.PARTICIPANT]
    assert rows_at(coordinator, when)[0].roles == [Role.CONVENER, Role.COORDINATOR]
    assert [r.case for r in rows_at(bup_member, when, role=Role.LEAD)] == [held.case]
    assert rows_at(bup_member, when, role=Role.COORDINATOR) == []


# --- search and filters ---------------------------------------------------------------------------


@pytest.fixture
def two_cases(case, coordinator, unit, agreement, municipality):
    other_person = factories.IndividualFactory(
        home_municipality=municipality,
        first_name="Nils",
        last_name="Holgersson",
        birth_date=dt.date(2012, 1, 5),
        id_number=factories.personnummer(dt.date(2012, 1, 5), 5),
    )
    other = factories.CaseFactory(
        individual=other_person, agreement=agreement, convening_unit=unit, coordinator=coordinator
    )
    return case, other


@pytest.mark.parametrize(
    "query", ["astrid", "Lindqvist", "Astrid LINDQVIST", "lindq ast", "{number}", "{ten}", "{six}"]
)
def test_search_finds_a_case_by_name_or_personnummer(coordinator, two_cases, query):
    case, _other = two_cases
    number = case.individual.id_number
    query = query.format(number=number, ten=f"{number[2:8]}-{number[8:]}", six=number[2:8])

    found = rows_at(coordinator, at(2026, 6, 2, 9), query=query)

    assert [row.case for row in found] == [case]


def test_ended_cases_are_hidden_unless_asked_for(coordinator, two_cases):
    case, other = two_cases
    with time_machine.travel(at(2026, 6, 2, 9), tick=False):
        services.case_cancel(case=other, reason="Flyttat", by=coordinator)
    when = at(2026, 6, 2, 10)

    assert [row.case for row in rows_at(coordinator, when)] == [case]
    assert {row.case for row in rows_at(coordinator, when, status="alla")} == {case, other}
    assert [row.case for row in rows_at(coordinator, when, status=Case.Status.CANCELLED)] == [other]


def test_the_unit_filter_keeps_cases_the_unit_convenes_or_takes_part_in(
    coordinator, consented, bup, unit, agreement
):
    second_unit = factories.MembershipFactory(user=coordinator).unit
    elsewhere = factories.CaseFactory(
        agreement=agreement, convening_unit=second_unit, coordinator=coordinator
    )
    when = at(2026, 6, 16, 9)

    assert {r.case for r in rows_at(coordinator, when)} == {consented, elsewhere}
    assert [r.case for r in rows_at(coordinator, when, unit_id=unit.pk)] == [consented]
    assert [r.case for r in rows_at(coordinator, when, unit_id=second_unit.pk)] == [elsewhere]
    assert [r.case for r in rows_at(coordinator, when, unit_id=bup.pk)] == [consented]


# --- order and the two reads ----------------------------------------------------------------------


@pytest.fixture
def four_cases(coordinator, unit, agreement, child):
    """Two cases with a deadline (the later opened one due last) and two without."""
    rule = agreement.rules.get(kind=DeadlineRule.Kind.KALLELSE)
    cases = {}
    for name, opened_day, due_day in (
        ("due_late", 1, 20),
        ("due_soon", 2, 10),
        ("none_new", 4, None),
        ("none_old", 3, None),
    ):
        case = factories.CaseFactory(
            convening_unit=unit,
            coordinator=coordinator,
            agreement=agreement,
            individual=child,
            opened_at=at(2026, 6, opened_day, 9),
        )
        if due_day:
            factories.DeadlineFactory(
                subject=case,
                rule=rule,
                responsible_unit=unit,
                started_at=at(2026, 6, 1, 9),
                due_at=at(2026, 6, due_day, 12),
            )
        cases[name] = case
    return cases


def test_cases_come_soonest_deadline_first_then_those_without_one_newest_first(
    coordinator, four_cases
):
    found = [row.case for row in rows_at(coordinator, at(2026, 6, 5, 9))]

    assert found == [four_cases[n] for n in ("due_soon", "due_late", "none_new", "none_old")]


def test_sorting_by_newest_ignores_the_deadlines(coordinator, four_cases):
    found = [row.case for row in rows_at(coordinator, at(2026, 6, 5, 9), sort="nyast")]

    assert found == [four_cases[n] for n in ("none_new", "none_old", "due_soon", "due_late")]


def test_a_page_of_ids_is_checked_against_the_access_rule_again(coordinator, outsider, four_cases):
    ids = case_worklist_ids(user=coordinator, filters=CaseFilters())

    assert [case.pk for case in case_worklist(user=coordinator, ids=ids[1:3])] == ids[1:3]
    assert case_worklist(user=outsider, ids=ids) == []


# --- the page -------------------------------------------------------------------------------------


def test_the_search_is_posted_and_kept_in_the_session_not_the_url(client, coordinator, two_cases):
    case, _other = two_cases
    login_verified(client, coordinator)

    response = client.post(reverse("sip:case_list"), {"q": case.individual.id_number, "status": ""})

    assert response.status_code == 302
    assert response.url == reverse("sip:case_list")
    page = client.get(response.url)
    assert [row.case for row in page.context["rows"]] == [case]
    assert case.individual.id_number not in page.request["QUERY_STRING"]
    assert f'value="{case.individual.id_number}"' in page.content.decode()


def test_clearing_the_search_shows_every_case_again(client, coordinator, two_cases):
    login_verified(client, coordinator)
    client.post(reverse("sip:case_list"), {"q": "Holgersson"})
    assert len(client.get(reverse("sip:case_list")).context["rows"]) == 1

    client.post(reverse("sip:case_list"), {"rensa": "1"})

    assert len(client.get(reverse("sip:case_list")).context["rows"]) == 2


def test_a_unit_that_is_not_mine_is_refused_in_swedish_and_the_filter_is_kept(
    client, coordinator, outsider, two_cases
):
    foreign = outsider.memberships.get().unit
    login_verified(client, coordinator)
    client.post(reverse("sip:case_list"), {"q": "Holgersson"})

    response = client.post(reverse("sip:case_list"), {"q": "Astrid", "unit": foreign.pk})

    assert response.status_code == 200
    assert "Välj ett giltigt alternativ" in response.content.decode()
    assert 'value="Astrid"' in response.content.decode()
    assert client.session["sip_worklist_filters"]["q"] == "Holgersson"


def test_a_refused_htmx_search_swaps_in_the_form_with_its_errors(client, coordinator, case):
    login_verified(client, coordinator)

    response = client.post(
        reverse("sip:case_list"), {"q": "x" * 101}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#case-filter"
    assert "som mest 100 tecken" in response.content.decode()


def test_the_page_shows_the_signal_in_words_and_colour(client, coordinator, consented):
    with time_machine.travel(at(2026, 6, 18, 9), tick=False):
        login_verified(client, coordinator)
        content = client.get(reverse("sip:case_list")).content.decode()

    assert "deadline-amber" in content
    assert "1 arbetsdag kvar" in content
    assert "Kallelse till SIP-möte" in content


def test_the_outsider_gets_an_empty_worklist(client, outsider, case):
    login_verified(client, outsider)

    response = client.get(reverse("sip:case_list"))

    assert response.context["rows"] == []
    assert "Inga ärenden." in response.content.decode()


def make_cases(count, *, unit, coordinator, agreement, individual, rule):
    for case in factories.CaseFactory.create_batch(
        count,
        convening_unit=unit,
        coordinator=coordinator,
        agreement=agreement,
        individual=individual,
    ):
        factories.DeadlineFactory(subject=case, rule=rule, responsible_unit=unit)


def test_the_worklist_runs_the_same_queries_for_10_and_200_cases(
    client, coordinator, unit, agreement, child, django_assert_max_num_queries
):
    rule = agreement.rules.get(kind=DeadlineRule.Kind.KALLELSE)
    args = {
        "unit": unit,
        "coordinator": coordinator,
        "agreement": agreement,
        "individual": child,
        "rule": rule,
    }
    login_verified(client, coordinator)
    counts = []
    for added, total in ((10, 10), (190, 200)):
        make_cases(added, **args)
        with (
            django_assert_max_num_queries(WORKLIST_MAX_QUERIES),
            CaptureQueriesContext(connection) as queries,
        ):
            response = client.get(reverse("sip:case_list"))
        assert len(response.context["rows"]) == min(total, 50)
        assert all(row.signal for row in response.context["rows"])
        counts.append(len(queries))

    assert counts[0] == counts[1]
    pages = [client.get(reverse("sip:case_list"), {"sida": n}).context for n in (1, 2, 3, 4)]
    assert pages[0]["page"].paginator.count == 200
    shown = [row.case.pk for page in pages for row in page["rows"]]
    assert sorted(shown) == sorted(Case.objects.values_list("pk", flat=True))
