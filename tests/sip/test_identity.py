import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from sip.identity import parse_id_number

TODAY = dt.date(2026, 6, 12)


def parse(value: str):
    return parse_id_number(value, today=TODAY)


@pytest.mark.parametrize(
    "value",
    ["19121212-1212", "191212121212", "  19121212-1212  ", "121212+1212", " 121212+1212"],
)
def test_a_valid_personnummer_is_stored_in_twelve_digits_whatever_the_format(value):
    parsed = parse(value)
    assert parsed.number == "191212121212"
    assert parsed.birth_date == dt.date(1912, 12, 12)
    assert not parsed.is_coordination_number


@pytest.mark.parametrize("value", ["121212-1212", "1212121212", " 121212-1212 "])
def test_a_ten_digit_number_without_plus_is_under_a_hundred(value):
    assert parse(value).number == "201212121212"


def test_a_ten_digit_number_with_plus_means_a_hundred_years_or_older():
    assert parse("121212+1212").birth_date == dt.date(1912, 12, 12)
    # Without '+', 12-12-12 is the most recent such date that is not in the future.
    assert parse("201212-1212").birth_date == dt.date(2020, 12, 12)
    assert parse("201212+1212").birth_date == dt.date(1920, 12, 12)


def test_a_ten_digit_birthday_later_this_year_belongs_to_the_last_century():
    # 12 December 2026 is after today, so 261212 is 1926.
    assert parse("261212-1216").number[:4] == "1926"


def test_a_bad_check_digit_is_refused():
    with pytest.raises(ValidationError, match="kontrollsiffra"):
        parse("19121212-1213")


def test_an_impossible_date_is_refused():
    with pytest.raises(ValidationError, match="giltigt födelsedatum"):
        parse("20230229-1236")


def test_a_samordningsnummer_has_sixty_added_to_the_day():
    parsed = parse("19701063-2391")
    assert parsed.is_coordination_number
    assert parsed.birth_date == dt.date(1970, 10, 3)
    assert parsed.number == "197010632391"


def test_an_impossible_samordningsnummer_date_is_refused():
    with pytest.raises(ValidationError, match="Samordningsnumret"):
        parse("19700292-1234")


def test_serial_000_is_refused():
    with pytest.raises(ValidationError, match="000"):
        parse("20100101-0006")


def test_a_birth_date_in_the_future_is_refused():
    with pytest.raises(ValidationError, match="framtiden"):
        parse("20261212-1216")


@pytest.mark.parametrize("value", ["", "abc", "12121-21212", "1212121212121", "121212/1212"])
def test_other_formats_are_refused_in_swedish(value):
    with pytest.raises(ValidationError, match="10 eller 12 siffror"):
        parse(value)
