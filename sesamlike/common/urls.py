"""Where a form may send the browser next: a path on this site, nothing else;
the ids an address may carry; and the full address of a path, for links in mails."""

from __future__ import annotations

from urllib.parse import urlsplit

from werkzeug.routing import IntegerConverter

# Ids (and every other integer) are 32-bit in the database; a larger one would
# fail in the driver (SQLite: OverflowError; PostgreSQL: out of range).
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: an id no row can have (`/patients/10^20`) does
    not match, so the answer is 404 before any view asks the database."""

    def __init__(self, map, fixed_digits=0, min=None, max=INT_MAX, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def same_site_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None.

    Refused: absolute URLs, scheme-relative ones (//elsewhere), and the
    backslash and control-character spellings browsers read as such (/\\elsewhere).
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


# Where `make run` serves the app: mails name it when PUBLIC_URL is unset.
DEVELOPMENT_URL = "http://127.0.0.1:5000"


def public_url(path: str) -> str:
    """`path` as a link a mail client can open: PUBLIC_URL + path, else the
    development server's address. Never the request's own Host header: whoever
    sends a request (a portal user, an API client) could otherwise have the
    links in other people's mails point at a host of their choosing."""
    from flask import current_app

    base = current_app.config.get("PUBLIC_URL") or DEVELOPMENT_URL
    return base.rstrip("/") + path


# Addresses a page links to, kept per app: a dozen on every page.
_BUILT_MAX = 10_000


def cached_url_for(build):
    """Templates' `url_for`: `build`'s URL (Flask's app.url_for), remembered for
    in-site addresses. Werkzeug's router works each one out anew, and the
    answer only changes with the script root the app is mounted under, which
    is part of the key (script root, endpoint, values). Not remembered:
    outside a request, relative endpoints (".name", which depend on the
    blueprint), options such as `_external`, and values that are not plain
    strings or numbers."""
    from flask import has_request_context, request

    built: dict[tuple, str] = {}

    def url_for(endpoint: str, **values) -> str:
        if (
            not has_request_context()
            or endpoint.startswith(".")
            or not all(
                type(value) in (str, int) and not key.startswith("_")
                for key, value in values.items()
            )
        ):
            return build(endpoint, **values)
        key = (request.script_root, endpoint, *sorted(values.items()))
        url = built.get(key)
        if url is None:
            url = build(endpoint, **values)
            if len(built) < _BUILT_MAX:
                built[key] = url
        return url

    return url_for
