"""Two use cases at once, as two gunicorn workers: each in its own thread,
app context and session (the race tests of protection and of the end of care)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from flask import current_app

from sesamlike.extensions import db

FIRST = "first"  # the name of the thread `first` runs in


def in_two_threads(first: Callable[[], object], second: Callable[[], object]):
    """Run `first` (in a thread named FIRST) and `second` at once; their
    outcomes, a result or the exception raised (after a rollback)."""
    app = current_app._get_current_object()
    outcomes: list[object] = [None, None]

    def run(index, fn):
        with app.app_context():
            try:
                outcomes[index] = fn()
            except Exception as exc:  # noqa: BLE001 - the outcome is the test's
                db.session.rollback()
                outcomes[index] = exc
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=run, args=(0, first), name=FIRST),
        threading.Thread(target=run, args=(1, second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def pause_in_first(
    monkeypatch, owner, name: str, seconds: float, *, after: bool = False
) -> threading.Event:
    """Replace `owner.name` so that the thread named FIRST stays `seconds` in
    it, holding what it has locked so far: before the call, or `after` it.
    The event tells the other thread the first has got there."""
    there = threading.Event()
    original = getattr(owner, name)

    def paused(*args, **kwargs):
        first = threading.current_thread().name == FIRST
        if first and not after:
            there.set()
            time.sleep(seconds)
        result = original(*args, **kwargs)
        if first and after:
            there.set()
            time.sleep(seconds)
        return result

    monkeypatch.setattr(owner, name, paused)
    return there
