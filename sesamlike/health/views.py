"""GET /healthz: the process answers. No database, no session, no audit.

For the proxy's health check and as the ceiling in bench/load.py: the cheapest
request the same app, workers and middleware can serve.
"""

from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    """Answer "ok" without touching the database or the session."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/favicon.ico")
def favicon():
    """Browsers and bookmarks ask for /favicon.ico whatever the page links."""
    return send_from_directory(
        current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon"
    )
