"""Issue 19 item 4: the report's figures at scale are the per-patient rows'.

The report takes its statistics in the database (PostgreSQL) or over integer
tuples (SQLite), and its clinics' patients from the payers the run stores. Here
every figure it shows (overall, per pump and CGM system, age group, prescriber,
diabetes type, the systems' own parts, system by age, high cost, trend, cost
centre sums) is compared with `stats` over the stored per-patient rows, the
clinics' patients and the cost centre sums worked out by the Python rules
from the lines: for the region, each clinic and a manager's two clinics.
"""

import random
import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import sqlalchemy as sa

from sesamlike.extensions import db
from sesamlike.followup import breakdowns, report, rules, system_parts
from sesamlike.followup.cost_centres import cost_centre_sums
from sesamlike.followup.lines import load_cost_lines
from sesamlike.followup.models import PatientYearCost, PatientYearPayer
from sesamlike.followup.runs import run_year
from sesamlike.followup.scope import resolve
from sesamlike.followup.stats import grouped, summarise
from tests import factories as f
from tests.conftest import is_postgres
from tests.integration.test_followup_truth import move_clinic

YEARS = (2024, 2025)
THRESHOLD = Decimal("20000")
DEVICE = dict(units_per_day=None, amortisation_years=4, pack_size=1, benefit=False,
              serial_tracked=True)  # fmt: skip
ORE = Decimal("0.01")


@pytest.fixture
def world():
    """Three clinics, two pump and two CGM systems, three prescribers and 30
    patients of all ages and diabetes types with random deliveries in 2024 and
    2025 (prescribed, or imported history paid by their clinic), one of whom
    moves from NORR to SODR in June 2025."""
    rng = random.Random(19)
    clinics = [f.make_clinic(code, cost_centre=f"KS-{i}")
               for i, code in enumerate(("NORR", "SODR", "VAST"), 1)]  # fmt: skip
    s640, tslim = f.make_system("MiniMed 640G"), f.make_system("t:slim X2")
    libre = f.make_system("FreeStyle Libre 2", "cgm")
    dexcom = f.make_system("Dexcom G6", "cgm")
    articles = dict(
        p640=f.make_article(category="pump", systems=[s640],
                            pack_price_sek=Decimal("30000.00"), **DEVICE),
        tslim=f.make_article(category="pump", systems=[tslim], channel="supplier",
                             pack_price_sek=Decimal("38000.00"), **DEVICE),
        sets=f.make_article(systems=[s640], pack_price_sek=Decimal("1150.37")),
        sets2=f.make_article(systems=[tslim], pack_price_sek=Decimal("1190.11")),
        libre=f.make_article(category="cgm_sensor", systems=[libre], pack_size=1,
                             channel="pharmacy", pack_price_sek=Decimal("550.13")),
        g6=f.make_article(category="cgm_sensor", systems=[dexcom], pack_size=3,
                          channel="pharmacy", pack_price_sek=Decimal("1800.07")),
        tx=f.make_article(category="cgm_transmitter", systems=[dexcom],
                          pack_size=1, units_per_day=Decimal("0.0111"),
                          pack_price_sek=Decimal("1500.00")),
    )  # fmt: skip
    prescribers = [f.make_user("prescriber", clinics=clinics) for _ in range(3)]
    births = [date(2012, 5, 1), date(2008, 1, 1), date(2007, 12, 31),
              date(1980, 3, 3), date(1961, 1, 1), date(1960, 12, 31),
              date(1945, 7, 7), None]  # fmt: skip
    kinds = ("type1", "type1", "type2", "other")
    patients = []
    for n in range(30):
        clinic = clinics[n % 3]
        patient = f.make_patient(clinic, birth_date=births[n % len(births)],
                                 diabetes_type=kinds[n % len(kinds)])  # fmt: skip
        patients.append(patient)
        prescriber = prescribers[rng.randrange(3)] if n % 7 else None
        pump = rng.choice(["p640", "tslim", None])
        cgm = rng.choice(["libre", "g6", None])
        used = [name for name in (pump, cgm) if name]
        if pump:
            used.append("sets" if pump == "p640" else "sets2")
        if cgm == "g6":
            used.append("tx")
        for name in used:
            article = articles[name]
            imported = n % 5 == 0 and name in ("sets", "sets2", "libre")
            at = None if imported else f.make_prescription(
                patient, article, prescriber, valid_from=date(2024, 1, 1))  # fmt: skip
            deliveries = 1 if article.amortisation_years else rng.randrange(1, 5)
            for year in YEARS:
                if article.amortisation_years and year == 2025:
                    break  # a pump is delivered once
                for _ in range(deliveries):
                    day = date(year, 1, 1) + timedelta(days=rng.randrange(365))
                    packs = rng.randrange(1, 4)
                    if at is None:
                        f.make_delivered_line(patient, article, day, packs=packs)
                    else:
                        f.make_delivery(patient, at, day, packs=packs)
    mover = patients[0]  # at NORR, then at SODR from June 2025
    move_clinic(mover, clinics[1], date(2025, 6, 1))
    at_south = f.make_prescription(mover, articles["sets"], prescribers[0],
                                   clinic=clinics[1],
                                   valid_from=date(2025, 6, 1))  # fmt: skip
    f.make_delivery(mover, at_south, date(2025, 9, 15), packs=3)
    for year in YEARS:
        run_year(year, full=True)
    return dict(clinics=clinics, mover=mover, prescribers=prescribers)


def payers_by_rules(year: int) -> dict[int | None, set[int]]:
    """Each paying clinic's patients of the year, by the Python rules."""
    lines: dict[int, list] = {}
    for line in load_cost_lines():
        lines.setdefault(line.patient_id, []).append(line)
    payers: dict[int | None, set[int]] = {}
    for patient_id, mine in lines.items():
        for _centre, clinic_id in rules.cost_centre_sums(mine, year):
            payers.setdefault(clinic_id, set()).add(patient_id)
    return payers


def rows_in(year: int, clinic_ids: list[int] | None) -> list[PatientYearCost]:
    """The stored per-patient rows of the clinics' patients (None: all)."""
    rows = db.session.scalars(
        sa.select(PatientYearCost).where(PatientYearCost.year == year)
    ).all()
    if clinic_ids is None:
        return list(rows)
    payers = payers_by_rules(year)
    mine = set().union(*[payers.get(clinic_id, set()) for clinic_id in clinic_ids])
    return [row for row in rows if row.patient_id in mine]


def age_of(row: PatientYearCost, year: int) -> str:
    from sesamlike.patients.models import Patient

    patient = db.session.get(Patient, row.patient_id)
    return report.age_key(patient.birth_date, year)


def kind_of(row: PatientYearCost) -> str:
    from sesamlike.patients.models import Patient

    return db.session.get(Patient, row.patient_id).diabetes_type


def expected_report(rows, year: int) -> dict:
    """What the report should show, by `stats` over the rows."""
    order = [group.value for group in report.AgeGroup] + [report.UNKNOWN_AGE]
    ages = grouped((age_of(r, year), r.total_cost_sek) for r in rows)
    system_ages: dict = {}
    for row in rows:
        counts = system_ages.setdefault(row.pump_system or "", {})
        key = age_of(row, year)
        counts[key] = counts.get(key, 0) + 1
    pump = grouped((r.pump_system or "", r.total_cost_sek) for r in rows)
    cgm = grouped((r.cgm_system or "", r.total_cost_sek) for r in rows)
    return dict(
        overall=summarise(r.total_cost_sek for r in rows),
        pump=list(pump.items()),
        cgm=list(cgm.items()),
        ages=sorted(ages.items(), key=lambda i: order.index(i[0])),
        prescribers=list(grouped((r.prescriber_id, r.total_cost_sek)
                                 for r in rows).items()),
        system_ages=system_ages,
        high_cost=sum(1 for r in rows if r.total_cost_sek > THRESHOLD),
    )  # fmt: skip


def shown_report(built: report.Report) -> dict:
    return dict(
        overall=built.overall,
        pump=list(built.pump.items()),
        cgm=list(built.cgm.items()),
        ages=list(built.ages.items()),
        prescribers=[(pid, summary) for pid, _name, summary in built.prescribers],
        system_ages=built.system_ages,
        high_cost=built.high_cost,
    )


def expected_diabetes_types(rows) -> list:
    kinds = grouped((kind_of(r), r.total_cost_sek) for r in rows)
    order = list(breakdowns.DIABETES_TYPES)
    return [
        (
            kind,
            kinds[kind],
            sum(1 for r in rows if kind_of(r) == kind and r.pump_system),
        )
        for kind in order + sorted(set(kinds) - set(order))
        if kind in kinds
    ]


def expected_system_parts(rows) -> list:
    parts = []
    for kind, column, part in (("pump", "pump_system", "pump_part_sek"),
                               ("cgm", "cgm_system", "cgm_part_sek")):  # fmt: skip
        mine = [r for r in rows if getattr(r, column)]
        own = grouped((getattr(r, column), getattr(r, part) or 0) for r in mine)
        totals = grouped((getattr(r, column), r.total_cost_sek) for r in mine)
        parts += [(name, kind, own[name], totals[name]) for name in sorted(own)]
    return parts


def expected_trend(clinic_ids) -> list:
    trend = []
    for year in YEARS:
        rows = rows_in(year, clinic_ids)
        total = sum((r.total_cost_sek for r in rows), Decimal(0))
        mean = (total / len(rows)).quantize(ORE, rounding=ROUND_HALF_UP)
        trend.append((year, len(rows), total, mean))
    return trend


def expected_cost_centres(year: int, clinic_ids) -> list:
    from sesamlike.accounts.models import Clinic

    codes = dict(db.session.execute(sa.select(Clinic.id, Clinic.code)).all())
    sums = rules.cost_centre_sums(load_cost_lines(), year)
    return sorted(
        (centre, codes.get(clinic_id), s["patients"], s["device_cost_sek"],
         s["consumables_cost_sek"], s["vat_sek"])
        for (centre, clinic_id), s in sums.items()
        if clinic_ids is None or clinic_id in clinic_ids
    )  # fmt: skip


def scopes(world):
    north, south, west = world["clinics"]
    region = f.make_user("region")
    manager = f.make_user("manager", clinics=[north, south])
    yield resolve(region, None), None
    for clinic in world["clinics"]:
        yield resolve(region, clinic.code), [clinic.id]
    yield resolve(manager, None), [north.id, south.id]


def expected_without_cgm(rows) -> list:
    """Per pump system, its patients without CGM: count, mean pump part, and
    the consumables' share of the pump part (the part less the pump's
    write-off)."""
    systems: dict[str, list] = {}
    for row in rows:
        if row.pump_system is not None and row.cgm_system is None:
            systems.setdefault(row.pump_system, []).append(row)
    expected = []
    for system in sorted(systems):
        mine = systems[system]
        own = sum((row.pump_part_sek or Decimal(0) for row in mine), Decimal(0))
        devices = sum((row.device_cost_sek for row in mine), Decimal(0))
        mean = (own / len(mine)).quantize(ORE, rounding=ROUND_HALF_UP)
        expected.append(
            (system, len(mine), mean, (own - devices) / own if own else None)
        )
    return expected


def test_every_figure_on_the_report_is_the_per_patient_rows(world):
    checked = 0
    # Twice: computed, then (PostgreSQL) as kept by stored_figures.
    for year in YEARS * 2:
        for scope, clinic_ids in scopes(world):
            rows = rows_in(year, clinic_ids)
            assert rows, (year, clinic_ids)
            built = report.build(scope, year, THRESHOLD)
            assert shown_report(built) == expected_report(rows, year)
            assert [(t.year, t.patients, t.total, t.mean) for t in built.trend] == (
                expected_trend(clinic_ids)
            )
            assert [(d.diabetes_type, d.summary, d.on_pump)
                    for d in breakdowns.diabetes_types(scope, year)] == (
                expected_diabetes_types(rows))  # fmt: skip
            assert [(p.system, p.kind, p.own, p.total)
                    for p in system_parts.system_parts(scope, year)] == (
                expected_system_parts(rows))  # fmt: skip
            assert sorted(
                (c.cost_centre, c.clinic_code, c.patients, c.device_cost_sek,
                 c.consumables_cost_sek, c.vat_sek)
                for c in cost_centre_sums(scope, year)
            ) == expected_cost_centres(year, clinic_ids)  # fmt: skip
            assert [(w.system, w.patients, w.mean, w.consumables_share)
                    for w in system_parts.pump_systems_without_cgm(scope, year)
                    ] == expected_without_cgm(rows)  # fmt: skip
            checked += 1
    assert checked == 20
    # The figures interpolate: some percentile falls between two patients.
    overall = report.build(scopes(world).__next__()[0], 2025, THRESHOLD).overall
    assert overall.patients >= 20 and overall.median not in {
        r.total_cost_sek for r in rows_in(2025, None)
    }


def report_patients(client, year, clinic) -> int:
    html = client.get(f"/followup/?year={year}&clinic={clinic}").get_data(as_text=True)
    found = re.search(r"<dt>Patienter med kostnad</dt><dd><a [^>]*>(\d+)</a>", html)
    return int(found.group(1)) if found else 0


def test_a_patient_who_moves_is_in_both_clinics_year_pages(world, client, auth):
    north, south, _west = world["clinics"]
    manager = f.make_user("manager", clinics=[north, south])
    auth.login(manager.username)
    payers = payers_by_rules(2025)
    assert world["mover"].id in payers[north.id] & payers[south.id]
    assert world["mover"].id not in payers_by_rules(2024).get(south.id, set())
    stored = db.session.scalars(
        sa.select(PatientYearPayer.clinic_id).where(
            PatientYearPayer.patient_id == world["mover"].id,
            PatientYearPayer.year == 2025)).all()  # fmt: skip
    assert set(stored) == {north.id, south.id}
    for year in YEARS:
        for clinic in (north, south):
            assert report_patients(client, year, clinic.code) == len(
                rows_in(year, [clinic.id])
            )


@pytest.fixture
def two_clinics():
    north = f.make_clinic("NORR", cost_centre="KS-100")
    south = f.make_clinic("SODR", cost_centre="KS-200")
    sets = f.make_article(category="infusion_set", pack_price_sek=Decimal("1000.00"),
                          channel="central")  # fmt: skip
    patient = f.make_patient(north)
    at_north = f.make_prescription(patient, sets, clinic=north,
                                   valid_from=date(2025, 1, 1))  # fmt: skip
    f.make_delivery(patient, at_north, date(2025, 3, 15), packs=2)
    return north, south, sets, patient


def test_an_incremental_run_adds_the_clinic_that_paid_a_new_line(two_clinics):
    north, south, sets, patient = two_clinics
    run_year(2025)  # the first: full
    region = f.make_user("region")

    def patients_of(clinic) -> int:
        built = report.build(resolve(region, clinic.code), 2025, THRESHOLD)
        return built.overall.patients if built.overall else 0

    assert (patients_of(north), patients_of(south)) == (1, 0)
    at_south = f.make_prescription(patient, sets, clinic=south,
                                   valid_from=date(2025, 6, 1))  # fmt: skip
    f.make_delivery(patient, at_south, date(2025, 9, 15), packs=1)

    result = run_year(2025)

    assert not result.full
    assert (patients_of(north), patients_of(south)) == (1, 1)
    (centre,) = cost_centre_sums(resolve(region, "SODR"), 2025)
    assert (centre.cost_centre, centre.patients, centre.consumables_cost_sek) == (
        "KS-200", 1, Decimal("1000.00"))  # fmt: skip
    stored = db.session.scalars(sa.select(PatientYearPayer.clinic_id)).all()
    assert sorted(stored) == sorted([north.id, south.id])


def test_a_year_without_stored_payers_is_worked_out_from_the_lines(two_clinics):
    """Costs stored before the payers were (revision 0019): the reports work
    who paid out from the lines, and the next run of the year is full."""
    north, south, _sets, _patient = two_clinics
    run_year(2025)
    region = f.make_user("region")
    stored = [(c.cost_centre, c.patients, c.consumables_cost_sek)
              for c in cost_centre_sums(resolve(region, "NORR"), 2025)]  # fmt: skip
    db.session.execute(sa.delete(PatientYearPayer))
    db.session.commit()

    scope = resolve(region, "NORR")
    assert [(c.cost_centre, c.patients, c.consumables_cost_sek)
            for c in cost_centre_sums(scope, 2025)] == stored  # fmt: skip
    assert report.build(scope, 2025, THRESHOLD).overall.patients == 1
    assert report.build(resolve(region, "SODR"), 2025, THRESHOLD).overall is None

    assert run_year(2025).full
    assert db.session.scalar(sa.select(sa.func.count(PatientYearPayer.id))) == 1


def test_a_full_rerun_refreshes_the_payers_of_changed_patients(two_clinics):
    """A full rerun recomputes who paid for the patients whose figures changed
    or who have a line written since the previous run, and removes those of
    patients with nothing left in the year."""
    from sesamlike.orders.models import Order, OrderLine

    north, south, sets, patient = two_clinics
    other = f.make_patient(north)
    f.make_delivery(other, f.make_prescription(other, sets, clinic=north,
                                               valid_from=date(2025, 1, 1)),
                    date(2025, 4, 1))  # fmt: skip
    run_year(2025)

    def payers() -> set:
        rows = db.session.execute(sa.select(PatientYearPayer.patient_id,
                                            PatientYearPayer.clinic_id))  # fmt: skip
        return set(rows)

    assert payers() == {(patient.id, north.id), (other.id, north.id)}
    at_south = f.make_prescription(patient, sets, clinic=south,
                                   valid_from=date(2025, 6, 1))  # fmt: skip
    f.make_delivery(patient, at_south, date(2025, 9, 15), packs=1)
    assert run_year(2025, full=True).full
    assert payers() == {(patient.id, north.id), (patient.id, south.id),
                        (other.id, north.id)}  # fmt: skip

    # North's lines of the patient go (deleted: no line is written); the
    # figures change, so its payers are recomputed; the other patient's
    # lines all go, so theirs are removed with their row.
    north_orders = db.session.scalars(
        sa.select(Order.id).join(OrderLine).where(
            OrderLine.prescription_id.is_not(None),
            OrderLine.prescription_id != at_south.id)).all()  # fmt: skip
    for order_id in north_orders:
        db.session.delete(db.session.get(Order, order_id))
    db.session.commit()
    assert run_year(2025, full=True).full
    assert payers() == {(patient.id, south.id)}


@pytest.mark.skipif(not is_postgres(), reason="figures are kept on PostgreSQL only")
def test_the_report_reads_kept_figures_until_a_run_or_a_patient_changes(
    two_clinics, monkeypatch
):
    from sesamlike.followup import summaries
    from sesamlike.followup.models import ReportFigures

    north, south, sets, patient = two_clinics
    run_year(2025)
    region = f.make_user("region")
    manager = f.make_user("manager", clinics=[north, south])

    def build(user, clinic=None):
        return report.build(resolve(user, clinic), 2025, THRESHOLD)

    computed = {"region": build(region), "both": build(manager)}
    centres = system_parts.cost_centres(resolve(region, None), 2025)
    # Figures and trend of the region and of the manager's clinics, and the
    # region's cost centres.
    assert db.session.scalar(sa.select(sa.func.count(ReportFigures.id))) == 5
    without_cgm = system_parts.pump_systems_without_cgm(resolve(region, None), 2025)

    def fails(*args):
        raise AssertionError("computed again")

    with monkeypatch.context() as patched:
        patched.setattr(summaries, "figures", fails)
        patched.setattr(system_parts, "cost_centre_sums", fails)
        patched.setattr(report, "trend", fails)
        patched.setattr(system_parts, "_without_cgm", fails)
        assert system_parts.pump_systems_without_cgm(
            resolve(region, None), 2025
        ) == without_cgm  # fmt: skip
        assert build(manager) == computed["both"]
        assert build(region) == computed["region"]
        assert system_parts.cost_centres(resolve(region, None), 2025) == centres
        with pytest.raises(AssertionError, match="computed again"):
            build(region, "NORR")  # a scope not kept yet

    patient.diabetes_type = "type2" if patient.diabetes_type != "type2" else "type1"
    db.session.commit()
    scope = resolve(region, None)
    report.build(scope, 2025, THRESHOLD)
    (kind,) = breakdowns.diabetes_types(scope, 2025)
    assert kind.diabetes_type == patient.diabetes_type

    other = f.make_patient(south)
    at_south = f.make_prescription(other, sets, clinic=south,
                                   valid_from=date(2025, 1, 1))  # fmt: skip
    f.make_delivery(other, at_south, date(2025, 5, 1), packs=3)
    assert build(region).overall.patients == 1  # no run yet: the same data
    run_year(2025)
    assert build(region).overall.patients == 2
    assert build(region).trend[-1].total == Decimal("5000.00")
    assert build(manager).overall.total == Decimal("5000.00")
    assert sum(c.patients for c in system_parts.cost_centres(
        resolve(region, None), 2025).centres) == 2  # fmt: skip
