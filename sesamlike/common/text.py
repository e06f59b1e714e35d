"""Text folded for searching: no case, no diacritics, the same on every database."""

from __future__ import annotations

import unicodedata

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
