"""A pump the supplier delivers to the patient is lent like one from the shelf.

The review's case: a t:slim X2 (supplier channel) delivered 5 March 2025 through
the supplier's status file comes back on 5 March 2026 when the patient switches
pump. Its days run up to but not including the return (interfaces.md), so 2026
holds 63 of them: 38,000 × 63 / 1,460 = 1,639.73 SEK. Before, the device was in
no register: it could neither come back nor be swapped, and the follow-up went on
writing it off (9,500.00 in 2026 and every year after).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.channels.supplier import export_supplier_orders, waiting_lines
from sesamlike.channels.supplier_status import (
    SupplierStatusInvalid,
    import_supplier_status_text,
)
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.followup.models import PatientYearCost
from sesamlike.followup.runs import run_year
from sesamlike.fulfilment import returns, shipping, swaps
from sesamlike.orders.models import OrderLine
from sesamlike.stock.models import DepotStaff, Device, Reservation
from tests.channel_world import World
from tests.factories import (
    make_depot,
    make_lent_device,
    make_patient,
    make_pump,
    make_system,
    make_user,
)
from tests.functional.test_api_basics import assert_error_format, bearer

ORDERED = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
DELIVERED = date(2025, 3, 5)
BACK = date(2026, 3, 5)  # the patient switches pump
WARRANTY_END = date(2029, 3, 4)  # four years: the day before the anniversary
COST_2026 = Decimal("1639.73")  # 38,000 × 63 / 1,460
COST_2025 = Decimal("7860.27")  # 38,000 × 302 / 1,460 (5 March to 31 December)


@pytest.fixture
def tslim(auth):
    """Anna's t:slim X2, ordered from the supplier and in its order file; the
    clerk "lager" works at HMC (own depot) and is logged in."""
    world = World()
    world.hmc = make_depot("HMC")
    world.clerk = make_user("depot", username="lager")
    db.session.add(DepotStaff(user_id=world.clerk.id, depot_id=world.hmc.id))
    db.session.commit()
    world.tslim = make_pump(
        "200001",
        name="t:slim X2 insulinpump",
        channel="supplier",
        supplier="Tandem Diabetes Care",
        pack_size=1,
        pack_price_sek=Decimal("38000.00"),
        systems=[make_system("t:slim X2")],
    )
    order = world.order(
        world.tslim, mode="clinic", at=ORDERED, valid_from=date(2025, 1, 1)
    )
    world.line_id = order.lines[0].id
    export_supplier_orders(ORDERED.date(), today=ORDERED.date())
    auth.login("lager")
    return world


def status_file(*rows: str, serials: bool = True) -> str:
    header = "line_id,status,tracking_ref,delivered_on" + (
        ",serial_no" if serials else ""
    )
    return header + "\n" + "\n".join(rows) + "\n"


def delivered(world, serial: str | None = None) -> str:
    """The status file's row: the pump delivered on 5 March 2025 (with `serial`)."""
    row = f"{world.line_id},delivered,,{DELIVERED.isoformat()}"
    return row + f",{serial}" if serial is not None else row


def line(world) -> OrderLine:
    db.session.expire_all()
    return db.session.get(OrderLine, world.line_id)


def device(serial: str) -> Device | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Device).where(Device.serial_no == serial))


def device_cost(world, year: int) -> Decimal:
    run_year(year, full=True)
    return db.session.scalar(
        sa.select(PatientYearCost.device_cost_sek).where(
            PatientYearCost.patient_id == world.patient.id,
            PatientYearCost.year == year,
        )
    )


def field_error(html: str, field_id: str) -> str:
    return html.split(f'id="{field_id}-error">')[1].split("</p>")[0]


def find(client, text: str):
    return client.post("/stock/devices/unregistered", data={"find-q": text})


def book_back(client, world, **values):
    data = {
        "unregistered-q": "Andersson",
        "unregistered-line_id": str(world.line_id),
        "unregistered-serial_no": "TS-1001",
        "unregistered-reason": "replaced",
        "unregistered-returned_on": BACK.isoformat(),
    }
    data.update({f"unregistered-{name}": value for name, value in values.items()})
    return client.post(
        "/stock/devices/unregistered",
        data={k: v for k, v in data.items() if v is not None},
    )


def test_a_pump_the_supplier_delivers_with_its_serial_is_lent_comes_back_and_stops_costing(  # noqa: E501
    client, tslim
):
    counts = import_supplier_status_text(
        status_file(delivered(tslim, "TS-1001")), tslim.depot_user
    )

    assert (counts.delivered, counts.lent) == (1, 1)
    lent = device("TS-1001")
    assert (lent.status, lent.patient_id, lent.lent_on, lent.warranty_end) == (
        "on_loan", tslim.patient.id, DELIVERED, WARRANTY_END)  # fmt: skip
    assert lent.reference == f"order-line:{tslim.line_id}"
    assert line(tslim).serial_no == "TS-1001"
    lent = client.post("/stock/devices", data={"search": "1", "q": "TS-1001"})
    assert "TS-1001" in lent.text  # among the lent devices

    returned = client.post(
        "/stock/devices",
        data={"serial_no": "TS-1001", "reason": "replaced",
              "returned_on": BACK.isoformat()},
        follow_redirects=True,
    )  # fmt: skip

    assert "TS-1001 är mottagen och står i karantän." in returned.text
    back = device("TS-1001")
    assert (back.status, back.returned_on, back.depot_id) == (
        "quarantine", BACK, tslim.hmc.id)  # fmt: skip
    assert (line(tslim).status, line(tslim).returned_on) == ("returned", BACK)
    assert device_cost(tslim, 2026) == COST_2026
    assert device_cost(tslim, 2025) == COST_2025


def test_a_pump_delivered_without_its_serial_is_booked_back_under_the_serial_read_off_it(  # noqa: E501
    client, tslim
):
    # A status file as suppliers sent it before the column: the pump is in no
    # register, so its serial is unknown to the return form.
    import_supplier_status_text(
        status_file(delivered(tslim), serials=False), tslim.depot_user
    )
    unknown = client.post(
        "/stock/devices",
        data={"serial_no": "TS-1001", "reason": "replaced",
              "returned_on": BACK.isoformat()},
    )  # fmt: skip
    assert unknown.status_code == 422
    assert "Sök leveransen under ”Levererade utan serienummer”" in unknown.text

    found = find(client, "andersson")

    assert found.status_code == 200
    assert "1 leverans utan serienummer matchar ”andersson”." in found.text
    assert re.search(
        rf'value="{tslim.line_id}"[^>]*>\s*<label[^>]*>Beställning \d+: t:slim X2 '
        r"insulinpump · Anna Andersson · Levererad",
        found.text,
    )
    booked = book_back(client, tslim)

    assert booked.status_code == 302
    back = device("TS-1001")
    assert (back.status, back.patient_id, back.lent_on, back.warranty_end) == (
        "quarantine", tslim.patient.id, DELIVERED, WARRANTY_END)  # fmt: skip
    assert (back.returned_on, back.return_reason, back.depot_id) == (
        BACK, "replaced", tslim.hmc.id)  # fmt: skip
    booked_line = line(tslim)
    assert (booked_line.status, booked_line.returned_on, booked_line.serial_no) == (
        "returned", BACK, "TS-1001")  # fmt: skip
    actions = set(
        db.session.scalars(
            sa.select(AuditEvent.action).where(
                AuditEvent.patient_id == tslim.patient.id
            )
        )
    )
    assert {"read_unregistered_devices", "return_device"} <= actions
    # Nothing left to book back.
    assert "0 leveranser utan serienummer matchar" in find(client, "andersson").text
    assert device_cost(tslim, 2026) == COST_2026


def test_the_page_refuses_a_bad_return_in_swedish_and_keeps_what_was_typed(
    client, tslim
):
    import_supplier_status_text(
        status_file(delivered(tslim), serials=False), tslim.depot_user
    )
    make_lent_device(make_patient(tslim.clinic), tslim.tslim, "TS-9")

    taken = book_back(client, tslim, serial_no="TS-9", reason="faulty")
    html = taken.text
    assert taken.status_code == 422
    assert "Serienumret TS-9 är redan utlånat (t:slim X2 insulinpump)." in field_error(
        html, "unregistered-serial_no"
    )
    assert 'value="TS-9"' in html
    assert f'value="{BACK.isoformat()}"' in html
    assert '<option selected value="faulty">' in html
    assert re.search(rf'value="{tslim.line_id}"\s+checked', html)

    unchosen = book_back(client, tslim, line_id=None, serial_no="TS-1001")
    assert unchosen.status_code == 422
    assert "Välj leveransen som enheten kom med." in field_error(
        unchosen.text, "unregistered-line_id"
    )
    assert 'value="TS-1001"' in unchosen.text

    early = book_back(client, tslim, returned_on="2025-03-01")
    assert early.status_code == 422
    assert "Före utlåningsdagen." in field_error(early.text, "unregistered-returned_on")
    assert 'value="2025-03-01"' in early.text

    assert device("TS-1001") is None
    assert (line(tslim).status, line(tslim).serial_no) == ("delivered", None)


def test_a_warranty_swap_of_a_supplier_delivered_pump_keeps_its_amortisation(
    client, tslim
):
    import_supplier_status_text(
        status_file(delivered(tslim, "TS-1001")), tslim.depot_user
    )
    shipping.receive_stock(tslim.clerk, "HMC", "200001", 1, serials=["TS-2002"])

    swapped = client.post(
        "/api/v1/devices/TS-1001/replace",
        headers=bearer(tslim.clerk),
        json={"new_serial_no": "TS-2002", "replaced_on": "2025-09-01"},
    )

    assert swapped.status_code == 201, swapped.get_json()
    body = swapped.get_json()
    assert (body["serial_no"], body["patient_id"], body["warranty_end"]) == (
        "TS-2002", tslim.patient.id, WARRANTY_END.isoformat())  # fmt: skip
    first = line(tslim)
    assert (first.status, first.returned_on) == ("returned", date(2025, 9, 1))
    # One pump written off from 5 March on, whatever the swap: not 180 days of it.
    assert device_cost(tslim, 2025) == COST_2025


def test_a_serial_on_loan_elsewhere_refuses_the_status_file_and_writes_nothing(
    tslim,
):
    other = make_patient(tslim.clinic, first_name="Bo")
    make_lent_device(other, tslim.tslim, "TS-1001")
    sensor = tslim.order(tslim.cgm, at=ORDERED, valid_from=date(2025, 1, 1))
    export_supplier_orders(ORDERED.date(), today=ORDERED.date())
    sensor_line = sensor.lines[0].id
    text = status_file(
        f"{sensor_line},delivered,,{DELIVERED.isoformat()},",
        delivered(tslim, "TS-1001"),
    )

    with pytest.raises(SupplierStatusInvalid) as refused:
        import_supplier_status_text(text, tslim.depot_user)

    assert refused.value.lines() == [
        "rad 3: serial_no: Serienumret TS-1001 är redan utlånat "
        "(t:slim X2 insulinpump)."
    ]
    assert str(refused.value) == "Statusfilen har fel på 1 rad; inget importerades."
    db.session.expire_all()
    assert db.session.get(OrderLine, sensor_line).status == "sent_to_supplier"
    assert line(tslim).status == "sent_to_supplier"
    assert db.session.scalar(sa.select(sa.func.count(Device.id))) == 1


def test_a_later_status_file_gives_the_serial_of_a_pump_delivered_without_one(
    tslim,
):
    import_supplier_status_text(
        status_file(delivered(tslim), serials=False), tslim.depot_user
    )
    assert device("TS-1001") is None

    later = import_supplier_status_text(
        status_file(delivered(tslim, "TS-1001")), tslim.depot_user
    )
    again = import_supplier_status_text(
        status_file(delivered(tslim, "TS-1001")), tslim.depot_user
    )

    assert (later.delivered, later.lent, later.unchanged) == (0, 1, 0)
    assert (again.lent, again.unchanged) == (0, 1)
    lent = device("TS-1001")
    assert (lent.status, lent.lent_on, lent.warranty_end) == (
        "on_loan", DELIVERED, WARRANTY_END)  # fmt: skip
    with pytest.raises(SupplierStatusInvalid) as refused:
        import_supplier_status_text(
            status_file(delivered(tslim, "TS-7")), tslim.depot_user
        )
    assert refused.value.lines() == [
        f"rad 2: serial_no: Orderraden {tslim.line_id} har redan serienumret TS-1001."
    ]


def test_the_api_returns_a_pump_delivered_without_serial_by_its_line(client, tslim):
    import_supplier_status_text(
        status_file(delivered(tslim), serials=False), tslim.depot_user
    )
    headers = bearer(tslim.clerk)
    body = {"returned_on": BACK.isoformat(), "reason": "replaced"}
    unknown = client.post("/api/v1/devices/TS-1001/return", headers=headers, json=body)
    assert_error_format(unknown, 404, "device_not_found")
    make_lent_device(make_patient(tslim.clinic), tslim.tslim, "TS-9")
    taken = client.post("/api/v1/devices/TS-9/return", headers=headers,
                        json=body | {"line_id": tslim.line_id})  # fmt: skip
    assert_error_format(taken, 409, "serial_on_loan")

    returned = client.post("/api/v1/devices/TS-1001/return", headers=headers,
                           json=body | {"line_id": tslim.line_id})  # fmt: skip

    assert returned.status_code == 200, returned.get_json()
    answer = returned.get_json()
    assert (answer["serial_no"], answer["status"], answer["patient_id"]) == (
        "TS-1001", "quarantine", tslim.patient.id)  # fmt: skip
    assert answer["lent_on"] == DELIVERED.isoformat()
    assert (line(tslim).status, line(tslim).returned_on) == ("returned", BACK)
    again = client.post("/api/v1/devices/TS-1001/return", headers=headers,
                        json=body | {"line_id": tslim.line_id})  # fmt: skip
    assert again.status_code == 404
    assert device_cost(tslim, 2026) == COST_2026


def test_the_api_swaps_a_pump_delivered_without_serial_by_its_line(client, tslim):
    import_supplier_status_text(
        status_file(delivered(tslim), serials=False), tslim.depot_user
    )
    shipping.receive_stock(tslim.clerk, "HMC", "200001", 1, serials=["TS-2002"])

    swapped = client.post(
        "/api/v1/devices/TS-1001/replace",
        headers=bearer(tslim.clerk),
        json={"new_serial_no": "TS-2002", "replaced_on": "2025-09-01",
              "line_id": tslim.line_id},
    )  # fmt: skip

    assert swapped.status_code == 201, swapped.get_json()
    assert swapped.get_json()["warranty_end"] == WARRANTY_END.isoformat()
    old = device("TS-1001")
    assert (old.status, old.lent_on, old.returned_on) == (
        "quarantine", DELIVERED, date(2025, 9, 1))  # fmt: skip
    assert device_cost(tslim, 2025) == COST_2025


@pytest.fixture
def south_clerk(tslim):
    """A clerk at the region's second aids centre (HMCS): HMC comes first."""
    tslim.hmcs = make_depot("HMCS")
    clerk = make_user("depot", username="lager.soder")
    db.session.add(DepotStaff(user_id=clerk.id, depot_id=tslim.hmcs.id))
    db.session.commit()
    import_supplier_status_text(
        status_file(delivered(tslim), serials=False), tslim.depot_user
    )
    return clerk


def test_the_api_books_a_pump_back_at_the_clerks_own_depot(client, tslim, south_clerk):
    """The pump is handed in at HMCS: it stands in HMCS's quarantine, as the
    devices page books it, not in the region's first depot."""
    returned = client.post(
        "/api/v1/devices/TS-1001/return",
        headers=bearer(south_clerk),
        json={"returned_on": BACK.isoformat(), "reason": "replaced",
              "line_id": tslim.line_id},
    )  # fmt: skip

    assert returned.status_code == 200, returned.get_json()
    assert device("TS-1001").depot_id == tslim.hmcs.id


def test_a_swap_at_the_counter_keeps_the_faulty_pump_at_the_clerks_depot(
    client, tslim, south_clerk
):
    shipping.receive_stock(south_clerk, "HMCS", "200001", 1, serials=["TS-2002"])

    swapped = client.post(
        "/api/v1/devices/TS-1001/replace",
        headers=bearer(south_clerk),
        json={"new_serial_no": "TS-2002", "replaced_on": "2025-09-01",
              "line_id": tslim.line_id},
    )  # fmt: skip

    assert swapped.status_code == 201, swapped.get_json()
    assert device("TS-1001").depot_id == tslim.hmcs.id


def test_a_warranty_replacement_of_a_supplier_delivered_pump_goes_in_the_suppliers_file(  # noqa: E501
    client, tslim
):
    """The walkthrough: a faulty t:slim X2 taken back and replaced under
    warranty was backordered at the aids centre, which never stocks it, and
    the patient waited with no end. It goes to the supplier, as the first did."""
    import_supplier_status_text(
        status_file(delivered(tslim, "TS-1001")), tslim.depot_user
    )
    returns.return_device(tslim.clerk, "TS-1001", "faulty", BACK)

    replacement = returns.replace_device(tslim.clerk, device("TS-1001").id)

    new = replacement.lines[0]
    assert (new.channel, new.status) == ("supplier", "sent_to_supplier")
    assert new.id in [waiting.id for waiting in waiting_lines()]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reservation)) == 0
    export_supplier_orders(region_today(), today=region_today())
    # The file says whose budget and which faulty pump the warranty covers
    # (the review: a blank cost centre and nothing to tell it from a new
    # 38,000 kr order).
    [row] = [r for r in supplier_rows() if r["line_id"] == str(new.id)]
    assert row["cost_centre"] == new.cost_centre and row["cost_centre"]
    assert row["replaces_serial_no"] == "TS-1001"
    counts = import_supplier_status_text(
        status_file(f"{new.id},delivered,,{region_today().isoformat()},TS-2002"),
        tslim.depot_user,
    )
    assert (counts.delivered, counts.lent) == (1, 1)
    lent = device("TS-2002")
    # The replacement keeps the first pump's warranty and amortisation.
    assert (lent.status, lent.patient_id, lent.warranty_end) == (
        "on_loan", tslim.patient.id, WARRANTY_END)  # fmt: skip
    assert lent.amortised_line_id == tslim.line_id


def test_a_swap_at_the_counter_of_a_supplier_pump_keeps_the_articles_channel(
    tslim,
):
    import_supplier_status_text(
        status_file(delivered(tslim, "TS-1001")), tslim.depot_user
    )
    shipping.receive_stock(tslim.clerk, "HMC", "200001", 1, serials=["TS-2002"])

    swaps.swap_device(tslim.clerk, "TS-1001", "TS-2002", BACK)

    new = db.session.scalar(
        sa.select(OrderLine).where(OrderLine.replaces_line_id == tslim.line_id)
    )
    # From the aids centre's shelf: its channel (the review: counted under
    # the supplier's in the follow-up).
    assert (new.channel, new.status, new.serial_no) == (
        "central", "delivered", "TS-2002")  # fmt: skip
    assert new.id not in [waiting.id for waiting in waiting_lines()]


def supplier_rows() -> list[dict]:
    """Every row of the supplier files exported so far."""
    import csv
    import io

    from sesamlike.channels.models import SupplierExport

    rows = []
    for export in db.session.scalars(sa.select(SupplierExport)):
        rows += list(csv.DictReader(io.StringIO(export.content)))
    return rows
