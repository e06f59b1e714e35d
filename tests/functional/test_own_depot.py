"""Aids-centre staff work at their own depot (hemlager): their depot pages
start there, an administrator or the command line sets it, audited."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent, User
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.stock.models import DepotStaff, StockLot
from sesamlike.stock.staff import own_depot
from tests.factories import (
    make_article,
    make_clinic,
    make_depot,
    make_device,
    make_patient,
    make_pump,
    make_stock_lot,
    make_user,
    place_order_for,
)


@pytest.fixture
def depots():
    return make_depot("HMC", name="Hjälpmedelscentralen"), make_depot(
        "HMCS", name="Hjälpmedelscentralen Söderby"
    )


def _own(user: User, depot) -> None:
    db.session.add(DepotStaff(user_id=user.id, depot_id=depot.id))
    db.session.commit()


def _selected(page: str, name: str) -> str | None:
    """The value of the option selected in the select called `name`."""
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    for option in re.findall(r"<option[^>]*>", select.group(1)):
        if re.search(r"\sselected\b", option):
            return re.search(r'value="([^"]*)"', option).group(1)
    return None


def _audited(user: User) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.detail)
            .where(AuditEvent.action == "user_depot")
            .where(AuditEvent.object_id == str(user.id))
            .order_by(AuditEvent.id)
        )
    )


def test_the_picking_list_opens_on_the_clerks_own_depot(client, auth, depots):
    hmc, hmcs = depots
    clerk = make_user("depot", username="lager.soder")
    _own(clerk, hmcs)
    make_user("depot", username="lager")  # no own depot: the first by code
    auth.login("lager.soder")
    page = client.get("/stock/picking").text
    assert _selected(page, "depot") == str(hmcs.id)
    # Another depot is still one choice away.
    other = client.get("/stock/picking", query_string={"depot": hmc.id}).text
    assert _selected(other, "depot") == str(hmc.id)
    auth.logout()
    auth.login("lager")
    assert _selected(client.get("/stock/picking").text, "depot") == str(hmc.id)


def test_goods_received_are_booked_at_the_own_depot_unless_another_is_chosen(
    client, auth, depots
):
    hmc, hmcs = depots
    _own(make_user("depot", username="lager.soder"), hmcs)
    make_article("INF-7", name="Infusionsset X")
    auth.login("lager.soder")
    form = client.get("/stock/receipts").text
    assert _selected(form, "depot_code") == "HMCS"
    booked = client.post(
        "/stock/receipts",
        data={"depot_code": _selected(form, "depot_code"), "article_no": "INF-7",
              "packs": 4, "lot": "L1"},
    )  # fmt: skip
    assert booked.status_code in (200, 302), booked.text
    lot = db.session.scalar(sa.select(StockLot).where(StockLot.lot == "L1"))
    assert lot.depot_id == hmcs.id and lot.on_hand == 4
    # Another depot, chosen on the form, is where the goods go.
    client.post(
        "/stock/receipts",
        data={"depot_code": "HMC", "article_no": "INF-7", "packs": 2, "lot": "L2"},
    )
    other = db.session.scalar(sa.select(StockLot).where(StockLot.lot == "L2"))
    assert other.depot_id == hmc.id and other.on_hand == 2


def test_reorder_points_are_set_for_the_own_depot_by_default(client, auth, depots):
    _hmc, hmcs = depots
    _own(make_user("depot", username="lager.soder"), hmcs)
    auth.login("lager.soder")
    page = client.get("/channels/reorder-points").text
    assert _selected(page, "depot_code") == "HMCS"


def test_admin_gives_a_clerk_an_own_depot_and_changes_it_audited(client, auth, depots):
    _hmc, hmcs = depots
    make_user("admin", username="admin")
    auth.login("admin")
    created = client.post(
        "/admin/users/new",
        data={"username": "lager.ny", "display_name": "Lars Ny",
              "email": "lars@example.se", "role": "depot", "depot_code": "HMCS"},
    )  # fmt: skip
    assert created.status_code == 302, created.text
    clerk = db.session.scalar(sa.select(User).where(User.username == "lager.ny"))
    assert own_depot(clerk).code == "HMCS"
    page = client.get(created.location).text
    assert _selected(page, "depot_code") == "HMCS"
    changed = client.post(
        created.location,
        data={"display_name": "Lars Ny", "email": "lars@example.se",
              "role": "depot", "depot_code": "HMC"},
    )  # fmt: skip
    assert changed.status_code == 302
    assert own_depot(clerk).code == "HMC"
    # Saved again unchanged: no new audit row.
    client.post(
        created.location,
        data={"display_name": "Lars Ny", "email": "lars@example.se",
              "role": "depot", "depot_code": "HMC"},
    )  # fmt: skip
    assert _audited(clerk) == [
        "lager.ny: lager - -> HMCS",
        "lager.ny: lager HMCS -> HMC",
    ]
    log = client.get("/admin/audit").text
    assert "Ändrade eget lager för kontot lager.ny" in log


def test_a_depot_for_another_role_is_refused_and_nothing_is_written(
    client, auth, depots
):
    make_clinic("BDM")
    make_user("admin", username="admin")
    auth.login("admin")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    refused = client.post(
        "/admin/users/new",
        data={"username": "ssk.ny", "display_name": "Siv Ny", "role": "prescriber",
              "email": "siv@example.se", "clinics": ["BDM"], "depot_code": "HMC"},
    )  # fmt: skip
    assert refused.status_code == 200
    assert "Välj inget lager för den här rollen." in refused.text
    assert db.session.scalar(sa.select(User).where(User.username == "ssk.ny")) is None
    after = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert after == before


def test_a_clerk_made_a_manager_keeps_no_depot(client, auth, depots):
    hmc, _hmcs = depots
    clinic = make_clinic("BDM")
    clerk = make_user("depot", username="lager.x", email="x@example.se")
    _own(clerk, hmc)
    make_user("admin", username="admin")
    auth.login("admin")
    moved = client.post(
        f"/admin/users/{clerk.id}",
        data={"display_name": "X", "email": "x@example.se", "role": "manager",
              "clinics": [clinic.code], "depot_code": ""},
    )  # fmt: skip
    assert moved.status_code == 302, moved.text
    assert db.session.get(DepotStaff, clerk.id) is None
    assert _audited(clerk) == ["lager.x: lager HMC -> -"]


def test_the_command_line_sets_and_takes_away_an_own_depot(runner, depots):
    made = runner.invoke(
        args=["users", "create", "--username", "lager.cli", "--password",
              "long-enough-1", "--role", "depot", "--depot", "HMCS"]
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    clerk = db.session.scalar(sa.select(User).where(User.username == "lager.cli"))
    assert own_depot(clerk).code == "HMCS"
    moved = runner.invoke(args=["users", "set-depot", "lager.cli", "HMC"])
    assert moved.exit_code == 0 and "own depot HMC" in moved.output
    assert own_depot(clerk).code == "HMC"
    gone = runner.invoke(args=["users", "set-depot", "lager.cli"])
    assert gone.exit_code == 0 and "no own depot" in gone.output
    assert own_depot(clerk) is None
    assert len(_audited(clerk)) == 3


def test_the_command_line_refuses_an_unknown_depot_or_another_role(runner, depots):
    make_clinic("BDM")
    unknown = runner.invoke(
        args=["users", "create", "--username", "lager.cli", "--password",
              "long-enough-1", "--role", "depot", "--depot", "NOPE"]
    )  # fmt: skip
    assert unknown.exit_code == 1 and "Lagret NOPE finns inte." in unknown.output
    named = sa.select(User).where(User.username == "lager.cli")
    assert db.session.scalar(named) is None
    make_user("prescriber", username="dr.x", clinics=[make_clinic("X")])
    other = runner.invoke(args=["users", "set-depot", "dr.x", "HMC"])
    assert other.exit_code == 1
    assert "Bara hjälpmedelscentralens personal har ett eget lager." in other.output


def test_a_device_from_the_old_system_comes_back_into_the_own_depot(
    client, auth, depots
):
    _hmc, hmcs = depots
    _own(make_user("depot", username="lager.soder"), hmcs)
    patient = make_patient(make_clinic("BDM"))
    # Lent before this system: no depot of ours has had it.
    device = make_device(patient, make_pump("PUMP-OLD"), "SN-OLD")
    auth.login("lager.soder")
    returned = client.post(
        "/stock/devices",
        data={"serial_no": "SN-OLD", "reason": "faulty",
              "returned_on": region_today().isoformat()},
        follow_redirects=True,
    )  # fmt: skip
    assert "SN-OLD är mottagen och står i karantän" in returned.text
    db.session.refresh(device)
    assert (device.status, device.depot_id) == ("quarantine", hmcs.id)


def _rows_of(page: str) -> str:
    """The packing list's table body."""
    return page.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in page else ""


def test_the_packing_list_names_each_orders_depot_and_opens_on_the_own_depot(
    client, auth, depots
):
    """The walkthrough: the packing list mixed both depots' orders with no depot
    shown, and lager.soder packed an HMC order (its pick and ship were booked
    at HMC) without seeing it was not Söderby's."""
    hmc, hmcs = depots
    clinic = make_clinic("BDM")
    prescriber = make_user("prescriber", clinics=[clinic])
    at_hmc, at_hmcs = make_article("INF-N"), make_article("INF-S")
    make_stock_lot(at_hmc, hmc, on_hand=5)
    make_stock_lot(at_hmcs, hmcs, on_hand=5)
    north = place_order_for(prescriber, at_hmc)
    south = place_order_for(prescriber, at_hmcs)
    _own(make_user("depot", username="lager.soder"), hmcs)
    auth.login("lager.soder")

    page = client.get("/stock/packing").text
    assert _selected(page, "depot") == str(hmcs.id)
    rows = _rows_of(page)
    assert f"Beställning {south.id}</th>" in rows
    assert f"Beställning {north.id}</th>" not in rows
    assert 'data-label="Lager">HMCS</td>' in rows
    # The other depot's orders are one choice away, and say whose they are.
    other = client.get("/stock/packing", query_string={"depot": hmc.id}).text
    assert _selected(other, "depot") == str(hmc.id)
    rows = _rows_of(other)
    assert f"Beställning {north.id}</th>" in rows
    assert f"Beställning {south.id}</th>" not in rows
    assert 'data-label="Lager">HMC</td>' in rows


def test_the_count_page_opens_on_the_own_depots_lots(client, auth, depots):
    """The walkthrough: the count page opened on an HMC lot for lager.soder."""
    hmc, hmcs = depots
    article = make_article("INF-C", name="Infusionsset C")
    north = make_stock_lot(article, hmc, on_hand=4, lot="NORTH1")
    south = make_stock_lot(article, hmcs, on_hand=6, lot="SOUTH1")
    _own(make_user("depot", username="lager.soder"), hmcs)
    auth.login("lager.soder")

    page = client.get("/stock/count").text
    assert _selected(page, "depot") == str(hmcs.id)
    lots = re.search(r'<select[^>]*name="lot_id"[^>]*>(.*?)</select>', page, re.S)
    assert "SOUTH1" in lots.group(1) and "NORTH1" not in lots.group(1)
    counted = client.post(
        re.search(r'<form method="post" action="(/stock/count[^"]*)"', page).group(1),
        data={"lot_id": str(south.id), "counted": "6"},
    )
    assert counted.status_code == 302
    assert f"depot={hmcs.id}" in counted.location  # back on the same depot's lots
    other = client.get("/stock/count", query_string={"depot": hmc.id}).text
    assert _selected(other, "depot") == str(hmc.id)
    assert _selected(other, "lot_id") in (None, str(north.id))
    assert "NORTH1" in other and "SOUTH1" not in other


def test_the_quarantine_table_says_which_depot_holds_each_device(client, auth, depots):
    _hmc, hmcs = depots
    _own(make_user("depot", username="lager.soder"), hmcs)
    patient = make_patient(make_clinic("BDM"))
    make_device(patient, make_pump("PUMP-Q"), "SN-Q")
    auth.login("lager.soder")
    client.post(
        "/stock/devices",
        data={"serial_no": "SN-Q", "reason": "faulty",
              "returned_on": region_today().isoformat()},
    )  # fmt: skip
    page = client.get("/stock/devices").text
    quarantine = page.split("I karantän")[1]
    assert '<th scope="col">Lager</th>' in quarantine
    row = quarantine.split("SN-Q")[1].split("</tr>")[0]
    assert "<td>HMCS</td>" in row
