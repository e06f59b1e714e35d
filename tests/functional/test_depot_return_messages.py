"""What the clerk is told when a return cannot be taken or a serial is wrong:
why (past the 14 days, already in quarantine), beside the field it is about."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from sesamlike.common.time import region_today
from sesamlike.fulfilment import shipping
from tests.factories import (
    make_article,
    make_delivered_line,
    make_depot_world,
    make_lent_device,
    make_patient,
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


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_return_past_14_days_says_so_with_the_delivery_day(client, world):
    patient = make_patient(world.prescriber.clinics[0], last_name="Sentsson")
    delivered = TODAY - timedelta(days=20)
    line = make_delivered_line(patient, world.article, delivered, packs=3)

    page = text_of(
        client.post("/stock/returns", data={"q": "Sentsson"}).get_data(as_text=True)
    )

    assert "mer än 14 dagar sedan" in page
    assert f"Beställning {line.order_id}: 3 × Infusionsset X" in page
    assert f"Levererad {delivered.day}" in page  # the day, in the reader's words
    # Whose parcel (a surname several patients have), and the notice alone:
    # not "0 lines match" and "nothing to return matches" beside it too.
    assert f"Infusionsset X · {patient.full_name} · Levererad" in page
    assert "0 rader matchar" not in page
    assert "Inget att returnera matchar sökningen" not in page


def test_a_search_naming_too_many_patients_does_not_look_back(
    client, world, monkeypatch
):
    """Past the window only what a search names few of (MATCHED_MAX): a
    broader one would read every line of the region for a notice that could
    not tell the clerk's parcel apart anyway."""
    from sesamlike.fulfilment import registers

    for first_name in ("Anna", "Bo"):
        patient = make_patient(world.prescriber.clinics[0], first_name=first_name,
                               last_name="Sentsson")  # fmt: skip
        make_delivered_line(patient, world.article, TODAY - timedelta(days=20))

    def page() -> str:
        return text_of(
            client.post("/stock/returns", data={"q": "Sentsson"}).get_data(as_text=True)
        )

    assert "mer än 14 dagar sedan" in page()
    monkeypatch.setattr(registers, "MATCHED_MAX", 1)
    broad = page()
    assert "0 rader matchar" in broad and "mer än 14 dagar sedan" not in broad


def test_a_search_naming_too_many_in_all_does_not_look_back(client, world, monkeypatch):
    """MATCHED_MAX counts what the text names in all: the patient who has a
    device of that serial with those it names."""
    from sesamlike.fulfilment import registers

    clinic = world.prescriber.clinics[0]
    named = make_patient(clinic, first_name="Anna", last_name="Sentsson")
    make_delivered_line(named, world.article, TODAY - timedelta(days=20))
    holder = make_patient(clinic, first_name="Olle", last_name="Annan")
    make_lent_device(holder, make_pump("PUMP-1"), "SENTSSON")
    make_delivered_line(holder, world.article, TODAY - timedelta(days=20))

    def page() -> str:
        return text_of(
            client.post("/stock/returns", data={"q": "Sentsson"}).get_data(as_text=True)
        )

    assert "mer än 14 dagar sedan" in page()
    monkeypatch.setattr(registers, "MATCHED_MAX", 1)  # one named, one holder
    broad = page()
    assert "0 rader matchar" in broad and "mer än 14 dagar sedan" not in broad


def test_a_return_inside_14_days_is_listed_without_the_late_notice(client, world):
    patient = make_patient(world.prescriber.clinics[0], last_name="Tidigsson")
    make_delivered_line(patient, world.article, TODAY - timedelta(days=3))

    page = text_of(
        client.post("/stock/returns", data={"q": "Tidigsson"}).get_data(as_text=True)
    )

    assert "1 rad matchar" in page and "mer än 14 dagar sedan" not in page


def lend_pump(world, serial="SN2"):
    pump = make_pump("PUMP-2", name="Pump Två")
    shipping.receive_stock(world.clerk, "HMC", "PUMP-2", 1, serials=[serial])
    placed = place_order_for(world.prescriber, pump, 1, mode="clinic", lock_days=0)
    shipping.ship_order(world.clerk, placed.id, serials={placed.lines[0].id: [serial]})
    return placed


def field_error(html: str, field_id: str) -> str:
    return html.split(f'id="{field_id}">')[1].split("</p>")[0]


def test_a_second_return_of_a_device_in_quarantine_says_since_when(client, world):
    lend_pump(world)
    form = {
        "serial_no": "SN2",
        "reason": "therapy_ended",
        "returned_on": TODAY.isoformat(),
    }
    assert client.post("/stock/devices", data=form).status_code == 302

    response = client.post("/stock/devices", data=form)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = field_error(html, "serial_no-error")
    assert "SN2 (Pump Två) är redan återlämnad och står i karantän sedan " in error
    assert TODAY.isoformat() in error or str(TODAY.year) in error
    assert "Inget utlånat hjälpmedel" not in html
    assert "Lämnade leverantören enheten direkt" not in html


def test_a_wrong_serial_is_said_beside_its_lines_serial_field(client, world):
    pump = make_pump("PUMP-3", name="Pump Tre")
    shipping.receive_stock(world.clerk, "HMC", "PUMP-3", 1, serials=["SN3"])
    placed = place_order_for(world.prescriber, pump, 1, mode="clinic", lock_days=0)
    line_id = placed.lines[0].id

    response = client.post(
        f"/stock/orders/{placed.id}/pack",
        data={"line": str(line_id), f"serials-{line_id}": "NOPE9"},
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Serienumret NOPE9 finns inte i lager för Pump Tre" in field_error(
        html, f"serials-{line_id}-error"
    )
    assert f'aria-describedby="serials-{line_id}-error"' in html or (
        f"serials-{line_id}-error" in html.split(f'id="serials-{line_id}-1"')[1][:300]
    )


def test_a_missing_serial_is_said_beside_its_lines_serial_field(client, world):
    pump = make_pump("PUMP-4", name="Pump Fyra")
    shipping.receive_stock(world.clerk, "HMC", "PUMP-4", 1, serials=["SN4"])
    placed = place_order_for(world.prescriber, pump, 1, mode="clinic", lock_days=0)
    line_id = placed.lines[0].id

    response = client.post(
        f"/stock/orders/{placed.id}/pack", data={"line": str(line_id)}
    )

    assert "Ett serienummer per förpackning." in field_error(
        response.get_data(as_text=True), f"serials-{line_id}-error"
    )
