"""The aids centre's list of lent devices due back after the end of a
patient's care: which devices, from whom, since when, where to collect them,
and the way to take each back, after which it leaves the list."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.fulfilment import due_back
from sesamlike.patients import care_end
from tests.factories import (
    make_clinic,
    make_delivered_line,
    make_depot,
    make_lent_device,
    make_patient,
    make_pump,
    make_user,
)

TODAY = region_today()
URL = "/stock/devices/due-back"


@pytest.fixture
def world():
    class World:
        clinic = make_clinic(
            "DIAB", name="Diabetesmottagningen Sahlgrenska",
            street="Blå stråket 5", postal_code="41345", city="Göteborg",
        )  # fmt: skip
        prescriber = make_user("prescriber", clinics=[clinic])
        clerk = make_user("depot", username="lager")
        depot = make_depot("HMC")
        pump = make_pump("MM780", name="MiniMed 780G insulinpump")
        moved = make_patient(clinic, first_name="Maja", last_name="Flyttström")
        dead = make_patient(clinic, first_name="Gustav", last_name="Avlidensson")
        hidden = make_patient(
            clinic, first_name="Hemlig", last_name="Skyddsson", protected_identity=True
        )
        cared = make_patient(clinic, first_name="Kvar", last_name="Ivården")

    world = World()
    world.moved_pump = make_lent_device(world.moved, world.pump, "NG-MOVED-1")
    world.dead_pump = make_lent_device(world.dead, world.pump, "NG-DEAD-1")
    world.hidden_pump = make_lent_device(world.hidden, world.pump, "NG-HIDDEN-1")
    world.cared_pump = make_lent_device(world.cared, world.pump, "NG-CARED-1")
    care_end.end_care(world.prescriber, world.dead.id, "deceased",
                      TODAY - timedelta(days=20))  # fmt: skip
    care_end.end_care(world.prescriber, world.moved.id, "moved_out",
                      TODAY - timedelta(days=10))  # fmt: skip
    care_end.end_care(world.prescriber, world.hidden.id, "moved_out",
                      TODAY - timedelta(days=5))  # fmt: skip
    return world


def text_of(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def rows_of(response) -> list[str]:
    body = response.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split())
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def reads(action: str = due_back.READ_ACTION) -> list[int]:
    return sorted(
        db.session.scalars(
            sa.select(AuditEvent.patient_id).where(AuditEvent.action == action)
        )
    )


def test_the_clerk_sees_the_devices_due_back_oldest_end_first(client, auth, world):
    auth.login("lager")
    page = client.get(URL)
    assert page.status_code == 200
    rows = rows_of(page)
    assert [row.split()[0] for row in rows] == [
        "NG-DEAD-1",
        "NG-MOVED-1",
        "NG-HIDDEN-1",
    ]
    dead, moved, hidden = rows
    assert "MiniMed 780G insulinpump" in dead and "Gustav Avlidensson" in dead
    day = (TODAY - timedelta(days=20)).isoformat()
    assert f"Avliden {day}" in dead
    assert "Flyttat från regionen" in moved
    # Where to collect: the patient's address, not the door code.
    assert world.moved.addresses[0].street in moved and "41101 Göteborg" in moved
    assert "1234" not in page.text
    # Deceased: the estate is not stored, said plainly, with whom to ask.
    assert "Dödsboets eller de anhörigas kontaktuppgifter finns inte" in dead
    assert "Diabetesmottagningen Sahlgrenska" in dead
    # Still in care: not listed.
    assert "NG-CARED-1" not in page.text and "Ivården" not in page.text
    assert "3 utlånade enheter ska hämtas." in text_of(page)


def test_a_protected_patients_name_and_address_are_never_shown(client, auth, world):
    auth.login("lager")
    page = client.get(URL)
    [hidden] = [row for row in rows_of(page) if "NG-HIDDEN-1" in row]
    assert "Skyddade personuppgifter" in hidden
    assert "Skyddsson" not in page.text and "Hemlig" not in page.text
    assert world.hidden.addresses[0].street not in page.text
    # The clinic's address instead.
    assert "Blå stråket 5" in hidden and "41345 Göteborg" in hidden


def test_each_patient_listed_is_logged_as_read_by_the_aids_centre(client, auth, world):
    auth.login("lager")
    client.get(URL)
    assert reads() == sorted([world.dead.id, world.moved.id, world.hidden.id])
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == due_back.READ_ACTION)
    ).all()
    assert {event.role for event in events} == {"depot"}


def test_a_device_taken_back_leaves_the_list(client, auth, world):
    auth.login("lager")
    page = client.get(URL)
    link = re.search(
        r'href="([^"]+)">Ta emot retur<span class="visually-hidden"> NG-MOVED-1',
        page.text,
    )
    form = client.get(html.unescape(link.group(1)))
    assert 'value="NG-MOVED-1"' in form.text  # the serial filled in
    [chosen] = re.findall(r"<option[^>]*\bselected[^>]*>", form.text)
    assert 'value="therapy_ended"' in chosen  # Behandlingen avslutad
    back = client.post(
        "/stock/devices",
        data={"serial_no": "NG-MOVED-1", "reason": "therapy_ended",
              "returned_on": TODAY.isoformat()},
    )  # fmt: skip
    assert back.status_code == 302
    client.get(back.headers["Location"])  # "NG-MOVED-1 är mottagen ..."
    again = client.get(URL)
    assert "NG-MOVED-1" not in again.text
    assert [row.split()[0] for row in rows_of(again)] == ["NG-DEAD-1", "NG-HIDDEN-1"]


def test_a_long_list_is_paged(client, auth, world, monkeypatch):
    monkeypatch.setattr(due_back, "PER_PAGE", 2)
    auth.login("lager")
    first = client.get(URL)
    assert [row.split()[0] for row in rows_of(first)] == ["NG-DEAD-1", "NG-MOVED-1"]
    assert "Sida 1 av 2" in first.text
    second = client.get(URL + "?page=2")
    assert [row.split()[0] for row in rows_of(second)] == ["NG-HIDDEN-1"]
    # Only the patients shown are read.
    assert reads() == sorted([world.dead.id, world.moved.id, world.hidden.id])


def test_the_stock_pages_link_to_the_list(client, auth, world):
    auth.login("lager")
    page = client.get("/stock/devices")
    assert f'href="{URL}"' in page.text
    assert "Enheter att hämta efter avslutad vård" in page.text


def test_nothing_due_back_says_so_and_reads_no_one(client, auth):
    make_user("depot", username="lager")
    auth.login("lager")
    page = client.get(URL)
    assert "Inga utlånade enheter väntar på att hämtas" in page.text
    assert reads() == []


@pytest.mark.parametrize("role", ["prescriber", "region", "admin", "manager"])
def test_only_the_aids_centre_may_read_the_list(world, role):
    """The service refuses every other role, whatever calls it."""
    from sesamlike.common.errors import Forbidden

    user = make_user(role, clinics=[world.clinic] if role in ("prescriber", "manager")
                     else [])  # fmt: skip
    with pytest.raises(Forbidden):
        due_back.devices_due_back(user)
    assert reads() == []


def test_a_device_a_supplier_delivered_unregistered_is_due_back_too(
    client, auth, world
):
    """The prescriber was told it comes back: the aids centre sees its order
    and finds the delivery to take it back under the serial read off it."""
    reader = make_pump("FSL-R", name="FreeStyle Libre 2 avläsare",
                       category="cgm_reader")  # fmt: skip
    line = make_delivered_line(world.moved, reader, TODAY - timedelta(days=300))
    auth.login("lager")
    page = client.get(URL)
    [row] = [row for row in rows_of(page) if "FreeStyle Libre 2 avläsare" in row]
    assert row.startswith("– ")  # no serial number known
    assert f"Beställning {line.order_id}" in row and "Maja Flyttström" in row
    assert "4 utlånade enheter ska hämtas." in text_of(page)

    found = client.post(
        "/stock/devices/unregistered", data={"find-q": str(line.order_id)}
    )
    assert f'value="{line.id}"' in found.text  # the delivery to choose
    back = client.post(
        "/stock/devices/unregistered",
        data={"unregistered-q": str(line.order_id),
              "unregistered-line_id": str(line.id),
              "unregistered-serial_no": "FSL-READ-9",
              "unregistered-reason": "therapy_ended",
              "unregistered-returned_on": TODAY.isoformat()},
    )  # fmt: skip
    assert back.status_code == 302, back.text
    client.get(back.headers["Location"])
    again = client.get(URL)
    assert "FreeStyle Libre 2 avläsare" not in again.text
    assert "3 utlånade enheter ska hämtas." in text_of(again)


def statements_of(client, path: str) -> int:
    sent = []

    def count(_conn, _cursor, statement, *_args, **_kwargs):
        sent.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(sent)


def test_the_list_reads_as_many_statements_for_many_rows_as_for_few(
    client, auth, world
):
    auth.login("lager")
    few = statements_of(client, URL)
    for n in range(4):
        patient = make_patient(world.clinic, last_name=f"Fler{n}")
        make_lent_device(patient, world.pump, f"NG-MORE-{n}")
        care_end.end_care(world.prescriber, patient.id, "moved_out",
                          TODAY - timedelta(days=n))  # fmt: skip
    many = statements_of(client, URL)
    assert "7 utlånade enheter ska hämtas." in text_of(client.get(URL))
    assert many == few, (few, many)
