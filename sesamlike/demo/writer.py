"""Write planned patients with bulk core inserts: demo region and scale generator.

Patients, addresses, care relationships and guardians, then prescriptions, then
the delivered history through `orders.history.record_delivered_history`, then
what history rows do not carry: a warranty swap's price of nothing (history
links it to the replaced device, whose period and warranty it continues) and
packs partly returned to stock. A prescription written while the patient was at
an earlier clinic is that clinic's, on its cost centre. Nothing here commits;
the caller decides the transaction.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.accounts.models import Clinic, User
from sesamlike.catalog import assortment
from sesamlike.catalog.models import Article
from sesamlike.common.bulk import (
    Prepared,
    insert_rows,
    prepare,
    reserve_ids,
    row_values,
    write_prepared,
)
from sesamlike.common.time import utcnow
from sesamlike.demo.people import Home
from sesamlike.demo.plan import ArticleInfo, PatientPlan
from sesamlike.extensions import db
from sesamlike.orders.history import (
    DEFAULT_WARRANTY_YEARS,
    MIGRATION_ROLE,
    Delivered,
    HistoryCounts,
    article_facts,
    delivery_mode_for,
    insert_with_ids,
    record_delivered_history,
)
from sesamlike.orders.models import Order, OrderLine
from sesamlike.patients import pseudonym as pseudonyms
from sesamlike.patients.models import Address, CareRelationship, Guardian, Patient
from sesamlike.prescriptions.models import Prescription
from sesamlike.stock import devices
from sesamlike.stock.models import Device

SQLITE_CACHE_KB = 256 * 1024


@dataclass
class PatientSpec:
    personal_id: str
    id_kind: str
    first_name: str
    last_name: str
    birth_date: date | None
    diabetes_type: str
    home: Home
    clinic_code: str
    care_since: date
    phone: str | None = None
    email: str | None = None
    protected_identity: bool = False
    lma_number: str | None = None
    lma_valid_to: date | None = None
    earlier_clinic: tuple[str, date, date] | None = None  # code, started, ended
    temporary: tuple[Home, date, date] | None = None  # address, from, to
    guardians: list[tuple[str, str | None]] = field(default_factory=list)


def load_articles() -> dict[str, ArticleInfo]:
    """The catalogue as the planner needs it, first choice as prescribing ranks it."""
    first_choice = assortment.first_choice_ids(
        list(db.session.scalars(
            sa.select(Article).options(selectinload(Article.systems))))
    )  # fmt: skip
    rows = db.session.execute(
        sa.select(
            Article.id,
            Article.article_no,
            Article.category,
            Article.pack_size,
            Article.units_per_day,
            Article.procured,
            Article.first_choice_rank,
            Article.channel,
            Article.valid_from,
        )
    )
    return {
        row.article_no: ArticleInfo(
            row.id,
            row.article_no,
            row.category,
            row.pack_size,
            float(row.units_per_day) if row.units_per_day is not None else None,
            row.procured,
            row.first_choice_rank,
            row.channel,
            row.valid_from,
            row.id in first_choice,
        )
        for row in rows
    }


class RegionWriter:
    """Holds what every chunk needs: articles, clinics and their prescribers.

    Rows go in through `common.bulk.insert_rows` (COPY on PostgreSQL, one
    driver executemany a table on SQLite); with `bulk` False through plain core
    inserts, which write the same rows (tests compare the two).
    """

    bulk = True

    def __init__(self, articles: dict[str, ArticleInfo]):
        self.articles = articles
        connection = db.session.connection()
        if connection.dialect.name == "sqlite":
            # Index pages of the growing tables stay in memory between chunks
            # (SQLite's default page cache is 2 MB), for this connection only.
            connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KB}")
        self.dialect = connection.dialect
        self.facts = article_facts()
        self.clinics = {
            c.code: c for c in db.session.execute(sa.select(Clinic.id, Clinic.code,
                                                            Clinic.cost_centre))
        }  # fmt: skip
        self.prescribers: dict[int, tuple[list[int], list[int]]] = {}
        query = (
            sa.select(User.id, User.first_time_prescriber, Clinic.id.label("clinic"))
            .join(User.clinics)
            .where(User.role == "prescriber", User.active)
            .order_by(User.id)
        )
        for row in db.session.execute(query):
            first, others = self.prescribers.setdefault(row.clinic, ([], []))
            (first if row.first_time_prescriber else others).append(row.id)
        # For the bulk writer: who may prescribe a device, who anything else,
        # by clinic; and each article's delivery mode.
        self._pools = {}
        for clinic in self.clinics.values():
            first, others = self.prescribers.get(clinic.id, ([], []))
            self._pools[clinic.id] = (first, first + others)
        self._modes = {
            no: str(delivery_mode_for(self.facts[a.id], a.channel))
            for no, a in articles.items()
        }
        self._at = _at

    def write(
        self,
        rng: random.Random,
        specs: Sequence[PatientSpec],
        plans: Sequence[PatientPlan],
    ) -> tuple[list[int], HistoryCounts]:
        """Insert the patients and their plans; return the new patient ids."""
        if self.bulk:
            connection = db.session.connection()
            return self.store(self.rows(rng, specs, plans, _Reserving(connection)))
        patient_ids = insert_with_ids(Patient, [_patient_row(s) for s in specs])
        pseudonyms.store(db.session.connection(), patient_ids)  # core: no listener
        addresses, cares, guardians = self._people(patient_ids, specs)
        for model, rows in (
            (Address, addresses),
            (CareRelationship, cares),
            (Guardian, guardians),
        ):
            self._insert(model, rows)
        items = self._prescriptions_and_history(rng, patient_ids, specs, plans)
        counts = record_delivered_history(items, self.facts)
        _free_swaps(plans)
        _partial_returns(plans)
        return patient_ids, counts

    def rows(
        self,
        rng: random.Random,
        specs: Sequence[PatientSpec],
        plans: Sequence[PatientPlan],
        ids,
        *,
        text: bool = False,
    ) -> Made:
        """What `write` inserts in bulk, ready to insert (`store`), with ids
        from `ids` (a `common.bulk.IdBlock`, or reserved as needed). Touches
        the database only through `ids`: with an IdBlock, another process
        can make the rows (`text`: in COPY's text format, to hand over)."""
        now = datetime.now(UTC)
        patients = [_patient_row(s, now) for s in specs]
        patient_ids = ids.take(Patient.__table__, len(patients))
        for id_, row in zip(patient_ids, patients, strict=True):
            row["id"] = id_
        addresses, cares, guardians = self._people(patient_ids, specs)
        made = Made(patient_ids, sum(len(plan.prescriptions) for plan in plans))
        for model, rows in (
            (Patient, patients),
            (Address, addresses),
            (CareRelationship, cares),
            (Guardian, guardians),
        ):
            if rows:
                keys, values = row_values(model.__table__, rows)
                made.tables.append(self._prepare(model, keys, values, text))
        made.history = self._bulk_history(rng, patient_ids, specs, plans, ids,
                                          made.tables, text)  # fmt: skip
        return made

    def store(self, made: Made) -> tuple[list[int], HistoryCounts]:
        """Insert what `rows` made."""
        connection = db.session.connection()
        for prepared in made.tables:
            write_prepared(connection, _TABLES[prepared.table], prepared)
        pseudonyms.store(connection, made.patient_ids)  # core: no listener
        return made.patient_ids, made.history

    def _prepare(self, model, keys, rows, text: bool) -> Prepared:
        return prepare(self.dialect, model.__table__, keys, rows, text=text)

    def _people(self, patient_ids, specs) -> tuple[list, list, list]:
        """Address, care relationship and guardian rows of the patients."""
        addresses, cares, guardians = [], [], []
        for pid, spec in zip(patient_ids, specs, strict=True):
            addresses.append(_address_row(pid, spec.home, "home"))
            if spec.temporary:
                home, start, end = spec.temporary
                row = _address_row(pid, home, "temporary")
                addresses.append(row | {"valid_from": start, "valid_to": end})
            cares.append(
                dict(
                    patient_id=pid,
                    clinic_id=self.clinics[spec.clinic_code].id,
                    started_on=spec.care_since,
                    ended_on=None,
                )
            )
            if spec.earlier_clinic:
                code, started, ended = spec.earlier_clinic
                cares.append(
                    dict(
                        patient_id=pid,
                        clinic_id=self.clinics[code].id,
                        started_on=started,
                        ended_on=ended,
                    )
                )
            guardians += [
                dict(patient_id=pid, name=name, phone=phone, email=None, user_id=None)
                for name, phone in spec.guardians
            ]  # fmt: skip
        return addresses, cares, guardians

    def _insert(self, model, rows: list[dict]) -> None:
        if rows and self.bulk:
            insert_rows(db.session.connection(), model.__table__, rows)
        elif rows:
            db.session.connection().execute(sa.insert(model.__table__), rows)

    def _prescriptions_and_history(self, rng, patient_ids, specs, plans):
        rows, owners = [], []
        for pid, spec, plan in zip(patient_ids, specs, plans, strict=True):
            for rx in plan.prescriptions:
                clinic = self.clinics[_prescribing_clinic(spec, rx.valid_from)]
                first, others = self.prescribers.get(clinic.id, ([], []))
                pool = first if rx.device else (first + others)
                rows.append(
                    _rx_row(
                        pid,
                        rx,
                        clinic,
                        self.articles,
                        rng.choice(pool) if pool else None,
                    )
                )
                owners.append(plan)  # fmt: skip
        # Ids up front: a renewal names the prescription it renews in its row.
        connection = db.session.connection()
        rx_ids = reserve_ids(connection, Prescription.__table__, len(rows))
        for id_, row in zip(rx_ids, rows, strict=True):
            row["id"] = id_
        items, cursor = [], 0
        for pid, plan in zip(patient_ids, plans, strict=True):
            ids = rx_ids[cursor : cursor + len(plan.prescriptions)]
            for i, rx in enumerate(plan.prescriptions):
                if rx.renews is not None:
                    rows[cursor + i]["renewed_from_id"] = ids[rx.renews]
            cursor += len(plan.prescriptions)
            for d in plan.deliveries:
                article = self.articles[d.article_no]
                # A partial return is written after (`_partial_returns`).
                whole = d.packs_restocked == 0 or d.packs_restocked == d.packs
                swapped = None if d.replaces is None else plan.deliveries[d.replaces]
                items.append(Delivered(
                    pid, article.id, d.packs, article.channel, d.delivered_on,
                    d.serial_no, d.returned_on if whole else None, d.return_reason,
                    ids[d.rx] if d.rx is not None else None, d.ordered_on,
                    replaces_serial_no=swapped.serial_no if swapped else None,
                ))  # fmt: skip
                if d.rx is not None:
                    d.prescription_id = ids[d.rx]
        self._insert(Prescription, rows)
        return items

    def _bulk_history(self, rng, patient_ids, specs, plans, ids, tables,
                      text: bool) -> HistoryCounts:  # fmt: skip
        """Prescriptions, orders, lines and devices as rows of values, written
        with `common.bulk.copy_rows`: the rows `record_delivered_history` and
        the updates after it (`_free_swaps`, `_partial_returns`) make, in one
        pass with no dict a row and no update (tests compare the two)."""
        taken = _BulkIds(self, ids, plans)
        rx_ids, order_ids, line_ids = taken.rx_ids, taken.order_ids, taken.line_ids
        rx_rows, order_rows, line_rows, swap_rows, device_rows = [], [], [], [], []
        at, modes, pools = self._at, self._modes, self._pools
        now = utcnow()
        rx_next = order_next = line_next = 0
        for pid, spec, plan in zip(patient_ids, specs, plans, strict=True):
            ids = rx_ids[rx_next : rx_next + len(plan.prescriptions)]
            rx_next += len(plan.prescriptions)
            for id_, rx in zip(ids, plan.prescriptions, strict=True):
                clinic = self.clinics[_prescribing_clinic(spec, rx.valid_from)]
                first, everyone = pools[clinic.id]
                pool = first if rx.device else everyone
                prescriber = rng.choice(pool) if pool else None
                code, text = rx.reason or (None, None)
                cancelled = rx.cancelled_on
                rx_rows.append((
                    id_, pid, self.articles[rx.article_no].id, prescriber, clinic.id,
                    clinic.cost_centre, rx.packs_per_withdrawal, rx.withdrawals,
                    rx.withdrawals_used, 90, 60, rx.valid_from, rx.valid_to,
                    rx.last_withdrawal_on, rx.status, code, text,
                    None if rx.renews is None else ids[rx.renews], at(rx.valid_from),
                    None if cancelled is None else at(cancelled),
                    None if cancelled is None else prescriber, now,
                ))  # fmt: skip
            # Orders as history groups them: one a day and delivery mode.
            groups: dict[tuple[date, str], list[int]] = {}
            for i, d in enumerate(plan.deliveries):
                groups.setdefault((d.ordered_on, modes[d.article_no]), []).append(i)
            line_of = {}
            for members in groups.values():
                for i in members:
                    line_of[i] = line_ids[line_next]
                    line_next += 1
            home = self.clinics[spec.clinic_code]
            first_of: dict[int, tuple[int, date, int | None]] = {}
            for (ordered_on, mode), members in groups.items():
                order_id = order_ids[order_next]
                order_next += 1
                order_rows.append((order_id, pid, MIGRATION_ROLE,
                                   _placed_at(ordered_on), mode))  # fmt: skip
                for i in members:
                    d = plan.deliveries[i]
                    article = self.articles[d.article_no]
                    facts = self.facts[article.id]
                    line_id = line_of[i]
                    price, replaces, chain, payer = (
                        facts.pack_price_sek,
                        None,
                        None,
                        None,
                    )
                    if d.replaces is not None:  # a warranty swap: free, no rx
                        price, replaces = 0, line_of[d.replaces]
                        chain = first_of.get(d.replaces) or (
                            replaces, plan.deliveries[d.replaces].delivered_on,
                            self.facts[self.articles[
                                plan.deliveries[d.replaces].article_no].id
                            ].amortisation_years,
                        )  # fmt: skip
                        first_of[i] = chain
                    payer = home if d.rx is None else None
                    returned_on, back = d.returned_on, 0
                    if 0 < d.packs_restocked < d.packs:  # partly back to stock
                        status, back = "delivered", d.packs_restocked
                    elif returned_on is not None:
                        status = "returned"
                        if facts.amortisation_years is None:
                            back = d.packs
                    else:
                        status = "delivered"
                    # A swap's line after the line it names (SQLite checks
                    # keys row by row).
                    (line_rows if replaces is None else swap_rows).append((
                        line_id, order_id, pid, None if d.rx is None else ids[d.rx],
                        article.id, d.packs, article.channel, status, price,
                        facts.vat_rate, d.serial_no, d.delivered_on, returned_on,
                        back, back, replaces, None if chain is None else chain[0],
                        None if payer is None else payer.id,
                        None if payer is None else payer.cost_centre, now,
                    ))  # fmt: skip
                    if d.serial_no and facts.serial_tracked:
                        years = facts.amortisation_years
                        warranty_end = (
                            _warranty_end(d.delivered_on, years)
                            if chain is None
                            else _warranty_end(chain[1], chain[2])
                        )
                        device_rows.append((
                            article.id, d.serial_no,
                            "on_loan" if returned_on is None else "scrapped",
                            pid, d.delivered_on, warranty_end, returned_on,
                            None if returned_on is None
                            else (d.return_reason or "returned"),
                            f"order-line:{line_id}",
                            line_id if chain is None else chain[0],
                        ))  # fmt: skip
        line_rows += swap_rows
        for model, keys, rows in (
            (Prescription, _RX_KEYS, rx_rows),
            (Order, _ORDER_KEYS, order_rows),
            (OrderLine, _LINE_KEYS, line_rows),
            (Device, _DEVICE_KEYS, device_rows),
        ):
            if rows:
                tables.append(self._prepare(model, keys, rows, text))
        return HistoryCounts(len(order_rows), len(line_rows), len(device_rows))


@dataclass
class Made:
    """A chunk's rows made by `RegionWriter.rows`, for `RegionWriter.store`."""

    patient_ids: list[int]
    prescriptions: int
    history: HistoryCounts = field(default_factory=HistoryCounts)
    tables: list[Prepared] = field(default_factory=list)


_TABLES = {model.__table__.name: model.__table__ for model in (
    Patient, Address, CareRelationship, Guardian, Prescription, Order, OrderLine,
    Device,
)}  # fmt: skip


class _Reserving:
    """Ids reserved from the database as rows need them (`bulk.reserve_ids`)."""

    def __init__(self, connection) -> None:
        self.connection = connection

    def take(self, table, count: int) -> list[int]:
        return reserve_ids(self.connection, table, count)


class _BulkIds:
    """Ids for a chunk's prescriptions, orders and lines, taken up front."""

    def __init__(self, writer: RegionWriter, ids, plans) -> None:
        modes = writer._modes
        rxs = orders = lines = 0
        for plan in plans:
            rxs += len(plan.prescriptions)
            lines += len(plan.deliveries)
            orders += len(
                {(d.ordered_on, modes[d.article_no]) for d in plan.deliveries}
            )
        self.rx_ids = ids.take(Prescription.__table__, rxs)
        self.order_ids = ids.take(Order.__table__, orders)
        self.line_ids = ids.take(OrderLine.__table__, lines)


_RX_KEYS = (
    "id", "patient_id", "article_id", "prescriber_id", "clinic_id", "cost_centre",
    "packs_per_withdrawal", "withdrawals", "withdrawals_used", "period_days",
    "lock_days", "valid_from", "valid_to", "last_withdrawal_on", "status",
    "reason_code", "reason_text", "renewed_from_id", "created_at", "cancelled_at",
    "cancelled_by_id", "updated_at",
)  # fmt: skip
_ORDER_KEYS = ("id", "patient_id", "placed_by_role", "placed_at", "delivery_mode")
_LINE_KEYS = (
    "id", "order_id", "patient_id", "prescription_id", "article_id", "packs",
    "channel", "status", "pack_price_sek", "vat_rate", "serial_no", "delivered_on",
    "returned_on", "packs_returned", "packs_restocked", "replaces_line_id",
    "amortised_line_id", "cost_clinic_id", "cost_centre", "updated_at",
)  # fmt: skip
_DEVICE_KEYS = (
    "article_id", "serial_no", "status", "patient_id", "lent_on", "warranty_end",
    "returned_on", "return_reason", "reference", "amortised_line_id",
)  # fmt: skip


@cache
def _placed_at(day: date) -> datetime:
    return datetime.combine(day, time(8), UTC)


def _prescribing_clinic(spec: PatientSpec, day: date) -> str:
    """The clinic the patient was at on `day`: the earlier one before the move."""
    if spec.earlier_clinic and day < spec.earlier_clinic[2]:
        return spec.earlier_clinic[0]
    return spec.clinic_code


def _free_swaps(plans: Sequence[PatientPlan]) -> None:
    """A warranty replacement cost the region nothing: its line has no price,
    as the depot's replacement has. Lines are found through their devices
    (serials are indexed and unique in a region; a device names its line)."""
    serials = [
        d.serial_no for plan in plans for d in plan.deliveries if d.replaces is not None
    ]
    if not serials:
        return
    devices, lines = Device.__table__, OrderLine.__table__
    references = db.session.scalars(
        sa.select(devices.c.reference).where(devices.c.serial_no.in_(serials))
    )
    ids = [int(reference.rsplit(":", 1)[1]) for reference in references]
    db.session.connection().execute(
        sa.update(lines).where(lines.c.id.in_(ids)).values(pack_price_sek=0)
    )


def _partial_returns(plans: Sequence[PatientPlan]) -> None:
    """Packs of a consumable line that came back to stock, the rest kept: on the
    lines just written (one per prescription and delivery day)."""
    partial = [
        {"rx": d.prescription_id, "day": d.delivered_on, "back": d.returned_on,
         "n": d.packs_restocked}
        for plan in plans
        for d in plan.deliveries
        if d.replaces is None and 0 < d.packs_restocked < d.packs
    ]  # fmt: skip
    if not partial:
        return
    lines = OrderLine.__table__
    db.session.connection().execute(
        sa.update(lines)
        .where(lines.c.prescription_id == sa.bindparam("rx"),
               lines.c.delivered_on == sa.bindparam("day"))
        .values(returned_on=sa.bindparam("back"), packs_returned=sa.bindparam("n"),
                packs_restocked=sa.bindparam("n")),
        partial,
    )  # fmt: skip


@cache
def _at(day: date) -> datetime:
    return datetime.combine(day, time(9), UTC)


def _warranty_end(delivered_on: date, years: int | None) -> date:
    """As `orders.history` sets it (`devices.warranty_end`)."""
    return devices.warranty_end(delivered_on, years or DEFAULT_WARRANTY_YEARS)


def _patient_row(spec: PatientSpec, now: datetime | None = None) -> dict:
    now = now or datetime.now(UTC)
    return dict(
        personal_id=spec.personal_id, id_kind=spec.id_kind,
        lma_number=spec.lma_number, lma_valid_to=spec.lma_valid_to,
        first_name=spec.first_name, last_name=spec.last_name,
        birth_date=spec.birth_date, diabetes_type=spec.diabetes_type,
        protected_identity=spec.protected_identity, phone=spec.phone,
        email=spec.email, user_id=None, created_at=now, updated_at=now,
    )  # fmt: skip


def _address_row(patient_id: int, home: Home, kind: str) -> dict:
    return dict(
        patient_id=patient_id, kind=kind, care_of=None, street=home.street,
        postal_code=home.postal_code, city=home.city, door_code=home.door_code,
        valid_from=None, valid_to=None,
    )  # fmt: skip


def _rx_row(patient_id, rx, clinic, articles, prescriber_id) -> dict:
    code, text = rx.reason or (None, None)
    return dict(
        patient_id=patient_id, article_id=articles[rx.article_no].id,
        prescriber_id=prescriber_id, clinic_id=clinic.id,
        cost_centre=clinic.cost_centre, packs_per_withdrawal=rx.packs_per_withdrawal,
        withdrawals=rx.withdrawals, withdrawals_used=rx.withdrawals_used,
        period_days=90, lock_days=60, valid_from=rx.valid_from, valid_to=rx.valid_to,
        last_withdrawal_on=rx.last_withdrawal_on, status=rx.status,
        reason_code=code, reason_text=text, renewed_from_id=None,
        created_at=_at(rx.valid_from),
        cancelled_at=_at(rx.cancelled_on) if rx.cancelled_on else None,
        cancelled_by_id=prescriber_id if rx.cancelled_on else None,
    )  # fmt: skip
