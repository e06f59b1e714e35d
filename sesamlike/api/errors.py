"""The API error format of interfaces.md and the mapping from domain errors."""

from __future__ import annotations

from flask import jsonify
from marshmallow import ValidationError

from sesamlike.api import bp
from sesamlike.common.errors import DomainError
from sesamlike.common.i18n import N_, _
from sesamlike.extensions import db

DEFAULT_ERRORS = {
    400: ("bad_request", N_("Felaktig begäran.")),
    401: ("unauthorized", N_("Giltig API-nyckel (Bearer) saknas.")),
    403: ("forbidden", "Din roll får inte göra detta."),
    404: ("not_found", "Hittades inte."),
    405: ("method_not_allowed", N_("Metoden stöds inte för den här adressen.")),
    409: ("conflict", "Går inte i nuvarande läge."),
    413: ("too_large", N_("Begäran är för stor.")),
    415: (
        "unsupported_media_type",
        N_("Skicka JSON (Content-Type: application/json)."),
    ),
    422: ("invalid", "Ogiltig uppgift."),
    429: ("too_many_requests", N_("För många anrop. Vänta en stund.")),
    500: ("internal_error", N_("Internt fel.")),
}


def error_response(
    status: int,
    code: str | None = None,
    message: str | None = None,
    fields: dict[str, list[str]] | None = None,
):
    """A JSON error: {"error": {"code", "message", "fields"}} with the HTTP status."""
    default_code, default_message = DEFAULT_ERRORS.get(status, ("error", N_("Fel.")))
    body = {
        "error": {
            "code": code or default_code,
            "message": message or _(default_message),
            "fields": fields or {},
        }
    }
    response = jsonify(body)
    response.status_code = status
    return response


def domain_error_response(error: DomainError):
    """A refusal in the error format, with its own code (the app's one handler
    for domain errors answers API requests with this)."""
    fields = {
        name: [_(message) for message in messages]
        for name, messages in error.fields.items()
    }
    return error_response(
        error.status, error.code, _(error.message, **error.params), fields
    )


@bp.errorhandler(ValidationError)
def validation_error(error: ValidationError):
    db.session.rollback()
    return error_response(422, fields=flatten_messages(error.messages))


def flatten_messages(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as {"lines.0.packs": ["..."]}."""
    if isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            return {prefix or "_schema": [_(m) for m in messages]}
        messages = dict(enumerate(messages))
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        flat.update(flatten_messages(value, name))
    return flat
