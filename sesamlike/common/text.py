"""Text folded for searching: no case, no diacritics, the same on every database;
and the one rule of what no text typed or sent to the app may hold."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from sesamlike.common.i18n import N_

# Letters that Unicode does not decompose into a base letter and a mark.
_LETTERS = str.maketrans(
    {
        "ø": "o",
        "Ø": "o",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "đ": "d",
        "Đ": "d",
        "ł": "l",
        "Ł": "l",
        "þ": "th",
        "Þ": "th",
        "ı": "i",
    }
)


def fold(text: str | None) -> str:
    """Lower case, no diacritics, hyphen as space: 'Löf-Åberg' -> 'lof aberg'."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(_LETTERS))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().replace("-", " ").split())


def name_words(text: str | None) -> list[str]:
    """The folded words of a typed name, a comma as a space: "Löfgren, Nora"
    (as the lists show names) -> ['lofgren', 'nora']."""
    return fold((text or "").replace(",", " ")).split()


# C0 control characters but the ordinary whitespace (tab, line feed, carriage
# return): nobody types them, they show as nothing, and PostgreSQL refuses NUL
# in text outright (SQLite stored it). Refused with this field message by the
# API's loader (api/routing.py), every page's form (common/forms.py) and the
# CSV reader (common/csvfiles.py). Half a UTF-16 pair (a lone surrogate, which
# JSON may send as "\ud800") shows as nothing too, and no database driver can
# encode it: the same rule refuses it.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
CONTROL_CHARACTER = N_("Får inte innehålla styrtecken (osynliga tecken som NUL).")
# A value sent with a form but read by the view itself, not by a field.
FORM_CONTROL_CHARACTER = N_(
    "Formuläret innehåller styrtecken (osynliga tecken som NUL)."
)


def has_control_character(text: str) -> bool:
    """Whether `text` holds a control character (`CONTROL_CHARACTER`)."""
    return _CONTROL_CHARACTER.search(text) is not None


def names_with_control_characters(value: object, name: str = "") -> Iterator[str]:
    """The names ("lines.0.reason_text") of the texts in a loaded JSON value
    (dicts, lists, strings) that hold a control character."""
    if isinstance(value, str):
        if has_control_character(value):
            yield name
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from names_with_control_characters(
                item, f"{name}.{key}" if name else str(key)
            )
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from names_with_control_characters(item, f"{name}.{index}")
