import datetime as dt

import pytest

from deadlines import calendar


def test_a_span_counts_like_working_days_between_for_every_pair_of_dates():
    first, last = dt.date(2026, 3, 20), dt.date(2026, 4, 20)  # across Easter 2026
    closed = {dt.date(2026, 4, 14)}
    span = calendar.WorkingDaySpan(first, last, extra_closed=closed)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    for start in days:
        for end in days:
            assert span.between(start, end) == calendar.working_days_between(
                start, end, extra_closed=closed
            ), (start, end)


def test_a_span_refuses_dates_outside_it():
    span = calendar.WorkingDaySpan(dt.date(2026, 3, 2), dt.date(2026, 3, 6))
    with pytest.raises(ValueError, match="outside"):
        span.between(dt.date(2026, 3, 2), dt.date(2026, 3, 9))


def test_a_span_of_one_day_answers_zero():
    day = dt.date(2026, 3, 2)
    assert calendar.WorkingDaySpan(day, day).between(day, day) == 0
