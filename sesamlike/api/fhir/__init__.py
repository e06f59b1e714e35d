"""FHIR R5 at /fhir/r5, beside /api/v1: the same tokens, rules and audit rows.

Read-only: metadata, read and search by patient, and the region's pseudonymised
bulk export ($export). docs/fhir.md lists every mapping.
"""

from flask import Blueprint

bp = Blueprint("fhir", __name__, url_prefix="/fhir/r5")

from sesamlike.api.fhir import views  # noqa: E402,F401
