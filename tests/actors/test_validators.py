import pytest
from django.core.exceptions import ValidationError

from actors.validators import luhn_ok, normalize_organisationsnummer


def test_lulea_kommuns_number_passes_the_luhn_check():
    # 2 1 2 0 0 0 2 7 4 2, every second digit from the right doubled: 2+8+7+4+0+0+0+4+1+4 = 30.
    assert luhn_ok("2120002742")
    assert normalize_organisationsnummer("212000-2742") == "212000-2742"


def test_a_number_without_hyphen_is_normalized():
    assert normalize_organisationsnummer(" 2120002742 ") == "212000-2742"


def test_the_twelve_digit_form_with_16_prefix_is_accepted():
    assert normalize_organisationsnummer("16212000-2742") == "212000-2742"
    assert normalize_organisationsnummer("162120002742") == "212000-2742"


def test_a_wrong_check_digit_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        normalize_organisationsnummer("212000-2743")
    assert excinfo.value.code == "checksum"


@pytest.mark.parametrize(
    "value", ["", "21200-2742", "212000-27421", "abcdef-ghij", "19212000-2742"]
)
def test_a_malformed_number_is_refused(value):
    with pytest.raises(ValidationError) as excinfo:
        normalize_organisationsnummer(value)
    assert excinfo.value.code == "format"


def test_a_personal_identity_number_is_not_an_organisation_number():
    # Third digit below 2 is a month: 811218-9876 is a person, even with a valid check digit.
    with pytest.raises(ValidationError):
        normalize_organisationsnummer("811218-9876")
