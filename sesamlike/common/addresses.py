"""E-mail addresses as every form takes them: staff accounts and patients alike."""

from __future__ import annotations

import re

EMAIL_MAX = 254
# Something before one @, and a domain of dot-separated parts after it: a mail
# must reach a mail server, and "anna@exa" (no dot) or "anna@exempel..se" (an
# empty part) names none.
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def is_email(text: str) -> bool:
    """Whether `text` (stripped) is an address a mail can be sent to."""
    return len(text) <= EMAIL_MAX and EMAIL_PATTERN.fullmatch(text) is not None
