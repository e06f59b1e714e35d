"""What the aids centre looks up in its daily work, searched and paged.

- Returns: delivered stocked consumables still inside the return window, with
  the packs left to come back, found by order number, patient name or a serial
  number of the same order.
- Devices on loan: serial, article and the patient's name (what the depot needs
  to take a device back; no personnummer, no address), found by serial or name.
- Devices delivered without a serial number (a supplier delivered them to the
  patient and never reported it): their delivered lines, found by the patient's
  name or the order number, so the clerk holding one can book it back under
  the serial read off it.
Nothing is listed unsearched: a page loaded without a search text reads and
audits no patient. A patient with protected identity is shown without a name
and never found by it.

The depot sees patients only through what it handles: each patient shown on a
page is audited. Search terms come by POST (never in a URL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.accounts.models import User
from sesamlike.catalog.models import Article, Channel
from sesamlike.common.paging import page_count
from sesamlike.common.text import name_words
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.fulfilment.shipping import require_depot
from sesamlike.orders.models import LINE_REFERENCE, LineStatus, Order, OrderLine
from sesamlike.patients import access
from sesamlike.patients.models import Patient
from sesamlike.stock.models import Device, DeviceStatus

PER_PAGE = 20
TEXT_MAX = 60
# A part of a serial number is looked for from this many characters, each
# word of a name from this many ("Ek" is a surname); an order number is
# taken whole. A clerk's "1" found every device with a 1 in its serial: 20
# patients listed, none of them the parcel's, each logged as read by the
# aids centre in that patient's own access log.
SERIAL_PART_MIN = 4
NAME_WORD_MIN = 2


@dataclass
class Page:
    rows: list
    page: int
    pages: int
    total: int
    text: str
    # A returns search that found nothing inside the window: its lines
    # delivered too long ago to come back (`returnable`).
    late: list = field(default_factory=list)


def nothing_searched() -> Page:
    """A register is read only for a search: no patient is listed unasked."""
    return Page(rows=[], page=1, pages=1, total=0, text="")


def clean(text: str | None) -> str:
    return " ".join((text or "").split())[:TEXT_MAX]


def named(text: str) -> sa.ColumnElement[bool]:
    """Patients by name, each typed word anywhere in it, in any order ("Ek,
    Maria" as the lists show names, or "Maria Ek"), each of at least
    NAME_WORD_MIN letters; never one with protected identity (shown without a
    name)."""
    words = name_words(text)
    if not words or min(len(word) for word in words) < NAME_WORD_MIN:
        return sa.false()
    return sa.and_(
        Patient.protected_identity.is_(False),
        *(Patient.search_name.contains(word, autoescape=True) for word in words),
    )


def order_or_named(text: str) -> sa.ColumnElement[bool]:
    """An order number (names have no digits), else patients by name."""
    if text.isdecimal():
        return Order.id == int(text) if len(text) < 10 else sa.false()
    return named(text)


def returnable(
    user: User,
    text: str = "",
    page: int = 1,
    *,
    days: int,
    today: date | None = None,
    order_id: int | None = None,
) -> Page:
    """Consumable lines with packs left to return, newest delivery first:
    found by the text, or those of one order (`order_id`: the order a return
    was just registered on, by its number alone, never a search that could
    find another patient's). A search that finds none inside the window says
    which of its lines came too long ago (`Page.late`, `_past_window`)."""
    require_depot(user)
    today = today or region_today()
    since = date.fromordinal(today.toordinal() - days)
    if order_id is not None:
        text, query = str(order_id), _returnable().where(Order.id == order_id)
        return _page(user, query.where(OrderLine.delivered_on >= since), text, page,
                     action="read_returns")  # fmt: skip
    text = clean(text)
    if not text:
        return nothing_searched()
    query, few = _returns_found(text)
    found = _page(user, query.where(OrderLine.delivered_on >= since), text, page,
                  action="read_returns")  # fmt: skip
    if not found.total and few:
        found.late = _past_window(user, query.where(OrderLine.delivered_on < since))
    return found


# Lines past the return window said at most, when the search finds none inside it.
PAST_WINDOW_MAX = 5


def _past_window(user: User, query: sa.Select) -> list[sa.Row]:
    """The search's lines delivered too long ago to come back, with their
    patients (newest first, at most PAST_WINDOW_MAX): the clerk is told why
    nothing matched, with the delivery day and whose parcel it was (a
    surname several patients have). Each patient is audited like a hit.
    Not looked for when the search names more than `MATCHED_MAX` orders or
    patients: it would read every line of the region, and is too broad to
    tell one patient's parcel by."""
    rows = db.session.execute(query.limit(PAST_WINDOW_MAX)).all()
    for patient_id in dict.fromkeys(patient.id for _line, patient in rows):
        access.handled_by_depot(user, patient_id, action="read_returns")
    db.session.commit()
    return rows


def _returnable() -> sa.Select:
    """Delivered stocked consumable lines with packs left, newest first."""
    return (
        _lines_with_patients()
        .where(
            OrderLine.channel == Channel.CENTRAL,
            Article.serial_tracked.is_(False),  # devices come back on their page
            OrderLine.status == LineStatus.DELIVERED,
            OrderLine.packs_returned < OrderLine.packs,
        )
        .options(selectinload(OrderLine.article))
        .order_by(OrderLine.delivered_on.desc(), OrderLine.id)
    )


# A search naming more orders or patients than this is matched by one query
# over every returnable line of the window, and not looked back past it.
MATCHED_MAX = 200


def _returns_found(text: str) -> tuple[sa.Select, bool]:
    """`_returnable` lines found by the text (order number, patient name, or
    a serial of the order), and whether the search named few enough orders
    and patients (`MATCHED_MAX`) to be looked up by them.

    Those it names are found first, each way from its own index, and then
    their lines: at 500,000 patients one OR over every returnable line
    joined to its patient and order took 1.6-1.8 s a statement (a page and
    its count), and the look back past the window, which finds no line in
    it, read every line of the region: 43 s. A name more than MATCHED_MAX
    patients have (a surname alone) finds their lines as a semi-join: the
    newest lines of the window are read first and a page stops when full
    (a name 15,522 of 500,000 patients have: 0.04 s for a page, not 0.68,
    and 0.14 s for its count, not 0.65)."""
    limit = MATCHED_MAX + 1
    orders = list(db.session.scalars(_serial_orders(text).limit(limit)))
    patients = list(db.session.scalars(_serial_patients(text).limit(limit)))
    if len(orders) > MATCHED_MAX or len(patients) > MATCHED_MAX:
        return _returnable().where(
            sa.or_(
                Order.id.in_(_serial_orders(text)),
                Patient.id.in_(_serial_patients(text)),
                order_or_named(text),
            )
        ), False
    if text.isdecimal():
        if len(text) < 10:
            orders.append(int(text))
    else:
        named_ids = _named_ids(text)
        if len(named_ids) > MATCHED_MAX:
            many = _named_patients(text)
            if patients:
                many = sa.union(many, _serial_patients(text))
            where = OrderLine.patient_id.in_(many)
            if orders:
                where = sa.or_(OrderLine.order_id.in_(orders), where)
            return _returnable().where(where), False
        patients += named_ids
    # Few: at most MATCHED_MAX orders and patients in all, each way's with
    # the order number's and the names' (the look back past the window).
    few = len(orders) <= MATCHED_MAX and len(patients) <= MATCHED_MAX
    return _returnable().where(
        sa.or_(OrderLine.order_id.in_(orders), OrderLine.patient_id.in_(patients))
    ), few


def _named_patients(text: str) -> sa.Select:
    """The ids of the patients by name (`named`)."""
    return sa.select(Patient.id).where(named(text))


def _named_ids(text: str) -> list[int]:
    """Patients by name (`named`), at most MATCHED_MAX + 1 of them."""
    return list(db.session.scalars(_named_patients(text).limit(MATCHED_MAX + 1)))


def serial_part(column: sa.ColumnElement[str], text: str) -> sa.ColumnElement[bool]:
    """A serial with the text in it, typed in any case, from SERIAL_PART_MIN
    characters (fewer: none)."""
    if len(text) < SERIAL_PART_MIN:
        return sa.false()
    return column.icontains(text, autoescape=True)


def _serial_orders(text: str) -> sa.Select:
    """The orders a serial with the text in it was shipped in: from the lines
    with a serial alone (ix_order_lines_serial_no, which holds the order)."""
    return (
        sa.select(OrderLine.order_id)
        .where(OrderLine.serial_no.isnot(None), serial_part(OrderLine.serial_no, text))
        .distinct()
    )


def _serial_patients(text: str) -> sa.Select:
    """The patients who have a device with the text in its serial, typed in
    any case (a part read off the pump, as the devices page finds it; by the
    serials' trigrams on PostgreSQL, migration 0046)."""
    return (
        sa.select(Device.patient_id)
        .where(serial_part(Device.serial_no, text), Device.patient_id.isnot(None))
        .distinct()
    )


def on_loan(user: User, text: str = "", page: int = 1) -> Page:
    """Devices on loan with the patients who have them, by serial or name."""
    require_depot(user)
    text = clean(text)
    if not text:
        return nothing_searched()
    query = (
        sa.select(Device, Patient)
        .join(Patient, Patient.id == Device.patient_id)
        .where(Device.status == DeviceStatus.ON_LOAN)
    )
    # The devices and patients the text names first, then theirs (as the
    # returns search, `_returns_found`): one OR over every device on loan
    # joined to its patient took 0.43 s, and its count 0.24 s, at 500,000
    # patients. More than MATCHED_MAX devices: that OR; more patients (a
    # surname alone), their devices by a semi-join (its count and page
    # 0.14 s for a name 15,522 patients have, not 0.26).
    serial = serial_part(Device.serial_no, text)
    devices = list(
        db.session.scalars(
            sa.select(Device.id)
            .where(Device.status == DeviceStatus.ON_LOAN, serial)
            .limit(MATCHED_MAX + 1)
        )
    )
    patients = _named_ids(text)
    if len(devices) > MATCHED_MAX:
        query = query.where(sa.or_(serial, named(text)))
    elif len(patients) > MATCHED_MAX:  # a surname alone: theirs by a semi-join
        many = Device.patient_id.in_(_named_patients(text))
        query = query.where(sa.or_(Device.id.in_(devices), many) if devices else many)
    else:
        query = query.where(
            sa.or_(Device.id.in_(devices), Device.patient_id.in_(patients))
        )
    query = query.options(selectinload(Device.article)).order_by(
        Device.serial_no, Device.id
    )
    return _page(user, query, text, page, action="read_devices_on_loan")


def _lines_with_patients() -> sa.Select:
    """Order lines with their patients, their articles joined for the filters."""
    return (
        sa.select(OrderLine, Patient)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Patient, Patient.id == Order.patient_id)
        .join(Article, Article.id == OrderLine.article_id)
    )


def unregistered(user: User, text: str = "", page: int = 1) -> Page:
    """Delivered device lines with no device in the register, by patient name
    or order number; newest delivery first."""
    require_depot(user)
    text = clean(text)
    if not text:
        return nothing_searched()
    reference = sa.literal(LINE_REFERENCE) + sa.cast(OrderLine.id, sa.String)
    query = (
        _lines_with_patients()
        .where(
            Article.serial_tracked.is_(True),
            OrderLine.status == LineStatus.DELIVERED,
            order_or_named(text),
            ~sa.exists().where(Device.reference == reference),
        )
        .options(selectinload(OrderLine.article))
        .order_by(OrderLine.delivered_on.desc(), OrderLine.id)
    )
    return _page(user, query, text, page, action="read_unregistered_devices")


def _page(user: User, query: sa.Select, text: str, page: int, *, action: str) -> Page:
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    pages = page_count(total, PER_PAGE)
    page = min(max(page, 1), pages)
    rows = db.session.execute(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    for patient_id in dict.fromkeys(patient.id for _, patient in rows):
        access.handled_by_depot(user, patient_id, action=action)
    db.session.commit()
    return Page(
        rows=[tuple(row) for row in rows],
        page=page,
        pages=pages,
        total=total,
        text=text,
    )
