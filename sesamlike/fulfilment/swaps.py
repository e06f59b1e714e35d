"""Warranty swaps at the counter: a lent device is exchanged for one from stock.

`swap_device` is the API's `POST /devices/{serial_no}/replace`: the faulty
device comes back into quarantine on the day of the swap and its line is
`returned`; the new device is lent to the same patient from that day on a new
line that replaces the old one (no withdrawal, price 0), delivered at once. The
new device keeps the old one's warranty end, and the follow-up continues the
old device's amortisation on it (`order_lines.amortised_line_id`: the first
line of the chain). `keep_warranty` gives a replacement shipped later (the
depot's `replace_device`) the same warranty end.
"""

from __future__ import annotations

from datetime import date

from sesamlike.accounts import audit
from sesamlike.accounts.models import User
from sesamlike.common.errors import Invalid, NotVisible
from sesamlike.common.i18n import N_
from sesamlike.common.time import region_today, utcnow
from sesamlike.extensions import db
from sesamlike.fulfilment.errors import NotUnderWarranty
from sesamlike.fulfilment.returns import (
    counter_depot,
    lent_device,
    open_replacement,
    return_device,
)
from sesamlike.fulfilment.shipping import (
    commit_use_case,
    line_for,
    move_line,
    require_depot,
)
from sesamlike.orders.models import DeliveryMode, LineStatus, Order
from sesamlike.patients import access
from sesamlike.patients.errors import CareEnded
from sesamlike.patients.models import Patient
from sesamlike.stock import devices, picking, reservations
from sesamlike.stock.errors import SerialNotInStock
from sesamlike.stock.models import Device

LENT_LINE_STATUSES = (LineStatus.SHIPPED, LineStatus.DELIVERED)


def return_lent_device(
    user: User,
    serial_no: str,
    returned_on: date,
    reason: str = devices.ReturnReason.THERAPY_ENDED,
    *,
    line_id: int | None = None,
    today: date | None = None,
) -> Device:
    """A lent device comes back into quarantine; its line is returned.
    `line_id`: a device never registered (`returns.lent_device`)."""
    device = return_device(
        user, serial_no, reason, returned_on, line_id=line_id, today=today
    )
    return db.session.get(Device, device.id)


def swap_device(
    user: User,
    serial_no: str,
    new_serial_no: str,
    replaced_on: date,
    *,
    line_id: int | None = None,
    today: date | None = None,
) -> Device:
    """Exchange a lent device under warranty for `new_serial_no` from stock.
    `line_id`: a device never registered (`returns.lent_device`)."""
    require_depot(user)
    today = today or region_today()
    if replaced_on > today:
        raise Invalid(fields={"replaced_on": [N_("Kan inte vara i framtiden.")]})
    new_serial_no = (new_serial_no or "").strip()
    if not new_serial_no:
        raise Invalid(fields={"new_serial_no": [N_("Obligatoriskt.")]})

    def run():
        old = lent_device(serial_no, line_id)
        line = line_for(old.reference)
        if line is None or old.patient_id is None:
            raise NotVisible()
        access.handled_by_depot(
            user, old.patient_id, action="replace_device", detail=old.serial_no
        )
        patient = db.session.get(Patient, old.patient_id)
        if patient.care_ended and replaced_on > patient.care_ended_on:
            # After a death or a move out of the region (`patients.care_end`)
            # the region lends nothing more; a swap made before it and
            # registered late stands.
            raise CareEnded()
        if old.warranty_end is None or replaced_on > old.warranty_end:
            raise NotUnderWarranty(warranty_end=old.warranty_end or "-")
        if line.status not in LENT_LINE_STATUSES or (
            line.delivered_on is not None and replaced_on < line.delivered_on
        ):
            raise Invalid(fields={"replaced_on": [N_("Före utlåningsdagen.")]})
        # The article's lock before its quarantine lot (the old device goes
        # there) and the new device's reservation, as an order takes them.
        reservations.lock_articles([old.article_id, line.article_id])
        # Swapped at the counter: a device with no depot of its own stays
        # at the clerk's, where the new one came from.
        devices.return_to_quarantine(
            old, devices.ReturnReason.FAULTY, replaced_on, user_id=user.id,
            depot_id=counter_depot(user),
        )  # fmt: skip
        move_line(line, line.status, LineStatus.RETURNED, returned_on=replaced_on)
        order = Order(
            patient_id=old.patient_id,
            placed_by_id=user.id,
            placed_by_role=user.role,
            delivery_mode=DeliveryMode.CLINIC,
        )
        new, status = open_replacement(user, line, today, order, from_stock=True)
        if status != LineStatus.RESERVED:
            raise SerialNotInStock(serial_no=new_serial_no, article=old.article.name)
        lent = picking.pick(
            new.reference, serials=[new_serial_no], user_id=user.id, today=today
        )
        devices.lend(lent, old.patient_id, replaced_on, new.reference,
                     new.amortised_line_id)  # fmt: skip
        picking.ship(new.reference, user_id=user.id)
        new.status = LineStatus.DELIVERED
        new.shipped_at = utcnow()
        new.delivered_on = replaced_on
        new.serial_no = new_serial_no
        for device in lent:
            device.warranty_end = old.warranty_end
        audit.record(
            "create",
            "order",
            patient_id=order.patient_id,
            object_id=order.id,
            user=user,
            detail=f"replaces {old.serial_no} with {new_serial_no} (line {line.id})",
        )
        return lent[0]

    device = commit_use_case(run)
    return db.session.get(Device, device.id)
