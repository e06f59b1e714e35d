"""The audit log as the admin exports it and as every action reads.

Issue 15 (finding 10): the audit CSV wrote the raw detail, so a name search
showed as `sökning: Ekblomsson` while the page said "ett namn".
Issue 18 (G2, G3, G7): the CSV was English with commas, UTC times and Python
dicts; some actions read as raw codes ("Gjorde ”read_returns” på patient");
the patient's own log showed changes as "Läste uppgifter"; the `users`
commands left no audit row.
"""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from sesamlike.accounts import audit
from sesamlike.accounts.models import AuditEvent, LoginFailure, User
from sesamlike.admin import audit_words
from sesamlike.extensions import db
from sesamlike.portal import audit_views as portal_log
from tests.factories import ADULT_PNR, make_clinic, make_patient, make_user

SOURCE = Path(__file__).resolve().parents[2] / "sesamlike"


@pytest.fixture
def world():
    clinic = make_clinic("BDM", name="Barndiabetesmottagningen")
    patient = make_patient(clinic, personal_id=ADULT_PNR, last_name="Ekblomsson")
    doc = make_user("prescriber", clinics=[clinic], username="doktor.dahl")
    make_user("patient", patients=[patient], username="ella")
    make_user("admin", username="admin")
    return {"patient": patient, "doc": doc}


# Issue 15, finding 10 ---------------------------------------------------------


def test_a_name_search_in_the_audit_csv_shows_no_name(client, auth, world):
    auth.login("doktor.dahl")
    client.post("/patients", data={"q": "Ekblomsson"})
    auth.logout()
    auth.login("admin")
    page = client.post("/admin/audit", data={"action": "search"}).text
    export = client.post("/admin/audit.csv", data={"action": "search"})
    text = export.get_data().decode("utf-8-sig")
    assert "Sökte på ett namn" in page and "Ekblomsson" not in page
    assert "Sökte på ett namn" in text
    assert "Ekblomsson" not in text and "ekblomsson" not in text.lower()


# Issue 18, G3 -------------------------------------------------------------------


def test_audit_csv_opens_in_swedish_spreadsheets_with_local_times(client, auth, world):
    patient = world["patient"]
    event = audit.record(
        "guardian_remove", "guardian", patient_id=patient.id, object_id=7,
        user=world["doc"], detail="anna",
    )  # fmt: skip
    event.at = datetime(2026, 6, 1, 18, 41, 5, tzinfo=UTC)  # 20:41 in Sweden
    db.session.commit()
    auth.login("admin")
    client.post("/admin/audit")  # a page view: its own row, read in words
    body = client.post("/admin/audit.csv").get_data()
    assert body.startswith(b"\xef\xbb\xbfTid (svensk tid);Anv\xc3\xa4ndare;Roll;")
    text = body.decode("utf-8-sig")
    lines = text.split("\r\n")
    guardian = next(line for line in lines if "guardian_remove" in line)
    assert guardian.startswith("2026-06-01 20:41:05;doktor.dahl;Förskrivare;BDM;")
    assert (
        f";Tog bort vårdnadshavaren anna från patienten (id {patient.id});" in guardian
    )
    assert "Sökte i granskningsloggen" in text
    # The UTC time of that event is nowhere; the page view's own row carries
    # the clock of this run, so look for the whole UTC stamp, not "18:41".
    assert "{" not in text and "page 1" not in text
    assert "2026-06-01 18:41" not in text

    machine = client.post("/admin/audit.csv?format=csv-comma").get_data()
    assert machine.startswith(b"Tid (svensk tid),Anv")
    assert b"2026-06-01T20:41:05+02:00,doktor.dahl," in machine


# Issue 18, G2 -------------------------------------------------------------------

# Calls that write an audit row: the action is argument 0, the object type 1.
WRITERS = {"record", "record_many"}
# Rows that name no patient: the patient's own log never shows them.
# A lot, a clinic: no patient.
PATIENTLESS = {"fhir_export", "user", "audit_log", "stock_lot", "clinic"}


def _strings(node) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def _call_name(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def written_actions() -> set[tuple[str, str]]:
    """Every (action, object type) an audit row is written with in sesamlike/.

    Direct calls of `audit.record` / `audited.record_many`, and calls of the
    functions that pass an `action` parameter on to them (at any depth, e.g.
    `access.get_patient(..., action="read_my_aids")`), with parameter defaults.
    A bare name is that module's function; `module.name` any module's.
    """
    modules = {path: ast.parse(path.read_text()) for path in SOURCE.rglob("*.py")}
    functions = [
        (path, node)
        for path, tree in modules.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
    ]
    # (module, function) -> (position of its action parameter, object types)
    forwards: dict[tuple[Path, str], tuple[int, set[str]]] = {}
    pairs: set[tuple[str, str]] = set()

    def sink(path: Path, call: ast.Call):
        """The action argument of a call that writes rows, and their types."""
        name = _call_name(call)
        if name in WRITERS and len(call.args) >= 2:
            return call.args[0], set(_strings(call.args[1]))
        if isinstance(call.func, ast.Name):
            targets = [forwards[(path, name)]] if (path, name) in forwards else []
        else:
            targets = [v for (_, n), v in forwards.items() if n == name]
        if not targets:
            return None
        position = targets[0][0]
        types = set().union(*(t for _, t in targets))
        for keyword in call.keywords:
            if keyword.arg == "action":
                return keyword.value, types
        return (call.args[position] if len(call.args) > position else None), types

    for _ in range(6):  # wrappers of wrappers
        for path, function in functions:
            positional = [a.arg for a in function.args.args]
            if "action" not in positional + [a.arg for a in function.args.kwonlyargs]:
                continue
            for node in ast.walk(function):
                found = isinstance(node, ast.Call) and sink(path, node)
                if found and isinstance(found[0], ast.Name) and found[0].id == "action":
                    key = (path, function.name)
                    previous = forwards.get(key, (0, set()))[1]
                    position = (
                        positional.index("action") if "action" in positional else 99
                    )
                    forwards[key] = (position, previous | found[1])
    for path, function in functions:
        if (path, function.name) in forwards:
            defaults = function.args.defaults + [
                d for d in function.args.kw_defaults if d is not None
            ]
            types = forwards[(path, function.name)][1]
            for default in defaults:
                pairs |= {(a, t) for a in _strings(default) for t in types}
    for path, tree in modules.items():
        for node in ast.walk(tree):
            found = isinstance(node, ast.Call) and sink(path, node)
            if found and found[0] is not None:
                pairs |= {(a, t) for a in _strings(found[0]) for t in found[1]}
    return pairs


def test_the_scan_finds_the_actions_written_through_wrappers():
    pairs = written_actions()
    for pair in [
        ("read_returns", "patient"),  # registers._page -> access.handled_by_depot
        ("read_my_aids", "patient"),  # access.get_patient(action=...)
        ("worklist", "patient"),  # a parameter default
        ("renew", "prescription"),  # services.audit_prescription
        ("export", "register"),  # audited.record_many
        ("protected_identity_lift", "patient"),  # a conditional expression
        ("user_create", "user"),
    ]:
        assert pair in pairs


def test_every_action_written_in_the_code_reads_as_a_sentence(app):
    pairs = written_actions()
    unworded = sorted(p for p in pairs if not audit_words.is_worded(*p))
    assert not unworded
    with app.test_request_context():
        for action, object_type in sorted(pairs):
            event = AuditEvent(action=action, object_type=object_type, patient_id=1)
            assert not audit_words.sentence(event, {}).startswith("Gjorde ”")


def test_the_admins_action_filter_lists_every_action(app):
    actions = {action for action, _ in written_actions()}
    assert sorted(actions - set(audit_words.ACTION_NAMES)) == []


def test_every_action_on_a_patient_reads_as_itself_in_the_patients_own_log():
    actions = {a for a, t in written_actions() if t not in PATIENTLESS}
    assert sorted(actions - set(portal_log.WHAT)) == []


def test_a_removed_guardian_shows_as_a_change_in_the_patients_log(client, auth, world):
    patient = world["patient"]
    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    audit.record(
        "guardian_remove", "guardian", patient_id=patient.id, object_id=3,
        user=admin, detail="anna",
    )  # fmt: skip
    audit.record(
        "protected_identity_set", "patient", patient_id=patient.id,
        user=admin, detail="Beslut",
    )  # fmt: skip
    db.session.commit()
    auth.login("ella")
    html = client.get("/portal/access-log").text
    assert "Tog bort en vårdnadshavare" in html
    assert "Satte skyddade personuppgifter" in html
    assert "Läste uppgifter" not in html


def test_the_depots_registers_read_in_words_on_the_audit_page(client, auth, world):
    patient = world["patient"]
    for action in ("read_returns", "read_devices_on_loan", "return_packs"):
        audit.record(action, "patient", patient_id=patient.id)
    audit.record("pick_override", "order", patient_id=patient.id,
                 detail="Skannern trasig")  # fmt: skip
    db.session.commit()
    auth.login("admin")
    html = client.post("/admin/audit", data={"patient": str(patient.id)}).text
    assert "Gjorde ”" not in html
    assert f"Såg patienten (id {patient.id}) i returregistret" in html
    assert "utan plockning. Skäl: Skannern trasig" in html


# Issue 18, G7 -------------------------------------------------------------------


def _rows(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == action, AuditEvent.object_type == "user"
            )
        )
    )


def test_each_users_command_leaves_an_audit_row(runner, client, auth):
    make_clinic("BDM")
    make_user("admin", username="admin")
    commands = [
        (["users", "create", "--username", "ny.doktor", "--password",
          "Korrekt-Häst-Batteri-9", "--role", "prescriber", "--clinic", "BDM"],
         "user_create"),
        (["users", "token", "ny.doktor"], "user_token"),
        (["users", "revoke-tokens", "ny.doktor"], "user_revoke_tokens"),
        (["users", "deactivate", "ny.doktor"], "user_deactivate"),
    ]  # fmt: skip
    for args, action in commands:
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        rows = _rows(action)
        assert len(rows) == 1, action
        assert rows[0].channel == "cli" and rows[0].user_id is None
    user_id = db.session.scalar(sa.select(User.id).where(User.username == "ny.doktor"))
    assert {row.object_id for row in _rows("user_create")} == {str(user_id)}

    db.session.add(
        LoginFailure(username_key="ny.doktor", failures=9,
                     first_failed_at=datetime.now(UTC),
                     locked_until=datetime(2099, 1, 1, tzinfo=UTC))
    )  # fmt: skip
    db.session.commit()
    assert runner.invoke(args=["users", "unlock", "ny.doktor"]).exit_code == 0
    assert len(_rows("user_unlock")) == 1
    runner.invoke(args=["users", "unlock", "ny.doktor"])  # not locked: no change
    assert len(_rows("user_unlock")) == 1

    auth.login("admin")
    html = client.post("/admin/audit", data={"user": ""}).text
    for words in (
        "Skapade kontot ny.doktor",
        "Gav kontot ny.doktor en API-nyckel",
        "Drog in API-nycklarna för kontot ny.doktor",
        "Stängde av kontot ny.doktor",
        "Låste upp kontot ny.doktor",
    ):
        assert words in html
