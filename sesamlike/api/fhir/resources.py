"""Our rows as FHIR R5 resources: Patient, DeviceRequest, SupplyRequest, SupplyDelivery,
DeviceDispense, Device, Organization and Practitioner.

Each mapper returns a plain dict; `Viewer` says how the reader sees patients (a
user through the API, or the region's pseudonymised export). docs/fhir.md lists
every mapping and what is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sesamlike.accounts.models import Clinic, Role, User
from sesamlike.api.fhir import codes as c
from sesamlike.catalog.models import DEVICE_CATEGORIES
from sesamlike.orders.models import LineStatus, Order, OrderLine
from sesamlike.orders.shipto import mode_in_force
from sesamlike.patients.models import Patient
from sesamlike.prescriptions.models import Prescription
from sesamlike.stock.models import Device, DeviceStatus

# Our statuses → FHIR's (docs/fhir.md explains each choice).
PRESCRIPTION_STATUS = {
    "active": "active",
    "expired": "completed",
    "used_up": "completed",
    "cancelled": "revoked",
}
SUPPLY_REQUEST_STATUS = {
    LineStatus.RESERVED: "active",
    LineStatus.BACKORDERED: "active",
    LineStatus.SENT_TO_SUPPLIER: "active",
    LineStatus.SENT_TO_PHARMACY: "active",
    LineStatus.SHIPPED: "active",
    LineStatus.DELIVERED: "completed",
    LineStatus.RETURNED: "completed",
    LineStatus.CANCELLED: "cancelled",
}
# Only lines that left the depot (or came from delivered history) are deliveries.
DELIVERY_STATUS = {
    LineStatus.SHIPPED: "in-progress",
    LineStatus.DELIVERED: "completed",
    LineStatus.RETURNED: "completed",
}
DISPENSE_STATUS = {
    LineStatus.SHIPPED: "in-progress",
    LineStatus.DELIVERED: "completed",
    LineStatus.RETURNED: "completed",
}
PLACED_BY = {
    Role.GUARDIAN: "Vårdnadshavare",
    Role.DEPOT: "Hjälpmedelscentralen",
}


@dataclass(frozen=True)
class Viewer:
    """How the resources name patients and staff for one reader."""

    patient_ref: Callable[[int], dict]
    shows_contact: Callable[[Patient], bool]
    staff_names: bool = True
    # Free text staff wrote (a deviation's reason) may name anyone: not for
    # the pseudonymised export, which keeps the codes.
    free_text: bool = True

    @classmethod
    def for_user(cls, user: User, can_see_address: Callable) -> Viewer:
        def shows(patient: Patient) -> bool:
            return patient.user_id == user.id or can_see_address(user, patient)

        return cls(lambda pid: c.reference("Patient", pid), shows)


def is_delivery(line: OrderLine) -> bool:
    return line.status in DELIVERY_STATUS and (
        line.shipped_at is not None or line.delivered_on is not None
    )


def is_device_dispense(line: OrderLine) -> bool:
    return is_delivery(line) and line.article.category in DEVICE_CATEGORIES


# Patients, clinics, staff ------------------------------------------------------


def patient(row: Patient, viewer: Viewer) -> dict:
    """The patient with identity; contact details only where protection allows."""
    kind = row.id_kind
    identifiers = []
    if kind == "personnummer":
        identifiers.append({"use": "official", "system": c.PERSONNUMMER,
                            "value": row.personal_id})  # fmt: skip
    elif kind == "samordningsnummer":
        identifiers.append({"use": "official", "system": c.SAMORDNINGSNUMMER,
                            "value": row.personal_id})  # fmt: skip
    else:
        identifiers.append({"use": "temp", "system": c.RESERVE_NUMBER,
                            "value": row.personal_id})  # fmt: skip
    if row.lma_number:
        identifiers.append({"use": "secondary", "system": c.LMA_NUMBER,
                            "value": row.lma_number,
                            "period": {"end": c.day(row.lma_valid_to)}})  # fmt: skip
    resource = {
        "resourceType": "Patient",
        "id": str(row.id),
        "identifier": identifiers,
        # Patient.active (R5): whether the record is in active use; not once
        # the patient's care in the region ended (died or moved out).
        "active": not row.care_ended,
        "name": [
            {
                "use": "official",
                "family": row.last_name,
                "given": [row.first_name],
                "text": row.full_name,
            }
        ],  # fmt: skip
        "birthDate": c.day(row.birth_date),
        # Patient.deceased[x] (R5): the day of death, a dateTime of day precision.
        "deceasedDateTime": c.day(row.care_ended_on) if row.deceased else None,
        "managingOrganization": _first_clinic(row),
    }
    if row.protected_identity:
        resource["meta"] = {"security": [c.coding(c.CONFIDENTIALITY, "R",
                                                  "restricted")]}  # fmt: skip
    if viewer.shows_contact(row):
        resource["telecom"] = [
            {"system": system, "value": value}
            for system, value in (("phone", row.phone), ("email", row.email))
            if value
        ]
        home = row.home_address()
        if home is not None:
            resource["address"] = [{
                "use": "home", "type": "postal",
                "line": [line for line in (home.care_of, home.street) if line],
                "postalCode": home.postal_code, "city": home.city, "country": "SE",
            }]  # fmt: skip
    return c.drop_empty(resource)


def pseudonymised_patient(row: Patient, pseudonym: str) -> dict:
    """The export's patient: a stable pseudonym, the birth year and the year of
    death, nothing else. A day of birth or death identifies; the year, as a
    FHIR date(Time) of year precision, keeps ages and patient-years."""
    return c.drop_empty({
        "resourceType": "Patient",
        "id": pseudonym,
        "identifier": [{"system": c.PSEUDONYM, "value": pseudonym}],
        "birthDate": _year(row.birth_date),
        "deceasedDateTime": _year(row.care_ended_on) if row.deceased else None,
    })  # fmt: skip


def _year(day: date | None) -> str | None:
    return str(day.year) if day else None


def _first_clinic(row: Patient) -> dict | None:
    live = [r for r in row.care_relationships if r.ended_on is None]
    if not live:
        return None
    first = min(live, key=lambda r: (r.started_on, r.id))
    return organization_ref(first.clinic)


def organization_ref(clinic: Clinic) -> dict:
    return c.reference("Organization", clinic.id, clinic.name)


def practitioner_ref(user: User | None, viewer: Viewer) -> dict | None:
    """A literal reference with the name; where staff go unnamed (the export,
    which carries no Practitioner to resolve), a logical one by identifier."""
    if user is None:
        return None
    if not viewer.staff_names:
        identifier = {"system": c.PRACTITIONER_ID, "value": str(user.id)}
        return {"type": "Practitioner", "identifier": identifier}
    return c.reference("Practitioner", user.id, user.display_name or None)


def organization(clinic: Clinic) -> dict:
    return c.drop_empty({
        "resourceType": "Organization",
        "id": str(clinic.id),
        "identifier": [{"system": c.CLINIC_CODE, "value": clinic.code}],
        "active": True,
        "name": clinic.name,
        "contact": [{"address": {"use": "work", "line": [clinic.street],
                                 "postalCode": clinic.postal_code,
                                 "city": clinic.city, "country": "SE"}
                     if clinic.street else None,
                     "telecom": [{"system": "phone", "value": clinic.phone,
                                  "use": "work"}] if clinic.phone else None}]
        if clinic.street or clinic.phone else [],
    })  # fmt: skip


def practitioner(user: User) -> dict:
    return c.drop_empty({
        "resourceType": "Practitioner",
        "id": str(user.id),
        "identifier": [{"system": c.PRACTITIONER_ID, "value": str(user.id)}],
        "active": user.active,
        "name": [{"text": user.display_name or user.username}],
    })  # fmt: skip


# Prescriptions, orders, deliveries, devices -------------------------------------


def device_request(rx: Prescription, viewer: Viewer, today) -> dict:
    """A prescription (förskrivning): what the patient may withdraw, how often."""
    status = rx.status_on(today).value
    parameters = [
        _parameter("packs-per-withdrawal", c.packs(rx.packs_per_withdrawal)),
        _parameter("lock-days", c.days(rx.lock_days)),
        _parameter(
            "remaining-withdrawals",
            {
                "value": rx.remaining_withdrawals,
                "unit": "withdrawal",
                "system": c.UCUM,
                "code": "{withdrawal}",
            },
        ),  # fmt: skip
        _parameter(
            "pack-size",
            {
                "value": rx.article.pack_size,
                "unit": "unit",
                "system": c.UCUM,
                "code": "{unit}",
            },
        ),  # fmt: skip
    ]
    reason = None
    text = rx.reason_text if viewer.free_text else None
    if rx.reason_code or text:
        reason = [{"concept": {
            "coding": [c.coding(c.DEVIATION_REASON, rx.reason_code)]
            if rx.reason_code else [],
            "text": text}}]  # fmt: skip
    return c.drop_empty({
        "resourceType": "DeviceRequest",
        "id": str(rx.id),
        "extension": [{"url": c.PRESCRIPTION_STATUS_EXTENSION, "valueCode": status}],
        "replaces": [c.reference("DeviceRequest", rx.renewed_from_id)]
        if rx.renewed_from_id else [],
        "status": PRESCRIPTION_STATUS[status],
        "intent": "order",
        "code": {"concept": c.article_concept(rx.article)},
        "quantity": rx.packs_per_withdrawal,
        "parameter": parameters,
        "subject": viewer.patient_ref(rx.patient_id),
        "occurrenceTiming": {"repeat": {
            "boundsPeriod": {"start": c.day(rx.valid_from), "end": c.day(rx.valid_to)},
            "count": rx.withdrawals, "period": rx.period_days, "periodUnit": "d"}},
        "authoredOn": c.instant(rx.created_at),
        "requester": practitioner_ref(rx.prescriber, viewer),
        "performer": {"reference": organization_ref(rx.clinic)},
        "reason": reason,
    })  # fmt: skip


def _parameter(code: str, quantity: dict) -> dict:
    return {
        "code": {"coding": [c.coding(c.PRESCRIPTION_PARAMETER, code)]},
        "valueQuantity": quantity,
    }


def supply_request(line: OrderLine, viewer: Viewer) -> dict:
    """An order line (uttag): packs of one article against one prescription.

    The delivery mode is the one in force, as GET /api/v1/orders/{id} gives it:
    protected identity (also set after ordering) sends it to the clinic.
    """
    order: Order = line.order
    return c.drop_empty({
        "resourceType": "SupplyRequest",
        "id": str(line.id),
        "extension": [{"url": c.LINE_STATUS_EXTENSION, "valueCode": line.status}],
        "identifier": [{"system": f"{c.LOCAL}/sid/order", "value": str(order.id)}],
        "status": SUPPLY_REQUEST_STATUS[LineStatus(line.status)],
        "basedOn": [c.reference("DeviceRequest", line.prescription_id)]
        if line.prescription_id else [],
        "category": {"coding": [c.coding(c.CHANNEL, line.channel)]},
        "priority": "routine",
        "deliverFor": viewer.patient_ref(order.patient_id),
        "item": {"concept": c.article_concept(line.article)},
        "quantity": c.packs(line.packs),
        "parameter": [{
            "code": {"coding": [c.coding(c.DELIVERY_MODE, "delivery-mode")]},
            "valueCodeableConcept": {"coding": [
                c.coding(c.DELIVERY_MODE, mode_in_force(order))]}}],
        "authoredOn": c.instant(order.placed_at),
        "requester": _placed_by(order, viewer),
    })  # fmt: skip


def _placed_by(order: Order, viewer: Viewer) -> dict | None:
    role = order.placed_by_role
    if role == Role.PRESCRIBER:
        return practitioner_ref(order.placed_by, viewer)
    if role == Role.PATIENT:
        return viewer.patient_ref(order.patient_id)
    if role in PLACED_BY:
        return {"display": PLACED_BY[Role(role)]}
    return None


def supply_delivery(line: OrderLine, viewer: Viewer) -> dict:
    """A shipped or delivered order line."""
    item = {
        "quantity": c.packs(line.packs),
        "itemCodeableConcept": c.article_concept(line.article),
    }
    occurrence = (
        {"occurrenceDateTime": c.day(line.delivered_on)}
        if line.delivered_on
        else {"occurrenceDateTime": c.instant(line.shipped_at)}
    )
    return c.drop_empty({
        "resourceType": "SupplyDelivery",
        "id": str(line.id),
        "basedOn": [c.reference("SupplyRequest", line.id)],
        "status": DELIVERY_STATUS[LineStatus(line.status)],
        "patient": viewer.patient_ref(line.order.patient_id),
        "type": {"coding": [c.coding(c.SUPPLY_ITEM_TYPE, "device", "Device")]},
        "suppliedItem": [item],
        **occurrence,
        # No receiver: R5 takes only staff or an organisation there, and where
        # a parcel goes is delivery detail for the aids centre (docs/fhir.md).
    })  # fmt: skip


def device_dispense(line: OrderLine, device: Device | None, viewer: Viewer) -> dict:
    """A pump or CGM reader handed out (lent) to the patient."""
    concept = c.article_concept(line.article)
    handed = {"whenHandedOver": c.day(line.delivered_on)} if line.delivered_on else {}
    return c.drop_empty({
        "resourceType": "DeviceDispense",
        "id": str(line.id),
        "basedOn": [c.reference("DeviceRequest", line.prescription_id)]
        if line.prescription_id else [],
        "status": DISPENSE_STATUS[LineStatus(line.status)],
        "device": {"concept": concept,
                   **({"reference": c.reference("Device", device.id)}
                      if device else {})},
        "subject": viewer.patient_ref(line.order.patient_id),
        "quantity": c.packs(line.packs),
        "preparedDate": c.instant(line.shipped_at),
        **handed,
    })  # fmt: skip


def device(row: Device) -> dict:
    """A serial-numbered device (individ) the region lends: pump or CGM reader."""
    article = row.article
    return c.drop_empty({
        "resourceType": "Device",
        "id": str(row.id),
        "displayName": article.name,
        "definition": {"concept": c.article_concept(article)},
        "udiCarrier": [{"deviceIdentifier": article.gtin, "issuer": c.GS1_DI}]
        if article.gtin else [],
        "status": "active" if row.status == DeviceStatus.ON_LOAN else "inactive",
        "serialNumber": row.serial_no,
        "name": [{"value": article.name, "type": "registered-name"}],
        "type": [c.article_concept(article)],
        "category": [{"coding": [c.coding(c.ARTICLE_CATEGORY, article.category)]}],
    })  # fmt: skip
