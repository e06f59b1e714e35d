"""The OpenAPI 3 document, built from the declared operations."""

from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import jsonify

from sesamlike.api import bp
from sesamlike.api.errors import DEFAULT_ERRORS

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "array",
                        "items": {"type": "string"},
                    },
                },
            },
        }
    },
}


def build_spec() -> dict:
    from sesamlike.api.routing import OPERATIONS, openapi_path

    spec = APISpec(
        title="Sesamlike API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Ordering and follow-up of diabetes aids."},
        servers=[{"url": "/api/v1"}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", ERROR_SCHEMA)
    error_ref = {"$ref": "#/components/schemas/Error"}
    for op in OPERATIONS:
        path, parameters = openapi_path(op.rule)
        if op.query is not None:
            parameters = parameters + [{"in": "query", "schema": op.query}]
        responses: dict = {}
        ok = {"description": "OK"}
        if op.response is not None:
            schema = {"type": "array", "items": op.response} if op.many else op.response
            ok["content"] = {"application/json": {"schema": schema}}
        responses[str(op.status)] = ok
        for status, text in op.extra_responses.items():
            responses[str(status)] = {
                "description": text,
                "content": {"application/json": {"schema": op.response}},
            }
        for status in sorted({401, 422, *op.errors, *((403,) if op.roles else ())}):
            responses[str(status)] = {
                "description": DEFAULT_ERRORS[status][1],
                "content": {"application/json": {"schema": error_ref}},
            }
        details = {
            "summary": op.summary,
            "description": op.description,
            "tags": [op.tag],
            "security": [{"bearer": []}],
            "parameters": parameters,
            "responses": responses,
        }
        if op.body is not None:
            details["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": op.body}},
            }
        spec.path(path=path, operations={op.method.lower(): details})
    return spec.to_dict()


@bp.route("/openapi.json")
def openapi_document():
    """The OpenAPI 3 document of this API (no token needed)."""
    return jsonify(build_spec())
