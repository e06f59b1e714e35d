"""demo generate's planning process (`generate.planned_elsewhere`): when it dies
without a word (killed by the kernel's out-of-memory killer, say), the writing
process says so instead of waiting for its next chunk for ever, holding the
locks of a deferred load."""

from __future__ import annotations

import multiprocessing
import os
import signal

import pytest

from sesamlike.demo.generate import planned_elsewhere

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(),
    reason="planned here without fork",
)


def _dies_after_one():
    yield (0, ["spec"], ["plan"])
    os._exit(9)  # as a SIGKILL would: no traceback, nothing on the queue


class _Hung(Exception):
    pass


def _hung(_signum, _frame):
    raise _Hung()


def test_a_planning_process_that_dies_silently_is_an_error_not_a_hang():
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(60)  # only turns a hang into a failure: nothing is timed
    try:
        with pytest.raises(RuntimeError, match="planning process"):
            for _chunk in planned_elsewhere(_dies_after_one()):
                pass  # (the chunk it put just before may be lost with it)
    except _Hung:
        pytest.fail("the writing process waited for ever for a dead planner")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_every_chunk_arrives_in_order():
    chunks = [(start, [start], [start]) for start in range(0, 5000, 1000)]
    assert list(planned_elsewhere(iter(chunks))) == chunks
