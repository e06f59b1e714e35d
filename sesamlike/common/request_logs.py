"""Request logs without the secrets some paths carry, and no identity number.

A password link's path holds its token (`/password/<token>`): it works once and
for 48 hours, so whoever reads a log line with it could choose the password.
The development server (Werkzeug's logger) and gunicorn's access and error logs
(gunicorn.conf.py's logger class) mask it in every line, the Referer that
gunicorn writes included. A personnummer in an address (a FHIR client's
search by identifier, an admin's search, the login page's `next` naming them)
is masked alike: whoever reads the logs may not read patients' identities.

A request that fails is logged with its traceback (Flask's app logger), which
names what the failing statement met: PostgreSQL's DETAIL line holds a row's
values (a personnummer, a name). Those lines are written without them
(`common.redaction`); SQLAlchemy leaves the statement's values out itself.
"""

from __future__ import annotations

import logging
import re

from sesamlike.common.redaction import redacted

# The token: up to the end of the path segment (a query, a quote, a space).
_SECRET_PATH = re.compile(r"(/password/)[^/?#\s\"'\x1b]+")
MASK = r"\1***"
# A personnummer or samordningsnummer a client put in an address (a FHIR
# search by identifier, an admin's search, a login page's `next` naming
# either): 10 or 12 digits, with or without its separator, URL-encoded or not.
_IDENTITY_NUMBER = re.compile(
    r"(?<![0-9])(?:[0-9]{2})?[0-9]{6}(?:[-+]|%2[BbDd])?[0-9]{4}(?![0-9])"
)


def masked(line: str) -> str:
    """The line with every password link's token and identity number replaced
    by ***."""
    return _IDENTITY_NUMBER.sub("***", _SECRET_PATH.sub(MASK, line))


class SecretPathFilter(logging.Filter):
    """Rewrites a record's message with the tokens and identity numbers masked
    (never drops it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if (now := masked(message)) != message:
            record.msg, record.args = now, None
        return True


def mask_secret_paths(logger: logging.Logger) -> None:
    """Mask the tokens in whatever `logger` logs itself (once per logger)."""
    if not any(isinstance(f, SecretPathFilter) for f in logger.filters):
        logger.addFilter(SecretPathFilter())


class PersonalDataFilter(logging.Filter):
    """Writes a record's message and traceback without personal data (never
    drops it): the traceback is formatted here, redacted, and kept as the
    text every handler then writes."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redacted(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redacted(record.exc_text)
        return True


def mask_personal_data(logger: logging.Logger) -> None:
    """Redact what `logger` logs itself (once per logger)."""
    if not any(isinstance(f, PersonalDataFilter) for f in logger.filters):
        logger.addFilter(PersonalDataFilter())


def init_app(app) -> None:
    """The development server's request lines (`flask run`, `make run`), and
    the app's own log of failed requests."""
    mask_secret_paths(logging.getLogger("werkzeug"))
    mask_personal_data(app.logger)
