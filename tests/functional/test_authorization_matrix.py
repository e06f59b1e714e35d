# ruff: noqa: E501  (the matrix reads best one entry per line)
"""Every route against every role: who may, who is refused, and how.

The routes come from `app.url_map`, so a new route without an entry in ACCESS
fails `test_every_route_has_an_entry_in_the_matrix`. URL parameters are filled
with objects of "the patient" (Ella, an adult with a login, for staff and for
patients; Olle, a child with a guardian login, for guardians), so a persona
outside the patient's reach must be refused with 404 and a role that may never
use a route with 403. Anonymous visitors are sent to the login page (pages) or
answered 401 (API). A refused request writes nothing: the row count of every
table (patient data and audit log included) is the same before and after it.

Allowed answers are "not refused" (200/302 for pages; for a POST with an empty
form also 400/409/422: validation, not authorization). A leak is an answer
other than a refusal to a persona outside the route's entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest
import sqlalchemy as sa

from sesamlike.accounts.services import issue_token
from sesamlike.channels.models import SupplierExport
from sesamlike.extensions import db
from sesamlike.patients.models import Address, CareRelationship, Guardian
from sesamlike.patients.pseudonym import pseudonym
from sesamlike.stock.models import PurchaseProposal, ReorderPoint
from tests.factories import (
    make_clinic,
    make_delivery,
    make_device,
    make_patient,
    make_prescription,
    make_stock_lot,
    make_user,
)
from tests.portal_data import TODAY, make_region

PERSONAS = (
    "anonymous",
    "prescriber",  # prescriber of the patient's clinic
    "prescriber_other",  # prescriber of another clinic
    "patient",  # the patient (adult with a login)
    "patient_other",  # another patient (other clinic) with a login
    "guardian",  # guardian of the patient's child
    "guardian_other",  # guardian of another child
    "depot",
    "manager",  # manager of the patient's clinic
    "manager_other",  # manager of another clinic
    "region",
    "admin",
)
ROLE_OF = {p: p.split("_")[0] for p in PERSONAS}

ALL = frozenset(PERSONAS)
AUTH = ALL - {"anonymous"}
ADMIN = frozenset({"admin"})
DEPOT = frozenset({"depot"})
DEPOT_ADMIN_READS = frozenset({"depot", "admin"})
PRESCRIBER = frozenset({"prescriber"})
PRESCRIBERS = frozenset({"prescriber", "prescriber_other"})
PORTAL = frozenset({"patient", "patient_other", "guardian", "guardian_other"})
PORTAL_OWN = frozenset({"patient", "guardian"})
FOLLOWUP = frozenset({"manager", "manager_other", "region"})
MANAGERS_BY_ID = frozenset({"manager"})
REGION_BY_KEY = frozenset({"region"})
STAFF = frozenset(
    {
        "prescriber",
        "prescriber_other",
        "depot",
        "manager",
        "manager_other",
        "region",
        "admin",
    }
)
# Need to know (domain.md): the patient record is read by the patient's own care,
# the patient and a guardian who may act for the child; every other role is 403.
# tests/functional/test_need_to_know.py checks the data inside the answers.
RECORD_READERS = frozenset({"prescriber", "patient", "guardian"})
# The aids centre also reads the orders it ships (their ship-to, no number).
ORDER_READERS = RECORD_READERS | {"depot"}

PUBLIC = frozenset(
    {
        "static",
        "health.healthz",
        "health.favicon",
        "accounts.login",
        "accounts.logout",
        "accounts.language",
        "accounts.password_link",
        "accounts.forgot_password",
        "api.openapi_document",
    }
)

# endpoint -> personas allowed (every method of the route unless a (endpoint,
# method) key says otherwise).
ACCESS: dict[str | tuple[str, str], frozenset[str]] = {
    "static": ALL,
    "health.healthz": ALL,
    "health.favicon": ALL,
    "accounts.login": ALL,
    "accounts.logout": ALL,
    "accounts.language": ALL,
    "accounts.password_link": ALL,
    "accounts.forgot_password": ALL,
    "accounts.home": AUTH,
    "admin.users": ADMIN,
    "admin.new_user": ADMIN,
    "admin.user": ADMIN,
    "admin.deactivate_user": ADMIN,
    "admin.reactivate_user": ADMIN,
    "admin.unlock_user": ADMIN,
    "admin.password_link": ADMIN,
    "admin.patients": ADMIN,
    "admin.patient": ADMIN,
    "admin.start_care": ADMIN,
    "admin.end_care": ADMIN,
    "admin.add_guardian": ADMIN,
    "admin.create_login": ADMIN,
    "admin.remove_guardian": ADMIN,
    "admin.protection": ADMIN,
    "admin.clinics": ADMIN,
    "admin.new_clinic": ADMIN,
    "admin.clinic": ADMIN,
    "admin.jobs": ADMIN,
    "admin.run_now": ADMIN,
    "admin.audit": ADMIN,  # GET: the newest rows; POST: a search
    "admin.audit_export": ADMIN,
    "catalog.index": STAFF,
    # Channels: the aids centre only.
    "channels.index": DEPOT,
    "channels.pharmacy": DEPOT,
    "channels.upload_dispensing": DEPOT,
    "channels.issue": DEPOT,
    "channels.proposals": DEPOT,
    "channels.decide": DEPOT,
    "channels.check_stock": DEPOT,
    "channels.reorder_points": DEPOT,
    "channels.delete_reorder_point": DEPOT,
    "channels.suppliers": DEPOT,
    "channels.export": DEPOT,
    "channels.download": DEPOT,
    "channels.upload_status": DEPOT,
    # Follow-up: managers (own clinic) and the region.
    "followup.report": FOLLOWUP,
    "followup.articles": FOLLOWUP,
    "followup.channels": FOLLOWUP,
    "followup.clinics": frozenset({"region"}),  # the region-wide view alone
    "followup.system_years_page": FOLLOWUP,
    "followup.export": FOLLOWUP,
    "followup.patients": FOLLOWUP,
    "followup.export_patients": FOLLOWUP,
    # By id for managers; the region's by pseudonym (privacy review: a row id
    # in the region's URL linked its pages to the admin's, the API and FHIR).
    "followup.patient": MANAGERS_BY_ID,
    "followup.pseudonymised_patient": REGION_BY_KEY,
    "followup.register_csv": FOLLOWUP,
    "followup.system": FOLLOWUP,
    # Patient pages.
    "patients.search": PRESCRIBERS,  # POST: personnummer never in a URL
    "patients.register": PRESCRIBERS,
    "patients.detail": PRESCRIBER,
    "patients.edit_address": PRESCRIBER,
    "patients.edit_contact": PRESCRIBER,
    "patients.add_temporary_address": PRESCRIBER,
    "patients.remove_temporary_address": PRESCRIBER,
    "patients.add_guardian": PRESCRIBER,
    "patients.add_care_relationship": PRESCRIBER,
    "patients.end_care": PRESCRIBER,
    "patients.undo_care_end": PRESCRIBER,
    "patients.resume_care": PRESCRIBER,
    # Prescriber pages for orders and prescriptions.
    "orders.patient_orders": PRESCRIBER,
    "orders.detail": PRESCRIBER,
    "orders.confirmation": PRESCRIBER,
    "orders.new_order": PRESCRIBER,
    "orders.cancel": PRESCRIBER,
    "orders.cancel_line": PRESCRIBER,
    "orders.patient_overview": PRESCRIBER,
    # The clinic's work lists: prescribers, each for their own clinics.
    "orders.worklist": PRESCRIBERS,
    "orders.worklist_export": PRESCRIBERS,
    "orders.mark_collected": PRESCRIBER,
    "prescriptions.prescriptions": PRESCRIBER,
    "prescriptions.new_prescription": PRESCRIBER,
    "prescriptions.new_kit": PRESCRIBER,
    "prescriptions.cancel_prescription": PRESCRIBER,
    "prescriptions.renew_prescription": PRESCRIBER,
    "prescriptions.take_over_prescription": PRESCRIBER,
    "prescriptions.take_over_prescriptions": PRESCRIBER,
    # Portal: patients and guardians, each for their own.
    "portal.my_aids": PORTAL,
    "portal.choose_patient": PORTAL,
    "portal.reorder": PORTAL,
    "portal.orders": PORTAL,
    "portal.order": PORTAL_OWN,
    "portal.cancel": PORTAL_OWN,
    "portal.cancel_line": PORTAL_OWN,
    "portal.prescription": PORTAL_OWN,
    "portal.access_log": PORTAL,
    "portal.reminders": PORTAL,
    # Depot pages (admin may read some).
    "stock.overview": DEPOT_ADMIN_READS,
    "fulfilment.receipt": DEPOT,
    "fulfilment.count": DEPOT,
    "fulfilment.deliveries": DEPOT,
    "fulfilment.device_returns": DEPOT,
    "fulfilment.devices_due_back": DEPOT,  # patients whose care ended: names, addresses
    "fulfilment.device_action": DEPOT,
    "fulfilment.unregistered_return": DEPOT,
    "fulfilment.return_line": DEPOT,
    "fulfilment.scrap_lot": DEPOT,
    "fulfilment.release_block": DEPOT,
    "fulfilment.put_back_done": DEPOT,
    "fulfilment.deliver": DEPOT,
    "fulfilment.pack": DEPOT,
    "fulfilment.pick_order": DEPOT,
    "fulfilment.packing": DEPOT,
    "fulfilment.backorders_page": DEPOT,
    "fulfilment.pick_list": DEPOT,
    "fulfilment.consumable_returns": DEPOT,
    # API.
    "api.openapi_document": ALL,
    "api.followup_patient_costs": FOLLOWUP,
    "api.followup_system_costs": FOLLOWUP,
    "api.followup_cost_centre_costs": FOLLOWUP,
    "api.devices_return_device": DEPOT,
    "api.devices_replace_device": DEPOT,
    "api.orders_place_order": PRESCRIBERS | PORTAL,  # body names the patient
    "api.orders_get_order": ORDER_READERS,
    "api.orders_cancel_order": PRESCRIBER | PORTAL_OWN,
    "api.orders_cancel_order_line": PRESCRIBER | PORTAL_OWN,
    "api.orders_deliver_order": DEPOT,
    "api.orders_ship_order": DEPOT,
    "api.orders_return_line": DEPOT,
    "api.patients_create_patient": PRESCRIBERS,
    "api.patients_get_patient": RECORD_READERS,
    "api.patients_get_access_log": PORTAL_OWN,
    "api.care_start_care_relationship": PRESCRIBERS,  # body names the clinic
    "api.care_end_care_relationship": PRESCRIBER,
    "api.prescriptions_list_prescriptions": RECORD_READERS,
    "api.prescriptions_create_prescription": PRESCRIBERS,
    "api.prescriptions_create_kit": PRESCRIBERS,  # body names the patient
    "api.prescriptions_get_prescription": RECORD_READERS,
    "api.prescriptions_cancel_prescription": PRESCRIBER,
    "api.prescriptions_renew_prescription": PRESCRIBER,
    "api.prescriptions_take_over_prescription": PRESCRIBER,
    "api.stock_stock": STAFF,
    "api.stock_receive": DEPOT,
}


def allowed(endpoint: str, method: str) -> frozenset[str]:
    return ACCESS.get((endpoint, method), ACCESS[endpoint])


def routes(app) -> list[tuple[str, str, sa.Any]]:
    """(endpoint, method, rule) for every route and method of the app."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule))
    return sorted(found, key=lambda r: (r[1] != "GET", r[0], r[1]))


# The shared scenario ------------------------------------------------------------


@dataclass
class Scenario:
    users: dict[str, object]
    targets: dict[str, dict[str, object]]  # persona -> URL parameter values
    tables: list[sa.Table] = field(default_factory=list)


def build_scenario() -> Scenario:
    region = (
        make_region()
    )  # clinic BDM: Ella (login "ella"), child Olle (guardian "anna")
    clinic = region.clinic
    other_clinic = make_clinic("OST", name="Östra mottagningen")
    other_patient = make_patient(other_clinic, first_name="Per", last_name="Persson")
    other_child = make_patient(
        other_clinic,
        first_name="Lisa",
        last_name="Persson",
        birth_date=date(2016, 5, 5),
    )
    make_prescription(other_patient, region.infusion)
    make_prescription(other_child, region.infusion)

    # The prescriber also works at a second clinic caring for the patients, so
    # ending that care relationship (a POST of the matrix) leaves BDM's access.
    second_clinic = make_clinic("BDM2", name="Barndiabetes, filial")
    users = {
        "prescriber": make_user(
            "prescriber",
            clinics=[clinic, second_clinic],
            username="doc",
            first_time_prescriber=True,
        ),
        "prescriber_other": make_user(
            "prescriber", clinics=[other_clinic], username="doc2"
        ),
        "patient": region.patient_user,
        "patient_other": make_user("patient", patients=[other_patient], username="per"),
        "guardian": region.guardian,
        "guardian_other": make_user("guardian", patients=[other_child], username="pia"),
        "depot": make_user("depot", username="lager"),
        "manager": make_user("manager", clinics=[clinic], username="chef"),
        "manager_other": make_user("manager", clinics=[other_clinic], username="chef2"),
        "region": make_user("region", username="region"),
        "admin": make_user("admin", username="admin"),
    }

    lot = make_stock_lot(region.infusion, on_hand=20)
    depot_code = lot.depot_id
    point = ReorderPoint(
        depot_id=depot_code,
        article_id=region.reservoir.id,
        reorder_level=5,
        order_up_to=20,
    )
    proposal = PurchaseProposal(
        depot_id=depot_code,
        article_id=region.reservoir.id,
        supplier="Leverantör AB",
        packs=10,
        position=2,
        reorder_level=5,
        order_up_to=20,
    )
    export = SupplierExport(
        supplier="Leverantör AB", export_date=TODAY, content="header\n"
    )
    db.session.add_all([point, proposal, export])

    def objects_of(patient, prescription) -> dict[str, object]:
        order = make_delivery(patient, prescription, TODAY)
        temporary = Address(
            patient_id=patient.id,
            kind="temporary",
            street="Sommarv 1",
            postal_code="45200",
            city="Strömstad",
            valid_from=TODAY,
            valid_to=TODAY,
        )
        db.session.add(temporary)
        device = make_device(patient, region.pump, f"SN{patient.id}")
        second_care = CareRelationship(
            patient_id=patient.id, clinic_id=second_clinic.id, started_on=TODAY
        )
        db.session.add(second_care)
        guardian = Guardian(patient_id=patient.id, name="Vårdnadshavare utan konto")
        db.session.add(guardian)
        db.session.commit()
        return {
            "patient_id": patient.id,
            "patient_key": pseudonym(patient.id),
            "order_id": order.id,
            "prescription_id": prescription.id,
            "line_id": order.lines[0].id,
            "address_id": temporary.id,
            "device_id": device.id,
            "serial_no": device.serial_no,
            "relationship_id": second_care.id,
            "guardian_id": guardian.id,
        }

    ella = objects_of(region.patient, region.rx_infusion)
    olle = objects_of(region.child, region.rx_child)
    common = {
        "lot_id": lot.id,
        "point_id": point.id,
        "proposal_id": proposal.id,
        "export_id": export.id,
        "status": "dismissed",
        "name": "send_mail",
        "kind": "pump",
        "table": "pump",
        "fmt": "csv",
        "action": "scrap",
        "filename": "app.css",
        "user_id": users["depot"].id,
        "clinic_id": other_clinic.id,
        "token": "no-such-link",
    }
    targets = {
        persona: {**common, **(olle if persona.startswith("guardian") else ella)}
        for persona in PERSONAS
    }
    return Scenario(users, targets, list(db.metadata.sorted_tables))


def row_counts(tables) -> tuple[int, ...]:
    counts = [
        sa.select(sa.func.count()).select_from(t).scalar_subquery() for t in tables
    ]
    return tuple(db.session.execute(sa.select(*counts)).one())


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers.get(
        "Location", ""
    )


def refused(response, api: bool) -> bool:
    if api:
        return response.status_code in (401, 403, 404)
    return response.status_code in (401, 403, 404) or is_login_redirect(response)


PATIENT_BOUND = {"patient_id", "order_id", "prescription_id", "line_id", "device_id",
                 "serial_no", "patient_key"}  # fmt: skip


def expected_refusal(
    endpoint: str, method: str, rule, persona: str, api: bool
) -> set[int]:
    """401/login for anonymous, 403 for a role that may never, 404 out of reach.

    On a URL that names a patient's object a role that may never may also get
    404: the access rules find no such patient for it, and existence stays hidden.
    """
    if persona == "anonymous":
        return {401} if api else {302}
    roles_allowed = {ROLE_OF[p] for p in allowed(endpoint, method)}
    if ROLE_OF[persona] in roles_allowed:
        return {404}  # the role may, but not for this patient
    if PATIENT_BOUND & set(rule.arguments):
        return {403, 404}
    return {403}


def sign_in(client, persona: str, scenario: Scenario) -> dict[str, str]:
    """Log the persona in (pages) and return its API headers."""
    if persona == "anonymous":
        return {}
    user = scenario.users[persona]
    response = client.post(
        "/login", data={"username": user.username, "password": "correct-horse-1"}
    )
    assert response.status_code == 302, f"{persona} could not log in"
    if ROLE_OF[persona] == "guardian":
        chosen = scenario.targets[persona]["patient_id"]
        if persona == "guardian_other":  # acts for their own child
            from sesamlike.patients.models import Guardian

            chosen = db.session.scalar(
                sa.select(Guardian.patient_id).where(Guardian.user_id == user.id)
            )
        assert (
            client.post("/portal/choose", data={"patient_id": chosen}).status_code
            == 302
        )
    return {"Authorization": f"Bearer {issue_token(user.username)}"}


SUMMARY: dict[str, object] = {}

# Routes whose who-may-what has its own, finer matrix: FHIR answers by resource
# type and patient (tests/functional/test_fhir_read.py and test_fhir_export.py).
TESTED_ELSEWHERE = frozenset(
    {
        "fhir.metadata",
        "fhir.read",
        "fhir.search",
        "fhir.export_kick_off",
        "fhir.export_status",
        "fhir.export_file",
        "fhir.export_delete",
    }
)


def test_every_route_has_an_entry_in_the_matrix(app):
    """A new route must say who may use it before it ships."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    listed = {k if isinstance(k, str) else k[0] for k in ACCESS} | TESTED_ELSEWHERE
    missing = sorted(endpoints - listed)
    assert not missing, (
        f"routes without an entry in the authorization matrix: {missing}"
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_route_matrix_for(app, client, persona, request):
    """Every route answers this persona as the matrix says; refusals write nothing."""
    scenario = build_scenario()
    headers = sign_in(client, persona, scenario)
    values = scenario.targets[persona]
    leaks, over_refused, wrong_refusal, wrote = [], [], [], []
    checked = 0
    for endpoint, method, rule in routes(app):
        if endpoint not in ACCESS:
            continue  # reported by test_every_route_has_an_entry_in_the_matrix
        if endpoint in {"accounts.logout"}:
            continue  # would end this persona's session; public anyway
        url = rule.build({a: values[a] for a in rule.arguments}, append_unknown=False)[
            1
        ]
        api = url.startswith("/api/")
        before = row_counts(scenario.tables)
        kwargs = {"headers": headers} if api else {}
        if method != "GET":
            kwargs["json" if api else "data"] = {}
        response = client.open(url, method=method, **kwargs)
        status = response.status_code
        checked += 1
        line = f"{method} {url} ({endpoint}) as {persona}: {status}"
        assert status < 500, line
        if endpoint in PUBLIC:
            continue
        if persona in allowed(endpoint, method):
            if refused(response, api):
                over_refused.append(line)
            continue
        if not refused(response, api):
            leaks.append(line)
            continue
        if status not in expected_refusal(endpoint, method, rule, persona, api):
            wrong_refusal.append(
                f"{line}, expected {sorted(expected_refusal(endpoint, method, rule, persona, api))}"
            )
        if row_counts(scenario.tables) != before:
            wrote.append(line)
    SUMMARY.setdefault("personas", set()).add(persona)
    SUMMARY["requests"] = SUMMARY.get("requests", 0) + checked
    request.config._authz_summary = SUMMARY
    problems = (
        [f"LEAK: {x}" for x in leaks]
        + [f"REFUSAL WROTE ROWS: {x}" for x in wrote]
        + [f"ALLOWED BUT REFUSED: {x}" for x in over_refused]
        + [f"WRONG REFUSAL STATUS: {x}" for x in wrong_refusal]
    )
    assert not problems, "\n" + "\n".join(problems)


def test_matrix_size(app, capsys):
    """Route and role counts for the record (pytest -s shows them)."""
    rules = [r for r in app.url_map.iter_rules()]
    pairs = sum(len(r.methods - {"HEAD", "OPTIONS"}) for r in rules)
    with capsys.disabled():
        print(
            f"\nauthorization matrix: {len(rules)} routes, {pairs} route-methods, "
            f"{len(PERSONAS)} personas ({len(set(ROLE_OF.values()))} roles incl. anonymous), "
            f"{pairs * len(PERSONAS)} requests"
        )
    assert len(PERSONAS) == 12
