"""Code systems, identifier systems and the small building blocks of every resource.

Every URI a FHIR reader meets in our answers is named here once; docs/fhir.md
lists them with what each means.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sesamlike.common.time import stored_utc

# Swedish national identifier systems (Inera's OIDs for the Swedish person ids).
PERSONNUMMER = "urn:oid:1.2.752.129.2.1.3.1"
SAMORDNINGSNUMMER = "urn:oid:1.2.752.129.2.1.3.3"
# GS1 GTIN (the OID of the GS1 system), and ISO 9999 assistive product classes.
GTIN = "urn:oid:1.3.160"
ISO_9999 = "urn:iso:std:iso:9999"
UCUM = "http://unitsofmeasure.org"
GS1_DI = "http://hl7.org/fhir/NamingSystem/gs1-di"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
# R5 binds SupplyDelivery.type (required) to this system: medication, device,
# biologicallyderivedproduct. terminology.hl7.org's supply-item-type is R4's.
SUPPLY_ITEM_TYPE = "http://hl7.org/fhir/supplydelivery-supplyitemtype"

# Our own systems: the region's numbers and codes, stable across installations.
LOCAL = "https://sesamlike.example/fhir"
RESERVE_NUMBER = f"{LOCAL}/sid/reserve-number"
LMA_NUMBER = f"{LOCAL}/sid/lma-number"
ARTICLE_NO = f"{LOCAL}/sid/article-no"
CLINIC_CODE = f"{LOCAL}/sid/clinic-code"
# A prescriber's or manager's user id: Practitioner.id at /fhir/r5, and how the
# export (which carries no Practitioner) names them.
PRACTITIONER_ID = f"{LOCAL}/sid/practitioner"
PSEUDONYM = f"{LOCAL}/sid/patient-pseudonym"
ARTICLE_CATEGORY = f"{LOCAL}/CodeSystem/article-category"
CHANNEL = f"{LOCAL}/CodeSystem/channel"
DELIVERY_MODE = f"{LOCAL}/CodeSystem/delivery-mode"
DEVIATION_REASON = f"{LOCAL}/CodeSystem/deviation-reason"
PRESCRIPTION_PARAMETER = f"{LOCAL}/CodeSystem/prescription-parameter"
LINE_STATUS_EXTENSION = f"{LOCAL}/StructureDefinition/order-line-status"
PRESCRIPTION_STATUS_EXTENSION = f"{LOCAL}/StructureDefinition/prescription-status"

FHIR_JSON = "application/fhir+json"


def instant(moment: datetime | None) -> str | None:
    """A FHIR instant: always with a time zone (SQLite hands back naive UTC)."""
    if moment is None:
        return None
    return (
        stored_utc(moment)
        .astimezone(UTC)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z")
    )


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def reference(resource_type: str, resource_id: object, display: str | None = None):
    ref = {"reference": f"{resource_type}/{resource_id}", "type": resource_type}
    if display:
        ref["display"] = display
    return ref


def packs(count: int) -> dict:
    """A number of packs as a UCUM quantity (an annotation: packs are counted)."""
    return {"value": count, "unit": "pack", "system": UCUM, "code": "{pack}"}


def days(count: int) -> dict:
    return {"value": count, "unit": "d", "system": UCUM, "code": "d"}


def coding(system: str, code: str, display: str | None = None) -> dict:
    result = {"system": system, "code": code}
    if display:
        result["display"] = display
    return result


def article_concept(article) -> dict:
    """An article as a code: our article number, its GTIN and ISO 9999 class."""
    codings = [coding(ARTICLE_NO, article.article_no, article.name)]
    if article.gtin:
        codings.append(coding(GTIN, article.gtin))
    if article.iso9999:
        codings.append(coding(ISO_9999, " ".join(article.iso9999.split())))
    return {"coding": codings, "text": article.name}


def drop_empty(value):
    """FHIR forbids empty strings, arrays and objects: leave such elements out."""
    if isinstance(value, dict):
        cleaned = {k: drop_empty(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        cleaned = [drop_empty(v) for v in value]
        return [v for v in cleaned if v not in (None, "", [], {})]
    return value
