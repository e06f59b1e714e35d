"""Orders (uttag) against prescriptions: place, read and cancel.

Who may order is decided in one place, `_require_orderer`: prescribers, and
patients and guardians through the portal (which patients they reach is
`patients.access`'s business). Patients and guardians order consumables only:
`device_refusal` keeps pumps and CGM readers with the prescriber.

Concurrency. A withdrawal locks its prescription rows (SELECT ... FOR UPDATE,
which PostgreSQL honours and SQLite ignores) and then consumes the withdrawal
with a compare-and-set UPDATE that only matches the state it checked. SQLite
serialises writers, so there the compare-and-set is what refuses a race loser;
on PostgreSQL the lock makes the loser wait and re-read. Either way the loser
gets the domain refusal (used up, time locked), never an error page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from sesamlike.accounts import audit
from sesamlike.accounts.models import Clinic, Role, User
from sesamlike.catalog.models import Channel
from sesamlike.common.errors import DomainError, Forbidden, Invalid, NotVisible
from sesamlike.common.i18n import N_
from sesamlike.common.time import region_today, utcnow
from sesamlike.common.transaction_ends import rollback_keeping_reads
from sesamlike.extensions import commit_keeping_loaded, db
from sesamlike.orders import (
    backorders,
    delivery,
    depot_scope,
    errors,
    notices,
    withdrawals,
)
from sesamlike.orders import rules as order_rules
from sesamlike.orders import status as order_status
from sesamlike.orders.checks import (  # noqa: F401  (some: public here)
    ORDERING_ROLES,
    SELF_SERVICE_ROLES,
    check_order,
    device_refusal,
    each_refusal,
    line_refusal,
    order_lines,
    order_refusals,
    refused,
)
from sesamlike.orders.errors import DeviceNeedsPrescriber  # noqa: F401  (public here)
from sesamlike.orders.models import (
    OPEN_LINE_STATUSES,
    DeliveryMode,
    LineStatus,
    Order,
    OrderLine,
    line_reference,
)
from sesamlike.orders.rules import (
    DESTINATIONS,
    MODES,
    SUPPLIER_STATUS,
    allowed_delivery_modes,
    default_delivery_mode,
    ship_to_snapshot,
)
from sesamlike.patients import access, care_end
from sesamlike.patients.contact_checks import phone_refusal
from sesamlike.patients.models import CareRelationship, Patient
from sesamlike.prescriptions.models import Prescription, PrescriptionStatus
from sesamlike.stock import replenishment, reservations

# Roles that read an order: those who may order, and the aids centre that ships it.
ORDER_READERS = ORDERING_ROLES | {Role.DEPOT}
IDEMPOTENCY_KEY_MAX = 80


class PlacedOrder(NamedTuple):
    order_id: int
    created: bool  # False: the idempotency key named an order placed before

    @property
    def order(self) -> Order:
        """The order as committed (from the session, else read): a new one
        went in as a Core INSERT (`_insert_order`) and was never loaded."""
        return db.session.get(Order, self.order_id)


class Choice(NamedTuple):
    """A prescription on the new-order page, and why it cannot be ordered now."""

    prescription: Prescription
    refusal: DomainError | None


class OrderOptions(NamedTuple):
    patient: Patient
    choices: list[Choice]
    modes: list[str]
    default_mode: str | None
    show_address: bool
    # The clinics caring for the patient, newest first, when asked for
    # (`order_options(caring_clinics=True)`); else empty.
    clinics: Sequence[Clinic] = ()


# Use cases -------------------------------------------------------------------


def _require_orderer(user: User) -> None:
    """The one place that says which roles may place and cancel orders."""
    if user.role not in ORDERING_ROLES:
        raise Forbidden()


# Built once (each request fills in its values): the new-order page's
# prescriptions, and an order by its idempotency key.
_ORDERABLE = (
    sa.select(Prescription)
    .options(joinedload(Prescription.article, innerjoin=True))
    .where(
        Prescription.patient_id == sa.bindparam("patient_id"),
        Prescription.status != PrescriptionStatus.CANCELLED,
        Prescription.valid_to >= sa.bindparam("today"),
    )
    .order_by(Prescription.valid_from, Prescription.id)
)
# The same with the clinics caring for the patient beside each prescription
# (a row per prescription and clinic, newest care first): the portal's form
# names whom its "Kontakta mottagningen" means without a statement of its own.
_ORDERABLE_AND_CARE = (
    _ORDERABLE.add_columns(Clinic)
    .outerjoin(
        CareRelationship,
        sa.and_(
            CareRelationship.patient_id == Prescription.patient_id,
            CareRelationship.ended_on.is_(None),
        ),
    )
    .outerjoin(Clinic, Clinic.id == CareRelationship.clinic_id)
    .order_by(CareRelationship.started_on.desc(), CareRelationship.id.desc())
)
_ORDER_BY_KEY = sa.select(Order.id).where(
    Order.placed_by_id == sa.bindparam("user_id"),
    Order.idempotency_key == sa.bindparam("key"),
)


def order_options(
    user: User,
    patient_id: int,
    today: date | None = None,
    *,
    commit: bool = True,
    caring_clinics: bool = False,
):
    """What the new-order page offers: prescriptions, delivery modes, default.

    commit=False leaves the read's audit row to the caller's commit: a request
    that places the order goes on in the same transaction (one commit, the
    audit rows in one INSERT; `place_order` commits it also when it refuses).
    caring_clinics: the clinics caring for the patient too, read with the
    prescriptions (for a patient with none, none: nothing to refuse).
    """
    _require_orderer(user)
    today = today or region_today()
    patient = access.get_patient(user, patient_id, detail="new order")
    care_end.refuse_if_ended(user, patient, commit_read=True)
    params = {"patient_id": patient.id, "today": today}
    clinics: list[Clinic] = []
    if caring_clinics:
        rows = db.session.execute(_ORDERABLE_AND_CARE, params).all()
        prescriptions = list(dict.fromkeys(row[0] for row in rows))
        clinics = list(dict.fromkeys(row[1] for row in rows if row[1] is not None))
    else:
        prescriptions = db.session.scalars(_ORDERABLE, params).all()
    choices = [
        Choice(p, line_refusal(user, p, p.packs_per_withdrawal, today))
        for p in prescriptions
    ]
    orderable = [c.prescription.article for c in choices if c.refusal is None]
    channels = [a.channel for a in orderable]
    protected = patient.protected_identity
    # A mode that takes none of what can be ordered now (home for pharmacy
    # goods alone; a pharmacy pickup for sensors still time locked) is not
    # offered: choosing it refuses the rest (`rules.DESTINATIONS`).
    useful = set().union(*(DESTINATIONS[Channel(c)] for c in channels))
    offered = {
        mode
        for channel in {p.article.channel for p in prescriptions}
        for mode in allowed_delivery_modes([channel], protected)
        if not channels or mode in useful
    }
    modes = [mode for mode in MODES if mode in offered]
    default = default_delivery_mode(
        channels, protected, bool(delivery.first_devices(patient.id, orderable))
    ) or (modes[0] if modes else None)
    if commit:
        commit_keeping_loaded()  # the audit row; the page shows what was just read
    return OrderOptions(
        patient,
        choices,
        modes,
        default,
        access.can_see_contact(user, patient),
        clinics,
    )


def place_order(
    user: User,
    patient_id: int,
    lines: Sequence[tuple[int, int]],
    delivery_mode: str | None = None,
    idempotency_key: str | None = None,
    *,
    ship_to: Mapping[str, str] | None = None,
    contact_phone: str | None = None,
    today: date | None = None,
) -> PlacedOrder:
    """Withdraw against prescriptions; the same idempotency key gives the same order."""
    _require_orderer(user)
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > IDEMPOTENCY_KEY_MAX:
        raise Invalid(fields={"idempotency_key": [N_("Högst 80 tecken.")]})
    # A key seen before is found by its unique index when the order goes in
    # (the IntegrityError below), not looked up first: a resend is rare, a
    # lookup on every order is not.
    try:
        order_id = _place(
            user,
            patient_id,
            lines,
            delivery_mode,
            key,
            ship_to,
            contact_phone,
            today or region_today(),
        )
        db.session.commit()
    except (DomainError, IntegrityError) as error:
        # A refusal writes nothing, but the reads before it (order_options's,
        # not yet committed) stay logged, whatever comes next.
        rollback_keeping_reads()
        if isinstance(error, DomainError):
            access.log_refusal_read(user, patient_id, error, "refused order")
        db.session.commit()  # (no round trip when nothing waits)
        # A twin request with the same key may have won the race meanwhile.
        if key is not None and (earlier := _order_by_key(user, key)) is not None:
            return PlacedOrder(earlier.id, created=False)
        raise
    return PlacedOrder(order_id, created=True)


def get_order(user: User, order_id: int) -> Order:
    """An order whose record this user may read, or that the aids centre
    handles (`depot_scope`: a pharmacy's or a supplier's order, or its own
    delivered past the return days, answers NotVisible).

    Other roles: Forbidden; a patient out of reach: NotVisible. Audited.
    """
    if user.role not in ORDER_READERS:
        raise Forbidden()
    order = load_order(order_id)
    if user.role == Role.DEPOT:
        if not depot_scope.handles_any(order.lines):
            raise NotVisible()  # not its to handle (any more): need to know
        access.handled_by_depot(
            user, order.patient_id, action="read_order", detail=str(order_id)
        )
    else:
        access.get_patient(
            user, order.patient_id, action="read_order", detail=str(order_id)
        )
    db.session.commit()
    return order


def patient_orders(user: User, patient_id: int) -> tuple[Patient, list[Order]]:
    """A patient's orders, newest first."""
    patient = access.get_patient(user, patient_id, action="read_orders")
    orders = db.session.scalars(
        sa.select(Order)
        .options(selectinload(Order.lines).selectinload(OrderLine.article))
        .where(Order.patient_id == patient.id)
        .order_by(Order.placed_at.desc(), Order.id.desc())
    ).all()
    db.session.commit()
    return patient, list(orders)


# Withdrawing the e-recepts of cancelled pharmacy lines is the channels area's,
# which keeps them; given when the app starts (`connect_areas`).
_withdraw_e_recepts: Callable[[list[int], User], None] | None = None


def register_e_recept_withdrawal(withdraw: Callable[[list[int], User], None]) -> None:
    """`withdraw(line ids, user)` cancels the open e-recepts of those lines."""
    global _withdraw_e_recepts
    _withdraw_e_recepts = withdraw


def cancel_refusal(user: User, order: Order, handed=None) -> DomainError | None:
    """Why this user cannot cancel the order now, or None: what the order pages
    and the API say, and what `cancel_order` refuses. `handed`: the lines'
    hand-overs (`status.handovers`), if the caller has read them already."""
    return _lines_refusal(user, order.lines, handed)


def line_cancel_refusal(user: User, line: OrderLine, handed=None) -> DomainError | None:
    """Why this user cannot cancel this one line now, or None: as the whole
    order's (`cancel_refusal`), for the line alone. An order shipped in part
    keeps its open lines cancellable (a line backordered for weeks)."""
    return _lines_refusal(user, [line], handed)


def erecept_refusal(user: User, order: Order, handed=None) -> DomainError | None:
    """Why this user cannot cancel the order's e-recepts the pharmacy has (a
    patient or guardian: the clinic cancels them), or None: what the order's
    page says of them also once the rest has gone out and the order as a
    whole is past cancelling."""
    at_pharmacy = [
        line for line in order.lines if line.status == LineStatus.SENT_TO_PHARMACY
    ]
    return _lines_refusal(user, at_pharmacy, handed) if at_pharmacy else None


def _lines_refusal(
    user: User, lines: Sequence[OrderLine], handed
) -> DomainError | None:
    self_service = user.role in SELF_SERVICE_ROLES
    if handed is None and self_service and _at_pharmacy(lines):
        handed = order_status.handovers(lines)
    issued = {line_id for line_id, gone in (handed or {}).items() if gone.on}
    return order_rules.cancel_refusal(lines, self_service, issued)


def cancel_order(user: User, order_id: int) -> Order:
    """Cancel (makulera) before shipping: release stock, give withdrawals back;
    a prescriber's cancellation withdraws the e-recepts at the pharmacy too."""

    def cancel(order: Order) -> None:
        access.get_patient(
            user, order.patient_id, action="cancel_order", detail=str(order_id)
        )
        cancelled = _cancel_lines(
            user, order.lines, lambda: cancel_refusal(user, order)
        )
        order.cancelled_at = utcnow()
        audit.record(
            "cancel",
            "order",
            patient_id=order.patient_id,
            object_id=order.id,
            user=user,
        )
        _tell_cancelled(user, order, cancelled)

    return _cancelling(user, order_id, cancel)


def _cancelling(user: User, order_id: int, cancel: Callable[[Order], None]) -> Order:
    """Run `cancel` on the order, locked, and commit. A refusal writes
    nothing, but is logged as a read of what it tells (the order's state)."""
    _require_orderer(user)
    order = None
    try:
        # The patient first, then the order: the order in which the end of
        # care and protected identity take them.
        withdrawals.lock_patient_of_order(order_id)
        order = load_order(order_id, lock=True)
        cancel(order)
        db.session.commit()
    except DomainError as error:
        patient_id = None if order is None else order.patient_id
        rollback_keeping_reads()
        if patient_id is not None:  # the refusal tells the order's state
            access.log_refusal_read(user, patient_id, error, "refused cancellation")
        db.session.commit()
        raise
    return load_order(order_id)


def _cancel_lines(
    user: User,
    lines: Sequence[OrderLine],
    refusal: Callable[[], DomainError | None],
) -> list[OrderLine]:
    """Cancel the open ones of `lines` unless `refusal()` says why not: stock
    released (and given to whoever waits), withdrawals given back, their
    e-recepts at the pharmacy withdrawn. Returns those it cancelled."""
    at_pharmacy = _at_pharmacy(lines)
    if at_pharmacy:
        # Issuing an e-recept locks its line: one being issued now is
        # waited for, and seen below (or never issued, the line cancelled).
        _lock_lines(at_pharmacy)
    if (refused := refusal()) is not None:
        raise refused
    _lock_as_an_order_does(lines)
    freed = set()  # articles whose stock came free: filled once each
    cancelled = [line for line in lines if line.status in OPEN_LINE_STATUSES]
    for line in cancelled:
        if _cancel_line(user, line):
            freed.add(line.article_id)
    # Packs freed go to whoever waits for the article (first placed first),
    # as a receipt's do: not left on the shelf while a backorder waits.
    for article_id in sorted(freed):
        backorders.fill(article_id, user=user)
    # A cancelled backorder frees no packs, yet nothing waits for them now:
    # its article's purchase proposals are weighed again (`fill` does so too).
    waited = {line.article_id for line in cancelled if line.channel == Channel.CENTRAL}
    for article_id in sorted(waited - freed):
        replenishment.recheck(article_id, region_today())
    if at_pharmacy and _withdraw_e_recepts is not None:
        _withdraw_e_recepts(at_pharmacy, user)
    return cancelled


def _tell_cancelled(user: User, order: Order, cancelled: list[OrderLine]) -> None:
    """The patient or guardians are mailed what will not come, in the same
    transaction: the clinic's cancellation, and one made in the portal (the
    other guardian learns of it, the canceller has a receipt)."""
    by_clinic = user.role not in SELF_SERVICE_ROLES
    notices.order_cancelled(order, cancelled, by_clinic, region_today())


def cancellable_lines(user: User, order: Order, handed=None) -> list[OrderLine]:
    """The lines `user` may cancel one by one (`cancel_line`): of an order
    with more than one line left (one alone is the whole order's to cancel),
    the open lines their rules allow, also once another line has shipped."""
    if user.role not in ORDERING_ROLES:
        return []
    live = [line for line in order.lines if line.status != LineStatus.CANCELLED]
    if len(live) < 2:
        return []
    return [
        line
        for line in live
        if line.status in OPEN_LINE_STATUSES
        and line_cancel_refusal(user, line, handed) is None
    ]


def cancel_line(user: User, order_id: int, line_id: int) -> Order:
    """Cancel (makulera) one open line of an order, as `cancel_order` does
    every line: stock released (and given to whoever waits), the withdrawal
    given back, a prescriber's cancellation withdraws its e-recept. The last
    open line cancelled cancels the order."""

    def cancel(order: Order) -> None:
        access.get_patient(
            user, order.patient_id, action="cancel_order_line",
            detail=f"{order_id} line {line_id}",
        )  # fmt: skip
        line = next((one for one in order.lines if one.id == line_id), None)
        if line is None:
            raise NotVisible()
        cancelled = _cancel_lines(user, [line], lambda: line_cancel_refusal(user, line))
        audit.record(
            "cancel",
            "order_line",
            patient_id=order.patient_id,
            object_id=line.id,
            user=user,
            detail=f"order {order.id}",
        )
        if all(other.status == LineStatus.CANCELLED for other in order.lines):
            order.cancelled_at = utcnow()
        _tell_cancelled(user, order, cancelled)

    return _cancelling(user, order_id, cancel)


def open_order_ids(patient_id: int) -> list[int]:
    """The patient's orders with a line not shipped yet, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Order.id)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(
                Order.patient_id == patient_id,
                OrderLine.status.in_(OPEN_LINE_STATUSES),
            )
            .distinct()
            .order_by(Order.id)
        )
    )


def cancel_open_orders(user: User, patient_id: int, why: str) -> list[OrderLine]:
    """Cancel every line of the patient's not shipped yet, as the clinic's
    cancellation does (`_cancel_lines`: stock released and given to whoever
    waits, withdrawals given back, e-recepts withdrawn), in the caller's
    transaction, audited with `why`. No notice: the caller says what the
    family is told (`patients.care_end`). The lines cancelled."""
    cancelled: list[OrderLine] = []
    for order_id in open_order_ids(patient_id):
        order = load_order(order_id, lock=True)
        lines = _cancel_lines(user, order.lines, lambda: None)
        for line in lines:
            audit.record("cancel", "order_line", patient_id=patient_id,
                         object_id=line.id, user=user,
                         detail=f"order {order.id}: {why}")  # fmt: skip
        if all(line.status == LineStatus.CANCELLED for line in order.lines):
            order.cancelled_at = utcnow()
            audit.record("cancel", "order", patient_id=patient_id,
                         object_id=order.id, user=user, detail=why)  # fmt: skip
        cancelled += lines
    return cancelled


# Steps -----------------------------------------------------------------------


def _place(user, patient_id, lines, requested_mode, key, ship_to, phone, today):
    patient = access.get_patient(user, patient_id, action="order")
    ids = sorted({pid for pid, _packs in lines if isinstance(pid, int)})
    by_id = withdrawals.lock_prescriptions(ids) if ids else {}
    # Every refusal at once: the pages show each beside its line or the mode.
    chosen, refusals = order_lines(patient, lines, by_id)
    # The number typed with the order is judged as the forms judge it; one on
    # record is taken as it is (an older one must not block an order).
    if (fault := phone_refusal(phone)) is not None:
        refusals.append(Invalid(fields={"contact_phone": [fault]}))
    phone = phone or patient.phone
    mode, more = check_order(user, patient, chosen, requested_mode, today, phone=phone)
    if refusals or more:
        raise refused(refusals + more)
    # Only an order to the clinic ships to a clinic: the others ask for none.
    clinic = None
    if mode == DeliveryMode.CLINIC:
        clinic = delivery.delivery_clinic(user, patient) or delivery.parcel_clinic(
            patient, chosen[0][0].clinic
        )
    # The order and its lines go in as Core INSERTs, not through the unit of
    # work: nothing reads them back in this request (`PlacedOrder.order`
    # reads the committed order), and the ORM's two flushes cost a fifth of
    # a portal send's CPU. The order goes in now: a key sent before meets the
    # unique index here, before any withdrawal or stock lock (`place_order`
    # then finds that order).
    order = _insert_order(
        patient,
        patient_id=patient.id,
        placed_by_id=user.id,
        placed_by_role=user.role,
        placed_at=utcnow(),
        delivery_mode=mode,
        idempotency_key=key,
        **ship_to_snapshot(patient, mode, clinic, ship_to, phone, today),
    )
    withdrawals.withdraw_all(chosen, today)
    # The lines' rows, their audit row and the notice first, then the stock:
    # its locks (each central article's, and its lots with packs:
    # `plan_many`) are held from there to the commit, and every order of the
    # article waits for them. The lines go in once the central ones know
    # their status (reserved or backordered): one INSERT on PostgreSQL, a
    # row at a time on SQLite (to return the ids in the lines' order).
    rows = [
        {
            "order_id": order.id,
            "patient_id": patient.id,
            "prescription_id": prescription.id,
            "article_id": prescription.article_id,
            "packs": packs,
            "channel": prescription.article.channel,
            "status": SUPPLIER_STATUS.get(
                prescription.article.channel, LineStatus.BACKORDERED
            ),
            "pack_price_sek": prescription.article.pack_price_sek,
            "vat_rate": prescription.article.vat_rate,
        }
        for prescription, packs in chosen
    ]
    audit.record(
        "create",
        "order",
        patient_id=patient.id,
        object_id=order.id,
        user=user,
        detail=f"{len(chosen)} lines, {mode}",
    )
    notices.order_received(
        order, today, [(p.article, packs) for p, packs in chosen]
    )  # queued in this transaction
    # Central lines reserve stock in article order (`lock_articles`), so two
    # orders never lock articles or lots crosswise.
    central = sorted(
        (prescription.article_id, index)
        for index, (prescription, _packs) in enumerate(chosen)
        if prescription.article.channel == Channel.CENTRAL
    )
    planned = reservations.plan_many(
        [(article_id, chosen[index][1]) for article_id, index in central],
        user_id=user.id,
        today=today,
    )
    for (_article_id, index), status in zip(central, planned.statuses, strict=True):
        rows[index]["status"] = status
    line_ids = db.session.scalars(_INSERT_LINES, rows).all()
    planned.write([line_reference(line_ids[index]) for _article_id, index in central])
    return order.id


# Built once: an order's row and its lines' (several rows, ids in their order).
_INSERT_ORDER = sa.insert(Order.__table__).returning(Order.__table__.c.id)
_INSERT_LINES = sa.insert(OrderLine.__table__).returning(
    OrderLine.__table__.c.id, sort_by_parameter_order=True
)


def _insert_order(patient: Patient, **values) -> Order:
    """Insert an order's row; the order as given, with its id, outside the
    session (for the notice: a rollback has nothing of it to forget)."""
    return Order(id=db.session.scalar(_INSERT_ORDER, values), patient=patient, **values)


def _lock_as_an_order_does(lines: Sequence[OrderLine]) -> None:
    """Lock what cancelling the open ones of the lines gives back, all at once and
    in the order placing an order takes them: the prescriptions (withdrawals
    given back; those that took them over too, where such a withdrawal goes,
    `withdrawals.give_back`), then the articles (packs released or put back).
    Line by line, a cancellation held one article while it waited for the next
    line's prescription, which an order of that article held while it waited
    for the article: a deadlock."""
    open_lines = [line for line in lines if line.status in OPEN_LINE_STATUSES]
    prescribed = {line.prescription_id for line in open_lines} - {None}
    if prescribed:
        withdrawals.lock_with_takers(sorted(prescribed))
    reservations.lock_articles(
        line.article_id for line in open_lines if line.channel == Channel.CENTRAL
    )


def _cancel_line(user: User, line: OrderLine) -> bool:
    """Cancel one open line; whether it freed stock packs."""
    changed = db.session.execute(
        sa.update(OrderLine)
        .where(OrderLine.id == line.id, OrderLine.status == line.status)
        .values(status=LineStatus.CANCELLED, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:  # shipped or cancelled by someone else meanwhile
        now = db.session.scalar(
            sa.select(OrderLine.status).where(OrderLine.id == line.id)
        )
        raise order_rules.statuses_refusal([now]) or errors.NotCancellable()
    freed = line.channel == Channel.CENTRAL and bool(
        reservations.release(line.reference, user_id=user.id)
    )
    if line.prescription_id is not None:
        withdrawals.give_back(line)
    db.session.expire(line, ["status", "updated_at"])
    return freed


def _at_pharmacy(lines: Sequence[OrderLine]) -> list[int]:
    """Of the lines, those waiting at the pharmacy (with an e-recept, or soon)."""
    return [line.id for line in lines if line.status == LineStatus.SENT_TO_PHARMACY]


def _lock_lines(line_ids: list[int]) -> None:
    db.session.execute(
        sa.select(OrderLine.id)
        .where(OrderLine.id.in_(line_ids))
        .order_by(OrderLine.id)
        .with_for_update()
    )


def payer_clinics(lines: Sequence[OrderLine]) -> dict[int, int | None]:
    """The clinic that pays each line, by line id: its prescription's, else
    the one written on it (imported history, a warranty replacement). The
    prescriptions' clinics in one statement, not one a line."""
    ids = sorted({line.prescription_id for line in lines} - {None})
    query = sa.select(Prescription.id, Prescription.clinic_id)
    clinic_of = dict(
        db.session.execute(query.where(Prescription.id.in_(ids))).all() if ids else ()
    )
    return {
        line.id: line.cost_clinic_id
        if line.prescription_id is None
        else clinic_of[line.prescription_id]
        for line in lines
    }


def load_order(order_id: int, *, lock: bool = False) -> Order:
    """An order with its lines and articles, fresh from the database."""
    query = (
        sa.select(Order)
        .options(selectinload(Order.lines).selectinload(OrderLine.article))
        .where(Order.id == order_id)
        .execution_options(populate_existing=True)
    )
    if lock:
        query = query.with_for_update(of=Order)
    order = db.session.scalar(query)
    if order is None:
        raise NotVisible()
    return order


def _order_by_key(user: User, key: str) -> Order | None:
    order = db.session.scalar(_ORDER_BY_KEY, {"user_id": user.id, "key": key})
    return None if order is None else get_order(user, order)
