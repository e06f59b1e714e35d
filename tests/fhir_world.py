"""A small region for the FHIR tests, and the helpers to read it as FHIR.

Two clinics; at the first a patient with a login (a pump lent and delivered, an
infusion-set prescription with an open order), a second patient, and a patient
with protected identity; a prescriber at each clinic and one user of every
other role.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property

from fhir.resources import get_fhir_model_class
from fhir.resources.codeablereference import CodeableReference
from fhir.resources.reference import Reference
from pydantic import BaseModel

from sesamlike.accounts.services import issue_token
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders import services as ordering
from tests.factories import (
    ADULT_PNR,
    COORDINATION_NO,
    make_article,
    make_clinic,
    make_delivered_line,
    make_device,
    make_patient,
    make_prescription,
    make_pump,
    make_stock_lot,
    make_system,
    make_user,
)

SEARCHED = ("DeviceRequest", "SupplyRequest", "SupplyDelivery", "DeviceDispense")


class FhirWorld:
    def __init__(self) -> None:
        self.clinic = make_clinic("NORR", name="Diabetesmottagningen Norr",
                                  street="Sjukhusvägen 1", postal_code="41102",
                                  city="Norrstad")  # fmt: skip
        self.other_clinic = make_clinic("SODR", name="Diabetesmottagningen Söder")
        self.prescriber = make_user("prescriber", clinics=[self.clinic],
                                    display_name="Doktor Dahl")  # fmt: skip
        system = make_system("MiniMed 780G")
        self.pump = make_pump("PUMP-1", systems=[system], gtin="07350000000019",
                              iso9999="04 19 24", name="MiniMed 780G")  # fmt: skip
        self.infusion = make_article("INF-1", systems=[system], gtin="07350000000026",
                                     name="Quick-set 6 mm")  # fmt: skip
        make_stock_lot(self.infusion, on_hand=20)
        self.patient = make_patient(
            self.clinic, personal_id=ADULT_PNR, first_name="Ella",
            last_name="Ekström", phone="070-111 22 33", email="ella@example.se",
        )  # fmt: skip
        self.neighbour = make_patient(self.clinic, personal_id=COORDINATION_NO,
                                      id_kind="samordningsnummer", first_name="Nils",
                                      last_name="Nord")  # fmt: skip
        self.protected = make_patient(self.clinic, first_name="Hemlig",
                                      last_name="Person", protected_identity=True,
                                      phone="070-999 99 99")  # fmt: skip
        self.pump_rx = make_prescription(self.patient, self.pump, self.prescriber,
                                         withdrawals=1)  # fmt: skip
        self.infusion_rx = make_prescription(self.patient, self.infusion,
                                             self.prescriber, lock_days=0)  # fmt: skip
        make_prescription(self.neighbour, self.infusion, self.prescriber)
        make_prescription(self.protected, self.infusion, self.prescriber)
        self.pump_line = make_delivered_line(
            self.patient, self.pump, region_today() - timedelta(days=30),
            serial_no="SN-0001", prescription_id=self.pump_rx.id,
        )  # fmt: skip
        self.device = make_device(self.patient, self.pump, "SN-0001",
                                  lent_on=self.pump_line.delivered_on,
                                  warranty_end=None)  # fmt: skip
        self.order = ordering.place_order(
            self.prescriber, self.patient.id, [(self.infusion_rx.id, 1)], "home"
        ).order
        db.session.commit()

    # Logins are made when a test first uses them (each hashes a password).
    @cached_property
    def stranger(self):
        return make_user("prescriber", clinics=[self.other_clinic])

    @cached_property
    def patient_user(self):
        return make_user("patient", patients=[self.patient])

    @cached_property
    def protected_user(self):
        return make_user("patient", patients=[self.protected])

    @cached_property
    def depot(self):
        return make_user("depot")

    @cached_property
    def manager(self):
        return make_user("manager", clinics=[self.clinic])

    @cached_property
    def region(self):
        return make_user("region")

    @cached_property
    def admin(self):
        return make_user("admin")


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(user.username)}"}


def validate_r5(resource: dict):
    """Parse with fhir.resources' R5 models; raises on anything R5 does not allow,
    including a reference to a resource type its element does not take (the
    models list the types but do not check them)."""
    model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    wrong = wrong_reference_types(model)
    assert not wrong, f"{resource['resourceType']} refers to types R5 forbids: {wrong}"
    return model


def wrong_reference_types(model: BaseModel, path: str = "") -> list[tuple]:
    """(element, type named, types allowed) of each reference R5 does not allow."""
    found = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name, None)
        extra = field.json_schema_extra if isinstance(field.json_schema_extra,
                                                      dict) else {}  # fmt: skip
        allowed = extra.get("enum_reference_types") or ["Resource"]
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, BaseModel):
                continue
            ref = item.reference if isinstance(item, CodeableReference) else item
            if isinstance(ref, Reference) and "Resource" not in allowed:
                named = ref.type or (ref.reference or "").split("/")[0] or None
                if named and named not in allowed:
                    found.append((path + name, named, allowed))
            found += wrong_reference_types(item, f"{path}{name}.")
    return found


def search_all(client, headers, resource_type: str, patient_id: int, count=50):
    """Every resource of a patient's searchset, following the `next` links."""
    url = f"/fhir/r5/{resource_type}?patient=Patient/{patient_id}&_count={count}"
    resources, bundles = [], []
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        bundle = response.get_json()
        bundles.append(bundle)
        resources += [entry["resource"] for entry in bundle.get("entry", [])]
        following = [lnk["url"] for lnk in bundle["link"] if lnk["relation"] == "next"]
        url = following[0].split("://", 1)[1].split("/", 1)[1] if following else None
        url = f"/{url}" if url else None
    return resources, bundles
