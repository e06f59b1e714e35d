"""Withdrawals (uttag) on prescriptions: take one, give one back, safely in a race.

`withdraw` runs under the row lock taken by `lock_prescriptions` (PostgreSQL)
and is itself a compare-and-set UPDATE that only matches the state the rules
were checked against, which is what refuses a race loser on SQLite (no row
locks; its writers are serialised). The loser is judged again on fresh data and
gets the domain refusal: used up or time locked.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from sesamlike.common.time import region_day_of, region_today
from sesamlike.extensions import db
from sesamlike.orders.models import (
    UNDELIVERED_LINE_STATUSES,
    LineStatus,
    Order,
    OrderLine,
)
from sesamlike.orders.rules import for_line
from sesamlike.patients.models import Patient
from sesamlike.prescriptions import errors as prescription_errors
from sesamlike.prescriptions.entitlement import withdrawal_refusal
from sesamlike.prescriptions.models import Prescription

_FIND_PRESCRIPTIONS = (
    sa.select(Prescription)
    .options(joinedload(Prescription.article, innerjoin=True))
    .where(Prescription.id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(Prescription.id)
    .execution_options(populate_existing=True)
)  # built once: each order fills in its ids
# The patient's row is locked and read again with them: protected identity
# set meanwhile waits for this order (and then reroutes it) or is seen by it
# (an order that waited for it reads the patient as protected), never
# neither (`administration.set_protection` holds the same row). PostgreSQL
# locks each row's tables in the order named: the patient's first, so a
# writer locking the patient's prescriptions one at a time in another order
# (giving withdrawals back line by line) is waited for, holding none of them.
# FOR NO KEY UPDATE: rows that only refer to the patient or a prescription
# (a renewal, an audit row) are written meanwhile without waiting for it.
_LOCK_PRESCRIPTIONS = (
    _FIND_PRESCRIPTIONS.join(Prescription.patient)
    .options(contains_eager(Prescription.patient))
    .with_for_update(of=(Patient, Prescription), key_share=True)
)


def lock_prescriptions(ids: list[int]) -> dict[int, Prescription]:
    """Load and row-lock the prescriptions in id order (no deadlocks between orders).

    Their articles come in the same statement (every line needs one), not one
    query per line; the prescriptions' rows and their patient's are locked,
    the patient loaded afresh (an order's lines are all one patient's).
    """
    rows = db.session.scalars(_LOCK_PRESCRIPTIONS, {"ids": ids}).all()
    return {p.id: p for p in rows}


_LOCK_PATIENT_OF_ORDER = (
    sa.select(Patient.id)
    .join(Order, Order.patient_id == Patient.id)
    .where(Order.id == sa.bindparam("order_id"))
    .with_for_update(of=Patient, key_share=True)
)


def lock_patient_of_order(order_id: int) -> None:
    """Lock the order's patient's row as `lock_prescriptions` does, before the
    order's own row: what locks the patient first and the patient's orders
    after it (the end of care cancelling them, protected identity rerouting
    them) must not meet a cancellation holding the order and waiting for the
    patient (`lock_prescriptions`, giving withdrawals back): a deadlock."""
    db.session.execute(_LOCK_PATIENT_OF_ORDER, {"order_id": order_id})


_LOCK_PATIENTS_OF_LINES = (
    sa.select(Patient.id)
    .join(OrderLine, OrderLine.patient_id == Patient.id)
    .where(OrderLine.id.in_(sa.bindparam("line_ids", expanding=True)))
    .order_by(Patient.id)
    .with_for_update(of=Patient, key_share=True)
)


def lock_patients_of_lines(line_ids: list[int]) -> None:
    """Lock the lines' patients' rows, in id order, before any of the lines:
    `lock_patient_of_order` for a writer that gives back the withdrawals of
    many patients' lines (a supplier's status file cancelling them)."""
    if line_ids:
        db.session.execute(_LOCK_PATIENTS_OF_LINES, {"line_ids": line_ids})


def find_prescriptions(ids: list[int]) -> dict[int, Prescription]:
    """The prescriptions with their articles, not locked: to judge, not withdraw."""
    rows = db.session.scalars(_FIND_PRESCRIPTIONS, {"ids": ids}).all()
    return {p.id: p for p in rows}


def withdraw_all(chosen: Sequence[tuple[Prescription, int]], today: date) -> None:
    """`withdraw` each (prescription, packs), line by line as checked. Each
    prescription once (an order's lines are, `services._parse_lines`): the
    UPDATE consumes one withdrawal of a row however often it is named.

    One UPDATE for them all, which consumes the withdrawals of those still as
    they were checked (all of them, but for a race) and says which; any other
    goes through `withdraw` (judged again on fresh data) in line order.
    """
    if not chosen:
        return
    seen = [_seen(p) for p, _packs in chosen]
    done = set(db.session.scalars(_WITHDRAW_AS_SEEN, {"seen": seen, "today": today}))
    for index, (prescription, packs) in enumerate(chosen):
        if prescription.id in done:
            _withdrawn(prescription, today)
        else:
            withdraw(prescription, packs, today, index)


# No withdrawal has been taken before: the row's last_withdrawal_on is NULL,
# which is compared as this day (before any real one).
_NEVER = date(1, 1, 1)
# The compare-and-set of `withdraw_all` and `withdraw`, built once: the rows as
# the rules were checked against, as (id, status, withdrawals used, last
# withdrawal or _NEVER), with one withdrawal to spare. On the table, not the
# mapped class: the loaded prescriptions are brought up to date by hand
# (`_withdrawn`), so the ORM's bulk-update path had nothing to do but cost a
# quarter of the statement's CPU.
_prescriptions = Prescription.__table__
_WITHDRAW_AS_SEEN = (
    sa.update(_prescriptions)
    .where(
        sa.tuple_(
            _prescriptions.c.id,
            _prescriptions.c.status,
            _prescriptions.c.withdrawals_used,
            sa.func.coalesce(_prescriptions.c.last_withdrawal_on, _NEVER),
        ).in_(sa.bindparam("seen", expanding=True)),
        _prescriptions.c.withdrawals_used < _prescriptions.c.withdrawals,
    )
    .values(
        withdrawals_used=_prescriptions.c.withdrawals_used + 1,
        last_withdrawal_on=sa.bindparam("today", type_=sa.Date),
    )
    .returning(_prescriptions.c.id)
)


def _seen(prescription: Prescription) -> tuple:
    """The prescription as `_WITHDRAW_AS_SEEN` compares it."""
    return (
        prescription.id,
        prescription.status,
        prescription.withdrawals_used,
        prescription.last_withdrawal_on or _NEVER,
    )


def _withdrawn(prescription: Prescription, today: date) -> None:
    """The row is as it was checked plus this withdrawal: no need to read it."""
    set_committed_value(
        prescription, "withdrawals_used", prescription.withdrawals_used + 1
    )
    set_committed_value(prescription, "last_withdrawal_on", today)


def withdraw(prescription: Prescription, packs: int, today: date, index: int) -> None:
    """Consume one withdrawal if the prescription is still as it was checked."""
    for _attempt in range(5):
        changed = db.session.scalars(
            _WITHDRAW_AS_SEEN, {"seen": [_seen(prescription)], "today": today}
        ).first()
        if changed is not None:
            _withdrawn(prescription, today)
            return
        db.session.refresh(prescription)
        # Another withdrawal or cancellation came first: judge again on fresh data.
        refusal = withdrawal_refusal(prescription, packs, today)
        if refusal is not None:
            raise for_line(refusal, index)
    raise prescription_errors.PrescriptionUsedUp(article=prescription.article.name)


def back_whole(line: OrderLine, packs_restocked: int | None = None) -> bool:
    """Every pack of a prescribed line came back unopened onto the shelf
    (`packs_restocked`: as the return will store it, else as stored): the
    patient never had the delivery, so its withdrawal is theirs again
    (`give_back`, whose latest withdrawal leaves such lines out). Packs
    scrapped were had."""
    restocked = line.packs_restocked if packs_restocked is None else packs_restocked
    return line.prescription_id is not None and restocked >= line.packs


def lock_with_takers(ids: list[int]) -> dict[int, Prescription]:
    """`lock_prescriptions`, and with them those that took them over (another
    clinic's take-over, `taken_over_by_id`) and their takers in turn: where a
    withdrawal given back may go (`give_back`). Read once the patient's row is
    held, which a take-over holds too, so no take-over comes between; one
    statement more only where a prescription was taken over. The takers are
    locked after the others, not among them in id order: every writer of the
    patient's prescriptions holds the patient's row first, so none holds one
    of them while it waits for another."""
    locked = lock_prescriptions(ids)
    takers = sorted({p.taken_over_by_id for p in locked.values()} - {None})
    while takers:
        found = lock_prescriptions(takers)
        locked.update(found)
        takers = sorted({p.taken_over_by_id for p in found.values()} - {None})
    return locked


def give_back(line: OrderLine, today: date | None = None) -> None:
    """Return a cancelled line's withdrawal to its prescription (or a line's
    whose packs all came back on the shelf, `fulfilment.returns`).

    `last_withdrawal_on` goes back to the date of the latest withdrawal still
    standing on the prescription (the day its order was placed), or None. That
    is the value it would have had without the cancelled withdrawal, so the time
    lock counts from the withdrawal the patient really has, as when it was set.
    A delivery date would be wrong: withdrawals set the date when ordered, and an
    earlier withdrawal still on its way has no delivery date yet. A prescription
    that took another over counts the time lock it carried on from that one's
    (`_standing_last`), not None.

    A prescription another clinic took over (`taken_over_by_id`) has ended;
    what was left of it went on to the taker. The withdrawal goes where it
    would be had there been no take-over: on to the last taker of the chain
    (taken over twice: the second) if that one is still in force today (not
    cancelled, not ended; a renewal of it written ahead changes nothing), as
    one more withdrawal it carries (`withdrawals`, not `withdrawals_used`:
    those are what was withdrawn on it). Every prescription between gets it
    too, so each taker still carries what its old one has left, and each
    one's time lock is counted again. The line's own prescription counts one
    withdrawal fewer used, as it truly has. If the last taker is no longer in
    force (ended, cancelled; a renewal of it in force is a new entitlement,
    not the old one's), the withdrawal stays on the ended prescription and
    lapses with it, as it would on the old prescription never taken over.
    """
    today = today or region_today()
    locked = lock_with_takers([line.prescription_id])
    chain = _taken_over_chain(locked[line.prescription_id], locked.get)
    own = chain[0]
    before = {p.id: p.last_withdrawal_on for p in chain}
    given = db.session.execute(
        sa.update(Prescription)
        .where(Prescription.id == own.id, Prescription.withdrawals_used > 0)
        .values(
            withdrawals_used=Prescription.withdrawals_used - 1,
            last_withdrawal_on=_standing_last(own, line.id, _carried(own)),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(own)
    if not given:
        return
    if holder(own, today, chain) is own:
        _renewals_follow(own, before[own.id])
        return
    for taken, taker in itertools.pairwise(chain):
        db.session.execute(
            sa.update(Prescription)
            .where(Prescription.id == taker.id)
            .values(
                withdrawals=Prescription.withdrawals + 1,
                last_withdrawal_on=_standing_last(
                    taker, line.id, taken.last_withdrawal_on
                ),
            )
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(taker)
    for prescription in chain:
        _renewals_follow(prescription, before[prescription.id])


def _renewals_follow(prescription: Prescription, was: date | None) -> None:
    """A renewal written ahead carried on the prescription's time lock
    (`renewals.renew` copies `last_withdrawal_on`); while nothing has been
    withdrawn on it, it follows the lock a give-back moved, else the patient
    waits months for a withdrawal they never had (the review). Its taker
    (which also names it in `renewed_from_id`) has its own count, above; a
    renewal of a renewal follows in turn."""
    now = prescription.last_withdrawal_on
    if was is None or now == was:
        return
    renewals = db.session.scalars(
        sa.select(Prescription).where(
            Prescription.renewed_from_id == prescription.id,
            Prescription.id != (prescription.taken_over_by_id or 0),
            Prescription.withdrawals_used == 0,
            Prescription.last_withdrawal_on == was,
        )
    ).all()
    for renewal in renewals:
        renewal.last_withdrawal_on = now
        db.session.flush()
        _renewals_follow(renewal, was)


def holder(
    prescription: Prescription,
    today: date,
    chain: list[Prescription] | None = None,
) -> Prescription:
    """The prescription a withdrawal given back to `prescription` today is on
    (`give_back`): the last one that took it over, if that one is in force;
    else `prescription` itself. `chain`: its take-over chain, if read."""
    chain = chain or _taken_over_chain(
        prescription, lambda id_: db.session.get(Prescription, id_)
    )
    last = chain[-1]
    return last if len(chain) > 1 and last.is_current_on(today) else prescription


def _taken_over_chain(prescription: Prescription, find) -> list[Prescription]:
    """The prescription, the one that took it over, that one's taker and so on."""
    chain = [prescription]
    while chain[-1].taken_over_by_id is not None:
        chain.append(find(chain[-1].taken_over_by_id))
    return chain


def _standing_last(
    prescription: Prescription, line_id: int, carried: date | None
) -> date | None:
    """The day of the latest withdrawal still standing on the prescription, but
    line `line_id`'s: the day its order was placed; no earlier than `carried`,
    the time lock a take-over carried on to it (`_carried`)."""
    latest = db.session.scalar(
        sa.select(sa.func.max(Order.placed_at))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            OrderLine.prescription_id == prescription.id,
            OrderLine.id != line_id,
            OrderLine.status != LineStatus.CANCELLED,
            # Nor one whose packs all came back on the shelf (given back too).
            sa.not_(
                sa.and_(
                    OrderLine.status == LineStatus.RETURNED,
                    OrderLine.packs_restocked >= OrderLine.packs,  # `back_whole`
                )
            ),
        )
    )
    own = region_day_of(latest) if latest else None
    return max((day for day in (own, carried) if day is not None), default=None)


def _carried(prescription: Prescription) -> date | None:
    """The latest withdrawal standing on the prescription this one took over,
    as stored (a taken-over one has ended: only a give-back moves it), from
    which its time lock runs on; None if it took none over."""
    if prescription.renewed_from_id is None:  # a taker continues its old one
        return None
    return db.session.scalar(
        sa.select(Prescription.last_withdrawal_on).where(
            Prescription.taken_over_by_id == prescription.id
        )
    )


def undelivered_orders(prescription_ids: list[int]) -> dict[int, dict[int, bool]]:
    """{prescription id: {order id: whether it can still be cancelled}} of its
    orders with a line not delivered yet: withdrawals made and on their way,
    which cancelling the prescription leaves be (the prescriptions page's
    warning; given to it at app start). One not shipped yet can be cancelled;
    a shipped one comes all the same."""
    rows = db.session.execute(
        sa.select(OrderLine.prescription_id, OrderLine.order_id, OrderLine.status)
        .where(
            OrderLine.prescription_id.in_(prescription_ids),
            OrderLine.status.in_(sorted(UNDELIVERED_LINE_STATUSES)),
        )
        .order_by(OrderLine.prescription_id, OrderLine.order_id)
    )
    found: dict[int, dict[int, bool]] = {}
    for prescription_id, order_id, status in rows:
        orders = found.setdefault(prescription_id, {})
        orders[order_id] = orders.get(order_id, False) or status != LineStatus.SHIPPED
    return found
