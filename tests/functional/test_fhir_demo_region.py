"""Over the whole demo region: every resource /fhir/r5 emits validates as R5, and
the region's bulk export holds no identity number, name or address of anyone."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import Clinic, User
from sesamlike.demo.region import load_demo_region
from sesamlike.extensions import db
from sesamlike.patients.identity import format_personal_id
from sesamlike.patients.models import Address, CareRelationship, Patient
from sesamlike.stock.models import Device
from tests.fhir_world import SEARCHED, bearer, search_all, validate_r5

pytestmark = pytest.mark.slow


def prescriber_of(clinic: Clinic) -> User:
    return next(u for u in clinic.users if u.role == "prescriber")


def test_every_resource_read_from_the_demo_region_validates_as_r5(client):
    load_demo_region()
    validated = dict.fromkeys(["Patient", *SEARCHED, "Device", "Organization"], 0)
    for clinic in db.session.scalars(sa.select(Clinic)).all():
        headers = bearer(prescriber_of(clinic))
        patient_ids = db.session.scalars(
            sa.select(CareRelationship.patient_id).where(
                CareRelationship.clinic_id == clinic.id,
                CareRelationship.ended_on.is_(None),
            )
        ).all()
        for number, patient_id in enumerate(patient_ids):
            patient = client.get(f"/fhir/r5/Patient/{patient_id}", headers=headers)
            validate_r5(patient.get_json())
            validated["Patient"] += 1
            if number % 5:
                continue  # every fifth patient's searches; the export covers all
            for name in SEARCHED:
                resources, bundles = search_all(client, headers, name, patient_id)
                for resource in [*bundles, *resources]:
                    validate_r5(resource)
                validated[name] += len(resources)
        validate_r5(client.get(f"/fhir/r5/Organization/{clinic.id}",
                               headers=headers).get_json())  # fmt: skip
        validated["Organization"] += 1
    depot = bearer(db.session.scalar(sa.select(User).where(User.role == "depot")))
    for device_id in db.session.scalars(sa.select(Device.id)).all()[::5]:
        validate_r5(
            client.get(f"/fhir/r5/Device/{device_id}", headers=depot).get_json()
        )
        validated["Device"] += 1
    assert all(validated.values()), validated


def test_the_demo_regions_export_validates_and_names_no_one(client):
    from tests.functional.test_fhir_export import finished_files, kick_off

    load_demo_region()
    region = db.session.scalar(sa.select(User).where(User.role == "region"))
    files = finished_files(client, region, kick_off(client, region))
    patients = db.session.scalars(sa.select(Patient)).all()
    assert len(files["Patient"]) == len(patients)
    secrets = set()
    for patient in patients:
        secrets |= {
            patient.personal_id,
            format_personal_id(patient.personal_id),
            patient.full_name,
            f'"family":"{patient.last_name}"',
        }
        secrets |= {
            value
            for value in (patient.phone, patient.email, patient.lma_number)
            if value
        }
    for address in db.session.scalars(sa.select(Address)):
        secrets.add(address.street)
    # One pass of one pattern over the export: any identity, name or address.
    pattern = re.compile("|".join(map(re.escape, sorted(secrets, key=len)[::-1])))
    text = ""
    for resources in files.values():
        for resource in resources:
            validate_r5(resource)
        text += "\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":"))
                          for r in resources)  # fmt: skip
    assert pattern.search(text) is None, pattern.search(text)
    assert text.count("\n") > 5000
