"""Follow-up statistics (issue 9): who may see which scope, and the few set-based queries.

Every number is an aggregate computed in PostgreSQL (GROUP BY with conditional aggregates,
GROUPING SETS, percentile_cont); nothing here returns a row about a person. Views and exports never
see these raw tables: statistics_report() hands them through suppression.publish(), which hides
small counts. Definitions of every indicator: docs/statistics.md.

The SQL uses fixed aliases so the group and split expressions fit every query:
a = agreement, u = unit (convening; for cost splits the responsible unit, for deviation reports
the reporting unit), i = the individual, m = the individual's home municipality.
"""

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, fields

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from actors.models import Huvudman, Membership, Municipality, SteeringGroup, Unit, User
from agreements.models import Agreement, DeadlineRule, EscalationLevel
from deadlines import calendar
from deadlines.models import Deadline
from sip.deviations.models import DeviationReport
from sip.models import Case, Consent, Individual, Meeting
from sip.statistics import suppression
from sip.statistics.tables import (
    Cell,
    Column,
    CountTable,
    DurationTable,
    Group,
    PublishedReport,
    PublishedTable,
    RawReport,
    Row,
    ShareTable,
    Stat,
    Table,
    UnitTable,
)

# The one deadline kind the cost-split indicator reads. Whatever opens the clock after an acute
# placement (sip/placements) opens it with this kind; the report needs nothing else from it.
COST_SPLIT_KIND = DeadlineRule.Kind.COST_SPLIT_ACUTE

# Deadline subjects whose person a report can find: model label -> foreign-key path to Individual.
# A cost-split clock that hangs on another model (e.g. a placement) is added here.
SUBJECT_PERSON_PATHS: dict[str, str] = {"sip.case": "individual", "sip.placement": "individual"}

# Age on the day the case was opened (for cost splits: the day the clock started), in whole years.
AGE_BANDS: tuple[tuple[int, int | None], ...] = (
    (0, 5),
    (6, 12),
    (13, 17),
    (18, 20),
    (21, 29),
    (30, 49),
    (50, 64),
    (65, None),
)
UNKNOWN_AGE = "okand"


class Dimension(models.TextChoices):
    AGREEMENT = "overenskommelse", _("Överenskommelse")
    MUNICIPALITY = "kommun", _("Kommun (den enskildes hemkommun)")
    COUNTY_PART = "lansdel", _("Länsdel")
    HUVUDMAN = "huvudman", _("Huvudman (kallande)")
    UNIT = "verksamhet", _("Verksamhet (kallande)")


class Split(models.TextChoices):
    GENDER = "kon", _("Kön")
    AGE = "alder", _("Åldersgrupp")


# --- what a report is about -------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole local days from `first` to `last`, both included."""

    first: dt.date
    last: dt.date

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time.min, tzinfo=calendar.STOCKHOLM)

    @property
    def ends_at(self) -> dt.datetime:
        return dt.datetime.combine(
            self.last + dt.timedelta(days=1), dt.time.min, tzinfo=calendar.STOCKHOLM
        )

    @property
    def label(self) -> str:
        year = self.first.year
        if self.first == dt.date(year, 1, 1) and self.last == dt.date(year, 12, 31):
            return str(year)
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


@dataclass(frozen=True)
class Scope:
    """What one role lets a user see: all of it (admins), units, municipalities or counties."""

    key: str
    label: str
    national: bool = False
    unit_ids: tuple[int, ...] = ()
    municipality_ids: tuple[int, ...] = ()
    counties: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportQuery:
    scope: Scope
    period: Period
    dimension: str = Dimension.MUNICIPALITY
    split: str = Split.GENDER


def default_dimension(scope: Scope) -> str:
    """A manager's report is about units, a group's about where people live, a nation's about
    county parts: the dimension a reader of that scope asks for first."""
    if scope.national:
        return Dimension.COUNTY_PART
    if scope.municipality_ids or scope.counties:
        return Dimension.MUNICIPALITY
    return Dimension.UNIT


def _national_scope() -> Scope:
    return Scope(key="land", label=gettext("Hela landet"), national=True)


def _manager_scope(unit_ids: tuple[int, ...]) -> Scope:
    return Scope(key="chef", label=gettext("Verksamheter där jag är chef"), unit_ids=unit_ids)


def _group_scope(group: SteeringGroup) -> Scope:
    """A steering group's scope; its units and municipalities prefetched."""
    return Scope(
        key=f"grupp-{group.pk}",
        label=group.name,
        unit_ids=tuple(sorted(unit.pk for unit in group.units.all())),
        municipality_ids=tuple(sorted(m.pk for m in group.municipalities.all())),
        counties=(group.county,) if group.level == SteeringGroup.Level.REGIONAL else (),
    )


def _managed_units():
    """Active manager memberships in active units, unit ids in order (a manager's scope)."""
    return Membership.objects.filter(
        role=Membership.Role.MANAGER, is_active=True, unit__is_active=True
    ).order_by("unit_id")


def statistics_scopes_for_user(*, user: User) -> list[Scope]:
    """Every scope the user may report on; empty means no access to statistics.

    Admins see the whole country; a manager the SIPs convened by the units they manage; a
    steering-group member the group's units, the people living in its municipalities and, for a
    regional group, its whole county.
    """
    if not user.is_authenticated:
        return []
    scopes = []
    if user.is_directory_admin:
        scopes.append(_national_scope())
    managed = tuple(_managed_units().filter(user=user).values_list("unit_id", flat=True))
    if managed:
        scopes.append(_manager_scope(managed))
    groups = (
        SteeringGroup.objects.filter(members=user, is_active=True)
        .prefetch_related("units", "municipalities")
        .order_by("name", "pk")
    )
    scopes += [_group_scope(group) for group in groups]
    return scopes


def statistics_scopes_to_compute_ahead(*, limit: int) -> list[Scope]:
    """The scopes whose reports the beat task computes ahead, most asked for first.

    The whole country (when there is an admin), then at most `limit` steering groups and
    managers' unit sets, those whose holders signed in most recently first: a group by its
    members, a unit set by its managers (managers of the same units share one report). Holders
    who never signed in come last. In five queries whatever the number of users.
    """
    never = dt.datetime.min.replace(tzinfo=dt.UTC)
    scopes = []
    if (
        User.objects.filter(is_active=True)
        .filter(models.Q(is_staff=True) | models.Q(is_superuser=True))
        .exists()
    ):
        scopes.append(_national_scope())
    candidates: dict[Scope, dt.datetime] = {}
    groups = (
        SteeringGroup.objects.filter(is_active=True, members__is_active=True)
        .annotate(signed_in=models.Max("members__last_login"))
        .prefetch_related("units", "municipalities")
    )
    for group in groups:
        candidates[_group_scope(group)] = group.signed_in or never
    units_by_manager: dict[int, list[int]] = {}
    signed_in: dict[int, dt.datetime] = {}
    for user_id, unit_id, login in (
        _managed_units()
        .filter(user__is_active=True)
        .values_list("user_id", "unit_id", "user__last_login")
    ):
        units_by_manager.setdefault(user_id, []).append(unit_id)
        signed_in[user_id] = login or never
    for user_id, unit_ids in units_by_manager.items():
        scope = _manager_scope(tuple(unit_ids))
        candidates[scope] = max(candidates.get(scope, never), signed_in[user_id])
    ordered = sorted(
        candidates, key=lambda scope: (-candidates[scope].timestamp(), scope.key, scope.unit_ids)
    )
    return scopes + ordered[:limit]


# --- SQL building blocks -----------------------------------------------------------------------


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _local_date(column: str) -> str:
    return f"({column} AT TIME ZONE '{calendar.STOCKHOLM.key}')::date"


def _group_sql(dimension: str, *, unit: str) -> str:
    """The row key; `unit` is the SQL for the query's unit id (convening or responsible)."""
    return {
        Dimension.AGREEMENT: "a.id",
        Dimension.MUNICIPALITY: "i.home_municipality_id",
        Dimension.COUNTY_PART: "NULLIF(m.county_part, '')",
        Dimension.HUVUDMAN: "u.huvudman_id",
        Dimension.UNIT: unit,
    }[dimension]


def _scope_sql(
    scope: Scope,
    *,
    unit: str,
    municipality: str = "i.home_municipality_id",
    county: str = "a.county",
) -> str:
    """The scope as a condition on a unit, a municipality and a county column.

    Only the parts the scope has are written out: a manager's report then filters on the unit
    alone, which an index answers, instead of an OR across joined tables that only a pass over
    every row of the period can.
    """
    if scope.national:
        return "true"
    parts = {
        f"{unit} = ANY(%(scope_units)s::bigint[])": scope.unit_ids,
        f"{municipality} = ANY(%(scope_municipalities)s::bigint[])": scope.municipality_ids,
        f"{county} = ANY(%(scope_counties)s::text[])": scope.counties,
    }
    return "(" + (" OR ".join(sql for sql, values in parts.items() if values) or "false") + ")"


def _dimension_joins(dimension: str, *, unit: str) -> str:
    """Only the tables the row key needs: every join costs a pass over the year's rows."""
    if dimension == Dimension.HUVUDMAN:
        return f"LEFT JOIN {_table(Unit)} u ON u.id = {unit}"
    if dimension == Dimension.COUNTY_PART:
        return f"LEFT JOIN {_table(Municipality)} m ON m.id = i.home_municipality_id"
    return ""


def _key(value: object) -> str | None:
    """Row keys come back as ids or county-part names; tables key them as text."""
    return None if value is None else str(value)


def _age_band_key(low: int, high: int | None) -> str:
    return f"{low}-{high}" if high is not None else f"{low}-"


def _split_sql(split: str, *, reference_day: str) -> str:
    if split == Split.GENDER:
        return "a.target_group || ':' || i.gender"
    # width_bucket finds the band from the age computed once (0 = below the second band's low).
    lows = ", ".join(str(low) for low, _high in AGE_BANDS[1:])
    keys = ", ".join(f"'{_age_band_key(low, high)}'" for low, high in AGE_BANDS)
    years = f"date_part('year', age({reference_day}, i.birth_date))::int"
    return f"COALESCE((ARRAY[{keys}])[width_bucket({years}, ARRAY[{lows}]) + 1], '{UNKNOWN_AGE}')"


def _params(query: ReportQuery) -> dict:
    scope = query.scope
    return {
        "start": query.period.starts_at,
        "end": query.period.ends_at,
        "first": query.period.first,
        "last": query.period.last,
        "scope_units": list(scope.unit_ids),
        "scope_municipalities": list(scope.municipality_ids),
        "scope_counties": list(scope.counties),
        "refused": Case.Status.CONSENT_REFUSED,
        "closed": Case.Status.CLOSED,
        "sip": Meeting.Kind.SIP,
        "follow_up": Meeting.Kind.FOLLOW_UP,
        "held": Meeting.Status.HELD,
        "met": Deadline.Status.MET,
        "breached": Deadline.Status.BREACHED,
        "open": Deadline.Status.OPEN,
    }


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# Whether a deadline has been decided: met (on time or late), or past due without being met.
# Waived and cancelled clocks, and open ones not yet due, say nothing about keeping deadlines.
_DECIDED_SQL = "d.status IN (%(met)s, %(breached)s) OR (d.status = %(open)s AND d.due_at < %(now)s)"
_ON_TIME_SQL = "d.status = %(met)s AND d.met_at <= d.due_at"


# --- the indicators ----------------------------------------------------------------------------

_EVENT_TITLES = {
    "started": (
        _("Påbörjade SIP-ärenden"),
        _("Ärenden som öppnades under perioden."),
    ),
    "consented": (
        _("Ärenden med samtycke"),
        _("Ärenden vars första samtycke lämnades under perioden."),
    ),
    "declined": (
        _("Samtycke nekat"),
        _("Ärenden som avslutades med ”samtycke nekat” under perioden och inte har återöppnats."),
    ),
    "sip_held": (
        _("Hållna SIP-möten"),
        _("SIP-möten registrerade som hållna med starttid under perioden."),
    ),
    "closed": (
        _("Avslutade ärenden"),
        _("Ärenden som avslutades under perioden och inte har återöppnats."),
    ),
    "follow_ups_held": (
        _("Hållna uppföljningar"),
        _("Uppföljningsmöten registrerade som hållna med starttid under perioden."),
    ),
}


_SHARE_TITLES = {
    "kallelse_on_time": (
        _("Kallelser skickade inom fristen"),
        _(
            "Andel av kallelsefristerna som startade under perioden och är avgjorda (uppfyllda "
            "eller passerade) där kallelsen skickades senast på förfallodagen. Efterskänkta "
            "och makulerade frister räknas inte."
        ),
    ),
    "meeting_on_time": (
        _("SIP-möten hållna inom fristen"),
        _(
            "Andel av mötesfristerna (även akuta) som startade under perioden och är avgjorda "
            "där SIP-mötet hölls senast på förfallodagen."
        ),
    ),
}

_DURATION_TITLES = {
    "days_to_kallelse": (
        _("Arbetsdagar från samtycke till kallelse"),
        _(
            "Median / 90:e percentil av arbetsdagar från första samtycket till första "
            "kallelsen till SIP-möte, för ärenden vars första samtycke lämnades under "
            "perioden och där kallelse har skickats."
        ),
    ),
    "days_to_meeting": (
        _("Arbetsdagar från samtycke till SIP-möte"),
        _(
            "Median / 90:e percentil av arbetsdagar från första samtycket till första "
            "hållna SIP-mötet, för ärenden vars första samtycke lämnades under perioden och "
            "där mötet har hållits."
        ),
    ),
}


# What each event adds to its case's row; a case touched by several events of the period becomes
# one row, so cases and people are joined once per case rather than once per event.
_COUNTERS = (
    "started",
    "declined",
    "closed",
    "sip_held",
    "follow_ups_held",
    "kallelse_on_time",
    "kallelse_decided",
    "meeting_on_time",
    "meeting_decided",
)
_DAYS = ("consent_day", "kallelse_day", "meeting_day")


def _event_stream(case_id: str, source: str, **values: str) -> str:
    """One UNION ALL branch: the case id, every counter (0 unless given) and every day."""
    columns = [f"{values.get(name, '0')}::int" for name in _COUNTERS]
    columns += [f"{values.get(name, 'NULL')}::date" for name in _DAYS]
    return f"SELECT {case_id}, {', '.join(columns)} {source}"


def _scope_cases_sql(scope: Scope) -> str | None:
    """The ids of the scope's cases as a union of index scans (convening unit, the person's home
    municipality, the agreement's county); None for the whole country.

    A scope is a property of the case alone, so filtering every event stream by it before
    aggregating gives the same rows as filtering the aggregated cases, while reading only the
    scope's events.
    """
    if scope.national:
        return None
    cases, people, agreements = _table(Case), _table(Individual), _table(Agreement)
    parts = {
        "SELECT id FROM {cases} WHERE convening_unit_id = ANY(%(scope_units)s::bigint[])": (
            scope.unit_ids
        ),
        """SELECT sc.id FROM {cases} sc JOIN {people} si ON si.id = sc.individual_id
           WHERE si.home_municipality_id = ANY(%(scope_municipalities)s::bigint[])""": (
            scope.municipality_ids
        ),
        """SELECT sc.id FROM {cases} sc JOIN {agreements} sa ON sa.id = sc.agreement_id
           WHERE sa.county = ANY(%(scope_counties)s::text[])""": scope.counties,
    }
    # A steering group with neither units nor municipalities nor a county sees no case.
    return (
        " UNION ".join(
            sql.format(cases=cases, people=people, agreements=agreements)
            for sql, values in parts.items()
            if values
        )
        or "SELECT NULL::bigint WHERE false"
    )


def _units_only(scope: Scope) -> bool:
    """Whether the scope is a set of units (a manager's): few cases, found through an index."""
    return not (scope.national or scope.municipality_ids or scope.counties)


def _case_facts_sql(query: ReportQuery) -> str:
    """CTEs `facts` (one row per case in scope touched in the period, with its counters,
    first-consent days, agreement, row key `g` and split column `s`) and `calendars`.

    1. `scope_cases` (not for the whole country): the scope's case ids, from indexes. Every
       stream below reads only their events, so a manager's report never scans the country.
    2. `first_consent`: cases whose first consent was given in the period; `first_days` adds
       each such case's first kallelse and first held SIP meeting.
    3. `events`: cases opened or ended, meetings held and decided kallelse and meeting deadlines
       of the period, and the first days; `per_case` sums them to one row per case.
    4. `facts`: those rows joined once to case, person and agreement.
    5. `calendars`: each agreement's working-day numbers as one array (agreements of cases with
       a first consent only).
    """
    numbers = calendar.working_day_numbers_sql(
        # Only the calendars of the agreements whose cases have a time to measure.
        agreements="SELECT DISTINCT agreement_id FROM facts WHERE consent_day IS NOT NULL",
        first="%(calendar_first)s",
        last="%(calendar_last)s",
        closed="%(closed_days)s::date[]",
    )
    scope_cases = _scope_cases_sql(query.scope)

    def in_scope(column: str) -> str:
        return f"AND {column} IN (SELECT id FROM scope_cases)" if scope_cases else ""  # noqa: S608

    unit = "c.convening_unit_id"
    kallelse = "d.kind = %(kallelse)s"
    ended = "ended_at >= %(start)s AND ended_at < %(end)s"
    streams = [
        _event_stream(
            "id",
            f"""FROM {_table(Case)}
                WHERE ((opened_at >= %(start)s AND opened_at < %(end)s)
                       OR (status IN (%(refused)s, %(closed)s) AND {ended}))
                {in_scope("id")}""",
            started="(opened_at >= %(start)s AND opened_at < %(end)s)",
            declined=f"(status = %(refused)s AND {ended})",
            closed=f"(status = %(closed)s AND {ended})",
        ),
        _event_stream(
            "case_id",
            f"""FROM {_table(Meeting)} WHERE status = %(held)s
                AND kind IN (%(sip)s, %(follow_up)s)
                AND starts_at >= %(start)s AND starts_at < %(end)s {in_scope("case_id")}""",
            sip_held="(kind = %(sip)s)",
            follow_ups_held="(kind = %(follow_up)s)",
        ),
        _event_stream(
            "d.object_id",
            f"""FROM {_table(Deadline)} d WHERE d.content_type_id = %(case_type)s
                AND d.kind IN (%(kallelse)s, %(meeting)s, %(meeting_acute)s)
                AND d.started_at >= %(start)s AND d.started_at < %(end)s
                AND ({_DECIDED_SQL}) {in_scope("d.object_id")}""",
            kallelse_on_time=f"({kallelse} AND {_ON_TIME_SQL})",
            kallelse_decided=f"({kallelse})",
            meeting_on_time=f"(NOT {kallelse} AND {_ON_TIME_SQL})",
            meeting_decided=f"(NOT {kallelse})",
        ),
        _event_stream(
            "case_id",
            "FROM first_days",
            consent_day="consent_day",
            kallelse_day="kallelse_day",
            meeting_day="meeting_day",
        ),
    ]
    sums = ", ".join(f"sum({name}) AS {name}" for name in _COUNTERS)
    days = ", ".join(f"max({name}) AS {name}" for name in _DAYS)
    return f"""
        WITH {f"scope_cases AS MATERIALIZED ({scope_cases})," if scope_cases else ""}
        first_consent AS (
            -- The minimum over every consent of the case, not an anti-join with the earlier ones:
            -- that took less CPU but runs in parallel workers of its own, which keeps PostgreSQL
            -- from aggregating the event streams below in parallel (slower for the country).
            SELECT case_id, min(given_at) AS given_at FROM {_table(Consent)}
            WHERE true {in_scope("case_id")}
            GROUP BY case_id
            HAVING min(given_at) >= %(start)s AND min(given_at) < %(end)s
        ), first_days AS (
            SELECT fc.case_id, {_local_date("fc.given_at")} AS consent_day,
                   {_local_date("min(mt.kallelse_sent_at)")} AS kallelse_day,
                   {_local_date("min(mt.starts_at) FILTER (WHERE mt.status = %(held)s)")}
                       AS meeting_day
            FROM first_consent fc
            -- A kallelse or meeting after a consent in the period starts after the period began.
            LEFT JOIN {_table(Meeting)} mt
              ON mt.case_id = fc.case_id AND mt.kind = %(sip)s AND mt.starts_at >= %(start)s
            GROUP BY fc.case_id, fc.given_at
        ), events(case_id, {", ".join(_COUNTERS)}, {", ".join(_DAYS)}) AS (
            {" UNION ALL ".join(streams)}
        ), per_case AS (
            SELECT case_id, {sums}, {days} FROM events GROUP BY case_id
        ), facts AS MATERIALIZED (
            SELECT pc.*, c.agreement_id,
                   {_group_sql(query.dimension, unit=unit)} AS g,
                   {_split_sql(query.split, reference_day=_local_date("c.opened_at"))} AS s
            FROM per_case pc
            JOIN {_table(Case)} c ON c.id = pc.case_id
            JOIN {_table(Individual)} i ON i.id = c.individual_id
            JOIN {_table(Agreement)} a ON a.id = c.agreement_id
            {_dimension_joins(query.dimension, unit=unit)}
        ), calendars AS MATERIALIZED (
            -- Each agreement's working-day numbers as one array from calendar_first on: three
            -- look-ups per case instead of three joins over every day of every agreement.
            SELECT agreement_id, array_agg(number ORDER BY day) AS numbers
            FROM ({numbers}) AS numbers GROUP BY agreement_id
        )"""  # noqa: S608 - only code-defined fragments


def _stat(n: int, median: float | None, p90: float | None) -> Stat:
    return Stat(n=n, median=median, p90=p90)


def case_tables(query: ReportQuery) -> list[Table]:
    """Every indicator measured on the cases themselves, in one query.

    Counts (started, with consent, declined, SIP meetings held, closed, follow-ups held), shares
    of kallelse and meeting deadlines met on time, and median / 90th percentile of working days
    from consent to kallelse and to meeting. GROUPING SETS gives the medians of every margin in
    the same pass, because medians do not add up.
    """
    counts = list(_EVENT_TITLES)
    cell_aggregates = [
        "sum((consent_day IS NOT NULL)::int)" if key == "consented" else f"sum({key})"
        for key in counts
    ]
    for key in _SHARE_TITLES:
        name = key.removesuffix("_on_time")
        cell_aggregates += [f"sum({name}_on_time)", f"sum({name}_decided)"]
    time_aggregates = [
        aggregate
        for measure in ("to_kallelse", "to_meeting")
        for aggregate in (
            f"count({measure})",
            f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {measure})",
            f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {measure})",
        )
    ]
    no_times = ", ".join(["NULL::bigint", "NULL::float8", "NULL::float8"] * 2)
    no_cells = ", ".join(["NULL::bigint"] * len(cell_aggregates))

    def number(day: str) -> str:
        # The day's working-day number under the case's agreement: NULL outside the calendar's
        # range (a kallelse before the period), which count() and percentile_cont() leave out.
        return f"cal.numbers[f.{day} - %(calendar_first)s::date + 1]"

    # Counts and shares add up, so cells suffice; medians do not, so times get every margin
    # from GROUPING SETS, over the cases with a first consent only.
    sql = f"""{_case_facts_sql(query)}
        SELECT g, s, false, false, {", ".join(cell_aggregates)}, {no_times}
        FROM facts GROUP BY g, s
        UNION ALL
        SELECT g, s, GROUPING(g) = 1, GROUPING(s) = 1, {no_cells}, {", ".join(time_aggregates)}
        FROM (
            SELECT f.g, f.s,
                   {number("kallelse_day")} - {number("consent_day")} AS to_kallelse,
                   {number("meeting_day")} - {number("consent_day")} AS to_meeting
            FROM facts f JOIN calendars cal ON cal.agreement_id = f.agreement_id
            WHERE f.consent_day IS NOT NULL
        ) AS times
        GROUP BY GROUPING SETS ((g, s), (g), (s), ())"""  # noqa: S608 - code-defined fragments
    # Consent is on or after the period's first day and every kallelse or meeting lies before now.
    calendar_last = max(query.period.last, timezone.localdate()) + dt.timedelta(days=1)
    params = _params(query) | {
        "now": timezone.now(),
        "case_type": ContentType.objects.get_for_model(Case).pk,
        "kallelse": DeadlineRule.Kind.KALLELSE,
        "meeting": DeadlineRule.Kind.MEETING,
        "meeting_acute": DeadlineRule.Kind.MEETING_ACUTE,
        "calendar_first": query.period.first,
        "calendar_last": calendar_last,
        "closed_days": calendar.closed_weekdays(query.period.first, calendar_last),
    }
    count_cells: dict[str, dict] = {key: {} for key in counts}
    share_cells: dict[str, dict] = {key: {} for key in _SHARE_TITLES}
    durations = {
        key: DurationTable(
            key=key,
            title=title,
            definition=definition,
            cells={},
            by_group={},
            by_column={},
            total=_stat(0, None, None),
        )
        for key, (title, definition) in _DURATION_TITLES.items()
    }
    for row in _fetch(sql, params):
        group, column, all_groups, all_columns = _key(row[0]), row[1], row[2], row[3]
        cells, times = row[4 : 4 + len(cell_aggregates)], list(row[4 + len(cell_aggregates) :])
        if times[0] is None:
            values = list(cells)
            for key in counts:
                if value := values.pop(0):
                    count_cells[key][(group, column)] = value
            for key in _SHARE_TITLES:
                on_time, decided = values.pop(0), values.pop(0)
                if decided:
                    share_cells[key][(group, column)] = (on_time, decided)
            continue
        for table in durations.values():
            stat = _stat(*(times.pop(0) for _n in range(3)))
            if all_groups and all_columns:
                table.total = stat
            elif all_columns:
                table.by_group[group] = stat
            elif all_groups:
                table.by_column[column] = stat
            elif stat.n:
                table.cells[(group, column)] = stat
    return [
        *(
            CountTable(key=key, title=title, definition=definition, cells=count_cells[key])
            for key, (title, definition) in _EVENT_TITLES.items()
        ),
        *(
            ShareTable(key=key, title=title, definition=definition, cells=share_cells[key])
            for key, (title, definition) in _SHARE_TITLES.items()
        ),
        *durations.values(),
    ]


def _person_id_sql(label: str, path: str) -> str:
    """A subquery for the id of the person a deadline subject concerns, by a foreign-key path."""
    model = apps.get_model(label)
    alias = "subject0"
    source = f"{_table(model)} {alias}"
    where = f"{alias}.{model._meta.pk.column} = d.object_id"
    parts = path.split("__")
    for depth, part in enumerate(parts, start=1):
        relation = model._meta.get_field(part)
        target = relation.related_model
        if depth == len(parts):
            if target is not Individual:
                raise ImproperlyConfigured(f"{label}: {path} does not lead to Individual")
            return f"(SELECT {alias}.{relation.column} FROM {source} WHERE {where})"  # noqa: S608
        next_alias = f"subject{depth}"
        source += (
            f" JOIN {_table(target)} {next_alias}"
            f" ON {next_alias}.{target._meta.pk.column} = {alias}.{relation.column}"
        )
        alias, model = next_alias, target
    raise ImproperlyConfigured(f"{label}: empty path to Individual")


def cost_split_tables(query: ReportQuery) -> list[Table]:
    """Cost splits after an acute placement settled within their deadline, from the clocks alone.

    The agreement comes from the deadline's rule, the unit from its responsible unit, and the
    person (gender, age, home municipality) through SUBJECT_PERSON_PATHS.
    """
    subjects = list(SUBJECT_PERSON_PATHS.items())
    person = " ".join(
        f"WHEN %(subject_type_{n})s THEN {_person_id_sql(label, path)}"
        for n, (label, path) in enumerate(subjects)
    )
    sql = f"""
        SELECT {_group_sql(query.dimension, unit="d.responsible_unit_id")},
               {_split_sql(query.split, reference_day=_local_date("d.started_at"))},
               count(*) FILTER (WHERE {_ON_TIME_SQL}),
               count(*)
        FROM {_table(Deadline)} d
        JOIN {_table(DeadlineRule)} r ON r.id = d.rule_id
        JOIN {_table(Agreement)} a ON a.id = r.agreement_id
        LEFT JOIN {_table(Individual)} i ON i.id = (CASE d.content_type_id {person} END)
        {_dimension_joins(query.dimension, unit="d.responsible_unit_id")}
        WHERE d.kind = %(cost_split)s
          AND d.started_at >= %(start)s AND d.started_at < %(end)s
          AND ({_DECIDED_SQL})
          AND {_scope_sql(query.scope, unit="d.responsible_unit_id")}
        GROUP BY 1, 2"""  # noqa: S608 - only code-defined fragments are interpolated
    params = _params(query) | {"now": timezone.now(), "cost_split": COST_SPLIT_KIND}
    for n, (label, _path) in enumerate(subjects):
        params[f"subject_type_{n}"] = ContentType.objects.get_for_model(apps.get_model(label)).pk
    cells = {
        (_key(group), column): (on_time, decided)
        for group, column, on_time, decided in _fetch(sql, params)
    }
    return [
        ShareTable(
            key="cost_split_on_time",
            title=_("Kostnadsfördelning efter akut placering klar inom fristen"),
            definition=_(
                "Andel av fristerna för kostnadsfördelning efter akut placering som startade under "
                "perioden och är avgjorda där fördelningen blev klar senast på förfallodagen. "
                "Verksamhet = fristens ansvariga verksamhet."
            ),
            cells=cells,
        )
    ]


_UNIT_GROUP_SQL = {
    Dimension.AGREEMENT: "ap.agreement_id",
    Dimension.MUNICIPALITY: "su.municipality_id",
    Dimension.COUNTY_PART: "NULLIF(um.county_part, '')",
    Dimension.HUVUDMAN: "su.huvudman_id",
    Dimension.UNIT: "su.id",
}


def convening_unit_tables(query: ReportQuery) -> list[Table]:
    """Active units in scope that sent at least one kallelse to a SIP meeting in the period.

    Units are grouped by where they are (their own municipality), and per agreement by the
    agreements their huvudman is party to. Not split by gender or age: it counts units.
    """
    by_agreement = query.dimension == Dimension.AGREEMENT
    parties = Agreement.parties.through
    agreement_join = (
        f"""JOIN {_table(parties)} ap ON ap.huvudman_id = su.huvudman_id
            JOIN {_table(Agreement)} pa ON pa.id = ap.agreement_id
             AND pa.valid_from <= %(last)s AND (pa.valid_to IS NULL OR pa.valid_to >= %(first)s)"""
        if by_agreement
        else ""
    )
    # Per agreement a unit counts where it convened under that agreement; otherwise anywhere.
    convened_keys = "unit_id, agreement_id" if by_agreement else "unit_id"
    same_agreement = "AND cv.agreement_id = ap.agreement_id" if by_agreement else ""
    group = _UNIT_GROUP_SQL[query.dimension]
    units_in_scope = _scope_sql(
        query.scope, unit="su.id", municipality="su.municipality_id", county="sh.county"
    )
    # Only the scope's units can count, so only their cases' kallelser are read.
    scope_cases = (
        ""
        if query.scope.national
        else f"""AND c.convening_unit_id IN (
                SELECT su.id FROM {_table(Unit)} su
                JOIN {_table(Huvudman)} sh ON sh.id = su.huvudman_id
                WHERE su.is_active AND {units_in_scope})"""  # noqa: S608
    )
    sql = f"""
        WITH convened AS (
            SELECT DISTINCT {convened_keys}
            FROM (SELECT c.convening_unit_id AS unit_id, c.agreement_id
                  FROM {_table(Meeting)} mt JOIN {_table(Case)} c ON c.id = mt.case_id
                  WHERE mt.kind = %(sip)s
                    AND mt.kallelse_sent_at >= %(start)s
                    AND mt.kallelse_sent_at < %(end)s
                    {scope_cases}) AS sent
        )
        SELECT {group}, GROUPING({group}),
               count(DISTINCT su.id),
               count(DISTINCT su.id) FILTER (WHERE cv.unit_id IS NOT NULL)
        FROM {_table(Unit)} su
        JOIN {_table(Huvudman)} sh ON sh.id = su.huvudman_id
        LEFT JOIN {_table(Municipality)} um ON um.id = su.municipality_id
        {agreement_join}
        LEFT JOIN convened cv ON cv.unit_id = su.id {same_agreement}
        WHERE su.is_active AND {units_in_scope}
        GROUP BY GROUPING SETS (({group}), ())"""  # noqa: S608 - code-defined fragments
    rows: dict[str | None, tuple[int, int]] = {}
    total = (0, 0)
    for group_key, is_total, units, convened in _fetch(sql, _params(query)):
        if is_total:
            total = (units, convened)
        else:
            rows[_key(group_key)] = (units, convened)
    return [
        UnitTable(
            key="units_convening",
            title=_("Verksamheter som kallat till minst en SIP"),
            definition=_(
                "Aktiva verksamheter i urvalet som skickat minst en kallelse till SIP-möte under "
                "perioden, av alla aktiva verksamheter i urvalet (kommun och länsdel: "
                "verksamhetens egen; överenskommelse: verksamheter hos överenskommelsens parter). "
                "Räknar verksamheter, inte personer, och delas därför inte upp på kön eller ålder."
            ),
            rows=rows,
            total=total,
        )
    ]


# A deviation report without a case concerns no known person: it has a column of its own in the
# gender/age table, so that table's totals still count every report.
NO_CASE = "utan_arende"
# The level column of a report standing below its agreement's ladder, or under one without any.
NO_LEVEL = "ingen"


def _level_columns(keys: set[str]) -> list[Column]:
    """No level, then every step from the first up to the highest reached, so a step nobody
    reached shows as such."""
    steps = [int(key) for key in keys if key != NO_LEVEL]
    return [
        Column(NO_LEVEL, gettext("Ingen nivå (berörda chefer)")),
        *(
            Column(str(step), gettext("Steg %(order)d") % {"order": step})
            for step in range(min([1, *steps]), max(steps, default=0) + 1)
        ),
    ]


def deviation_tables(query: ReportQuery) -> list[Table]:
    """Deviation reports registered in the period: by the person's gender or age, by category and
    by the level of the agreement's escalation ladder they have reached.

    A report counts once in each table, so the three tables share their row totals and grand
    total (`margins`). Rows: the report's agreement, the person's home municipality (through the
    case), and the reporting unit and its huvudman.
    """
    unit = "dv.reporting_unit_id"
    split = _split_sql(query.split, reference_day=_local_date("dv.registered_at"))
    sql = f"""
        SELECT {_group_sql(query.dimension, unit=unit)},
               dv.category,
               l."order",
               CASE WHEN i.id IS NULL THEN %(no_case)s ELSE {split} END,
               count(*)
        FROM {_table(DeviationReport)} dv
        JOIN {_table(Agreement)} a ON a.id = dv.agreement_id
        LEFT JOIN {_table(EscalationLevel)} l ON l.id = dv.level_id
        LEFT JOIN {_table(Case)} c ON c.id = dv.case_id
        LEFT JOIN {_table(Individual)} i ON i.id = c.individual_id
        {_dimension_joins(query.dimension, unit=unit)}
        WHERE dv.registered_at >= %(start)s AND dv.registered_at < %(end)s
          AND dv.status <> ALL(%(unconfirmed)s)
          AND {_scope_sql(query.scope, unit=unit)}
        GROUP BY 1, 2, 3, 4"""  # noqa: S608 - only code-defined fragments are interpolated
    params = _params(query) | {
        "no_case": NO_CASE,
        "unconfirmed": sorted(DeviationReport.UNCONFIRMED),
    }
    by_person: dict[tuple[str | None, str], int] = {}
    by_category: dict[tuple[str | None, str], int] = {}
    by_level: dict[tuple[str | None, str], int] = {}
    for group_key, category, order, column, count in _fetch(sql, params):
        group = _key(group_key)
        level = NO_LEVEL if order is None else str(order)
        for cells, key in ((by_person, column), (by_category, category), (by_level, level)):
            cells[(group, key)] = cells.get((group, key), 0) + count
    person_columns = _split_columns(query.split, {key for _group, key in by_person} - {NO_CASE})
    margins = "deviations"
    return [
        CountTable(
            key="deviations",
            title=_("Avvikelserapporter"),
            definition=_(
                "Avvikelserapporter som registrerades under perioden; utkast räknas inte. "
                "Kön och ålder (på registreringsdagen) gäller den enskilde i rapportens "
                "SIP-ärende; en rapport utan ärende står under ”utan ärende”. Verksamhet och "
                "huvudman: den rapporterande verksamhetens."
            ),
            cells=by_person,
            columns=[*person_columns, Column(NO_CASE, gettext("utan ärende"))],
            columns_label=str(Split(query.split).label),
            margins=margins,
        ),
        CountTable(
            key="deviations_by_category",
            title=_("Avvikelserapporter per kategori"),
            definition=_("Samma avvikelserapporter, fördelade på rapportens kategori."),
            cells=by_category,
            columns=[Column(key, str(label)) for key, label in DeviationReport.Category.choices],
            columns_label=gettext("Kategori"),
            margins=margins,
        ),
        CountTable(
            key="deviations_by_level",
            title=_("Avvikelserapporter per nivå"),
            definition=_(
                "Samma avvikelserapporter, fördelade på den nivå i överenskommelsens egen "
                "eskaleringstrappa som avvikelsen har nått när statistiken tas fram. Steg = nivåns "
                "ordning i trappan; ingen nivå = hanteras av de berörda verksamheternas chefer "
                "(eller överenskommelsen saknar trappa)."
            ),
            cells=by_level,
            columns=_level_columns({key for _group, key in by_level}),
            columns_label=gettext("Nivå"),
            margins=margins,
        ),
    ]


# The report, section by section. Each function runs one query and returns finished raw tables;
# a new indicator is one more function here.
SECTIONS: tuple[Callable[[ReportQuery], list[Table]], ...] = (
    case_tables,
    cost_split_tables,
    convening_unit_tables,
    deviation_tables,
)


# --- rows and columns --------------------------------------------------------------------------

_GENDER_LABELS = {
    f"{Agreement.TargetGroup.CHILDREN}:{Individual.Gender.FEMALE}": _("flicka"),
    f"{Agreement.TargetGroup.CHILDREN}:{Individual.Gender.MALE}": _("pojke"),
    f"{Agreement.TargetGroup.CHILDREN}:{Individual.Gender.OTHER}": _("annan (barn och unga)"),
    f"{Agreement.TargetGroup.ADULTS}:{Individual.Gender.FEMALE}": _("kvinna"),
    f"{Agreement.TargetGroup.ADULTS}:{Individual.Gender.MALE}": _("man"),
    f"{Agreement.TargetGroup.ADULTS}:{Individual.Gender.OTHER}": _("annan (vuxna)"),
}


def _age_label(low: int, high: int | None) -> str:
    if high is None:
        return gettext("%(low)d år och äldre") % {"low": low}
    return gettext("%(low)d–%(high)d år") % {"low": low, "high": high}


def _split_columns(split: str, seen: set[str]) -> list[Column]:
    """The split's categories in a fixed order. For gender, only the target groups (children,
    adults) that occur in the report; an unknown age only where a birth date is missing."""
    if split == Split.GENDER:
        # With no data at all, both target groups show so the empty table still explains itself.
        groups = {key.split(":", 1)[0] for key in seen if key} or set(Agreement.TargetGroup.values)
        return [
            Column(key, str(label))
            for key, label in _GENDER_LABELS.items()
            if key.split(":", 1)[0] in groups
        ]
    columns = [Column(_age_band_key(low, high), _age_label(low, high)) for low, high in AGE_BANDS]
    if UNKNOWN_AGE in seen:
        columns.append(Column(UNKNOWN_AGE, gettext("okänd ålder")))
    return columns


def _keys(table: Table) -> tuple[set, set]:
    if isinstance(table, UnitTable):
        return set(table.rows), set()
    if isinstance(table, DurationTable):
        return set(table.by_group), set(table.by_column)
    groups = {group for group, _column in table.cells}
    columns = {column for _group, column in table.cells}
    if isinstance(table, CountTable) and table.columns is not None:
        columns = set()
    return groups, columns


def _groups(dimension: str, keys: set[str | None]) -> list[Group]:
    """Names for the row keys, in one query, sorted by name; unknown keys last."""
    ids = [int(key) for key in keys if key is not None and dimension != Dimension.COUNTY_PART]
    groups: list[Group] = []
    if dimension == Dimension.COUNTY_PART:
        groups = [Group(key, key) for key in keys if key is not None]
    elif dimension == Dimension.AGREEMENT:
        groups = [
            Group(str(pk), f"{name} (v{version})")
            for pk, name, version in Agreement.objects.filter(pk__in=ids).values_list(
                "pk", "name", "version"
            )
        ]
    elif dimension == Dimension.MUNICIPALITY:
        groups = [
            Group(str(pk), name, county_part or None)
            for pk, name, county_part in Municipality.objects.filter(pk__in=ids).values_list(
                "pk", "name", "county_part"
            )
        ]
    elif dimension == Dimension.HUVUDMAN:
        groups = [
            Group(str(pk), name)
            for pk, name in Huvudman.objects.filter(pk__in=ids).values_list("pk", "name")
        ]
    elif dimension == Dimension.UNIT:
        groups = [
            Group(str(pk), name, str(huvudman_id))
            for pk, name, huvudman_id in Unit.objects.filter(pk__in=ids).values_list(
                "pk", "name", "huvudman_id"
            )
        ]
    groups.sort(key=lambda group: (group.label.casefold(), group.key))
    if None in keys:
        unknown = (
            gettext("(ingen länsdel)") if dimension == Dimension.COUNTY_PART else gettext("(okänd)")
        )
        groups.append(Group(None, unknown))
    return groups


# How the tables follow each other on the page; tables of later sections keep their own order.
_TABLE_ORDER = {
    key: n
    for n, key in enumerate(
        [
            "started",
            "consented",
            "declined",
            "sip_held",
            "closed",
            "follow_ups_held",
            "kallelse_on_time",
            "meeting_on_time",
            "days_to_kallelse",
            "days_to_meeting",
            "cost_split_on_time",
            "units_convening",
            "deviations",
            "deviations_by_category",
            "deviations_by_level",
        ]
    )
}


def report_build(query: ReportQuery) -> RawReport:
    """Run every section, then name the rows and columns. A fixed number of queries."""
    # Inside a request's transaction this adds no savepoint; elsewhere it opens a transaction.
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            # Measured at national scale (300k cases, 2M deadlines): PostgreSQL's JIT spent
            # seconds compiling these one-off aggregations and the default work_mem sent their
            # sorts and hashes to disk. Nested loops (index look-ups per case) suit a scope of
            # units: a manager's few hundred to few thousand cases took 0.04 s instead of 0.3 s.
            # A steering group's municipalities or county hold tens of thousands of cases, for
            # which hash joins over the period's events were faster (0.7 s instead of 1.0 s), and
            # for the country row estimates out of GROUP BY and UNION ALL (200 where there are
            # 50,000) once led to nested loops over every case. All end with the transaction.
            cursor.execute(
                "SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true),"
                " set_config('enable_nestloop', %s, true)",
                ["on" if _units_only(query.scope) else "off"],
            )
        tables = [table for section in SECTIONS for table in section(query)]
    group_keys: set = set()
    column_keys: set = set()
    for table in tables:
        groups, columns = _keys(table)
        group_keys |= groups
        column_keys |= columns
    tables.sort(key=lambda table: _TABLE_ORDER.get(table.key, len(_TABLE_ORDER)))
    return RawReport(
        period_label=query.period.label,
        groups=_groups(query.dimension, group_keys),
        columns=_split_columns(query.split, column_keys),
        tables=tables,
        generated_at=timezone.now(),
    )


logger = logging.getLogger(__name__)

# Part of every cache key: raise it when what a report shows changes (an indicator, a definition,
# the suppression rules), so that no report computed by an older release is served.
REPORT_VERSION = 1
# Also part of every key: the fields of the cached classes. A release that adds a field gets new
# keys by itself, so a page never meets a report pickled without it (an AttributeError, a 500)
# for the hour such an entry lives, or longer while old and new workers run side by side.
_CACHED_SHAPE = tuple(
    (cls.__name__, tuple(f.name for f in fields(cls)))
    for cls in (PublishedReport, PublishedTable, Row, Cell)
)


def report_cache_key(query: ReportQuery) -> str:
    """The cache key of a query's published report.

    A digest of everything the report is computed from (scope, period, rows, split, language,
    REPORT_VERSION and the cached classes' fields), so the key names no unit, group or user.
    Whose report it is plays no part: users with the same scope share it, and
    statistics_report() checks the scope first.
    """
    scope, period = query.scope, query.period
    material = (
        REPORT_VERSION,
        _CACHED_SHAPE,
        get_language(),
        scope.key,
        scope.label,
        scope.national,
        scope.unit_ids,
        scope.municipality_ids,
        scope.counties,
        period.first.isoformat(),
        period.last.isoformat(),
        str(query.dimension),
        str(query.split),
    )
    return "sip:statistik:" + hashlib.sha256(repr(material).encode()).hexdigest()


def report_published(
    *, query: ReportQuery, fresh: bool = False, keep_seconds: int | None = None
) -> PublishedReport:
    """The query's published report with every row: from the cache when one was computed within
    STATISTICS_CACHE_SECONDS (unless `fresh`), otherwise computed now and cached for that long
    (or `keep_seconds`).

    Only suppressed reports are cached, so the cache holds nothing a page could not show. No
    permission check: statistics_report() checks the scope before it gets here.
    """
    key = report_cache_key(query)
    if not fresh and (cached := _cache_get(key)) is not None:
        return cached
    report = suppression.publish(
        report_build(query),
        scope_label=query.scope.label,
        dimension_label=str(Dimension(query.dimension).label),
        split_label=str(Split(query.split).label),
    )
    try:
        cache.set(key, report, timeout=keep_seconds or settings.STATISTICS_CACHE_SECONDS)
    except Exception:  # an unreachable cache must not cost the user the report
        logger.warning("statistics cache unavailable: report computed without it", exc_info=True)
    return report


def _cache_get(key: str) -> PublishedReport | None:
    try:
        cached = cache.get(key)
    except Exception:  # without the cache the report is computed, only slower
        logger.warning("statistics cache unavailable: report computed without it", exc_info=True)
        return None
    return cached if isinstance(cached, PublishedReport) else None


def statistics_report(
    *,
    user: User,
    query: ReportQuery,
    scopes: list[Scope] | None = None,
    rows: slice | None = None,
    fresh: bool = False,
) -> PublishedReport | None:
    """The published report, or None when the query's scope is not one the user may see.

    `scopes` is the user's statistics_scopes_for_user() when the caller already has it; `rows`
    one page of the rows (default all, as the exports need); `fresh` computes the report anew
    instead of serving a cached one.
    """
    allowed = statistics_scopes_for_user(user=user) if scopes is None else scopes
    if query.scope not in allowed:
        return None
    report = report_published(query=query, fresh=fresh)
    return report if rows is None else suppression.page(report, rows)
