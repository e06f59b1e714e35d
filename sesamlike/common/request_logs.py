"""Request logs without the secrets some paths carry.

A password link's path holds its token (`/password/<token>`): it works once and
for 48 hours, so whoever reads a log line with it could choose the password.
The development server (Werkzeug's logger) and gunicorn's access and error logs
(gunicorn.conf.py's logger class) mask it in every line, the Referer that
gunicorn writes included.
"""

from __future__ import annotations

import logging
import re

# The token: up to the end of the path segment (a query, a quote, a space).
_SECRET_PATH = re.compile(r"(/password/)[^/?#\s\"'\x1b]+")
MASK = r"\1***"


def masked(line: str) -> str:
    """The line with every password link's token replaced by ***."""
    return _SECRET_PATH.sub(MASK, line)


class SecretPathFilter(logging.Filter):
    """Rewrites a record's message with the tokens masked (never drops it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/password/" in message:
            record.msg, record.args = masked(message), None
        return True


def mask_secret_paths(logger: logging.Logger) -> None:
    """Mask the tokens in whatever `logger` logs itself (once per logger)."""
    if not any(isinstance(f, SecretPathFilter) for f in logger.filters):
        logger.addFilter(SecretPathFilter())


def init_app(app) -> None:
    """The development server's request lines (`flask run`, `make run`)."""
    mask_secret_paths(logging.getLogger("werkzeug"))
