"""Stock: POST /stock/receipts and GET /stock (on hand, reserved, available)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sesamlike.accounts.models import Role
from sesamlike.api.routing import operation
from sesamlike.common.i18n import N_
from sesamlike.fulfilment import shipping
from sesamlike.stock import receipts, reservations

REQUIRED = {"required": N_("Obligatoriskt."), "null": N_("Obligatoriskt.")}
INTEGER = {**REQUIRED, "invalid": N_("Ange ett heltal.")}
DATE = {"invalid": "Ange ett datum som ÅÅÅÅ-MM-DD."}
STAFF = (Role.DEPOT, Role.PRESCRIBER, Role.MANAGER, Role.REGION, Role.ADMIN)


class ReceiptInSchema(Schema):
    depot_code = fields.String(required=True, error_messages=REQUIRED)
    article_no = fields.String(required=True, error_messages=REQUIRED)
    packs = fields.Integer(
        required=True,
        strict=True,
        error_messages=INTEGER,
        validate=validate.Range(min=1, error="Ange minst 1."),
    )
    lot = fields.String(load_default=None, allow_none=True)
    expiry = fields.Date(load_default=None, allow_none=True, error_messages=DATE)
    serials = fields.List(
        fields.String(),
        load_default=list,
        metadata={"description": "One per pack for serial-tracked articles"},
    )
    bin = fields.String(load_default=None, allow_none=True)


class ReceiptSchema(Schema):
    depot_code = fields.String()
    article_no = fields.String()
    lot = fields.String()
    expiry = fields.Date(allow_none=True)
    bin = fields.String(allow_none=True)
    packs = fields.Integer(metadata={"description": "Packs received now"})
    lot_on_hand = fields.Integer()
    serials = fields.List(fields.String())
    backorders_filled = fields.Integer(
        metadata={"description": "Backordered order lines this receipt reserved"}
    )


class StockQuerySchema(Schema):
    article_no = fields.String(required=True, error_messages=REQUIRED)
    depot_code = fields.String(
        load_default=None, metadata={"description": "Leave out for all depots"}
    )


class StockSchema(Schema):
    article_no = fields.String()
    depot_code = fields.String(allow_none=True)
    on_hand = fields.Integer(
        metadata={"description": "Usable packs: not quarantined, not past expiry"}
    )
    reserved = fields.Integer()
    available = fields.Integer(metadata={"description": "on_hand - reserved, >= 0"})
    unusable = fields.Integer(
        metadata={"description": "Quarantined or expired packs, never picked"}
    )


@operation(
    "POST",
    "/stock/receipts",
    body=ReceiptInSchema,
    response=ReceiptSchema,
    status=201,
    summary="Receive packs into a depot",
    tag="stock",
    roles=(Role.DEPOT,),
    errors=(403, 409),
)
def receive(user, body):
    """Book received packs (a lot with expiry, serials for serial-tracked articles).

    Backordered order lines of the article are then reserved in order of
    placement. 422 for an unknown depot or article, or serials that do not
    match the packs; 409 for a serial number already registered.
    """
    receipt = shipping.receive_stock(user, **body)
    return {
        "depot_code": receipt.lot.depot.code,
        "article_no": receipt.lot.article.article_no,
        "lot": receipt.lot.lot,
        "expiry": receipt.lot.expiry,
        "bin": receipt.lot.bin,
        "packs": receipt.packs,
        "lot_on_hand": receipt.lot.on_hand,
        "serials": [device.serial_no for device in receipt.devices],
        "backorders_filled": len(receipt.filled),
    }


@operation(
    "GET",
    "/stock",
    query=StockQuerySchema,
    response=StockSchema,
    summary="Packs on hand, reserved and available",
    tag="stock",
    roles=STAFF,
    errors=(403,),
)
def stock(user, query):
    """Stock of one article in one depot, or in all depots."""
    article = receipts.article_by_no(query["article_no"])
    depot = receipts.depot_by_code(query["depot_code"]) if query["depot_code"] else None
    level = reservations.stock_level(article.id, depot.id if depot else None)
    return {
        "article_no": article.article_no,
        "depot_code": depot.code if depot else None,
        **level._asdict(),
    }
