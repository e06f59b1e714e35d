"""Lists and exports read by staff of several clinics name, in each patient's
audit row, the clinic that read them (privacy review: NULL before), so the
patient's access log says which clinic looked, as a single read's row does."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.accounts.services import issue_token
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.followup.runs import run_year
from sesamlike.patients.models import CareRelationship
from tests import factories as f

YEAR = 2025


@pytest.fixture
def region():
    """NORR cares for Anna, SODR for Bo; both care for Cara, whose 2025 only
    SODR paid. A prescriber and a manager of both clinics."""
    north, south = f.make_clinic("NORR"), f.make_clinic("SODR")
    sensor = f.make_article(
        category="cgm_sensor", systems=[f.make_system("FreeStyle Libre 2", "cgm")],
        pack_size=1, channel="pharmacy", pack_price_sek=Decimal("550.00"),
    )  # fmt: skip
    anna = f.make_patient(north, first_name="Anna", last_name="Norrman")
    bo = f.make_patient(south, first_name="Bo", last_name="Söderberg")
    cara = f.make_patient(north, first_name="Cara", last_name="Mittemellan")
    cara.care_relationships.append(
        CareRelationship(clinic_id=south.id, started_on=date(2024, 1, 1))
    )
    db.session.commit()
    for patient in (anna, bo):
        f.make_delivered_line(patient, sensor, date(YEAR, 3, 1), packs=4)
        f.make_prescription(
            patient, sensor, valid_from=region_today() - timedelta(days=350),
            valid_to=region_today() + timedelta(days=14),
        )  # fmt: skip
    f.make_delivered_line(
        cara, sensor, date(YEAR, 3, 1), packs=4,
        cost_clinic_id=south.id, cost_centre=south.cost_centre,
    )  # fmt: skip
    run_year(YEAR, full=True)
    return dict(
        anna=anna, bo=bo, cara=cara, north=north,
        multi=f.make_user("prescriber", username="multi", clinics=[north, south]),
        multichef=f.make_user("manager", username="multichef",
                              clinics=[north, south]),
    )  # fmt: skip


def clinics_logged(action: str, username_role: str) -> dict[int, str | None]:
    rows = db.session.execute(
        sa.select(AuditEvent.patient_id, AuditEvent.clinic_code).where(
            AuditEvent.action == action,
            AuditEvent.role == username_role,
            AuditEvent.patient_id.is_not(None),
        )
    ).all()
    found: dict[int, str | None] = {}
    for patient_id, clinic_code in rows:
        assert found.get(patient_id, clinic_code) == clinic_code  # one clinic each
        found[patient_id] = clinic_code
    return found


@pytest.mark.parametrize(
    ("url", "action"),
    [
        ("/orders?list=running_out&days=365", "worklist"),
        ("/orders/worklist.csv?list=running_out&days=365", "export"),
    ],
)
def test_a_work_list_of_several_clinics_logs_each_patient_with_the_caring_clinic(
    client, auth, region, url, action
):
    auth.login("multi")
    assert client.get(url).status_code == 200
    assert clinics_logged(action, "prescriber") == {
        region["anna"].id: "NORR", region["bo"].id: "SODR",
    }  # fmt: skip


def test_a_work_list_of_one_chosen_clinic_logs_that_clinic(client, auth, region):
    auth.login("multi")
    client.get("/orders?list=running_out&days=365&clinic=SODR")
    assert clinics_logged("worklist", "prescriber") == {region["bo"].id: "SODR"}


def test_a_search_by_a_prescriber_of_several_clinics_logs_each_hits_clinic(
    client, auth, region
):
    auth.login("multi")
    for name in ("Norrman", "Söderberg", "Mittemellan"):
        assert client.post("/patients", data={"q": name}).status_code == 200
    # Two of the prescriber's clinics care for Cara: neither is the one, as
    # when her record is opened.
    assert clinics_logged("search", "prescriber") == {
        region["anna"].id: "NORR", region["bo"].id: "SODR", region["cara"].id: None,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("url", "action"),
    [
        (f"/followup/patients?year={YEAR}", "read"),
        (f"/followup/patients.csv?year={YEAR}", "export"),
        (f"/followup/register.csv?year={YEAR}", "export"),
    ],
)
def test_a_follow_up_list_of_several_clinics_logs_each_patient_with_the_paying_clinic(
    client, auth, region, url, action
):
    auth.login("multichef")
    assert client.get(url).status_code == 200
    # Cara is in both clinics' care, but only SODR paid for her year.
    assert clinics_logged(action, "manager") == {
        region["anna"].id: "NORR", region["bo"].id: "SODR", region["cara"].id: "SODR",
    }  # fmt: skip


def test_the_patient_costs_api_of_several_clinics_logs_the_paying_clinic(
    client, region
):
    token = issue_token("multichef")
    answer = client.get(f"/api/v1/followup/patient-costs?year={YEAR}",
                        headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert answer.status_code == 200
    assert clinics_logged("read", "manager") == {
        region["anna"].id: "NORR", region["bo"].id: "SODR", region["cara"].id: "SODR",
    }  # fmt: skip


def test_the_patients_access_log_names_the_clinic_that_read_a_work_list(
    client, auth, region
):
    auth.login("multi")
    client.get("/orders?list=running_out&days=365")
    f.make_user("patient", username="anna", patients=[region["anna"]])
    auth.logout()
    auth.login("anna")
    page = client.get("/portal/access-log")
    assert page.status_code == 200
    assert region["north"].name in page.text
