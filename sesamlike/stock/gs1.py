"""Read a scanned or pasted GS1 DataMatrix / GS1-128 string with biip."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import biip
from biip.gs1_messages import GS1Message

from sesamlike.stock.errors import UnreadableBarcode

# Scanners send ASCII 29 (GS) between variable-length fields; people who paste
# often type it as "<GS>", "\x1d" or a parenthesised human-readable form.
_GS_SPELLINGS = ("<GS>", "<gs>", "\\x1d", "␝")
GS = "\x1d"


class Scan(NamedTuple):
    gtin: str | None
    lot: str | None
    expiry: date | None
    serial_no: str | None


def parse_gs1(text: str) -> Scan:
    """GTIN, lot (batch), expiry and serial number from a GS1 element string."""
    raw = (text or "").strip()
    for spelling in _GS_SPELLINGS:
        raw = raw.replace(spelling, GS)
    if not raw:
        raise UnreadableBarcode(detail="tom")
    try:
        if raw.startswith("("):
            message = GS1Message.parse_hri(raw)
        else:
            result = biip.parse(raw)
            message = result.gs1_message
            if message is None:
                raise biip.ParseError(result.gs1_message_error or "not GS1")
    except biip.ParseError as error:
        raise UnreadableBarcode(detail=str(error)[:200]) from None
    found: dict[str, object] = {}
    for element in message.element_strings:
        ai = element.ai.ai
        if ai == "01":
            found["gtin"] = element.value
        elif ai == "10":
            found["lot"] = element.value
        elif ai == "17":
            found["expiry"] = element.date
        elif ai == "21":
            found["serial_no"] = element.value
    if found.get("expiry") is None and "17" in {
        e.ai.ai for e in message.element_strings
    }:
        raise UnreadableBarcode(detail="ogiltigt utgångsdatum")
    if not found:
        raise UnreadableBarcode(detail="inga GTIN-, parti- eller datumfält")
    return Scan(
        found.get("gtin"), found.get("lot"), found.get("expiry"), found.get("serial_no")
    )


def gtin_forms(gtin: str) -> set[str]:
    """A GTIN-14 as it may be stored: GTIN-14, -13, -12 or -8 (leading zeros cut)."""
    digits = gtin.zfill(14)
    return {digits[cut:] for cut in (0, 1, 2, 6) if not digits[:cut].strip("0")}
