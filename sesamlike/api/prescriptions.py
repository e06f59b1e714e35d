"""Prescriptions: POST /prescriptions, GET /patients/{id}/prescriptions and more.

The schemas check only shapes and types; every rule (limits, reasons, rights,
contract) is the service's, so pages and API refuse with the same messages.
"""

from __future__ import annotations

from marshmallow import Schema, fields, pre_dump

from sesamlike.accounts.models import Role
from sesamlike.api.routing import operation
from sesamlike.api.schemas import Timestamp
from sesamlike.catalog import assortment
from sesamlike.common.i18n import N_
from sesamlike.common.time import region_today
from sesamlike.patients import access
from sesamlike.prescriptions import kits, renewals, rules, take_over
from sesamlike.prescriptions import services as prescriptions
from sesamlike.prescriptions.faults import (
    kit_faults,
    prescription_faults,
    renewal_faults,
)
from sesamlike.prescriptions.models import Prescription, ReasonCode

PRESCRIBERS = (Role.PRESCRIBER,)
REQUIRED = {"required": N_("Obligatoriskt."), "null": N_("Obligatoriskt.")}
INTEGER = {**REQUIRED, "invalid": N_("Ange ett heltal.")}
DATE = {**REQUIRED, "invalid": "Ange ett datum som ÅÅÅÅ-MM-DD."}
TEXT = {**REQUIRED, "invalid": N_("Ange text.")}
REASON_CODES = ", ".join(code.value for code in ReasonCode)
# The ranges and lengths the prescribing rules enforce, stated in the document.
PACKS = {"minimum": 1, "maximum": rules.MAX_PACKS_PER_WITHDRAWAL}
WITHDRAWALS = {"minimum": 1, "maximum": rules.MAX_WITHDRAWALS}
PERIOD_DAYS = {"minimum": 1, "maximum": rules.MAX_PERIOD_DAYS}
LOCK_DAYS = {"minimum": 0, "maximum": rules.MAX_PERIOD_DAYS}
REASON_CODE = {"enum": [code.value for code in ReasonCode]}
REASON_TEXT = {"maxLength": rules.MAX_REASON_TEXT}
COST_CENTRE = {
    "maxLength": rules.MAX_COST_CENTRE,
    "pattern": r"^[\w-]*$",
    "description": "Paying cost centre (letters, digits, hyphens); default the "
    "clinic's",
}


def _integer(required: bool = False, **metadata) -> fields.Integer:
    if required:
        return fields.Integer(
            required=True, strict=True, error_messages=INTEGER, metadata=metadata
        )
    return fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        error_messages=INTEGER,
        metadata=metadata,
    )


def _date(required: bool = False, **metadata) -> fields.Date:
    if required:
        return fields.Date(required=True, error_messages=DATE, metadata=metadata)
    return fields.Date(
        load_default=None, allow_none=True, error_messages=DATE, metadata=metadata
    )


def _text(**metadata) -> fields.String:
    return fields.String(
        load_default=None, allow_none=True, error_messages=TEXT, metadata=metadata
    )


class TermsSchema(Schema):
    error_messages = {"unknown": N_("Okänt fält.")}

    valid_to = _date(
        description="Default: valid_from + 1 year - 1 day; at most 1 year "
        "(2 years for cgm_sensor)"
    )
    lock_days = _integer(
        description="Days before the next withdrawal, at most period_days; "
        "default 2/3 of period_days",
        **LOCK_DAYS,
    )
    reason_code = _text(
        description=f"{REASON_CODES}; required with reason_text when the article "
        "is not procured or not first choice in its category",
        **REASON_CODE,
    )
    reason_text = _text(description="Why the deviation", **REASON_TEXT)
    cost_centre = _text(**COST_CENTRE)


class PrescriptionInSchema(TermsSchema):
    patient_id = _integer(required=True)
    article_no = fields.String(required=True, error_messages=TEXT)
    packs_per_withdrawal = _integer(required=True, **PACKS)
    withdrawals = _integer(
        required=True, description="Number of withdrawals", **WITHDRAWALS
    )
    period_days = _integer(
        required=True, description="Days each withdrawal covers", **PERIOD_DAYS
    )
    valid_from = _date(required=True)
    clinic_code = _text(
        description="Prescribing clinic; default your first clinic caring for "
        "the patient"
    )


class RenewalSchema(TermsSchema):
    valid_from = _date(
        description="Default: the day after a still active prescription ends, "
        "else today"
    )
    packs_per_withdrawal = _integer(**PACKS)
    withdrawals = _integer(**WITHDRAWALS)
    period_days = _integer(**PERIOD_DAYS)


class KitLineInSchema(Schema):
    error_messages = {"unknown": "Okänt fält."}

    article_no = fields.String(required=True, error_messages=TEXT)
    packs_per_withdrawal = _integer(required=True, **PACKS)
    withdrawals = _integer(required=True, **WITHDRAWALS)
    period_days = _integer(required=True, **PERIOD_DAYS)
    reason_code = _text(
        description="Required with reason_text when the line departs from the "
        "system's first choice or the article is not procured",
        **REASON_CODE,
    )
    reason_text = _text(**REASON_TEXT)


class KitInSchema(Schema):
    error_messages = {"unknown": "Okänt fält."}

    patient_id = _integer(required=True)
    system = fields.String(
        required=True,
        error_messages=TEXT,
        metadata={"description": "A system's name, e.g. MiniMed 640G"},
    )
    valid_from = _date(required=True)
    lines = fields.List(
        fields.Nested(KitLineInSchema),
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Optional: the lines as the prescriber wants them "
            "(articles of the system, each once). Default: the proposed kit."
        },
    )
    clinic_code = _text(description="Prescribing clinic; default your first one")
    cost_centre = _text(**COST_CENTRE)


class PrescriptionSchema(Schema):
    id = fields.Integer()
    patient_id = fields.Integer()
    article_no = fields.Function(lambda rx: rx.article.article_no)
    article_name = fields.Function(lambda rx: rx.article.name)
    category = fields.Function(lambda rx: rx.article.category)
    systems = fields.Function(
        lambda rx: [system.name for system in rx.article.systems],
        metadata={"type": "array", "items": {"type": "string"}},
    )
    channel = fields.Function(
        lambda rx: rx.article.channel,
        metadata={"description": "Delivery channel, from the article"},
    )
    procured = fields.Function(lambda rx: rx.article.procured)
    first_choice = fields.Method(
        "is_first_choice",
        metadata={
            "type": "boolean",
            "description": "First choice in its category for one of its systems "
            "today, as the prescribing pages mark it",
        },
    )
    packs_per_withdrawal = fields.Integer()
    withdrawals = fields.Integer()
    withdrawals_used = fields.Integer()
    remaining_withdrawals = fields.Integer()
    period_days = fields.Integer()
    lock_days = fields.Integer()
    valid_from = fields.Date()
    valid_to = fields.Date()
    last_withdrawal_on = fields.Date(allow_none=True)
    next_withdrawal_on = fields.Date(allow_none=True)
    status = fields.Function(
        lambda rx: rx.status_on(region_today()).value,
        metadata={"enum": ["active", "expired", "used_up", "cancelled"]},
    )
    reason_code = fields.String(allow_none=True)
    reason_text = fields.String(allow_none=True)
    clinic_code = fields.Function(lambda rx: rx.clinic.code)
    cost_centre = fields.String()
    prescriber_id = fields.Integer(allow_none=True)
    renewed_from_id = fields.Integer(allow_none=True)
    taken_over_by_id = fields.Integer(
        allow_none=True,
        metadata={
            "description": "The prescription of another clinic that took this "
            "one over (a patient who moved clinic), else null"
        },
    )
    created_at = Timestamp()
    cancelled_at = Timestamp(allow_none=True)

    @pre_dump(pass_collection=True)
    def _find_first_choices(self, data, **kwargs):
        """The articles that are first choice, for one or many: one query."""
        many = data if isinstance(data, list | tuple) else [data]
        self._first_choice = assortment.first_choice_among(
            (rx.article for rx in many), region_today()
        )
        return data

    def is_first_choice(self, rx: Prescription) -> bool:
        return rx.article.id in self._first_choice


@operation(
    "POST",
    "/prescriptions",
    body=PrescriptionInSchema,
    response=PrescriptionSchema,
    status=201,
    roles=PRESCRIBERS,
    summary="Prescribe an article",
    tag="prescriptions",
    errors=(403, 404),
    faults=lambda _user, data, wrong: prescription_faults(data, wrong),
)
def create_prescription(user, body) -> Prescription:
    """Prescribe for a patient of your clinic. 403 also when a first pump or CGM
    reader needs the first-time right; 422 with `fields` for invalid input,
    a missing reason (`reason_required`) or an article outside its contract."""
    return prescriptions.prescribe(
        user,
        body["patient_id"],
        body["article_no"],
        body["packs_per_withdrawal"],
        body["withdrawals"],
        body["period_days"],
        body["valid_from"],
        valid_to=body["valid_to"],
        lock_days=body["lock_days"],
        reason_code=body["reason_code"],
        reason_text=body["reason_text"],
        cost_centre=body["cost_centre"],
        clinic_code=body["clinic_code"],
    )


@operation(
    "GET",
    "/patients/<int:patient_id>/prescriptions",
    response=PrescriptionSchema,
    many=True,
    summary="A patient's prescriptions",
    tag="prescriptions",
    roles=access.RECORD_ROLES,
    errors=(403, 404),
)
def list_prescriptions(user, patient_id) -> list[Prescription]:
    """Every prescription of a patient visible to you, active ones first."""
    return prescriptions.list_for_patient(user, patient_id)


@operation(
    "GET",
    "/prescriptions/<int:prescription_id>",
    response=PrescriptionSchema,
    summary="A prescription",
    tag="prescriptions",
    roles=access.RECORD_ROLES,
    errors=(403, 404),
)
def get_prescription(user, prescription_id) -> Prescription:
    """One prescription of a patient visible to you."""
    return prescriptions.get_prescription(user, prescription_id)


@operation(
    "POST",
    "/prescriptions/<int:prescription_id>/cancel",
    response=PrescriptionSchema,
    roles=PRESCRIBERS,
    summary="Cancel (makulera) a prescription",
    tag="prescriptions",
    errors=(403, 404, 409),
)
def cancel_prescription(user, prescription_id) -> Prescription:
    """No further withdrawals on it; 409 when it is already cancelled."""
    return prescriptions.cancel(user, prescription_id)


@operation(
    "POST",
    "/prescriptions/<int:prescription_id>/renew",
    body=RenewalSchema,
    response=PrescriptionSchema,
    status=201,
    roles=PRESCRIBERS,
    summary="Renew a prescription",
    tag="prescriptions",
    errors=(403, 404, 409),
    faults=renewal_faults,
)
def renew_prescription(user, prescription_id, body) -> Prescription:
    """A new prescription from the old one (send `{}` to keep its terms); the
    old one keeps its history. 409 when cancelled or already renewed; 422 with
    every field's faults, checked as a new prescription's (quantities and a
    start taken as given, as POST /prescriptions takes them)."""
    return renewals.renew(user, prescription_id, **body)


@operation(
    "POST",
    "/prescriptions/<int:prescription_id>/take-over",
    response=PrescriptionSchema,
    status=201,
    roles=PRESCRIBERS,
    summary="Take over another clinic's prescription (a patient who moved)",
    tag="prescriptions",
    errors=(403, 404, 409),
)
def take_over_prescription(user, prescription_id) -> Prescription:
    """The prescription of another clinic becomes the caller's clinic's from
    today: it ends yesterday, and the new one (returned) carries on what was
    left of it (withdrawals, terms, validity, the time lock), paid by the
    caller's clinic; what was ordered before stays the old clinic's cost. 409
    when it is the caller's clinic's already, has not begun, is used up,
    cancelled or renewed."""
    return take_over.take_over(user, prescription_id)


class KitSchema(Schema):
    prescriptions = fields.List(fields.Nested(PrescriptionSchema))


@operation(
    "POST",
    "/prescriptions/kit",
    body=KitInSchema,
    response=KitSchema,
    status=201,
    roles=PRESCRIBERS,
    summary="Prescribe a pump or CGM system as a whole (a kit)",
    tag="prescriptions",
    errors=(403, 404),
    faults=kit_faults,
)
def create_kit(user, body) -> dict:
    """The system's first-choice device (1 withdrawal of 1 pack, valid one year)
    when it has one, and per consumable category its first-choice article with
    packs_per_withdrawal = ceil(units_per_day x 90 / pack_size), 4 withdrawals of
    90 days. Every line passes the rules of a single prescription (403
    `first_prescription_right_required`; 422 `incompatible_system`,
    `device_single_withdrawal`, `reason_required`, `unknown_system`, with fields
    named `lines.<n>.<field>`); nothing is saved unless every line is."""
    lines = body["lines"]
    choices = None
    if lines is not None:
        choices = [kits.KitChoice(**line) for line in lines]
    made = kits.prescribe_kit(
        user,
        body["patient_id"],
        body["system"],
        body["valid_from"],
        choices,
        clinic_code=body["clinic_code"],
        cost_centre=body["cost_centre"],
    )
    return {"prescriptions": made}
