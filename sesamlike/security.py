"""Response headers, idle-session timeout and the login rate limits.

The content security policy allows scripts and styles only from this site:
no inline scripts, no CDN. Authenticated pages are never stored by caches.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, g, request, session
from flask_login import current_user

_MY_AIDS = "portal.my_aids"  # the login reads the data versions for it alone

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    from sesamlike.accounts import kept_forms, sessions
    from sesamlike.accounts.models import User
    from sesamlike.common import data_versions
    from sesamlike.patients import access
    from sesamlike.patients.models import Patient

    def _loaded_with_login(user, patient, *versions) -> None:
        access.remember_own(user, patient)
        if patient is not None and versions:
            data_versions.remember(patient.id, versions)

    def _for_my_aids() -> bool:
        # "My aids" alone reads the versions (its kept page's key); the
        # login's other requests would read them for nothing.
        return request.endpoint == _MY_AIDS

    sessions.init_app(app)
    # Every portal page reads a patient login's own record first, and "my
    # aids" its data versions next: they come with the login (a statement
    # fewer each).
    sessions.load_beside(
        Patient,
        Patient.user_id == User.id,
        _loaded_with_login,
        *data_versions.beside(Patient.id),
        wanted=_for_my_aids,
    )
    # The cookie outlives the idle timeout by the minutes a form sent after it
    # is kept (accounts.kept_forms): the server ends the idle session itself
    # (accounts.sessions), and must still see which session ran out to keep
    # the form. A cookie as short as the timeout was gone from the browser
    # (and refused by Flask) by then: the form was lost, and the login page
    # could not say why.
    app.permanent_session_lifetime = timedelta(
        minutes=app.config["SESSION_IDLE_MINUTES"] + kept_forms.KEEP_MINUTES
    )

    @app.before_request
    def idle_timeout():
        # A permanent session's cookie is re-signed when the server's session is
        # touched (accounts.sessions), and Flask refuses a cookie older than the
        # lifetime; the server's own idle check ends the session before that.
        # Set once: setting it writes the session, which would re-send the cookie.
        if (
            session
            and not session.permanent
            and not request.path.startswith(("/api/", "/fhir/"))
        ):
            session.permanent = True

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if not request.path.startswith("/static/") and (
            request.path.startswith(("/api/", "/fhir/")) or _logged_in()
        ):
            headers["Cache-Control"] = "no-store"
        return response


def _logged_in() -> bool:
    """Whether this request has a logged-in user, without loading them again: a
    use case that committed has expired the user's row (one more query)."""
    user = g.get("_login_user")  # Flask-Login's user of this request, once loaded
    if user is None:
        return current_user.is_authenticated
    return not user.is_anonymous
