"""Lent devices: POST /devices/{serial_no}/return and /devices/{serial_no}/replace
(depot role)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sesamlike.accounts.models import Role
from sesamlike.api.routing import operation
from sesamlike.api.shipping import DATE
from sesamlike.common.i18n import N_
from sesamlike.fulfilment import swaps
from sesamlike.stock.devices import RETURN_REASONS, ReturnReason

REQUIRED = {"required": N_("Obligatoriskt."), "null": N_("Obligatoriskt.")}
LINE_ID = {
    "load_default": None,
    "allow_none": True,
    "strict": True,
    "validate": validate.Range(min=1, max=2**31 - 1, error=N_("Okänd orderrad.")),
    "metadata": {
        "description": "For a device the register does not know (a supplier "
        "delivered it to the patient without reporting its serial number): the "
        "delivered order line it came on. The device is registered under "
        "serial_no as lent from that delivery, then comes back. A device "
        "registered on the line already is found by its serial as without it."
    },
}


class DeviceReturnInSchema(Schema):
    returned_on = fields.Date(required=True, error_messages=DATE)
    reason = fields.String(
        load_default=ReturnReason.THERAPY_ENDED,
        validate=validate.OneOf(RETURN_REASONS, error=N_("Välj en orsak.")),
        metadata={"description": "replaced, faulty or therapy_ended (default)"},
    )
    line_id = fields.Integer(**LINE_ID)


class DeviceReplaceInSchema(Schema):
    new_serial_no = fields.String(
        required=True,
        validate=validate.Length(min=1, max=60, error=N_("1–60 tecken.")),
        error_messages=REQUIRED,
    )
    replaced_on = fields.Date(required=True, error_messages=DATE)
    line_id = fields.Integer(**LINE_ID)


class DeviceSchema(Schema):
    serial_no = fields.String()
    article_no = fields.Function(lambda device: device.article.article_no)
    patient_id = fields.Integer(allow_none=True)
    status = fields.String(
        metadata={"description": "in_stock, on_loan, quarantine or scrapped"}
    )
    lent_on = fields.Date(allow_none=True)
    warranty_end = fields.Date(allow_none=True)
    returned_on = fields.Date(allow_none=True)


@operation(
    "POST",
    "/devices/<serial_no>/return",
    body=DeviceReturnInSchema,
    response=DeviceSchema,
    summary="A lent device comes back",
    tag="devices",
    roles=(Role.DEPOT,),
    errors=(403, 404, 409),
)
def return_device(user, serial_no, body):
    """The device goes into quarantine and its order line is returned: its
    amortisation stops the day before `returned_on`. 404 when no device with
    that serial number is on loan (with `line_id`: on that line, or no such
    line). With `line_id` for a device never registered: 409 `serial_on_loan`
    or `duplicate_serial` when the register has the serial already,
    `not_returnable` for a line that is no delivered device."""
    return swaps.return_lent_device(
        user,
        serial_no,
        body["returned_on"],
        body["reason"],
        line_id=body["line_id"],
    )


@operation(
    "POST",
    "/devices/<serial_no>/replace",
    body=DeviceReplaceInSchema,
    response=DeviceSchema,
    status=201,
    summary="Replace a lent device under warranty",
    tag="devices",
    roles=(Role.DEPOT,),
    errors=(403, 404, 409),
)
def replace_device(user, serial_no, body):
    """A warranty replacement: the device comes back (quarantine, faulty) on
    `replaced_on`, and `new_serial_no` from stock is lent to the same patient
    from that day, keeping the old device's warranty end. The follow-up runs
    the old device's amortisation on: the replacement's price adds nothing.
    409 `not_under_warranty` after the warranty end, `serial_not_in_stock` when
    the new serial is not in stock. `line_id`: as for a return, for a device
    the supplier delivered without reporting its serial."""
    return swaps.swap_device(
        user,
        serial_no,
        body["new_serial_no"],
        body["replaced_on"],
        line_id=body["line_id"],
    ), 201
