"""The JSON API, /api/v1: bearer tokens, the contract's error format, OpenAPI.

Resource modules (one per area) declare their operations with
`sesamlike.api.routing.operation`; importing them here registers the routes.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from sesamlike.api import auth, errors, openapi  # noqa: E402,F401
from sesamlike.api.routing import load_resources  # noqa: E402

load_resources()
