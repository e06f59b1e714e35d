"""English for the FHIR R5 interface's OperationOutcome messages."""

EN: dict[str, str] = {
    "Din roll får inte läsa detta.": "Your role may not read this.",
    "Bara application/fhir+json stöds.": "Only application/fhir+json is supported.",
    "Exporten har gått ut och är borttagen.": "The export has expired and is removed.",
    "Tjänsten är inte tillgänglig just nu.": "The service is not available right now.",
    "Resurstypen {type} stöds inte här.": "Resource type {type} is not supported here.",
    "Ange {name}=Patient/id (ett heltal).": "Give {name}=Patient/id (an integer).",
    "Sökparametern {name} stöds inte.": "Search parameter {name} is not supported.",
    "Ange {name} bara en gång.": "Give {name} only once.",
    "{name} ska vara ett heltal 0–{maximum}.": "{name} must be an integer 0–{maximum}.",
    "Skicka Prefer: respond-async.": "Send Prefer: respond-async.",
    "Parametern {name} stöds inte.": "Parameter {name} is not supported.",
    "Typen {type} kan inte exporteras.": "Type {type} cannot be exported.",
    "Bara NDJSON (application/fhir+ndjson) stöds.": (
        "Only NDJSON (application/fhir+ndjson) is supported."
    ),
    "_since ska vara en tidpunkt med tidszon (FHIR instant).": (
        "_since must be a moment with a time zone (FHIR instant)."
    ),
    "Exporten misslyckades.": "The export failed.",
    "Bara regionens uppföljning får exportera.": "Only the region's follow-up may export.",
    "Exporten är inte konfigurerad (nyckel för pseudonymer saknas).": (
        "The export is not configured (the pseudonym key is missing)."
    ),
    "Exporten är beställd; fråga Content-Location.": (
        "The export is requested; poll Content-Location."
    ),
}
