"""Declare an API operation once: route, input schemas, answer schema, roles, docs.

    @operation("GET", "/patients/<int:patient_id>", response=PatientSchema,
               summary="A patient", tag="patients")
    def get_patient(user, patient_id):
        return patients.get_patient(user, patient_id)

The view receives the token's user, path arguments, and `body`/`query` already
loaded by their marshmallow schemas (invalid input: 422 in the contract's format;
with `faults`, the rules' faults of the fields that passed the schema too).
It returns a domain object (or a dict) which the response schema dumps, or a
tuple (object, status).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps

from flask import jsonify, request
from marshmallow import Schema, ValidationError

from sesamlike.api import bp
from sesamlike.api.errors import error_response, flatten_messages
from sesamlike.common.i18n import N_, _
from sesamlike.common.text import CONTROL_CHARACTER, names_with_control_characters
from sesamlike.common.urls import INT_MAX, INT_MIN
from sesamlike.extensions import db


@dataclass
class Operation:
    method: str
    rule: str
    summary: str
    tag: str
    body: type[Schema] | None
    query: type[Schema] | None
    response: type[Schema] | None
    many: bool
    status: int
    roles: frozenset[str] | None
    errors: tuple[int, ...]
    # (user, the body's fields that passed its schema, the names of those that
    # did not, as the answer names them: "lines.0.packs"; the path's arguments
    # by name) -> the rules' field faults of the rest: one answer names every
    # bad field.
    faults: Callable[..., dict[str, list[str]]] | None = None
    description: str = ""
    endpoint: str = ""
    extra_responses: dict[int, str] = field(default_factory=dict)


OPERATIONS: list[Operation] = []
TOO_LARGE = N_("Talet är för stort.")
TOO_DEEP = N_("JSON-dokumentet är för djupt nästlat.")
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def operation(
    method: str,
    rule: str,
    *,
    summary: str,
    tag: str,
    body: type[Schema] | None = None,
    query: type[Schema] | None = None,
    response: type[Schema] | None = None,
    many: bool = False,
    status: int = 200,
    roles: Iterable[str] | None = None,
    errors: Iterable[int] = (),
    extra_responses: dict[int, str] | None = None,
    faults: Callable[..., dict[str, list[str]]] | None = None,
) -> Callable:
    op = Operation(
        method.upper(),
        rule,
        summary,
        tag,
        body,
        query,
        response,
        many,
        status,
        frozenset(roles) if roles else None,
        tuple(errors),
        faults=faults,
        extra_responses=extra_responses or {},
    )

    def decorator(fn: Callable) -> Callable:
        op.description = (fn.__doc__ or "").strip()

        @wraps(fn)
        def view(**path_args):
            user = _current_user()
            if op.roles is not None and user.role not in op.roles:
                return error_response(403)
            kwargs = dict(path_args)  # ids within range: common.urls.IdConverter
            if op.query is not None:
                kwargs["query"] = op.query().load(request.args.to_dict())
            if op.body is not None:
                try:
                    payload = request.get_json(silent=True)
                except RecursionError:  # nested deeper than Python's stack
                    return error_response(400, message=_(TOO_DEEP))
                if not isinstance(payload, dict):
                    raise ValidationError(
                        {"_schema": [N_("Skicka ett JSON-objekt (application/json).")]}
                    )
                kwargs["body"] = _load_body(op, user, payload, path_args)
            loaded = {k: v for k, v in kwargs.items() if k in ("body", "query")}
            refused = _shared_faults(loaded)
            if refused:
                raise ValidationError(refused)
            result = fn(user, **kwargs)
            status_code = op.status
            if isinstance(result, tuple):
                result, status_code = result
            db.session.commit()  # e.g. audit rows written by a read
            if op.response is None:
                return jsonify(result), status_code
            data = op.response(many=op.many).dump(result)
            return jsonify(data), status_code

        endpoint = op.endpoint = f"{op.tag}_{fn.__name__}"
        bp.add_url_rule(rule, endpoint=endpoint, view_func=view, methods=[op.method])
        OPERATIONS.append(op)
        return fn

    return decorator


def _load_body(op: Operation, user, payload: dict, path_args: dict) -> dict:
    """The body as its schema loads it. Invalid: the schema's faults, and the
    rules' faults of the fields that passed it where the operation has them."""
    try:
        return op.body().load(payload)
    except ValidationError as error:
        wrong = error.messages if isinstance(error.messages, dict) else {}
        passed = error.valid_data if isinstance(error.valid_data, dict) else {}
        if op.faults is None or not wrong:
            raise
        # The fields that passed the schema but not what every input shares
        # (a NUL, an integer out of range) are faults too, and never reach
        # the rules: their lookups would send them to the database.
        shared = _shared_faults({"body": passed})
        wrong = {**wrong, **shared}
        refused_fields = {name.split(".", 1)[0] for name in shared}
        passed = {k: v for k, v in passed.items() if k not in refused_fields}
        names = set(flatten_messages(wrong))
        more = op.faults(user, passed, names, **path_args)
        more = {name: m for name, m in more.items() if not _overlaps(name, names)}
        if not more and not shared:
            raise
        raise ValidationError({**wrong, **more}) from None


def _shared_faults(loaded: dict) -> dict[str, list[str]]:
    """What every input shares, past each schema's own checks: integers within
    range, texts without control characters (`loaded`: {"body": …, "query": …},
    the faults named without those prefixes)."""
    refused = {name: [TOO_LARGE] for name in _too_large(loaded)}
    for name in names_with_control_characters(loaded):
        refused[name.split(".", 1)[-1]] = [CONTROL_CHARACTER]
    return refused


def _overlaps(name: str, names: set[str]) -> bool:
    """`name` is among `names`, inside one of them or holds one ("lines" and
    "lines.0.packs"): the schema's fault says it already."""
    return any(
        name == other or other.startswith(f"{name}.") or name.startswith(f"{other}.")
        for other in names
    )


def _too_large(value, name: str = ""):
    """Names ("body.lines.0.packs" without the "body.") of integers out of range."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _too_large(item, f"{name}.{key}" if name else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _too_large(item, f"{name}.{index}")
    elif isinstance(value, int) and not isinstance(value, bool):
        if not INT_MIN <= value <= INT_MAX:
            inside = name.startswith(("body.", "query."))
            yield name.split(".", 1)[-1] if inside else name


def _current_user():
    from flask import g

    return g.api_user


def openapi_path(rule: str) -> tuple[str, list[dict]]:
    """Flask's /x/<int:id> as OpenAPI's /x/{id} with its path parameters."""
    parameters = []
    for converter, name in _CONVERTER.findall(rule):
        schema = {"type": "integer"} if converter == "int" else {"type": "string"}
        parameters.append(
            {"name": name, "in": "path", "required": True, "schema": schema}
        )
    return _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule), parameters


def load_resources() -> None:
    """Import every resource module in this package so its operations register."""
    package = importlib.import_module("sesamlike.api")
    for module in pkgutil.iter_modules(package.__path__):
        if module.name not in {
            "auth",
            "errors",
            "fhir",
            "openapi",
            "routing",
            "schemas",
        }:
            importlib.import_module(f"sesamlike.api.{module.name}")
