"""The SQL computation of annual cost: hand-computed cases, reference, incremental."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.common.time import region_today, utcnow
from sesamlike.extensions import db
from sesamlike.followup import rules
from sesamlike.followup.lines import load_cost_lines
from sesamlike.followup.models import FollowupRun, PatientYearCost
from sesamlike.followup.runs import run_year
from tests import factories as f


@pytest.fixture
def kit():
    """A small catalogue: two pump systems, Libre, with consumables."""
    s640 = f.make_system("MiniMed 640G")
    tslim = f.make_system("t:slim X2")
    omni = f.make_system("Omnipod 5")
    libre = f.make_system("FreeStyle Libre 2", "cgm")
    device = dict(
        units_per_day=None,
        amortisation_years=4,
        serial_tracked=True,
        pack_size=1,
        benefit=False,
    )
    return dict(
        p640=f.make_article(
            category="pump",
            systems=[s640],
            pack_price_sek=Decimal("30000.00"),
            **device,
        ),
        tslim=f.make_article(
            category="pump",
            systems=[tslim],
            pack_price_sek=Decimal("38000.00"),
            **device,
        ),
        reader=f.make_article(
            category="cgm_reader",
            systems=[libre],
            pack_price_sek=Decimal("650.00"),
            **device,
        ),
        sets=f.make_article(
            category="infusion_set", systems=[s640], pack_price_sek=Decimal("1150.00")
        ),
        pods=f.make_article(
            category="pod",
            systems=[omni],
            channel="pharmacy",
            pack_price_sek=Decimal("2950.00"),
        ),
        sensor=f.make_article(
            category="cgm_sensor",
            systems=[libre],
            pack_size=1,
            channel="pharmacy",
            pack_price_sek=Decimal("550.00"),
        ),
        odd=f.make_article(
            category="accessory",
            pack_size=1,
            channel="pharmacy",
            pack_price_sek=Decimal("12.34"),
        ),
    )


def stored(year):
    rows = db.session.scalars(
        sa.select(PatientYearCost).where(PatientYearCost.year == year)
    )
    return {row.patient_id: row for row in rows}


def test_sql_gives_the_hand_computed_costs(kit):
    clinic = f.make_clinic()
    a, b, c, d, e, g = (f.make_patient(clinic) for _ in range(6))
    f.make_delivered_line(a, kit["p640"], date(2025, 7, 1))
    f.make_delivered_line(
        b, kit["p640"], date(2024, 3, 1), returned_on=date(2025, 4, 15)
    )
    f.make_delivered_line(c, kit["pods"], date(2025, 2, 3), packs=3)
    f.make_delivered_line(c, kit["sets"], date(2025, 2, 3), packs=2)
    f.make_delivered_line(
        d, kit["p640"], date(2022, 3, 1), returned_on=date(2025, 5, 1)
    )
    f.make_delivered_line(d, kit["tslim"], date(2025, 5, 1))
    f.make_delivered_line(e, kit["reader"], date(2024, 6, 10))
    f.make_delivered_line(e, kit["sensor"], date(2025, 1, 20), packs=26)
    f.make_delivered_line(g, kit["odd"], date(2025, 6, 1))
    f.make_delivered_line(g, kit["sets"], date(2025, 6, 1), status="cancelled")

    result = run_year(2025, full=True)

    rows = stored(2025)
    assert result.patients == 6
    assert rows[a.id].total_cost_sek == Decimal("3780.82")
    assert rows[a.id].pump_system == "MiniMed 640G"
    assert rows[b.id].device_cost_sek == Decimal("2136.99")
    assert rows[c.id].consumables_cost_sek == Decimal("13362.50")
    assert rows[c.id].pump_system is None
    assert rows[d.id].pump_system == "t:slim X2"
    assert rows[d.id].device_cost_sek == Decimal("8842.47")
    assert (rows[e.id].pump_system, rows[e.id].cgm_system) == (
        None,
        "FreeStyle Libre 2",
    )
    assert rows[e.id].total_cost_sek == Decimal("18037.50")
    assert rows[g.id].total_cost_sek == Decimal("15.43")  # 15.425 rounds half up


def test_a_leap_year_in_sql_has_366_days(kit):
    patient = f.make_patient(f.make_clinic())
    f.make_delivered_line(patient, kit["p640"], date(2024, 1, 1))
    for year, expected in ((2024, "7520.55"), (2027, "7479.45")):
        run_year(year, full=True)
        assert stored(year)[patient.id].device_cost_sek == Decimal(expected)
    run_year(2028, full=True)
    assert stored(2028) == {}


def _python_costs(year):
    return rules.costs_by_patient(load_cost_lines(), year, region_today())


def _as_tuples(costs):
    return {pid: (c.pump_system, c.cgm_system, c.device_cost_sek,
                  c.consumables_cost_sek, c.total_cost_sek,
                  c.pump_part_sek, c.cgm_part_sek)
            for pid, c in costs.items()}  # fmt: skip


@pytest.mark.slow
def test_sql_and_python_agree_on_a_generated_region():
    from sesamlike.accounts.models import Clinic
    from sesamlike.demo.generate import generate_region
    from sesamlike.followup.cost_centres import cost_centre_sums
    from sesamlike.followup.scope import resolve

    generate_region(300, 2, seed=7)
    db.session.commit()
    region = resolve(f.make_user("region"), None)
    for year in (region_today().year - 1, region_today().year):
        run_year(year, full=True)
        expected = _as_tuples(_python_costs(year))
        got = _as_tuples(stored(year))
        assert len(got) > 250
        assert got == expected
        # Who paid: each cost centre's sums, from the run's stored payers.
        centres = sorted(
            (c.cost_centre, c.clinic_code, c.patients, c.device_cost_sek,
             c.consumables_cost_sek, c.vat_sek)
            for c in cost_centre_sums(region, year)
        )  # fmt: skip
        codes = dict(db.session.execute(sa.select(Clinic.id, Clinic.code)).all())
        sums = rules.cost_centre_sums(load_cost_lines(), year, region_today())
        assert len(centres) >= 2
        assert centres == sorted(
            (centre, codes.get(clinic_id), s["patients"], s["device_cost_sek"],
             s["consumables_cost_sek"], s["vat_sek"])
            for (centre, clinic_id), s in sums.items()
        )  # fmt: skip


def _written_yesterday():
    """Lines written well before the first run (beyond its safety margin)."""
    from sesamlike.orders.models import OrderLine

    yesterday = utcnow() - timedelta(days=1)
    db.session.execute(sa.update(OrderLine).values(updated_at=yesterday))
    db.session.commit()


def test_incremental_run_recomputes_only_changed_patients_and_matches_full(kit):
    clinic = f.make_clinic()
    patients = [f.make_patient(clinic) for _ in range(4)]
    for patient in patients:
        f.make_delivered_line(patient, kit["p640"], date(2024, 5, 1))
        f.make_delivered_line(patient, kit["sets"], date(2025, 2, 1), packs=3)
    _written_yesterday()
    first = run_year(2025)
    assert first.full and first.patients == 4
    before = {pid: row.computed_at for pid, row in stored(2025).items()}

    changed = patients[1]
    f.make_delivered_line(changed, kit["sets"], date(2025, 9, 1), packs=2)
    line = f.make_delivered_line(patients[2], kit["sensor"], date(2025, 3, 1))
    line.status = "cancelled"  # an update: that patient is recomputed too
    db.session.commit()

    second = run_year(2025)
    after = stored(2025)
    assert not second.full
    assert second.patients == 2  # the two with a changed line were computed
    assert second.changed == 1  # only one of them costs something else now
    rewritten = {pid for pid in after if after[pid].computed_at != before[pid]}
    assert rewritten == {changed.id}
    assert after[changed.id].consumables_cost_sek == Decimal("5750.00")

    incremental = _as_tuples(after)
    run_year(2025, full=True)
    assert _as_tuples(stored(2025)) == incremental
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowupRun)) == 3


def test_a_full_rerun_with_nothing_changed_rewrites_no_row(kit):
    patients = [f.make_patient(f.make_clinic()) for _ in range(3)]
    for patient in patients:
        f.make_delivered_line(patient, kit["p640"], date(2024, 5, 1))
        f.make_delivered_line(patient, kit["sets"], date(2025, 2, 1), packs=3)
    first = run_year(2025, full=True)
    assert (first.patients, first.changed) == (3, 3)
    before = {pid: (row.computed_at, row.total_cost_sek)
              for pid, row in stored(2025).items()}  # fmt: skip
    again = run_year(2025, full=True)
    assert (again.patients, again.changed, again.removed) == (3, 0, 0)
    db.session.expire_all()
    after = {pid: (row.computed_at, row.total_cost_sek)
             for pid, row in stored(2025).items()}  # fmt: skip
    assert after == before


def test_a_patient_whose_only_line_is_cancelled_loses_the_row(kit):
    patient = f.make_patient(f.make_clinic())
    line = f.make_delivered_line(patient, kit["sets"], date(2025, 2, 1))
    run_year(2025)
    assert patient.id in stored(2025)
    line.status = "cancelled"
    db.session.commit()
    result = run_year(2025)
    assert result.removed == 1 and stored(2025) == {}


def test_a_catalogue_change_makes_the_next_run_full(kit):
    patient = f.make_patient(f.make_clinic())
    f.make_delivered_line(patient, kit["p640"], date(2025, 1, 1))
    run_year(2025)
    assert stored(2025)[patient.id].device_cost_sek == Decimal("7500.00")
    kit["p640"].amortisation_years = 5
    db.session.commit()
    result = run_year(2025)
    assert result.full
    assert stored(2025)[patient.id].device_cost_sek == Decimal("6000.00")


def test_the_nightly_job_computes_this_and_last_year(kit):
    from datetime import UTC, datetime

    from sesamlike.followup import jobs

    patient = f.make_patient(f.make_clinic())
    f.make_delivered_line(patient, kit["p640"], date(2024, 7, 1))
    _written_yesterday()
    counts = jobs.run(datetime(2025, 6, 1, 2, 0, tzinfo=UTC))
    assert counts["patients_2024"] == 1 and counts["patients_2025"] == 1
    assert counts["patients"] == 2 and counts["full_2025"] == 1
    again = jobs.run(datetime(2025, 6, 2, 2, 0, tzinfo=UTC))
    assert again["patients"] == 0 and again["full_2025"] == 0
    assert len(stored(2025)) == 1  # nothing changed, nothing removed


def test_a_catalogue_change_reaches_earlier_years_in_the_nightly_job(kit):
    """A pump delivered on 1 January 2022 was in use in 2022-2025: a changed
    amortisation period changes each of those years, not only the two the
    nightly job keeps up to date."""
    from datetime import UTC, datetime

    from sesamlike.followup import jobs

    patient = f.make_patient(f.make_clinic())
    f.make_delivered_line(patient, kit["p640"], date(2022, 1, 1))
    for year in (2022, 2023):
        run_year(year)
        assert stored(year)[patient.id].device_cost_sek == Decimal("7500.00")
    _written_yesterday()
    kit["p640"].amortisation_years = 5
    db.session.commit()
    counts = jobs.run(datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
    assert (counts["full_2022"], counts["full_2023"]) == (1, 1)
    for year in (2022, 2023):
        assert stored(year)[patient.id].device_cost_sek == Decimal("6000.00")
    again = jobs.run(datetime(2026, 6, 2, 2, 0, tzinfo=UTC))
    assert "patients_2022" not in again  # up to date: not run every night


def test_the_weekly_job_catches_a_return_dated_back_into_an_earlier_year(kit):
    """The pump came back on 2 July 2023, recorded in 2026: 182 days of 2023."""
    from datetime import UTC, datetime

    from sesamlike.followup import jobs
    from sesamlike.orders.models import OrderLine

    patient = f.make_patient(f.make_clinic())
    line = f.make_delivered_line(patient, kit["p640"], date(2022, 1, 1))
    run_year(2023)
    assert stored(2023)[patient.id].device_cost_sek == Decimal("7500.00")
    db.session.execute(
        sa.update(OrderLine).where(OrderLine.id == line.id)
        .values(status="returned", returned_on=date(2023, 7, 2), updated_at=utcnow())
    )  # fmt: skip
    db.session.commit()
    counts = jobs.run_full(datetime(2026, 6, 7, 3, 0, tzinfo=UTC))
    assert counts["patients_2023"] == 1 and counts["full_2023"] == 0
    assert stored(2023)[patient.id].device_cost_sek == Decimal("3739.73")


def test_demo_minimed_640g_without_cgm_costs_about_30000_a_year():
    from sesamlike.demo import region

    region.load_demo_region()
    year = region_today().year - 1
    run_year(year, full=True)
    rows = db.session.scalars(
        sa.select(PatientYearCost).where(
            PatientYearCost.year == year,
            PatientYearCost.pump_system == "MiniMed 640G",
            PatientYearCost.cgm_system.is_(None),
            # a whole year on the pump: 30,000 / 4
            PatientYearCost.device_cost_sek == Decimal("7500.00"),
        )
    ).all()
    assert len(rows) >= 3
    total = sum(r.total_cost_sek for r in rows) / len(rows)
    share = sum(r.consumables_cost_sek for r in rows) / sum(
        r.total_cost_sek for r in rows
    )
    assert Decimal(27000) < total < Decimal(33000), total
    assert Decimal("0.70") < share < Decimal("0.80"), share
    # TLV's figure is the pump system without CGM: every whole-year MiniMed 640G
    # user's pump part (with or without a sensor beside it), a little over 30,000
    # SEK with about three quarters consumables. Deliveries follow expected use:
    # a renewed pump's first withdrawal no longer doubles the old one's last.
    parts = db.session.scalars(
        sa.select(PatientYearCost.pump_part_sek).where(
            PatientYearCost.year == year,
            PatientYearCost.pump_system == "MiniMed 640G",
            PatientYearCost.device_cost_sek == Decimal("7500.00"),
        )
    ).all()
    assert len(parts) >= 8
    pump_part = sum(parts) / len(parts)
    assert Decimal(28000) < pump_part < Decimal(32000), pump_part
    consumables = (pump_part - Decimal(7500)) / pump_part
    assert Decimal("0.70") < consumables < Decimal("0.80"), consumables
    # The report's first screen says so (every 640G user without CGM that year).
    from sesamlike.followup.scope import resolve
    from sesamlike.followup.system_parts import pump_systems_without_cgm

    shown = {
        row.system: row
        for row in pump_systems_without_cgm(resolve(f.make_user("region"), None), year)
    }["MiniMed 640G"]
    assert Decimal(27000) < shown.mean < Decimal(33000), shown
    assert Decimal("0.70") < shown.consumables_share < Decimal("0.80"), shown


def test_the_prescriber_is_the_pump_prescriber_else_of_the_last_delivery(kit):
    clinic = f.make_clinic()
    doctor = f.make_user("prescriber", clinics=[clinic])
    nurse = f.make_user("prescriber", clinics=[clinic])
    on_pump, sets_only = f.make_patient(clinic), f.make_patient(clinic)
    pump_rx = f.make_prescription(on_pump, kit["p640"], doctor)
    sets_rx = f.make_prescription(on_pump, kit["sets"], nurse)
    f.make_delivered_line(on_pump, kit["p640"], date(2025, 2, 1),
                          prescription_id=pump_rx.id)  # fmt: skip
    f.make_delivered_line(on_pump, kit["sets"], date(2025, 9, 1),
                          prescription_id=sets_rx.id)  # fmt: skip
    first = f.make_prescription(sets_only, kit["sets"], doctor)
    last = f.make_prescription(sets_only, kit["sets"], nurse)
    f.make_delivered_line(sets_only, kit["sets"], date(2025, 2, 1),
                          prescription_id=first.id)  # fmt: skip
    f.make_delivered_line(sets_only, kit["sets"], date(2025, 5, 1),
                          prescription_id=last.id)  # fmt: skip
    run_year(2025, full=True)
    rows = stored(2025)
    assert rows[on_pump.id].prescriber_id == doctor.id
    assert rows[sets_only.id].prescriber_id == nurse.id


def test_a_run_never_removes_a_row_written_after_it_started(kit):
    """Two overlapping runs: the later one's row for a patient the earlier run's
    stage did not have survives the earlier run; an older stale row goes."""
    clinic = f.make_clinic()
    kept, late, stale = (f.make_patient(clinic) for _ in range(3))
    f.make_delivered_line(kept, kit["sets"], date(2025, 2, 1))
    started = utcnow()
    zero = Decimal("0.00")
    for patient, at in ((late, started + timedelta(seconds=5)),
                        (stale, started - timedelta(days=1))):  # fmt: skip
        db.session.add(PatientYearCost(
            patient_id=patient.id, year=2025, device_cost_sek=zero,
            consumables_cost_sek=zero, total_cost_sek=zero, computed_at=at,
        ))  # fmt: skip
    db.session.commit()

    result = run_year(2025, full=True, now=started)

    assert (result.removed, result.patients) == (1, 1)  # the later row not counted
    assert set(stored(2025)) == {kept.id, late.id}


def test_sensors_of_two_systems_go_to_the_one_with_most_units(kit):
    """The few patients whose sensors are of several systems are settled by units
    summed per system, then by name, as the Python rules do."""
    libre3 = f.make_system("FreeStyle Libre 3", "cgm")
    other = f.make_article(category="cgm_sensor", systems=[libre3], pack_size=1,
                           pack_price_sek=Decimal("600.00"))  # fmt: skip
    clinic = f.make_clinic()
    more_of_3, tie, one_line_more = (f.make_patient(clinic) for _ in range(3))
    # Libre 2 has more lines, Libre 3 more units.
    for day in (10, 11, 12):
        f.make_delivered_line(more_of_3, kit["sensor"], date(2025, 1, day))
    f.make_delivered_line(more_of_3, other, date(2025, 2, 1), packs=4)
    # Equal units: the first name wins ("FreeStyle Libre 2").
    f.make_delivered_line(tie, kit["sensor"], date(2025, 3, 1), packs=2)
    f.make_delivered_line(tie, other, date(2025, 3, 2), packs=2)
    # Libre 3 sensors from the year before do not count.
    f.make_delivered_line(one_line_more, other, date(2024, 12, 1), packs=9)
    f.make_delivered_line(one_line_more, kit["sensor"], date(2025, 4, 1))

    run_year(2025, full=True)

    rows = stored(2025)
    assert rows[more_of_3.id].cgm_system == "FreeStyle Libre 3"
    assert rows[tie.id].cgm_system == "FreeStyle Libre 2"
    assert rows[one_line_more.id].cgm_system == "FreeStyle Libre 2"
    assert _as_tuples(rows) == _as_tuples(_python_costs(2025))


def test_a_renamed_system_reaches_rows_whose_figures_did_not_change(kit):
    """A rerun compares amounts and source lines, not names; a catalogue change
    makes it look every row's systems up again."""
    patient = f.make_patient(f.make_clinic())
    f.make_delivered_line(patient, kit["p640"], date(2025, 1, 1))
    f.make_delivered_line(patient, kit["sensor"], date(2025, 2, 1))
    run_year(2025, full=True)
    assert stored(2025)[patient.id].pump_system == "MiniMed 640G"
    system = kit["p640"].systems[0]
    system.name = "MiniMed 640G (ny)"
    db.session.commit()

    result = run_year(2025, full=True)

    assert result.changed == 1
    assert stored(2025)[patient.id].pump_system == "MiniMed 640G (ny)"
    assert run_year(2025, full=True).changed == 0


def test_rows_remember_the_lines_their_systems_and_prescriber_come_from(kit):
    patient = f.make_patient(f.make_clinic())
    old = f.make_delivered_line(patient, kit["p640"], date(2023, 1, 1),
                                returned_on=date(2025, 3, 1))  # fmt: skip
    new = f.make_delivered_line(patient, kit["tslim"], date(2025, 3, 1))
    reader = f.make_delivered_line(patient, kit["reader"], date(2024, 6, 1))
    f.make_delivered_line(patient, kit["sets"], date(2025, 8, 1))
    run_year(2025, full=True)
    row = stored(2025)[patient.id]
    assert old.id != new.id
    assert (row.pump_line_id, row.cgm_line_id, row.prescriber_line_id) == (
        new.id, reader.id, new.id)  # fmt: skip
    assert row.pump_system == "t:slim X2"


def test_a_catalogue_change_during_a_run_stores_nothing(kit, monkeypatch):
    """The run's statements read the catalogue one by one; should it change in
    between (on PostgreSQL another session may commit meanwhile), the run
    stores nothing. Here the change is made in the run's own transaction, which
    its statements see just as they would a committed one."""
    from sesamlike.followup import runs, staging

    patient = f.make_patient(f.make_clinic())
    f.make_delivered_line(patient, kit["p640"], date(2025, 1, 1))
    run_year(2025, full=True)
    write_year = staging.write_year
    articles = kit["p640"].__table__

    def write_then_edit(*args, **kwargs):
        written = write_year(*args, **kwargs)
        db.session.execute(sa.update(articles)
                           .where(articles.c.id == kit["p640"].id)
                           .values(amortisation_years=5))  # fmt: skip
        return written

    monkeypatch.setattr(staging, "write_year", write_then_edit)
    f.make_delivered_line(patient, kit["sets"], date(2025, 3, 1))
    with pytest.raises(runs.CatalogueChangedDuringRun):
        run_year(2025, full=True)
    db.session.expire_all()
    assert stored(2025)[patient.id].total_cost_sek == Decimal("7500.00")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowupRun)) == 1


@pytest.mark.parametrize("years", [(3, 7), (9, 11, 13)], ids=["lcm-84", "lcm-5148"])
def test_odd_amortisation_years_cost_what_the_rules_say(kit, years):
    """Device parts are whole numbers scaled by the least common multiple of the
    catalogue's amortisation years on PostgreSQL (4, 3 and 7: 84), or NUMERIC
    when that multiple would be too large (4, 9, 11 and 13: 5148)."""
    clinic = f.make_clinic()
    for n, amortisation in enumerate(years):
        device = f.make_article(category="pump", systems=kit["p640"].systems,
                                pack_price_sek=Decimal("29999.99"),
                                amortisation_years=amortisation, units_per_day=None,
                                pack_size=1, serial_tracked=True)  # fmt: skip
        patient = f.make_patient(clinic)
        f.make_delivered_line(patient, device, date(2024, 2, 29 - n))
        f.make_delivered_line(patient, device, date(2025, 8, 1 + n),
                              returned_on=date(2025, 11, 30))  # fmt: skip
        f.make_delivered_line(patient, kit["pods"], date(2025, 3, 3), packs=n + 1)
    run_year(2025, full=True)
    got = _as_tuples(stored(2025))
    assert len(got) == len(years)
    assert got == _as_tuples(_python_costs(2025))
    if db.engine.dialect.name == "postgresql":
        from sesamlike.followup.amounts import Amounts

        assert Amounts.for_session().whole_numbers == (max(years) < 9)


@pytest.mark.parametrize("price, pumps", [("40000000.00", 2), ("60000000.00", 1)],
                         ids=["sum-past-64-bits", "line-past-64-bits"])  # fmt: skip
def test_a_year_past_64_bit_integers_is_computed_again_in_numeric(kit, price, pumps):
    """On PostgreSQL a run adds device parts in 64-bit integers (`sum_int8`).
    At the largest LCM (5, 7, 8 and 9 years: 2520) two 40 million kronor pumps
    in use all year pass them in their sum, one of 60 million in its own part:
    the run computes the year again in NUMERIC, and stores what the rules say
    (costs and payers). The second stopped the run before."""
    clinic = f.make_clinic()
    patient, other = f.make_patient(clinic), f.make_patient(clinic)
    pumps_of = []
    for amortisation in (5, 7, 8, 9):
        pumps_of.append(f.make_article(
            category="pump", systems=kit["p640"].systems,
            pack_price_sek=Decimal(price), amortisation_years=amortisation,
            units_per_day=None, pack_size=1, serial_tracked=True))  # fmt: skip
    for n in range(pumps):
        f.make_delivered_line(patient, pumps_of[0], date(2024, 6, 1 + n))
    f.make_delivered_line(patient, kit["sets"], date(2025, 2, 1))
    f.make_delivered_line(other, kit["p640"], date(2024, 5, 1))

    result = run_year(2025, full=True)

    assert result.patients == 2
    got = _as_tuples(stored(2025))
    assert got == _as_tuples(_python_costs(2025))
    row = stored(2025)[patient.id]
    # 365 of 1,826 days (5 years) of each pump.
    each = (Decimal(price) * 365 / (5 * rules.DAYS_PER_YEAR)).quantize(Decimal("0.01"))
    assert row.device_cost_sek == pumps * each
    payers = db.session.scalar(
        sa.text("SELECT sum(device_sek) FROM patient_year_payers "
                "WHERE year = 2025 AND patient_id = :p"),
        {"p": patient.id},
    )  # fmt: skip
    assert Decimal(payers).quantize(Decimal("0.01")) == row.device_cost_sek
    if db.engine.dialect.name == "postgresql":
        from sesamlike.followup.amounts import Amounts

        assert Amounts.for_session().lcm == 2520


def test_an_incremental_run_past_64_bit_integers_is_computed_again_in_numeric(kit):
    """The same for an incremental run: a 60 million kronor pump delivered
    after the last run (at the largest LCM) is computed again in NUMERIC, for
    the changed patient only; the others keep their rows."""
    clinic = f.make_clinic()
    patient, other = f.make_patient(clinic), f.make_patient(clinic)
    pumps = [f.make_article(category="pump", systems=kit["p640"].systems,
                            pack_price_sek=Decimal("60000000.00"),
                            amortisation_years=years, units_per_day=None,
                            pack_size=1, serial_tracked=True)
             for years in (5, 7, 8, 9)]  # fmt: skip
    f.make_delivered_line(patient, kit["sets"], date(2025, 2, 1))
    f.make_delivered_line(other, kit["p640"], date(2024, 5, 1))
    _written_yesterday()
    run_year(2025, full=True)
    f.make_delivered_line(patient, pumps[0], date(2025, 1, 1))

    result = run_year(2025)

    assert (result.full, result.patients) == (False, 1)
    assert _as_tuples(stored(2025)) == _as_tuples(_python_costs(2025))
    # 365 of 1,825 days: a fifth of the pump.
    assert stored(2025)[patient.id].device_cost_sek == Decimal("12000000.00")


def test_a_full_rerun_rewrites_the_row_whose_figures_changed(kit):
    """With the catalogue unchanged a full run compares first: the patient with
    a new delivery is rewritten, the other is left alone."""
    clinic = f.make_clinic()
    changed, same = f.make_patient(clinic), f.make_patient(clinic)
    for patient in (changed, same):
        f.make_delivered_line(patient, kit["p640"], date(2024, 5, 1))
        f.make_delivered_line(patient, kit["sets"], date(2025, 2, 1))
    run_year(2025, full=True)
    before = stored(2025)[same.id].computed_at
    f.make_delivered_line(changed, kit["sets"], date(2025, 10, 1), packs=2)

    result = run_year(2025, full=True)

    assert (result.full, result.changed) == (True, 1)
    rows = stored(2025)
    assert rows[changed.id].consumables_cost_sek == Decimal("3450.00")
    assert rows[same.id].computed_at == before
    assert _as_tuples(rows) == _as_tuples(_python_costs(2025))


def test_cgm_devices_without_a_day_or_a_system_cost_as_the_rules_say(kit):
    """A transmitter with no expected use lasts no day but still costs; a reader
    whose article has no CGM system gives the patient none, sensors or not."""
    transmitter = f.make_article(category="cgm_transmitter", units_per_day=None,
                                 pack_size=1,
                                 pack_price_sek=Decimal("2300.00"))  # fmt: skip
    bare_reader = f.make_article(category="cgm_reader", amortisation_years=4,
                                 units_per_day=None, pack_size=1,
                                 pack_price_sek=Decimal("730.00"))  # fmt: skip
    clinic = f.make_clinic()
    only_transmitter, reader_and_sensors = (
        f.make_patient(clinic),
        f.make_patient(clinic),
    )
    f.make_delivered_line(only_transmitter, transmitter, date(2025, 4, 1))
    f.make_delivered_line(reader_and_sensors, bare_reader, date(2025, 1, 1))
    f.make_delivered_line(reader_and_sensors, kit["sensor"], date(2025, 2, 1))

    run_year(2025, full=True)

    rows = stored(2025)
    assert rows[only_transmitter.id].consumables_cost_sek == Decimal("2300.00")
    assert rows[reader_and_sensors.id].cgm_system is None
    assert _as_tuples(rows) == _as_tuples(_python_costs(2025))


def test_half_an_ore_rounds_up_and_long_lived_devices_are_read(kit):
    """7.30 kr over 1,460 days is half an öre a day: one day rounds up to 0.01.
    A device amortised over 15 years, delivered 13 years back, still costs."""
    cheap = f.make_article(category="pump", systems=kit["p640"].systems,
                           amortisation_years=4, units_per_day=None, pack_size=1,
                           pack_price_sek=Decimal("7.30"))  # fmt: skip
    old = f.make_article(category="pump", systems=kit["tslim"].systems,
                         amortisation_years=15, units_per_day=None, pack_size=1,
                         pack_price_sek=Decimal("54750.00"))  # fmt: skip
    clinic = f.make_clinic()
    one_day, long_lived = f.make_patient(clinic), f.make_patient(clinic)
    f.make_delivered_line(one_day, cheap, date(2025, 12, 31))
    f.make_delivered_line(long_lived, old, date(2012, 6, 1))

    run_year(2025, full=True)

    rows = stored(2025)
    assert rows[one_day.id].device_cost_sek == Decimal("0.01")
    assert rows[long_lived.id].device_cost_sek == Decimal("3650.00")
    assert rows[long_lived.id].pump_system == "t:slim X2"
    assert _as_tuples(rows) == _as_tuples(_python_costs(2025))


def test_a_line_written_during_an_incremental_run_costs_no_row(kit, monkeypatch):
    """The run's patients are read once: a line written for another patient
    while it works does not put that patient in scope at removal time, where,
    not staged, the patient's row would be taken for stale."""
    from sesamlike.followup import staging

    clinic = f.make_clinic()
    changed, other = f.make_patient(clinic), f.make_patient(clinic)
    for patient in (changed, other):
        f.make_delivered_line(patient, kit["sets"], date(2025, 2, 1))
    _written_yesterday()
    run_year(2025)
    f.make_delivered_line(changed, kit["sets"], date(2025, 3, 1))
    write_year = staging.write_year

    def write_then_deliver(*args, **kwargs):
        written = write_year(*args, **kwargs)
        f.make_delivered_line(other, kit["sets"], date(2025, 4, 1), commit=False)
        return written

    monkeypatch.setattr(staging, "write_year", write_then_deliver)
    result = run_year(2025)

    assert (result.full, result.patients, result.removed) == (False, 1, 0)
    assert set(stored(2025)) == {changed.id, other.id}


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
def test_systems_and_prescriber_follow_the_lines_they_come_from(kit, full):
    """A row keeps its stored systems and prescriber only while the lines they
    come from are the same: a new pump, or a later delivery on another
    prescription (no device), names them anew; new consumables alone keep them."""
    clinic = f.make_clinic()
    doctor = f.make_user("prescriber", clinics=[clinic])
    nurse = f.make_user("prescriber", clinics=[clinic])
    sets_only, new_pump, same_pump = (f.make_patient(clinic) for _ in range(3))
    rx = {
        (patient.id, who.id): f.make_prescription(patient, kit["sets"], who)
        for patient in (sets_only, new_pump, same_pump)
        for who in (doctor, nurse)
    }
    pump_rx = f.make_prescription(new_pump, kit["tslim"], doctor)
    same_rx = f.make_prescription(same_pump, kit["p640"], doctor)
    f.make_delivered_line(same_pump, kit["p640"], date(2024, 6, 1),
                          prescription_id=same_rx.id)  # fmt: skip
    for patient in (sets_only, new_pump, same_pump):
        f.make_delivered_line(patient, kit["sets"], date(2025, 2, 1),
                              prescription_id=rx[patient.id, nurse.id].id)  # fmt: skip
    _written_yesterday()
    run_year(2025)
    before = stored(2025)
    assert before[sets_only.id].prescriber_id == nurse.id
    assert before[new_pump.id].pump_system is None
    assert before[same_pump.id].prescriber_id == doctor.id

    f.make_delivered_line(sets_only, kit["sets"], date(2025, 10, 1),
                          prescription_id=rx[sets_only.id, doctor.id].id)  # fmt: skip
    f.make_delivered_line(new_pump, kit["tslim"], date(2025, 3, 1),
                          prescription_id=pump_rx.id)  # fmt: skip
    f.make_delivered_line(same_pump, kit["sets"], date(2025, 11, 1),
                          prescription_id=rx[same_pump.id, nurse.id].id)  # fmt: skip
    result = run_year(2025, full=full)

    assert (result.full, result.changed) == (full, 3)
    db.session.expire_all()
    after = stored(2025)
    assert (after[sets_only.id].prescriber_id, after[sets_only.id].prescription_id) == (
        doctor.id, rx[sets_only.id, doctor.id].id)  # fmt: skip
    assert (after[new_pump.id].pump_system, after[new_pump.id].prescriber_id) == (
        "t:slim X2", doctor.id)  # fmt: skip
    assert (after[same_pump.id].pump_system, after[same_pump.id].prescriber_id,
            after[same_pump.id].prescription_id) == (
        "MiniMed 640G", doctor.id, same_rx.id)  # fmt: skip
    assert _as_tuples(after) == _as_tuples(_python_costs(2025))


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
def test_a_row_from_before_lines_were_kept_loses_a_pump_no_longer_in_use(kit, full):
    """Rows written before the source lines were kept name none. When such a
    patient's pump no longer counts (returned on its delivery day), the row's
    pump system goes, though stored and computed pump lines are both none."""
    from sesamlike.orders.models import OrderLine

    patient = f.make_patient(f.make_clinic())
    pump = f.make_delivered_line(patient, kit["p640"], date(2025, 3, 1))
    f.make_delivered_line(patient, kit["sets"], date(2025, 3, 1))
    _written_yesterday()
    run_year(2025)
    assert stored(2025)[patient.id].pump_system == "MiniMed 640G"
    db.session.execute(sa.update(PatientYearCost).values(
        pump_line_id=None, cgm_line_id=None, prescriber_line_id=None))  # fmt: skip
    db.session.execute(sa.update(OrderLine).where(OrderLine.id == pump.id).values(
        status="returned", returned_on=date(2025, 3, 1),
        updated_at=utcnow()))  # fmt: skip
    db.session.commit()

    result = run_year(2025, full=full)

    db.session.expire_all()
    assert result.changed == 1
    assert stored(2025)[patient.id].pump_system is None
    assert _as_tuples(stored(2025)) == _as_tuples(_python_costs(2025))


def test_a_catalogue_without_cgm_systems_still_costs_its_pumps():
    # A region that procures pumps only: no sensor belongs to a CGM system.
    pump = f.make_system("MiniMed 640G")
    p640 = f.make_article(category="pump", systems=[pump], units_per_day=None,
                          amortisation_years=4, pack_size=1,
                          pack_price_sek=Decimal("36500.00"))  # fmt: skip
    sets = f.make_article(category="infusion_set", systems=[pump],
                          pack_price_sek=Decimal("1000.00"))  # fmt: skip
    patient = f.make_patient(f.make_clinic("NOCGM"))
    f.make_delivered_line(patient, p640, date(2024, 1, 1))
    f.make_delivered_line(patient, sets, date(2024, 3, 1), packs=2)

    run_year(2024, full=True)

    row = stored(2024)[patient.id]
    # 366 days of a 4-year pump at 36,500 kr: 36,500 × 366 / 1,460.
    assert (row.pump_system, row.cgm_system) == ("MiniMed 640G", None)
    assert row.device_cost_sek == Decimal("9150.00")
    assert row.total_cost_sek == Decimal("11150.00")


@pytest.mark.parametrize("lcm", [4, 2520])
def test_amounts_staged_in_whole_ore_round_half_up_however_large(lcm):
    """On PostgreSQL a run rounds its sums to whole öre in 64-bit integers and
    writes them as kronor; a sum too large for that (past 2^62) takes NUMERIC.
    Either way: half an öre up, and a stored amount reads back the same."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite stages kronor (REAL), as it stores them")
    from sesamlike.followup.amounts import MICRO, Amounts

    amounts = Amounts(postgresql=True, lcm=lcm)
    unit = lcm * rules.DAYS_PER_YEAR * MICRO
    huge = 2**62 // unit * unit  # whole kronor just below the switch
    totals = [0, unit // 200 - 1, unit // 200, 7 * unit + unit // 2,
              huge, huge + unit // 200, huge + unit + unit // 200 - 1,
              2**63 + unit // 200]  # fmt: skip
    for total in totals:
        staged = amounts.device_staged(sa.literal(Decimal(total), sa.Numeric))
        expected = (Decimal(total) * 100 / Decimal(unit) + Decimal("0.5")) // 1
        assert db.session.scalar(sa.select(staged)) == expected, total
        if expected < 10**12:  # what NUMERIC(12, 2) holds
            written = amounts.staged_sek(staged)
            assert db.session.scalar(sa.select(written)) == expected / 100
            again = amounts.stored_staged(written)
            assert db.session.scalar(sa.select(again)) == expected
