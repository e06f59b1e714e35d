"""Issue 19 item 3: a run reads the lines once for the costs and who paid them.

An incremental run, and a run that stores every payer (a year's first), sum
their patients' lines per patient and payer once (`compute.line_groups`), and
sum both the patients' costs and their payers from those rows. What they store
is what a year's first run stores from scratch, and the payers are what the
lines say (`cost_centres.payer_rows`, read from the lines).
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from sesamlike.extensions import db
from sesamlike.followup.cost_centres import payer_rows
from sesamlike.followup.models import FollowupRun, PatientYearCost, PatientYearPayer
from sesamlike.followup.runs import run_year
from sesamlike.orders.models import OrderLine
from sesamlike.prescriptions.models import Prescription
from tests import factories as f
from tests.integration.test_followup_report_figures import world  # noqa: F401

# A statement that reads lines for their costs has this test (`line_costs`).
LINES_READ = "order_lines.packs_restocked < order_lines.packs"
# Unrounded kronor (payers): SQLite sums REAL in the order it reads the lines.
CLOSE = Decimal("0.000001")


def costs() -> list[tuple]:
    rows = db.session.scalars(
        sa.select(PatientYearCost).order_by(PatientYearCost.year,
                                            PatientYearCost.patient_id))  # fmt: skip
    names = ("year", "patient_id", "pump_system", "cgm_system", "device_cost_sek",
             "consumables_cost_sek", "total_cost_sek", "prescription_id",
             "prescriber_id", "pump_line_id", "cgm_line_id", "prescriber_line_id",
             "pump_part_sek", "cgm_part_sek")  # fmt: skip
    return [tuple(getattr(row, name) for name in names) for row in rows]


def _kronor(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(CLOSE)


def payers(rows=None) -> list[tuple]:
    if rows is None:
        payer = PatientYearPayer.__table__
        rows = db.session.execute(
            sa.select(payer.c.year, payer.c.clinic_id, payer.c.patient_id,
                      payer.c.cost_centre, payer.c.units, payer.c.device_sek,
                      payer.c.consumables_sek, payer.c.vat_sek))  # fmt: skip
    found = [(year, clinic, patient, centre, int(units),
              _kronor(device), _kronor(consumables), _kronor(vat))
             for year, clinic, patient, centre, units, device, consumables, vat
             in rows]  # fmt: skip
    return sorted(found, key=repr)


def lines_read_during(action) -> int:
    """How many statements `action` runs that read lines for their costs."""
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    return sum(LINES_READ in statement for statement in statements)


def new_lines(world) -> None:  # noqa: F811
    """New deliveries in 2025 for a few patients: on their prescriptions, as
    imported history, and on a new prescription at another clinic."""
    clinics = world["clinics"]
    prescriptions = db.session.scalars(
        sa.select(Prescription).order_by(Prescription.id)).all()  # fmt: skip
    for prescription in prescriptions[::7]:
        f.make_delivery(prescription.patient, prescription, date(2025, 11, 3),
                        packs=2)  # fmt: skip
    imported = db.session.scalars(
        sa.select(OrderLine).where(OrderLine.prescription_id.is_(None)).limit(1)
    ).one()
    f.make_delivered_line(imported.order.patient, imported.article,
                          date(2025, 10, 1), packs=1)  # fmt: skip
    mover = world["mover"]
    sets = next(p.article for p in prescriptions if p.patient_id == mover.id
                and p.article.category != "pump")  # fmt: skip
    at_west = f.make_prescription(mover, sets, world["prescribers"][1],
                                  clinic=clinics[2],
                                  valid_from=date(2025, 10, 1))  # fmt: skip
    f.make_delivery(mover, at_west, date(2025, 10, 20), packs=1)


def test_an_incremental_run_stores_what_a_first_run_does(world):  # noqa: F811
    new_lines(world)
    counted: list[int] = []
    counted.append(lines_read_during(lambda: counted.append(
        run_year(2025).full)))  # fmt: skip
    assert counted == [False, 1]  # incremental; its lines read once
    after_incremental = costs(), payers()
    assert (world["mover"].id, world["clinics"][2].id) in {
        (patient, clinic) for _y, clinic, patient, *_rest in after_incremental[1]
    }

    # The year from scratch: its first run stores every row and payer.
    db.session.execute(sa.delete(FollowupRun).where(FollowupRun.year == 2025))
    db.session.execute(sa.delete(PatientYearPayer).where(PatientYearPayer.year == 2025))
    db.session.execute(sa.delete(PatientYearCost).where(PatientYearCost.year == 2025))
    db.session.commit()
    reads = lines_read_during(lambda: run_year(2025))

    assert reads == 1
    assert (costs(), payers()) == after_incremental


def test_a_rerun_with_nothing_changed_reads_the_lines_once(world):  # noqa: F811
    """A full rerun of a year with no line written since its last run (each
    line counts as written yesterday) and no figure changed stores no payers:
    it reads the lines for the costs alone, and keeps the payers as they were."""
    yesterday = datetime.now(UTC) - timedelta(days=1)
    db.session.execute(sa.update(OrderLine).values(updated_at=yesterday))
    db.session.commit()
    run_year(2025, full=True)  # the lines' own run: all written before it
    before = costs(), payers()

    reads = lines_read_during(lambda: run_year(2025, full=True))

    assert reads == 1
    assert (costs(), payers()) == before


def test_the_stored_payers_are_what_the_lines_say(world):  # noqa: F811
    new_lines(world)
    run_year(2025)  # incremental
    run_year(2025, full=True)  # a rerun: its changed patients' payers
    db.session.commit()
    for year in (2024, 2025):
        from_lines = db.session.execute(payer_rows(year)).all()
        stored = [row for row in payers() if row[0] == year]
        assert stored == payers(from_lines)


def test_a_run_compiles_its_temporary_tables_once(world):  # noqa: F811
    """A run's CREATE TEMPORARY TABLE ... AS statements are cached as their
    selects are: the next incremental run compiles none of them again (before,
    they were never cached, and compiling them cost SQLite more than running
    an incremental run's statements)."""
    run_year(2025)
    new_lines(world)
    run_year(2025)  # incremental: compiles its statements
    new_lines(world)
    compiled: list[str] = []

    def seen(_conn, _cursor, statement, _params, context, _many) -> None:
        if statement.startswith("CREATE TEMPORARY TABLE"):
            if context.cache_hit != context.dialect.CACHE_HIT:
                compiled.append(statement[:60])

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        result = run_year(2025)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert not result.full
    assert compiled == []


def swaps_returns_and_moves(world) -> int:  # noqa: F811
    """Changes an incremental run must follow as a first run would: a pump
    swapped under warranty, packs put back on stock, a pharmacy delivery on a
    prescription, and a patient whose only line of 2025 moves to 2024
    (returns the id of that patient, who has nothing left in 2025)."""
    from sesamlike.catalog.models import Article

    lines = sa.select(OrderLine).join(Article, Article.id == OrderLine.article_id)
    pump = db.session.scalars(lines.where(Article.category == "pump")
                              .order_by(OrderLine.id).limit(1)).one()  # fmt: skip
    swap = f.make_delivered_line(pump.order.patient, pump.article, date(2025, 5, 2),
                                 prescription_id=pump.prescription_id,
                                 replaces_line_id=pump.id,
                                 amortised_line_id=pump.id)  # fmt: skip
    pump.status, pump.returned_on = "returned", date(2025, 5, 1)
    on_prescription = lines.where(
        Article.amortisation_years.is_(None),
        OrderLine.prescription_id.is_not(None),
        OrderLine.packs > 1,
        OrderLine.delivered_on >= date(2025, 1, 1),
        OrderLine.order_id != swap.order_id,
    ).order_by(OrderLine.id)
    partly, wholly = db.session.scalars(on_prescription.limit(2)).all()
    partly.packs_returned = partly.packs_restocked = 1
    wholly.packs_returned = wholly.packs_restocked = wholly.packs
    wholly.status, wholly.returned_on = "returned", date(2025, 12, 1)
    sensors = db.session.scalars(
        lines.where(Article.channel == "pharmacy",
                    OrderLine.prescription_id.is_not(None)).limit(1)).one()  # fmt: skip
    prescription = db.session.get(Prescription, sensors.prescription_id)
    f.make_delivery(prescription.patient, prescription, date(2025, 8, 8), packs=2)
    # A patient with one line in 2025, computed; then that line is 2024's.
    newcomer = f.make_patient(world["clinics"][0])
    only = f.make_delivered_line(newcomer, sensors.article, date(2025, 1, 5))
    db.session.commit()
    assert not run_year(2025).full
    assert newcomer.id in {row[1] for row in costs()}
    only.delivered_on = date(2024, 12, 30)
    db.session.commit()
    return newcomer.id


def test_an_incremental_run_after_swaps_returns_and_moves_stores_what_a_first_run_does(
    world,  # noqa: F811
):
    gone = swaps_returns_and_moves(world)
    result = run_year(2025)
    assert not result.full and result.removed == 1
    after_incremental = costs(), payers()
    assert gone not in {row[1] for row in after_incremental[0] if row[0] == 2025}
    assert gone not in {row[2] for row in after_incremental[1] if row[0] == 2025}

    db.session.execute(sa.delete(FollowupRun).where(FollowupRun.year == 2025))
    db.session.execute(sa.delete(PatientYearPayer).where(PatientYearPayer.year == 2025))
    db.session.execute(sa.delete(PatientYearCost).where(PatientYearCost.year == 2025))
    db.session.commit()
    run_year(2025)

    assert (costs(), payers()) == after_incremental


def test_an_incremental_run_drops_a_payer_that_pays_nothing_of_the_year_any_more(
    world,  # noqa: F811
):
    """A patient keeps its other payers and loses one: the delivery at the new
    clinic is cancelled. The incremental run removes that payer, keeps the
    patient's others as the lines say, and leaves other patients' alone."""
    new_lines(world)
    assert not run_year(2025).full
    mover, west = world["mover"].id, world["clinics"][2].id

    def payers_of(patient: int) -> set[int | None]:
        return {clinic for year, clinic, who, *_rest in payers()
                if year == 2025 and who == patient}  # fmt: skip

    before = payers_of(mover)
    assert west in before and len(before) > 1
    others = [row for row in payers() if row[2] != mover]
    at_west = db.session.scalars(
        sa.select(OrderLine)
        .join(Prescription, Prescription.id == OrderLine.prescription_id)
        .where(OrderLine.patient_id == mover, Prescription.clinic_id == west)
    ).one()
    at_west.status = "cancelled"
    db.session.commit()

    assert not run_year(2025).full
    db.session.commit()
    assert payers_of(mover) == before - {west}
    assert [row for row in payers() if row[2] != mover] == others
    from_lines = db.session.execute(payer_rows(2025)).all()
    assert [row for row in payers() if row[0] == 2025] == payers(from_lines)
