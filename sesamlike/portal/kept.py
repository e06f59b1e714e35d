"""Built parts of portal pages, kept in the worker until the data under them moves.

A parent following a delivery opens "my aids" again and again; between two
changes of the child's data the page's body is the same. Each entry is keyed
on everything the body is built from: the patient (id and creation time, so a
reused id never matches), the database's data versions (`common.data_versions`:
the patient's, the catalogue's and the generation of their logs), the day (time
locks and run-out dates move with it), the language and the role. A change of
any of them is a new key; old entries fall out, least recently used first.

What is kept is only ever handed out after the page's own access check and
audit row (`portal.services.open_my_aids`), so keeping it changes who sees
nothing. `PORTAL_KEPT_PAGES` bounds the entries per worker process (0: keep
none); a body is about 10 kB.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from flask import current_app
from markupsafe import Markup

_EXTENSION = "sesamlike_kept_pages"


class KeptPages:
    """A bounded map, least recently used out first; safe across threads."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[Hashable, Markup] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Markup | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, body: Markup) -> None:
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


def kept_pages() -> KeptPages:
    """This app's kept page bodies (one store per app and worker process)."""
    app = current_app._get_current_object()
    found = app.extensions.get(_EXTENSION)
    if found is None:
        found = app.extensions.setdefault(
            _EXTENSION, KeptPages(app.config["PORTAL_KEPT_PAGES"])
        )
    return found
