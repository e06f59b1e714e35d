"""Browser tests: Playwright driving Debian's chromium against a real server.

`live_server` serves a second app instance on the test database (same tables the
factories write to, so data seeded in a test is what the browser sees) with CSRF
turned ON, so the browser submits real forms with real tokens. The autouse
`app_ctx` fixture of tests/conftest.py empties the tables after each test; `page`
closes its browser context before that, so no request is in flight meanwhile, and
fails the test when the browser console reports a content security policy violation
on any page of that context, popups and second tabs included (`watch_csp`; a test
opening a context of its own uses it too).

The browser is never downloaded: `CHROMIUM_PATH` or /usr/bin/chromium (Debian's
`chromium` package). Without it, or without playwright, the tests are skipped
with a reason on a laptop and fail under CI=true.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from sesamlike import create_app
from sesamlike.extensions import db
from tests.conftest import make_test_config

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
WIDE = {"width": 1920, "height": 1080}
MOBILE = {"width": 360, "height": 740}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unavailable(reason: str):
    if _in_ci():
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


def pytest_itemcollected(item):
    # Marked as collected: xdist reads xdist_group in pytest_collection_modifyitems.
    if Path(__file__).parent in Path(item.fspath).parents:
        item.add_marker(pytest.mark.e2e)
        # Under `make test` (xdist, --dist loadgroup) the browser tests run one
        # after another on one worker: one chromium and one live server a run.
        item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # noqa: ARG001
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


class LiveServer:
    def __init__(self, app, host: str = "127.0.0.1") -> None:
        self.app = app
        self._server = make_server(host, 0, app, threaded=True)
        self.host = host
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="live-server", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture(scope="session")
def e2e_app(app, database_url):
    """A second app on the same database (built by `app`), with CSRF on."""
    e2e = create_app(make_test_config(database_url, csrf=True))
    yield e2e
    with e2e.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(e2e_app):
    server = LiveServer(e2e_app)
    # As a deployment sets it: the address mailed links name (password links).
    e2e_app.config["PUBLIC_URL"] = server.url
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is not installed (make install)")
    if not os.access(chromium_path, os.X_OK):
        _unavailable(
            f"no chromium at {chromium_path}: apt-get install chromium, "
            "or set CHROMIUM_PATH"
        )
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS
        )
    except Exception as exc:  # the binary exists but does not start
        playwright.stop()
        _unavailable(f"chromium at {chromium_path} did not start: {exc}")
    yield browser
    browser.close()
    playwright.stop()


def _artifact_path(request) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")
    folder = Path(request.config.rootpath) / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder / f"{name}.png"


def watch_csp(context) -> list[str]:
    """Collect what the browser console says the content security policy blocked,
    on every page of the context: popups and second tabs too."""
    seen: list[str] = []

    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            where = message.page.url if message.page else "?"
            seen.append(f"{where}: {message.text}")

    context.on("console", on_console)
    return seen


def fail_on_csp(violations: list[str]) -> None:
    """Every browser test also proves its pages need nothing the policy forbids
    (an inline <style> or style= is blocked, and the page loses its layout)."""
    if violations:
        pytest.fail(
            "the content security policy blocked something:\n" + "\n".join(violations),
            pytrace=False,
        )


def _open_page(request, browser, live_server, viewport):
    context = browser.new_context(
        base_url=live_server.url, viewport=viewport, locale="sv-SE"
    )
    context.set_default_timeout(10_000)
    violations = watch_csp(context)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        try:
            page.screenshot(path=str(_artifact_path(request)), full_page=True)
        except Exception as exc:  # a screenshot must not hide the real failure
            print(f"could not save a screenshot: {exc}")
    context.close()
    fail_on_csp(violations)


@pytest.fixture
def page(request, browser, live_server):
    """A fresh browser context (no cookies) at 1280x800; screenshot on failure."""
    yield from _open_page(request, browser, live_server, DESKTOP)


@pytest.fixture
def wide_page(request, browser, live_server):
    """A fresh browser context at 1920x1080; screenshot on failure."""
    yield from _open_page(request, browser, live_server, WIDE)


@pytest.fixture
def mobile_page(request, browser, live_server):
    """A fresh browser context at 360x740; screenshot on failure."""
    yield from _open_page(request, browser, live_server, MOBILE)


@pytest.fixture
def screenshot(request):
    """Save a screenshot of a page to test-artifacts/<test name>.png on purpose."""

    def take(page, suffix: str = "") -> Path:
        path = _artifact_path(request)
        if suffix:
            path = path.with_name(f"{path.stem}-{suffix}.png")
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
