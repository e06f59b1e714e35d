"""`flask demo load`: the demo region, its logins, and loading it twice."""

from datetime import date, timedelta

import sqlalchemy as sa

from sesamlike.accounts.models import User
from sesamlike.demo.region import load_demo_region
from sesamlike.demo.setup import DEMO_PASSWORD
from sesamlike.extensions import db
from sesamlike.orders.models import OrderLine
from sesamlike.patients.identity import AgeGroup
from sesamlike.patients.models import Guardian, Patient
from sesamlike.prescriptions.models import Prescription
from sesamlike.stock.models import Device, StockLot
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

    logins = load_demo_region(today=date.today() + timedelta(days=400))

    assert row_counts() == counts
    assert len(logins) == counts["users"]


def assert_demo_region_content():
    today = date.today()
    patients = db.session.scalars(sa.select(Patient)).all()
    assert len(patients) == 200
    children = [p for p in patients if p.age_group_on(today) == AgeGroup.CHILD]
    assert 60 <= len(children) <= 75
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
    with_active = db.session.scalars(
        sa.select(Prescription.patient_id).where(Prescription.status == "active")
    ).all()
    assert len(set(with_active)) >= 190

    lines = db.session.scalars(sa.select(OrderLine)).all()
    assert {line.status for line in lines} == {"delivered", "returned"}
    delivered = [line.delivered_on for line in lines]
    assert min(delivered) <= today.replace(year=today.year - 1)
    assert all(line.order.placed_by_role == "migration" for line in lines[:50])
    devices = db.session.scalars(sa.select(Device)).all()
    on_loan = [d for d in devices if d.status == "on_loan"]
    assert on_loan and all(d.lent_on and d.warranty_end for d in on_loan)
    assert any(d.returned_on for d in devices)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StockLot)) > 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Guardian)) >= 60


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
    this_year = date.today().year
    assert f"follow-up costs of {this_year - 1} and {this_year}" in result.output

    auth.login("chef.norr", DEMO_PASSWORD)
    page = client.get(f"/followup/?year={this_year - 1}").get_data(as_text=True)
    assert "Inga beräknade kostnader" not in page
    assert "MiniMed 640G" in page  # a pump system with its patients and spread
    # Deviations are named in words, with the code beside them.
    assert "Upphandlad produkt fungerar inte för patienten i praktiken" in page
    assert "(not_working)" in page
