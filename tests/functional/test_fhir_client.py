"""A real FHIR client library (fhirpy) reads /fhir/r5 from a running server."""

from __future__ import annotations

import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import ResourceNotFound

from sesamlike.accounts.services import issue_token
from tests.e2e.conftest import LiveServer
from tests.fhir_world import FhirWorld, validate_r5


@pytest.fixture
def server(app, monkeypatch):
    live = LiveServer(app)
    # As a deployment sets it: the address the Bundle's links name.
    monkeypatch.setitem(app.config, "PUBLIC_URL", live.url)
    live.start()
    yield live
    live.stop()


def test_a_fhir_client_reads_a_patients_device_requests(server):
    world = FhirWorld()
    token = issue_token(world.prescriber.username)
    client = SyncFHIRClient(server("/fhir/r5"), authorization=f"Bearer {token}")
    patient = client.reference("Patient", world.patient.id).to_resource()
    assert patient["identifier"][0]["value"] == world.patient.personal_id
    # One per page: the client follows the Bundle's next links to the end.
    found = (
        client.resources("DeviceRequest")
        .search(patient=f"Patient/{world.patient.id}")
        .limit(1)
        .fetch_all()
    )
    assert sorted(int(r.id) for r in found) == [world.pump_rx.id, world.infusion_rx.id]
    for resource in found:
        validate_r5(resource.serialize())
        assert resource["subject"]["reference"] == f"Patient/{world.patient.id}"


def test_a_fhir_client_of_another_clinic_finds_nothing(server):
    world = FhirWorld()
    token = issue_token(world.stranger.username)
    client = SyncFHIRClient(server("/fhir/r5"), authorization=f"Bearer {token}")
    search = client.resources("DeviceRequest").search(patient=world.patient.id)
    assert search.fetch_all() == []
    with pytest.raises(ResourceNotFound):
        client.reference("Patient", world.patient.id).to_resource()
