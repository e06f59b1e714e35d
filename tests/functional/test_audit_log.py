"""The audit log: append-only, searchable by admins, visible to the patient."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from sesamlike.accounts import audit
from sesamlike.accounts.models import AuditEvent, User
from sesamlike.extensions import db
from tests.conftest import is_postgres
from tests.factories import ADULT_PNR, make_clinic, make_patient, make_user


@pytest.fixture
def world():
    clinic = make_clinic("BDM", name="Barndiabetesmottagningen")
    patient = make_patient(clinic, personal_id=ADULT_PNR, first_name="Ella")
    child = make_patient(clinic, first_name="Olle", birth_date=date(2015, 12, 24))
    make_user("prescriber", clinics=[clinic], username="doktor.dahl")
    make_user("patient", patients=[patient], username="ella")
    make_user("guardian", patients=[child], username="anna")
    make_user("admin", username="admin")
    return {"patient": patient, "child": child}


def count_audit(**where) -> int:
    query = sa.select(sa.func.count()).select_from(AuditEvent)
    for key, value in where.items():
        query = query.where(getattr(AuditEvent, key) == value)
    return db.session.scalar(query)


def test_audit_rows_cannot_be_changed_or_deleted_through_the_orm(world):
    audit.record("read", "patient", patient_id=world["patient"].id)
    db.session.commit()
    event = db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()))
    event.detail = "edited"
    with pytest.raises(audit.AuditLogImmutable):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(audit.AuditLogImmutable):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).detail is None


@pytest.mark.skipif(not is_postgres(), reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_update_and_delete_of_audit_rows(world):
    audit.record("read", "patient", patient_id=world["patient"].id)
    db.session.commit()
    for statement in (
        "UPDATE audit_events SET detail = 'x'",
        "DELETE FROM audit_events",
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(sa.text(statement))
    assert count_audit() == 1
    with (
        db.engine.begin() as conn
    ):  # only the test cleanup's switch lets DELETE through
        conn.execute(sa.text("SET LOCAL sesamlike.allow_audit_purge = 'on'"))
        conn.execute(sa.text("DELETE FROM audit_events"))
    assert count_audit() == 0


def test_admin_searches_by_personnummer_newest_first_and_the_search_is_logged(
    client, auth, world
):
    auth.login("doktor.dahl")
    client.get(f"/patients/{world['patient'].id}")
    client.get(f"/patients/{world['child'].id}")
    auth.logout()
    auth.login("admin")
    # A POST: the personnummer is never in a URL, nor shown back (issue 15).
    page = client.post("/admin/audit", data={"patient": ADULT_PNR})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "doktor.dahl" in html and f"(id {world['patient'].id})" in html
    assert ADULT_PNR not in html and "19900102-9801" not in html
    assert f"(id {world['child'].id})" not in html
    assert count_audit(object_type="audit_log", patient_id=world["patient"].id) == 1
    by_user = client.post("/admin/audit", data={"user": "nobody"})
    assert "Inga händelser." in by_user.get_data(as_text=True)
    export = client.post("/admin/audit.csv", data={"patient": ADULT_PNR})
    lines = export.get_data().decode("utf-8-sig").splitlines()
    assert export.mimetype == "text/csv"
    assert export.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert lines[0].startswith("Tid (svensk tid);Användare;Roll")
    # newest first: the first data row is the admin's own page view
    assert ";admin;Administratör;" in lines[1] and ";read;audit_log;" in lines[1]
    assert count_audit(object_type="audit_log") == 3


def test_a_search_that_cannot_find_anything_says_why(client, auth, world):
    """The walkthrough: a patient no one has, or "Från" after "Till", gave
    "0 händelser" and nothing more."""
    auth.login("admin")
    unknown = client.post("/admin/audit", data={"patient": "999999"}).text
    assert "Ingen patient har det id-numret eller personnumret." in unknown
    backwards = client.post(
        "/admin/audit", data={"from": "2026-06-30", "to": "2026-06-01"}
    ).text
    assert "Från-datumet är efter till-datumet." in backwards
    garbled = client.post("/admin/audit", data={"from": "30/6"}).text
    assert "Skriv datumen som ÅÅÅÅ-MM-DD." in garbled
    fine = client.post("/admin/audit", data={"from": "2026-06-01"}).text
    assert "Från-datumet" not in fine and "Ingen patient har" not in fine
    for known in (str(world["patient"].id), ADULT_PNR):
        found = client.post("/admin/audit", data={"patient": known}).text
        assert "Ingen patient har" not in found, known


def test_admin_pages_through_the_log(client, auth, world):
    for _ in range(60):
        audit.record("read", "patient", patient_id=world["patient"].id)
    db.session.commit()
    auth.login("admin")
    first = client.get("/admin/audit").get_data(as_text=True)
    assert "sida 1 av 2" in first and 'name="page" value="2"' in first
    second = client.post("/admin/audit", data={"page": 2}).get_data(as_text=True)
    assert "sida 2 av 2" in second


def test_a_page_of_the_log_reads_its_rows_once(client, auth, world):
    """The page's own audit row was committed before the table was drawn, and
    every row shown was then read again, one statement a row."""
    from tests.functional.test_portal import count_queries

    auth.login("admin")

    def statements() -> int:
        return count_queries(client, "/admin/audit")

    audit.record("read", "patient", patient_id=world["patient"].id)
    db.session.commit()
    few = statements()
    for _ in range(40):
        audit.record("read", "patient", patient_id=world["patient"].id)
    db.session.commit()
    assert statements() == few


def test_a_search_of_a_large_log_counts_no_further_than_it_needs(
    client, auth, world, monkeypatch
):
    """The matching rows are counted up to COUNT_MAX: beyond it the page says
    "more than", and pages on while a page is full."""
    from sesamlike.admin import audit_views

    for _ in range(4):
        audit.record("read", "patient", patient_id=world["patient"].id)
    db.session.commit()
    monkeypatch.setattr(audit_views, "COUNT_MAX", 3)
    monkeypatch.setattr(audit_views, "PAGE_SIZE", 2)
    auth.login("admin")  # its login rows and the pages' own add to the four

    first = client.get("/admin/audit").get_data(as_text=True)
    assert "Fler än 3 händelser, sida 1." in first
    assert 'name="page" value="2"' in first  # a full page: older ones may follow
    shown, page = 0, 1
    while True:
        text = client.post("/admin/audit", data={"page": page}).text
        shown += text.count('<td class="nowrap">')
        if f'name="page" value="{page + 1}"' not in text:
            break
        page += 1
        assert page < 20
    # Every row was shown once, paged to the last (which each page's row joins).
    assert shown >= 4 + 2 and f"Fler än 3 händelser, sida {page}." in text
    monkeypatch.setattr(audit_views, "COUNT_MAX", 10_000)
    exact = client.get("/admin/audit").get_data(as_text=True)
    assert "Fler än" not in exact and "händelser, sida 1 av" in exact


@pytest.mark.parametrize("username", ["doktor.dahl", "ella", "anna"])
def test_only_admins_see_the_audit_search(client, auth, world, username):
    auth.login(username)
    assert client.get("/admin/audit").status_code == 403
    assert client.post("/admin/audit.csv").status_code == 403


def test_patient_sees_role_and_clinic_that_looked_not_the_username(client, auth, world):
    auth.login("doktor.dahl")
    client.get(f"/patients/{world['patient'].id}")
    auth.logout()
    auth.login("ella")
    home = client.get("/").get_data(as_text=True)
    assert "/portal/access-log" in home
    html = client.get("/portal/access-log").get_data(as_text=True)
    assert "Förskrivare, Barndiabetesmottagningen" in html
    assert "doktor.dahl" not in html
    assert count_audit(object_type="access_log", patient_id=world["patient"].id) == 1


def test_the_log_names_the_clinic_read_for_not_the_readers_clinics_today(
    client, auth, world
):
    """The second security review: the page named the clinics the staff
    member has now, so a later post elsewhere showed on reads made before it
    (and told the patient of it). The API's log gives the clinic acted for."""
    auth.login("doktor.dahl")
    client.get(f"/patients/{world['patient'].id}")
    auth.logout()
    doctor = db.session.scalar(sa.select(User).where(User.username == "doktor.dahl"))
    doctor.clinics = [*doctor.clinics, make_clinic("PSYK", name="Beroendemottagningen")]
    db.session.commit()
    auth.login("ella")
    html = client.get("/portal/access-log").get_data(as_text=True)
    assert "Förskrivare, Barndiabetesmottagningen" in html
    assert "Beroendemottagningen" not in html


def test_a_reader_of_two_clinics_is_named_with_the_one_caring_for_the_patient(
    client, auth, world
):
    """The third review: a prescriber of two clinics was logged with no clinic
    (which of the two was not known), so the patient read "Förskrivare" only.
    The clinic of the reader's that cares for the patient is named."""
    doctor = db.session.scalar(sa.select(User).where(User.username == "doktor.dahl"))
    doctor.clinics = [*doctor.clinics, make_clinic("PSYK", name="Beroendemottagningen")]
    db.session.commit()
    auth.login("doktor.dahl")
    client.get(f"/patients/{world['patient'].id}")
    auth.logout()
    auth.login("ella")
    html = client.get("/portal/access-log").get_data(as_text=True)
    assert "Förskrivare, Barndiabetesmottagningen" in html
    assert "Beroendemottagningen" not in html


def test_guardian_sees_the_chosen_childs_log_only(client, auth, world):
    auth.login("doktor.dahl")
    client.get(f"/patients/{world['patient'].id}")
    auth.logout()
    auth.login("anna")
    # The only child is chosen at once (before: a redirect to choose it).
    assert client.get("/portal/access-log").status_code == 200
    client.post("/portal/choose", data={"patient_id": world["child"].id})
    html = client.get("/portal/access-log").get_data(as_text=True)
    assert "Du" in html and "Förskrivare" not in html


def test_staff_may_not_open_the_portal_access_log(client, auth, world):
    auth.login("doktor.dahl")
    assert client.get("/portal/access-log").status_code == 403


def test_audit_export_neutralises_text_that_a_spreadsheet_would_run(
    client, auth, world
):
    # The export shows no raw detail (issue 15): a username is text it shows.
    # A name no account may take now (accounts.usernames), as an older one has.
    evil = make_user("depot", username="older.account")
    evil.username = '=HYPERLINK("http://evil.example","x")'
    audit.record("read", "patient", patient_id=world["patient"].id, user=evil)
    db.session.commit()
    auth.login("admin")
    export = client.post(
        "/admin/audit.csv", data={"patient": ADULT_PNR}
    )  # no pnr in URLs
    lines = export.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Tid (svensk tid);Användare;Roll")
    cell = ';"\'=HYPERLINK(""http://evil.example"",""x"")";'
    assert [line for line in lines[1:] if cell in line]
