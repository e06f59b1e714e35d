"""The authorization matrix extended from routes to data (domain.md, need to know).

For each persona, every page and API answer it can fetch (every GET route of
`app.url_map`, filled with each patient's ids, plus the POST searches), every
export, every mail and the supplier file is searched for the identity numbers,
last names, streets, door codes and phones that persona may not see:

| persona      | identity number, name          | address, door code, phone       |
|--------------|--------------------------------|---------------------------------|
| prescriber   | own clinic's patients          | same, never protected identity  |
| patient      | self                           | self                            |
| guardian     | own child, not a protected one | same                            |
| depot        | names on orders it ships, never a number; protected: nothing |  |
| manager      | own clinic's patients          | none                            |
| region/admin | none (the region: pseudonyms)  | none                            |

The region's fixtures hold a child with protected identity and a guardian, an
adult whose identity became protected after she ordered, and orders in every
channel. A route added later is swept automatically.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from sesamlike.accounts.services import issue_token
from sesamlike.channels.pharmacy import issue_pharmacy_prescriptions
from sesamlike.channels.supplier import export_supplier_orders
from sesamlike.common.models import OutgoingMail
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.fulfilment import shipping
from sesamlike.patients.pseudonym import pseudonym
from tests.conftest import PASSWORD
from tests.factories import (
    make_article,
    make_delivered_line,
    make_lent_device,
    make_pump,
)
from tests.privacy_data import (
    LAST_YEAR,
    PrivacyRegion,
    make_privacy_region,
    protect_after_ordering,
)

PERSONAS = (
    "prescriber", "prescriber_other", "patient", "patient_other", "guardian",
    "depot", "manager", "manager_other", "region", "admin",
)  # fmt: skip
OWN_CLINIC = {"prescriber": "BDM", "prescriber_other": "OST", "manager": "BDM",
              "manager_other": "OST"}  # fmt: skip
SELF = {"patient": "ella", "patient_other": "per", "guardian": "olle"}
EVERYTHING = frozenset({"number", "name", "contact"})
PATIENT_ARGS = {"patient_id", "order_id", "prescription_id", "patient_key"}
QUERY = {
    "followup.report": {"year": LAST_YEAR},
    "followup.patients": {"year": LAST_YEAR},
    "followup.export_patients": {"year": LAST_YEAR},
    "followup.patient": {"year": LAST_YEAR},
    "followup.pseudonymised_patient": {"year": LAST_YEAR},
    "followup.register_csv": {"year": LAST_YEAR},
    "followup.export": {"year": LAST_YEAR},
    "followup.articles": {"year": LAST_YEAR},
    "followup.channels": {"year": LAST_YEAR},
    "followup.system": {"year": LAST_YEAR, "name": "MiniMed 780G"},
    "api.followup_patient_costs": {"year": LAST_YEAR},
    "api.followup_system_costs": {"year": LAST_YEAR},
}
SKIPPED = {"static", "accounts.login", "api.openapi_document", "health.healthz",
           "fhir.metadata", "health.favicon"}  # fmt: skip
# FHIR resources by patient: a read of the Patient and a search of each type.
FHIR_SEARCHES = (("Patient", "_id"), ("DeviceRequest", "patient"),
                 ("SupplyRequest", "patient"), ("SupplyDelivery", "patient"),
                 ("DeviceDispense", "patient"))  # fmt: skip
# The region's bulk export is asynchronous: its pseudonymised files are
# tests/functional/test_fhir_export.py's (kick-off is swept as a plain GET).
NEEDS_A_RUN = {"fhir.export_status", "fhir.export_file"}


def forbidden_kinds(persona: str, person) -> frozenset[str]:
    """What of this patient the persona may not see (domain.md's table)."""
    role = persona.split("_")[0]
    if role == "prescriber":
        if person.clinic != OWN_CLINIC[persona]:
            return EVERYTHING
        return frozenset({"contact"}) if person.protected else frozenset()
    if role in ("patient", "guardian"):
        return frozenset() if person.key == SELF[persona] else EVERYTHING
    if role == "depot":  # the ship-to of what it ships; protected: the clinic
        return EVERYTHING if person.protected else frozenset({"number"})
    if role == "manager":
        if person.clinic != OWN_CLINIC[persona]:
            return EVERYTHING
        return frozenset({"contact"})
    return EVERYTHING  # region and admin


def text_of(response) -> str:
    """The answer as text; a workbook's cells joined."""
    if response.mimetype.endswith("spreadsheetml.sheet"):
        book = load_workbook(io.BytesIO(response.data), read_only=True)
        return "\n".join(
            " ".join(str(cell) for cell in row if cell is not None)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    data = response.get_data()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise AssertionError(f"{response.request.path}: not UTF-8 text") from None


def leaks_in(text: str, persona: str, region: PrivacyRegion, where: str) -> list[str]:
    found = []
    for person in region.people.values():
        for kind in sorted(forbidden_kinds(persona, person)):
            for needle in person.strings(kind):
                if needle in text:
                    found.append(f"{where}: {person.key}'s {kind} {needle!r}")
    return found


def build() -> PrivacyRegion:
    region = make_privacy_region()
    depot = region.users["depot"]
    ella, olle = region.person("ella"), region.person("olle")
    shipping.ship_order(depot, ella.orders[0], tracking_ref="PN1SE")  # mail sent
    shipping.ship_order(depot, olle.orders[0], tracking_ref="PN2SE")
    protect_after_ordering(region, "stina")  # her orders are open
    # The depot's registers hold everyone: a delivery still inside the return
    # window, a pump on loan, and the pharmacy's e-prescriptions issued.
    pump = make_pump("PMP-NTK", name="Pump NTK")
    reservoir = make_article("RES-NTK", name="Reservoar NTK")
    recent = region_today() - timedelta(days=2)
    for person in region.people.values():
        make_delivered_line(person.patient, reservoir, recent, packs=3)
        make_lent_device(person.patient, pump, f"SN-NTK-{person.key.upper()}")
    assert issue_pharmacy_prescriptions(depot) == len(region.people)
    # The region's calendar day: late in the evening UTC it is already tomorrow.
    exports = export_supplier_orders(region_today(), depot)
    region.supplier_export_id = exports[0].id if exports else None
    return region


def sign_in(client, persona: str, region: PrivacyRegion) -> dict[str, str]:
    user = region.users[persona]
    response = client.post(
        "/login", data={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302, f"{persona} could not log in"
    if persona == "guardian":
        chosen = region.person("olle").id
        assert client.post("/portal/choose", data={"patient_id": chosen}).status_code
    return {"Authorization": f"Bearer {issue_token(user.username)}"}


def requests_for(app, region: PrivacyRegion):
    """(method, url, query, form) for every GET route and the POST searches."""
    fixed = {"fmt": "csv", "table": "prescribers", "kind": "pump",
             "export_id": region.supplier_export_id or 0,
             "user_id": region.users["guardian"].id,
             "clinic_id": region.clinic.id,
             "token": "no-such-link"}  # fmt: skip
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in SKIPPED | NEEDS_A_RUN:
            continue
        if rule.endpoint in ("fhir.read", "fhir.search"):
            yield from _fhir_requests(rule.endpoint, region)
            continue
        query = QUERY.get(rule.endpoint, {})
        arguments = set(rule.arguments)
        if not arguments & PATIENT_ARGS:
            formats = ("csv", "xlsx") if "fmt" in arguments else ("csv",)
            for fmt in formats:
                values = {**fixed, "fmt": fmt}
                url = rule.build({a: values[a] for a in arguments}, False)[1]
                yield "GET", url, query, None
            continue
        for person in region.people.values():
            choices = {
                "patient_id": [person.id],
                "patient_key": [pseudonym(person.id)],  # the region's page
                "order_id": person.orders,
                "prescription_id": person.prescriptions,
            }
            name = (arguments & PATIENT_ARGS).pop()
            for value in choices[name]:
                url = rule.build({name: value}, False)[1]
                yield "GET", url, query, None
    for person in region.people.values():
        for text in (person.personal_id, person.last_name):
            yield "POST", "/patients", {}, {"q": text}
            # The depot's searches (POST, never in a URL) by name or number.
            yield "POST", "/stock/returns", {}, {"q": text}
            yield "POST", "/stock/devices", {}, {"q": text, "search": "1"}
        yield "POST", "/admin/audit", {}, {"patient": person.personal_id}
        yield "POST", "/admin/patients", {}, {"personal_id": person.personal_id}
    yield "POST", "/admin/audit.csv", {}, {}


def _fhir_requests(endpoint: str, region: PrivacyRegion):
    for person in region.people.values():
        if endpoint == "fhir.read":
            yield "GET", f"/fhir/r5/Patient/{person.id}", {}, None
            continue
        for resource_type, name in FHIR_SEARCHES:
            value = str(person.id) if name == "_id" else f"Patient/{person.id}"
            yield "GET", f"/fhir/r5/{resource_type}", {name: value}, None


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_answer_carries_what_the_role_may_not_see(app, client, persona):
    """Pages, API answers and exports: nothing outside the persona's need to know."""
    region = build()
    headers = sign_in(client, persona, region)
    leaks, seen, fetched = [], [], 0
    for method, url, query, form in requests_for(app, region):
        api = url.startswith(("/api/", "/fhir/"))
        response = client.open(
            url, method=method, query_string=query, data=form,
            headers=headers if api else None,
        )  # fmt: skip
        assert response.status_code < 500, f"{method} {url}: {response.status_code}"
        fetched += 1
        text = text_of(response)
        for typed in (form or {}).values():  # the search box shows what was typed
            text = text.replace(f'value="{typed}"', 'value=""')
            text = text.replace(f"”{typed}”", "”…”")  # "3 rader matchar ”…”"
        leaks += leaks_in(text, persona, region, f"{method} {url} {form or ''}")
        seen.append(text)
    assert fetched > 60
    assert not leaks, "\n".join(leaks)
    everything = "\n".join(seen)
    # Not vacuous: each persona does see what its work needs.
    for needle in expected_to_see(persona, region):
        assert needle in everything, f"{persona} should see {needle!r} somewhere"


def expected_to_see(persona: str, region: PrivacyRegion) -> list[str]:
    ella, sara, per = (region.person(k) for k in ("ella", "sara", "per"))
    return {
        "prescriber": [ella.street, sara.last_name, ella.strings("number")[1]],
        "prescriber_other": [per.street, per.strings("number")[1]],
        "patient": [ella.street, ella.phone],
        "patient_other": [per.street],
        "guardian": [region.person("olle").last_name],
        # Not vacuous: the registers listed the return and the loan.
        "depot": [
            ella.street,
            ella.door_code,
            "Rondvägen 10",
            "Reservoar NTK",
            "SN-NTK-PER",
            per.last_name,
        ],
        "manager": [ella.last_name, sara.last_name, ella.strings("number")[1]],
        "manager_other": [per.last_name],
        "region": ["P-"],
        "admin": ["Granskningslogg"],
    }[persona]


def test_mails_name_nobody_and_never_reach_a_protected_childs_guardian(app):
    """Outbox: no identity number, last name, address or phone; no protected child."""
    region = build()
    mails = db.session.scalars(sa.select(OutgoingMail)).all()
    assert mails, "the orders queued notices"
    leaks = []
    for mail in mails:
        text = f"{mail.subject}\n{mail.body}"
        leaks += leaks_in(text, "admin", region, f"mail {mail.id} to {mail.to_address}")
    assert not leaks, "\n".join(leaks)
    sara = region.person("sara")
    assert not [m for m in mails if m.patient_id == sara.id]
    olle = region.person("olle")
    assert {m.to_address for m in mails if m.patient_id == olle.id} == {
        "anna@example.se"
    }


def test_supplier_file_carries_the_ship_to_the_depot_may_see_only(app):
    """The supplier's file: ship-to of unprotected patients, the clinic otherwise."""
    region = build()
    from sesamlike.channels.models import SupplierExport

    files = db.session.scalars(sa.select(SupplierExport)).all()
    assert files
    content = "\n".join(f.content for f in files)
    assert not leaks_in(content, "depot", region, "supplier file")
    assert "Körsbärsgränd 7" in content  # Ella's parcel goes home
    assert content.count("Rondvägen 10") >= 2  # Sara's and Stina's to the clinic


def test_identity_numbers_appear_formatted_or_plain_only_where_allowed(app):
    """The checker itself finds each spelling of a number (no false comfort)."""
    region = build()
    ella = region.person("ella")
    for spelling in ella.strings("number"):
        assert leaks_in(f"x {spelling} x", "region", region, "probe")
    assert re.fullmatch(r"\d{8}-\d{4}", ella.strings("number")[1])
