"""FHIR R5 reads and searches: the API's tokens, need-to-know rules and audit rows."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from tests.factories import (
    make_article,
    make_delivered_line,
    make_prescription,
    make_pump,
)
from tests.fhir_world import SEARCHED, FhirWorld, bearer, search_all, validate_r5

BASE = "/fhir/r5"


@pytest.fixture
def world():
    return FhirWorld()


def resource_paths(world: FhirWorld) -> list[str]:
    """A read of every resource type the world has, all of the patient's."""
    line = world.order.lines[0]
    return [
        f"Patient/{world.patient.id}",
        f"DeviceRequest/{world.infusion_rx.id}",
        f"SupplyRequest/{line.id}",
        f"SupplyDelivery/{world.pump_line.id}",
        f"DeviceDispense/{world.pump_line.id}",
        f"Device/{world.device.id}",
    ]


def test_metadata_is_public_and_states_exactly_what_is_served(client):
    response = client.get(f"{BASE}/metadata")
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    statement = response.get_json()
    validate_r5(statement)
    served = {
        r["type"]: ({i["code"] for i in r["interaction"]},
                    {p["name"] for p in r.get("searchParam", [])})
        for r in statement["rest"][0]["resource"]
    }  # fmt: skip
    assert served == {
        "Patient": ({"read", "search-type"}, {"_id", "_count"}),
        **{name: ({"read", "search-type"}, {"patient", "_count"}) for name in SEARCHED},
        "Device": ({"read"}, set()),
        "Organization": ({"read"}, set()),
        "Practitioner": ({"read"}, set()),
    }
    assert statement["fhirVersion"] == "5.0.0"
    assert [op["name"] for op in statement["rest"][0]["operation"]] == ["export"]


def test_every_resource_the_prescriber_reads_validates_as_r5(client, world):
    headers = bearer(world.prescriber)
    seen = set()
    for path in resource_paths(world):
        response = client.get(f"{BASE}/{path}", headers=headers)
        assert response.status_code == 200, (path, response.get_data(as_text=True))
        validate_r5(response.get_json())
        seen.add(response.get_json()["resourceType"])
    for name in SEARCHED:
        resources, bundles = search_all(client, headers, name, world.patient.id)
        for bundle in bundles:
            validate_r5(bundle)
        for resource in resources:
            validate_r5(resource)
            seen.add(resource["resourceType"])
    for path in (f"Organization/{world.clinic.id}",
                 f"Practitioner/{world.prescriber.id}"):  # fmt: skip
        validate_r5(client.get(f"{BASE}/{path}", headers=headers).get_json())
    assert seen == {"Patient", "Device", *SEARCHED}


def test_patient_carries_swedish_identifiers_and_the_clinic(client, world):
    headers = bearer(world.prescriber)
    ella = client.get(f"{BASE}/Patient/{world.patient.id}", headers=headers).get_json()
    assert ella["identifier"] == [{"use": "official",
                                   "system": "urn:oid:1.2.752.129.2.1.3.1",
                                   "value": world.patient.personal_id}]  # fmt: skip
    assert (
        ella["managingOrganization"]["reference"] == f"Organization/{world.clinic.id}"
    )
    nils = client.get(f"{BASE}/Patient/{world.neighbour.id}", headers=headers)
    assert nils.get_json()["identifier"][0]["system"] == "urn:oid:1.2.752.129.2.1.3.3"


def test_the_clinic_names_its_address_and_phone(client, world):
    """Organization.contact: where orders to the clinic go and the number
    its patients call, each left out when the admin has not kept it."""
    world.clinic.street, world.clinic.postal_code = "Rondvägen 10", "41685"
    world.clinic.city, world.clinic.phone = "Göteborg", "031-390 06 10"
    db.session.commit()
    headers = bearer(world.prescriber)
    path = f"{BASE}/Organization/{world.clinic.id}"
    found = client.get(path, headers=headers).get_json()
    validate_r5(found)
    [contact] = found["contact"]
    assert contact["telecom"] == [
        {"system": "phone", "value": "031-390 06 10", "use": "work"}
    ]
    assert contact["address"]["line"] == ["Rondvägen 10"]
    world.clinic.street = world.clinic.postal_code = world.clinic.city = None
    db.session.commit()
    found = client.get(path, headers=headers).get_json()
    validate_r5(found)
    assert found["contact"] == [{"telecom": contact["telecom"]}]


def test_articles_are_coded_with_gtin_iso9999_and_packs_in_ucum(client, world):
    headers = bearer(world.prescriber)
    request = client.get(f"{BASE}/DeviceRequest/{world.pump_rx.id}", headers=headers)
    codings = {c["system"]: c["code"] for c in
               request.get_json()["code"]["concept"]["coding"]}  # fmt: skip
    assert codings["urn:oid:1.3.160"] == "07350000000019"
    assert codings["urn:iso:std:iso:9999"] == "04 19 24"
    assert request.get_json()["requester"] == {
        "reference": f"Practitioner/{world.prescriber.id}",
        "type": "Practitioner", "display": "Doktor Dahl"}  # fmt: skip
    line = world.order.lines[0]
    supply = client.get(f"{BASE}/SupplyRequest/{line.id}", headers=headers).get_json()
    assert supply["quantity"] == {"value": 1, "unit": "pack",
                                  "system": "http://unitsofmeasure.org",
                                  "code": "{pack}"}  # fmt: skip
    assert supply["status"] == "active"  # reserved, not yet shipped
    device = client.get(f"{BASE}/Device/{world.device.id}", headers=headers).get_json()
    assert device["serialNumber"] == "SN-0001"


def test_a_delivery_names_its_patient_but_no_patient_as_receiver(client, world):
    """R5 SupplyDelivery.receiver takes Practitioner, PractitionerRole or
    Organization only; the patient the parcel is for is `patient`."""
    path = f"{BASE}/SupplyDelivery/{world.pump_line.id}"
    delivery = client.get(path, headers=bearer(world.prescriber)).get_json()
    assert delivery["patient"]["reference"] == f"Patient/{world.patient.id}"
    for receiver in delivery.get("receiver", []):
        assert receiver["type"] in {"Practitioner", "PractitionerRole", "Organization"}
    validate_r5(delivery)


def test_a_delivery_is_typed_from_the_r5_supply_item_type_code_system(client, world):
    """SupplyDelivery.type is bound (required) to R5's own code system."""
    path = f"{BASE}/SupplyDelivery/{world.pump_line.id}"
    delivery = client.get(path, headers=bearer(world.prescriber)).get_json()
    assert delivery["type"]["coding"] == [
        {"system": "http://hl7.org/fhir/supplydelivery-supplyitemtype",
         "code": "device", "display": "Device"}
    ]  # fmt: skip


def test_supply_request_gives_the_delivery_mode_in_force_as_the_api_does(client, world):
    """Protected identity set after ordering sends the parcel to the clinic: the
    API and FHIR both say so."""
    world.patient.protected_identity = True
    db.session.commit()
    headers = bearer(world.prescriber)
    order = client.get(f"/api/v1/orders/{world.order.id}", headers=headers)
    assert order.get_json()["delivery_mode"] == "clinic"
    line = world.order.lines[0]
    supply = client.get(f"{BASE}/SupplyRequest/{line.id}", headers=headers).get_json()
    (mode,) = supply["parameter"]
    assert mode["valueCodeableConcept"]["coding"][0]["code"] == "clinic"


def test_prescriber_of_another_clinic_gets_404_and_empty_searchsets(client, world):
    headers = bearer(world.stranger)
    for path in resource_paths(world):
        response = client.get(f"{BASE}/{path}", headers=headers)
        assert response.status_code == 404, path
        assert response.get_json()["resourceType"] == "OperationOutcome"
        assert response.get_json()["issue"][0]["code"] == "not-found"
    for name in SEARCHED:
        resources, bundles = search_all(client, headers, name, world.patient.id)
        assert resources == [] and bundles[0]["total"] == 0
    found = client.get(f"{BASE}/Patient?_id={world.patient.id}", headers=headers)
    assert found.get_json()["total"] == 0
    assert _fhir_audit_rows(world.patient.id) == 0


def test_an_empty_searchset_leaves_out_entry(client, world):
    """FHIR JSON has no empty arrays: a searchset without matches has no entry."""
    headers = bearer(world.stranger)
    for query in (f"DeviceRequest?patient={world.patient.id}",
                  f"Patient?_id={world.patient.id}"):  # fmt: skip
        bundle = client.get(f"{BASE}/{query}", headers=headers).get_json()
        assert bundle["total"] == 0 and "entry" not in bundle
        validate_r5(bundle)
    counted = client.get(f"{BASE}/DeviceRequest?patient={world.patient.id}&_count=0",
                         headers=bearer(world.prescriber)).get_json()  # fmt: skip
    assert counted["total"] == 2 and "entry" not in counted


def test_patient_reads_only_self(client, world):
    headers = bearer(world.patient_user)
    for path in resource_paths(world):
        assert client.get(f"{BASE}/{path}", headers=headers).status_code == 200, path
    for name in ("DeviceRequest", "SupplyRequest"):
        own, _ = search_all(client, headers, name, world.patient.id)
        assert own
        other, _ = search_all(client, headers, name, world.neighbour.id)
        assert other == []
    assert client.get(f"{BASE}/Patient/{world.neighbour.id}",
                      headers=headers).status_code == 404  # fmt: skip


def test_protected_identity_shows_contact_only_to_the_patient(client, world):
    path = f"{BASE}/Patient/{world.protected.id}"
    seen_by_prescriber = client.get(path, headers=bearer(world.prescriber)).get_json()
    assert "address" not in seen_by_prescriber and "telecom" not in seen_by_prescriber
    assert seen_by_prescriber["meta"]["security"][0]["code"] == "R"
    seen_by_self = client.get(path, headers=bearer(world.protected_user)).get_json()
    assert seen_by_self["address"][0]["line"] and seen_by_self["telecom"]
    ella = client.get(f"{BASE}/Patient/{world.patient.id}",
                      headers=bearer(world.prescriber)).get_json()  # fmt: skip
    assert ella["address"][0]["city"] == "Göteborg"


@pytest.mark.parametrize("role", ["manager", "region", "admin", "depot"])
def test_roles_outside_care_may_not_read_the_patient_record(client, world, role):
    headers = bearer(getattr(world, role))
    for path in (f"Patient/{world.patient.id}",
                 f"DeviceRequest/{world.infusion_rx.id}"):  # fmt: skip
        response = client.get(f"{BASE}/{path}", headers=headers)
        assert response.status_code == 403
        assert response.get_json()["issue"][0]["code"] == "forbidden"
    supply = client.get(f"{BASE}/SupplyRequest/{world.order.lines[0].id}",
                        headers=headers)  # fmt: skip
    assert supply.status_code == (200 if role == "depot" else 403)


def test_the_aids_centre_reads_only_the_supply_lines_it_handles(client, world):
    """The walkthrough: as the depot, SupplyRequest?patient= gave 13 entries, 8
    of them sensors a pharmacy dispensed, with the prescriber's name. The aids
    centre handles the lines it ships from its own stock and the devices it
    lends and takes back (a supplier's pump too); the rest is not its to read."""
    day = region_today() - timedelta(days=10)
    sensor = make_article("CGM-S", category="cgm_sensor", channel="pharmacy",
                          name="Sensor från apotek")  # fmt: skip
    sensor_rx = make_prescription(world.patient, sensor, world.prescriber)
    dispensed = make_delivered_line(world.patient, sensor, day,
                                    prescription_id=sensor_rx.id)  # fmt: skip
    by_post = make_article("INF-S", channel="supplier")
    posted = make_delivered_line(world.patient, by_post, day)
    supplier_pump = make_pump("PUMP-S", channel="supplier")
    lent = make_delivered_line(world.patient, supplier_pump, day, serial_no="SN-S1")
    depot, prescriber = bearer(world.depot), bearer(world.prescriber)

    requests, _ = search_all(client, depot, "SupplyRequest", world.patient.id)
    handled = {world.order.lines[0].id, world.pump_line.id, lent.id}
    assert {r["id"] for r in requests} == {str(i) for i in handled}
    deliveries, bundles = search_all(client, depot, "SupplyDelivery", world.patient.id)
    assert {r["id"] for r in deliveries} == {str(world.pump_line.id), str(lent.id)}
    assert bundles[0]["total"] == 2
    for kind in ("SupplyRequest", "SupplyDelivery"):
        for line in (dispensed, posted):
            read = client.get(f"{BASE}/{kind}/{line.id}", headers=depot)
            assert read.status_code == 404, (kind, line.id)
        assert client.get(f"{BASE}/{kind}/{lent.id}", headers=depot).status_code == 200
    # Care reads the whole supply history.
    everything, _ = search_all(client, prescriber, "SupplyRequest", world.patient.id)
    assert {str(dispensed.id), str(posted.id)} <= {r["id"] for r in everything}


def test_the_aids_centre_reads_no_supply_history_past_the_return_window(client, world):
    """The need-to-know review: SupplyRequest?patient= gave any depot login a
    protected child's 20 lines back to 2021, orders it no longer handled. The
    aids centre handles a line of its stock until it is delivered and for the
    14 days a return may come back; lent devices for as long as they are out
    (their returns come any time)."""
    article = world.order.lines[0].article
    today = region_today()
    old = make_delivered_line(world.patient, article, today - timedelta(days=200))
    recent = make_delivered_line(world.patient, article, today - timedelta(days=10))
    depot, prescriber = bearer(world.depot), bearer(world.prescriber)

    for kind in ("SupplyRequest", "SupplyDelivery"):
        found, _ = search_all(client, depot, kind, world.patient.id)
        ids = {entry["id"] for entry in found}
        assert str(recent.id) in ids and str(old.id) not in ids, kind
        assert str(world.pump_line.id) in ids, kind  # a lent pump: always
        assert client.get(f"{BASE}/{kind}/{old.id}", headers=depot).status_code == 404
    everything, _ = search_all(client, prescriber, "SupplyRequest", world.patient.id)
    assert str(old.id) in {entry["id"] for entry in everything}


def test_reads_and_searches_are_in_the_patients_access_log(client, auth, world):
    headers = bearer(world.prescriber)
    client.get(f"{BASE}/Patient/{world.patient.id}", headers=headers)
    search_all(client, headers, "DeviceRequest", world.patient.id)
    client.get(f"{BASE}/DeviceRequest?patient={world.neighbour.id}", headers=headers)
    assert _fhir_audit_rows(world.patient.id) == 2
    assert _fhir_audit_rows(world.neighbour.id) == 1
    auth.login(world.patient_user.username)
    html = client.get("/portal/access-log").get_data(as_text=True)
    assert html.count("FHIR") == 2
    assert "Diabetesmottagningen Norr" in html


def test_paging_follows_next_links_through_every_resource(client, world):
    headers = bearer(world.prescriber)
    everything, _ = search_all(client, headers, "DeviceRequest", world.patient.id)
    paged, bundles = search_all(client, headers, "DeviceRequest", world.patient.id, 1)
    assert len(bundles) == len(everything) == 2
    assert [r["id"] for r in paged] == [r["id"] for r in everything]
    assert all(bundle["total"] == 2 for bundle in bundles)


def links_of(bundle: dict) -> dict[str, str]:
    return {link["relation"]: link["url"] for link in bundle["link"]}


@pytest.mark.parametrize("count, offset, previous", [(1, 10, 1), (2, 5, 0), (1, 2, 1)])
def test_paging_past_the_end_points_back_at_the_last_page(
    client, world, count, offset, previous
):
    """The patient has 2 prescriptions: `previous` leads to the last page that
    has any, never to another page past the end."""
    headers = bearer(world.prescriber)
    query = f"patient={world.patient.id}&_count={count}&_offset={offset}"
    bundle = client.get(f"{BASE}/DeviceRequest?{query}", headers=headers).get_json()
    assert bundle["total"] == 2 and "entry" not in bundle
    links = links_of(bundle)
    assert "next" not in links
    assert parse_qs(urlsplit(links["previous"]).query)["_offset"] == [str(previous)]
    back = "/" + links["previous"].split("://", 1)[1].split("/", 1)[1]
    assert client.get(back, headers=headers).get_json()["entry"]


def test_paging_past_the_end_of_nothing_gives_no_previous(client, world):
    query = f"patient={world.patient.id}&_count=1&_offset=3"
    bundle = client.get(f"{BASE}/DeviceRequest?{query}",
                        headers=bearer(world.stranger)).get_json()  # fmt: skip
    assert bundle["total"] == 0 and set(links_of(bundle)) == {"self"}


@pytest.mark.parametrize(
    "path, status, code",
    [
        ("DeviceRequest?patient=Patient/x", 400, "invalid"),
        ("DeviceRequest", 400, "invalid"),
        ("DeviceRequest?patient=1&name=Ella", 400, "invalid"),
        ("DeviceRequest?patient=1&_count=-1", 400, "invalid"),
        ("DeviceRequest?patient=1&patient=2", 400, "invalid"),
        # Digits of other scripts and of any length are no _count or _offset.
        ("DeviceRequest?patient=1&_count=%C2%B2", 400, "invalid"),  # ²
        ("DeviceRequest?patient=1&_offset=%C2%B2", 400, "invalid"),
        ("DeviceRequest?patient=1&_count=%D9%A3", 400, "invalid"),  # Arabic 3
        ("DeviceRequest?patient=1&_count=5%0A", 400, "invalid"),
        pytest.param(
            "DeviceRequest?patient=1&_offset=" + "9" * 5000,
            400,
            "invalid",
            id="offset-of-5000-digits",
        ),
        ("Observation?patient=1", 404, "not-found"),
        ("Device?patient=1", 404, "not-found"),
        ("Patient/abc", 404, "not-found"),
        ("Patient/99999999999", 404, "not-found"),
    ],
)
def test_bad_requests_are_answered_with_an_operation_outcome(
    client, world, path, status, code
):
    response = client.get(f"{BASE}/{path}", headers=bearer(world.prescriber))
    assert response.status_code == status
    outcome = response.get_json()
    validate_r5(outcome)
    assert outcome["issue"][0]["code"] == code


NOT_JSON = [
    ({"Accept": "application/fhir+xml"}, ""),
    ({"Accept": "application/xml"}, ""),
    ({"Accept": "text/html"}, ""),
    ({"Accept": "application/fhir+json; fhirVersion=4.0"}, ""),
    ({"Accept": "application/fhir+json;fhirVersion=4.0, application/fhir+xml"}, ""),
    ({}, "_format=xml"),
    ({}, "_format=application/fhir%2Bxml"),
    ({"Accept": "application/fhir+json"}, "_format=xml"),  # _format wins
]
JSON = [
    ({}, ""),
    ({"Accept": "*/*"}, ""),
    ({"Accept": "application/json"}, ""),
    ({"Accept": "application/fhir+json"}, ""),
    ({"Accept": "application/fhir+json; fhirVersion=5.0"}, ""),
    ({"Accept": "application/fhir+xml, application/fhir+json;q=0.5"}, ""),
    ({"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
     ""),  # a browser's
    ({}, "_format=json"),
    ({"Accept": "application/fhir+xml"}, "_format=application/fhir%2Bjson"),
]  # fmt: skip


def negotiated_paths(world) -> list[str]:
    return [
        "metadata",
        f"Patient/{world.patient.id}",
        f"DeviceRequest?patient={world.patient.id}",
    ]


@pytest.mark.parametrize("headers, query", NOT_JSON)
def test_a_client_that_takes_no_json_gets_406(client, world, headers, query):
    """We answer in JSON only: a client asking for XML (or another FHIR
    version) is told so rather than handed JSON it did not ask for."""
    for path in negotiated_paths(world):
        url = f"{BASE}/{path}" + (
            ("&" if "?" in path else "?") + query if query else ""
        )
        response = client.get(url, headers={**headers, **bearer(world.prescriber)})
        assert response.status_code == 406, (path, response.get_data(as_text=True))
        assert response.mimetype == "application/fhir+json"
        outcome = response.get_json()
        validate_r5(outcome)
        assert outcome["issue"][0]["code"] == "not-supported"


@pytest.mark.parametrize("headers, query", JSON)
def test_a_client_that_takes_json_gets_json(client, world, headers, query):
    for path in negotiated_paths(world):
        url = f"{BASE}/{path}" + (
            ("&" if "?" in path else "?") + query if query else ""
        )
        response = client.get(url, headers={**headers, **bearer(world.prescriber)})
        assert response.status_code == 200, (path, response.get_data(as_text=True))
        assert response.mimetype == "application/fhir+json"


@pytest.mark.parametrize(
    "query", ["name=Ella", "_summary=true", "_elements=id", "_format=json&_format=json"]
)
def test_a_read_with_a_parameter_it_does_not_support_is_400(client, world, query):
    """As a search: a client never takes an unfiltered answer for a filtered one.
    Refused before anything is read: no row in the patient's access log."""
    response = client.get(f"{BASE}/Patient/{world.patient.id}?{query}",
                          headers=bearer(world.prescriber))  # fmt: skip
    assert response.status_code == 400
    assert response.get_json()["issue"][0]["code"] == "invalid"
    assert _fhir_audit_rows(world.patient.id) == 0


def test_a_read_takes_format_json(client, world):
    response = client.get(f"{BASE}/Patient/{world.patient.id}?_format=json",
                          headers=bearer(world.prescriber))  # fmt: skip
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query, status",
    [("", 200), ("mode=full", 200), ("_format=json", 200),
     ("mode=terminology", 400), ("mode=normative", 400), ("mode=full&mode=full", 400),
     ("name=x", 400)],
)  # fmt: skip
def test_metadata_serves_the_full_statement_only(client, query, status):
    response = client.get(f"{BASE}/metadata?{query}")
    assert response.status_code == status
    body = response.get_json()
    expected = "CapabilityStatement" if status == 200 else "OperationOutcome"
    assert body["resourceType"] == expected


def test_ids_are_read_only_in_their_one_written_form(client, world):
    """`3` is an id; `3\\n` and `03` are not another spelling of it: a read
    answers 404, a search 400, as for any other malformed id."""
    headers = bearer(world.prescriber)
    pid = world.patient.id
    for path in (f"Patient/{pid}%0A", f"Patient/0{pid}",
                 f"DeviceRequest/{world.infusion_rx.id}%0A"):  # fmt: skip
        response = client.get(f"{BASE}/{path}", headers=headers)
        assert response.status_code == 404, path
    for query in (f"DeviceRequest?patient={pid}%0A", f"DeviceRequest?patient=0{pid}",
                  f"DeviceRequest?patient=Patient/0{pid}", f"Patient?_id={pid}%0A",
                  f"Patient?_id=0{pid}"):  # fmt: skip
        response = client.get(f"{BASE}/{query}", headers=headers)
        assert response.status_code == 400, query
        assert response.get_json()["issue"][0]["code"] == "invalid"
    assert _fhir_audit_rows(pid) == 0


def test_without_a_token_is_401_and_a_write_is_405(client, world):
    response = client.get(f"{BASE}/Patient/{world.patient.id}")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["issue"][0]["code"] == "login"
    put = client.put(f"{BASE}/Patient/{world.patient.id}", json={},
                     headers=bearer(world.prescriber))  # fmt: skip
    assert put.status_code == 405
    assert put.get_json()["resourceType"] == "OperationOutcome"


def _fhir_audit_rows(patient_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            AuditEvent.patient_id == patient_id, AuditEvent.channel == "fhir"
        )
    )


EVIL = {"Host": "evil.example"}


@pytest.mark.parametrize(
    "public, base",
    [("https://hjalpmedel.region.se/", "https://hjalpmedel.region.se/fhir/r5"),
     (None, "http://127.0.0.1:5000/fhir/r5")],
)  # fmt: skip
def test_paging_links_never_follow_the_requests_host_header(
    app, client, world, monkeypatch, public, base
):
    """`DeviceRequest?patient=3` with `Host: evil.example` answered with a next
    link to http://evil.example/...: a client following it would send its
    bearer token there. Links start with PUBLIC_URL, else the development
    server's address, as the mails' links do."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", public)
    headers = bearer(world.prescriber) | EVIL
    query = f"patient={world.patient.id}&_count=1&_offset=1"
    bundle = client.get(f"{BASE}/DeviceRequest?{query}", headers=headers).get_json()
    links = links_of(bundle)
    assert set(links) == {"self", "previous"}
    assert all(url.startswith(f"{base}/DeviceRequest?") for url in links.values())
    first = client.get(
        f"{BASE}/DeviceRequest?patient={world.patient.id}&_count=1", headers=headers
    ).get_json()
    assert links_of(first)["next"].startswith(f"{base}/DeviceRequest?")
    metadata = client.get(f"{BASE}/metadata", headers=EVIL).get_json()
    assert metadata["implementation"]["url"] == base
