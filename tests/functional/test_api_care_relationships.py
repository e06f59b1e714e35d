"""POST /care-relationships and /care-relationships/{id}/end (interfaces.md)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.accounts.services import issue_token
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.patients.models import CareRelationship
from tests.privacy_data import make_privacy_region


def bearer(username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(username)}"}


def test_a_prescriber_takes_a_patient_into_care_and_ends_it(client):
    region = make_privacy_region()
    ella = region.person("ella")
    headers = bearer("doc2")  # Östra mottagningen: no care relationship yet
    assert client.get(f"/api/v1/patients/{ella.id}", headers=headers).status_code == 404
    started = client.post(
        "/api/v1/care-relationships",
        headers=headers,
        json={"personal_id": ella.strings("number")[1], "clinic_code": "OST"},
    )
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    assert body["patient_id"] == ella.id and body["clinic_code"] == "OST"
    assert body["started_on"]
    assert client.get(f"/api/v1/patients/{ella.id}", headers=headers).status_code == 200
    again = client.post(
        "/api/v1/care-relationships",
        headers=headers,
        json={"personal_id": ella.personal_id, "clinic_code": "OST"},
    )
    assert again.status_code == 409
    ended = client.post(f"/api/v1/care-relationships/{body['id']}/end", headers=headers)
    assert ended.status_code == 200 and ended.get_json()["ended_on"]
    # That clinic's staff lose access to the patient at once.
    assert client.get(f"/api/v1/patients/{ella.id}", headers=headers).status_code == 404
    twice = client.post(f"/api/v1/care-relationships/{body['id']}/end", headers=headers)
    assert twice.status_code == 409
    actions = db.session.scalars(
        sa.select(AuditEvent.action)
        .where(
            AuditEvent.patient_id == ella.id,
            AuditEvent.object_type == "care_relationship",
        )
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["care_relationship_start", "care_relationship_end"]
    log = client.get(f"/api/v1/patients/{ella.id}/access-log", headers=bearer("ella"))
    events = log.get_json()["events"]
    assert events[0]["action"] == "care_relationship_end"  # newest first
    assert events[0]["clinic_code"] == "OST"


def test_an_unknown_number_is_404_and_another_clinic_422(client, auth):
    make_privacy_region()
    headers = bearer("doc2")
    unknown = client.post(
        "/api/v1/care-relationships",
        headers=headers,
        json={"personal_id": "19121212-1212", "clinic_code": "OST"},
    )
    assert unknown.status_code == 404
    # A number that names no one is logged (without the number), as the admin's
    # lookup is: fishing for numbers shows in the log.
    [row] = db.session.execute(
        sa.select(
            AuditEvent.action,
            AuditEvent.patient_id,
            AuditEvent.clinic_code,
            AuditEvent.channel,
            AuditEvent.detail,
        ).where(AuditEvent.action == "search")  # fmt: skip
    ).all()
    assert row == ("search", None, "OST", "api", "vårdrelation")
    auth.login("admin")
    log = client.post("/admin/audit", data={"action": "search"}).text
    assert "Sökte en patient att ta i vård på Östra" in log and "utan träff" in log
    assert "1212" not in log
    auth.logout()
    not_mine = client.post(
        "/api/v1/care-relationships",
        headers=headers,
        json={"personal_id": "19121212-1212", "clinic_code": "BDM"},
    )
    assert not_mine.status_code == 422
    assert "clinic_code" in not_mine.get_json()["error"]["fields"]


def test_only_a_prescriber_of_the_clinic_ends_its_care_relationship(client):
    region = make_privacy_region()
    ella = region.person("ella")
    relationship_id = ella.patient.care_relationships[0].id  # BDM's
    other = client.post(
        f"/api/v1/care-relationships/{relationship_id}/end", headers=bearer("doc2")
    )
    assert other.status_code == 404
    manager = client.post(
        f"/api/v1/care-relationships/{relationship_id}/end", headers=bearer("chef")
    )
    assert manager.status_code == 403
    assert (
        client.get(f"/api/v1/patients/{ella.id}", headers=bearer("doc")).status_code
        == 200
    )


def test_the_access_log_is_the_patients_or_a_guardians_own(client):
    region = make_privacy_region()
    ella, olle, sara = (region.person(k) for k in ("ella", "olle", "sara"))
    own = client.get(f"/api/v1/patients/{ella.id}/access-log", headers=bearer("ella"))
    assert own.status_code == 200 and own.get_json()["events"]
    guardian = bearer("anna")
    assert (
        client.get(
            f"/api/v1/patients/{olle.id}/access-log", headers=guardian
        ).status_code
        == 200
    )
    # A child with protected identity cannot be acted for online.
    assert (
        client.get(
            f"/api/v1/patients/{sara.id}/access-log", headers=guardian
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"/api/v1/patients/{ella.id}/access-log", headers=bearer("doc")
        ).status_code
        == 403
    )
    assert (
        client.get(
            f"/api/v1/patients/{ella.id}/access-log", headers=bearer("per")
        ).status_code
        == 404
    )


def test_restarting_a_care_relationship_keeps_the_earlier_episode(client):
    """Patient 3 left OST on 2025-06-01 and comes back: a new episode begins,
    the earlier one keeps its dates (follow-up and audits read them)."""
    region = make_privacy_region()
    ella = region.person("ella")
    earlier = CareRelationship(
        patient_id=ella.id, clinic_id=region.other_clinic.id,
        started_on=date(2024, 1, 15), ended_on=date(2025, 6, 1),
    )  # fmt: skip
    db.session.add(earlier)
    db.session.commit()
    earlier_id = earlier.id
    headers = bearer("doc2")
    started = client.post(
        "/api/v1/care-relationships",
        headers=headers,
        json={"personal_id": ella.personal_id, "clinic_code": "OST"},
    )
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    assert body["id"] != earlier_id and body["ended_on"] is None
    assert body["started_on"] == region_today().isoformat()
    db.session.expire_all()
    episodes = db.session.execute(
        sa.select(CareRelationship.id, CareRelationship.started_on,
                  CareRelationship.ended_on)
        .where(CareRelationship.patient_id == ella.id,
               CareRelationship.clinic_id == region.other_clinic.id)
        .order_by(CareRelationship.id)
    ).all()  # fmt: skip
    assert [tuple(e) for e in episodes] == [
        (earlier_id, date(2024, 1, 15), date(2025, 6, 1)),
        (body["id"], region_today(), None),
    ]
    assert client.get(f"/api/v1/patients/{ella.id}", headers=headers).status_code == 200
    # Only one episode is open at a time; ending it ends that one.
    again = client.post(
        "/api/v1/care-relationships",
        headers=headers,
        json={"personal_id": ella.personal_id, "clinic_code": "OST"},
    )
    assert again.status_code == 409
    ended = client.post(f"/api/v1/care-relationships/{body['id']}/end", headers=headers)
    assert ended.status_code == 200 and ended.get_json()["ended_on"]
    assert client.get(f"/api/v1/patients/{ella.id}", headers=headers).status_code == 404
    old = client.post(f"/api/v1/care-relationships/{earlier_id}/end", headers=headers)
    assert old.status_code == 409
    third = client.post(
        "/api/v1/care-relationships",
        headers=headers,
        json={"personal_id": ella.personal_id, "clinic_code": "OST"},
    )
    assert third.status_code == 201
    count = db.session.scalar(
        sa.select(sa.func.count()).where(
            CareRelationship.patient_id == ella.id,
            CareRelationship.clinic_id == region.other_clinic.id,
        )
    )
    assert count == 3
