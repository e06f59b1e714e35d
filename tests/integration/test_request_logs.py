"""No request log line carries a password link's token.

server.log had lines like `GET /password/_0sSV6VcARl0V1etlecej34lMTF6cK719647DfhWWbw`:
an opened but unused link works for 48 hours, so whoever could read the log could
choose the password. The development server's log (Werkzeug) and gunicorn's access
log, which also writes the Referer of the requests the password page makes, show
the path with its token masked.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.workers import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TOKEN = "_0sSV6VcARl0V1etlecej34lMTF6cK719647DfhWWbw"
MASKED = "/password/***"


def get(url: str, **headers: str) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@contextmanager
def development_server(app, caplog, monkeypatch) -> Iterator[str]:
    """The app under Werkzeug's development server (as `flask run`), its
    log lines caught; its base address."""
    # The test session's migrations (Alembic's fileConfig) turned off the
    # loggers that existed by then; `flask run` runs none.
    monkeypatch.setattr(logging.getLogger("werkzeug"), "disabled", False)
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        serving.join(10)


def test_the_development_servers_log_masks_a_password_links_token(
    app, caplog, monkeypatch
):
    with development_server(app, caplog, monkeypatch) as base:
        assert get(f"{base}/password/{TOKEN}") == 410  # no such link
        assert get(f"{base}/password/{TOKEN}?x=1") == 410
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert sum(f"GET {MASKED} HTTP/1.1" in line for line in lines) == 1, lines
    assert sum(f"GET {MASKED}?x=1 HTTP/1.1" in line for line in lines) == 1, lines
    assert not [line for line in lines if TOKEN in line]


@pytest.fixture
def gunicorn(database_url, tmp_path):
    """gunicorn with gunicorn.conf.py, as in production, writing an access log."""
    port = free_port()
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SESAMLIKE_INSTANCE": str(tmp_path),
        "SECRET_KEY": "request-logs-test",
        "WEB_WORKERS": "1",
        "WEB_THREADS": "1",
    }
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "--access-logfile", str(access_log),
         "app:app"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while get_or_none(f"http://127.0.0.1:{port}/healthz") != 200:
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
        time.sleep(0.3)
    yield f"http://127.0.0.1:{port}", access_log
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def get_or_none(url: str) -> int | None:
    try:
        return get(url)
    except OSError:
        return None


def test_gunicorns_access_log_masks_a_password_links_token(gunicorn):
    base, access_log = gunicorn
    assert get(f"{base}/password/{TOKEN}") == 410
    # What the password page's own requests send: its address as the Referer.
    get(f"{base}/login", Referer=f"{base}/password/{TOKEN}")
    deadline = time.monotonic() + 10
    while access_log.read_text().count("\n") < 3 and time.monotonic() < deadline:
        time.sleep(0.1)  # the health checks, the link and the login
    lines = access_log.read_text().splitlines()
    assert [line for line in lines if f'"GET {MASKED} HTTP/1.1" 410' in line], lines
    assert [line for line in lines if f'"{base}{MASKED}"' in line], lines
    assert not [line for line in lines if TOKEN in line]


# A personnummer a client put in an address: a FHIR search by identifier (the
# way FHIR clients look a patient up), or an admin's account search.
PERSONNUMMER = "199812109974"
IDENTIFIED = (
    f"/fhir/r5/Patient?identifier=urn:oid:1.2.752.129.2.1.3.1%7C{PERSONNUMMER}",
    "/admin/users?q=19981210-9974",
)


def test_the_development_servers_log_masks_a_personnummer(app, caplog, monkeypatch):
    with development_server(app, caplog, monkeypatch) as base:
        for path in IDENTIFIED:
            get(f"{base}{path}")
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert [line for line in lines if "/fhir/r5/Patient?identifier=" in line], lines
    assert [line for line in lines if "/admin/users?q=" in line], lines
    assert not [line for line in lines if "9974" in line], lines


def test_gunicorns_access_log_masks_a_personnummer(gunicorn):
    base, access_log = gunicorn
    for path in IDENTIFIED:
        get(f"{base}{path}")
    deadline = time.monotonic() + 10
    while "/admin/users" not in access_log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = access_log.read_text().splitlines()
    assert [line for line in lines if "/admin/users?q=" in line], lines
    assert not [line for line in lines if "9974" in line], lines
