"""Security headers, cookies, idle timeout, login limits, account housekeeping."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from sesamlike.accounts.jobs import deactivate_unused
from sesamlike.extensions import db, limiter
from tests.factories import make_clinic, make_user


def test_pages_carry_a_content_security_policy_without_inline_scripts(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_a_password_links_page_sends_no_referer(client):
    """The page's address holds the link's token: the requests it makes (its
    styles, the redirect to the login) carried it as the Referer, into the
    access logs of the proxy and of gunicorn."""
    page = client.get("/password/_0sSV6VcARl0V1etlecej34lMTF6cK719647DfhWWbw")
    assert page.status_code == 410
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/login").headers["Referrer-Policy"] == "same-origin"


def test_no_template_has_inline_script_or_event_handlers(app):
    from pathlib import Path

    root = Path(app.root_path) / "templates"
    offenders = []
    for path in root.rglob("*.html"):
        text = path.read_text()
        for needle in ("<script>", "onclick=", "onsubmit=", "onchange=", "javascript:"):
            if needle in text:
                offenders.append(f"{path.relative_to(root)}: {needle}")
    assert not offenders


def test_session_cookie_is_http_only_and_same_site(client, auth):
    make_user("admin", username="root")
    response = auth.login("root")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_with_patient_data_are_not_cached(client, auth):
    make_user("admin", username="root")
    auth.login("root")
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_session_expires_after_inactivity(app, client, auth, monkeypatch):
    make_user("admin", username="root")
    monkeypatch.setitem(app.config, "PERMANENT_SESSION_LIFETIME", timedelta(seconds=1))
    auth.login("root")
    assert client.get("/").status_code == 200
    import time

    time.sleep(2.1)
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_unchanged_session_cookie_is_sent_again_only_when_the_session_is_touched(
    client, auth
):
    from sesamlike.accounts.models import UserSession

    make_user("admin", username="root")
    assert "Set-Cookie" in auth.login("root").headers
    client.get("/")
    assert "Set-Cookie" not in client.get("/").headers  # within the minute
    db.session.execute(
        sa.update(UserSession).values(
            last_seen_at=datetime.now(UTC) - timedelta(minutes=2)
        )
    )
    db.session.commit()
    touched = client.get("/")
    assert touched.status_code == 200
    assert "session=" in touched.headers["Set-Cookie"]  # lifetime from now again
    assert "Set-Cookie" not in client.get("/").headers


@pytest.fixture
def limits_on(app, monkeypatch):
    defaults = __import__("sesamlike.config").config.Config()
    monkeypatch.setitem(
        app.config, "LOGIN_LIMIT_PER_ADDRESS", defaults.LOGIN_LIMIT_PER_ADDRESS
    )
    monkeypatch.setitem(
        app.config, "LOGIN_FAILURES_PER_ACCOUNT", defaults.LOGIN_FAILURES_PER_ACCOUNT
    )
    limiter.reset()
    yield
    limiter.reset()


def test_repeated_failed_logins_lock_the_account_with_a_notice(client, auth, limits_on):
    make_user("prescriber", clinics=[make_clinic()], username="dr.x")
    for _ in range(5):
        assert auth.login("dr.x", "wrong-password!").status_code == 401
    locked = auth.login("dr.x")  # even the right password waits
    assert locked.status_code == 429
    assert "För många misslyckade inloggningar" in locked.text


def test_successful_logins_do_not_count_towards_the_lock(client, auth, limits_on):
    make_user("admin", username="root")
    for _ in range(7):
        assert auth.login("root").status_code == 302
        auth.logout()


def test_unused_accounts_are_deactivated_after_twelve_months(app):
    now = datetime(2026, 11, 23, tzinfo=UTC)
    old = make_user("admin", username="old")
    old.last_login_at = now - timedelta(days=366)
    recent = make_user("admin", username="recent")
    recent.last_login_at = now - timedelta(days=30)
    never = make_user("admin", username="never")
    never.created_at = now - timedelta(days=400)
    db.session.commit()
    assert deactivate_unused(now) == {"deactivated": 2}
    assert deactivate_unused(now) == {"deactivated": 0}  # safe to repeat
    for user in (old, recent, never):
        db.session.refresh(user)
    assert (old.active, recent.active, never.active) == (False, True, False)


def test_a_patient_login_the_job_deactivates_is_in_the_patients_access_log(
    client, auth
):
    """The second security review: an admin's deactivation shows in the
    patient's access log, the nightly job's left nothing."""
    from sesamlike.accounts.models import AuditEvent
    from tests.factories import make_patient

    clinic = make_clinic("BDM", name="Barndiabetesmottagningen")
    patient = make_patient(clinic)
    login = make_user("patient", patients=[patient], username="ella")
    login.last_login_at = datetime.now(UTC) - timedelta(days=400)
    db.session.commit()
    assert deactivate_unused(datetime.now(UTC)) == {"deactivated": 1}
    [event] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "user_deactivate")
    )
    assert (event.patient_id, event.user_id, event.detail) == (patient.id, None, "ella")
    login.active = True  # the patient reads the log: "the system closed the login"
    db.session.commit()
    auth.login("ella")
    page = client.get("/portal/access-log").text
    assert "Stängde av" in page and "Systemet" in page
