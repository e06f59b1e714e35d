"""GET /healthz: a plain "ok" for the proxy and the load benchmark."""

from __future__ import annotations

import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.extensions import db


def test_healthz_answers_ok_without_logging_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"
    assert response.mimetype == "text/plain"


def test_healthz_sets_no_session_cookie_and_writes_no_audit_row(client):
    response = client.get("/healthz")
    assert "Set-Cookie" not in response.headers
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


def test_healthz_touches_no_database(app, client):
    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        client.get("/healthz")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert statements == []
