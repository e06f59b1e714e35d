"""Bearer-token authentication for the API; no cookies, so no CSRF to forge."""

from __future__ import annotations

from flask import g, request

from sesamlike.accounts.services import user_for_token
from sesamlike.api import bp
from sesamlike.api.errors import error_response

PUBLIC_ENDPOINTS = {"api.openapi_document"}


@bp.before_request
def authenticate():
    """Answer 401 unless a valid bearer token names an active user."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        response = error_response(401)
        response.headers["WWW-Authenticate"] = 'Bearer realm="sesamlike"'
        return response
    g.api_user = user
    # Flask-Login's current_user for this request only; no session is touched.
    g._login_user = user
    return None


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response
