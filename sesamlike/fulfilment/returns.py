"""The aids centre takes things back: devices, unused consumables, counted stock.

- A returned device (reason: replaced, faulty, therapy ended) goes into
  quarantine and its order line is `returned` with `returned_on`, so the
  device's amortisation stops; a clerk then reconditions or scraps it (a
  faulty one is never reconditioned: it goes to the supplier or is scrapped).
- A faulty device returned within warranty gets a replacement: a new order
  line linked to the old one (`replaces_line_id`), with no new withdrawal.
- Unused stocked consumables come back within 14 days of delivery, all or some
  packs at a time, back on stock or scrapped; the line is `returned` when all are back.
- A cycle count books its difference as an adjustment with a reason code.
Stock that comes back may fill backorders, first placed first.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from sesamlike.accounts import audit
from sesamlike.accounts.models import Clinic, User
from sesamlike.catalog.models import Channel
from sesamlike.common.errors import Invalid, NotVisible
from sesamlike.common.i18n import N_
from sesamlike.common.time import region_today, utcnow
from sesamlike.extensions import db
from sesamlike.fulfilment.errors import (
    AlreadyReplaced,
    NotReturnable,
    NotUnderWarranty,
    ReturnWindowClosed,
    TooManyPacksReturned,
)
from sesamlike.fulfilment.shipping import (
    REFERENCE_PREFIX,
    commit_use_case,
    fill_backorders,
    line_for,
    load_order,
    move_line,
    payer_of,
    require_depot,
)
from sesamlike.orders import rules, withdrawals
from sesamlike.orders.delivery import parcel_clinic
from sesamlike.orders.models import DeliveryMode, LineStatus, Order, OrderLine
from sesamlike.patients import access
from sesamlike.patients.addresses import is_box_address
from sesamlike.patients.errors import CareEnded
from sesamlike.stock import devices, picking, receipts, reservations, staff
from sesamlike.stock.errors import DeviceNotFound
from sesamlike.stock.models import SERIAL_MAX, Device, DeviceStatus

RETURN_DAYS = rules.RETURN_DAYS


def count_lot(
    user: User,
    lot_id: int,
    counted: int,
    reason_code: str | None,
    *,
    confirmed: bool = True,
):
    """A cycle count; a surplus may fill backorders. `confirmed=False` (the
    page, until its box is ticked): a count far from the books is refused."""
    require_depot(user)

    def run():
        lot, difference = picking.count_lot(
            lot_id, counted, reason_code, user_id=user.id, confirmed=confirmed
        )
        if difference > 0:
            fill_backorders(lot.article_id, user)
        return lot, difference

    return commit_use_case(run)


def recondition_device(user: User, device_id: int) -> Device:
    """A quarantined device goes back to stock; it may fill a backorder.
    Refused for one returned faulty (`devices.recondition`)."""
    require_depot(user)

    def run():
        device = devices.recondition(device_id, user_id=user.id)
        fill_backorders(device.article_id, user)
        return device

    return commit_use_case(run)


def scrap_device(user: User, device_id: int) -> Device:
    require_depot(user)
    return commit_use_case(lambda: devices.scrap(device_id, user_id=user.id))


# Returns and replacements ---------------------------------------------------


def counter_depot(user: User, depot_code: str | None = None) -> int | None:
    """Where a device with no depot of its own is booked back: the depot
    named, else the clerk's own (None: neither; `devices` takes the first)."""
    depot = receipts.depot_by_code(depot_code) if depot_code else staff.own_depot(user)
    return depot.id if depot is not None else None


def return_device(
    user: User,
    serial_no: str,
    reason: str,
    returned_on: date,
    *,
    line_id: int | None = None,
    depot_code: str | None = None,
    today: date | None = None,
) -> Device:
    """A lent device comes back into quarantine; its line is returned.

    `line_id`: for a device the register does not know (`lent_device`).
    A device with no depot of its own (imported history, or lent by a
    supplier) comes back to `depot_code`, else to the clerk's own depot.
    """
    require_depot(user)
    if returned_on > (today or region_today()):
        raise Invalid(fields={"returned_on": [N_("Kan inte vara i framtiden.")]})

    def run():
        device = lent_device(serial_no, line_id)
        if device.patient_id is not None:
            access.handled_by_depot(
                user, device.patient_id, action="return_device", detail=device.serial_no
            )
        devices.return_to_quarantine(
            device,
            reason,
            returned_on,
            user_id=user.id,
            depot_id=counter_depot(user, depot_code),
        )
        line = line_for(device.reference)
        if line is not None and line.status in (
            LineStatus.SHIPPED,
            LineStatus.DELIVERED,
        ):
            move_line(line, line.status, LineStatus.RETURNED, returned_on=returned_on)
        return device

    return commit_use_case(run)


def lent_device(serial_no: str, line_id: int | None = None) -> Device:
    """The device on loan with this serial number, locked.

    With `line_id`, the device delivered on that order line: a pump or reader a
    supplier delivered straight to the patient without reporting its serial
    number is in no register until it comes back. It is registered then, under
    the serial read off it, as lent from the line's delivery (as the supplier's
    status file would have registered it), so its return or swap is booked
    like any other lent device's. A device registered since is found by its
    serial on the line.
    """
    serial_no = (serial_no or "").strip()
    if line_id is None:
        return devices.on_loan(serial_no)
    if not serial_no:
        raise Invalid(fields={"serial_no": [N_("Obligatoriskt.")]})
    if len(serial_no) > SERIAL_MAX:
        raise Invalid(fields={"serial_no": [N_("Högst 60 tecken.")]})
    line = db.session.scalar(
        sa.select(OrderLine).where(OrderLine.id == line_id).with_for_update()
    )
    if line is None:
        raise NotVisible()
    known = devices.registered([serial_no], [line.reference])
    if line.serial_no or any(d.reference == line.reference for d in known):
        if not any(
            device.reference == line.reference
            and device.serial_no == serial_no
            and device.status == DeviceStatus.ON_LOAN
            for device in known
        ):
            raise DeviceNotFound(serial_no=serial_no)
        return devices.on_loan(serial_no)
    if not line.article.serial_tracked:
        raise NotReturnable(detail=N_("artikeln är inte individmärkt"))
    if line.status == LineStatus.RETURNED:
        raise NotReturnable(detail=N_("enheten är redan returnerad"))
    if line.status != LineStatus.DELIVERED or line.delivered_on is None:
        raise NotReturnable(detail=N_("raden är inte levererad"))
    refusal = devices.serial_refusal(line.article_id, serial_no, known)
    if refusal is not None:
        raise refusal
    line.serial_no = serial_no  # flushed with the device, before the line moves
    return devices.register_loan(
        line.article, serial_no, line.patient_id, line.delivered_on, line.reference,
        line.amortisation_line_id,
    )  # fmt: skip


def open_replacement(
    user: User, line: OrderLine, today: date, order: Order, *, from_stock: bool = False
) -> tuple[OrderLine, str]:
    """Add to `order` the warranty replacement of `line`'s device and reserve it.

    The supplier replaces it under warranty: no withdrawal, no new cost; the
    follow-up continues the first device's amortisation on it. It goes by the
    article's channel (`rules.replacement_channel`): a supplier's device goes
    in the supplier's file, as its first delivery did, unless `from_stock` (a
    swap at the counter, from the shelf); the aids centre's is reserved here.
    Returns the new line and its status.
    """
    # From the shelf, the aids centre's channel whatever the article's (the
    # follow-up's channels count where a device came from).
    channel = (
        Channel.CENTRAL
        if from_stock
        else rules.replacement_channel(line.article.channel)
    )
    new = OrderLine(
        article_id=line.article_id,
        packs=1,
        channel=channel,
        status=rules.SUPPLIER_STATUS.get(channel, LineStatus.BACKORDERED),
        pack_price_sek=0,
        vat_rate=line.vat_rate,
        replaces_line_id=line.id,
        amortised_line_id=line.amortisation_line_id,
        **payer_of(line),
    )
    order.lines.append(new)
    db.session.add(order)
    db.session.flush()
    if channel == Channel.SUPPLIER:
        return new, new.status
    status = reservations.reserve(
        new.reference, new.article_id, 1, user_id=user.id, today=today
    )
    return new, status


def replaced_devices(quarantined: list[Device]) -> set[int]:
    """The ids of these devices whose warranty replacement is already ordered."""
    by_line = {}
    for device in quarantined:
        reference = device.reference or ""
        if reference.startswith(REFERENCE_PREFIX):
            by_line[int(reference.removeprefix(REFERENCE_PREFIX))] = device.id
    if not by_line:
        return set()
    replaced = db.session.scalars(
        sa.select(OrderLine.replaces_line_id).where(
            OrderLine.replaces_line_id.in_(by_line)
        )
    )
    return {by_line[line_id] for line_id in replaced}


def _paying_clinic(line: OrderLine, order: Order) -> Clinic | None:
    """The clinic a device's line belongs to: its prescription's, the one that
    paid it (imported history), else one that cares for the patient."""
    if line.prescription is not None:
        return line.prescription.clinic
    if line.cost_clinic_id is not None:
        return db.session.get(Clinic, line.cost_clinic_id)
    return next(
        (r.clinic for r in order.patient.care_relationships if r.ended_on is None),
        None,
    )


def replace_device(user: User, device_id: int, today: date | None = None) -> Order:
    """A faulty device back within warranty: a linked line, no new withdrawal."""
    require_depot(user)
    today = today or region_today()

    def run():
        device = db.session.get(Device, device_id)
        line = line_for(device.reference) if device else None
        if device is None or line is None:
            raise NotVisible()
        if (
            device.status != DeviceStatus.QUARANTINE
            or device.return_reason != devices.ReturnReason.FAULTY
            or device.warranty_end is None
            or device.returned_on is None
            or device.returned_on > device.warranty_end
        ):
            raise NotUnderWarranty(warranty_end=device.warranty_end or "-")
        if db.session.scalar(
            sa.select(OrderLine.id).where(OrderLine.replaces_line_id == line.id)
        ):
            raise AlreadyReplaced(serial_no=device.serial_no)
        access.handled_by_depot(
            user,
            line.order.patient_id,
            action="replace_device",
            detail=device.serial_no,
        )
        if line.order.patient.care_ended:
            # Died, or moved out of the region (`patients.care_end`): the
            # region's devices come back, and no replacement goes out. The
            # aids centre is told no more than that (not the day of death).
            raise CareEnded()
        old = line.order
        order = Order(
            patient_id=old.patient_id,
            placed_by_id=user.id,
            placed_by_role=user.role,
            delivery_mode=old.delivery_mode,
            **{
                c: getattr(old, c)
                for c in (
                    "ship_to_name",
                    "ship_to_street",
                    "ship_to_postal_code",
                    "ship_to_city",
                    "ship_to_door_code",
                    "contact_phone",
                )
            },
        )
        # Where the device goes now, not where the first one went (imported
        # history kept no address; the patient may have moved house, or to
        # another clinic's care, since): the clinic that cares for the patient,
        # or the delivery address of today. A protected patient's goes to the
        # clinic, which ship_to gives.
        clinic = parcel_clinic(old.patient, _paying_clinic(line, old))
        address = old.patient.delivery_address_on(today)
        if (
            order.delivery_mode in (DeliveryMode.HOME, DeliveryMode.PICKUP)
            and address is not None
            and is_box_address(address.street)
            and clinic is not None
        ):
            # A box on record (saved before the record refused them): no aid
            # goes to a box, and a pump under warranty is still replaced, so
            # the replacement waits at the clinic.
            order.delivery_mode = DeliveryMode.CLINIC
        mode = order.delivery_mode
        if (mode == DeliveryMode.CLINIC and clinic is not None) or (
            mode in (DeliveryMode.HOME, DeliveryMode.PICKUP)
            and not old.patient.protected_identity
            and address is not None
        ):
            snapshot = rules.ship_to_snapshot(
                old.patient, order.delivery_mode, clinic, None,
                order.contact_phone or old.patient.phone, today,
            )  # fmt: skip
            for column, value in snapshot.items():
                setattr(order, column, value)
        new, new_status = open_replacement(user, line, today, order)
        new.status = new_status
        audit.record(
            "create",
            "order",
            patient_id=order.patient_id,
            object_id=order.id,
            user=user,
            detail=f"replaces line {line.id} ({device.serial_no})",
        )
        return order

    order = commit_use_case(run)
    return load_order(order.id)


def return_consumables(
    user: User,
    line_id: int,
    returned_on: date,
    *,
    packs: int | None = None,
    restock: bool = True,
    order_id: int | None = None,
    today: date | None = None,
    lot: str | None = None,
    expiry: date | None = None,
) -> OrderLine:
    """Unused packs of a delivered consumable line back within 14 days.

    `packs`: how many came back (None: all that are left). `restock`: they go
    back on stock (and may fill backorders); otherwise they are scrapped and
    still cost. Partial returns add up; the line is `returned` when all its
    packs are back. `order_id`: the order the line must belong to (API path).
    `lot`, `expiry`: as printed on the packs, for those never picked here
    (`picking.return_packs`); packs past their expiry never go back on stock.
    """
    require_depot(user)
    today = today or region_today()
    if packs is not None and (
        isinstance(packs, bool) or not isinstance(packs, int) or packs < 1
    ):
        raise Invalid(fields={"packs": [N_("Ange minst 1.")]})
    if restock and expiry is not None and not (lot or "").strip():
        raise Invalid(fields={"lot": [N_("Ange partiet som står på förpackningen.")]})

    def run():
        line = db.session.scalar(
            sa.select(OrderLine).where(OrderLine.id == line_id).with_for_update()
        )
        if line is None or (order_id is not None and line.order_id != order_id):
            raise NotVisible()
        access.handled_by_depot(
            user, line.order.patient_id, action="return_line", detail=str(line.id)
        )
        if line.channel != Channel.CENTRAL or line.article.serial_tracked:
            raise NotReturnable(detail=N_("bara lagerförda förbrukningsartiklar"))
        if line.status == LineStatus.RETURNED:
            raise NotReturnable(detail=N_("alla förpackningar är redan returnerade"))
        if line.status != LineStatus.DELIVERED or line.delivered_on is None:
            raise NotReturnable(detail=N_("raden är inte levererad"))
        if not line.delivered_on <= returned_on <= today:
            raise Invalid(
                fields={"returned_on": [N_("Mellan leveransdagen och i dag.")]}
            )
        if (returned_on - line.delivered_on).days > RETURN_DAYS:
            raise ReturnWindowClosed(days=RETURN_DAYS, delivered_on=line.delivered_on)
        left = line.packs - line.packs_returned
        count = left if packs is None else packs
        if count > left:
            raise TooManyPacksReturned(
                article=line.article.name, left=left, asked=count
            )
        if restock:
            picking.return_packs(
                line.reference, line.article_id, count, user_id=user.id,
                lot_code=lot, expiry=expiry,
            )  # fmt: skip
        returned = line.packs_returned + count
        values = {
            "packs_returned": returned,
            "packs_restocked": line.packs_restocked + (count if restock else 0),
        }
        if returned == line.packs:
            values.update(status=LineStatus.RETURNED, returned_on=returned_on)
        # Compare-and-set on what was back, so two returns never lose one another.
        changed = db.session.execute(
            sa.update(OrderLine)
            .where(
                OrderLine.id == line.id,
                OrderLine.status == LineStatus.DELIVERED,
                OrderLine.packs_returned == line.packs_returned,
            )
            .values(updated_at=utcnow(), **values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            raise TooManyPacksReturned(
                article=line.article.name, left=left, asked=count
            )
        if withdrawals.back_whole(line, values["packs_restocked"]):
            withdrawals.give_back(line, today)
        audit.record(
            "return_packs",
            "order",
            patient_id=line.order.patient_id,
            object_id=line.order_id,
            user=user,
            detail=(
                f"{line.article.article_no}: {count} "
                f"{'restocked' if restock else 'scrapped'}"
                + (
                    f" (lot {lot.strip()}, expiry {expiry or '-'}, as on the pack)"
                    if restock and (lot or "").strip()
                    else ""
                )
            ),  # fmt: skip
        )
        db.session.expire(line)
        if restock:
            fill_backorders(line.article_id, user)
        return line

    return commit_use_case(run)
