"""`flask demo load`: the demo region, its logins, and loading it twice."""

from datetime import date, timedelta

import sqlalchemy as sa

from sesamlike.accounts.models import User
from sesamlike.catalog.models import Article, System
from sesamlike.common.time import region_today
from sesamlike.demo.region import load_demo_region
from sesamlike.demo.setup import DEMO_PASSWORD
from sesamlike.extensions import db
from sesamlike.followup import report
from sesamlike.followup.cost_centres import paid_lines
from sesamlike.followup.scope import resolve
from sesamlike.orders.models import Order, OrderLine
from sesamlike.patients.identity import AgeGroup
from sesamlike.patients.models import CareRelationship, Guardian, Patient
from sesamlike.prescriptions.models import Prescription
from sesamlike.stock.models import Depot, DepotStaff, Device, StockLot
from tests import factories as f


def printed_logins(output: str) -> list[tuple[str, str, str]]:
    """(username, password, role) from the login table the command prints."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("username"))
    return [tuple(line.split()[:3]) for line in lines[start + 1 :] if line.strip()]


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def test_demo_load_prints_logins_that_all_work(runner, client, auth):
    result = runner.invoke(args=["demo", "load"])

    assert result.exit_code == 0, result.output
    logins = printed_logins(result.output)
    assert len(DEMO_PASSWORD) >= 12
    assert {password for _, password, _ in logins} == {DEMO_PASSWORD}
    first_of_role = {}
    for username, _password, role in logins:
        first_of_role.setdefault(role, username)
    assert set(first_of_role) == {
        "admin", "region", "depot", "manager", "prescriber", "guardian", "patient",
    }  # fmt: skip
    for username in first_of_role.values():
        assert auth.login(username, DEMO_PASSWORD).status_code == 302, username
        assert client.get("/").status_code == 200
        auth.logout()
    # The rest share the proven password hash (one scrypt per login would take
    # half a minute), are active and have the role printed.
    proven = db.session.scalar(sa.select(User.password_hash).where(
        User.username == first_of_role["admin"]))  # fmt: skip
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    for username, _password, role in logins:
        user = users[username]
        assert (user.password_hash, user.active, user.role) == (proven, True, role)


def test_demo_load_twice_changes_nothing(runner):
    first = runner.invoke(args=["demo", "load"])
    counts = row_counts()

    second = runner.invoke(args=["demo", "load"])

    assert second.exit_code == 0, second.output
    assert row_counts() == counts
    assert printed_logins(second.output) == printed_logins(first.output)
    assert_demo_region_content()


def test_demo_load_on_a_later_day_adds_no_second_region(runner):
    runner.invoke(args=["demo", "load"])
    counts = row_counts()

    logins = load_demo_region(today=region_today() + timedelta(days=400))

    assert row_counts() == counts
    assert len(logins) == counts["users"]


def assert_demo_region_content():
    today = region_today()
    patients = db.session.scalars(sa.select(Patient)).all()
    assert len(patients) == 200
    children = [p for p in patients if p.age_group_on(today) == AgeGroup.CHILD]
    # An eighth of the patients: with 2018's pump use, a third of pump users.
    assert 20 <= len(children) <= 30
    assert any(p.age_group_on(today) == AgeGroup.ELDERLY for p in patients)
    for child in children:
        logins = [g.user for g in child.guardians if g.user_id is not None]
        assert logins and all(u.role == "guardian" for u in logins), child.full_name
    assert sum(p.protected_identity for p in patients) >= 3
    reserve = [p for p in patients if p.id_kind == "reserve"]
    assert reserve and all(p.lma_number and p.lma_valid_to for p in reserve)
    assert any(p.id_kind == "samordningsnummer" for p in patients)
    assert all(p.home_address() is not None for p in patients)
    assert any(p.home_address().door_code for p in patients)
    assert all(p.care_relationships for p in patients)
    assert sum(p.user_id is not None for p in patients) >= 3

    prescribers = db.session.scalars(
        sa.select(User).where(User.role == "prescriber")
    ).all()
    assert {u.first_time_prescriber for u in prescribers} == {True, False}
    # Each aids-centre login works at its own depot, as the README says.
    clerks = db.session.execute(
        sa.select(User.username, Depot.code)
        .join(DepotStaff, DepotStaff.user_id == User.id)
        .join(Depot, Depot.id == DepotStaff.depot_id)
    ).all()
    assert sorted(clerks) == [("lager", "HMC"), ("lager.soder", "HMCS")]
    with_active = db.session.scalars(
        sa.select(Prescription.patient_id).where(Prescription.status == "active")
    ).all()
    assert len(set(with_active)) >= 190

    every_line = db.session.scalars(sa.select(OrderLine)).all()
    lines = [line for line in every_line if line.order.placed_by_role == "migration"]
    # The history is delivered; the week's queue of the aids centre is not.
    assert {line.status for line in lines} == {"delivered", "returned"}
    queue = {line.status for line in every_line} - {"delivered", "returned"}
    assert queue == {"reserved", "shipped", "backordered"}
    delivered = [line.delivered_on for line in lines]
    assert min(delivered) <= today.replace(year=today.year - 1)
    assert all(line.order.placed_by_role == "migration" for line in lines[:50])
    devices = db.session.scalars(sa.select(Device)).all()
    on_loan = [d for d in devices if d.status == "on_loan"]
    assert on_loan and all(d.lent_on and d.warranty_end for d in on_loan)
    assert any(d.returned_on for d in devices)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StockLot)) > 0
    guardians = db.session.scalar(sa.select(sa.func.count()).select_from(Guardian))
    assert guardians >= len(children)


def test_demo_load_if_empty_leaves_a_database_with_users_alone(runner):
    f.make_user("admin", username="someone")

    result = runner.invoke(args=["demo", "load", "--if-empty"])

    assert result.exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Patient)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_demo_load_computes_follow_up_so_managers_see_costs_at_once(
    runner, client, auth
):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    this_year = region_today().year
    assert f"follow-up costs of {this_year - 1} and {this_year}" in result.output

    auth.login("chef.norr", DEMO_PASSWORD)
    page = client.get(f"/followup/?year={this_year - 1}").get_data(as_text=True)
    assert "Inga beräknade kostnader" not in page
    assert "MiniMed 640G" in page  # a pump system with its patients and spread
    # Deviations are named in words, with the code beside them.
    assert "Upphandlad produkt fungerar inte för patienten i praktiken" in page
    assert "(not_working)" in page


def pumps_on_loan() -> dict[int, str]:
    """Each patient's pump system, from the pumps on loan today."""
    query = (
        sa.select(Device.patient_id, System.name)
        .join(Article, Article.id == Device.article_id)
        .join(Article.systems)
        .where(Device.status == "on_loan", Article.category == "pump")
    )
    return dict(db.session.execute(query).all())


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def test_the_demo_region_has_the_seeds_mix_of_pump_users():
    load_demo_region()
    today = region_today()
    pumps = pumps_on_loan()
    patients = db.session.scalars(sa.select(Patient)).all()
    children = [p for p in patients if p.age_group_on(today) == AgeGroup.CHILD]
    adults_type1 = [p for p in patients if p not in children
                    and p.diabetes_type == "type1"]  # fmt: skip
    type2 = [p for p in patients if p.diabetes_type == "type2"]
    on_pump = [p for p in patients if p.id in pumps]

    # 2018 (domain.md): 65 % of children and 22 % of adults with type 1 on a
    # pump, children just under a third of pump users, type 2 under 1 %.
    assert 0.55 <= share(sum(p.id in pumps for p in children), len(children)) <= 0.75
    assert 0.17 <= share(sum(p.id in pumps for p in adults_type1),
                         len(adults_type1)) <= 0.28  # fmt: skip
    assert share(sum(p.id in pumps for p in type2), len(type2)) < 0.01
    assert len(type2) >= 20
    assert 0.25 <= share(sum(p in children for p in on_pump), len(on_pump)) <= 0.40
    # Omnipod 33 %, MiniMed 640G 27 % of pump use.
    systems = list(pumps.values())
    omnipod = sum(name.startswith("Omnipod") for name in systems)
    assert 0.28 <= share(omnipod, len(systems)) <= 0.38
    assert 0.22 <= share(systems.count("MiniMed 640G"), len(systems)) <= 0.32
    assert {"type1", "type2", "other"} <= {p.diabetes_type for p in patients}


def test_the_demo_region_has_warranty_swaps_on_the_replaced_devices_warranty():
    load_demo_region()
    swaps = db.session.scalars(
        sa.select(OrderLine).where(OrderLine.replaces_line_id.is_not(None))
    ).all()
    assert len(swaps) >= 3
    devices = {d.serial_no: d for d in db.session.scalars(sa.select(Device))}
    for new in swaps:
        old = db.session.get(OrderLine, new.replaces_line_id)
        assert (new.article_id, new.order.patient_id) == (
            old.article_id, old.order.patient_id)  # fmt: skip
        assert new.pack_price_sek == 0 and new.prescription_id is None
        assert old.status == "returned" and old.returned_on == new.delivered_on
        assert devices[old.serial_no].return_reason == "faulty"
        assert (
            devices[new.serial_no].warranty_end == devices[old.serial_no].warranty_end
        )
        assert new.delivered_on <= devices[old.serial_no].warranty_end
    assert any(line.article.category == "pump" for line in swaps)


def test_the_demo_region_has_consumables_partly_returned_to_stock():
    load_demo_region()
    returned = db.session.scalars(
        sa.select(OrderLine).where(OrderLine.packs_restocked > 0,
                                   OrderLine.serial_no.is_(None))
    ).all()  # fmt: skip
    partial = [line for line in returned if line.packs_restocked < line.packs]
    assert len(partial) >= 3
    for line in partial:
        assert line.packs_returned == line.packs_restocked
        assert line.channel == "central"  # back to the aids centre's stock
        assert 0 < (line.returned_on - line.delivered_on).days < 14


def test_a_demo_patient_moves_clinic_in_june_and_the_new_clinic_prescribes():
    load_demo_region()
    moved_on = date(region_today().year - 1, 6, 1)
    ended = db.session.scalars(
        sa.select(CareRelationship).where(CareRelationship.ended_on == moved_on)
    ).all()
    movers = [
        (old, new)
        for old in ended
        for new in old.patient.care_relationships
        if new.started_on == moved_on and new.ended_on is None
    ]
    assert len(movers) == 1
    old, new = movers[0]
    assert old.clinic_id != new.clinic_id
    prescriptions = db.session.scalars(sa.select(Prescription).where(
        Prescription.patient_id == old.patient_id)).all()  # fmt: skip
    before = [p for p in prescriptions if p.valid_from < moved_on]
    after = [p for p in prescriptions if p.valid_from >= moved_on]
    assert before and after
    assert {(p.clinic_id, p.cost_centre) for p in before} == {
        (old.clinic_id, old.clinic.cost_centre)}  # fmt: skip
    assert {(p.clinic_id, p.cost_centre) for p in after} == {
        (new.clinic_id, new.clinic.cost_centre)}  # fmt: skip
    # Deliveries of the year on either side of the move, each on its clinic's
    # prescription.
    lines = db.session.scalars(sa.select(OrderLine).join(Order).where(
        Order.patient_id == old.patient_id,
        OrderLine.delivered_on >= date(moved_on.year, 1, 1),
        OrderLine.delivered_on < date(moved_on.year + 1, 1, 1),
        OrderLine.prescription_id.is_not(None)))  # fmt: skip
    clinics = {(line.delivered_on < moved_on, line.prescription.clinic_id)
               for line in lines if line.article.category != "pump"}  # fmt: skip
    assert clinics == {(True, old.clinic_id), (False, new.clinic_id)}


def test_the_demo_regions_deviations_are_real_ones_each_with_a_reason():
    load_demo_region()
    analyst = db.session.scalar(sa.select(User).where(User.role == "region"))
    scope = resolve(analyst, None)
    for year in (region_today().year - 1, region_today().year):
        counts, reasons = report.compliance(scope, year)
        # Ranked per system, a compatible sensor is no deviation: a few percent
        # are (issue 16: 217 of the year's prescriptions were, most forced).
        assert 0 < counts["deviations"] < 0.1 * counts["total"]
        assert "" not in dict(reasons)  # each deviation has its reason code


def test_the_demo_movers_year_is_paid_by_both_clinics_and_adds_up():
    load_demo_region()
    moved_on = date(region_today().year - 1, 6, 1)
    old = db.session.scalar(
        sa.select(CareRelationship).where(CareRelationship.ended_on == moved_on)
    )
    new = next(c for c in old.patient.care_relationships if c.ended_on is None)
    paid = paid_lines(moved_on.year).subquery()
    rows = db.session.execute(
        sa.select(paid.c.clinic_id, sa.func.sum(paid.c.consumables))
        .where(paid.c.patient_id == old.patient_id)
        .group_by(paid.c.clinic_id)
    ).all()  # fmt: skip
    by_clinic = {clinic_id: amount for clinic_id, amount in rows}
    # January-May with the clinic left, June on with the new one.
    assert set(by_clinic) == {old.clinic_id, new.clinic_id}
    assert all(amount > 0 for amount in by_clinic.values())


def test_demo_clinic_deliveries_in_use_are_collected_and_only_recent_ones_wait():
    today = region_today()
    load_demo_region(today)
    orders = db.session.scalars(
        sa.select(Order).where(Order.delivery_mode == "clinic")
    ).all()
    assert orders
    waiting = []
    for order in orders:
        delivered = max(line.delivered_on for line in order.lines)
        if any(line.serial_no for line in order.lines) or (
            delivered < today - timedelta(days=14)
        ):
            assert delivered <= order.collected_on <= today, order.id
        else:
            waiting.append(order)
    assert all(order.collected_on is None for order in waiting)


def test_the_aids_centre_finds_a_queue_in_the_demo(runner, client, auth):
    """A new user logging in as `lager` found nothing to pick, pack or
    confirm: the demo's history is all delivered. A few orders of the last
    days make the queue, placed and handled through the use cases."""
    import re

    runner.invoke(args=["demo", "load"])
    auth.login("lager", DEMO_PASSWORD)
    picking = client.get("/stock/picking").text
    to_pick = re.findall(r"<h2>Beställning (\d+)</h2>", picking)
    assert len(to_pick) >= 3
    packing = client.get("/stock/packing").text
    assert "Packa beställning" in packing and len(re.findall(
        r"Packa beställning (\d+)</a>", packing)) == len(to_pick) + 1  # fmt: skip
    assert "Ja" in packing  # the one picked, to pack
    confirm = client.get("/stock/deliveries").text
    assert len(set(re.findall(r"Beställning (\d+)", confirm))) == 2
