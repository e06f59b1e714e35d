"""Use cases of the patient portal: whom a login acts for, my aids, reorder.

Patients act for themselves, guardians for a child they choose. Every function
reaches the patient through `patients.access`, so a guardian never reaches a
child with protected identity and anyone else's data answers NotVisible (404).
Ordering itself is `orders.ordering`'s: the portal only prepares and explains.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from sesamlike.accounts import audit
from sesamlike.accounts.models import Clinic, Role, User
from sesamlike.catalog.models import DEVICE_CATEGORIES, Article, Channel
from sesamlike.common import data_versions
from sesamlike.common.collation import swedish
from sesamlike.common.errors import DomainError, Forbidden, NotVisible
from sesamlike.common.time import region_today, utcnow
from sesamlike.extensions import commit_keeping_loaded, db
from sesamlike.orders import notices, overview
from sesamlike.orders import services as ordering
from sesamlike.orders.models import (
    DeliveryMode,
    Order,
    OrderLine,
)
from sesamlike.orders.services import (  # noqa: F401 (the order rules' own
    cancel_refusal,  # answers, for the portal's pages as for every other)
    cancellable_lines,
    each_refusal,
    erecept_refusal,
)
from sesamlike.patients import access
from sesamlike.patients.addresses import same_text
from sesamlike.patients.models import (
    Address,
    CareEndReason,
    CareRelationship,
    Guardian,
    Patient,
    ReminderPreference,
)
from sesamlike.portal.errors import NoPhoneForSms, UnknownReminderChannel
from sesamlike.portal.runout import (
    PATIENTS_LAST_DELIVERIES,
    estimated_runout,
    last_deliveries_of,
    patients_order_awaited,
    prescription_runout,
    supplies_of,
)
from sesamlike.prescriptions import errors as prescription_errors
from sesamlike.prescriptions.models import Prescription, PrescriptionStatus
from sesamlike.stock.models import Device, DeviceStatus

PORTAL_ROLES = frozenset({Role.PATIENT, Role.GUARDIAN})
# Patients choose how their parcel reaches them; the clinic is for protected
# identity (and first devices, which the prescriber orders).
SELF_SERVICE_MODES = (DeliveryMode.HOME, DeliveryMode.PICKUP, DeliveryMode.PHARMACY)
RECENT_ORDERS = 10
DAY = timedelta(days=1)
# A prescription that ran out stays on "my aids" this long, saying so and whom
# to ask: it vanished the day after it ended (the portal walkthrough), while
# the patient still needed what it gave.
EXPIRED_SHOWN = timedelta(days=90)


@dataclass(frozen=True)
class Child:
    """A guardian's child; one with protected identity cannot be acted for online."""

    patient_id: int
    name: str
    protected: bool


@dataclass(frozen=True)
class AidRow:
    """A prescription as the patient sees it."""

    prescription: Prescription
    runout_on: date | None
    refusal: DomainError | None  # why it cannot be ordered today, or None
    # An order of it not delivered yet: its run-out is no alarm ("my aids" only).
    ordered: bool = False
    # Its renewal, written ahead and not started yet ("my aids" only): the
    # renewal has no row of its own until this one is used up or ends.
    renewal: Prescription | None = None


@dataclass
class ListedLine:
    """What an order list shows of a line; `order` for the status words."""

    status: str
    channel: str
    packs: int
    article_name: str
    delivered_on: date | None
    is_device: bool
    packs_returned: int
    order: ListedOrder


@dataclass
class ListedOrder:
    """An order in the portal's lists: read as plain rows, not as ORM objects
    (which cost several times the CPU to build, per line and per column)."""

    id: int
    placed_at: datetime
    delivery_mode: str
    tracking_ref: str | None
    collected_on: date | None
    lines: list[ListedLine] = field(default_factory=list)

    status = property(Order.status.fget)  # the order's own rule, on these lines


@dataclass(frozen=True)
class MyAids:
    patient: Patient
    aids: list[AidRow]
    devices: list[Device]
    orders: list[ListedOrder]
    more_orders: bool
    # Lent devices the patient has not got yet, by reference: "on_the_way"
    # or "at_clinic" (a warranty swap's new pump is lent when it is sent).
    not_yet: Mapping[str, overview.NotYet] = field(default_factory=dict)
    # The clinics caring for the patient: whom "Kontakta mottagningen" means.
    clinics: list[Clinic] = field(default_factory=list)


@dataclass(frozen=True)
class OpenedAids:
    """The patient whose "my aids" is being read, audited, and the versions of
    everything its body is built from (`portal.kept`)."""

    patient: Patient
    today: date
    version: tuple


@dataclass(frozen=True)
class ReorderOptions:
    patient: Patient
    choices: list[ordering.Choice]
    modes: list[str]
    default_mode: str | None
    # The clinics caring for the patient (`caring_clinics`): whom a refused
    # line's "Kontakta mottagningen" means.
    clinics: Sequence[Clinic] = ()


@dataclass(frozen=True)
class Preview:
    """What will be sent: checked lines and delivery, nothing written yet."""

    patient: Patient
    lines: list[tuple[Prescription, int]]
    mode: str

    @property
    def pharmacy_apart(self) -> bool:
        """Some line goes via the pharmacy, not as `mode` says (shipto's rule)."""
        return self.mode != DeliveryMode.PHARMACY and any(
            rx.article.channel == Channel.PHARMACY for rx, _packs in self.lines
        )


def require_portal_user(user: User) -> None:
    if user.role not in PORTAL_ROLES:
        raise Forbidden()


# Whom the login acts for -----------------------------------------------------


def own_patient_id(user: User) -> int | None:
    """A patient login's own patient record (loaded whole: the use case that
    follows reads it through `access.get_patient` without a second query)."""
    patient = access.own_patient(user)
    return None if patient is None else patient.id


def patient_of_prescription(prescription_id: int) -> int | None:
    """Whose prescription this is (an id only; access is checked when acting)."""
    return db.session.scalar(
        sa.select(Prescription.patient_id).where(Prescription.id == prescription_id)
    )


def patient_of_order(order_id: int) -> int | None:
    """Whose order this is (an id only; access is checked when acting)."""
    return db.session.scalar(sa.select(Order.patient_id).where(Order.id == order_id))


def may_act_for(user: User, patient_id: int) -> bool:
    """The access rules, asked again on every request (links and protection change)."""
    # The record itself, so the use case's access check that follows finds it.
    return access.visible_patient(user, patient_id) is not None


def may_act_for_child(user: User, patient_id: int) -> tuple[bool, bool]:
    """Whether the guardian may act for the child now (the access rules asked
    again, as `may_act_for`), and whether it is the only one they could
    switch to (as `only_child`: no "Byt barn"), in one statement: links
    added or ended show on the next page, at no query of their own."""
    another = sa.exists(_childrens(Patient.id).where(Patient.id != patient_id))
    patient, has_another = access.visible_patient_with(
        user, patient_id, another.correlate(None), {"user_id": user.id}
    )
    return patient is not None, patient is not None and not has_another


def _childrens(*columns) -> sa.Select:
    """A guardian's children (`user_id`), protected ones included."""
    return (
        sa.select(*columns)
        .join(Guardian, Guardian.patient_id == Patient.id)
        .where(
            Guardian.user_id == sa.bindparam("user_id"),
            # Guardianship ends at 18: grown-up children order for themselves.
            sa.or_(
                Patient.birth_date.is_(None),
                Patient.birth_date > access.adult_born_before(),
            ),
            access.not_deceased(),
        )
    )


def only_child(user: User) -> int | None:
    """The guardian's one child, when there is one and it may be acted for
    online (no protected identity); None otherwise. Reads ids and flags
    only, and writes no audit row: nothing of a child is shown (choosing
    it, `choose_child`, is audited)."""
    if user.role != Role.GUARDIAN:
        raise Forbidden()
    rows = db.session.execute(
        _childrens(Patient.id, Patient.protected_identity).limit(2),
        {"user_id": user.id},
    ).all()
    if len(rows) != 1 or rows[0].protected_identity:
        return None
    return rows[0].id


def children(user: User) -> list[Child]:
    """A guardian's children, protected ones included so the page can say why."""
    if user.role != Role.GUARDIAN:
        raise Forbidden()
    rows = db.session.execute(
        _childrens(
            Patient.id,
            Patient.first_name,
            Patient.last_name,
            Patient.protected_identity,
        ).order_by(swedish(Patient.first_name), Patient.id),
        {"user_id": user.id},
    ).all()
    for row in rows:
        audit.record("list_children", "patient", patient_id=row.id, user=user)
    db.session.commit()
    # A child with protected identity: the first name only, enough to say why.
    return [
        Child(row.id, row.first_name if row[3] else f"{row.first_name} {row.last_name}",
              row[3])
        for row in rows
    ]  # fmt: skip


@dataclass(frozen=True)
class EndedLinks:
    """How many of a guardian's links ended: by the child's 18th birthday, or
    by the child's death as a child."""

    grown_up: int = 0
    died: int = 0


def ended_links(user: User) -> EndedLinks:
    """What "Mina barn" says instead of sending the guardian to a clinic that
    cannot link them again: children who turned 18 manage their aids
    themselves; a child who died is no longer in the service. Counts only:
    nothing of those children is shown, so no read of them is audited.

    A child who died as a child is never told as grown up, however long ago;
    one who died as an adult is told as grown up, as before (the guardian had
    no link then, and is not told of the death)."""
    if user.role != Role.GUARDIAN:
        raise Forbidden()
    rows = db.session.execute(
        sa.select(Patient.birth_date, Patient.care_ended_reason,
                  Patient.care_ended_on)
        .join(Guardian, Guardian.patient_id == Patient.id)
        .where(
            Guardian.user_id == user.id,
            sa.or_(
                Patient.birth_date <= access.adult_born_before(),
                Patient.care_ended_reason == CareEndReason.DECEASED,
            ),
        )
    ).all()  # fmt: skip
    grown_up = died = 0
    for born, reason, ended_on in rows:
        if reason == CareEndReason.DECEASED and (
            born is None or born > access.adult_born_before(ended_on)
        ):
            died += 1
        else:
            grown_up += 1
    return EndedLinks(grown_up=grown_up, died=died)


def choose_child(user: User, patient_id: int) -> Patient:
    """Act for this child from now on; NotVisible for protected or unlinked ones."""
    if user.role != Role.GUARDIAN:
        raise Forbidden()
    patient = access.get_patient(user, patient_id, action="act_for")
    db.session.commit()
    return patient


# Reading ---------------------------------------------------------------------


def open_my_aids(user: User, patient_id: int, today: date | None = None) -> OpenedAids:
    """Check access to the patient's "my aids" and audit the read (one row, not
    yet committed), with the data versions its body is built from.

    The versions are read before anything under them, so a body built in this
    transaction is never older than its key.
    """
    require_portal_user(user)
    today = today or region_today()
    patient = access.get_patient(user, patient_id, action="read_my_aids")
    versions = data_versions.of_patient(patient.id)  # with the login, if own
    version = (patient.id, patient.created_at, *versions, today)
    return OpenedAids(patient, today, version)


def _one_row_per_article(rows: list) -> list:
    """One row for an article and its renewal, of the prescription the patient
    orders on next (the renewal's supplies follow the old deliveries):
    - the old prescription used up, or never to be ordered on again (its
      time lock opens after it ends): the renewal's row, not one that says to
      ask for a prescription already written;
    - a renewal written ahead, while the old one can still be ordered on before
      the renewal starts: the old row, naming the renewal (the renewal's own row
      told the patient to call the clinic about weeks the old one covers);
    - otherwise, the renewal's row, which says when it starts.
    `rows`: aid rows or a form's choices (a prescription and its refusal)."""
    listed = {row.prescription.id: row for row in rows}
    left_out, renewal_of = set(), {}
    for row in rows:
        old = listed.get(row.prescription.renewed_from_id)
        if old is None:
            continue
        waiting = isinstance(row.refusal, prescription_errors.NotStartedYet)
        if waiting and orderable_before(old, row.prescription.valid_from):
            left_out.add(row.prescription.id)
            renewal_of[old.prescription.id] = row.prescription
        elif waiting or not orderable_before(old, old.prescription.valid_to + DAY):
            # Used up, or its time lock opens after it ends: done with.
            left_out.add(old.prescription.id)
    # A prescription that ran out gives way to any other of the same article
    # (a new one written, not as its renewal).
    current = {row.prescription.article_id for row in rows
               if not isinstance(row.refusal, prescription_errors.PrescriptionExpired)
               and row.prescription.id not in left_out}  # fmt: skip
    left_out |= {row.prescription.id for row in rows
                 if isinstance(row.refusal, prescription_errors.PrescriptionExpired)
                 and row.prescription.article_id in current}  # fmt: skip
    return [
        replace(row, renewal=renewal_of[row.prescription.id])
        if isinstance(row, AidRow) and row.prescription.id in renewal_of
        else row
        for row in rows
        if row.prescription.id not in left_out
    ]


def orderable_before(row, day: date) -> bool:
    """The row's prescription can be ordered on now, or before `day` and
    within its validity (time-locked only). `row`: an aid row, a form's
    choice, or anything with a prescription and its refusal (the reminder
    job's, `jobs._taken_over`)."""
    refusal = row.refusal
    if refusal is None:
        return True
    opens_on = refusal.params.get("opens_on")
    return (
        type(refusal) is prescription_errors.TimeLocked
        and opens_on < day
        and opens_on <= row.prescription.valid_to
    )


def commit_reads() -> None:
    """Commit the audit rows of what this request read (kept loaded) before a
    page shows it: a kept "my aids" body, a form read without committing."""
    commit_keeping_loaded()


def my_aids(
    user: User,
    patient_id: int,
    today: date | None = None,
    *,
    opened: OpenedAids | None = None,
) -> MyAids:
    """Prescriptions with run-out, devices on loan and recent orders; one audit row
    (the one `open_my_aids` wrote when given, else its own).

    Everything is read in the transaction that writes the audit row, which is
    committed before the page is shown (so nothing is shown unlogged) without
    expiring the loaded rows (which would turn the page into a query per row).
    """
    opened = opened or open_my_aids(user, patient_id, today)
    patient, today = opened.patient, opened.today
    aids = [
        AidRow(
            p,
            prescription_runout(p, (last_on, int(packs)) if last_on else None),
            ordering.line_refusal(user, p, p.packs_per_withdrawal, today),
            bool(ordered),
        )
        for p, last_on, packs, ordered in db.session.execute(
            _AIDS, {"patient_id": patient.id, "shown_from": today - EXPIRED_SHOWN}
        )
    ]
    aids = _one_row_per_article(aids)
    devices = list(db.session.scalars(_DEVICES_ON_LOAN, {"patient_id": patient.id}))
    orders = _listed_orders(_RECENT_ORDERS, patient.id)
    not_yet = overview.not_with_the_patient_yet(devices, today)
    clinics = caring_clinics(patient.id)
    commit_keeping_loaded()
    return MyAids(
        patient,
        aids,
        devices,
        list(orders[:RECENT_ORDERS]),
        len(orders) > RECENT_ORDERS,
        not_yet,
        clinics,
    )


def caring_clinics(patient_id: int) -> list[Clinic]:
    """The clinics with an open care relationship with the patient, newest
    first: the ones the portal's "Kontakta mottagningen" means (the
    patient's, a guardian's child's). Only for a patient the use case has
    read already, access checked and audited: their own clinic is theirs to
    see (need to know)."""
    return list(db.session.scalars(_CARING_CLINICS, {"patient_id": patient_id}))


def all_orders(user: User, patient_id: int) -> tuple[Patient, list[ListedOrder]]:
    require_portal_user(user)
    access.get_patient(user, patient_id, action="read_orders")
    db.session.commit()  # audited first; nothing loaded below is expired again
    patient = db.session.get(Patient, patient_id)
    return patient, _listed_orders(_ORDERS, patient.id)


def order_for(user: User, patient_id: int, order_id: int) -> Order:
    """One of the acting patient's orders; any other order answers NotVisible."""
    require_portal_user(user)
    order = ordering.get_order(user, order_id)
    if order.patient_id != patient_id:
        raise NotVisible()
    return order


def prescription_for(
    user: User, patient_id: int, prescription_id: int, today: date | None = None
) -> AidRow:
    """One of the acting patient's prescriptions; any other answers NotVisible."""
    require_portal_user(user)
    today = today or region_today()
    patient = access.get_patient(
        user, patient_id, action="read_prescription", detail=str(prescription_id)
    )
    prescription = db.session.scalar(
        sa.select(Prescription)
        .options(selectinload(Prescription.article))
        .where(
            Prescription.id == prescription_id, Prescription.patient_id == patient.id
        )
    )
    if prescription is None:
        db.session.rollback()
        raise NotVisible()
    delivery = last_deliveries_of(patient.id, [prescription.id]).get(prescription.id)
    db.session.commit()
    return AidRow(
        prescription,
        prescription_runout(prescription, delivery),
        ordering.line_refusal(
            user, prescription, prescription.packs_per_withdrawal, today
        ),
    )


# Reordering ------------------------------------------------------------------


def reorder_options(
    user: User, patient_id: int, today: date | None = None, *, commit: bool = True
) -> ReorderOptions:
    """The acting patient's prescriptions and the delivery modes they may choose
    (commit=False: the audit row waits for `send_reorder`'s commit, or
    `commit_reads`), and the clinics caring for the patient, read with the
    prescriptions (no statement of their own)."""
    require_portal_user(user)
    options = ordering.order_options(
        user, patient_id, today, commit=commit, caring_clinics=True
    )
    patient = options.patient
    modes = [
        mode
        for mode in options.modes
        if patient.protected_identity or mode in SELF_SERVICE_MODES
    ]
    default = options.default_mode if options.default_mode in modes else None
    choices = _one_row_per_article(options.choices)
    return ReorderOptions(
        patient,
        choices,
        modes,
        default or (modes[0] if modes else None),
        options.clinics,
    )


@dataclass(frozen=True)
class Supply:
    """How an orderable line's supplies stand, for the reorder form."""

    runout_on: date | None  # by the last delivery; None: nothing to go by
    delivered: bool  # ever (on it or on one it renews)
    awaited: bool  # an order not delivered yet: more is on its way


def reorder_supplies(options: ReorderOptions) -> dict[int, Supply]:
    """Each orderable line's supplies, by its last delivery (with those of the
    prescriptions it renews): one query, for the form filled in or shown again."""
    orderable = [c.prescription for c in options.choices if c.refusal is None]
    if not orderable:
        return {}
    deliveries, awaited = supplies_of(options.patient.id, (rx.id for rx in orderable))
    return {
        rx.id: Supply(
            prescription_runout(rx, deliveries.get(rx.id)),
            rx.id in deliveries,
            rx.id in awaited,
        )
        for rx in orderable
    }


@dataclass(frozen=True)
class SupplyGap:
    """A line of a reorder that runs out before the next order may be placed:
    the patient would be without (sensors, infusion sets) for days."""

    prescription: Prescription
    packs: int
    runs_out_on: date  # the first day without, with this order
    next_order_on: date  # the first day the time lock allows the next order

    # The most the prescription allows would last until the next order.
    more_would_do: bool = False


def supply_gaps(
    lines: Sequence[tuple[Prescription, int]],
    supplies: Callable[[], Mapping[int, Supply]],
    today: date | None = None,
) -> list[SupplyGap]:
    """The lines of a checked reorder (`Preview.lines`) whose packs, added to
    what is left of the last delivery (`supplies()`, `reorder_supplies`), run
    out before the time lock lets the next order in. Not for devices,
    articles without an expected use, or the last withdrawal of a
    prescription. What is left is looked up only when the order alone would
    not last (most orders do: the summary step reads nothing more)."""
    today = today or region_today()
    short = []
    for rx, packs in lines:
        article = rx.article
        if article.is_device or not article.units_per_day:
            continue
        if rx.remaining_withdrawals <= 1:
            continue  # no next order on it: renewing is the clinic's matter
        next_order_on = today + timedelta(days=rx.lock_days)
        if next_order_on > rx.valid_to:
            continue  # no next order on it either: renewing is the clinic's matter
        if _runs_out(rx, packs, today) < next_order_on:
            short.append((rx, packs, next_order_on))
    if not short:
        return []
    left = supplies()
    gaps = []
    for rx, packs, next_order_on in short:
        supply = left.get(rx.id)
        start = today
        if supply is not None and supply.runout_on is not None:
            start = max(today, supply.runout_on)
        runs_out_on = _runs_out(rx, packs, start)
        if runs_out_on < next_order_on:
            most = rx.packs_per_withdrawal
            enough = packs < most and _runs_out(rx, most, start) >= next_order_on
            gaps.append(SupplyGap(rx, packs, runs_out_on, next_order_on, enough))
    return gaps


def _runs_out(rx: Prescription, packs: int, start: date) -> date:
    article = rx.article
    return estimated_runout(start, packs, article.pack_size, article.units_per_day)


def due_for_reorder(
    options: ReorderOptions, supplies: Mapping[int, Supply], due_by: date
) -> set[int]:
    """The lines a new reorder form ticks: what runs out by `due_by`, or was
    never delivered (an article of known use); never one with an order still
    on its way (more is coming: "my aids" raises no alarm for it either)."""
    due = set()
    for choice in options.choices:
        rx = choice.prescription
        supply = supplies.get(rx.id)
        if supply is None or supply.awaited:
            continue
        if supply.runout_on is not None:
            if supply.runout_on <= due_by:
                due.add(rx.id)
        elif not supply.delivered and rx.article.units_per_day:
            due.add(rx.id)
    return due


def check_reorder(
    user: User,
    options: ReorderOptions,
    lines: Sequence[tuple[int, int]],
    mode: str | None,
    today: date | None = None,
) -> Preview:
    """The summary step: the same refusals place_order gives, nothing written."""
    today = today or region_today()
    by_id = {choice.prescription.id: choice for choice in options.choices}
    if any(prescription_id not in by_id for prescription_id, _packs in lines):
        raise NotVisible()
    chosen = [(by_id[prescription_id].prescription, packs)
              for prescription_id, packs in lines]  # fmt: skip
    checked = ordering.check_order(user, options.patient, chosen, mode, today)
    if checked.refusals:
        raise ordering.refused(checked.refusals)
    return Preview(options.patient, chosen, checked.mode)


def reorder_refusals(
    user: User,
    options: ReorderOptions,
    lines: Sequence[tuple[int, int | None]],
    mode: str | None,
    today: date | None = None,
) -> list[DomainError]:
    """Every refusal of the reorder form's lines and delivery mode at once
    (`ordering.check_order`'s, each naming its line or the mode): lines not
    among the options, or without a number of packs, are left to the other
    checks; `mode` None (none chosen) is refused only when none would do."""
    return ordering.order_refusals(user, options, lines, mode, today)


def send_reorder(
    user: User,
    patient_id: int,
    lines: Sequence[tuple[int, int]],
    mode: str,
    idempotency_key: str,
    contact: Mapping[str, str | None],
    *,
    update_contact: bool = False,
) -> ordering.PlacedOrder:
    """Place the order with the confirmed address; perhaps keep it as the new one."""
    require_portal_user(user)
    placed = ordering.place_order(
        user,
        patient_id,
        lines,
        mode,
        idempotency_key,
        ship_to=_ship_to(contact),
        contact_phone=contact.get("phone") or None,
    )
    if placed.created and update_contact:
        save_contact(user, patient_id, contact)
    return placed


def _ship_to(contact: Mapping[str, str | None]) -> dict[str, str]:
    ship_to = {k: contact.get(k) or "" for k in ("street", "postal_code", "city")}
    # ship_to_snapshot keeps the stored door code when given an empty one, and
    # strips what it is given: a confirmed "no door code" travels as a blank.
    ship_to["door_code"] = contact.get("door_code") or " "
    return ship_to


def save_contact(user: User, patient_id: int, contact: Mapping[str, str | None]):
    """The patient's own phone and home address, as confirmed on an order.

    A contact without a door code (an order to a pickup point confirms none)
    keeps the stored one for the same address, and drops it for a new one:
    it was the old door's."""
    require_portal_user(user)
    patient = access.get_patient(
        user, patient_id, action="update", detail="kontaktuppgifter (portalen)"
    )
    if patient.protected_identity:  # the address is not handled online
        db.session.rollback()
        raise Forbidden()
    if contact.get("phone"):
        patient.phone = contact["phone"]
    if contact.get("street"):
        address = patient.home_address()
        if address is None:
            address = Address(kind="home")
            patient.addresses.append(address)
        postal_code = contact.get("postal_code") or address.postal_code
        if "door_code" in contact:
            address.door_code = contact["door_code"] or None
        elif not _same_place(address, contact["street"], postal_code):
            address.door_code = None
        address.street = contact["street"]
        address.postal_code = postal_code
        address.city = contact.get("city") or address.city
    db.session.commit()
    return patient


def _same_place(address: Address, street: str, postal_code: str | None) -> bool:
    """Whether a street and postal code name the stored address (spaces and
    case aside)."""
    return same_text(address.street, street) and same_text(
        address.postal_code, postal_code
    )


def cancel(user: User, patient_id: int, order_id: int) -> Order:
    """Cancel one of the acting patient's orders before it ships."""
    order_for(user, patient_id, order_id)
    return ordering.cancel_order(user, order_id)


def cancel_line(user: User, patient_id: int, order_id: int, line_id: int) -> Order:
    """Cancel one line of one of the acting patient's orders before it ships."""
    order_for(user, patient_id, order_id)
    return ordering.cancel_line(user, order_id, line_id)


# Queries ---------------------------------------------------------------------


# The statements of "my aids" are built once (each request then only fills in
# its values): built anew they cost more CPU than the queries themselves.
_CURRENT_PRESCRIPTIONS = sa.select(Prescription).where(
    Prescription.patient_id == sa.bindparam("patient_id"),
    Prescription.status.in_((PrescriptionStatus.ACTIVE, PrescriptionStatus.USED_UP)),
    Prescription.valid_to >= sa.bindparam("shown_from"),  # today - EXPIRED_SHOWN
)
# What "my aids" shows of an article, and what its rules read: every column
# costs (PostgreSQL's driver describes each one on every query).
_AID_ARTICLE = (
    Article.name,
    Article.article_no,
    Article.category,
    Article.channel,
    Article.pack_size,
    Article.units_per_day,
)
_AIDS = (
    _CURRENT_PRESCRIPTIONS.options(
        joinedload(Prescription.article).load_only(*_AID_ARTICLE)
    )
    .outerjoin(
        PATIENTS_LAST_DELIVERIES,
        PATIENTS_LAST_DELIVERIES.c.prescription_id == Prescription.id,
    )
    .add_columns(
        PATIENTS_LAST_DELIVERIES.c.delivered_on,
        sa.func.coalesce(PATIENTS_LAST_DELIVERIES.c.packs, 0),
        patients_order_awaited(Prescription.id),
    )
    .order_by(Prescription.valid_from, Prescription.id)
)
_CARING_CLINICS = (
    sa.select(Clinic)
    .join(CareRelationship, CareRelationship.clinic_id == Clinic.id)
    .where(
        CareRelationship.patient_id == sa.bindparam("patient_id"),
        CareRelationship.ended_on.is_(None),
    )
    .order_by(CareRelationship.started_on.desc(), CareRelationship.id.desc())
)
_DEVICES_ON_LOAN = (
    sa.select(Device)
    .options(joinedload(Device.article).load_only(Article.name))
    .where(
        Device.patient_id == sa.bindparam("patient_id"),
        Device.status == DeviceStatus.ON_LOAN,
    )
    .order_by(Device.lent_on, Device.id)
)


def _order_list(limit: int | None):
    """An order list's statement: newest first (at most `limit` orders), each
    order's lines and their articles' names in the same statement."""
    orders = (
        sa.select(
            Order.id,
            Order.placed_at,
            Order.delivery_mode,
            Order.tracking_ref,
            Order.collected_on,
        )
        .where(Order.patient_id == sa.bindparam("patient_id"))
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(limit)
        .subquery()
    )
    return (
        sa.select(
            orders,
            OrderLine.status,
            OrderLine.channel,
            OrderLine.packs,
            Article.name,
            OrderLine.delivered_on,
            Article.category.in_(DEVICE_CATEGORIES),
            OrderLine.packs_returned,
        )
        .select_from(
            orders.outerjoin(OrderLine, OrderLine.order_id == orders.c.id).outerjoin(
                Article, Article.id == OrderLine.article_id
            )
        )
        .order_by(orders.c.placed_at.desc(), orders.c.id.desc(), OrderLine.id)
    )


_ORDERS = _order_list(None)
_RECENT_ORDERS = _order_list(RECENT_ORDERS + 1)


def _listed_orders(statement, patient_id: int) -> list[ListedOrder]:
    listed: list[ListedOrder] = []
    for row in db.session.execute(statement, {"patient_id": patient_id}):
        if not listed or listed[-1].id != row[0]:
            listed.append(ListedOrder(*row[:5]))
        if row[5] is not None:  # an order without lines has none to show
            order = listed[-1]
            order.lines.append(ListedLine(*row[5:], order=order))
    return listed


# Reminder preferences -------------------------------------------------------


def reminder_preference(user: User, patient_id: int) -> ReminderPreference:
    """The patient's reminder preference (the defaults when none is stored)."""
    require_portal_user(user)
    patient = access.get_patient(user, patient_id, action="read_reminders")
    found = db.session.get(ReminderPreference, patient.id)
    db.session.commit()
    return found or ReminderPreference(
        patient_id=patient.id, channel="email", opted_out=False
    )


def set_reminder_preference(
    user: User, patient_id: int, channel: str, opted_out: bool
) -> ReminderPreference:
    """Store how reminders reach the patient; an opt-out stops every reminder."""
    require_portal_user(user)
    patient = access.get_patient(user, patient_id, action="update_reminders")
    if channel not in ("email", "sms"):
        raise UnknownReminderChannel(
            fields={"channel": [UnknownReminderChannel.message]}
        )
    if (
        channel == "sms"
        and not opted_out
        and not notices.patient_recipients(patient, region_today(), "sms")
    ):
        raise NoPhoneForSms(fields={"channel": [NoPhoneForSms.message]})
    found = db.session.get(ReminderPreference, patient.id)
    if found is None:
        found = ReminderPreference(patient_id=patient.id)
        db.session.add(found)
    found.channel = channel
    found.opted_out = opted_out
    found.updated_at = utcnow()
    found.updated_by_id = user.id
    audit.record(
        "update_reminders",
        "reminder_preference",
        patient_id=patient.id,
        object_id=patient.id,
        detail="opted out" if opted_out else f"by {channel}",
    )
    db.session.commit()
    return found
