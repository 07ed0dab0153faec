from decimal import Decimal

from sip.placements.models import CostShare


def test_a_share_reads_in_swedish_number_format_without_needless_decimals():
    assert CostShare(percent=Decimal("60.00")).display_value == "60 %"
    assert CostShare(percent=Decimal("33.50")).display_value == "33,50 %"
    assert CostShare(amount=Decimal("12500.00")).display_value == "12\xa0500 kr"
    assert CostShare(amount=Decimal("1234.56")).display_value == "1\xa0234,56 kr"
