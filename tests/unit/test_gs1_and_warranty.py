"""GS1 parsing at receipt, and a lent device's warranty end."""

from __future__ import annotations

from datetime import date

import pytest

from sesamlike.stock.devices import warranty_end
from sesamlike.stock.errors import UnreadableBarcode
from sesamlike.stock.gs1 import gtin_forms, parse_gs1


@pytest.mark.parametrize(
    "text",
    [
        "]d2010731234567890617271231\x1d10ABC123",  # DataMatrix with its GS
        "]d201073123456789061727123110ABC123",  # lot last: no GS needed
        "010731234567890617271231<GS>10ABC123",  # GS typed by hand
        "(01)07312345678906(17)271231(10)ABC123",  # human-readable, pasted
        "]C1010731234567890617271231\x1d10ABC123",  # GS1-128
    ],
)
def test_gs1_strings_give_gtin_lot_and_expiry(text):
    scan = parse_gs1(text)
    assert (scan.gtin, scan.lot, scan.expiry) == (
        "07312345678906",
        "ABC123",
        date(2027, 12, 31),
    )


def test_serial_number_is_read_from_ai_21():
    assert parse_gs1("(01)07312345678906(21)SN-0042").serial_no == "SN-0042"


@pytest.mark.parametrize("text", ["", "hello", "(01)07312345678906(17)279999"])
def test_unreadable_codes_are_refused_with_a_reason(text):
    with pytest.raises(UnreadableBarcode):
        parse_gs1(text)


def test_a_gtin_14_matches_its_shorter_stored_forms():
    assert gtin_forms("07312345678906") == {"07312345678906", "7312345678906"}
    assert "12345670" in gtin_forms("00000012345670")


def test_warranty_ends_the_day_before_the_anniversary_of_the_start():
    """The walkthrough: DXG7-0001, lent from a supplier's status file on 7
    December 2026, had a warranty to 7 December 2030; every device of the
    delivered history (DSD00000 from 9 May 2026: to 8 May 2030) ends the day
    before. One rule for all."""
    assert warranty_end(date(2026, 12, 7), 4) == date(2030, 12, 6)
    assert warranty_end(date(2026, 5, 9), 4) == date(2030, 5, 8)
    assert warranty_end(date(2026, 3, 1), 4) == date(2030, 2, 28)
    assert warranty_end(date(2024, 2, 29), 4) == date(2028, 2, 28)
    assert warranty_end(date(2024, 2, 29), 1) == date(2025, 2, 27)
    assert warranty_end(date(2026, 2, 3), None) is None
