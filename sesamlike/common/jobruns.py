"""Job runs: one at a time per job across every process, each run recorded.

A run takes a database lock (a PostgreSQL advisory lock held on its own
connection; on SQLite a row in job_locks), records start, end, outcome and
counts in job_runs, and leaves earlier results alone when it fails. A run
that finished but counts failed items (a mail the SMTP server never took) is
"partial": the admin sees it with the failed runs, not as done.
"""

from __future__ import annotations

import os
import socket
import traceback
import zlib
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa

from sesamlike.common.models import JobLock, JobRun
from sesamlike.common.redaction import redacted
from sesamlike.common.time import utcnow
from sesamlike.extensions import db

# A lock row older than this on SQLite belongs to a process that died.
STALE_LOCK_AFTER = timedelta(hours=6)
# Counts of a job's items that failed (mails not sent, exports not made, the
# report's figures not kept): a run that counts any ended "partial", not
# "succeeded", and the jobs page counts it with the failed runs.
ITEM_FAILURE_COUNTS = ("failed", "gave_up", "warm_failed")
# The outcomes the jobs page counts and filters as failed.
FAILED_OUTCOMES = ("failed", "partial")
# A job's counts may carry a text under this key: the run's message (why
# items failed), not a count.
MESSAGE = "message"


def items_failed(counts: dict) -> bool:
    """Whether a run's counts say some of its items failed."""
    return any(
        isinstance(counts.get(key), int) and counts[key] > 0
        for key in ITEM_FAILURE_COUNTS
    )


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


def advisory_key(job_name: str) -> int:
    """A stable 32-bit key per job name for pg_try_advisory_lock."""
    return zlib.crc32(f"sesamlike-job:{job_name}".encode())


@contextmanager
def job_lock(job_name: str):
    """Yield True while holding the job's lock, False when another run holds it."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            key = advisory_key(job_name)
            got = conn.scalar(sa.select(sa.func.pg_try_advisory_lock(key)))
            conn.commit()
            try:
                yield bool(got)
            finally:
                if got:
                    conn.execute(sa.select(sa.func.pg_advisory_unlock(key)))
                    conn.commit()
        return
    holder = _holder()
    got = _take_lock_row(job_name, holder)
    try:
        yield got
    finally:
        if got:
            with db.engine.begin() as conn:
                conn.execute(
                    sa.delete(JobLock).where(
                        JobLock.job_name == job_name, JobLock.holder == holder
                    )
                )


def _take_lock_row(job_name: str, holder: str) -> bool:
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(
            sa.delete(JobLock).where(
                JobLock.job_name == job_name,
                JobLock.acquired_at < now - STALE_LOCK_AFTER,
            )
        )
    try:
        with db.engine.begin() as conn:
            conn.execute(
                sa.insert(JobLock).values(
                    job_name=job_name, holder=holder, acquired_at=now
                )
            )
    except sa.exc.IntegrityError:
        return False
    return True


def run_job(
    name: str,
    func: Callable[[datetime], dict | None],
    now: datetime | None = None,
    run: JobRun | None = None,
    *,
    wait_if_busy: bool = False,
) -> JobRun:
    """Run one job under its lock and record the run; never raises for job errors.

    While another run of the job holds its lock, this one is "skipped"; with
    `wait_if_busy` (a run someone asked for) it is "requested" again, for the
    scheduler's next poll to run once the other has finished: "Kör nu" during
    the periodic run still runs after it, not never."""
    now = now or utcnow()
    with job_lock(name) as locked:
        if run is None:
            run = JobRun(job_name=name, started_at=utcnow())
            db.session.add(run)
        if not locked and wait_if_busy:
            run.outcome = "requested"
            db.session.commit()
            return run
        run.started_at = utcnow()
        run.outcome = "running" if locked else "skipped"
        if not locked:
            run.finished_at = run.started_at
            run.message = "Another run of this job was under way."
        db.session.commit()
        if not locked:
            return run
        run_id = run.id
        try:
            counts = func(now) or {}
        except Exception as error:  # recorded, not raised: the scheduler goes on
            db.session.rollback()
            run = db.session.get(JobRun, run_id)
            run.outcome = "failed"
            # Shown on the admin's jobs page: without personal data.
            run.message = redacted(
                "".join(traceback.format_exception_only(type(error), error)).strip()[
                    :4000
                ]
                + "\n"
                + traceback.format_exc()[-4000:]
            )
        else:
            db.session.commit()  # the job's own work, if it left any uncommitted
            run = db.session.get(JobRun, run_id)
            counts = dict(counts)
            message = counts.pop(MESSAGE, None)
            run.message = str(message)[:4000] if message else None
            run.counts = {k: _jsonable(v) for k, v in counts.items()}
            run.outcome = "partial" if items_failed(run.counts) else "succeeded"
        run.finished_at = utcnow()
        db.session.commit()
        return run


def _jsonable(value):
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)
