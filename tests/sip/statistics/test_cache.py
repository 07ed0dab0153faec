"""Reports served from the cache: hits, expiry, the scope checked first, the beat task."""

import datetime as dt
import pickle
import re

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from actors.models import Membership
from sip.statistics.selectors import (
    Dimension,
    ReportQuery,
    Scope,
    report_cache_key,
    statistics_report,
    statistics_scopes_for_user,
    statistics_scopes_to_compute_ahead,
)
from sip.statistics.tasks import compute_statistics_reports
from tests import factories
from tests.helpers import login_verified
from tests.sip.statistics.conftest import NOW, YEAR_2025

pytestmark = pytest.mark.django_db

PAGE = reverse("sip:statistics")
YEAR = {"year": "2025", "dimension": "verksamhet"}
# Only the report's own statements read these tables' events.
REPORT_SQL = re.compile(r"first_consent|WITH convened|FROM \"sip_deviationreport\"")


@pytest.fixture
def report_cache(settings):
    """A real (per-process) cache instead of the test settings' none, empty before and after."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "statistics-tests",
        }
    }
    cache.clear()
    yield cache
    cache.clear()


def get(client, params):
    """The response and the SQL statements the request ran."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PAGE, params)
    assert response.status_code == 200
    return response, [query["sql"] for query in queries.captured_queries]


def report_statements(statements: list[str]) -> list[str]:
    return [sql for sql in statements if REPORT_SQL.search(sql)]


def test_a_second_visit_is_served_from_the_cache_with_fewer_queries(
    client, world, member, report_clock, report_cache
):
    login_verified(client, member)

    first, first_sql = get(client, YEAR)
    second, second_sql = get(client, YEAR)

    assert report_statements(first_sql)
    assert report_statements(second_sql) == []
    assert len(second_sql) < len(first_sql)
    assert second.context["report"].generated_at == first.context["report"].generated_at == NOW
    assert "IFO Norrby" in second.content.decode()
    assert "Beräknad" in second.content.decode()
    assert "2026-03-01 12:00" in second.content.decode()


def test_a_cached_report_is_computed_again_once_it_is_older_than_the_setting(
    client, world, member, report_clock, report_cache, settings
):
    # Shorter than the default hour, so that the signed-in session (30 minutes) outlives it.
    settings.STATISTICS_CACHE_SECONDS = 20 * 60
    login_verified(client, member)
    get(client, YEAR)

    with time_machine.travel(NOW + dt.timedelta(minutes=19), tick=False):
        cached, cached_sql = get(client, YEAR)
    with time_machine.travel(NOW + dt.timedelta(minutes=21), tick=False):
        fresh, fresh_sql = get(client, YEAR)

    assert cached.context["report"].generated_at == NOW
    assert report_statements(cached_sql) == []
    assert fresh.context["report"].generated_at == NOW + dt.timedelta(minutes=21)
    assert report_statements(fresh_sql)


def test_recompute_now_computes_the_report_anew_and_caches_that(
    client, world, member, report_clock, report_cache
):
    login_verified(client, member)
    get(client, YEAR)
    later = NOW + dt.timedelta(minutes=10)

    with time_machine.travel(later, tick=False):
        recomputed, recomputed_sql = get(client, {**YEAR, "uppdatera": "1"})
        again, again_sql = get(client, YEAR)

    assert recomputed.context["report"].generated_at == later
    assert report_statements(recomputed_sql)
    assert again.context["report"].generated_at == later
    assert report_statements(again_sql) == []
    # Links on the page (pages, downloads) do not recompute again.
    assert "uppdatera=1&amp;" not in recomputed.content.decode()
    assert (
        "sida" not in recomputed.context["query"] and "uppdatera" not in recomputed.context["query"]
    )


def test_a_user_without_the_scope_never_gets_a_cached_report(
    client, world, member, admin_user, coordinator, report_clock, report_cache
):
    login_verified(client, admin_user)
    national, _sql = get(client, YEAR)
    assert "BUP Söderby" in national.content.decode()
    query = ReportQuery(
        scope=Scope(key="land", label="Hela landet", national=True),
        period=YEAR_2025,
        dimension=Dimension.UNIT,
    )

    assert statistics_report(user=member, query=query) is None
    assert statistics_report(user=coordinator, query=query) is None
    login_verified(client, member)
    asked, _sql = get(client, {**YEAR, "scope": "land"})
    assert asked.context["report"] is None
    assert "BUP Söderby" not in asked.content.decode()
    login_verified(client, coordinator)
    assert client.get(PAGE, YEAR).status_code == 403


def test_managers_of_other_units_share_no_cached_report(
    client, world, ifo_manager, report_clock, report_cache
):
    bup_manager = factories.MembershipFactory(
        unit=world.units["bup"], role=Membership.Role.MANAGER
    ).user
    login_verified(client, ifo_manager)
    get(client, YEAR)

    login_verified(client, bup_manager)
    response, statements = get(client, YEAR)

    assert report_statements(statements)
    assert "BUP Söderby" in response.content.decode()
    assert "IFO Norrby" not in response.content.decode()


def test_a_cache_key_names_no_unit_group_or_person(world, member, ifo_manager):
    scopes = statistics_scopes_for_user(user=member) + statistics_scopes_for_user(user=ifo_manager)
    keys = {report_cache_key(ReportQuery(scope=scope, period=YEAR_2025)) for scope in scopes}

    assert len(keys) == len(scopes)
    for key in keys:
        assert re.fullmatch(r"sip:statistik:[0-9a-f]{64}", key)


def test_a_page_of_a_cached_report_shows_that_pages_rows(
    client, world, admin_user, report_clock, report_cache
):
    for n in range(55):
        factories.UnitFactory(name=f"Enhet {n:02d}", huvudman=world.huvudman["kommun"])
    login_verified(client, admin_user)
    get(client, YEAR)

    second, statements = get(client, {**YEAR, "sida": "2"})

    assert report_statements(statements) == []
    html = second.content.decode()
    assert "IFO Norrby" in html
    assert "Enhet 00" not in html
    # Page 2 of 59 rows by name: Enhet 49–54, then the world's IFO Norrby, IFO Västerby and
    # Norrby skola; BUP Söderby and Enhet 00–48 were page 1. Every table keeps these rows only.
    names = [f"Enhet {n}" for n in range(49, 55)] + ["IFO Norrby", "IFO Västerby", "Norrby skola"]
    for table in second.context["report"].tables:
        assert [row.label for row in table.rows] == names, table.key


def test_the_beat_task_computes_ahead_so_a_managers_first_visit_is_a_hit(
    client, world, member, ifo_manager, report_clock, report_cache
):
    task = PeriodicTask.objects.get(name="Statistik i förväg")
    assert task.task == "sip.statistics.tasks.compute_statistics_reports"
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == (
        "0",
        "6-17",
        "1-5",
    )
    assert str(task.crontab.timezone) == "Europe/Stockholm"

    assert task.expire_seconds == 55 * 60  # a run queued while no worker was up is dropped
    # The steering group and the manager, each for 2026 and 2025, in Swedish and English.
    assert compute_statistics_reports() == 8

    login_verified(client, ifo_manager)
    current, current_sql = get(client, {})
    previous, previous_sql = get(client, {"year": "2025"})
    assert report_statements(current_sql) == report_statements(previous_sql) == []
    assert current.context["report"].period_label == "2026"
    assert "IFO Norrby" in previous.content.decode()
    login_verified(client, member)
    _group, group_sql = get(client, {"year": "2025"})
    assert report_statements(group_sql) == []


def test_computing_ahead_twice_changes_nothing_but_the_time(
    client, world, ifo_manager, report_clock, report_cache
):
    compute_statistics_reports()
    login_verified(client, ifo_manager)
    first, _sql = get(client, {"year": "2025"})

    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        compute_statistics_reports()
        second, _sql = get(client, {"year": "2025"})

    assert second.context["report"].generated_at == NOW + dt.timedelta(minutes=5)
    assert [table.rows for table in second.context["report"].tables] == [
        table.rows for table in first.context["report"].tables
    ]


def test_it_computes_ahead_for_the_country_and_the_groups_and_managers_who_signed_in_last(
    world, member, ifo_manager, admin_user
):
    bup = world.units["bup"]
    recent = factories.MembershipFactory(unit=bup, role=Membership.Role.MANAGER).user
    same_units = factories.MembershipFactory(unit=bup, role=Membership.Role.MANAGER).user
    never = factories.MembershipFactory(
        unit=world.units["annan"], role=Membership.Role.MANAGER
    ).user
    for user, days_ago in ((recent, 1), (member, 2), (ifo_manager, 3), (same_units, 30)):
        user.last_login = NOW - dt.timedelta(days=days_ago)
        user.save()
    group = member.steering_groups.get()

    scopes = statistics_scopes_to_compute_ahead(limit=2)

    # BUP's two managers share one report, placed by the one who signed in last.
    assert [(scope.key, scope.unit_ids) for scope in scopes] == [
        ("land", ()),
        ("chef", (bup.pk,)),
        (f"grupp-{group.pk}", (world.units["ifo"].pk,)),
    ]
    everything = statistics_scopes_to_compute_ahead(limit=10)
    assert [scope.unit_ids for scope in everything[3:]] == [
        (world.units["ifo"].pk,),
        (world.units["annan"].pk,),
    ]
    assert never.last_login is None


class UnreachableCache:
    """A cache whose server is down: every call raises, as Django's Redis backend does."""

    def get(self, *args, **kwargs):
        raise ConnectionError("cache down")

    def set(self, *args, **kwargs):
        raise ConnectionError("cache down")


def test_the_report_is_computed_and_shown_when_the_cache_is_unreachable(
    client, world, member, report_clock, monkeypatch
):
    monkeypatch.setattr("sip.statistics.selectors.cache", UnreachableCache())
    login_verified(client, member)

    response, statements = get(client, YEAR)

    assert report_statements(statements)
    assert "IFO Norrby" in response.content.decode()


def test_the_beat_task_computes_ahead_in_every_language_of_the_site(
    client, world, ifo_manager, report_clock, report_cache, monkeypatch
):
    from django.utils.translation import get_language

    from sip.statistics import selectors

    # The English catalogue does not translate the scope labels yet; as if it did, so that a
    # label read in the wrong language would give the English report another key.
    real_gettext = selectors.gettext
    monkeypatch.setattr(
        selectors, "gettext", lambda message: f"{real_gettext(message)} ({get_language()})"
    )
    compute_statistics_reports()
    login_verified(client, ifo_manager)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en-US,en;q=0.9,sv;q=0.8"

    _response, statements = get(client, {"year": "2025"})

    assert report_statements(statements) == []


def test_a_report_that_fails_is_logged_and_the_others_are_still_computed(
    world, member, ifo_manager, report_clock, report_cache, monkeypatch, caplog
):
    from sip.statistics import services

    for user in (member, ifo_manager):
        user.last_login = NOW - dt.timedelta(days=1)
        user.save()
    real = services.report_published

    scopes = statistics_scopes_to_compute_ahead(limit=50)
    first = scopes[0]

    def failing_for_the_first_scope(*, query, **kwargs):
        if query.scope == first:
            raise RuntimeError("statement timeout")
        return real(query=query, **kwargs)

    monkeypatch.setattr(services, "report_published", failing_for_the_first_scope)

    computed = compute_statistics_reports()

    # Two years in two languages for every scope but the first.
    assert len(scopes) > 1
    assert computed == (len(scopes) - 1) * 2 * 2
    assert f"4 of {len(scopes) * 4} reports failed" in caplog.text


def test_a_report_computed_ahead_outlives_the_next_hourly_run(
    client, world, ifo_manager, report_clock, report_cache, settings
):
    compute_statistics_reports()

    # The next run may reach this scope minutes after the hour: the old report must still be
    # there, while one computed by a visit expires after STATISTICS_CACHE_SECONDS as before.
    later = NOW + dt.timedelta(seconds=settings.STATISTICS_CACHE_SECONDS + 10 * 60)
    with time_machine.travel(later, tick=False):
        login_verified(client, ifo_manager)
        _response, statements = get(client, {"year": "2025"})

    assert report_statements(statements) == []


def test_a_cache_entry_that_is_not_a_published_report_is_computed_anew(
    client, world, member, report_clock, report_cache
):
    login_verified(client, member)
    get(client, YEAR)
    # What an older release could have left under the key (the local-memory cache pickles).
    for key in report_cache._cache:
        report_cache._cache[key] = pickle.dumps({"an": "older release's entry"})

    response, statements = get(client, YEAR)

    assert report_statements(statements)
    assert "IFO Norrby" in response.content.decode()


def test_the_cache_key_changes_with_the_fields_of_the_cached_classes(world, member, monkeypatch):
    from sip.statistics import selectors

    [scope] = statistics_scopes_for_user(user=member)
    query = ReportQuery(scope=scope, period=YEAR_2025, dimension=Dimension.UNIT)
    before = report_cache_key(query)
    shape = (*selectors._CACHED_SHAPE, ("PublishedTable", ("a_new_field",)))
    monkeypatch.setattr(selectors, "_CACHED_SHAPE", shape)

    assert report_cache_key(query) != before
