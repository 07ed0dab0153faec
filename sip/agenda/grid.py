"""Week and month grids of calendar entries, and the overlaps between them. Pure: no queries."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from deadlines.calendar import STOCKHOLM, is_working_day


@dataclass(frozen=True)
class Entry:
    """One block in a calendar: a meeting of mine, a busy slot of an invited unit, or the
    proposed time of a meeting being planned."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    label: str
    kind: str  # "mine", "busy" or "proposal"
    url: str = ""
    detail: str = ""
    clashes: bool = False

    @property
    def local_start(self) -> dt.datetime:
        return self.starts_at.astimezone(STOCKHOLM)

    @property
    def local_end(self) -> dt.datetime:
        return self.ends_at.astimezone(STOCKHOLM)

    def overlaps(self, other: "Entry") -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


@dataclass(frozen=True)
class Day:
    date: dt.date
    entries: list[Entry] = field(default_factory=list)
    is_today: bool = False
    in_month: bool = True

    @property
    def is_working_day(self) -> bool:
        return is_working_day(self.date)

    @property
    def has_clash(self) -> bool:
        return any(entry.clashes for entry in self.entries)


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def parse_iso_week(value: str, *, default: dt.date) -> dt.date:
    """The Monday of an ISO week written 2026-W25; `default`'s week when the text is not one."""
    try:
        return dt.date.fromisocalendar(int(value[:4]), int(value[6:8]), 1)
    except (ValueError, IndexError):
        return monday_of(default)


def iso_week(day: dt.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_month(value: str, *, default: dt.date) -> dt.date:
    """The first day of a month written 2026-06; `default`'s month when the text is not one."""
    try:
        year, month = value.split("-")
        return dt.date(int(year), int(month), 1)
    except ValueError:
        return default.replace(day=1)


def mark_clashes(entries: Iterable[Entry]) -> list[Entry]:
    """Flag every entry that overlaps another one, sorted by start. Sorting first means each
    entry is only compared with the ones that start before it has ended."""
    ordered = sorted(entries, key=lambda entry: (entry.starts_at, entry.ends_at))
    clashing: set[int] = set()
    for i, entry in enumerate(ordered):
        for j in range(i + 1, len(ordered)):
            if ordered[j].starts_at >= entry.ends_at:
                break
            clashing.update((i, j))
    return [replace(entry, clashes=i in clashing) for i, entry in enumerate(ordered)]


def _by_day(entries: Iterable[Entry]) -> dict[dt.date, list[Entry]]:
    days: dict[dt.date, list[Entry]] = defaultdict(list)
    for entry in entries:
        days[entry.local_start.date()].append(entry)
    return days


def week_grid(*, monday: dt.date, entries: Iterable[Entry], today: dt.date) -> list[Day]:
    days = _by_day(mark_clashes(entries))
    return [
        Day(date=day, entries=days.get(day, []), is_today=day == today)
        for day in (monday + dt.timedelta(days=n) for n in range(7))
    ]


def month_grid(*, first: dt.date, entries: Iterable[Entry], today: dt.date) -> list[list[Day]]:
    """Whole weeks, Monday first, covering the month; days outside it are marked so."""
    days = _by_day(mark_clashes(entries))
    start = monday_of(first)
    next_month = (first + dt.timedelta(days=31)).replace(day=1)
    weeks = []
    while start < next_month:
        weeks.append(
            [
                Day(
                    date=day,
                    entries=days.get(day, []),
                    is_today=day == today,
                    in_month=day.month == first.month,
                )
                for day in (start + dt.timedelta(days=n) for n in range(7))
            ]
        )
        start += dt.timedelta(days=7)
    return weeks


def local_range(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Aware bounds from the start of `first` to the end of `last`, Stockholm time."""
    return (
        dt.datetime.combine(first, dt.time.min, tzinfo=STOCKHOLM),
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=STOCKHOLM),
    )
