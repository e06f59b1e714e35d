"""Shipping: POST /orders/{id}/ship and POST /orders/{id}/deliver (depot role)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sesamlike.accounts.models import Role
from sesamlike.api.orders import OrderLineSchema, OrderSchema, order_view
from sesamlike.api.routing import operation
from sesamlike.api.schemas import Timestamp
from sesamlike.common.i18n import N_
from sesamlike.fulfilment import returns, shipping

DATE = {
    "required": N_("Obligatoriskt."),
    "null": N_("Obligatoriskt."),
    "invalid": "Ange ett datum som ÅÅÅÅ-MM-DD.",
}
LINE_FIELDS = (
    "serial_no",
    "shipped_at",
    "delivered_on",
    "returned_on",
    "shipment_id",
    "packs_returned",
    "packs_restocked",
)


class ShipInSchema(Schema):
    serials = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        load_default=dict,
        metadata={"description": "{line_id: [serial, ...]} for serial-tracked lines"},
    )
    tracking_ref = fields.String(load_default=None, allow_none=True)
    line_ids = fields.List(
        fields.Integer(strict=True),
        load_default=None,
        allow_none=True,
        metadata={"description": "Ship only these lines now (partial shipment)"},
    )


class DeliverInSchema(Schema):
    delivered_on = fields.Date(required=True, error_messages=DATE)
    line_ids = fields.List(fields.Integer(strict=True), load_default=None)


class ReturnInSchema(Schema):
    packs = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=1, error=N_("Ange minst 1.")),
        error_messages={"required": N_("Obligatoriskt."), "null": N_("Obligatoriskt.")},
        metadata={"description": "Packs that came back (at most those left)"},
    )
    returned_on = fields.Date(required=True, error_messages=DATE)
    restock = fields.Boolean(
        required=True,
        error_messages={"required": N_("Obligatoriskt."), "null": N_("Obligatoriskt.")},
        metadata={
            "description": "true: back on stock (fills backorders); "
            "false: scrapped, still a cost"
        },
    )
    lot = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=40, error=N_("Högst 40 tecken.")),
        metadata={
            "description": "A line from the old system (never picked here): the lot "
            "printed on the packs, to go back into (else the lot OKÄNT PARTI)"
        },
    )
    expiry = fields.Date(
        load_default=None,
        allow_none=True,
        error_messages=DATE,
        metadata={"description": "With `lot`: the expiry printed on the packs"},
    )


class ShippedLineSchema(OrderLineSchema):
    serial_no = fields.String(allow_none=True)
    shipped_at = Timestamp(allow_none=True)
    delivered_on = fields.Date(allow_none=True)
    returned_on = fields.Date(allow_none=True)
    shipment_id = fields.Integer(allow_none=True)
    packs_returned = fields.Integer()
    packs_restocked = fields.Integer()


class ShippedOrderSchema(OrderSchema):
    tracking_ref = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(ShippedLineSchema))


def shipped_view(user, order) -> dict:
    view = order_view(user, order)
    view["tracking_ref"] = order.tracking_ref
    for data, line in zip(view["lines"], order.lines, strict=True):
        data.update({name: getattr(line, name) for name in LINE_FIELDS})
    return view


@operation(
    "POST",
    "/orders/<int:order_id>/ship",
    body=ShipInSchema,
    response=ShippedOrderSchema,
    summary="Ship an order's reserved lines",
    tag="orders",
    roles=(Role.DEPOT,),
    errors=(403, 404, 409),
)
def ship_order(user, order_id, body):
    """Pick (first expiry first out) and ship the reserved central-stock lines.

    Backordered lines stay for a later shipment. Serial-tracked lines need one
    serial per pack in `serials`. 409 `already_shipped` when nothing is left to
    ship, `not_reserved` when the lines wait for stock.
    """
    order = shipping.ship_order(user, order_id, **body)
    return shipped_view(user, order)


@operation(
    "POST",
    "/orders/<int:order_id>/deliver",
    body=DeliverInSchema,
    response=ShippedOrderSchema,
    summary="Confirm delivery of an order's shipped lines",
    tag="orders",
    roles=(Role.DEPOT,),
    errors=(403, 404, 409),
)
def deliver_order(user, order_id, body):
    """Set delivered_on and status delivered on the shipped lines.

    409 `not_shipped` before shipping, `already_delivered` after delivery.
    """
    order = shipping.deliver_order(user, order_id, **body)
    return shipped_view(user, order)


@operation(
    "POST",
    "/orders/<int:order_id>/lines/<int:line_id>/return",
    body=ReturnInSchema,
    response=ShippedOrderSchema,
    summary="Take packs of a delivered consumable line back",
    tag="orders",
    roles=(Role.DEPOT,),
    errors=(403, 404, 409),
)
def return_line(user, order_id, line_id, body):
    """Record unused packs back within 14 days of delivery, restocked or scrapped.

    Partial returns add up; the line is `returned` when all its packs are back.
    409 `too_many_packs_returned` for more packs than are left on the line,
    `return_window_closed` after 14 days, `not_returnable` for devices and
    lines not delivered.
    """
    line = returns.return_consumables(
        user,
        line_id,
        body["returned_on"],
        packs=body["packs"],
        restock=body["restock"],
        order_id=order_id,
        lot=body["lot"],
        expiry=body["expiry"],
    )
    return shipped_view(user, line.order)
