"""The OpenAPI 3 document, built from the declared operations."""

from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import jsonify

from sesamlike.api import bp
from sesamlike.api.errors import DEFAULT_ERRORS
from sesamlike.api.routing import _CONVERTER, INT_MAX, INT_MIN

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


# Operations whose 201 answer creates what other operations take as a path
# parameter: the OpenAPI links that let clients (and stateful fuzzing) chain them.
CREATES = {
    ("POST", "/patients"): "patient_id",
    ("POST", "/prescriptions"): "prescription_id",
    ("POST", "/prescriptions/<int:prescription_id>/renew"): "prescription_id",
    ("POST", "/orders"): "order_id",
    # A warranty swap lends a new device: it may come back, or be swapped again.
    ("POST", "/devices/<serial_no>/replace"): "serial_no",
}
# The answer's field that holds the created resource's key (default: id).
KEY_FIELD = {"serial_no": "serial_no"}


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
        links = _links(op, OPERATIONS)
        if links:
            responses[str(op.status)]["links"] = links
        details = {
            "operationId": op.endpoint,
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
    document = spec.to_dict()
    _bound_integers(document)
    _catalogue_choices(document)
    return document


def _links(op, operations) -> dict:
    """Links from an operation that creates a resource to those that take its id."""
    name = CREATES.get((op.method, op.rule))
    if name is None:
        return {}
    links = {}
    for target in operations:
        if [p for _, p in _CONVERTER.findall(target.rule)] == [name]:
            links[target.endpoint] = {
                "operationId": target.endpoint,
                "parameters": {name: f"$response.body#/{KEY_FIELD.get(name, 'id')}"},
                "description": f"The created resource's id as {name}",
            }
    return links


def _bound_integers(node) -> None:
    """Every integer the API reads is stored in 32 bits: larger ones are refused
    (422, or 404 for an id in the path), so the document says so."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            node.setdefault("minimum", INT_MIN)
            node.setdefault("maximum", INT_MAX)
        for value in node.values():
            _bound_integers(value)
    elif isinstance(node, list):
        for value in node:
            _bound_integers(value)


def _catalogue_choices(document: dict) -> None:
    """GET /stock takes an article number and a depot code that exist: their
    current values as enums (the catalogue and the depots are no secret)."""
    import sqlalchemy as sa

    from sesamlike.catalog.models import Article
    from sesamlike.extensions import db
    from sesamlike.stock.models import Depot

    choices = {
        "article_no": sorted(db.session.scalars(sa.select(Article.article_no))),
        "depot_code": sorted(db.session.scalars(sa.select(Depot.code))),
    }
    operation = document["paths"].get("/stock", {}).get("get", {})
    for parameter in operation.get("parameters", []):
        values = choices.get(parameter.get("name"))
        if values:
            parameter["schema"]["enum"] = values


@bp.route("/openapi.json")
def openapi_document():
    """The OpenAPI 3 document of this API (no token needed)."""
    return jsonify(build_spec())
