"""`make run` serves the app and runs the scheduler: the Procfile under honcho.

The test starts the very command `make run` ends with (honcho and the Procfile) on
a free port against the test database, and checks that the web server answers,
that the scheduler says it is alive, that a job requested with "Kör nu" runs
within a minute, and that stopping honcho stops both processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from sesamlike import jobs
from sesamlike.common.models import JobRun, SchedulerHeartbeat
from sesamlike.extensions import db
from tests.workers import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"{what} did not happen within {seconds:.0f} s")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def make_run(database_url, tmp_path):
    """The Procfile under honcho, as `make run` starts it, on a free port."""
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DATABASE_URL": database_url,
        "SESAMLIKE_INSTANCE": str(tmp_path),
        "SECRET_KEY": "make-run-test",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(free_port()),  # nothing listens: no mail is pending anyway
    }
    process = subprocess.Popen(
        [str(BIN / "honcho"), "start", "-f", "Procfile", "-p", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    yield process, port
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def test_make_run_serves_the_app_and_runs_requested_jobs_within_a_minute(make_run):
    process, port = make_run
    wait_for(lambda: answers(f"http://127.0.0.1:{port}/healthz"), 60, "the web server")

    def heartbeat():
        db.session.expire_all()
        return db.session.scalar(sa.select(SchedulerHeartbeat))

    wait_for(heartbeat, 60, "a scheduler heartbeat")
    run = jobs.request_run("send_mail")  # what "Kör nu" on the jobs page does

    def finished():
        db.session.expire_all()
        outcome = db.session.scalar(
            sa.select(JobRun.outcome).where(JobRun.id == run.id)
        )
        return outcome if outcome in ("succeeded", "failed", "skipped") else None

    assert wait_for(finished, 60, "the requested run") == "succeeded"

    process.send_signal(signal.SIGINT)  # Ctrl-C in the terminal
    output, _ = process.communicate(timeout=30)
    assert not answers(f"http://127.0.0.1:{port}/healthz"), output
    assert "web.1" in output and "scheduler.1" in output
    assert "Scheduler started" in output
