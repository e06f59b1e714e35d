"""Bearer-token authentication for the API; no cookies, so no CSRF to forge."""

from __future__ import annotations

from flask import g, request

from sesamlike.accounts.services import user_for_token
from sesamlike.api import bp
from sesamlike.api.errors import error_response

PUBLIC_ENDPOINTS = {"api.openapi_document"}


def bearer_user():
    """The active user a valid `Authorization: Bearer` token names, else None.

    Also Flask-Login's current_user for this request only; no session is touched.
    """
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if user is not None:
        g.api_user = user
        g._login_user = user
    return user


@bp.before_request
def authenticate():
    """Answer 401 unless a valid bearer token names an active user."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if bearer_user() is None:
        response = error_response(401)
        response.headers["WWW-Authenticate"] = 'Bearer realm="sesamlike"'
        return response
    return None


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response
