"""Where aids may be delivered: never to a box address (seed 000, section 4.8).

A box is said anywhere in the street line ("c/o Svensson, Box 77"), and under
any of its names: Box, Postbox, Postfack, PL (postlåda). A street that merely
begins with the word ("Boxvägen 5") is a street.
"""

from __future__ import annotations

import re

from sesamlike.common.i18n import N_

BOX_ADDRESS_REFUSAL = N_("Hjälpmedel levereras inte till boxadress.")
_BOX_ADDRESS = re.compile(
    r"(?:^|[\s,;/])(?:box|postbox|postfack|pl)\s*\d", re.IGNORECASE
)


def is_box_address(street: str | None) -> bool:
    return bool(street) and _BOX_ADDRESS.search(street) is not None


def same_text(one: str | None, other: str | None) -> bool:
    """Whether two address fields say the same, spaces and case aside
    ("Storgatan 1" and "storgatan  1"; "411 01" and "41101")."""

    def plain(text: str | None) -> str:
        return "".join((text or "").split()).casefold()

    return plain(one) == plain(other)
