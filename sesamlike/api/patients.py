"""Patients: GET /patients/{id}."""

from __future__ import annotations

from datetime import date

from marshmallow import Schema, fields

from sesamlike.api.routing import operation
from sesamlike.patients import access


class AddressSchema(Schema):
    street = fields.String()
    postal_code = fields.String()
    city = fields.String()
    door_code = fields.String(allow_none=True)


class PatientSchema(Schema):
    id = fields.Integer()
    personal_id = fields.String()
    id_kind = fields.String()
    lma_number = fields.String(allow_none=True)
    lma_valid_to = fields.Date(allow_none=True)
    first_name = fields.String()
    last_name = fields.String()
    birth_date = fields.Date(allow_none=True)
    age_group = fields.String(allow_none=True)
    diabetes_type = fields.String()
    protected_identity = fields.Boolean()
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    clinic_codes = fields.List(fields.String())
    address = fields.Nested(
        AddressSchema,
        allow_none=True,
        metadata={"description": "null when protected identity hides it from you"},
    )


def patient_view(user, patient) -> dict:
    """The patient as this user may see it: protected addresses stay hidden."""
    address = patient.home_address() if access.can_see_address(user, patient) else None
    group = patient.age_group_on(date.today())
    return {
        **{name: getattr(patient, name) for name in PatientSchema().fields
           if hasattr(patient, name) and name not in {"address", "age_group"}},
        "age_group": group.value if group else None,
        "clinic_codes": sorted(c.clinic.code for c in patient.care_relationships
                               if c.ended_on is None),
        "address": address,
    }


@operation("GET", "/patients/<int:patient_id>", response=PatientSchema,
           summary="A patient", tag="patients", errors=(404,))
def get_patient(user, patient_id):
    """A patient visible to you through your role and care relationships."""
    return patient_view(user, access.get_patient(user, patient_id))
