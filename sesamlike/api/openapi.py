"""The OpenAPI 3 document, built from the declared operations."""

from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import jsonify

from sesamlike.api import bp
from sesamlike.api.errors import DEFAULT_ERRORS
from sesamlike.api.routing import _CONVERTER
from sesamlike.common.urls import INT_MAX, INT_MIN

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
# A created resource's other ids (patient_id of a prescription) link too.
CREATES = {
    ("POST", "/patients"): "patient_id",
    ("POST", "/prescriptions"): "prescription_id",
    ("POST", "/prescriptions/<int:prescription_id>/renew"): "prescription_id",
    ("POST", "/prescriptions/<int:prescription_id>/take-over"): "prescription_id",
    ("POST", "/prescriptions/kit"): "prescription_id",
    ("POST", "/orders"): "order_id",
    # A warranty swap lends a new device: it may come back, or be swapped again.
    ("POST", "/devices/<serial_no>/replace"): "serial_no",
    ("POST", "/care-relationships"): "relationship_id",
}
# Where the created id sits in the answer (default: its `id`).
CREATED_ID = {("POST", "/prescriptions/kit"): "/prescriptions/0/id"}
# Other ids in the answer that operations take (an order's first line).
ALSO_CREATES = {("POST", "/orders"): {"line_id": "/lines/0/id"}}
# Operations that take an id in their body: the request body a link fills in
# ("{id}" is the created resource's id, "{patient_id}" its patient's). Operations
# other helpers add join here when they take a created id in the body.
BODY_TAKES = {
    "patient_id": [
        (("POST", "/prescriptions"), {"patient_id": "{id}"}),
        (("POST", "/prescriptions/kit"), {"patient_id": "{id}"}),
    ],
    "prescription_id": [
        (
            ("POST", "/orders"),
            {
                "patient_id": "{patient_id}",
                "lines": [{"prescription_id": "{id}", "packs": 1}],
            },
        ),
    ],
}
# The answer's field that holds the created resource's key (default: id).
KEY_FIELD = {"serial_no": "serial_no"}


def build_spec(user=None) -> dict:
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
    _null_or_object(document)
    _catalogue_choices(document)
    if user is not None:
        _your_clinics(document, user)
    return document


def _links(op, operations) -> dict:
    """Links from an operation that creates a resource to those that take its id
    (in the path or in the body), and to those that take the other ids its
    answer carries (a prescription's patient_id)."""
    name = CREATES.get((op.method, op.rule))
    if name is None:
        return {}
    key = KEY_FIELD.get(name, "id")
    pointer = CREATED_ID.get((op.method, op.rule), f"/{key}")
    answer = _answer_fields(op)
    item = pointer.rsplit("/", 1)[0]  # where the created resource sits
    values = {name: f"$response.body#{pointer}"}
    for field in answer:
        if field.endswith("_id") and field != name:
            values[field] = f"$response.body#{item}/{field}"
    for field, at in ALSO_CREATES.get((op.method, op.rule), {}).items():
        values[field] = f"$response.body#{at}"
    links = {}
    for target in operations:
        taken = [p for _, p in _CONVERTER.findall(target.rule)]
        if (
            taken
            and all(p in values for p in taken)
            and (name in taken or target.method == "GET")
        ):
            links[target.endpoint] = {
                "operationId": target.endpoint,
                "parameters": {p: values[p] for p in taken},
                "description": f"The created resource's {', '.join(taken)}",
            }
    by_rule = {(target.method, target.rule): target for target in operations}
    for key, body in BODY_TAKES.get(name, []):
        target = by_rule.get(key)
        if target is None:
            continue
        links[target.endpoint] = {
            "operationId": target.endpoint,
            "requestBody": _fill(body, values[name], values.get("patient_id")),
            "description": f"The created resource's id as {name} in the body",
        }
        if set(body) >= _required(target.body):
            # A whole body: schemathesis' stateful phase sends it as it is
            # rather than mixing its fields with generated ones.
            links[target.endpoint]["x-schemathesis"] = {"merge_body": False}
    return links


def _required(schema) -> set[str]:
    return {name for name, field in schema().fields.items() if field.required}


def _answer_fields(op) -> list[str]:
    """Field names of the created resource in the operation's answer."""
    schema = op.response()
    if "prescriptions" in schema.fields and len(schema.fields) == 1:
        schema = schema.fields["prescriptions"].inner.schema
    return list(schema.fields)


def _fill(template, created: str, patient: str | None):
    if isinstance(template, dict):
        return {k: _fill(v, created, patient) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, created, patient) for v in template]
    if template == "{id}":
        return created
    if template == "{patient_id}":
        return patient
    return template


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
    """Article numbers, depot codes and system names that requests name must
    exist (else 422, or GET /stock 404): their current values as enums, in every
    query parameter and request body that takes one (the catalogue, the depots
    and the systems are no secret)."""
    import sqlalchemy as sa

    from sesamlike.catalog.models import Article, System
    from sesamlike.extensions import db
    from sesamlike.stock.models import Depot

    choices = {
        "article_no": sorted(db.session.scalars(sa.select(Article.article_no))),
        "depot_code": sorted(db.session.scalars(sa.select(Depot.code))),
        "system": sorted(db.session.scalars(sa.select(System.name))),
    }
    for methods in document["paths"].values():
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                values = choices.get(parameter.get("name"))
                if values and parameter["in"] == "query":
                    # An optional one left empty is left out (GET /stock: all depots).
                    empty = [] if parameter.get("required") else [""]
                    parameter["schema"]["enum"] = values + empty
    components = document["components"]["schemas"]
    for name in _request_components(document):
        properties = components[name].get("properties", {})
        for field, values in choices.items():
            if field in properties and values:
                properties[field]["enum"] = values


def _your_clinics(document: dict, user) -> None:
    """Fetched with a token, the document names the caller's clinics where an
    operation takes only those (a clinic_code in a body: 422 for any other; in
    follow-up's query: 404)."""
    codes = sorted(clinic.code for clinic in user.clinics)
    if not codes:
        return
    for methods in document["paths"].values():
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("name") == "clinic_code":
                    parameter["schema"]["enum"] = codes
    components = document["components"]["schemas"]
    for name in _request_components(document):
        field = components[name].get("properties", {}).get("clinic_code")
        if field is not None:
            field["enum"] = codes + ([None] if field.get("nullable") else [])
            field["description"] = (
                field.get("description", "") + " (fetched with your token: the "
                "codes of your clinics)"
            ).strip()


def _request_components(document: dict) -> set[str]:
    """Names of the component schemas request bodies use, nested ones too."""
    components = document["components"]["schemas"]
    found: set[str] = set()

    def visit(node) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in found:
                    found.add(name)
                    visit(components[name])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    for methods in document["paths"].values():
        for operation in methods.values():
            visit(operation.get("requestBody"))
    return found


def _null_or_object(node) -> None:
    """apispec writes a nullable nested schema as anyOf [its $ref, any object]:
    the second branch lets any object through (and the server refuses unknown
    fields). Say null instead."""
    if isinstance(node, dict):
        for option in node.get("anyOf", []):
            if option == {"nullable": True, "type": "object"}:
                option["enum"] = [None]
        for value in node.values():
            _null_or_object(value)
    elif isinstance(node, list):
        for value in node:
            _null_or_object(value)


@bp.route("/openapi.json")
def openapi_document():
    """The OpenAPI 3 document of this API (no token needed; with one, the
    clinic codes you may name are listed)."""
    from sesamlike.api.auth import bearer_user

    return jsonify(build_spec(bearer_user()))
