import datetime as dt

import pytest

from agreements.models import ClosedDay, DeadlineRule
from deadlines import calendar
from tests.factories import DeadlineRuleFactory

pytestmark = pytest.mark.django_db

STHLM = calendar.STOCKHOLM


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=STHLM)


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (dt.date(2026, 4, 3), "Långfredagen"),
        (dt.date(2026, 4, 6), "Annandag påsk"),
        (dt.date(2026, 5, 1), "Första maj"),
        (dt.date(2026, 5, 14), "Kristi himmelsfärdsdag"),
        (dt.date(2026, 6, 19), "Midsommarafton"),
        (dt.date(2026, 12, 24), "Julafton"),
        (dt.date(2026, 12, 25), "Juldagen"),
        (dt.date(2026, 12, 31), "Nyårsafton"),
        (dt.date(2027, 1, 1), "Nyårsdagen"),
        (dt.date(2027, 1, 6), "Trettondedag jul"),
        (dt.date(2026, 4, 4), "a Saturday"),
        (dt.date(2026, 4, 5), "a Sunday"),
    ],
)
def test_it_treats_holidays_eves_and_weekends_as_closed(day, why):
    assert not calendar.is_working_day(day), why


def test_it_treats_an_ordinary_weekday_as_working():
    assert calendar.is_working_day(dt.date(2026, 4, 7))


def test_it_treats_an_extra_closed_day_as_closed():
    assert not calendar.is_working_day(dt.date(2026, 4, 7), extra_closed={dt.date(2026, 4, 7)})


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Thursday before Easter: Good Friday and Easter Monday are skipped (7, 8, 9, 10, 13).
        (dt.date(2026, 4, 2), 5, dt.date(2026, 4, 13)),
        # Thursday before Midsummer: Midsummer Eve (Friday) is closed.
        (dt.date(2026, 6, 18), 1, dt.date(2026, 6, 22)),
        # Christmas Eve, Christmas Day and the weekend (Boxing Day is a Saturday in 2026).
        (dt.date(2026, 12, 23), 1, dt.date(2026, 12, 28)),
        # New Year's Eve and New Year's Day, then the weekend.
        (dt.date(2026, 12, 30), 1, dt.date(2027, 1, 4)),
        # Epiphany.
        (dt.date(2027, 1, 5), 1, dt.date(2027, 1, 7)),
        # A start on a closed day counts from the next working day.
        (dt.date(2026, 4, 4), 1, dt.date(2026, 4, 7)),
        (dt.date(2026, 4, 13), -5, dt.date(2026, 4, 2)),
        (dt.date(2026, 4, 8), 0, dt.date(2026, 4, 8)),
    ],
)
def test_it_adds_working_days_across_holidays(start, n, expected):
    assert calendar.add_working_days(start, n) == expected


def test_working_days_between_is_the_inverse_of_adding_them():
    start = dt.date(2026, 12, 18)
    for n in range(-15, 16):
        assert calendar.working_days_between(start, calendar.add_working_days(start, n)) == n


def test_working_days_between_counts_zero_on_the_same_day_and_negative_backwards():
    assert calendar.working_days_between(dt.date(2026, 4, 13), dt.date(2026, 4, 13)) == 0
    assert calendar.working_days_between(dt.date(2026, 4, 14), dt.date(2026, 4, 13)) == -1


def test_a_working_day_rule_ends_at_the_close_of_the_nth_working_day():
    rule = DeadlineRuleFactory(amount=5, time_unit=DeadlineRule.TimeUnit.WORKING_DAYS)
    due = calendar.due_at(rule=rule, started_at=local(2026, 4, 2, 10, 0))
    assert due == local(2026, 4, 13, 23, 59, 59)


def test_the_start_day_is_the_stockholm_date_not_the_utc_date():
    rule = DeadlineRuleFactory(amount=5, time_unit=DeadlineRule.TimeUnit.WORKING_DAYS)
    # 00:30 in Stockholm is still the previous day in UTC.
    started = local(2026, 4, 2, 0, 30)
    assert started.astimezone(dt.UTC).date() == dt.date(2026, 4, 1)
    assert calendar.due_at(rule=rule, started_at=started) == local(2026, 4, 13, 23, 59, 59)


def test_agreement_closed_days_push_a_working_day_deadline():
    rule = DeadlineRuleFactory(amount=5, time_unit=DeadlineRule.TimeUnit.WORKING_DAYS)
    ClosedDay.objects.create(
        agreement=rule.agreement, date=dt.date(2026, 4, 7), reason="Kompetensdag"
    )
    due = calendar.due_at(rule=rule, started_at=local(2026, 4, 2, 10, 0))
    assert due == local(2026, 4, 14, 23, 59, 59)


def test_a_calendar_day_rule_counts_holidays_and_weekends():
    rule = DeadlineRuleFactory(amount=5, time_unit=DeadlineRule.TimeUnit.CALENDAR_DAYS)
    due = calendar.due_at(rule=rule, started_at=local(2026, 4, 2, 10, 0))
    assert due == local(2026, 4, 7, 23, 59, 59)


def test_a_week_rule_counts_seven_days_a_week():
    rule = DeadlineRuleFactory(amount=2, time_unit=DeadlineRule.TimeUnit.WEEKS)
    due = calendar.due_at(rule=rule, started_at=local(2026, 4, 2, 10, 0))
    assert due == local(2026, 4, 16, 23, 59, 59)


def test_close_of_day_is_right_after_the_spring_dst_change():
    rule = DeadlineRuleFactory(amount=1, time_unit=DeadlineRule.TimeUnit.WORKING_DAYS)
    due = calendar.due_at(rule=rule, started_at=local(2026, 3, 27, 15, 0))
    assert due == local(2026, 3, 30, 23, 59, 59)
    # Summer time (UTC+2) has begun.
    assert due.astimezone(dt.UTC) == dt.datetime(2026, 3, 30, 21, 59, 59, tzinfo=dt.UTC)


def test_close_of_day_is_right_after_the_autumn_dst_change():
    rule = DeadlineRuleFactory(amount=1, time_unit=DeadlineRule.TimeUnit.WORKING_DAYS)
    due = calendar.due_at(rule=rule, started_at=local(2026, 10, 23, 15, 0))
    assert due.astimezone(dt.UTC) == dt.datetime(2026, 10, 26, 22, 59, 59, tzinfo=dt.UTC)


def test_an_hour_rule_across_the_spring_dst_change_is_exactly_n_elapsed_hours():
    rule = DeadlineRuleFactory(amount=24, time_unit=DeadlineRule.TimeUnit.HOURS)
    started = local(2026, 3, 28, 12, 0)
    due = calendar.due_at(rule=rule, started_at=started)
    assert due.astimezone(dt.UTC) - started.astimezone(dt.UTC) == dt.timedelta(hours=24)
    # The wall clock skipped an hour, so 24 elapsed hours end at 13:00 local.
    assert due.astimezone(STHLM).time() == dt.time(13, 0)


def test_an_hour_rule_across_the_autumn_dst_change_is_exactly_n_elapsed_hours():
    rule = DeadlineRuleFactory(amount=24, time_unit=DeadlineRule.TimeUnit.HOURS)
    started = local(2026, 10, 24, 12, 0)
    due = calendar.due_at(rule=rule, started_at=started)
    assert due.astimezone(dt.UTC) - started.astimezone(dt.UTC) == dt.timedelta(hours=24)
    assert due.astimezone(STHLM).time() == dt.time(11, 0)


def test_working_day_reminders_come_at_eight_on_earlier_working_days():
    moments = calendar.reminder_moments(
        time_unit=DeadlineRule.TimeUnit.WORKING_DAYS,
        offsets=[1, 2],
        due=local(2026, 4, 13, 23, 59, 59),
    )
    # One working day before Monday 13 April is Friday 10; Easter Monday is not counted.
    assert moments == [local(2026, 4, 9, 8, 0), local(2026, 4, 10, 8, 0)]


def test_hour_reminders_are_exact_elapsed_hours_before_due_even_across_dst():
    due = local(2026, 3, 29, 12, 0)
    moments = calendar.reminder_moments(
        time_unit=DeadlineRule.TimeUnit.HOURS, offsets=[24], due=due
    )
    # 24 real hours before 12:00 on the day clocks spring forward is 11:00 the day before.
    assert moments == [local(2026, 3, 28, 11, 0)]
