"""The audit page in words: each row a Swedish sentence, local time, filters.

Issue 18: the page showed `follow-up drill-down 2026: {'pump_system': ...}`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from sesamlike.accounts import audit
from sesamlike.accounts.models import AuditEvent, User
from sesamlike.extensions import db
from sesamlike.followup import audited
from tests.factories import ADULT_PNR, make_clinic, make_patient, make_user


@pytest.fixture
def world():
    clinic = make_clinic("BDM", name="Barndiabetesmottagningen")
    other = make_clinic("OST", name="Östra mottagningen")
    patient = make_patient(clinic, personal_id=ADULT_PNR, last_name="Ekström")
    chef = make_user("manager", clinics=[clinic], username="chef")
    doc = make_user("prescriber", clinics=[other], username="doktor.ost")
    make_user("admin", username="admin")
    return {"patient": patient, "chef": chef, "doc": doc}


def test_a_drill_down_reads_as_a_swedish_sentence_without_python(client, auth, world):
    patient = world["patient"]
    audited.record_many(
        "read", "patient_year_cost", [patient.id], user=world["chef"],
        detail="follow-up drill-down 2026: {'pump_system': 'MiniMed 640G'}",
    )  # fmt: skip
    db.session.commit()
    auth.login("admin")
    html = client.post("/admin/audit", data={"action": "read"}).text
    assert f"Läste kostnadsunderlag för patienten (id {patient.id}), 2026" in html
    assert "pump_system" not in html and "{" not in html.split("<main", 1)[-1]
    assert "Ekström" not in html  # no identity for the admin (ö: never in a token)


def test_local_time_and_words_for_care_and_guardian_changes(client, auth, world):
    patient = world["patient"]
    event = audit.record(
        "care_relationship_end", "care_relationship", patient_id=patient.id,
        object_id=1, user=world["doc"], detail="OST", clinic_code="OST",
    )  # fmt: skip
    event.at = datetime(2026, 6, 1, 18, 41, 5, tzinfo=UTC)  # 20:41 in Sweden
    audit.record(
        "protected_identity_set", "patient", patient_id=patient.id,
        user=world["doc"], detail="Beslut 19900102-9801 från Skatteverket",
    )  # fmt: skip
    db.session.commit()
    auth.login("admin")
    html = client.post("/admin/audit", data={"user": "doktor.ost"}).text
    assert "20:41:05" in html and "18:41" not in html
    assert (
        f"Avslutade vårdrelationen mellan patienten (id {patient.id}) och "
        "Östra mottagningen" in html
    )
    assert "Satte skyddade personuppgifter för" in html
    assert "9801" not in html  # a number typed into a reason is masked


def test_filters_by_clinic_and_action(client, auth, world):
    patient = world["patient"]
    audit.record("read", "patient", patient_id=patient.id, user=world["chef"],
                 detail="overview")  # fmt: skip
    audit.record("read", "patient", patient_id=patient.id, user=world["doc"],
                 detail="prescriptions")  # fmt: skip
    db.session.commit()
    auth.login("admin")
    by_clinic = client.post("/admin/audit", data={"clinic": "OST"}).text
    assert "Läste förskrivningarna för" in by_clinic
    assert "Läste översikten för" not in by_clinic
    by_action = client.post("/admin/audit", data={"action": "care_relationship_end"})
    assert "Inga händelser." in by_action.text
    # The filters are POSTed, like the patient: nothing of the search in a URL.
    assert 'method="post"' in by_clinic


def test_account_changes_read_as_sentences(client, auth, world):
    auth.login("admin")
    client.post(
        "/admin/users/new",
        data={
            "username": "ny.lager",
            "role": "depot",
            "email": "ny@example.se",
            "display_name": "Ny Lagerist",
        },
    )
    html = client.post("/admin/audit", data={"action": "user_create"}).text
    assert "Skapade kontot ny.lager" in html
    admin_id = db.session.scalar(sa.select(User.id).where(User.username == "admin"))
    assert db.session.scalar(
        sa.select(sa.func.count()).where(
            AuditEvent.action == "user_create", AuditEvent.user_id == admin_id
        )
    ) == 1  # fmt: skip


def test_a_search_shows_a_masked_number_and_never_a_typed_name(client, auth, world):
    doc = world["doc"]
    patient = world["patient"]
    audit.record("search", "patient", patient_id=patient.id, user=doc,
                 detail=f"sökning: {ADULT_PNR}")  # fmt: skip
    audit.record("search", "patient", patient_id=None, user=doc,
                 detail="sökning: Ek")  # fmt: skip
    db.session.commit()
    auth.login("admin")
    html = client.post("/admin/audit", data={"action": "search"}).text
    assert f"Sökte på ”ÅÅÅÅMMDD-XXXX” och fick fram patienten (id {patient.id})" in html
    assert "Sökte på ett namn utan träff" in html and ADULT_PNR not in html


@pytest.mark.parametrize("typed", ["2015-12-24", "20151224", "151224", "2015-12"])
def test_a_search_by_birth_date_shows_no_date_beside_the_patient_found(
    client, auth, world, typed
):
    audit.record("search", "patient", patient_id=world["patient"].id,
                 user=world["doc"], detail=f"sökning: {typed}")  # fmt: skip
    db.session.commit()
    auth.login("admin")
    html = client.post("/admin/audit", data={"action": "search"}).text
    assert "Sökte på ett datum eller nummer och fick fram patienten" in html
    assert typed not in html


def test_a_work_list_is_named_as_the_page_names_it(client, auth, world):
    """The log said "i arbetslistan open": the list's name in the code."""
    patient = world["patient"]
    audit.record(
        "worklist", "patient", patient_id=patient.id, object_id=patient.id,
        user=world["chef"], detail="arbetslista: open",
    )  # fmt: skip
    db.session.commit()
    auth.login("admin")
    html = client.post("/admin/audit", data={"action": "worklist"}).text
    assert (
        f"Såg patienten (id {patient.id}) i arbetslistan Beställt, inte levererat"
        in html
    )
    assert "arbetslistan open" not in html


def test_shipping_reads_as_one_read_and_one_act_not_two_acts(client, auth, world):
    """A shipment showed "Skickade en beställning till patienten" and "Packade
    och skickade en beställning för patienten": two acts to a reviewer, where
    one is the read of the patient's record the packing needed."""
    from sesamlike.patients import access

    patient = world["patient"]
    depot = make_user("depot", username="lager")
    access.handled_by_depot(depot, patient.id, action="ship_order", detail="7")
    audit.record("ship", "order", patient_id=patient.id, object_id=7, user=depot)
    access.handled_by_depot(depot, patient.id, action="deliver_order", detail="7")
    audit.record("deliver", "order", patient_id=patient.id, object_id=7, user=depot)
    db.session.commit()
    auth.login("admin")
    html = client.post("/admin/audit", data={"user": "lager"}).text
    who = f"patienten (id {patient.id})"
    assert f"Läste uppgifterna om {who} för att packa och skicka en beställning" in html
    assert f"Skickade en beställning till {who}" in html
    assert f"Läste uppgifterna om {who} för att registrera en leverans" in html
    assert f"Registrerade en leverans till {who}" in html
    assert "Packade och skickade" not in html
