"""Serial-numbered devices (individer): lend, return to quarantine, recondition, scrap.

A device in stock counts as one pack in its lot. Lending it is a pick (the
caller books it, see `picking.pick`); a return puts the device in its depot's
quarantine lot (never picked) until a clerk reconditions it (back to its own
lot) or scraps it; one returned faulty is never reconditioned (it goes to the
supplier or is scrapped). Every step is a ledger movement, so on hand stays the sum of
the ledger. The device keeps the opaque reference it was lent under. Nothing
commits here.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.catalog.models import Article
from sesamlike.common.errors import DomainError, Invalid
from sesamlike.common.i18n import N_
from sesamlike.extensions import db
from sesamlike.stock import errors, ledger, reservations
from sesamlike.stock.ledger import AdjustmentReason
from sesamlike.stock.models import (
    Depot,
    Device,
    DeviceStatus,
    MovementKind,
    StockLot,
)

_CHUNK = 500  # values per IN list (SQLite's limit on parameters)


class ReturnReason:
    REPLACED = "replaced"
    FAULTY = "faulty"
    THERAPY_ENDED = "therapy_ended"


RETURN_REASONS = (
    ReturnReason.REPLACED,
    ReturnReason.FAULTY,
    ReturnReason.THERAPY_ENDED,
)


def warranty_end(start: date, years: int | None) -> date | None:
    """The last day of a warranty of `years` from `start`: the day before the
    anniversary (29 Feb's is 28 Feb), so 4 years from 9 May 2026 end on 8 May
    2030. The one rule for every device: delivered from stock or by a supplier,
    swapped, or from the delivered history. None: the article has no years."""
    if not years:
        return None
    year = start.year + years
    day = min(start.day, calendar.monthrange(year, start.month)[1])
    return start.replace(year=year, day=day) - timedelta(days=1)


def take_serials(
    article: Article, depot_id: int, serials: Sequence[str]
) -> list[Device]:
    """The in-stock devices with these serials in the depot, locked; else refuse."""
    devices = []
    for serial_no in serials:
        device = db.session.scalar(
            sa.select(Device)
            .where(
                Device.article_id == article.id,
                Device.serial_no == serial_no,
                Device.depot_id == depot_id,
                Device.status == DeviceStatus.IN_STOCK,
            )
            .with_for_update()
        )
        if device is None:
            raise errors.SerialNotInStock(serial_no=serial_no, article=article.name)
        devices.append(device)
    return devices


def serials_in_stock(article_id: int, depot_ids: Sequence[int]) -> list[str]:
    """Serials of the article on the shelf in these depots, for the packer to pick."""
    if not depot_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Device.serial_no)
            .where(
                Device.article_id == article_id,
                Device.depot_id.in_(depot_ids),
                Device.status == DeviceStatus.IN_STOCK,
            )
            .order_by(Device.serial_no)
            .limit(200)
        )
    )


def lend(
    devices: Sequence[Device],
    patient_id: int,
    start: date,
    reference: str,
    first_line_id: int | None = None,
) -> int | None:
    """Register picked devices to the patient from start, with warranty end.

    A device lent for the first time starts its amortisation on
    `first_line_id` (the line it is lent under, or the first line of that
    line's warranty chain) and its warranty from `start`. One lent before
    (back, reconditioned, on the shelf again) keeps both: the region paid for
    it once and the supplier's warranty runs from its first delivery. Returns
    the line such a device's amortisation runs on (None: every device is new).
    """
    continued = None
    for device in devices:
        device.status = DeviceStatus.ON_LOAN
        device.patient_id = patient_id
        device.reference = reference
        device.lent_on = start
        if device.amortised_line_id is None:
            device.amortised_line_id = first_line_id
            device.warranty_end = None
        else:
            continued = device.amortised_line_id
        if device.warranty_end is None:
            device.warranty_end = warranty_end(start, device.article.amortisation_years)
        device.returned_on = device.return_reason = None
    return continued


def register_loan(
    article: Article,
    serial_no: str,
    patient_id: int,
    start: date,
    reference: str,
    first_line_id: int | None = None,
) -> Device:
    """A device that never passed our depots (a supplier delivered it to the
    patient) enters the register as lent from `start`, as a central delivery
    lends one: serial, patient, lent_on, warranty end, reference, the line its
    amortisation runs on. The caller checks `serial_refusal` first."""
    device = Device(article_id=article.id, serial_no=serial_no, article=article)
    lend([device], patient_id, start, reference, first_line_id)
    db.session.add(device)
    db.session.flush()
    return device


def registered(
    serials: Iterable[str] = (), references: Iterable[str] = ()
) -> list[Device]:
    """Devices with these serial numbers (any article) or under these references."""
    serials, references = sorted(set(serials)), sorted(set(references))
    found: dict[int, Device] = {}
    for column, values in ((Device.serial_no, serials), (Device.reference, references)):
        for start in range(0, len(values), _CHUNK):
            chunk = values[start : start + _CHUNK]
            query = sa.select(Device).options(selectinload(Device.article))
            for device in db.session.scalars(query.where(column.in_(chunk))):
                found[device.id] = device
    return [found[key] for key in sorted(found)]


def serial_refusal(
    article_id: int, serial_no: str, known: Iterable[Device]
) -> DomainError | None:
    """Why `serial_no` cannot enter the register as the article's lent device:
    it is on loan already (of any article: the API finds a lent device by its
    serial alone), or the register has it for this article (in stock, in
    quarantine, scrapped). `known`: the devices `registered` found."""
    for device in known:
        if device.serial_no != serial_no:
            continue
        if device.status == DeviceStatus.ON_LOAN:
            return errors.SerialOnLoan(serial_no=serial_no, article=device.article.name)
        if device.article_id == article_id:
            return errors.DuplicateSerial(
                serial_no=serial_no, article=device.article.name
            )
    return None


def start_loan(reference: str, start: date, line_id: int) -> list[Device]:
    """The loan starts on delivery: move lent_on to that day, and the warranty
    end of a device first lent on this line (`line_id`, lent under
    `reference`; one lent before keeps its first delivery's, `lend`)."""
    devices = lent_under(reference)
    for device in devices:
        device.lent_on = start
        if device.amortised_line_id in (None, line_id):
            years = device.article.amortisation_years
            device.warranty_end = warranty_end(start, years)
    return devices


def keep_warranty(reference: str, replaced_reference: str) -> None:
    """The devices lent under `reference` (a warranty replacement) keep the
    warranty end of the device last lent under `replaced_reference`."""
    end = db.session.scalar(
        sa.select(Device.warranty_end)
        .where(Device.reference == replaced_reference)
        .order_by(Device.id.desc())
        .limit(1)
    )
    if end is None:
        return
    for device in lent_under(reference):
        device.warranty_end = end


def lent_under(reference: str) -> list[Device]:
    return list(
        db.session.scalars(
            sa.select(Device)
            .options(selectinload(Device.article))
            .where(Device.reference == reference, Device.status == DeviceStatus.ON_LOAN)
            .order_by(Device.id)
        )
    )


def on_loan(serial_no: str) -> Device:
    """The device on loan with this serial number (any article)."""
    device = db.session.scalar(
        _with_serial(serial_no, DeviceStatus.ON_LOAN).with_for_update()
    )
    if device is None:
        raise errors.DeviceNotFound(serial_no=serial_no)
    return device


def on_loan_with_id(device_id: int) -> Device | None:
    """The device with this id if it is on loan (a list's link to its return)."""
    return db.session.scalar(
        sa.select(Device).where(
            Device.id == device_id, Device.status == DeviceStatus.ON_LOAN
        )
    )


def quarantined_with_serial(serial_no: str) -> Device | None:
    """The device in quarantine with this serial number (any article), if any:
    a device returned once already, brought back again."""
    return db.session.scalar(_with_serial(serial_no, DeviceStatus.QUARANTINE))


def _with_serial(serial_no: str, status: str) -> sa.Select:
    """The first device in this status with this serial number (any article)."""
    return (
        sa.select(Device)
        .options(selectinload(Device.article))
        .where(Device.serial_no == (serial_no or "").strip(), Device.status == status)
        .order_by(Device.id)
        .limit(1)
    )


def return_to_quarantine(
    device: Device,
    reason: str,
    returned_on: date,
    *,
    depot_id: int | None = None,
    user_id: int | None = None,
) -> Device:
    """Take a lent device back into quarantine (its own depot, else the one given)."""
    if reason not in RETURN_REASONS:
        raise Invalid(fields={"reason": [N_("Välj en orsak.")]})
    if device.lent_on and returned_on < device.lent_on:
        raise Invalid(fields={"returned_on": [N_("Före utlåningsdagen.")]})
    # Devices imported from an older system were never in one of our depots.
    device.depot_id = device.depot_id or depot_id or _first_depot()
    lot = ledger.quarantine_lot(device.depot_id, device.article_id)
    ledger.book(
        MovementKind.RETURN,
        lot,
        1,
        reference=device.reference,
        reason_code=reason,
        user_id=user_id,
    )
    device.status = DeviceStatus.QUARANTINE
    device.returned_on = returned_on
    device.return_reason = reason
    return device


def recondition(device_id: int, *, user_id: int | None = None) -> Device:
    """A quarantined device, checked and cleaned, goes back to stock in its lot.
    Never one returned faulty: it goes to the supplier or is scrapped."""
    device = _quarantined(device_id)
    if device.return_reason == ReturnReason.FAULTY:
        raise errors.FaultyDeviceNotRestocked(serial_no=device.serial_no)
    reservations.lock_article(device.article_id)  # it may fill backorders
    back = db.session.get(StockLot, device.lot_id) if device.lot_id else None
    if back is None or back.quarantined:
        back = ledger.get_or_create_lot(device.depot_id, device.article_id, "")
    _leave_quarantine(device, MovementKind.ADJUSTMENT, user_id)
    ledger.book(
        MovementKind.ADJUSTMENT,
        back,
        1,
        reference=f"device:{device.id}",
        reason_code=AdjustmentReason.RECONDITIONED,
        user_id=user_id,
    )
    device.status = DeviceStatus.IN_STOCK
    device.lot_id = back.id
    # It keeps its warranty end and the line its amortisation runs on: lent
    # again, it continues both (`lend`).
    device.patient_id = device.reference = None
    device.lent_on = None
    return device


def scrap(device_id: int, *, user_id: int | None = None) -> Device:
    """A quarantined device that cannot be reconditioned is scrapped (kasseras)."""
    device = _quarantined(device_id)
    _leave_quarantine(device, MovementKind.SCRAP, user_id)
    device.status = DeviceStatus.SCRAPPED
    return device


def in_quarantine() -> list[Device]:
    """Devices in quarantine with their article and the depot holding them."""
    return list(
        db.session.scalars(
            sa.select(Device)
            .options(selectinload(Device.article), selectinload(Device.depot))
            .where(Device.status == DeviceStatus.QUARANTINE)
            .order_by(Device.returned_on, Device.id)
        )
    )


def _first_depot() -> int:
    depot_id = db.session.scalar(sa.select(Depot.id).order_by(Depot.id).limit(1))
    if depot_id is None:
        raise Invalid(fields={"depot_code": [N_("Inget lager finns.")]})
    return depot_id


def _quarantined(device_id: int) -> Device:
    device = db.session.scalar(
        sa.select(Device).where(Device.id == device_id).with_for_update()
    )
    if device is None:
        raise errors.DeviceNotFound(serial_no=str(device_id))
    if device.status != DeviceStatus.QUARANTINE:
        raise errors.DeviceNotInQuarantine(serial_no=device.serial_no)
    return device


def _leave_quarantine(device: Device, kind: str, user_id: int | None) -> None:
    lot = ledger.quarantine_lot(device.depot_id, device.article_id)
    ledger.book(
        kind,
        lot,
        -1,
        reference=f"device:{device.id}",
        reason_code=AdjustmentReason.RECONDITIONED
        if kind == MovementKind.ADJUSTMENT
        else "scrapped",
        user_id=user_id,
    )
