"""Properties of GS1 parsing (stock.gs1.parse_gs1): what is encoded reads back."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from sesamlike.common.time import region_today
from sesamlike.stock.gs1 import GS, parse_gs1


def check_digit(body: str) -> str:
    """GS1 mod-10 check digit for the digits before it."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


gtins = st.from_regex(r"\A[0-9]{13}\Z").map(lambda body: body + check_digit(body))
# AI 10 takes up to 20 characters of GS1's set 82; letters, digits and a few marks.
lots = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-./",
    min_size=1,
    max_size=20,
)
# Two-digit years resolve within -49/+50 years of today (GS1 General Spec 7.12).
expiries = st.dates(
    min_value=date(region_today().year - 40, 1, 1),
    max_value=date(region_today().year + 40, 12, 31),
)


@settings(max_examples=300, deadline=None)
@given(gtins, lots, expiries, st.integers(0, 3))
def test_gtin_lot_and_expiry_read_back_from_every_form(gtin, lot, expiry, form):
    yymmdd = f"{expiry:%y%m%d}"
    text = [
        f"01{gtin}17{yymmdd}10{lot}",  # lot last: no separator needed
        f"01{gtin}10{lot}{GS}17{yymmdd}",  # separator after the variable field
        f"01{gtin}10{lot}<GS>17{yymmdd}",  # as people paste it
        f"(01){gtin}(17){yymmdd}(10){lot}",  # human-readable form
    ][form]
    scan = parse_gs1(text)
    assert (scan.gtin, scan.lot, scan.expiry) == (gtin, lot, expiry)
    assert scan.serial_no is None
