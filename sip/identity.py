"""Swedish personal identity numbers (personnummer) and co-ordination numbers (samordningsnummer).

Both are stored in the 12-digit form YYYYMMDDNNNC. A samordningsnummer is a personnummer whose day
has 60 added. The 10-digit form YYMMDD-NNNC takes its century from the separator: '-' (or none)
means under 100 years old, '+' means 100 years or older.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from actors.validators import luhn_ok

_TWELVE = re.compile(r"^(\d{4})(\d{2})(\d{2})-?(\d{4})$")
_TEN = re.compile(r"^(\d{2})(\d{2})(\d{2})([-+]?)(\d{4})$")
COORDINATION_DAY_OFFSET = 60


@dataclass(frozen=True)
class IdNumber:
    number: str  # 12 digits
    birth_date: dt.date
    is_coordination_number: bool

    @property
    def display(self) -> str:
        return format_id_number(self.number)


def format_id_number(number: str) -> str:
    """YYYYMMDD-NNNN for a stored 12-digit number; anything else is shown as stored."""
    if len(number) == 12 and number.isdigit():
        return f"{number[:8]}-{number[8:]}"
    return number


def _century_year(yy: int, month: int, day: int, *, plus: bool, today: dt.date) -> int:
    """The year ending in `yy` of the most recent such date not after today; '+' adds 100 years."""
    year = today.year - ((today.year - yy) % 100)
    if (year, month, day) > (today.year, today.month, today.day):
        year -= 100
    if plus:
        year -= 100
    return year


def parse_id_number(value: str, *, today: dt.date) -> IdNumber:
    """Parse and validate a personnummer or samordningsnummer, or raise ValidationError.

    1. Accept 12 digits (optional '-') or 10 digits (optional '-' or '+'), spaces around tolerated.
    2. Work out the full birth year (10-digit form) from today and the separator.
    3. Check the date is real (day minus 60 for a samordningsnummer) and not in the future.
    4. Refuse serial 000 and a wrong check digit (Luhn over the 10 last digits).
    """
    text = (value or "").strip()
    twelve = _TWELVE.match(text)
    ten = _TEN.match(text)
    if twelve:
        year = int(twelve.group(1))
        month, raw_day = int(twelve.group(2)), int(twelve.group(3))
        tail = twelve.group(4)
        ten_digits = twelve.group(1)[2:] + twelve.group(2) + twelve.group(3) + tail
    elif ten:
        month, raw_day = int(ten.group(2)), int(ten.group(3))
        tail = ten.group(5)
        ten_digits = ten.group(1) + ten.group(2) + ten.group(3) + tail
        day_for_year = raw_day - COORDINATION_DAY_OFFSET if raw_day > 60 else raw_day
        year = _century_year(
            int(ten.group(1)), month, day_for_year, plus=ten.group(4) == "+", today=today
        )
    else:
        raise ValidationError(
            _("Personnumret ska ha 10 eller 12 siffror, t.ex. ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN."),
            code="format",
        )

    is_coordination = raw_day > COORDINATION_DAY_OFFSET
    day = raw_day - COORDINATION_DAY_OFFSET if is_coordination else raw_day
    try:
        birth_date = dt.date(year, month, day)
    except ValueError:
        if is_coordination:
            message = _("Samordningsnumret innehåller inget giltigt födelsedatum.")
        else:
            message = _("Personnumret innehåller inget giltigt födelsedatum.")
        raise ValidationError(message, code="date") from None
    if birth_date > today:
        raise ValidationError(_("Födelsedatumet i personnumret ligger i framtiden."), code="future")
    if tail[:3] == "000":
        raise ValidationError(_("Födelsenumret 000 används inte i personnummer."), code="serial")
    if not luhn_ok(ten_digits):
        raise ValidationError(_("Personnumrets kontrollsiffra stämmer inte."), code="checksum")
    return IdNumber(
        number=f"{year:04d}{month:02d}{raw_day:02d}{tail}",
        birth_date=birth_date,
        is_coordination_number=is_coordination,
    )
