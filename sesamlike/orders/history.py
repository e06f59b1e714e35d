"""Delivered history: orders that happened before or outside this system.

`record_delivered_history` is the one way history is written, by the demo region,
the scale generator and `deliveries import`. It writes with bulk core inserts so a
synthetic region of 100,000 patients stays fast. It does not commit: the caller
owns the transaction (the import commits once, the generator once per chunk).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

import sqlalchemy as sa

from sesamlike.accounts import audit
from sesamlike.accounts.models import Clinic
from sesamlike.catalog.models import DEVICE_CATEGORIES, Article, Channel
from sesamlike.catalog.rows import MAX_PRICE
from sesamlike.common.bulk import insert_rows, reserve_ids
from sesamlike.common.csvfiles import (
    CsvLayout,
    FileInvalid,
    Row,
    read_csv,
    write_all_or_nothing,
)
from sesamlike.common.errors import Invalid
from sesamlike.common.i18n import N_, Plural
from sesamlike.common.time import region_today, utcnow
from sesamlike.extensions import db
from sesamlike.orders.models import DeliveryMode, LineStatus, Order, OrderLine
from sesamlike.patients.identity import parse_personal_id
from sesamlike.patients.models import CareRelationship, Patient
from sesamlike.stock import devices
from sesamlike.stock.models import SERIAL_MAX, Device, DeviceStatus

MIGRATION_ROLE = "migration"
DEFAULT_WARRANTY_YEARS = 4


@dataclass(frozen=True)
class Delivered:
    """One delivered (and perhaps returned) line of history."""

    patient_id: int
    article_id: int
    packs: int
    channel: str
    delivered_on: date
    serial_no: str | None = None
    returned_on: date | None = None
    return_reason: str | None = None
    prescription_id: int | None = None
    ordered_on: date | None = None  # defaults to delivered_on
    # A warranty replacement of the patient's device with this serial (of the
    # same batch, or recorded before).
    replaces_serial_no: str | None = None
    # What the region paid per pack then; None: the article's price today.
    pack_price_sek: Decimal | None = None


@dataclass
class HistoryCounts:
    orders: int = 0
    lines: int = 0
    devices: int = 0

    def add(self, other: HistoryCounts) -> None:
        self.orders += other.orders
        self.lines += other.lines
        self.devices += other.devices


# What history snapshots from an article: price and VAT, and what kind it is.
_FACTS = (Article.id, Article.pack_price_sek, Article.vat_rate, Article.category)
_FACTS += (Article.serial_tracked, Article.amortisation_years)


def article_facts(article_ids: Iterable[int] | None = None) -> dict[int, sa.Row]:
    """Snapshot facts for the given articles, or for the whole catalogue."""
    query = sa.select(*_FACTS)
    if article_ids is not None:
        query = query.where(Article.id.in_(set(article_ids)))
    return {row.id: row for row in db.session.execute(query)}


def articles_delivered(article_ids: set[int]) -> set[int]:
    """Of these articles, those with a delivered line: the follow-up has
    reckoned their costs (the catalogue may not change how, `catalog.services`)."""
    if not article_ids:
        return set()
    delivered = (
        sa.select(OrderLine.id)
        .where(OrderLine.article_id == Article.id, OrderLine.delivered_on.is_not(None))
        .exists()
    )
    query = sa.select(Article.id).where(Article.id.in_(article_ids), delivered)
    return set(db.session.scalars(query))


def delivery_mode_for(facts: sa.Row, channel: str) -> str:
    """Devices go to the clinic (instruction), pharmacy lines to the pharmacy."""
    if facts.category in DEVICE_CATEGORIES:
        return DeliveryMode.CLINIC
    if channel == Channel.PHARMACY:
        return DeliveryMode.PHARMACY
    return DeliveryMode.HOME


def record_delivered_history(
    items: Sequence[Delivered],
    facts: Mapping[int, sa.Row] | None = None,
    *,
    bulk: bool = False,
) -> HistoryCounts:
    """Write orders, delivered or returned lines and lent devices for `items`.

    Items of one patient ordered on one day with one delivery mode share an order.
    Serial numbers of serial-tracked articles become Device rows (on loan, or
    scrapped when returned: the old system does not tell what became of them).
    `bulk`: rows written by `common.bulk.insert_rows` (COPY on PostgreSQL), for
    the scale generator; the same rows either way.
    """
    if not items:
        return HistoryCounts()
    if facts is None:
        facts = article_facts({item.article_id for item in items})
    now = utcnow()
    groups: dict[tuple[int, date, str], list[Delivered]] = {}
    modes: dict[tuple[int, str], str] = {}
    for item in items:
        mode = modes.get((item.article_id, item.channel))
        if mode is None:
            mode = delivery_mode_for(facts[item.article_id], item.channel)
            modes[(item.article_id, item.channel)] = mode
        key = (item.patient_id, item.ordered_on or item.delivered_on, mode)
        groups.setdefault(key, []).append(item)

    keys = list(groups)
    order_ids = insert_with_ids(
        Order,
        [
            {
                "patient_id": patient_id,
                "placed_by_id": None,
                "placed_by_role": MIGRATION_ROLE,
                "placed_at": datetime.combine(ordered_on, time(8), UTC),
                "delivery_mode": mode,
            }
            for patient_id, ordered_on, mode in keys
        ],
        bulk=bulk,
    )
    payers = paying_clinics(
        {item.patient_id for item in items if item.prescription_id is None}
    )
    line_rows, line_items = [], []
    for order_id, key in zip(order_ids, keys, strict=True):
        for item in groups[key]:
            article = facts[item.article_id]
            row = _line_row(order_id, item, article, now)
            payer = (None, None)  # a prescribed line: its prescription pays
            if item.prescription_id is None:
                payer = payers.get(item.patient_id, payer)
            row["cost_clinic_id"], row["cost_centre"] = payer
            line_rows.append(row)
            line_items.append(item)
    line_ids = insert_with_ids(OrderLine, line_rows, bulk=bulk)
    chains = _link_replacements(line_ids, line_items, facts)

    device_rows = [
        _device_row(line_id, item, facts[item.article_id])
        for line_id, item in zip(line_ids, line_items, strict=True)
        if item.serial_no and facts[item.article_id].serial_tracked
    ]
    for row in device_rows:
        if row["reference"] in chains:  # a replacement: its chain's first line
            row["warranty_end"], row["amortised_line_id"] = chains[row["reference"]]
    if device_rows and bulk:
        insert_rows(db.session.connection(), Device.__table__, device_rows)
    elif device_rows:
        db.session.connection().execute(sa.insert(Device.__table__), device_rows)
    return HistoryCounts(len(order_ids), len(line_ids), len(device_rows))


def _link_replacements(
    line_ids: list[int], items: list[Delivered], facts: Mapping[int, sa.Row]
) -> dict[str, tuple[date, int]]:
    """Tie each warranty replacement to the line it replaces and to the first
    line of its chain (`amortised_line_id`); return the warranty end each
    replacement device keeps (the first device's) and that first line, by
    device reference."""
    wanted = [(i, item) for i, item in enumerate(items) if item.replaces_serial_no]
    if not wanted:
        return {}
    # (patient, serial) -> (line id, first line id, first delivery, its years)
    known: dict[tuple[int, str], tuple[int, int, date, int | None]] = {}
    for (patient_id, serial), found in _recorded_devices(
        {(item.patient_id, item.replaces_serial_no) for _i, item in wanted}
    ).items():
        known[(patient_id, serial)] = found
    # Only serial-numbered items make or continue a chain.
    chained = [i for i, item in enumerate(items)
               if item.serial_no or item.replaces_serial_no]  # fmt: skip
    order = sorted(chained, key=lambda i: (items[i].delivered_on, i))
    updates, ends = [], {}
    for i in order:
        item, line_id = items[i], line_ids[i]
        years = facts[item.article_id].amortisation_years
        replaced = (
            known.get((item.patient_id, item.replaces_serial_no))
            if item.replaces_serial_no
            else None
        )
        if replaced is None:
            first = (line_id, item.delivered_on, years)
        else:
            first = replaced[1:]
            updates.append({"line_id": line_id, "replaces": replaced[0],
                            "first": first[0]})  # fmt: skip
            ends[f"order-line:{line_id}"] = (_warranty_end(first[1], first[2]),
                                             first[0])  # fmt: skip
        if item.serial_no:
            known[(item.patient_id, item.serial_no)] = (line_id, *first)
    if updates:
        table = OrderLine.__table__
        db.session.connection().execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("line_id"))
            .values(replaces_line_id=sa.bindparam("replaces"),
                    amortised_line_id=sa.bindparam("first")),
            updates,
        )  # fmt: skip
    return ends


def _recorded_devices(
    wanted: set[tuple[int, str]],
) -> dict[tuple[int, str], tuple[int, int, date, int | None]]:
    """Devices recorded before, by (patient, serial): their line, and the first
    line of their chain with its delivery and amortisation years."""
    serials = sorted({serial for _p, serial in wanted})
    found = {}
    first = OrderLine.__table__.alias("first_line")
    for chunk in _chunks(serials):
        rows = db.session.execute(
            sa.select(Device.patient_id, Device.serial_no, OrderLine.id,
                      first.c.id, first.c.delivered_on, Article.amortisation_years)
            .join(OrderLine, Device.reference == sa.literal("order-line:")
                  + sa.cast(OrderLine.id, sa.String))
            .join(first, first.c.id == sa.func.coalesce(
                OrderLine.amortised_line_id, OrderLine.id))
            .join(Article, Article.id == first.c.article_id)
            .where(Device.serial_no.in_(chunk))
        )  # fmt: skip
        for patient_id, serial, line_id, first_id, delivered_on, years in rows:
            if (patient_id, serial) in wanted:
                found[(patient_id, serial)] = (line_id, first_id, delivered_on, years)
    return found


def _warranty_end(delivered_on: date, years: int | None) -> date:
    return devices.warranty_end(delivered_on, years or DEFAULT_WARRANTY_YEARS)


def paying_clinics(patient_ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    """Who pays a line without a prescription (imported history): the patient's
    clinic now (the first care relationship still active), with its cost centre."""
    found: dict[int, tuple[int, str]] = {}
    ids = sorted(set(patient_ids))
    for start in range(0, len(ids), _CHUNK):
        rows = db.session.execute(
            sa.select(CareRelationship.patient_id, Clinic.id, Clinic.cost_centre)
            .join(Clinic, Clinic.id == CareRelationship.clinic_id)
            .where(
                CareRelationship.patient_id.in_(ids[start : start + _CHUNK]),
                CareRelationship.ended_on.is_(None),
            )
            .order_by(CareRelationship.id)
        )
        for patient_id, clinic_id, cost_centre in rows:
            found.setdefault(patient_id, (clinic_id, cost_centre))
    return found


def _line_row(order_id: int, item: Delivered, article: sa.Row, now: datetime) -> dict:
    returned = item.returned_on is not None
    # A consumable's returned_on: its packs came back to stock unused.
    restocked = item.packs if returned and article.amortisation_years is None else 0
    return {
        "order_id": order_id,
        "patient_id": item.patient_id,
        "prescription_id": item.prescription_id,
        "article_id": item.article_id,
        "packs": item.packs,
        "channel": item.channel,
        "status": LineStatus.RETURNED if returned else LineStatus.DELIVERED,
        "pack_price_sek": article.pack_price_sek
        if item.pack_price_sek is None
        else item.pack_price_sek,
        "vat_rate": article.vat_rate,
        "serial_no": item.serial_no,
        "delivered_on": item.delivered_on,
        "returned_on": item.returned_on,
        "packs_returned": restocked,
        "packs_restocked": restocked,
        "updated_at": now,
    }


def _device_row(line_id: int, item: Delivered, article: sa.Row) -> dict:
    years = article.amortisation_years or DEFAULT_WARRANTY_YEARS
    returned = item.returned_on is not None
    return {
        "article_id": item.article_id,
        "serial_no": item.serial_no,
        "status": DeviceStatus.SCRAPPED if returned else DeviceStatus.ON_LOAN,
        "depot_id": None,
        # The last borrower, kept for returned devices too.
        "patient_id": item.patient_id,
        "lent_on": item.delivered_on,
        "warranty_end": _warranty_end(item.delivered_on, years),
        "returned_on": item.returned_on,
        "return_reason": (item.return_reason or "returned") if returned else None,
        "reference": f"order-line:{line_id}",
        "amortised_line_id": line_id,
    }


def insert_with_ids(model, rows: list[dict], *, bulk: bool = False) -> list[int]:
    """Bulk insert `rows` (given their ids here); return the ids in row order.

    Ids are taken up front (`bulk.reserve_ids`) so the insert is a plain
    multi-row executemany: RETURNING in parameter order costs one statement a
    row on SQLite. `bulk`: written by `bulk.insert_rows` (COPY on PostgreSQL).
    """
    if not rows:
        return []
    table = model.__table__
    connection = db.session.connection()
    ids = reserve_ids(connection, table, len(rows))
    for id_, row in zip(ids, rows, strict=True):
        row["id"] = id_
    if bulk:
        insert_rows(connection, table, rows)
    else:
        connection.execute(sa.insert(table), rows)
    return ids


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# The delivered-history CSV of interfaces.md, all or nothing like the catalogue.

DELIVERY_COLUMNS = (
    "personal_id", "article_no", "packs", "channel", "delivered_on", "serial_no",
    "returned_on",
)  # fmt: skip
_CHUNK = 500


class DeliveriesInvalid(FileInvalid):
    """A delivered-history file with bad rows; `problems` holds each row's errors."""

    code = "deliveries_invalid"
    message = Plural(
        "Leveransfilen har fel på {count} rad; inget importerades.",
        "Leveransfilen har fel på {count} rader; inget importerades.",
        count="count",
    )


DELIVERIES_FILE = CsvLayout(
    DELIVERY_COLUMNS,
    optional=("replaces_serial_no", "pack_price_sek"),
    invalid=DeliveriesInvalid,
    key="article_no",
    no_rows=N_("Filen innehåller inga leveransrader."),
    unknown_column=N_("Okänd eller upprepad kolumn: {column}."),
)


def import_deliveries_text(text: str, today: date | None = None) -> HistoryCounts:
    """Record every row in one transaction, or raise DeliveriesInvalid: none."""
    table = read_csv(text, DELIVERIES_FILE)
    items = table.check(_Checker(table.rows, today or region_today()).check)
    return write_all_or_nothing(lambda: _record_imported(items))


def _record_imported(items: list[Delivered]) -> HistoryCounts:
    counts = record_delivered_history(items)
    per_patient = Counter(item.patient_id for item in items)
    for patient_id, lines in sorted(per_patient.items()):
        audit.record("import", "delivered_history", patient_id=patient_id,
                     detail=f"deliveries import: {lines} lines")  # fmt: skip
    return counts


class _Checker:
    """Checks rows against the catalogue, the patients and known serial numbers."""

    def __init__(self, rows: list[Row], today: date):
        self.today = today
        query = sa.select(Article.id, Article.article_no, Article.serial_tracked,
                          Article.benefit, Article.amortisation_years)  # fmt: skip
        self.articles = {a.article_no: a for a in db.session.execute(query)}
        self.rows_by_serial: dict[str, list[Row]] = {}
        for row in rows:
            if row["serial_no"]:
                self.rows_by_serial.setdefault(row["serial_no"], []).append(row)
        self.patients = _patient_ids(r["personal_id"] for r in rows)
        self.known_serials = _known_serials({r["serial_no"] for r in rows} - {""})
        self.serial_lines: dict[tuple[int, str], int] = {}
        # Consumable deliveries imported before, as (patient, article, day,
        # packs, channel): each a row of this file may not be again.
        self.imported = _imported_deliveries(set(self.patients.values()))

    def check(self, r: Row) -> Delivered | None:
        v = r  # cells by column; an absent column reads as empty
        patient_id = self._patient(r, v["personal_id"])
        article = self.articles.get(v["article_no"])
        if article is None:
            r.add(
                "article_no",
                N_("Artikeln «{value}» finns inte."),
                value=v["article_no"],
            )
        packs = int(v["packs"]) if v["packs"].isdecimal() else 0
        if not 0 < packs < 1_000_000:
            r.add(
                "packs",
                N_("Ska vara ett positivt heltal, inte «{value}»."),
                value=v["packs"],
            )
        if v["channel"] not in set(Channel):
            r.add(
                "channel",
                N_("Okänd kanal «{value}»; tillåtna: {allowed}."),
                value=v["channel"],
                allowed=", ".join(Channel),
            )
        elif (
            article is not None
            and v["channel"] == Channel.PHARMACY
            and (article.amortisation_years or not article.benefit)
        ):
            r.add(
                "channel",
                N_(
                    "Artikeln {article_no} lämnas inte ut på apotek (bara "
                    "förbrukningsartiklar i läkemedelsförmånen)."
                ),
                article_no=article.article_no,
            )
        delivered_on = r.date("delivered_on", required=True)
        returned_on = r.date("returned_on", required=False)
        if delivered_on and delivered_on > self.today:
            r.add(
                "delivered_on",
                N_("Leveransdatumet {value} ligger i framtiden."),
                value=v["delivered_on"],
            )
        if returned_on and returned_on > self.today:
            r.add(
                "returned_on",
                N_("Returdatumet {value} ligger i framtiden."),
                value=v["returned_on"],
            )
        if delivered_on and returned_on and returned_on < delivered_on:
            r.add(
                "returned_on",
                N_("Returen ({returned_on}) är före leveransen ({delivered_on})."),
                returned_on=v["returned_on"],
                delivered_on=v["delivered_on"],
            )
        serial = v["serial_no"] or None
        if serial and len(serial) > SERIAL_MAX:
            r.add("serial_no", N_("Högst {n} tecken."), n=SERIAL_MAX)
        if article is not None and article.serial_tracked:
            self._check_serial(r, article, serial, packs)
        replaces = v["replaces_serial_no"] or None
        if replaces and patient_id is not None:
            self._check_replaced(r, article, replaces, patient_id, delivered_on)
        price = r.decimal("pack_price_sek", places=2)
        if price is not None and price >= MAX_PRICE:
            r.add(
                "pack_price_sek",
                N_("Orimligt stort belopp «{value}»."),
                value=v["pack_price_sek"],
            )
        if not r.errors and not article.serial_tracked:
            self._check_not_imported(r, patient_id, article, packs, delivered_on)
        if r.errors:
            return None
        return Delivered(
            patient_id,
            article.id,
            packs,
            v["channel"],
            delivered_on,
            serial,
            returned_on,
            replaces_serial_no=replaces,
            pack_price_sek=price,
        )

    def _check_not_imported(self, r: Row, patient_id, article, packs, delivered_on):
        """A delivery imported before is not imported again: a migration run
        twice doubled every consumable's cost, silently (a device's row is
        refused by its serial number). Two alike in one file are two."""
        key = (patient_id, article.id, delivered_on, packs, r["channel"])
        if key in self.imported:
            r.add(
                None,
                N_("Leveransen finns redan: {article_no} den {day} till samma "
                   "patient, med samma antal förpackningar ({packs}), är inläst "
                   "förut."),
                packs=packs, article_no=article.article_no, day=r["delivered_on"],
            )  # fmt: skip

    def _check_replaced(self, r: Row, article, replaces: str, patient_id: int,
                        delivered_on: date | None) -> None:  # fmt: skip
        """A warranty replacement names a device of the same patient, delivered
        earlier (in this file or before), that came back the day this one came."""
        if article is not None and not article.amortisation_years:
            r.add(
                "replaces_serial_no",
                N_("Bara en pump eller CGM-läsare ersätts under garanti."),
            )
            return
        returns = [
            row["returned_on"]
            for row in self.rows_by_serial.get(replaces, [])
            if self._patient_of(row["personal_id"]) == patient_id
        ]
        if not returns:
            recorded = _recorded_returns(replaces, patient_id)
            returns = [day.isoformat() if day else "" for day in recorded]
        if not returns:
            r.add(
                "replaces_serial_no",
                N_("Patienten har inget hjälpmedel med serienumret {serial}."),
                serial=replaces,
            )
        elif delivered_on and delivered_on.isoformat() not in returns:
            r.add(
                "replaces_serial_no",
                N_(
                    "Hjälpmedlet {serial} ska ha returned_on {delivered_on}, "
                    "dagen ersättningen levererades."
                ),
                serial=replaces,
                delivered_on=delivered_on.isoformat(),
            )

    def _patient_of(self, value: str) -> int | None:
        try:
            return self.patients.get(parse_personal_id(value).number)
        except Invalid:
            return self.patients.get(value.upper())

    def _patient(self, r: Row, value: str) -> int | None:
        try:
            number = parse_personal_id(value).number
        except Invalid:
            number = value.upper()  # a reserve number, as stored
            if number not in self.patients:
                r.add(
                    "personal_id",
                    N_(
                        "«{value}» är varken ett giltigt personnummer "
                        "eller en patients reservnummer."
                    ),
                    value=value,
                )
                return None
        if number not in self.patients:
            r.add("personal_id", N_("Ingen patient har nummer {value}."), value=value)
        return self.patients.get(number)

    def _check_serial(self, r: Row, article, serial: str | None, packs: int) -> None:
        if not serial:
            r.add(
                "serial_no",
                N_("Artikeln {article_no} är individmärkt: serienummer krävs."),
                article_no=article.article_no,
            )
            return
        if packs > 1:
            r.add(
                "packs", N_("En individmärkt artikel levereras en i taget (packs 1).")
            )
        key = (article.id, serial)
        if key in self.known_serials:
            r.add("serial_no", N_("Serienumret {serial} finns redan."), serial=serial)
        elif key in self.serial_lines:
            r.add(
                "serial_no",
                N_("Serienumret {serial} står redan på rad {line}."),
                serial=serial,
                line=self.serial_lines[key],
            )
        else:
            self.serial_lines[key] = r.line


def _patient_ids(values: Iterable[str]) -> dict[str, int]:
    """Patient ids by stored personal_id for every number the file names."""
    wanted = set()
    for value in values:
        wanted.add(value.upper())
        try:
            wanted.add(parse_personal_id(value).number)
        except Invalid:
            pass
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(wanted)):
        query = sa.select(Patient.personal_id, Patient.id)
        rows = db.session.execute(query.where(Patient.personal_id.in_(chunk)))
        found.update((number, id_) for number, id_ in rows)
    return found


def _imported_deliveries(patient_ids: set[int]) -> set[tuple]:
    """The patients' lines imported as history before (the migration's
    orders), as (patient, article, delivered_on, packs, channel)."""
    found: set[tuple] = set()
    for chunk in _chunks(sorted(patient_ids)):
        rows = db.session.execute(
            sa.select(OrderLine.patient_id, OrderLine.article_id,
                      OrderLine.delivered_on, OrderLine.packs, OrderLine.channel)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.placed_by_role == MIGRATION_ROLE,
                   OrderLine.patient_id.in_(chunk))
        )  # fmt: skip
        found.update(tuple(row) for row in rows)
    return found


def _recorded_returns(serial: str, patient_id: int) -> list[date | None]:
    """The return days of the patient's recorded devices with this serial."""
    return list(
        db.session.scalars(
            sa.select(Device.returned_on).where(
                Device.serial_no == serial, Device.patient_id == patient_id
            )
        )
    )


def _known_serials(serials: set[str]) -> set[tuple[int, str]]:
    known: set[tuple[int, str]] = set()
    for chunk in _chunks(sorted(serials)):
        query = sa.select(Device.article_id, Device.serial_no)
        rows = db.session.execute(query.where(Device.serial_no.in_(chunk)))
        known.update(tuple(row) for row in rows)
    return known


def _chunks(values: list[str]):
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]
