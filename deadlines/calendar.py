"""The working-day calendar: the one place where deadline arithmetic happens.

A working day (arbetsdag) is Monday to Friday, not a Swedish public holiday, not Midsummer Eve,
Christmas Eve or New Year's Eve (treated as non-working in practice), and not one of the extra
closed days an agreement adds. Dates are local to Europe/Stockholm; moments are aware datetimes.
"""

import datetime as dt
from collections.abc import Collection, Iterable
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from agreements.models import ClosedDay, DeadlineRule

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# A deadline "N days after" ends when that day ends; seconds are the finest unit users see.
CLOSE_OF_DAY = dt.time(23, 59, 59)
# Day-based reminders arrive when the working day starts, not at midnight.
REMINDER_TIME = dt.time(8, 0)
# add_working_days walks day by day; a year of closed days in a row means the input is wrong.
_MAX_WALK = 370


@lru_cache(maxsize=64)
def national_closed_days(year: int) -> frozenset[dt.date]:
    """Swedish public holidays plus the de-facto closed eves (midsommar-, jul-, nyårsafton).

    Cached per year: every due date and reminder passes through here.
    """
    calendar = holidays.country_holidays(
        "SE", years=year, categories=(holidays.PUBLIC, holidays.DE_FACTO)
    )
    return frozenset(calendar.keys())


def is_working_day(day: dt.date, *, extra_closed: Collection[dt.date] = ()) -> bool:
    return (
        day.weekday() < 5 and day not in national_closed_days(day.year) and day not in extra_closed
    )


def add_working_days(day: dt.date, n: int, *, extra_closed: Collection[dt.date] = ()) -> dt.date:
    """The nth working day after `day` (before it when n < 0); `day` itself when n == 0."""
    extra = frozenset(extra_closed)
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    walked = 0
    while remaining:
        day += dt.timedelta(days=step)
        walked += 1
        if walked > _MAX_WALK + abs(n) * 7:
            raise ValueError(f"No working day found near {day}")
        if is_working_day(day, extra_closed=extra):
            remaining -= 1
    return day


def working_days_between(
    start: dt.date, end: dt.date, *, extra_closed: Collection[dt.date] = ()
) -> int:
    """Working days in (start, end], negative when end is before start.

    The inverse of add_working_days: working_days_between(d, add_working_days(d, n)) == n, so
    "working days left" is positive before the due date, 0 on it and negative once past.
    """
    if start == end:
        return 0
    extra = frozenset(extra_closed)
    low, high, sign = (start, end, 1) if start < end else (end, start, -1)
    count = 0
    day = low
    while day < high:
        day += dt.timedelta(days=1)
        if is_working_day(day, extra_closed=extra):
            count += 1
    return sign * count


class WorkingDaySpan:
    """working_days_between for many dates inside one span, after a single walk over it.

    A page of overdue deadlines asks "how many working days since due?" for every row; walking
    day by day per row costs rows times days, this costs days + rows. Answers equal
    working_days_between for any two dates in [first, last].
    """

    def __init__(self, first: dt.date, last: dt.date, *, extra_closed: Collection[dt.date] = ()):
        if last < first:
            raise ValueError(f"Empty span {first}..{last}")
        extra = frozenset(extra_closed)
        self.first = first
        self.last = last
        # _counts[i] = working days in (first, first + i days].
        self._counts = [0]
        running = 0
        day = first
        while day < last:
            day += dt.timedelta(days=1)
            running += is_working_day(day, extra_closed=extra)
            self._counts.append(running)

    def _index(self, day: dt.date) -> int:
        if not self.first <= day <= self.last:
            raise ValueError(f"{day} is outside {self.first}..{self.last}")
        return (day - self.first).days

    def between(self, start: dt.date, end: dt.date) -> int:
        return self._counts[self._index(end)] - self._counts[self._index(start)]


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(STOCKHOLM).date()


def close_of_day(day: dt.date) -> dt.datetime:
    """The last second of a local day; zoneinfo gives the right UTC offset on DST days."""
    return dt.datetime.combine(day, CLOSE_OF_DAY, tzinfo=STOCKHOLM)


def agreement_closed_days(agreement_id: int) -> frozenset[dt.date]:
    return frozenset(
        ClosedDay.objects.filter(agreement_id=agreement_id).values_list("date", flat=True)
    )


def due_at(*, rule: DeadlineRule, started_at: dt.datetime) -> dt.datetime:
    """The moment a deadline started at `started_at` under `rule` runs out.

    Day-based rules end at the close (23:59:59 Stockholm time) of the last allowed day, so a
    deadline is still open at due_at and breached one second later. Hour-based rules run exactly
    that many elapsed hours, whatever the clock on the wall does at a DST change.
    """
    return due_at_for(
        time_unit=rule.time_unit,
        amount=rule.amount,
        started_at=started_at,
        extra_closed=(
            agreement_closed_days(rule.agreement_id)
            if rule.time_unit == DeadlineRule.TimeUnit.WORKING_DAYS
            else ()
        ),
    )


def due_at_for(
    *,
    time_unit: str,
    amount: int,
    started_at: dt.datetime,
    extra_closed: Collection[dt.date] = (),
) -> dt.datetime:
    if time_unit == DeadlineRule.TimeUnit.HOURS:
        # In UTC: Python adds timedeltas to wall-clock time within one zone, which would make a
        # 24-hour deadline 23 or 25 real hours long across a DST change.
        return started_at.astimezone(dt.UTC) + dt.timedelta(hours=amount)
    start_day = local_date(started_at)
    if time_unit == DeadlineRule.TimeUnit.WORKING_DAYS:
        return close_of_day(add_working_days(start_day, amount, extra_closed=extra_closed))
    if time_unit == DeadlineRule.TimeUnit.CALENDAR_DAYS:
        return close_of_day(start_day + dt.timedelta(days=amount))
    if time_unit == DeadlineRule.TimeUnit.WEEKS:
        return close_of_day(start_day + dt.timedelta(weeks=amount))
    raise ValueError(f"Unknown time unit {time_unit!r}")


def reminder_moments(
    *,
    time_unit: str,
    offsets: Iterable[int],
    due: dt.datetime,
    extra_closed: Collection[dt.date] = (),
) -> list[dt.datetime]:
    """When to remind, earliest first: each offset counted back from `due` in the rule's unit.

    Day-based reminders come at 08:00 on the day that lies `offset` days (working days for a
    working-day rule) before the due date; hour-based ones exactly `offset` hours before due.
    """
    due_day = local_date(due)
    moments = set()
    for offset in offsets:
        if offset <= 0:
            continue
        if time_unit == DeadlineRule.TimeUnit.HOURS:
            moments.add(due.astimezone(dt.UTC) - dt.timedelta(hours=offset))
            continue
        if time_unit == DeadlineRule.TimeUnit.WORKING_DAYS:
            day = add_working_days(due_day, -offset, extra_closed=extra_closed)
        elif time_unit == DeadlineRule.TimeUnit.WEEKS:
            day = due_day - dt.timedelta(weeks=offset)
        else:
            day = due_day - dt.timedelta(days=offset)
        moments.add(dt.datetime.combine(day, REMINDER_TIME, tzinfo=STOCKHOLM))
    return sorted(moments)


def escalation_moment(
    *, after: dt.datetime, working_days: int, extra_closed: Collection[dt.date] = ()
) -> dt.datetime:
    """The close of the day `working_days` working days after the local date of `after`."""
    return close_of_day(
        add_working_days(local_date(after), working_days, extra_closed=extra_closed)
    )


# --- set-based working days (for reports that measure many intervals in one SQL query) ------------


def closed_weekdays(first: dt.date, last: dt.date) -> list[dt.date]:
    """The national closed days in [first, last] that fall on Monday–Friday, earliest first.

    Bound as one date[] parameter of working_day_numbers_sql().
    """
    return sorted(
        day
        for year in range(first.year, last.year + 1)
        for day in national_closed_days(year)
        if first <= day <= last and day.weekday() < 5
    )


def working_day_numbers_sql(*, agreements: str, first: str, last: str, closed: str) -> str:
    """SQL for a table (agreement_id, day, number): each day from `first` to `last` numbered by
    the working days up to and including it, under each agreement's calendar.

    Joined in twice, `end.number - start.number` equals working_days_between(start, end) with the
    agreement's extra closed days, for any two days in the range (negative when end < start), so
    a report measures many intervals without a subquery per row. `agreements` is an SQL query
    for the agreement ids, `first` and `last` SQL dates, `closed` an SQL date[] holding
    closed_weekdays(first, last).
    """
    extra = ClosedDay._meta.db_table
    return f"""
        SELECT ag.agreement_id, cal.day::date AS day,
               count(*) FILTER (
                   WHERE extract(isodow FROM cal.day) < 6
                     AND NOT (cal.day::date = ANY({closed}))
                     AND NOT EXISTS (
                         SELECT 1 FROM {extra} x
                         WHERE x.agreement_id = ag.agreement_id AND x.date = cal.day::date)
               ) OVER (PARTITION BY ag.agreement_id ORDER BY cal.day) AS number
        FROM ({agreements}) AS ag(agreement_id)
        CROSS JOIN generate_series({first}::timestamp, {last}::timestamp, interval '1 day')
            AS cal(day)"""  # noqa: S608 - only code-defined fragments are interpolated
