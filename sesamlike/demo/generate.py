"""A synthetic region of any size, for scale tests (`demo generate`).

Patients are planned (in a second process for big regions) and written in
chunks with bulk inserts (COPY on PostgreSQL), one commit per chunk or one for
a deferred load, so 100,000 patients with two years of history need neither ORM
objects nor much memory. Patient n of seed s is drawn from its own seeded
generator, so a run is reproducible for the same seed on the same database
state.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import random
import traceback
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

import sqlalchemy as sa

from sesamlike.accounts.models import Clinic
from sesamlike.common import bulk, data_versions
from sesamlike.common.time import region_today
from sesamlike.demo import people, setup
from sesamlike.demo.plan import Planner
from sesamlike.demo.setup import Login
from sesamlike.demo.writer import PatientSpec, RegionWriter, load_articles
from sesamlike.extensions import db
from sesamlike.orders.history import HistoryCounts
from sesamlike.orders.models import Order, OrderLine
from sesamlike.patients.identity import parse_personal_id
from sesamlike.patients.models import Address, CareRelationship, Guardian, Patient
from sesamlike.prescriptions.models import Prescription
from sesamlike.stock.models import Device

CHUNK = 1000
DEFER_FROM = 10_000  # patients: below, dropping and making indexes costs more
PATIENTS_PER_CLINIC = 5000
TOWNS = ("Norrstad", "Söderby", "Älvsjönäs", "Granby", "Bergsvik", "Åby", "Ekeby")


@dataclass
class GenerateCounts:
    clinics: int = 0
    prescriptions: int = 0
    history: HistoryCounts = field(default_factory=HistoryCounts)


def generate_region(
    patients: int,
    years: int,
    seed: int = 1,
    *,
    progress: Callable[[int], None] | None = None,
    today: date | None = None,
    defer: bool | None = None,
    pipeline: bool | None = None,
) -> GenerateCounts:
    """Add `patients` synthetic patients with `years` years of delivered history.

    `defer`: on PostgreSQL, load in one transaction with the indexes made and
    the keys checked after (`common.bulk.deferred_indexes`); by default only
    into an empty region, and no toy one. `pipeline`: plan in a second
    process while this one writes (`planned_elsewhere`); by default from two
    chunks on.
    """
    today = today or region_today()
    if not setup.catalogue_present():
        setup.ensure_catalogue()
    clinics = _ensure_clinics(seed, max(2, min(40, patients // PATIENTS_PER_CLINIC)))
    db.session.commit()
    articles = load_articles()
    planner = Planner(articles, today, years)
    writer = RegionWriter(articles)
    taken = set(db.session.scalars(sa.select(Patient.personal_id)))
    first = db.session.scalar(sa.select(sa.func.count()).select_from(Patient))
    counts = GenerateCounts(clinics=len(clinics))
    places = [_Place(c.code, c.paediatric) for c in clinics]
    chunks = _planned(planner, range(first, first + patients), seed, today, taken,
                      places)  # fmt: skip
    pipeline = patients >= 2 * CHUNK if pipeline is None else pipeline
    # Into an empty region, PostgreSQL builds the indexes and checks the keys
    # once after the load, in one transaction (the tables are locked until it
    # commits: never by default on a region in use); otherwise a commit a chunk.
    deferred = first == 0 and patients >= DEFER_FROM if defer is None else defer
    connection = db.session.connection()
    # The new patients' history moves no data version: no page of theirs was
    # built before it (common.data_versions).
    with (
        bulk.deferred_indexes(
            connection, _big_tables(), keep=() if writer.bulk else _SEARCHED
        )
        if deferred
        else nullcontext(),
        data_versions.left_out(connection) if deferred else nullcontext(),
    ):
        if deferred and pipeline and writer.bulk and _is_postgresql(connection):
            # The tables are locked: the planning process takes the ids too
            # and makes the rows, this one only copies them in.
            block = bulk.IdBlock.read(connection, _ID_TABLES)
            made = planned_elsewhere(_made(writer, chunks, block, seed))
            last = block.next
            for size, rows, after in made:
                writer.store(rows)
                last = after
                _count(counts, rows.prescriptions, rows.history, size, progress)
            block.close(connection, last)
        else:
            if pipeline:
                chunks = planned_elsewhere(chunks)
            for start, specs, plans in chunks:
                rng = random.Random(f"{seed}:{start}")
                with (
                    nullcontext()
                    if deferred
                    else data_versions.suspended(db.session.connection())
                ):
                    _ids, history = writer.write(rng, specs, plans)
                if not deferred:
                    db.session.commit()
                prescriptions = sum(len(plan.prescriptions) for plan in plans)
                _count(counts, prescriptions, history, len(specs), progress)
    db.session.commit()
    _analyse(db.session.connection(), _big_tables())
    return counts


def _analyse(connection: sa.Connection, tables: list[sa.Table]) -> None:
    """On PostgreSQL, the planner's statistics of the tables just filled, as
    a DBA would take them after a bulk load: without them the first follow-up
    run on a fresh region picks nested loops over millions of lines (minutes
    instead of seconds) until autovacuum gets round to it, if it runs at all."""
    if not _is_postgresql(connection):
        return
    for table in tables:
        connection.execute(sa.text(f'ANALYZE "{table.name}"'))
    db.session.commit()


def _count(counts: GenerateCounts, prescriptions: int, history: HistoryCounts,
           patients: int, progress: Callable[[int], None] | None) -> None:  # fmt: skip
    counts.prescriptions += prescriptions
    counts.history.add(history)
    if progress:
        progress(patients)


def _made(writer: RegionWriter, chunks: Iterator[tuple], block: bulk.IdBlock,
          seed: int) -> Iterator[tuple]:  # fmt: skip
    """(patients, rows made, ids next) a chunk at a time: the rows in COPY's
    text, with ids from `block`, as `writer.write` would write them."""
    for start, specs, plans in chunks:
        rng = random.Random(f"{seed}:{start}")
        rows = writer.rows(rng, specs, plans, block, text=True)
        yield len(specs), rows, dict(block.next)


def _is_postgresql(connection: sa.Connection) -> bool:
    return connection.dialect.name == "postgresql"


@dataclass(frozen=True)
class _Place:
    code: str
    paediatric: bool


def _planned(planner: Planner, numbers: range, seed: int, today: date,
             taken: set[str], places: list[_Place]) -> Iterator[tuple]:  # fmt: skip
    """(first patient's offset, specs, plans) a chunk at a time: patient n drawn
    from its own seeded generator, identity numbers unique in the region."""
    adults = [p for p in places if not p.paediatric]
    children = [p for p in places if p.paediatric] or adults
    adult_weights = list(accumulate(_clinic_weights(len(adults))))
    child_weights = list(accumulate(_clinic_weights(len(children))))
    full: set[tuple[date, bool]] = set()  # days whose test numbers are taken
    for start in range(0, len(numbers), CHUNK):
        specs, plans = [], []
        for n in numbers[start : start + CHUNK]:
            rng = random.Random(f"sesamlike-generate:{seed}:{n}")
            spec, group = _spec(rng, n, today, taken, (adults, adult_weights),
                                (children, child_weights), full)  # fmt: skip
            specs.append(spec)
            plans.append(planner.plan(rng, group, spec.birth_date, f"G{seed}N{n}"))
        yield start, specs, plans


def _clinic_weights(count: int) -> list[float]:
    """Clinics are not the same size: a university hospital's clinic has
    several times the patients of a county hospital's. The k-th clinic draws
    patients in proportion to k^-1/4: at 500,000 patients in 40 clinics the
    largest has about 25,000, the smallest about 10,000."""
    return [k**-0.25 for k in range(1, count + 1)]


def planned_elsewhere(chunks: Iterator[tuple], ahead: int = 2) -> Iterator[tuple]:
    """The same chunks, planned in a forked process while this one writes (a
    core each: planning costs about as much as writing). In order, so the
    region is the one planned here would make; the child never touches the
    database. Without fork (Windows), planned here."""
    if "fork" not in multiprocessing.get_all_start_methods():
        yield from chunks
        return
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=ahead)
    child = context.Process(target=_plan_into, args=(chunks, queue), daemon=True)
    child.start()
    try:
        while (item := _next_planned(queue, child)) is not None:
            if isinstance(item, str):
                raise RuntimeError(f"planning failed in the planning process:\n{item}")
            yield item
    finally:
        child.terminate()
        child.join()


def _next_planned(queue, child, poll: float = 5.0):
    """The planning process's next item; a RuntimeError if it has died without
    one (killed, say, by the out-of-memory killer: nothing on the queue), so a
    deferred load does not wait for ever holding its tables' locks."""
    while True:
        try:
            return queue.get(timeout=poll)
        except queue_module.Empty:
            if child.exitcode is not None:
                try:  # what it put just before it ended
                    return queue.get(timeout=poll)
                except queue_module.Empty:
                    raise RuntimeError(
                        "the planning process ended without finishing "
                        f"(exit code {child.exitcode})"
                    ) from None


def _plan_into(chunks: Iterator[tuple], queue) -> None:
    try:
        for chunk in chunks:
            queue.put(chunk)
        queue.put(None)
    except BaseException:  # noqa: BLE001 - reported to the writing process
        queue.put(traceback.format_exc())


def _big_tables() -> list[sa.Table]:
    """The tables a generated region fills, a row or more per patient."""
    return [model.__table__ for model in (
        Patient, Address, CareRelationship, Guardian, Prescription, Order,
        OrderLine, Device,
    )]  # fmt: skip


# Tables whose ids a row of another names: handed out ahead in a locked load.
_ID_TABLES = [model.__table__ for model in (Patient, Prescription, Order, OrderLine)]

# Indexes the plain writer searches by while it loads (`writer._partial_returns`,
# `orders.history._recorded_devices`): kept during its deferred load (the bulk
# writer searches nothing).
_SEARCHED = ("ix_order_lines_prescription_id", "ix_devices_serial_no")


def _ensure_clinics(seed: int, count: int) -> list[Clinic]:
    hashed = setup.password_hash()
    existing = {c.code: c for c in db.session.scalars(sa.select(Clinic))}
    clinics = []
    for k in range(1, count + 1):
        code = f"G{seed}-{k:02d}"
        if code not in existing:
            paediatric = k % 5 == 0
            town = TOWNS[k % len(TOWNS)]
            name = ("Barndiabetesmottagningen" if paediatric else
                    "Diabetesmottagningen") + f" {town} {k}"  # fmt: skip
            existing[code] = Clinic(
                code=code,
                name=name,
                paediatric=paediatric,
                cost_centre=f"8{seed % 1000:03d}{k:02d}",
            )
            db.session.add(existing[code])  # fmt: skip
        clinics.append(existing[code])
    db.session.flush()
    by_code = {c.code: c for c in clinics}
    for code in by_code:
        for role, first_time in (("lakare", True), ("ssk", False)):
            login = Login(
                f"gen{seed}.{role}.{code.lower()}",
                "prescriber",
                f"Förskrivare {code}",
                (code,),
                first_time,
            )
            setup.ensure_user(login, hashed, by_code)  # fmt: skip
    return clinics


def _spec(rng, n: int, today: date, taken: set[str], adults, children, full):
    roll = rng.random()
    # One patient in ten a child: with the pump use of kits.PUMP_USE, children
    # are about a third of the pump users (seed 000: just under a third).
    child = roll < 0.10
    low, high = (1, 17) if child else ((65, 90) if roll > 0.8 else (18, 64))
    birth_date = people.birth_date_for_age(rng, today, low, high)
    who = people.person(rng, birth_date)
    home = people.home(rng)
    kind_roll = rng.random()
    lma = (None, None)
    if kind_roll < 0.003:
        number = f"RG{n:08d}"
        lma = (f"{rng.randrange(10, 99)}-{rng.randrange(100000, 999999)}",
               today + timedelta(days=rng.randrange(-30, 365)))  # fmt: skip
    else:
        coordination = kind_roll < 0.008
        number = people.personal_number(
            rng, birth_date, taken, coordination=coordination, full=full
        )
        # A number from an earlier day (its day's were taken) says the birth date.
        birth_date = parse_personal_id(number).birth_date
    if child:
        diabetes, group = "type1", "child"
    else:
        type2 = rng.random() < (0.55 if low == 65 else 0.15)
        diabetes = "type2" if type2 else "type1"
        group = "other" if type2 else "type1"
    places, weights = children if child else adults
    clinic = rng.choices(places, cum_weights=weights)[0]
    spec = PatientSpec(
        personal_id=number, id_kind=people.id_kind_of(number),
        first_name=who.first_name, last_name=who.last_name, birth_date=birth_date,
        diabetes_type=diabetes, home=home, clinic_code=clinic.code,
        care_since=max(birth_date, today - timedelta(days=rng.randrange(30, 5000))),
        phone=None if child else people.phone(rng),
        protected_identity=rng.random() < 0.005, lma_number=lma[0],
        lma_valid_to=lma[1],
    )  # fmt: skip
    if child:
        born = people.add_years(birth_date, -rng.randrange(24, 42))
        parent = people.person(rng, born, who.last_name, not_named=who.first_name)
        spec.guardians.append((f"{parent.first_name} {parent.last_name}",
                               people.phone(rng)))  # fmt: skip
    return spec, group
