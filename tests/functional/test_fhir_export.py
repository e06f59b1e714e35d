"""The region's bulk export: kick-off, the job, the manifest, pseudonyms, expiry."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.api.fhir import export
from sesamlike.common.time import region_today, utcnow
from sesamlike.extensions import db
from sesamlike.jobs import job_named, run_named
from sesamlike.patients import care_end
from tests.factories import make_prescription, make_user
from tests.fhir_world import FhirWorld, bearer, validate_r5

EXPORT = "/fhir/r5/$export"
ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}
PRACTITIONER = "https://sesamlike.example/fhir/sid/practitioner"


@pytest.fixture
def world():
    return FhirWorld()


def local(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def kick_off(client, user, query: str = "") -> str:
    response = client.get(f"{EXPORT}{query}", headers={**ASYNC, **bearer(user)})
    assert response.status_code == 202, response.get_data(as_text=True)
    return local(response.headers["Content-Location"])


def finished_files(client, user, status_url: str) -> dict[str, list[dict]]:
    """Run the job, then read every file the manifest lists: {type: [resources]}."""
    headers = bearer(user)
    assert client.get(status_url, headers=headers).status_code == 202
    run = run_named("fhir_export")
    assert run.outcome == "succeeded", run.message
    response = client.get(status_url, headers=headers)
    assert response.status_code == 200
    manifest = response.get_json()
    assert manifest["requiresAccessToken"] is True and "Expires" in response.headers
    files = {}
    for item in manifest["output"]:
        download = client.get(local(item["url"]), headers=headers)
        assert download.mimetype == "application/fhir+ndjson"
        lines = download.get_data(as_text=True).splitlines()
        assert len(lines) == item["count"]
        files[item["type"]] = [json.loads(line) for line in lines]
    return files


def assert_no_identity(text: str, patients) -> None:
    """No identity number, name, address or phone of any patient, anywhere."""
    for patient in patients:
        values = [
            patient.personal_id,
            patient.display_id,
            patient.first_name,
            patient.last_name,
            patient.full_name,
            patient.phone,
            patient.email,
        ]
        for address in patient.addresses:
            values += [address.street, f'"postalCode":"{address.postal_code}"']
        for value in filter(None, values):
            assert value not in text, value


def test_the_region_exports_every_type_pseudonymised_and_valid(client, world):
    files = finished_files(client, world.region, kick_off(client, world.region))
    assert set(files) == set(export.EXPORT_TYPES)
    for resources in files.values():
        for resource in resources:
            validate_r5(resource)
    text = json.dumps(files, ensure_ascii=False, separators=(",", ":"))
    assert_no_identity(text, [world.patient, world.neighbour, world.protected])
    for patient in files["Patient"]:
        assert set(patient) <= {"resourceType", "id", "identifier", "birthDate",
                                "deceasedDateTime"}  # fmt: skip
    pseudonyms = {p["id"] for p in files["Patient"]}
    assert len(pseudonyms) == 3
    assert str(world.patient.id) not in pseudonyms
    subjects = {r["subject"]["reference"] for r in files["DeviceRequest"]}
    assert subjects <= {f"Patient/{p}" for p in pseudonyms}


def test_a_patient_who_died_is_exported_with_the_year_of_death_only(client, world):
    """The export said nothing of a death; the day, like the day of birth,
    identifies, so the year goes (FHIR dateTime of year precision)."""
    died_on = region_today() - timedelta(days=1)
    care_end.end_care(world.prescriber, world.patient.id, "deceased", died_on)
    care_end.end_care(world.prescriber, world.neighbour.id, "moved_out", died_on)

    files = finished_files(client, world.region, kick_off(client, world.region))

    by_id = {p["id"]: p for p in files["Patient"]}
    dead = by_id[export.pseudonym(world.patient.id)]
    validate_r5(dead)
    assert dead["deceasedDateTime"] == str(died_on.year)
    assert dead["birthDate"] == str(world.patient.birth_date.year)
    moved = by_id[export.pseudonym(world.neighbour.id)]
    assert "deceasedDateTime" not in moved
    assert died_on.isoformat() not in json.dumps(files["Patient"])


def references_in(value) -> list[dict]:
    """Every Reference (a dict with `reference` or `identifier` and `type`)."""
    if isinstance(value, list):
        return [ref for item in value for ref in references_in(item)]
    if not isinstance(value, dict):
        return []
    is_reference = "type" in value and ("reference" in value or "identifier" in value)
    found = [value] if is_reference else []
    return found + [ref for item in value.values() for ref in references_in(item)]


def test_every_reference_in_a_whole_export_resolves_in_it(client, world):
    """A literal reference (Type/id) names a resource of the export; staff,
    whom the export does not carry, are named by identifier and without names."""
    files = finished_files(client, world.region, kick_off(client, world.region))
    exported = {f"{r['resourceType']}/{r['id']}" for rs in files.values() for r in rs}
    references = references_in(files)
    literal = {ref["reference"] for ref in references if "reference" in ref}
    assert literal and literal <= exported, literal - exported
    prescriber = {
        "type": "Practitioner",
        "identifier": {"system": PRACTITIONER, "value": str(world.prescriber.id)},
    }
    requesters = [r["requester"] for r in files["DeviceRequest"]]
    assert requesters and all(ref == prescriber for ref in requesters)


def test_the_export_keeps_a_deviations_code_but_not_its_free_text(client, world):
    """A prescriber's free-text reason may name anyone (the patient, a
    relative): the pseudonymised export carries the coded reason only. Read
    through /fhir/r5 by the prescriber, the text is there."""
    reason = "Ella Ekström fick eksem av plåstret, enligt hennes mamma Eva"
    rx = make_prescription(world.patient, world.infusion, world.prescriber,
                           reason_code="medical", reason_text=reason)  # fmt: skip
    url = kick_off(client, world.region, "?_type=DeviceRequest")
    requests = {r["id"]: r for r in finished_files(client, world.region,
                                                   url)["DeviceRequest"]}  # fmt: skip
    assert requests[str(rx.id)]["reason"] == [{"concept": {"coding": [{
        "system": "https://sesamlike.example/fhir/CodeSystem/deviation-reason",
        "code": "medical"}]}}]  # fmt: skip
    assert "eksem" not in json.dumps(requests, ensure_ascii=False)
    read = client.get(f"/fhir/r5/DeviceRequest/{rx.id}",
                      headers=bearer(world.prescriber)).get_json()  # fmt: skip
    assert read["reason"][0]["concept"]["text"] == reason


def reads_by(user) -> list[int]:
    """The patients of the read rows this user has in the audit log."""
    return list(db.session.scalars(
        sa.select(AuditEvent.patient_id)
        .where(AuditEvent.user_id == user.id, AuditEvent.action == "read")
    ))  # fmt: skip


def test_every_exported_patient_sees_the_export_in_their_access_log(client, world):
    """Patientdatalagen: every read is logged and visible to the patient. The
    export hands each patient's data to the region: each gets a read row of its
    own, not only the export's row without a patient."""
    patient_user = world.patient_user  # made before the export, like the patient
    finished_files(client, world.region,
                   kick_off(client, world.region, "?_type=SupplyRequest"))  # fmt: skip
    log = client.get(f"/api/v1/patients/{world.patient.id}/access-log",
                     headers=bearer(patient_user)).get_json()["events"]  # fmt: skip
    assert [e for e in log if e["role"] == "region" and e["action"] == "read"]
    # A patient with nothing in the chosen types is not in the export: no row.
    assert reads_by(world.region) == [world.patient.id]
    # The whole region: every patient, once per export.
    finished_files(client, world.region, kick_off(client, world.region))
    assert sorted(reads_by(world.region)) == sorted([world.patient.id, world.patient.id,
                                                    world.neighbour.id,
                                                    world.protected.id])  # fmt: skip


def test_pseudonyms_are_stable_across_exports(client, world):
    first = finished_files(client, world.region, kick_off(client, world.region))
    second = finished_files(client, world.region, kick_off(client, world.region))
    assert first["Patient"] == second["Patient"]
    assert export.pseudonym(world.patient.id) in {p["id"] for p in first["Patient"]}


def test_type_and_since_select_what_is_exported(client, world):
    url = kick_off(client, world.region, "?_type=Patient,DeviceRequest")
    files = finished_files(client, world.region, url)
    assert set(files) == {"Patient", "DeviceRequest"}
    later = (utcnow() + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    url = kick_off(client, world.region, f"?_type=Patient&_since={later}")
    assert finished_files(client, world.region, url) == {}


def test_types_with_nothing_to_export_are_left_out_of_the_manifest(client, world):
    """The Bulk Data manifest lists files with resources only; no empty file."""
    later = (utcnow() + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    url = kick_off(client, world.region, f"?_type=Patient,Organization&_since={later}")
    run_named("fhir_export")
    manifest = client.get(url, headers=bearer(world.region)).get_json()
    assert [(item["type"], item["count"]) for item in manifest["output"]] == [
        ("Organization", 2)
    ]
    folder = export.export_root() / url.rsplit("/", 1)[1]
    assert sorted(path.name for path in folder.iterdir()) == ["Organization.ndjson"]
    empty = url.replace("$export-poll", "$export-file") + "/Patient.ndjson"
    assert client.get(empty, headers=bearer(world.region)).status_code == 404


@pytest.mark.parametrize(
    "since",
    ["2026-12-01T00:00:00Z", "2026-12-01T01:00:00.123%2B01:00",
     "2026-11-30T10:00:00.123456789-14:00", "0001-01-01T00:00:00Z"],
)  # fmt: skip
def test_since_takes_any_fhir_instant(client, world, since):
    response = client.get(f"{EXPORT}?_since={since}",
                          headers={**ASYNC, **bearer(world.region)})  # fmt: skip
    assert response.status_code == 202, response.get_data(as_text=True)


def test_since_finds_a_prescription_whose_order_was_cancelled_since(client, world):
    """A cancelled order gives its withdrawal back: the prescription changed
    (remaining withdrawals, time lock) and an incremental export carries it."""
    between = utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    cancelled = client.post(f"/api/v1/orders/{world.order.id}/cancel",
                            headers=bearer(world.prescriber))  # fmt: skip
    assert cancelled.status_code == 200, cancelled.get_data(as_text=True)
    url = kick_off(client, world.region, f"?_type=DeviceRequest&_since={between}")
    requests = finished_files(client, world.region, url).get("DeviceRequest", [])
    assert [r["id"] for r in requests] == [str(world.infusion_rx.id)]
    remaining = next(
        p
        for p in requests[0]["parameter"]
        if p["code"]["coding"][0]["code"] == "remaining-withdrawals"
    )
    assert remaining["valueQuantity"]["value"] == world.infusion_rx.withdrawals


@pytest.mark.parametrize(
    "query, headers, status",
    [
        ("", {"Accept": "application/fhir+json"}, 400),  # no Prefer: respond-async
        ("?_type=Observation", ASYNC, 400),
        ("?_since=yesterday", ASYNC, 400),
        ("?_since=2026-01-01T00:00:00", ASYNC, 400),  # no time zone
        # Out of range once in UTC:
        ("?_since=0001-01-01T00:00:00%2B01:00", ASYNC, 400),
        ("?_since=9999-12-31T23:59:59-14:00", ASYNC, 400),
        # ISO 8601, but not a FHIR instant (YYYY-MM-DDThh:mm:ss[.s](Z|±hh:mm)):
        ("?_since=20261201T000000Z", ASYNC, 400),
        ("?_since=2026-W48-1T00:00:00Z", ASYNC, 400),
        ("?_since=2026-12-01T00:00Z", ASYNC, 400),
        ("?_since=2026-12-01T00:00:00%2B0100", ASYNC, 400),
        ("?_since=2026-12-01T00:00:00%2B15:00", ASYNC, 400),
        ("?_since=2026-12-01 00:00:00Z", ASYNC, 400),
        ("?_since=2026-12-01T00:00:00Z%0A", ASYNC, 400),
        ("?_since=%EF%BC%92026-12-01T00:00:00Z", ASYNC, 400),  # fullwidth 2
        ("?_outputFormat=text/csv", ASYNC, 400),
        ("?patient=1", ASYNC, 400),
        ("", {**ASYNC, "Accept": "application/fhir+xml"}, 406),
        ("?_format=xml", ASYNC, 406),
    ],
)
def test_bad_kick_offs_are_refused_and_start_nothing(
    client, world, query, headers, status
):
    headers = {**headers, **bearer(world.region)}
    response = client.get(f"{EXPORT}{query}", headers=headers)
    assert response.status_code == status
    assert response.get_json()["resourceType"] == "OperationOutcome"
    assert run_named("fhir_export").counts["exports"] == 0


@pytest.mark.parametrize("role", ["prescriber", "depot", "manager", "admin"])
def test_only_the_region_may_export(client, world, role):
    response = client.get(EXPORT, headers={**ASYNC, **bearer(getattr(world, role))})
    assert response.status_code == 403


def test_accepted_answers_are_an_operation_outcome_not_empty_html(client, world):
    """While the job works, and after a DELETE: 202 with an OperationOutcome in
    FHIR JSON, never an empty body that calls itself text/html."""
    status_url = kick_off(client, world.region)
    polled = client.get(status_url, headers=bearer(world.region))
    deleted = client.delete(status_url, headers=bearer(world.region))
    for response in (polled, deleted):
        assert response.status_code == 202
        assert response.mimetype == "application/fhir+json"
        outcome = response.get_json()
        validate_r5(outcome)
        assert outcome["issue"][0]["severity"] == "information"
    assert polled.headers["X-Progress"] == "queued" and polled.headers["Retry-After"]


def test_the_manifest_is_served_as_application_json(client, world):
    """The Bulk Data manifest is no FHIR resource: application/json."""
    status_url = kick_off(client, world.region)
    run_named("fhir_export")
    response = client.get(status_url, headers=bearer(world.region))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json()["requiresAccessToken"] is True


def test_status_and_files_are_for_the_user_who_started_only(client, world):
    status_url = kick_off(client, world.region)
    run_named("fhir_export")
    manifest = client.get(status_url, headers=bearer(world.region)).get_json()
    colleague = make_user("region")
    for headers in (bearer(colleague), bearer(world.admin)):
        assert client.get(status_url, headers=headers).status_code == 404
        file_url = local(manifest["output"][0]["url"])
        assert client.get(file_url, headers=headers).status_code in (403, 404)


def test_files_expire_and_are_removed_by_the_job(client, world, app):
    status_url = kick_off(client, world.region)
    run_named("fhir_export")
    manifest = client.get(status_url, headers=bearer(world.region)).get_json()
    key = status_url.rsplit("/", 1)[1]
    folder = export.export_root() / key
    assert any(folder.iterdir())
    hours = app.config["FHIR_EXPORT_HOURS"]
    counts = export.run_pending(utcnow() + timedelta(hours=hours, minutes=1))
    assert counts["expired"] == 1
    assert not folder.exists()
    assert client.get(status_url, headers=bearer(world.region)).status_code == 410
    file_url = local(manifest["output"][0]["url"])
    assert client.get(file_url, headers=bearer(world.region)).status_code == 410


def test_delete_cancels_and_removes_the_files(client, world):
    status_url = kick_off(client, world.region)
    run_named("fhir_export")
    key = status_url.rsplit("/", 1)[1]
    response = client.delete(status_url, headers=bearer(world.region))
    assert response.status_code == 202
    assert not (export.export_root() / key).exists()
    assert client.get(status_url, headers=bearer(world.region)).status_code == 404


def test_the_export_is_a_scheduled_job(app):
    job = job_named("fhir_export")
    assert job.every_seconds and job.function() is export.run_pending


def test_without_a_pseudonym_key_the_region_cannot_export(client, world, app,
                                                          monkeypatch):  # fmt: skip
    monkeypatch.setitem(app.config, "FHIR_PSEUDONYM_KEY", None)
    response = client.get(EXPORT, headers={**ASYNC, **bearer(world.region)})
    assert response.status_code == 503
    assert run_named("fhir_export").counts["exports"] == 0


def test_the_exports_addresses_never_follow_the_requests_host_header(
    app, client, world, monkeypatch
):
    """The status address, the manifest's request and its files' addresses were
    built from the Host header: a client following them would send its bearer
    token to whichever host the kick-off named."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://hjalpmedel.region.se")
    evil = {"Host": "evil.example"}
    headers = {**ASYNC, **bearer(world.region), **evil}
    started = client.get(f"{EXPORT}?_type=Patient", headers=headers)
    location = started.headers["Content-Location"]
    assert location.startswith("https://hjalpmedel.region.se/fhir/r5/$export-poll/")
    run_named("fhir_export")
    manifest = client.get(local(location), headers=headers).get_json()
    assert manifest["request"] == (
        "https://hjalpmedel.region.se/fhir/r5/$export?_type=Patient"
    )
    assert manifest["output"] and all(
        item["url"].startswith("https://hjalpmedel.region.se/fhir/r5/$export-file/")
        for item in manifest["output"]
    )
