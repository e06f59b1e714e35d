"""Issue 18, the depot's daily work on its pages.

Picking before packing (or an audited override), serials on the shelf to pick
from when packing, error messages naming articles (no internal ids), the
register of devices on loan, the returns page searched and paged with partial
returns, and the trade's words.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.fulfilment import shipping
from sesamlike.orders.models import OrderLine
from sesamlike.stock.models import Device, StockLot
from tests.factories import (
    make_article,
    make_depot_world,
    make_lent_device,
    make_order,
    make_patient,
    make_prescription,
    make_pump,
    place_order_for,
)

TODAY = region_today()


@pytest.fixture
def world(auth):
    world = make_depot_world(clerk="lager")
    world.article = make_article("INF-7", name="Infusionsset X")
    auth.login("lager")
    return world


def place(world, article=None, packs=1, mode="home", patient=None):
    return place_order_for(
        world.prescriber,
        article or world.article,
        packs,
        mode=mode,
        patient=patient,
        lock_days=0,
    )


def receive(world, packs, article_no="INF-7", **kw):
    if not kw.get("serials"):
        kw.setdefault("lot", "L0")  # a consumable comes in by its lot
    return shipping.receive_stock(world.clerk, "HMC", article_no, packs, **kw)


def line(line_id) -> OrderLine:
    return db.session.get(OrderLine, line_id, populate_existing=True)


def html(response) -> str:
    return response.get_data(as_text=True)


def searched_pages(client, path: str, searches: list[dict]) -> list[str]:
    """The pages each search answers, but for their form tokens (signed anew
    each second)."""
    return [
        re.sub(r'name="csrf_token"[^>]*>', "", html(client.post(path, data=search)))
        for search in searches
    ]


def delivered(world, packs=3, patient=None):
    receive(world, packs)
    order = place(world, packs=packs, patient=patient)
    shipping.ship_order(world.clerk, order.id)
    shipping.deliver_order(world.clerk, order.id, TODAY)
    return order


# Picking before packing ---------------------------------------------------------


def test_an_unpicked_order_is_not_shipped_from_the_pack_page(client, world):
    receive(world, 2)
    order = place(world, packs=2)
    page = html(client.get(f"/stock/orders/{order.id}/pack"))
    assert "Inte plockad" in page and "Skäl att packa utan plockning" in page

    response = client.post(
        f"/stock/orders/{order.id}/pack", data={"line": str(order.lines[0].id)}
    )
    assert response.status_code == 422
    assert f"Beställning {order.id} är inte plockad (Infusionsset X)" in html(response)
    assert line(order.lines[0].id).status == "reserved"


def test_packing_list_says_which_orders_are_picked(client, world):
    receive(world, 2)
    place(world)  # placed first, not picked
    picked = place(world)
    client.post(f"/stock/orders/{picked.id}/pick")
    rows = html(client.get("/stock/packing"))
    assert rows.index('"Plockad">Nej</td>') < rows.index('"Plockad">Ja</td>')


def test_packing_unpicked_with_a_reason_ships_and_audits_the_reason(client, world):
    receive(world, 1)
    order = place(world)
    response = client.post(
        f"/stock/orders/{order.id}/pack",
        data={
            "line": str(order.lines[0].id),
            "pick_override": "Plockad av kollega, listan skrevs inte ut",
        },
        follow_redirects=True,
    )
    assert f"Beställning {order.id} är skickad" in html(response)
    assert line(order.lines[0].id).status == "shipped"
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "pick_override")
    )
    assert event.detail == "Plockad av kollega, listan skrevs inte ut"
    assert event.patient_id == order.patient_id


def test_a_reason_too_short_is_said_once_not_under_a_generic_error(client, world):
    """The walkthrough: "Ogiltig uppgift." stood above the message that said
    what was wrong (the reason for packing unpicked too short)."""
    receive(world, 1)
    order = place(world)
    page = html(
        client.post(
            f"/stock/orders/{order.id}/pack",
            data={"line": str(order.lines[0].id), "pick_override": "x"},
        )
    )
    assert "minst 10 tecken" in page
    assert "Ogiltig uppgift." not in page
    assert line(order.lines[0].id).status == "reserved"


def test_picked_order_ships_without_a_reason(client, world):
    receive(world, 1)
    order = place(world)
    client.post(f"/stock/orders/{order.id}/pick")
    page = html(client.get(f"/stock/orders/{order.id}/pack"))
    assert "Skäl att packa utan plockning" not in page
    client.post(f"/stock/orders/{order.id}/pack", data={"line": order.lines[0].id})
    assert line(order.lines[0].id).status == "shipped"


def test_packing_list_gives_each_line_the_status_words_everyone_reads(client, world):
    patient = make_patient(world.prescriber.clinics[0])
    names = ("Reserverad A", "Restnoterad B", "Skickad C", "Levererad D")
    rxs = [
        make_prescription(patient, make_article(f"PK-{i}", name=name))
        for i, name in enumerate(names)
    ]
    statuses = ("reserved", "backordered", "shipped", "delivered")
    make_order(
        patient,
        [
            (rx, 1, status, TODAY if status == "delivered" else None)
            for rx, status in zip(rxs, statuses, strict=True)
        ],
    )
    rows = html(client.get("/stock/packing"))
    shown = {
        name: rows[rows.index(name) : rows.index("<br>", rows.index(name))]
        for name in names
    }
    assert "badge" not in shown["Reserverad A"]
    assert "Restnoterad, väntar på varor</span>" in shown["Restnoterad B"]
    assert "Skickad</span>" in shown["Skickad C"]
    assert "Levererad</span>" in shown["Levererad D"]
    assert "Skickad" not in shown["Levererad D"]


def test_the_pack_page_says_a_pickup_point_and_the_number_the_text_goes_to(
    client, world
):
    """The walkthrough: the pack page of an order to a pickup point never said
    "utlämningsställe" nor showed the mobile number the text message goes to:
    it looked exactly like a home delivery."""
    receive(world, 3)
    patient = make_patient(world.clinic, phone="070-123 45 67")
    pickup = place(world, mode="pickup", patient=patient)
    home = place(world, patient=patient)
    hidden = make_patient(world.clinic, phone="070-999 99 99")
    protected = place(world, mode="pickup", patient=hidden)
    hidden.protected_identity = True  # set after ordering
    db.session.commit()

    page = html(client.get(f"/stock/orders/{pickup.id}/pack"))
    assert "Till ombud (utlämningsställe)" in page
    assert "070-123 45 67" in page
    home_page = html(client.get(f"/stock/orders/{home.id}/pack"))
    assert "Hem med post" in home_page
    assert "utlämningsställe" not in home_page and "070-123 45 67" not in home_page
    # Protected identity: to the clinic, and nothing of the patient's phone.
    clinic_page = html(client.get(f"/stock/orders/{protected.id}/pack"))
    assert "Till mottagningen" in clinic_page
    assert "070-999 99 99" not in clinic_page


# Serials when packing -----------------------------------------------------------


def test_pack_page_offers_the_serials_on_the_shelf_and_names_the_article(client, world):
    pump = make_pump("PUMP-1", name="Pump Y")
    receive(world, 2, article_no="PUMP-1", serials=["SN-A", "SN-B"])
    order = place(world, article=pump, mode="clinic")
    line_id = order.lines[0].id
    page = html(client.get(f"/stock/orders/{order.id}/pack"))
    assert "Serienummer för Pump Y" in page
    assert '<option value="SN-A">SN-A</option>' in page
    assert '<option value="SN-B">SN-B</option>' in page
    assert f"rad {line_id}" not in page

    client.post(
        f"/stock/orders/{order.id}/pack",
        data={"line": str(line_id), f"serials-{line_id}": "SN-B"},
    )
    device = db.session.scalar(sa.select(Device).where(Device.serial_no == "SN-B"))
    assert (device.status, device.patient_id) == ("on_loan", order.patient_id)


def test_a_missing_serial_is_refused_naming_the_article_not_the_line(client, world):
    pump = make_pump("PUMP-1", name="Pump Y")
    receive(world, 1, article_no="PUMP-1", serials=["SN-A"])
    order = place(world, article=pump, mode="clinic")
    line_id = order.lines[0].id
    response = client.post(
        f"/stock/orders/{order.id}/pack", data={"line": str(line_id)}
    )
    assert response.status_code == 422
    page = html(response)
    assert "Pump Y: Ett serienummer per förpackning." in page
    assert f"serials.{line_id}" not in page


def test_a_serial_not_on_the_shelf_is_still_refused(client, world):
    pump = make_pump("PUMP-1", name="Pump Y")
    receive(world, 1, article_no="PUMP-1", serials=["SN-A"])
    order = place(world, article=pump, mode="clinic")
    line_id = order.lines[0].id
    response = client.post(
        f"/stock/orders/{order.id}/pack",
        data={"line": str(line_id), f"serials-{line_id}": "SN-FORGED"},
    )
    assert response.status_code == 422
    assert "SN-FORGED" in html(response) and "Pump Y" in html(response)
    assert line(line_id).status == "reserved"


# Devices on loan ----------------------------------------------------------------


def test_devices_on_loan_are_found_with_their_patients_without_personnummer(
    client, world
):
    pump = make_pump("PUMP-1", name="Pump Y")
    maria = make_patient(
        world.clinic, first_name="Maria", last_name="Ek", personal_id="199001029801"
    )
    make_lent_device(maria, pump, "SN-LOAN-1")
    page = html(client.post("/stock/devices", data={"search": "1", "q": "SN-LOAN"}))
    assert "SN-LOAN-1" in page and "Maria Ek" in page and "Pump Y" in page
    assert "19900102" not in page
    assert db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.action == "read_devices_on_loan",
            AuditEvent.patient_id == maria.id,
        )
    )


def lend_devices(world):
    """25 pumps lent to Per Nr00 … Nr24 (SN-000 …) and one to Maria Ek (XYZ-9)."""
    pump = make_pump("PUMP-1", name="Pump Y")
    for n in range(25):
        patient = make_patient(world.clinic, first_name="Per", last_name=f"Nr{n:02d}")
        make_lent_device(patient, pump, f"SN-{n:03d}")
    maria = make_patient(world.clinic, first_name="Maria", last_name="Ek")
    make_lent_device(maria, pump, "XYZ-9")
    return pump


def test_devices_on_loan_are_searched_by_serial_or_name_by_post_and_paged(
    client, world
):
    lend_devices(world)

    first = html(client.post("/stock/devices", data={"search": "1", "q": "SN-0"}))
    assert "25 enheter matchar ”SN-0”" in first and "Sida 1 av 2" in first
    assert "SN-019" in first and "SN-020" not in first
    second = html(
        client.post("/stock/devices", data={"search": "1", "q": "SN-0", "page": "2"})
    )
    assert "Sida 2 av 2" in second and "SN-024" in second and "XYZ-9" not in second

    # The search and its pages open at the results, not at the page's top
    # (two forms and a section above them: out of sight on a laptop).
    assert first.count('action="/stock/devices#on-loan"') == 2  # search, next
    assert second.count('action="/stock/devices#on-loan"') == 2  # search, back
    assert 'id="on-loan"' in first

    found = html(client.post("/stock/devices", data={"search": "1", "q": "xyz-9"}))
    assert "Maria Ek" in found and "SN-000" not in found
    by_name = html(client.post("/stock/devices", data={"search": "1", "q": "maria"}))
    assert "XYZ-9" in by_name and "Per Nr00" not in by_name


def test_a_devices_search_naming_many_finds_the_same_devices(
    client, world, monkeypatch
):
    """Up to MATCHED_MAX devices and patients named are looked up first; more
    are matched over every device on loan. Both ways list the same pages."""
    from sesamlike.fulfilment import registers

    pump = lend_devices(world)
    hidden = make_patient(world.clinic, first_name="Sara", last_name="Dold",
                          protected_identity=True)  # fmt: skip
    make_lent_device(hidden, pump, "SN-HIDDEN")
    olle = make_patient(world.clinic, first_name="Olle", last_name="Annan")
    make_lent_device(olle, pump, "PER NR1-77")  # a serial beside many names
    searches = [{"q": "SN-0"}, {"q": "SN-0", "page": "2"}, {"q": "xyz-9"},
                {"q": "maria"}, {"q": "Per Nr1"}, {"q": "Dold"},
                {"q": "ingen"}, {"q": "sn-h"}]  # fmt: skip

    def pages() -> list[str]:
        searched = [{"search": "1", **search} for search in searches]
        return searched_pages(client, "/stock/devices", searched)

    few = pages()
    monkeypatch.setattr(registers, "MATCHED_MAX", 1)
    assert pages() == few
    assert "25 enheter matchar ”SN-0”" in few[0] and "Per Nr10" in few[4]
    assert "PER NR1-77" in few[4] and "Olle Annan" in few[4]
    assert "SN-HIDDEN" not in few[5] and "SN-HIDDEN" in few[7]


def test_a_protected_patient_is_neither_named_nor_found_by_name(client, world):
    pump = make_pump("PUMP-1", name="Pump Y")
    hidden = make_patient(
        world.clinic, first_name="Sara", last_name="Dold", protected_identity=True
    )
    make_lent_device(hidden, pump, "SN-HIDDEN")
    page = html(client.post("/stock/devices", data={"search": "1", "q": "SN-H"}))
    assert "SN-HIDDEN" in page and "Skyddade personuppgifter" in page
    assert "Dold" not in page
    by_name = html(client.post("/stock/devices", data={"search": "1", "q": "Dold"}))
    assert "SN-HIDDEN" not in by_name
    by_serial = html(
        client.post("/stock/devices", data={"search": "1", "q": "SN-HIDDEN"})
    )
    assert "SN-HIDDEN" in by_serial and "Sara" not in by_serial


def depot_reads(action: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == action)
    )


def test_returns_and_loans_name_and_audit_no_patient_until_searched(client, world):
    """The walkthrough: every load of the returns page listed the names of the
    last 14 days' deliveries, every load of the devices page (the reload after
    each return too) 20 loan holders, each read into their access log: a child
    the aids centre never handled had 55 reads. Need to know: a patient is
    shown, and audited, only when the clerk searches for what they handle."""
    maria = make_patient(world.clinic, first_name="Maria", last_name="Ek")
    order = delivered(world, packs=2, patient=maria)
    pump = make_pump("PUMP-1", name="Pump Y")
    make_lent_device(maria, pump, "SN-MARIA")
    make_lent_device(make_patient(world.clinic, first_name="Olle", last_name="Barn"),
                     pump, "SN-OLLE")  # fmt: skip

    returns_page = html(client.get("/stock/returns"))
    devices_page = html(client.get("/stock/devices"))
    returned = client.post(
        "/stock/devices",
        data={"serial_no": "SN-MARIA", "reason": "faulty",
              "returned_on": TODAY.isoformat()},
        follow_redirects=True,
    )  # fmt: skip
    assert "SN-MARIA är mottagen" in html(returned)
    for page in (returns_page, devices_page, html(returned)):
        assert "Maria" not in page and "Olle" not in page and "SN-OLLE" not in page
    assert "Registrera retur" not in returns_page
    assert "Sök på beställningsnummer, patientens namn eller serienummer" in (
        returns_page
    )
    assert "Sök på serienummer eller patientens namn" in devices_page
    assert depot_reads("read_returns") == depot_reads("read_devices_on_loan") == 0

    found = html(client.post("/stock/returns", data={"q": str(order.id)}))
    assert "Maria Ek" in found and "Registrera retur" in found
    lent = html(client.post("/stock/devices", data={"search": "1", "q": "olle"}))
    assert "SN-OLLE" in lent and "Olle Barn" in lent
    assert depot_reads("read_returns") == depot_reads("read_devices_on_loan") == 1


# Returns ------------------------------------------------------------------------


def test_returns_page_is_searched_by_order_patient_or_serial_and_paged(client, world):
    maria = make_patient(world.clinic, first_name="Maria", last_name="Ek")
    hers = delivered(world, packs=2, patient=maria)
    others = [delivered(world, packs=1) for _ in range(21)]

    first = html(client.post("/stock/returns", data={"q": "Test"}))
    assert "21 rader matchar ”Test”" in first and "Sida 1 av 2" in first
    assert first.count("Registrera retur av Infusionsset X") == 20

    by_order = html(client.post("/stock/returns", data={"q": str(others[3].id)}))
    assert f"Beställning {others[3].id}:" in by_order
    assert by_order.count("Registrera retur") == 1
    by_name = html(client.post("/stock/returns", data={"q": "Maria"}))
    assert f"Beställning {hers.id}:" in by_name and "Maria Ek" in by_name
    assert by_name.count("Registrera retur") == 1

    pump = make_pump("PUMP-1")
    make_lent_device(maria, pump, "SN-MARIA")
    receive(world, 1, article_no="PUMP-1", serials=["SN-SHIPPED"])
    device_order = place(world, article=pump, mode="clinic", patient=maria)
    shipping.ship_order(
        world.clerk, device_order.id, serials={device_order.lines[0].id: ["SN-SHIPPED"]}
    )
    shipping.deliver_order(world.clerk, device_order.id, TODAY)
    by_serial = html(client.post("/stock/returns", data={"q": "sn-maria"}))
    assert f"Beställning {hers.id}:" in by_serial
    assert by_serial.count("Registrera retur") == 1  # a device comes back elsewhere
    shipped_in = html(client.post("/stock/returns", data={"q": "SN-SHIPPED"}))
    assert "Pump" not in shipped_in and shipped_in.count("Registrera retur") == 1


def test_a_part_of_a_lent_devices_serial_finds_its_holders_lines(client, world):
    """The clerk reads a part of the serial off a pump: its holder's lines,
    as the whole serial finds them (the part found nothing where no order
    line carried that serial)."""
    maria = make_patient(world.clinic, first_name="Maria", last_name="Ek")
    hers = delivered(world, packs=2, patient=maria)
    delivered(world, packs=1)  # someone else's
    make_lent_device(maria, make_pump("PUMP-1"), "NHD01711")

    for typed in ("NHD01711", "d0171", "01711"):
        found = html(client.post("/stock/returns", data={"q": typed}))
        assert f"Beställning {hers.id}:" in found, typed
        assert found.count("Registrera retur") == 1, typed


def test_a_character_or_two_finds_no_one_but_a_whole_order_number(client, world):
    """The walkthrough: "1" in the returns search listed 20 patients' lines
    (a 1 in a serial of theirs), none of them the parcel's, and wrote "Såg
    barnet i returregistret" in a child's access log. A serial is looked for
    from 4 characters, a name's words from 2; an order number whole."""
    maria = make_patient(world.clinic, first_name="Maria", last_name="Ek")
    hers = delivered(world, packs=2, patient=maria)
    others = [delivered(world, packs=1) for _ in range(3)]
    make_lent_device(maria, make_pump("PUMP-1"), "NHD01711")
    make_lent_device(others[0].patient, make_pump("PUMP-2"), "NHD01712")
    read = sa.select(sa.func.count()).where(AuditEvent.action == "read_returns")
    before = db.session.scalar(read)

    for typed in ("N", "e", "NHD", "D01"):
        found = html(client.post("/stock/returns", data={"q": typed}))
        assert "Registrera retur" not in found, typed
        loans = html(client.post("/stock/devices", data={"q": typed, "search": "1"}))
        assert "Maria" not in loans and "NHD0171" not in loans, typed
    assert db.session.scalar(read) == before  # no one read, no one logged
    # A digit is an order number, whole: that order's line alone.
    one = html(client.post("/stock/returns", data={"q": str(hers.id)[-1]}))
    assert one.count("Registrera retur") <= 1

    whole = html(client.post("/stock/returns", data={"q": str(others[1].id)}))
    assert whole.count("Registrera retur") == 1
    assert "Hela beställningsnumret, minst 2 bokstäver" in whole
    assert f"Beställning {hers.id}:" in html(
        client.post("/stock/returns", data={"q": "Ek"})
    )
    assert f"Beställning {hers.id}:" in html(
        client.post("/stock/returns", data={"q": "0171"})
    )


def test_a_name_is_found_surname_first_and_with_a_comma(client, world):
    """Names are listed "Efternamn, Förnamn" and typed either way round."""
    maria = make_patient(world.clinic, first_name="Maria", last_name="Ek")
    hers = delivered(world, packs=2, patient=maria)
    make_lent_device(maria, make_pump("PUMP-1"), "XYZ-9")
    delivered(world, packs=1)

    for typed in ("Maria Ek", "Ek Maria", "Ek, Maria", "ek,maria"):
        found = html(client.post("/stock/returns", data={"q": typed}))
        assert f"Beställning {hers.id}:" in found, typed
        assert found.count("Registrera retur") == 1, typed
        lent = html(client.post("/stock/devices", data={"search": "1", "q": typed}))
        assert "XYZ-9" in lent and "Maria Ek" in lent, typed
    nobody = html(client.post("/stock/returns", data={"q": "Ek Olle"}))
    assert "Registrera retur" not in nobody
    comma = html(client.post("/stock/returns", data={"q": ","}))
    assert "Registrera retur" not in comma


def test_a_search_naming_many_patients_finds_the_same_lines(client, world, monkeypatch):
    """Up to MATCHED_MAX orders and patients a search names are looked up
    first and then their lines; more are matched over every returnable line
    of the window. Both ways list the same lines, the same pages."""
    from sesamlike.fulfilment import registers

    maria = make_patient(world.clinic, first_name="Maria", last_name="Ek")
    delivered(world, packs=2, patient=maria)
    others = [delivered(world, packs=1) for _ in range(21)]
    searches = [{"q": "Test"}, {"q": "Test", "page": "2"}, {"q": "Maria"},
                {"q": str(others[3].id)}, {"q": "ingen"}]  # fmt: skip

    def pages() -> list[str]:
        return searched_pages(client, "/stock/returns", searches)

    few = pages()
    monkeypatch.setattr(registers, "MATCHED_MAX", 1)  # 21 "Test" patients: many
    assert pages() == few
    assert "21 rader matchar ”Test”" in few[0] and "Sida 2 av 2" in few[1]
    assert few[1].count("Registrera retur av Infusionsset X") == 1


def test_a_name_many_patients_have_and_a_serial_find_the_same_lines(
    client, world, monkeypatch
):
    """A name more than MATCHED_MAX patients have finds their lines as a
    semi-join; with them, the lines of the patient who has a device of that
    serial and of the orders a serial with the text was shipped in, as when
    few are named."""
    from sesamlike.fulfilment import registers

    maria = make_patient(world.clinic, first_name="Maria", last_name="Ek")
    hers = delivered(world, packs=2, patient=maria)
    for _ in range(21):
        delivered(world, packs=1)
    pump = make_pump("PUMP-1")
    make_lent_device(maria, pump, "TEST")  # her device: her lines come too
    searches = [{"q": "Test"}, {"q": "Test", "page": "2"}, {"q": "tes"}]

    def pages() -> list[str]:
        return searched_pages(client, "/stock/returns", searches)

    few = pages()
    assert "22 rader matchar ”Test”" in few[0] and "Sida 2 av 2" in few[1]
    assert f"Beställning {hers.id}:" in few[0] + few[1]
    monkeypatch.setattr(registers, "MATCHED_MAX", 1)
    assert pages() == few

    # A pump and infusion sets in one order to a patient the text does not
    # name: the sets come back by the pump's serial, the order's.
    olle = make_patient(world.clinic, first_name="Olle", last_name="Annan")
    both = make_order(olle, [
        (make_prescription(olle, pump), 1, "delivered", TODAY),
        (make_prescription(olle, world.article), 2, "delivered", TODAY),
    ])  # fmt: skip
    both.lines[0].serial_no = "SN-TEST-SHIPPED"
    db.session.commit()
    monkeypatch.setattr(registers, "MATCHED_MAX", 200)
    few = pages()
    assert f"Beställning {both.id}:" in few[0] + few[1]
    monkeypatch.setattr(registers, "MATCHED_MAX", 1)
    assert pages() == few


def take_back(client, line_id: int, packs: int, *, restock: str = "1"):
    """Return packs of a line on the returns page, today, as the clerk's form
    posts them (restock "1": back on stock, "0": scrapped); the page after."""
    return client.post(
        f"/stock/lines/{line_id}/return",
        data={"packs": str(packs), "restock": restock,
              "returned_on": TODAY.isoformat()},
        follow_redirects=True,
    )  # fmt: skip


def test_partial_return_on_the_page_restocks_some_and_scraps_others(client, world):
    order = delivered(world, packs=5)
    line_id = order.lines[0].id
    response = take_back(client, line_id, 2, restock="1")
    assert f"Infusionsset X, beställning {order.id}: 2 förp. tillbaka i lager" in html(
        response
    )
    response = take_back(client, line_id, 1, restock="0")
    assert f"beställning {order.id}: 1 förp. kasserad." in html(response)
    found = html(client.post("/stock/returns", data={"q": str(order.id)}))
    assert "högst 2" in found  # what is left on the line
    returned = line(line_id)
    assert (returned.status, returned.packs_returned, returned.packs_restocked) == (
        "delivered",
        3,
        2,
    )
    assert db.session.scalar(sa.select(sa.func.sum(StockLot.on_hand))) == 2

    response = take_back(client, line_id, 3, restock="1")
    assert "Infusionsset X: 2 förp. kvar att returnera på raden, inte 3." in html(
        response
    )
    assert line(line_id).packs_returned == 3


def test_after_a_return_the_page_shows_the_order_again_not_an_empty_search(
    client, world
):
    """The walkthrough: after each return the page came back empty, and the
    clerk with a parcel of packs from several lines searched again for every
    one. The answer now lists the order just handled, with what is left."""
    order = delivered(world, packs=5)
    line_id = order.lines[0].id
    response = take_back(client, line_id, 2, restock="1")
    page = html(response)
    assert f"Infusionsset X, beställning {order.id}: 2 förp. tillbaka i lager" in page
    assert f"Beställning {order.id}:" in page and "högst 3" in page
    assert f'name="q" value="{order.id}"' in page.replace("\n", " ")


def test_the_order_shown_after_a_return_is_that_order_alone(client, world):
    """The review: the page after a return searched for the order's number as
    free text, which also finds another patient's order by a serial holding
    those digits, and logged that patient as read by the aids centre."""
    order = delivered(world, packs=3)
    other = make_patient(world.clinic, first_name="Ove", last_name="Annan")
    others = delivered(world, packs=1, patient=other)
    db.session.execute(
        sa.update(OrderLine)
        .where(OrderLine.id == others.lines[0].id)
        .values(serial_no=f"SN{order.id}0")
    )
    db.session.commit()
    reads_before = depot_reads("read_returns")
    response = take_back(client, order.lines[0].id, 1, restock="1")
    page = html(response)
    assert f"Beställning {order.id}:" in page
    assert "Ove Annan" not in page and f"Beställning {others.id}:" not in page
    assert depot_reads("read_returns") == reads_before + 1  # this patient only


def test_search_terms_never_go_in_a_url(client, world):
    delivered(world)
    page = html(client.get("/stock/returns"))
    assert 'method="post" action="/stock/returns"' in page
    devices = html(client.get("/stock/devices"))
    assert 'method="post" action="/stock/devices#on-loan" class="filters"' in devices


# Words --------------------------------------------------------------------------


def test_receipt_says_nothing_of_backorders_when_none_were_waiting(client, world):
    response = client.post(
        "/stock/receipts",
        data={"depot_code": "HMC", "article_no": "INF-7", "packs": "3", "lot": "P1"},
        follow_redirects=True,
    )
    page = html(response)
    assert "3 förp. Infusionsset X inlevererade till parti P1 i " in page
    assert "Restorder" not in page and ": 0" not in page


def test_batches_are_partier_not_lotter(client, world):
    page = html(client.get("/channels/"))
    assert "Lotter" not in page and "lotter" not in page
    assert "Partier som har gått ut eller går ut inom 60 dagar" in page


@pytest.mark.parametrize(
    "locale, restocked, scrapped, back",
    [
        ("sv", "1 förp. tillbaka i lager.", "1 förp. kasserad.", "1 förp. redan"),
        ("en", "1 pack back on stock.", "1 pack scrapped.", "1 pack already back"),
    ],
)
def test_one_returned_pack_reads_singular_in_swedish_and_english(
    client, world, locale, restocked, scrapped, back
):
    order = delivered(world, packs=5)
    line_id = order.lines[0].id
    client.post("/language", data={"locale": locale})
    for restock, said in (("1", restocked), ("0", scrapped)):
        response = client.post(
            f"/stock/lines/{line_id}/return",
            data={"packs": "1", "restock": restock, "returned_on": TODAY.isoformat()},
            follow_redirects=True,
        )
        assert f"{order.id}: {said}" in html(response)
        assert "1 packs" not in html(response)
        if restock == "1":  # the line on the returns page, one pack back
            found = html(client.post("/stock/returns", data={"q": str(order.id)}))
            assert back in found and "1 packs" not in found


def test_on_a_phone_the_pick_and_packing_lists_read_as_cards_with_their_labels(
    client, auth
):
    """Their tables were wider than a phone: a clerk scrolled sideways to the
    bin and the count. Stacked (`table.stack`), each value carries its name."""
    from tests.factories import (
        make_article,
        make_depot_world,
        make_stock_lot,
        place_order_for,
    )

    world = make_depot_world(clerk="lager-mobil")
    article = make_article("QS9", name="Quick-set 9 mm")
    make_stock_lot(article, world.depot, on_hand=5, lot="L42", bin="A-12")
    place_order_for(world.prescriber, article, packs=2)
    auth.login("lager-mobil")
    picking = client.get("/stock/picking").text
    packing = client.get("/stock/packing").text
    for page, labels in (
        (picking, ("Parti", "Lagerplats", "Utgångsdatum", "Antal")),
        (packing, ("Rader", "Plockad")),
    ):
        assert '<table class="stack"' in page
        for label in labels:
            assert f'data-label="{label}"' in page, label


@pytest.mark.parametrize("text", ["²", "1²", "٣"])
def test_a_search_of_digit_like_text_is_answered_not_a_server_error(
    client, world, text
):
    """Superscripts pass str.isdigit() but not int(): the search gave a 500."""
    response = client.post("/stock/returns", data={"q": text})
    assert response.status_code == 200
    assert "Inget att returnera matchar sökningen." in html(response)
