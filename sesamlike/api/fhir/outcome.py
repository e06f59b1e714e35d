"""FHIR answers: resources as application/fhir+json, errors as OperationOutcome."""

from __future__ import annotations

import json

from flask import Response

from sesamlike.api.fhir.codes import FHIR_JSON
from sesamlike.common.i18n import N_, _

# HTTP status → (OperationOutcome issue code, Swedish default message).
ISSUES = {
    400: ("invalid", "Felaktig begäran."),
    401: ("login", "Giltig API-nyckel (Bearer) saknas."),
    403: ("forbidden", N_("Din roll får inte läsa detta.")),
    404: ("not-found", "Hittades inte."),
    405: ("not-supported", "Metoden stöds inte för den här adressen."),
    406: ("not-supported", N_("Bara application/fhir+json stöds.")),
    409: ("conflict", "Går inte i nuvarande läge."),
    410: ("deleted", N_("Exporten har gått ut och är borttagen.")),
    413: ("too-costly", "Begäran är för stor."),
    422: ("processing", "Ogiltig uppgift."),
    429: ("throttled", "För många anrop. Vänta en stund."),
    500: ("exception", "Internt fel."),
    503: ("transient", N_("Tjänsten är inte tillgänglig just nu.")),
}


class FhirError(Exception):
    """A refusal answered with an OperationOutcome; message is Swedish source text."""

    def __init__(self, status: int, message: str | None = None, **params) -> None:
        self.status = status
        self.message = message
        self.params = params
        super().__init__(message or ISSUES.get(status, ("", ""))[1])


def fhir_response(
    body: dict,
    status: int = 200,
    headers: dict | None = None,
    mimetype: str = FHIR_JSON,
):
    """`body` as JSON: FHIR's media type unless it is no resource (the Bulk
    Data manifest is application/json)."""
    response = Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status=status,
        mimetype=mimetype,
    )
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def information_response(
    status: int, message: str, headers: dict | None = None, **params
):
    """A 2xx that is no resource (an export accepted, still running, deleted):
    an informational OperationOutcome, as the Bulk Data spec allows, rather
    than an empty body."""
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "information", "code": "informational",
                   "diagnostics": _(message, **params)}],
    }  # fmt: skip
    return fhir_response(outcome, status, headers)


def operation_outcome(status: int, message: str | None = None, **params) -> dict:
    code, default = ISSUES.get(status, ("exception", "Fel."))
    text = _(message or default, **params)
    severity = "information" if status < 400 else "error"
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": text}],
    }


def outcome_response(status: int, message: str | None = None, **params):
    """An error answer; 401 carries the Bearer challenge, as in /api/v1."""
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="sesamlike"'
    return fhir_response(operation_outcome(status, message, **params), status, headers)
