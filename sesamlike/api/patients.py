"""Patients: POST /patients and GET /patients/{id}."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sesamlike.accounts.models import Role
from sesamlike.api.routing import operation
from sesamlike.api.schemas import Timestamp
from sesamlike.common.i18n import N_
from sesamlike.common.time import region_today
from sesamlike.patients import access, access_log, services


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
    phone = fields.String(
        allow_none=True, metadata={"description": "null when protected identity"}
    )
    email = fields.String(
        allow_none=True, metadata={"description": "null when protected identity"}
    )
    clinic_codes = fields.List(fields.String())
    address = fields.Nested(
        AddressSchema,
        allow_none=True,
        metadata={"description": "null when protected identity hides it from you"},
    )
    care_ended_reason = fields.String(
        allow_none=True,
        metadata={
            "description": "why care in the region ended: `deceased` or "
            "`moved_out` (moved to another region); null while in care",
            "enum": ["deceased", "moved_out"],
        },
    )
    care_ended_on = fields.Date(
        allow_none=True,
        metadata={"description": "the day of death or of the move; null while in care"},
    )


CONTACT_FIELDS = {"address", "phone", "email"}


def patient_view(user, patient) -> dict:
    """The patient as this user may see it: protected contact details stay hidden.

    Address, phone and e-mail of a patient with protected identity are in no
    answer except to the patient.
    """
    contact = access.can_see_contact(user, patient)
    group = patient.age_group_on(region_today())
    return {
        **{
            name: getattr(patient, name)
            for name in PatientSchema().fields
            if hasattr(patient, name) and name not in CONTACT_FIELDS | {"age_group"}
        },
        "phone": patient.phone if contact else None,
        "email": patient.email if contact else None,
        "age_group": group.value if group else None,
        "clinic_codes": sorted(
            c.clinic.code for c in patient.care_relationships if c.ended_on is None
        ),
        "address": patient.home_address() if contact else None,
    }


@operation(
    "GET",
    "/patients/<int:patient_id>",
    response=PatientSchema,
    summary="A patient",
    tag="patients",
    roles=access.RECORD_ROLES,
    errors=(403, 404),
)
def get_patient(user, patient_id):
    """A patient in your care (prescribers with a care relationship), yourself, or
    a child you may act for. Every other role: 403."""
    return patient_view(user, access.get_patient(user, patient_id))


_MESSAGES = {
    "required": N_("Obligatoriskt."),
    "null": N_("Obligatoriskt."),
    "invalid": N_("Fel typ av värde."),
}
_DATE_MESSAGES = {**_MESSAGES, "invalid": "Ange ett datum som ÅÅÅÅ-MM-DD."}
# What the service checks, stated in the document (the service keeps its own
# messages): a real month and day, samordningsnummer's day + 60, or a reserve number.
PERSONAL_ID_PATTERN = (
    r"^(?:(?:19|20)?\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"
    r"[-+]?\d{4}|[A-Za-z0-9-]{4,20})$"
)
NOT_BLANK = {"pattern": r"\S"}


def _text(max_len: int, *, required: bool = False, **kw) -> fields.String:
    """Types and lengths only; the service checks content, for pages and API alike."""
    return fields.String(
        required=required,
        allow_none=not required,
        validate=validate.Length(max=max_len, error="För långt."),
        error_messages=_MESSAGES,
        **kw,
    )


class PatientCreateSchema(Schema):
    """Register a patient at one of your clinics (prescribers only)."""

    class Meta:
        description = (
            "Register a patient at one of your clinics (prescribers only). A "
            "clinic_code that is not one of your clinics answers 422 with "
            "fields.clinic_code, exactly as an unknown code does, so codes cannot "
            "be probed. A personal_id already registered answers 409 "
            "patient_exists; its message names the patient only when you already "
            "see them. Unknown fields are 422."
        )

    error_messages = {
        "unknown": N_("Okänt fält."),
        "type": N_("Skicka ett JSON-objekt."),
    }

    personal_id = _text(
        20,
        required=True,
        metadata={
            "description": "Personnummer or samordningsnummer, 10 or 12 digits with or "
            "without separator, a real date (samordningsnummer: day + 60) and a valid "
            "check digit; with id_kind=reserve, the region's reserve number "
            "(4-20 letters, digits or hyphens)",
            "pattern": PERSONAL_ID_PATTERN,
        },
    )
    first_name = _text(80, required=True, metadata=NOT_BLANK)
    last_name = _text(80, required=True, metadata=NOT_BLANK)
    diabetes_type = fields.String(
        required=True,
        error_messages=_MESSAGES,
        validate=validate.OneOf(
            services.DIABETES_TYPES, error=N_("Välj type1, type2 eller other.")
        ),
    )
    clinic_code = _text(
        20,
        required=True,
        metadata={"description": "One of your clinics (another code: 422)"},
    )
    street = _text(
        120,
        required=True,
        metadata={**NOT_BLANK, "description": "Not a box address (Box 123)"},
    )
    postal_code = _text(10, required=True, metadata={"pattern": r"^\d{3} ?\d{2}$"})
    city = _text(80, required=True, metadata=NOT_BLANK)
    door_code = _text(20)
    phone = _text(
        30,
        metadata={
            "pattern": r"^\+?(?:[\s\-()]*\d){6,15}[\s\-()]*$",
            "description": "6-15 digits; spaces, hyphens, brackets and a leading + "
            "allowed",
        },
    )
    email = _text(254, metadata={"pattern": r"^[^@\s]+@[^@\s]+\.[^@\s.]+$"})
    protected_identity = fields.Boolean(
        load_default=False,
        error_messages={**_MESSAGES, "invalid": N_("Ange true eller false.")},
    )
    # Optional additions to the contract: reserve numbers for people without one.
    id_kind = fields.String(
        error_messages=_MESSAGES,
        validate=validate.OneOf(
            ["personnummer", "samordningsnummer", "reserve"],
            error=N_("Välj personnummer, samordningsnummer eller reserve."),
        ),
        metadata={
            "description": "reserve: personal_id is a reserve number and "
            "lma_number, lma_valid_to and birth_date are required; otherwise "
            "the kind follows from the number"
        },
    )
    lma_number = _text(20)
    lma_valid_to = fields.Date(allow_none=True, error_messages=_DATE_MESSAGES)
    birth_date = fields.Date(allow_none=True, error_messages=_DATE_MESSAGES)
    care_of = _text(120)


@operation(
    "POST",
    "/patients",
    body=PatientCreateSchema,
    response=PatientSchema,
    status=201,
    roles=(Role.PRESCRIBER,),
    summary="Register a patient",
    tag="patients",
    errors=(409, 422),
    faults=services.registration_faults,
)
def create_patient(user, body):
    """Register a patient at one of your clinics, which gets the care relationship.

    Prescribers only (403 for other roles). Invalid input is 422 with `fields`
    (an invalid personnummer under `fields.personal_id`; a clinic that is not
    yours under `fields.clinic_code`); an already registered `personal_id` is 409.
    """
    return patient_view(user, services.register_patient(user, body))


class AccessEventSchema(Schema):
    at = Timestamp()
    role = fields.String(allow_none=True, metadata={"description": "null: the system"})
    clinic_code = fields.String(allow_none=True)
    action = fields.String()


class AccessLogSchema(Schema):
    events = fields.List(fields.Nested(AccessEventSchema))


@operation(
    "GET",
    "/patients/<int:patient_id>/access-log",
    response=AccessLogSchema,
    summary="Who read or changed the patient's data",
    tag="patients",
    roles=access_log.READERS,
    errors=(403, 404),
)
def get_access_log(user, patient_id):
    """Every read and write of your data (or your child's), newest first, including
    another clinic's attempt to register the same person. Staff show by role and
    clinic, never by name. The patient or a guardian who may act for the child."""
    return {"events": access_log.events(user, patient_id)}
