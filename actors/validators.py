"""Validation of Swedish organisation numbers (organisationsnummer)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_ORGNR = re.compile(r"^(?:16)?(\d{6})-?(\d{4})$")


def luhn_ok(digits: str) -> bool:
    """Luhn (modulus 10) check over a string of digits, as used by Skatteverket."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def luhn_check_digit(nine_digits: str) -> str:
    for candidate in "0123456789":
        if luhn_ok(nine_digits + candidate):
            return candidate
    raise ValueError(nine_digits)  # unreachable: one digit always completes a Luhn sum


def normalize_organisationsnummer(value: str) -> str:
    """Return the number as NNNNNN-NNNN or raise ValidationError with a Swedish message.

    Accepts surrounding spaces, with or without the hyphen, and the 12-digit form with the
    "16" prefix. The third digit of a legal person's number is at least 2 (it is never a month).
    """
    match = _ORGNR.match((value or "").strip())
    if not match:
        raise ValidationError(
            _("Organisationsnumret ska ha formen NNNNNN-NNNN (10 siffror)."), code="format"
        )
    digits = match.group(1) + match.group(2)
    if int(digits[2]) < 2:
        raise ValidationError(
            _("Organisationsnumrets tredje siffra ska vara 2 eller högre för en juridisk person."),
            code="format",
        )
    if not luhn_ok(digits):
        raise ValidationError(
            _("Organisationsnumrets kontrollsiffra stämmer inte."), code="checksum"
        )
    return f"{digits[:6]}-{digits[6:]}"


def validate_organisationsnummer(value: str) -> None:
    normalize_organisationsnummer(value)
