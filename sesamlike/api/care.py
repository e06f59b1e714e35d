"""Care relationships: POST /care-relationships and /care-relationships/{id}/end.

A prescriber starts one for their own clinic by personnummer (404 when no such
patient; 422 for a clinic that is not theirs, exactly like an unknown one) and
ends it when the care ends: that clinic's staff then lose access to the patient.
"""

from __future__ import annotations

from marshmallow import Schema, fields

from sesamlike.accounts.models import Role
from sesamlike.api.patients import PERSONAL_ID_PATTERN
from sesamlike.api.routing import operation
from sesamlike.common.i18n import N_
from sesamlike.patients import care

REQUIRED = {"required": N_("Obligatoriskt."), "null": N_("Obligatoriskt.")}
TEXT = {**REQUIRED, "invalid": N_("Ange text.")}


class CareRelationshipInSchema(Schema):
    error_messages = {
        "unknown": N_("Okänt fält."),
        "type": N_("Skicka ett JSON-objekt."),
    }

    personal_id = fields.String(
        required=True,
        error_messages=TEXT,
        metadata={
            "description": "Personnummer or samordningsnummer, 10 or 12 digits "
            "with a valid check digit (else 422); no such patient: 404",
            "pattern": PERSONAL_ID_PATTERN,
        },
    )
    clinic_code = fields.String(
        required=True,
        error_messages=TEXT,
        metadata={"description": "One of your clinics"},
    )


class CareRelationshipSchema(Schema):
    id = fields.Integer()
    patient_id = fields.Integer()
    clinic_code = fields.Function(lambda rel: rel.clinic.code)
    started_on = fields.Date()
    ended_on = fields.Date(allow_none=True)


@operation(
    "POST",
    "/care-relationships",
    body=CareRelationshipInSchema,
    response=CareRelationshipSchema,
    status=201,
    roles=(Role.PRESCRIBER,),
    summary="Start a care relationship",
    tag="care",
    errors=(403, 404, 409),
)
def start_care_relationship(user, body):
    """Your clinic takes the patient into its care (prescribers of that clinic).

    404 when no patient has the personal_id; 409 when the clinic already has an
    active care relationship with the patient, or the patient is registered as
    deceased (`care_already_ended`). A patient registered as moved out of the
    region is taken into its care again: the end of care is cleared and
    ordering opens (the move stays in the audit log). The patient's access log
    shows it.
    """
    return care.start(user, body["personal_id"], body["clinic_code"])


@operation(
    "POST",
    "/care-relationships/<int:relationship_id>/end",
    response=CareRelationshipSchema,
    roles=(Role.PRESCRIBER,),
    summary="End a care relationship",
    tag="care",
    errors=(403, 404, 409),
)
def end_care_relationship(user, relationship_id):
    """The care at your clinic ends: its staff lose access to the patient.

    404 for a relationship of another clinic; 409 when it has already ended.
    """
    return care.end(user, relationship_id)
