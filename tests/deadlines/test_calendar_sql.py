"""The SQL working-day count used by reports must agree with the Python calendar exactly."""

import datetime as dt
import random

import pytest
from django.db import connection

from agreements.models import ClosedDay
from deadlines import calendar
from tests.factories import AgreementFactory

pytestmark = pytest.mark.django_db

FIRST = dt.date(2024, 12, 1)
LAST = dt.date(2027, 1, 31)


def sql_working_days(pairs: list[tuple[dt.date, dt.date]], agreement_id: int) -> list[int]:
    """Count every pair in one query by joining the numbered calendar twice, as a report does."""
    numbers = calendar.working_day_numbers_sql(
        agreements="SELECT %(agreement)s::bigint",
        first="%(first)s",
        last="%(last)s",
        closed="%(closed)s::date[]",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH numbers AS ({numbers})
            SELECT finish.number - start.number
            FROM unnest(%(starts)s::date[], %(ends)s::date[])
                 WITH ORDINALITY AS pair(start_day, end_day, n)
            JOIN numbers start ON start.day = pair.start_day
            JOIN numbers finish ON finish.day = pair.end_day
            ORDER BY pair.n""",  # noqa: S608
            {
                "closed": calendar.closed_weekdays(FIRST, LAST),
                "agreement": agreement_id,
                "first": FIRST,
                "last": LAST,
                "starts": [start for start, _end in pairs],
                "ends": [end for _start, end in pairs],
            },
        )
        return [row[0] for row in cursor.fetchall()]


def random_pairs(count: int) -> list[tuple[dt.date, dt.date]]:
    rng = random.Random(20261122)
    span = (LAST - FIRST).days
    pairs = []
    for _n in range(count):
        start = FIRST + dt.timedelta(days=rng.randrange(span))
        end = start + dt.timedelta(days=rng.randrange(-40, 120))
        pairs.append((start, min(max(end, FIRST), LAST)))
    return pairs


def test_it_counts_the_same_working_days_as_the_python_calendar_for_many_random_pairs():
    pairs = random_pairs(600)

    # No agreement has id 0, so only the national calendar applies.
    counted = sql_working_days(pairs, agreement_id=0)

    assert counted == [calendar.working_days_between(start, end) for start, end in pairs]


def test_it_subtracts_an_agreements_extra_closed_days_like_the_python_calendar():
    agreement = AgreementFactory()
    # A weekday, a Saturday, and a day that is already a national holiday (must not count twice).
    extra = {dt.date(2025, 3, 12), dt.date(2025, 3, 15), dt.date(2025, 12, 24), dt.date(2026, 8, 3)}
    for day in extra:
        ClosedDay.objects.create(agreement=agreement, date=day, reason="Planeringsdag")
    other = AgreementFactory()
    ClosedDay.objects.create(agreement=other, date=dt.date(2025, 3, 13), reason="Annan region")
    pairs = [*random_pairs(400), (dt.date(2025, 3, 11), dt.date(2025, 3, 17))]

    counted = sql_working_days(pairs, agreement_id=agreement.pk)

    expected = [
        calendar.working_days_between(start, end, extra_closed=extra) for start, end in pairs
    ]
    assert counted == expected
    # 12 March is closed for this agreement only: Tue 11 → Mon 17 has 13, 14, 17 left.
    assert counted[-1] == 3


def test_it_lists_only_national_closed_days_that_fall_on_weekdays():
    days = calendar.closed_weekdays(dt.date(2026, 6, 1), dt.date(2026, 6, 30))

    # National Day (Saturday 6 June 2026) falls on a weekend; Midsummer Eve is a Friday.
    assert days == [dt.date(2026, 6, 19)]
