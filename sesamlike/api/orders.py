"""Orders: POST /orders, GET /orders/{id}, POST /orders/{id}/cancel,
POST /orders/{id}/lines/{line_id}/cancel.

Schemas check shapes and types; every rule (entitlement, time lock, delivery
mode, who may order) is the ordering service's, so pages and API refuse alike.
"""

from __future__ import annotations

from flask import json
from marshmallow import Schema, fields, validate

from sesamlike.accounts.models import Role
from sesamlike.api import bp
from sesamlike.api.errors import domain_error_response
from sesamlike.api.routing import operation
from sesamlike.api.schemas import Timestamp
from sesamlike.common.i18n import N_
from sesamlike.extensions import db
from sesamlike.orders import services as ordering
from sesamlike.orders import shipto
from sesamlike.orders.checks import order_faults
from sesamlike.orders.models import DeliveryMode, LineStatus
from sesamlike.prescriptions import errors as prescription_errors

REQUIRED = {"required": N_("Obligatoriskt."), "null": N_("Obligatoriskt.")}
INTEGER = {**REQUIRED, "invalid": N_("Ange ett heltal.")}
MODES = [mode.value for mode in DeliveryMode]


def _text(max_length: int, **metadata) -> fields.String:
    return fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=max_length, error=N_("För lång text.")),
        metadata=metadata,
    )


class LineInSchema(Schema):
    prescription_id = fields.Integer(required=True, strict=True, error_messages=INTEGER)
    packs = fields.Integer(
        required=True,
        strict=True,
        error_messages=INTEGER,
        validate=validate.Range(min=1, error="Ange minst 1."),
        metadata={"description": "At most the prescription's packs_per_withdrawal"},
    )


class ShipToInSchema(Schema):
    name = _text(160)
    street = _text(120)
    postal_code = _text(10)
    city = _text(80)
    door_code = _text(20)


class OrderInSchema(Schema):
    patient_id = fields.Integer(required=True, strict=True, error_messages=INTEGER)
    lines = fields.List(
        fields.Nested(LineInSchema),
        required=True,
        error_messages=REQUIRED,
        validate=validate.Length(min=1, error=N_("Välj minst en rad.")),
    )
    delivery_mode = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(
            MODES,
            error=N_("Leveranssättet ska vara home, clinic, pickup eller pharmacy."),
        ),
        metadata={
            "description": "home, clinic, pickup or pharmacy. Default: clinic for "
            "protected identity or a first pump/CGM reader, pharmacy for pharmacy "
            "articles, else home"
        },
    )
    idempotency_key = _text(
        80,
        description="The same key from the same user again returns the first order "
        "(200 instead of 201)",
    )
    contact_phone = _text(30)
    ship_to = fields.Nested(
        ShipToInSchema,
        load_default=None,
        allow_none=True,
        metadata={"description": "Overrides the patient's address (home, pickup)"},
    )


class OrderLineSchema(Schema):
    id = fields.Integer()
    prescription_id = fields.Integer(allow_none=True)
    article_no = fields.String()
    article_name = fields.String()
    packs = fields.Integer()
    channel = fields.String(metadata={"description": "central, supplier or pharmacy"})
    status = fields.String(
        metadata={"description": ", ".join(status.value for status in LineStatus)}
    )
    pack_price_sek = fields.Float(
        allow_none=True,
        metadata={"description": "null unless your clinic pays the line"},
    )
    vat_rate = fields.Float(
        allow_none=True,
        metadata={"description": "null unless your clinic pays the line"},
    )


class ShipToSchema(Schema):
    name = fields.String(allow_none=True)
    street = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    door_code = fields.String(allow_none=True)


class OrderSchema(Schema):
    id = fields.Integer()
    patient_id = fields.Integer()
    status = fields.String(metadata={"description": "The least advanced live line's"})
    delivery_mode = fields.String()
    placed_at = Timestamp()
    placed_by_role = fields.String()
    idempotency_key = fields.String(allow_none=True)
    cancellable = fields.Boolean(
        metadata={
            "description": "Whether you may cancel it now: not once shipped; for "
            "a patient or guardian, not once its e-recept is at the pharmacy"
        }
    )
    cancelled_at = Timestamp(allow_none=True)
    ship_to = fields.Nested(
        ShipToSchema,
        allow_none=True,
        metadata={
            "description": "Where the order goes. Protected identity: the clinic's "
            "address; null for pharmacy pickup. Aids centre staff: null unless the "
            "order has a line of the central channel that is not cancelled"
        },
    )
    contact_phone = fields.String(
        allow_none=True,
        metadata={
            "description": "The phone for the delivery. null for protected "
            "identity, and to aids centre staff when ship_to is null for them"
        },
    )
    lines = fields.List(fields.Nested(OrderLineSchema))


def order_view(user, order) -> dict:
    """The order as this user may see it: the ship-to in force, nothing more.

    Protected identity (also when set after ordering): the clinic's address and
    no door code or phone. The aids centre's answer carries no patient identity
    number (orders have none), and a ship-to and phone only for an order it
    ships (`shipto.ship_to_seen_by`). Prices go to prescribers only: patients,
    guardians and the aids centre need no costs; and a prescriber sees the own
    clinics' costs only, the price of a line one of them pays (a patient cared
    for at two clinics: the other clinic's lines show none).
    """
    place = shipto.ship_to_seen_by(user, order)
    own = {c.id for c in user.clinics} if user.role == Role.PRESCRIBER else set()
    payers = ordering.payer_clinics(order.lines) if own else {}
    return {
        **{
            name: getattr(order, name)
            for name in OrderSchema().fields
            if name
            not in {"ship_to", "lines", "contact_phone", "delivery_mode", "cancellable"}
        },
        # As the order pages say: a patient's e-recept at the pharmacy stays.
        "cancellable": ordering.cancel_refusal(user, order) is None,
        "delivery_mode": place.mode,
        "ship_to": place.address(),
        "contact_phone": place.phone,
        "lines": [
            {
                **{
                    name: getattr(line, name)
                    for name in OrderLineSchema().fields
                    if hasattr(line, name)
                },
                "article_no": line.article.article_no,
                "article_name": line.article.name,
                "pack_price_sek": line.pack_price_sek if costs else None,
                "vat_rate": line.vat_rate if costs else None,
            }
            for line in order.lines
            for costs in [payers.get(line.id) in own]
        ],
    }


@operation(
    "POST",
    "/orders",
    body=OrderInSchema,
    response=OrderSchema,
    status=201,
    summary="Place an order against prescriptions",
    tag="orders",
    roles=ordering.ORDERING_ROLES,  # refuse other roles before reading the body
    errors=(403, 404, 409),
    faults=order_faults,
    extra_responses={200: "The idempotency key was used before: that order"},
)
def place_order(user, body):
    """Withdraw against the patient's prescriptions, one line per prescription.

    409 for a time lock (the error carries `opens_on`, an ISO date), a used-up,
    expired or cancelled prescription; 422 for packs above packs_per_withdrawal,
    a prescription the patient does not have, or a delivery mode that does not
    suit the articles.
    """
    placed = ordering.place_order(
        user,
        body["patient_id"],
        [(line["prescription_id"], line["packs"]) for line in body["lines"]],
        body["delivery_mode"],
        body["idempotency_key"],
        ship_to=body["ship_to"],
        contact_phone=body["contact_phone"],
    )
    return order_view(user, placed.order), 201 if placed.created else 200


@operation(
    "GET",
    "/orders/<int:order_id>",
    response=OrderSchema,
    summary="An order",
    tag="orders",
    roles=ordering.ORDER_READERS,
    errors=(403, 404),
)
def get_order(user, order_id):
    """An order of a patient in your care (or yourself, or a child you act for);
    the aids centre reads an order it handles (`orders.depot_scope`), with its
    ship-to while it ships it, and gets 404 for any other. Other roles: 403."""
    return order_view(user, ordering.get_order(user, order_id))


@operation(
    "POST",
    "/orders/<int:order_id>/cancel",
    response=OrderSchema,
    summary="Cancel an order before it ships",
    tag="orders",
    errors=(403, 404, 409),
)
def cancel_order(user, order_id):
    """Cancel (makulera) every line; stock is released, withdrawals given back.

    409 once something has shipped; for a patient or guardian also once an
    e-recept is at the pharmacy (`e_recept_at_pharmacy`): the prescriber's
    cancellation withdraws the e-recept too."""
    return order_view(user, ordering.cancel_order(user, order_id))


@operation(
    "POST",
    "/orders/<int:order_id>/lines/<int:line_id>/cancel",
    response=OrderSchema,
    summary="Cancel one line of an order before it ships",
    tag="orders",
    errors=(403, 404, 409),
)
def cancel_order_line(user, order_id, line_id):
    """Cancel (makulera) one open line, also of an order shipped in part (a
    line backordered for weeks): its stock is released and its withdrawal
    given back; the order is cancelled with its last open line.

    409 once the line has shipped or is cancelled; for a patient or guardian
    also once its e-recept is at the pharmacy (`e_recept_at_pharmacy`)."""
    return order_view(user, ordering.cancel_line(user, order_id, line_id))


@bp.errorhandler(prescription_errors.TimeLocked)
def time_locked(error: prescription_errors.TimeLocked):
    """The contract's 409, plus `opens_on` (ISO date) for clients to act on."""
    db.session.rollback()  # a refused request writes nothing
    response = domain_error_response(error)
    body = response.get_json()
    body["error"]["opens_on"] = error.params["opens_on"].isoformat()
    if "line" in error.params:
        body["error"]["line"] = error.params["line"]
    response.set_data(json.dumps(body))
    return response
