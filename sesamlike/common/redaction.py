"""Error texts without personal data, for the pages and logs that show them.

An error's text may carry what it met: an SMTP server's refusal names its
recipient ({'anna@example.se': (550, ...)}), an SMS gateway's the number, and
PostgreSQL's DETAIL line the values of a row ("Key (personal_id)=(...)",
"Failing row contains (...)"). The admin's jobs page shows such texts, and the
admin sees no patient's identity or contact details (domain.md, need to
know). SQLAlchemy leaves the statement's values out (`hide_parameters`, in
config.py); this masks the rest.
"""

from __future__ import annotations

import re

HIDDEN = "***"
_ADDRESS = re.compile(r"[^\s'\"<>(){}\[\],;:]+@[^\s'\"<>(){}\[\],;:]+")
# A personnummer, samordningsnummer, reserve number's digits or phone number.
_NUMBER = re.compile(r"\+?\d[\d \-]{6,}\d")
_DETAIL = re.compile(r"(DETAIL:)[^\n]*")


def redacted(text: str) -> str:
    """`text` with e-mail addresses, long numbers and database DETAIL lines masked."""
    text = _DETAIL.sub(rf"\1 {HIDDEN}", text)
    return _NUMBER.sub(HIDDEN, _ADDRESS.sub(HIDDEN, text))
