"""Names in Swedish order: A to Z, then Å, Ä, Ö; case and accents only after.

A list of patients or clinics sorted by code point puts Ä before Å, every
lower-case name ("de Vries", "von Essen") after Ö, and É after Z. Swedish has
Å, Ä, Ö last, in that order, and otherwise reads "de Vries" under D and "Élise"
under E. The same order on every database, and in memory:

- PostgreSQL: the collation `swedish`, made by migration 0048 from ICU's sv-SE;
- SQLite: a collation of the same name on every connection, from `swedish_key`
  (`extensions`);
- Python: `swedish_key` as a sort key.

`swedish(column)` is a column in that order, for `ORDER BY`.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import sqlalchemy as sa

COLLATION = "swedish"

# Letters of their own, after Z: Å; Ä (Æ, Ę as Ä); Ö (Ø, Ő, Ô, Œ as Ö). Ü and Ű
# are read as Y, and letters Unicode does not split into a letter and a mark as
# the letters they stand for (ICU's sv-SE reads them so).
_OWN_LETTERS = str.maketrans({
    "å": "{", "ä": "|", "æ": "|", "ę": "|", "ö": "}", "ø": "}", "ő": "}", "ô": "}",
    "œ": "}", "ü": "y", "ű": "y", "ł": "l", "đ": "d", "ð": "d", "þ": "th",
    "ĳ": "ij",
})  # fmt: skip


@lru_cache(maxsize=65536)
def swedish_key(text: str | None) -> tuple[str, str, str]:
    """The sort key: the letters without case or accents (Å, Ä, Ö kept, after
    Z), then the text with its case swapped: where only accents or case differ,
    the plain letter before the accented and lower case before upper, as ICU
    has it ("de Vries" before "De Vries"); last the text itself, so that
    different spellings never tie."""
    text = text or ""
    own = unicodedata.normalize("NFC", text).casefold().translate(_OWN_LETTERS)
    decomposed = unicodedata.normalize("NFD", own)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return bare, text.swapcase(), text


def compare(left: str | None, right: str | None) -> int:
    """SQLite's collation function: -1, 0 or 1 by `swedish_key`."""
    a, b = swedish_key(left), swedish_key(right)
    return (a > b) - (a < b)


def swedish(column: sa.ColumnElement) -> sa.ColumnElement:
    """`column` compared and sorted in Swedish order."""
    return column.collate(COLLATION)
