"""The CapabilityStatement: exactly the interactions and parameters we serve."""

from __future__ import annotations

from sesamlike.api.fhir.codes import FHIR_JSON
from sesamlike.api.fhir.queries import KINDS

SEARCH_DOCS = {
    "patient": "Patient/{id} or {id}: the resources of that patient; a patient "
    "you may not see gives an empty searchset",
    "_id": "{id}: that patient, when you may see them",
}
SEARCH_TYPES = {"patient": "reference", "_id": "token"}
BULK_DATA = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"


def capability_statement(base_url: str, software_version: str) -> dict:
    resources = []
    for kind in KINDS.values():
        entry: dict = {
            "type": kind.name,
            "interaction": [{"code": code} for code in kind.interactions],
            "versioning": "no-version",
            "readHistory": False,
            "updateCreate": False,
            "conditionalCreate": False,
            "conditionalRead": "not-supported",
            "conditionalUpdate": False,
            "conditionalDelete": "not-supported",
        }
        if kind.search_params:
            entry["searchParam"] = [
                {"name": name, "type": SEARCH_TYPES[name],
                 "documentation": SEARCH_DOCS[name]}
                for name in kind.search_params
            ] + [{"name": "_count", "type": "number",
                  "documentation": "Page size, 0-500 (default 50); follow the "
                  "Bundle's next link for the following page"}]  # fmt: skip
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-01",
        "kind": "instance",
        "name": "SesamlikeFhirR5",
        "title": "Sesamlike FHIR R5",
        "description": "Read-only FHIR R5 view of prescriptions, orders, deliveries "
        "and lent devices of diabetes aids, with the same bearer tokens and "
        "need-to-know rules as /api/v1; a pseudonymised bulk export for the "
        "region role.",
        "software": {"name": "Sesamlike", "version": software_version},
        "implementation": {"description": "Sesamlike FHIR R5", "url": base_url},
        "fhirVersion": "5.0.0",
        "format": [FHIR_JSON, "json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "cors": False,
                    "description": "Authorization: Bearer TOKEN, the same tokens as "
                    "/api/v1 (flask users token USERNAME). Only metadata is public.",
                },
                "resource": resources,
                "operation": [
                    {
                        "name": "export",
                        "definition": BULK_DATA,
                        "documentation": "System-level $export (region role): "
                        "Prefer: respond-async, _type and _since; NDJSON per "
                        "resource type, patients pseudonymised.",
                    }
                ],
            }
        ],
    }
