"""Built parts of portal pages, kept in the worker until the data under them moves.

A parent following a delivery opens "my aids" again and again; between two
changes of the child's data the page's body is the same. Each entry is keyed
on everything the body is built from: the patient (id and creation time, so a
reused id never matches), the database's data versions (`common.data_versions`:
the patient's, the catalogue's and the generation of their logs), the day (time
locks and run-out dates move with it), the language and the role. A change of
any of them is a new key; old entries fall out, least recently used first.

The session that built a page also keeps the whole page, frame and all
(`session_page_key`): the same body in the same frame, for that session alone.

What is kept is only ever handed out after the page's own access check and
audit row (`portal.services.open_my_aids`), so keeping it changes who sees
nothing. `PORTAL_KEPT_PAGES` bounds the entries per worker process (0: keep
none); a body is about 10 kB, a whole page a few kB more.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from flask import current_app, request, session
from flask_login import current_user

_EXTENSION = "sesamlike_kept_pages"


class KeptPages:
    """A bounded map, least recently used out first; safe across threads."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> str | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, body: str) -> None:
        if self.capacity <= 0:
            return
        with self._lock:
            self._entries[key] = body
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def session_page_key(body_key: tuple, patient) -> tuple | None:
    """The key of a whole "my aids" page around a kept body, for this session
    alone, or None where the page is to be built and not kept: a request other
    than a plain GET of the page (a HEAD, an address with a query), a message
    waiting to be shown once, a session with no form token yet (building the
    page makes one), or form tokens that expire (WTF_CSRF_TIME_LIMIT set: a
    kept page would carry an old one).

    Beside the body's key it holds what the frame shows that the body's key
    does not: the user (id and name, as the menu says them), the patient's
    name (the heading and the guardian's "acting for" line; the data versions
    follow the patient's aids, not the name) and the session's form token
    (each form on the page carries it, signed), and whether a guardian has
    one child (no "Byt barn")."""
    config = current_app.config
    if request.method != "GET" or request.query_string:
        return None
    if config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return None
    token = session.get(config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if token is None or messages_waiting():
        return None
    user = current_user._get_current_object()
    return ("page", body_key, user.id, user.display_name,
            patient.first_name, patient.last_name, token,
            session.get("portal_one_child"))  # fmt: skip


def messages_waiting() -> bool:
    """Whether the session holds messages for the next page (Flask's flashes):
    a page that shows them is shown once, never kept."""
    return "_flashes" in session


def kept_pages() -> KeptPages:
    """This app's kept page bodies and whole pages (one store per app and
    worker process)."""
    app = current_app._get_current_object()
    found = app.extensions.get(_EXTENSION)
    if found is None:
        found = app.extensions.setdefault(
            _EXTENSION, KeptPages(app.config["PORTAL_KEPT_PAGES"])
        )
    return found
