"""The prescribing rules of interfaces.md through the API, on the demo catalogue.

`POST /prescriptions/kit`, and each rule with its code: incompatible_system,
device_single_withdrawal, first_device_to_clinic, and the first-time right to
start a pump or CGM (cancelled prescriptions do not count as earlier ones).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders.models import Order
from sesamlike.prescriptions.models import Prescription
from sesamlike.prescriptions.rules import default_valid_to
from tests.factories import (
    load_demo_catalogue,
    make_clinic,
    make_depot,
    make_patient,
    make_user,
)
from tests.functional.test_api_basics import assert_error_format, bearer

TODAY = region_today()


@pytest.fixture
def region():
    load_demo_catalogue()
    clinic = make_clinic("NORR", name="Diabetesmottagningen Norr")
    make_depot("HMC")  # central lines are reserved or backordered there

    class Region:
        doctor = make_user("prescriber", clinics=[clinic], first_time_prescriber=True)
        # A nurse who may renew but not prescribe a first pump or start CGM.
        nurse = make_user("prescriber", clinics=[clinic])
        patient = make_patient(clinic, first_name="Nora", last_name="Löfgren")

    return Region


def written() -> tuple[int, int, int]:
    """Prescriptions, orders and audit rows of changes (a refusal logs only the
    read of what it tells about the patient)."""
    changes = sa.select(AuditEvent.id).where(AuditEvent.action != "read").subquery()
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Prescription, Order, changes)
    )


def prescribe(client, user, patient, article_no, packs=1, withdrawals=4, **extra):
    body = {
        "patient_id": patient.id,
        "article_no": article_no,
        "packs_per_withdrawal": packs,
        "withdrawals": withdrawals,
        "period_days": extra.pop("period_days", 90),
        "valid_from": TODAY.isoformat(),
        **extra,
    }
    return client.post("/api/v1/prescriptions", json=body, headers=bearer(user))


def kit(client, user, patient, system, **extra):
    body = {
        "patient_id": patient.id,
        "system": system,
        "valid_from": TODAY.isoformat(),
        **extra,
    }
    return client.post("/api/v1/prescriptions/kit", json=body, headers=bearer(user))


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_json()
    assert_error_format(response, status, code)
    return response.get_json()["error"]


# Kits ---------------------------------------------------------------------------


def test_kit_for_minimed_640g_gives_the_pump_and_its_consumables(client, region):
    response = kit(client, region.doctor, region.patient, "MiniMed 640G")
    assert response.status_code == 201, response.get_json()
    made = response.get_json()["prescriptions"]
    terms = [
        (
            p["article_no"],
            p["packs_per_withdrawal"],
            p["withdrawals"],
            p["period_days"],
        )
        for p in made
    ]
    # Pump 1 x 1; infusion sets and reservoirs every third day (0.3333 a day,
    # 10 a pack: ceil(29.997 / 10) = 3); AA batteries 0.1 a day, 10 a pack: 1.
    assert terms == [
        ("100001", 1, 1, 365),
        ("100101", 3, 4, 90),
        ("100201", 3, 4, 90),
        ("900001", 1, 4, 90),
    ]
    assert {p["status"] for p in made} == {"active"}
    assert {p["valid_to"] for p in made} == {default_valid_to(TODAY).isoformat()}
    assert all(p["reason_code"] is None for p in made)
    assert written()[0] == 4


def test_kit_for_a_cgm_system_gives_reader_and_sensors(client, region):
    response = kit(client, region.doctor, region.patient, "FreeStyle Libre 2")
    assert response.status_code == 201, response.get_json()
    terms = [
        (p["article_no"], p["packs_per_withdrawal"], p["withdrawals"])
        for p in response.get_json()["prescriptions"]
    ]
    # 0.0714 sensors a day (one per 14 days), 1 a pack: ceil(6.426) = 7.
    assert terms == [("500002", 1, 1), ("500001", 7, 4)]


def test_kit_lines_may_be_adjusted_and_a_departure_needs_a_reason(client, region):
    lines = [
        {"article_no": "100001", "packs_per_withdrawal": 1, "withdrawals": 1,
         "period_days": 365},
        {"article_no": "100102", "packs_per_withdrawal": 4, "withdrawals": 4,
         "period_days": 90},
    ]  # fmt: skip
    error = refused(
        kit(client, region.doctor, region.patient, "MiniMed 640G", lines=lines),
        422,
        "reason_required",
    )
    assert "100102" in error["message"] and "förstahandsval" in error["message"]
    assert set(error["fields"]) == {"lines.1.reason_code", "lines.1.reason_text"}
    assert written() == (0, 0, 0)
    lines[1].update(reason_code="medical", reason_text="Hudproblem av Quick-set")
    response = kit(client, region.doctor, region.patient, "MiniMed 640G", lines=lines)
    assert response.status_code == 201, response.get_json()
    made = response.get_json()["prescriptions"]
    assert [(p["article_no"], p["packs_per_withdrawal"]) for p in made] == [
        ("100001", 1),
        ("100102", 4),
    ]
    assert made[1]["reason_code"] == "medical"


def test_kit_line_outside_the_system_is_refused(client, region):
    lines = [{"article_no": "300101", "packs_per_withdrawal": 3, "withdrawals": 4,
              "period_days": 90}]  # fmt: skip
    error = refused(
        kit(client, region.doctor, region.patient, "MiniMed 640G", lines=lines),
        422,
        "invalid",
    )
    assert list(error["fields"]) == ["lines.0.article_no"]


def test_unknown_system_is_422_naming_the_known_ones(client, region):
    error = refused(
        kit(client, region.doctor, region.patient, "MiniMed 999G"),
        422,
        "unknown_system",
    )
    assert "MiniMed 640G" in error["message"] and list(error["fields"]) == ["system"]
    assert written() == (0, 0, 0)


def test_a_first_pump_kit_needs_the_first_time_right(client, region):
    error = refused(
        kit(client, region.nurse, region.patient, "MiniMed 640G"),
        403,
        "first_prescription_right_required",
    )
    assert "lines.0.article_no" in error["fields"]
    assert written() == (0, 0, 0)


def test_kit_with_a_device_of_several_withdrawals_is_refused(client, region):
    lines = [{"article_no": "100001", "packs_per_withdrawal": 1, "withdrawals": 4,
              "period_days": 90}]  # fmt: skip
    error = refused(
        kit(client, region.doctor, region.patient, "MiniMed 640G", lines=lines),
        422,
        "device_single_withdrawal",
    )
    assert list(error["fields"]) == ["lines.0.withdrawals"]


# incompatible_system -------------------------------------------------------------


def cgm_only(client, region) -> None:
    """The patient uses FreeStyle Libre 2 sensors with a phone: CGM, no pump."""
    assert (
        prescribe(client, region.doctor, region.patient, "500001", 7).status_code == 201
    )


@pytest.mark.parametrize("article_no", ["100101", "300101", "100201", "900001"])
def test_pump_consumables_for_a_patient_without_a_pump_are_refused(
    client, region, article_no
):
    cgm_only(client, region)
    before = written()
    error = refused(
        prescribe(client, region.doctor, region.patient, article_no, 3),
        422,
        "incompatible_system",
    )
    assert "ingen pump" in error["message"] and "Förskriv pumpen" in error["message"]
    assert list(error["fields"]) == ["article_no"]
    assert written() == before


def test_consumables_must_fit_the_patients_pump(client, region):
    assert (
        prescribe(client, region.doctor, region.patient, "100001", 1, 1).status_code
        == 201
    )
    # MiniMed infusion sets fit; Omnipod pods do not.
    assert (
        prescribe(client, region.doctor, region.patient, "100101", 3).status_code == 201
    )
    error = refused(
        prescribe(client, region.doctor, region.patient, "300101", 3),
        422,
        "incompatible_system",
    )
    assert "Omnipod DASH pod" in error["message"] and "MiniMed 640G" in error["message"]


def test_a_reason_code_lets_an_incompatible_consumable_through(client, region):
    response = prescribe(
        client,
        region.doctor,
        region.patient,
        "300101",
        3,
        reason_code="other",
        reason_text="Pumpen byts till Omnipod nästa vecka",
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["reason_code"] == "other"


def test_cgm_sensors_need_no_reader(client, region):
    response = prescribe(client, region.doctor, region.patient, "400001", 9)
    assert response.status_code == 201, response.get_json()
    # Dexcom G6 sensors rank 2 in their category but first in their system.
    assert response.get_json()["reason_code"] is None


# device_single_withdrawal ----------------------------------------------------------


@pytest.mark.parametrize(
    ("packs", "withdrawals", "field"),
    [(1, 4, "withdrawals"), (2, 1, "packs_per_withdrawal")],
)
def test_a_device_is_one_withdrawal_of_one_pack(
    client, region, packs, withdrawals, field
):
    error = refused(
        prescribe(client, region.doctor, region.patient, "100001", packs, withdrawals),
        422,
        "device_single_withdrawal",
    )
    assert "1 uttag av 1 förpackning" in error["message"]
    assert list(error["fields"]) == [field]
    assert written() == (0, 0, 0)


# The first-time right ------------------------------------------------------------


def test_starting_cgm_with_sensors_alone_needs_the_first_time_right(client, region):
    error = refused(
        prescribe(client, region.nurse, region.patient, "500001", 7),
        403,
        "first_prescription_right_required",
    )
    assert "CGM" in error["message"]
    assert written() == (0, 0, 0)
    cgm_only(client, region)  # the doctor starts CGM
    assert (
        prescribe(client, region.nurse, region.patient, "500001", 7).status_code == 201
    )


def test_a_cancelled_pump_prescription_does_not_make_the_next_pump_a_renewal(
    client, region
):
    first = prescribe(client, region.doctor, region.patient, "100001", 1, 1)
    cancelled = client.post(
        f"/api/v1/prescriptions/{first.get_json()['id']}/cancel",
        headers=bearer(region.doctor),
    )
    assert cancelled.status_code == 200
    refused(
        prescribe(client, region.nurse, region.patient, "200001", 1, 1),
        403,
        "first_prescription_right_required",
    )


def test_a_second_pump_after_a_real_first_one_needs_no_first_time_right(client, region):
    prescribe(client, region.doctor, region.patient, "100001", 1, 1)
    # t:slim X2 ranks 2 among pumps but is first choice in its own system.
    response = prescribe(client, region.nurse, region.patient, "200001", 1, 1)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["reason_code"] is None


# first_device_to_clinic ------------------------------------------------------------


def order(client, user, patient, prescription_id, mode):
    body = {
        "patient_id": patient.id,
        "lines": [{"prescription_id": prescription_id, "packs": 1}],
        "delivery_mode": mode,
    }
    return client.post("/api/v1/orders", json=body, headers=bearer(user))


@pytest.mark.parametrize("mode", ["home", "pickup"])
@pytest.mark.parametrize(
    ("article_no", "name"),
    [("100001", "MiniMed 640G insulinpump"), ("500002", "FreeStyle Libre 2 avläsare")],
)
def test_the_first_device_goes_to_the_clinic(client, region, mode, article_no, name):
    rx = prescribe(client, region.doctor, region.patient, article_no, 1, 1).get_json()
    before = written()
    error = refused(
        order(client, region.nurse, region.patient, rx["id"], mode),
        422,
        "first_device_to_clinic",
    )
    assert name in error["message"]
    assert "Till mottagningen" in error["message"]
    assert list(error["fields"]) == ["delivery_mode"]
    assert written() == before
    response = order(client, region.nurse, region.patient, rx["id"], "clinic")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["delivery_mode"] == "clinic"


def test_a_later_reader_may_go_home(client, region):
    first = prescribe(client, region.doctor, region.patient, "500002", 1, 1)
    assert (
        order(client, region.nurse, region.patient, first.get_json()["id"], "clinic")
    ).status_code == 201
    # A replacement reader, prescribed later: not the patient's first.
    second = prescribe(client, region.nurse, region.patient, "500002", 1, 1)
    response = order(
        client, region.nurse, region.patient, second.get_json()["id"], "home"
    )
    assert response.status_code == 201, response.get_json()


def test_the_kit_and_its_codes_are_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/prescriptions/kit"]["post"]
    assert "incompatible_system" in operation["description"]
    body = document["components"]["schemas"]["KitIn"]["properties"]
    assert {"patient_id", "system", "valid_from", "lines"} <= set(body)


def test_a_kit_starting_at_the_end_of_the_calendar_is_422_on_its_day(client, region):
    """valid_from 9999-12-31 answered 500: a line's year of validity fell after
    year 9999."""
    before = written()
    error = refused(
        kit(client, region.doctor, region.patient, "MiniMed 640G",
            valid_from="9999-12-31"),
        422, "invalid",
    )  # fmt: skip
    assert error["fields"] == {"valid_from": ["Datumet ligger för långt fram i tiden."]}
    assert written() == before
