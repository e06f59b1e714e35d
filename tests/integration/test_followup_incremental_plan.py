"""An incremental run reads its few patients' lines by the patients' index.

On SQLite without statistics, a test on an indexed column draws the planner to
that index: "no warranty chain" (amortised_line_id IS NULL, true of nearly every
line) and "delivered or returned" made it read every line of the region and test
each for the patients in scope. At 20,000 patients an incremental run of 200
took 0.51 s instead of 0.09 s, and at 100,000 over half of a full run.
"""

from datetime import date

import pytest
import sqlalchemy as sa

from sesamlike.extensions import db
from sesamlike.followup.amounts import Amounts
from sesamlike.followup.compute import (
    line_costs,
    line_groups,
    replacement_costs,
    year_costs,
)
from sesamlike.orders.models import Order
from tests.factories import (
    make_article,
    make_clinic,
    make_delivery,
    make_patient,
    make_prescription,
)

BROAD = (
    "ix_order_lines_status",
    "ix_order_lines_amortised_line_id (amortised_line_id=?)",
)


@pytest.fixture
def region_with_a_swap():
    clinic = make_clinic("NORR")
    patient = make_patient(clinic)
    pump = make_article(category="pump", amortisation_years=4)
    first = make_delivery(patient, make_prescription(patient, pump), date(2024, 3, 1))
    again = make_delivery(patient, make_prescription(patient, pump), date(2025, 2, 1))
    swap = again.lines[0]
    swap.amortised_line_id = swap.replaces_line_id = first.lines[0].id
    db.session.commit()
    return patient


def plan(select: sa.Select) -> list[str]:
    compiled = select.compile(db.engine, compile_kwargs={"literal_binds": True})
    rows = db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}"))
    return [row[-1] for row in rows]


def test_an_incremental_run_finds_the_lines_through_the_patients_index(
    region_with_a_swap,
):
    """By the patient on the line, the year's range of delivery days within
    it: before, through every order of the patient in every year, one probe of
    the lines' order index each (17 orders a patient at 500,000 x 5)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL plans with its statistics")
    scope = sa.select(Order.patient_id).where(Order.patient_id == region_with_a_swap.id)
    select = line_costs(2025, scope, amounts=Amounts.for_session(), payer=True)
    steps = plan(select)

    by_patient = "SEARCH order_lines USING INDEX ix_order_lines_patient_id_delivered_on"
    replacements = (
        "SEARCH order_lines USING INDEX ix_order_lines_replacements_patient_id"
    )
    lines = [step for step in steps if step.startswith("SEARCH order_lines")]
    assert [step.split(" (")[0] for step in lines] == [by_patient, replacements], steps
    broad = [step for step in steps if any(index in step for index in BROAD)]
    assert broad == [], steps


def test_an_incremental_run_finds_its_patients_replacements_among_replacements(
    region_with_a_swap,
):
    """The warranty replacements' arm reads the patients' entries of an index
    of replacements only (migration 0028): before, it read every line of each
    patient in scope to find the few that continue a chain (PostgreSQL: every
    line's index entry, 115,698 for 5,000 patients at 500,000 x 5)."""
    if db.engine.dialect.name != "sqlite":
        # PostgreSQL plans with its statistics (a test database has none
        # worth the name): the bench's plan at 500,000 x 5 is in the closing
        # note. Here: the index is there, of replacements only.
        definition = db.session.scalar(
            sa.text("SELECT indexdef FROM pg_indexes WHERE tablename = 'order_lines' "
                    "AND indexname = 'ix_order_lines_replacements_patient_id'")
        )  # fmt: skip
        assert definition is not None
        assert definition.endswith("(patient_id) WHERE (amortised_line_id IS NOT NULL)")
        return
    scope = sa.select(Order.patient_id).where(Order.patient_id == region_with_a_swap.id)
    steps = plan(replacement_costs(2025, scope, amounts=Amounts.for_session()))

    replacements = (
        "SEARCH order_lines USING INDEX ix_order_lines_replacements_patient_id"
    )
    assert any(step.startswith(replacements) for step in steps), steps


def test_a_full_run_finds_the_warranty_replacements_by_their_chain(
    region_with_a_swap,
):
    """Read for every patient, the replacements (few) come from the chains'
    index: before, SQLite read nearly every line through the delivery days'
    index to find them (100,000 patients: a second of a rerun's five)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL plans with its statistics")
    steps = plan(line_costs(2025, amounts=Amounts.for_session()))

    assert not [step for step in steps if "ix_order_lines_delivered_on" in step], steps
    chain = "ix_order_lines_amortised_line_id (amortised_line_id>?)"
    assert any(chain in step for step in steps), steps


@pytest.mark.parametrize("grouped", [year_costs, line_groups])
def test_a_full_run_takes_each_line_one_step_to_its_grouping(
    region_with_a_swap, grouped
):
    """With a warranty replacement in the region, the replacements' parts are
    a second arm beside the plain lines' parts: before, the lines were a union
    SQLite could not merge into the parts' select, and every line took one
    more step (a co-routine of its own) through it, about an eighth of a full
    rerun's pass over the lines at 100,000 patients."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL plans with its statistics")
    steps = plan(grouped(2025))

    assert any("order_lines" in step for step in steps), steps
    assert not [step for step in steps if step.startswith("CO-ROUTINE lines")], steps


def test_on_postgresql_the_patients_in_scope_are_one_array_to_probe_by(
    region_with_a_swap,
):
    """As a plain IN over the scope's table, PostgreSQL's planner estimated
    each patient's lines by the heap order of the patients' index and read
    every line of the region in parallel instead, joining them to the patients
    in scope: 5.1 s against under 1 s at 500,000 patients x 5 years. An array
    it cannot see into keeps it on the index."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes the index by itself (the tests above)")
    scope = sa.select(Order.patient_id).where(Order.patient_id == region_with_a_swap.id)
    select = line_costs(2025, scope, amounts=Amounts.for_session(), payer=True)
    sql = str(select.compile(db.engine))

    # The plain lines and the warranty replacements: each arm so.
    assert sql.count("order_lines.patient_id = ANY (ARRAY((SELECT") == 2, sql
    assert "patient_id IN" not in sql, sql


def test_an_incremental_run_finds_its_patients_by_the_lines_last_change(
    region_with_a_swap,
):
    """SQLite, without statistics, walked the whole patient index of the lines
    (in the order DISTINCT wants) and tested each line's updated_at: 177 ms
    against 1 ms at 20,000 patients, a quarter of an incremental run."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL plans with its statistics")
    from datetime import UTC, datetime

    from sesamlike.followup.runs import changed_patients

    steps = plan(changed_patients(datetime(2026, 1, 1, tzinfo=UTC)))

    assert any(
        "SEARCH order_lines USING INDEX ix_order_lines_updated_at" in step
        for step in steps
    ), steps


def test_on_postgresql_who_pays_comes_from_the_patients_prescription_index(
    region_with_a_swap,
):
    """An incremental run looks up the payer (clinic, cost centre) of each
    prescription its patients' lines name. By the primary key that was a
    scattered table row each: 0.66 s of an incremental run of 5,000 patients at
    500,000 x 5. By patient and id it is the patient's entries of one index,
    side by side, which also carry the payer."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no INCLUDE (and reads its lines otherwise)")
    scope = sa.select(Order.patient_id).where(Order.patient_id == region_with_a_swap.id)
    sql = str(line_groups(2025, scope, few=True).compile(db.engine))

    assert "prescriptions.patient_id = per_prescription.patient_id" in sql, sql
    definition = db.session.scalar(
        sa.text("SELECT indexdef FROM pg_indexes WHERE tablename = 'prescriptions' "
                "AND indexname = 'ix_prescriptions_patient_payer'")
    )  # fmt: skip
    assert definition is not None
    assert "(patient_id, id) INCLUDE (clinic_id, cost_centre)" in definition


def _known_rows() -> float:
    return db.session.scalar(
        sa.text("SELECT reltuples FROM pg_class "
                "WHERE oid = 'patient_year_costs'::regclass")
    )  # fmt: skip


def test_on_postgresql_a_run_that_wrote_many_rows_leaves_their_statistics_right():
    """A region's first run into tables analyzed (nearly) empty, with
    autovacuum off or not yet round: the planner went on counting the 200 rows
    it had seen, and the next night's incremental run read the whole table for
    each of its patients' stored rows (500,000 patients x 5 years: 117 s, not
    1). A run that writes many rows against the statistics analyzes them; a
    run that writes a few leaves that to autovacuum."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's runs plan without statistics")
    from sesamlike.followup.runs import run_year

    clinic = make_clinic("NORR")
    sets = make_article(category="infusion_set")
    for _ in range(60):
        patient = make_patient(clinic)
        make_delivery(patient, make_prescription(patient, sets), date(2025, 3, 1))
    db.session.execute(sa.text("ANALYZE patient_year_costs"))
    db.session.commit()
    assert _known_rows() <= 0  # analyzed empty (or never)

    run_year(2025, full=True)
    assert _known_rows() == 60

    # One more patient: a few rows against 60 known, left to autovacuum.
    patient = make_patient(clinic)
    make_delivery(patient, make_prescription(patient, sets), date(2025, 4, 1))
    run_year(2025, full=True)
    assert db.session.scalar(sa.text("SELECT count(*) FROM patient_year_costs")) == 61
    assert _known_rows() == 60
