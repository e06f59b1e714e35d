"""Account administration: search, create, change, deactivate, unlock, reset.

No password is ever chosen by the admin or mailed: a new account and a reset
both get a one-time link that sets a password under the policy.
"""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent, PasswordLink, User
from sesamlike.common.models import OutgoingMail
from sesamlike.common.time import utcnow
from sesamlike.extensions import db
from sesamlike.patients.models import Patient
from tests.conftest import csrf_token_from
from tests.factories import make_clinic, make_patient, make_user

NEW_PASSWORD = "blåbärssoppa vid vasaloppet"


@pytest.fixture
def world():
    clinic = make_clinic("BDM", name="Barndiabetesmottagningen")
    make_clinic("OST", name="Östra mottagningen")
    make_user("admin", username="admin")
    doc = make_user(
        "prescriber", clinics=[clinic], username="doktor.dahl",
        display_name="Doris Dahl", email="doris@example.se",
    )  # fmt: skip
    return {"clinic": clinic, "doc": doc}


def audit_actions(object_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.object_type == "user")
            .where(AuditEvent.object_id == str(object_id))
            .order_by(AuditEvent.id)
        )
    )


def link_in_mail(to: str) -> str:
    mail = db.session.scalars(
        sa.select(OutgoingMail)
        .where(OutgoingMail.to_address == to)
        .order_by(OutgoingMail.id.desc())
    ).first()
    assert mail is not None, f"no mail to {to}"
    return re.search(r"https?://\S+(/password/\S+)", mail.body).group(1)


def create_prescriber(client, **overrides):
    data = {
        "username": "sjukskoterska.ny", "display_name": "Siv Ny",
        "email": "siv@example.se", "role": "prescriber", "clinics": ["BDM"],
        "first_time_prescriber": "y",
    } | overrides  # fmt: skip
    return client.post("/admin/users/new", data=data)


def test_admin_searches_and_pages_the_accounts(client, auth, world):
    for n in range(55):
        make_user("depot", username=f"lager{n:02d}")
    auth.login("admin")
    page = client.get("/admin/users", query_string={"q": "dahl"}).text
    assert "doktor.dahl" in page and "lager01" not in page
    assert "1 konto, sida 1 av 1." in page
    by_name = client.get("/admin/users", query_string={"q": "doris"}).text
    assert "doktor.dahl" in by_name
    first = client.get("/admin/users").text
    assert "sida 1 av 2" in first and "page=2" in first
    second = client.get("/admin/users", query_string={"page": 2}).text
    assert "sida 2 av 2" in second
    depots = client.get("/admin/users", query_string={"role": "depot"}).text
    assert "55 konton" in depots and "doktor.dahl" not in depots


def test_a_new_prescriber_sets_a_password_by_the_mailed_link_and_logs_in(
    client, auth, world
):
    auth.login("admin")
    response = create_prescriber(client)
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.username == "sjukskoterska.ny"))
    assert user.role == "prescriber" and user.first_time_prescriber
    assert [c.code for c in user.clinics] == ["BDM"]
    assert "Kontot sjukskoterska.ny är skapat" in client.get(response.location).text
    assert audit_actions(user.id) == ["user_create", "password_link_sent"]
    mail = db.session.scalar(
        sa.select(OutgoingMail).where(OutgoingMail.to_address == "siv@example.se")
    )
    assert mail.subject == "Ditt konto i Sesamlike"
    assert "sjukskoterska.ny" in mail.body and "Välj ditt lösenord" in mail.body
    link = link_in_mail("siv@example.se")
    auth.logout()
    # The admin chose no password: nothing typed by anyone logs in yet.
    assert auth.login("sjukskoterska.ny", "").status_code == 200
    form = client.get(link)
    assert form.status_code == 200 and "sjukskoterska.ny" in form.text
    weak = client.post(
        link, data={"password": "sommar123456", "repeated": "sommar123456"}
    )
    assert "Lösenordet är för lätt att gissa" in weak.text
    saved = client.post(link, data={"password": NEW_PASSWORD, "repeated": NEW_PASSWORD})
    assert saved.status_code == 302 and saved.location.endswith("/login")
    assert auth.login("sjukskoterska.ny", NEW_PASSWORD).status_code == 302
    auth.logout()
    again = client.get(link)
    assert again.status_code == 410 and "redan använd eller för gammal" in again.text
    assert "password_set" in audit_actions(user.id)


def test_a_refused_account_says_why_in_swedish_and_writes_nothing(client, auth, world):
    auth.login("admin")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    no_clinic = create_prescriber(client, clinics=[])
    assert "Förskrivare och verksamhetschefer behöver en vårdenhet." in no_clinic.text
    taken = create_prescriber(client, username="doktor.dahl")
    assert "Användarnamnet doktor.dahl är upptaget." in taken.text
    no_mail = create_prescriber(client, email="")
    assert "Ange en e-postadress" in no_mail.text
    bad_mail = create_prescriber(client, email="inte en adress")
    assert "E-postadressen ser inte rätt ut." in bad_mail.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingMail)) == 0
    assert db.session.scalar(
        sa.select(sa.func.count()).where(User.username == "sjukskoterska.ny")
    ) == 0  # fmt: skip
    after = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert after == before


def test_admin_changes_role_clinics_and_first_time_right_audited(client, auth, world):
    doc = world["doc"]
    auth.login("admin")
    page = client.get(f"/admin/users/{doc.id}").text
    assert "doris@example.se" in page and 'value="BDM" checked' in page
    response = client.post(
        f"/admin/users/{doc.id}",
        data={"role": "prescriber", "clinics": ["BDM", "OST"], "email": doc.email,
              "display_name": "Doris Dahl", "first_time_prescriber": "y"},
    )  # fmt: skip
    assert response.status_code == 302
    db.session.refresh(doc)
    assert sorted(c.code for c in doc.clinics) == ["BDM", "OST"]
    assert doc.first_time_prescriber
    detail = db.session.scalar(
        sa.select(AuditEvent.detail).where(AuditEvent.action == "user_update")
    )
    assert detail == "doktor.dahl: prescriber BDM -> prescriber BDM,OST nyförskrivning"


def test_deactivation_ends_the_users_sessions_and_tokens_at_once(
    app, client, auth, world
):
    from sesamlike.accounts.services import issue_token

    doc_client = app.test_client()
    doc_client.post(
        "/login", data={"username": "doktor.dahl", "password": "correct-horse-1"}
    )
    assert doc_client.get("/").status_code == 200
    token = issue_token("doktor.dahl")
    auth.login("admin")
    done = client.post(f"/admin/users/{world['doc'].id}/deactivate")
    assert done.status_code == 302
    text = client.get(done.location).text
    assert "Kontot är avstängt. 1 inloggning avslutad, 1 API-nyckel spärrad." in text
    assert doc_client.get("/").status_code == 302  # to the login page
    api = doc_client.get("/api/v1/stock", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    assert "user_deactivate" in audit_actions(world["doc"].id)
    admin_id = db.session.scalar(sa.select(User.id).where(User.username == "admin"))
    own = client.post(f"/admin/users/{admin_id}/deactivate")
    assert "Du kan inte stänga av ditt eget konto." in client.get(own.location).text


def test_admin_unlocks_an_account_locked_by_failed_logins(
    app, client, auth, world, monkeypatch
):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ACCOUNT", "3 per 15 minutes")
    other = app.test_client()
    for _ in range(3):
        other.post("/login", data={"username": "doktor.dahl", "password": "fel"})
    assert other.post(
        "/login", data={"username": "doktor.dahl", "password": "correct-horse-1"}
    ).status_code == 429  # fmt: skip
    auth.login("admin")
    page = client.get(f"/admin/users/{world['doc'].id}").text
    assert "Låst efter för många misslyckade inloggningar" in page
    done = client.post(f"/admin/users/{world['doc'].id}/unlock")
    assert "Kontot är upplåst." in client.get(done.location).text
    assert other.post(
        "/login", data={"username": "doktor.dahl", "password": "correct-horse-1"}
    ).status_code == 302  # fmt: skip
    assert "user_unlock" in audit_actions(world["doc"].id)


def test_a_reset_link_expires_and_only_the_newest_works(client, auth, world):
    auth.login("admin")
    doc_id = world["doc"].id
    client.post(f"/admin/users/{doc_id}/password-link")
    first = link_in_mail("doris@example.se")
    client.post(f"/admin/users/{doc_id}/password-link")
    second = link_in_mail("doris@example.se")
    auth.logout()
    assert client.get(first).status_code == 410  # replaced by the newer one
    assert client.get(second).status_code == 200
    link = db.session.scalars(
        sa.select(PasswordLink).order_by(PasswordLink.id.desc())
    ).first()
    link.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    late = client.post(
        second, data={"password": NEW_PASSWORD, "repeated": NEW_PASSWORD}
    )
    assert late.status_code == 410
    assert auth.login("doktor.dahl", NEW_PASSWORD).status_code == 401


def test_a_reset_by_link_ends_the_api_tokens_too(client, auth, world):
    """The second security review: a reset ended the web sessions but the old
    bearer token still read patients. A reset is for a password lost, or known
    to someone else: whatever the old one opened stops."""
    from sesamlike.accounts.services import issue_token
    from tests.factories import make_patient

    token = issue_token("doktor.dahl")
    headers = {"Authorization": f"Bearer {token}"}
    patient = f"/api/v1/patients/{make_patient(world['clinic']).id}"
    assert client.get(patient, headers=headers).status_code == 200
    auth.login("admin")
    client.post(f"/admin/users/{world['doc'].id}/password-link")
    link = link_in_mail("doris@example.se")
    auth.logout()
    done = client.post(link, data={"password": NEW_PASSWORD, "repeated": NEW_PASSWORD})
    assert done.status_code == 302
    assert client.get(patient, headers=headers).status_code == 401


def test_a_link_claimed_meanwhile_sets_no_password(client, auth, world, monkeypatch):
    """Two requests with one link at once: each found it unused; only the one
    that claims it first may set the password."""
    from sesamlike.accounts import password_links

    auth.login("admin")
    client.post(f"/admin/users/{world['doc'].id}/password-link")
    link = link_in_mail("doris@example.se")
    auth.logout()
    found, opened = password_links._open_link, []

    def claimed_by_the_other_request(token):
        row = found(token)  # unused, as the other request found it too
        opened.append(row)
        if len(opened) == 2:  # the form's page was shown; now it is sent
            db.session.execute(
                sa.update(PasswordLink)
                .where(PasswordLink.id == row.id)
                .values(used_at=utcnow())
            )
        return row

    monkeypatch.setattr(password_links, "_open_link", claimed_by_the_other_request)
    late = client.post(link, data={"password": NEW_PASSWORD, "repeated": NEW_PASSWORD})
    assert late.status_code == 410
    assert auth.login("doktor.dahl", NEW_PASSWORD).status_code == 401


def test_the_password_form_refuses_a_forged_post(client, auth, world, csrf_on):
    auth_client = client
    html = auth_client.get("/login").text
    auth_client.post("/login", data={"username": "admin", "password": "correct-horse-1",
                                     "csrf_token": csrf_token_from(html)})  # fmt: skip
    forged = auth_client.post(
        "/admin/users/new",
        data={"username": "x.y", "role": "admin", "email": "x@example.se"},
    )
    assert forged.status_code == 400
    assert db.session.scalar(sa.select(User.id).where(User.username == "x.y")) is None


@pytest.fixture
def protected_world(world):
    """Ulla has protected identity and her own login; Stina, a protected child,
    has a guardian login; Per and his login are not protected."""
    ulla = make_patient(first_name="Ulla", last_name="Sjöberg", protected_identity=True)
    make_user("patient", patients=[ulla], username="patient5",
              display_name="Ulla Sjöberg", email="ulla.sjoberg@example.se")  # fmt: skip
    stina = make_patient(first_name="Stina", last_name="Lind", protected_identity=True,
                         birth_date=date(2015, 12, 24))  # fmt: skip
    make_user("guardian", patients=[stina], username="vh007",
              display_name="Lena Lind", email="lena.lind@example.se")  # fmt: skip
    per = make_patient(first_name="Per", last_name="Holm")
    make_user("patient", patients=[per], username="patient6",
              display_name="Per Holm", email="per.holm@example.se")  # fmt: skip
    return world


PROTECTED_WORDS = ("Sjöberg", "sjoberg", "Lena Lind", "lena.lind")
# An admin needs no patient's identity (domain.md): no portal login's name either.
PATIENT_WORDS = (*PROTECTED_WORDS, "Per Holm", "per.holm")


def user_id(username: str) -> int:
    return db.session.scalar(sa.select(User.id).where(User.username == username))


def test_user_list_hides_who_a_patients_or_guardians_login_is(
    client, auth, protected_world
):
    auth.login("admin")
    page = client.get("/admin/users").text
    assert "patient5" in page and "vh007" in page and "patient6" in page
    assert not [word for word in PATIENT_WORDS if word in page]
    assert page.count("Visas inte (patientuppgift)") == 3
    assert "Doris Dahl" in page  # staff are named


def test_user_search_finds_a_patients_login_by_username_only(
    client, auth, protected_world
):
    auth.login("admin")
    for text in ("Sjöberg", "ulla", "lena", "lind@example", "holm"):
        found = client.get("/admin/users", query_string={"q": text}).text
        assert "0 konton" in found, text
    by_username = client.get("/admin/users", query_string={"q": "patient5"}).text
    assert "1 konto" in by_username and "Visas inte (patientuppgift)" in by_username
    assert "Sjöberg" not in by_username
    assert "Doris Dahl" in client.get("/admin/users", query_string={"q": "dahl"}).text


def test_a_patients_login_shows_no_name_or_email_and_saving_keeps_them(
    client, auth, protected_world
):
    auth.login("admin")
    for username in ("patient5", "vh007", "patient6"):
        page = client.get(f"/admin/users/{user_id(username)}").text
        assert f"Konto {username}" in page
        assert not [word for word in PATIENT_WORDS if word in page], username
        assert "namn och e-post visas inte för administratörer" in page
    ulla = db.session.get(User, user_id("patient5"))
    saved = client.post(
        f"/admin/users/{ulla.id}",
        data={"role": "patient", "display_name": "", "email": ""},
    )
    assert saved.status_code == 302
    assert "Sjöberg" not in client.get(saved.location).text
    db.session.refresh(ulla)
    assert ulla.display_name == "Ulla Sjöberg"
    assert ulla.email == "ulla.sjoberg@example.se"


@pytest.mark.parametrize("username", ["patient5", "vh007"])
def test_an_admin_cannot_redirect_a_patients_or_guardians_login_to_own_address(
    client, auth, protected_world, username
):
    """The admin typed an address of their own into the e-mail of patient5 (a
    protected patient), sent a password link there, chose the password and
    logged in as the patient. Such a login's name and e-mail are not offered,
    and a forged change is refused: the link keeps going to the user."""
    auth.login("admin")
    login = db.session.get(User, user_id(username))
    stored = (login.display_name, login.email)
    page = client.get(f"/admin/users/{login.id}").text
    assert 'name="email"' not in page and 'name="display_name"' not in page
    assert "kan inte ändras av en administratör" in html.unescape(page)
    for forged in ({"email": "admin.egen@example.se"}, {"display_name": "Ny Namn"}):
        refused = client.post(
            f"/admin/users/{login.id}", data={"role": login.role} | forged
        )
        assert refused.status_code == 200
        text = html.unescape(refused.text)
        assert "Ändringarna är sparade." not in text
        assert (
            "En patients eller vårdnadshavares namn och e-postadress kan inte "
            "ändras av en administratör."
        ) in text
        db.session.refresh(login)
        assert (login.display_name, login.email) == stored
    assert "user_update" not in audit_actions(login.id)
    client.post(f"/admin/users/{login.id}/password-link")
    assert link_in_mail(stored[1])
    assert db.session.scalar(
        sa.select(OutgoingMail.id).where(
            OutgoingMail.to_address == "admin.egen@example.se"
        )
    ) is None  # fmt: skip


def test_the_audit_log_of_a_protected_login_names_no_one(client, auth, protected_world):
    auth.login("admin")
    ulla_id = user_id("patient5")
    client.post(f"/admin/users/{ulla_id}/password-link")
    client.post(f"/admin/users/{ulla_id}", data={"role": "patient"})
    client.post(  # refused: an admin changes no portal login's e-mail
        f"/admin/users/{ulla_id}",
        data={"role": "patient", "display_name": "", "email": "ny@example.se"},
    )
    for filters in ({}, {"user": "patient5"}, {"action": "user_update"}):
        page = client.post("/admin/audit", data=filters).text
        assert "patient5" in page
        assert not [word for word in PROTECTED_WORDS if word in page], filters
        assert "ny@example.se" not in page
    export = client.post("/admin/audit.csv", data={}).data.decode("utf-8-sig")
    assert "patient5" in export and "Sjöberg" not in export
    assert "ny@example.se" not in export


def test_a_username_may_be_an_e_mail_address(client, auth, world):
    """Regions that log staff in by e-mail address keep doing so."""
    auth.login("admin")
    create_prescriber(client, username="siv.ny@region.se")
    assert db.session.scalar(
        sa.select(User.display_name).where(User.username == "siv.ny@region.se")
    ) == "Siv Ny"  # fmt: skip


def test_a_new_account_with_several_faults_names_them_all_at_once_and_writes_nothing(
    client, auth, world
):
    auth.login("admin")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    page = create_prescriber(
        client, username="siv ny", display_name="  ", email="inte en adress",
        clinics=[],
    ).text  # fmt: skip
    assert "Kontot skapades inte. Rätta de markerade uppgifterna." in page
    assert "inga mellanslag" in page
    assert "Ange användarens namn." in page
    assert "E-postadressen ser inte rätt ut." in page
    assert "Förskrivare och verksamhetschefer behöver en vårdenhet." in page
    assert page.count('aria-invalid="true"') == 3  # username, name, e-mail
    assert db.session.scalar(
        sa.select(sa.func.count()).where(User.username.like("siv%"))
    ) == 0  # fmt: skip
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingMail)) == 0
    after = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert after == before
    client.post("/language", data={"locale": "en"})
    english = html.unescape(
        create_prescriber(client, username="siv ny", display_name="").text
    )
    assert "The account was not created. Correct the marked details." in english
    assert "Enter the user's name." in english
    assert "no spaces" in english


def test_the_new_account_page_sends_portal_accounts_to_the_patients_page(
    client, auth, world
):
    """Patient and guardian logins are made on the patient's page; the form
    pointed to the command line."""
    auth.login("admin")
    page = client.get("/admin/users/new").text
    assert "users create" not in page
    assert (
        'kopplade till patienten: <a href="/admin/patients">Patientkopplingar</a>'
        in page
    )


def change_prescriber(client, doc, **overrides):
    data = {
        "role": "prescriber", "clinics": ["BDM"], "email": doc.email,
        "display_name": doc.display_name,
    } | overrides  # fmt: skip
    return client.post(f"/admin/users/{doc.id}", data=data)


def test_a_staff_account_changed_to_no_name_keeps_its_name_and_says_why(
    client, auth, world
):
    doc = world["doc"]
    auth.login("admin")
    page = change_prescriber(client, doc, display_name="  ").text
    assert "Ange användarens namn." in page
    db.session.refresh(doc)
    assert doc.display_name == "Doris Dahl"  # was replaced by the username
    assert "user_update" not in audit_actions(doc.id)


def test_changing_a_staff_account_with_several_faults_names_them_all_at_once(
    client, auth, world
):
    doc = world["doc"]
    auth.login("admin")
    page = change_prescriber(
        client, doc, display_name="", email="inte en adress", clinics=[]
    ).text
    assert "Ändringarna sparades inte. Rätta de markerade uppgifterna." in page
    assert "Ange användarens namn." in page
    assert "E-postadressen ser inte rätt ut." in page
    assert "Förskrivare och verksamhetschefer behöver en vårdenhet." in page
    no_mail = change_prescriber(client, doc, email="").text
    assert "Ange en e-postadress" in no_mail
    db.session.refresh(doc)
    assert (doc.display_name, doc.email) == ("Doris Dahl", "doris@example.se")
    assert [c.code for c in doc.clinics] == ["BDM"]
    assert "user_update" not in audit_actions(doc.id)
    client.post("/language", data={"locale": "en"})
    english = html.unescape(change_prescriber(client, doc, display_name="").text)
    assert "Enter the user's name." in english


def test_a_username_differing_only_in_case_is_taken(client, auth, world):
    """The admin made "SSK.NORR" beside "ssk.norr": one login to the lock, two
    accounts to everyone else."""
    auth.login("admin")
    page = create_prescriber(client, username="DOKTOR.Dahl").text
    assert "Användarnamnet är upptaget." in page
    assert "doktor.dahl finns redan" in page
    assert "stora och små bokstäver räknas som samma" in page
    assert db.session.scalar(
        sa.select(sa.func.count()).where(sa.func.lower(User.username) == "doktor.dahl")
    ) == 1  # fmt: skip
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingMail)) == 0


def test_the_username_rule_says_capitals_are_allowed(client, auth, world):
    auth.login("admin")
    page = html.unescape(create_prescriber(client, username="siv ny").text)
    assert "bokstäverna a–z (stora eller små, inte å, ä, ö)" in page
    assert "Stora och små bokstäver räknas som samma" in page


def test_login_and_its_lock_read_a_username_whatever_its_case(
    app, client, auth, world, monkeypatch
):
    """Failed logins typed in capitals locked the real account, whose login
    itself only matched the exact spelling: the two now agree."""
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ACCOUNT", "3 per 15 minutes")
    assert auth.login("DOKTOR.DAHL").status_code == 302
    auth.logout()
    for _ in range(3):
        assert auth.login("Doktor.Dahl", "fel").status_code == 401
    assert auth.login("doktor.dahl").status_code == 429
    auth.login("admin")
    page = client.get(f"/admin/users/{world['doc'].id}").text
    assert "Låst efter för många misslyckade inloggningar" in page


def test_older_accounts_differing_only_in_case_keep_their_own_logins(
    client, auth, world
):
    """Nothing is renamed or deleted: each logs in with its own spelling, and a
    third spelling names neither."""
    twin = make_user("prescriber", clinics=[world["clinic"]], username="x.twin")
    db.session.execute(
        sa.update(User).where(User.id == twin.id).values(username="DOKTOR.DAHL")
    )
    db.session.commit()
    assert auth.login("DOKTOR.DAHL").status_code == 302
    assert "Du är inloggad som förskrivare" in client.get("/").text
    auth.logout()
    assert auth.login("doktor.dahl").status_code == 302
    auth.logout()
    assert auth.login("Doktor.Dahl").status_code == 401


def test_a_patients_login_is_offered_no_clinic_or_first_time_right(
    client, auth, protected_world
):
    """patient1 was offered both; ticking a clinic put the patient's login under
    the clinic, and the patient's start page then named it."""
    auth.login("admin")
    per = db.session.get(User, user_id("patient6"))
    page = client.get(f"/admin/users/{per.id}").text
    assert "Vårdenheter (förskrivare" not in page
    assert "Får göra nyförskrivning" not in page
    refused = client.post(
        f"/admin/users/{per.id}",
        data={"role": "patient", "clinics": ["BDM"], "first_time_prescriber": "y"},
    )
    assert "Ändringarna är sparade." not in refused.text
    assert "Välj ingen vårdenhet för den här rollen." in refused.text
    assert "Bara för förskrivare." in refused.text
    db.session.refresh(per)
    assert per.clinics == [] and not per.first_time_prescriber
    assert "user_update" not in audit_actions(per.id)
    auth.logout()
    auth.login("patient6")
    assert "Vårdenhet:" not in client.get("/").text


@pytest.mark.parametrize(
    ("role", "clinics", "first_time"),
    [("region", True, False), ("admin", True, False), ("manager", True, True),
     ("depot", False, True)],
)  # fmt: skip
def test_a_staff_role_is_offered_and_takes_only_its_own_fields(
    client, auth, world, role, clinics, first_time
):
    auth.login("admin")
    account = make_user(role, clinics=[world["clinic"]] if role == "manager" else [],
                        display_name="Sam Stab", email="sam@example.se")  # fmt: skip
    page = client.get(f"/admin/users/{account.id}").text
    assert ("Vårdenheter (förskrivare" in page) is (role == "manager")
    assert "Får göra nyförskrivning" not in page
    data = {"role": role, "display_name": "Sam Stab", "email": "sam@example.se"}
    if clinics:
        data["clinics"] = ["OST"]
    if first_time:
        data["first_time_prescriber"] = "y"
    saved = client.post(f"/admin/users/{account.id}", data=data)
    if role == "manager":  # a manager works at clinics, but prescribes nothing
        assert "Bara för förskrivare." in saved.text
    else:
        assert saved.status_code == 200 and "Ändringarna är sparade." not in saved.text
    db.session.refresh(account)
    assert not account.first_time_prescriber
    assert [c.code for c in account.clinics] == (["BDM"] if role == "manager" else [])
    new = create_prescriber(
        client, username=f"ny.{role}", role=role, clinics=["BDM"] if clinics else [],
        first_time_prescriber="y" if first_time else "",
    )  # fmt: skip
    assert new.status_code == 200, role
    made = sa.select(User.id).where(User.username == f"ny.{role}")
    assert db.session.scalar(made) is None


def test_changing_a_region_account_to_prescriber_offers_the_clinics(
    client, auth, world
):
    auth.login("admin")
    analyst = make_user("region", display_name="Ann Alys", email="ann@example.se")
    data = {"role": "prescriber", "display_name": "Ann Alys", "email": "ann@example.se"}
    refused = client.post(f"/admin/users/{analyst.id}", data=data).text
    assert "Förskrivare och verksamhetschefer behöver en vårdenhet." in refused
    assert 'name="clinics" value="BDM"' in refused
    assert "Får göra nyförskrivning" in refused
    saved = client.post(f"/admin/users/{analyst.id}", data=data | {"clinics": ["BDM"]})
    assert saved.status_code == 302
    db.session.refresh(analyst)
    assert analyst.role == "prescriber" and [c.code for c in analyst.clinics] == ["BDM"]


def test_the_messages_say_a_password_link_is_queued_not_sent(client, auth, world):
    """The page said "En länk ... har skickats till anna.nystrom@..." while no SMTP
    server was reachable: the link only goes in the outbox, which the scheduler's
    send_mail job empties."""
    from sesamlike import jobs

    auth.login("admin")
    made = create_prescriber(client)
    page = html.unescape(client.get(made.location).text)
    assert "har skickats" not in page
    assert (
        "Kontot sjukskoterska.ny är skapat. En länk för att välja lösenord har lagts "
        "i kö till siv@example.se, men ingen schemaläggare är igång: den skickas "
        "först när schemaläggaren startas."
    ) in page
    jobs.beat("h:1", utcnow())
    made = create_prescriber(client, username="siv.tva", email="siv2@example.se")
    page = html.unescape(client.get(made.location).text)
    assert (
        "En länk för att välja lösenord har lagts i kö till siv2@example.se och "
        "skickas inom någon minut. Ett misslyckat utskick syns under Schemalagda jobb."
    ) in page
    reset = client.post(f"/admin/users/{world['doc'].id}/password-link")
    page = html.unescape(client.get(reset.location).text)
    assert "har skickats" not in page
    assert (
        "En länk för att välja nytt lösenord har lagts i kö och skickas inom någon "
        "minut."
    ) in page


def test_deactivating_an_account_asks_first(client, auth, world):
    """The button "Stäng av kontot" acted at once; like the portal's order cancel it
    now only opens the question, answered by a second button (no JavaScript)."""
    auth.login("admin")
    page = client.get(f"/admin/users/{world['doc'].id}").text
    question = re.search(
        r'<details class="confirm-danger">\s*<summary>Stäng av kontot</summary>'
        r"(.*?)</details>", page, re.DOTALL,
    )  # fmt: skip
    assert question is not None
    inside = question.group(1)
    assert "Vill du stänga av kontot doktor.dahl?" in inside
    assert f'action="/admin/users/{world["doc"].id}/deactivate"' in inside
    assert ">Ja, stäng av kontot</button>" in inside
    assert ">Stäng av kontot</button>" not in page


@pytest.mark.parametrize("address", ["anna.nystrom@exa", "anna@exa.", "anna@.se"])
def test_an_e_mail_address_needs_a_domain_with_a_dot(client, auth, world, address):
    """The address "anna.nystrom@exa" was accepted: the link went nowhere."""
    auth.login("admin")
    page = create_prescriber(client, email=address).text
    assert "E-postadressen ser inte rätt ut." in page
    assert db.session.scalar(
        sa.select(User.id).where(User.username == "sjukskoterska.ny")
    ) is None  # fmt: skip
    changed = change_prescriber(client, world["doc"], email=address).text
    assert "E-postadressen ser inte rätt ut." in changed


def test_changing_a_staff_accounts_e_mail_tells_the_old_address(client, auth, world):
    """An admin could move a staff account's e-mail to an address of their own
    and send the password link there, and the account's holder heard nothing:
    now the old address is told, as is common practice."""
    doc = world["doc"]
    auth.login("admin")
    saved = change_prescriber(client, doc, email="doris.ny@example.se")
    assert saved.status_code == 302
    mails = db.session.scalars(
        sa.select(OutgoingMail).where(OutgoingMail.to_address == "doris@example.se")
    ).all()
    assert len(mails) == 1
    notice = mails[0]
    assert notice.kind == "email_changed"
    assert notice.subject == "Din e-postadress i Sesamlike har ändrats"
    assert "doktor.dahl" in notice.body
    assert "Har du inte väntat dig det här? Kontakta regionens IT-förvaltning" in (
        notice.body
    )
    assert "doris.ny@example.se" not in notice.body  # the old inbox may be another's
    change_prescriber(client, doc, display_name="Doris D")  # the address stays
    change_prescriber(client, doc, email="Doris.Ny@example.se")  # only its case
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(OutgoingMail)
    ) == 1  # fmt: skip
    client.post(f"/admin/users/{doc.id}/password-link")
    assert link_in_mail("Doris.Ny@example.se")


def access_log_actions(patient_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.patient_id == patient_id)
            .where(AuditEvent.object_type == "user")
            .order_by(AuditEvent.id)
        )
    )


def test_admin_actions_on_a_patients_login_show_in_the_patients_access_log(
    client, auth, protected_world
):
    """The rows user_update, password_link_sent and password_set of a patient's
    login had no patient: the patient never saw, in "Vem har tittat", that an
    admin had sent a password link and someone had chosen a password."""
    from sesamlike.accounts.services import issue_token

    login = db.session.get(User, user_id("patient5"))
    ulla = db.session.scalar(sa.select(Patient).where(Patient.user_id == login.id))
    auth.login("admin")
    client.post(f"/admin/users/{login.id}", data={"role": "patient"})
    client.post(f"/admin/users/{login.id}/deactivate")
    client.post(f"/admin/users/{login.id}/reactivate")
    client.post(f"/admin/users/{login.id}/password-link")
    link = link_in_mail("ulla.sjoberg@example.se")
    auth.logout()
    client.post(link, data={"password": NEW_PASSWORD, "repeated": NEW_PASSWORD})
    assert access_log_actions(ulla.id) == [
        "user_update", "user_deactivate", "user_reactivate", "password_link_sent",
        "password_set",
    ]  # fmt: skip
    auth.login("patient5", NEW_PASSWORD)
    page = html.unescape(client.get("/portal/access-log").text)
    for words in (
        "Ändrade ditt konto för e-tjänsten",
        "Stängde av ditt konto för e-tjänsten",
        "Aktiverade ditt konto för e-tjänsten igen",
        "Skickade en länk för nytt lösenord till ditt konto för e-tjänsten",
        "Valde ett nytt lösenord med en länk från e-post",
    ):
        assert words in page, words
    assert "Regionens IT-förvaltning" in page
    api = client.get(
        f"/api/v1/patients/{ulla.id}/access-log",
        headers={"Authorization": f"Bearer {issue_token('patient5')}"},
    ).get_json()
    actions = {event["action"] for event in api["events"]}
    assert {"password_link_sent", "password_set", "user_update"} <= actions


def test_admin_actions_on_a_guardians_login_show_in_each_childs_access_log(
    client, auth, world
):
    """A guardian's login acts for every child it is linked to: each child's
    log shows what the admin did to it."""
    from sesamlike.accounts.services import issue_token

    children = [make_patient(birth_date=date(2016, 5, n)) for n in (1, 2)]
    guardian = make_user(
        "guardian", patients=children, username="vh010", display_name="Gun Berg",
        email="gun.berg@example.se",
    )  # fmt: skip
    other = make_patient(birth_date=date(2017, 1, 1))
    auth.login("admin")
    client.post(f"/admin/users/{guardian.id}/password-link")
    client.post(f"/admin/users/{guardian.id}/unlock")  # not locked: nothing done
    for child in children:
        assert access_log_actions(child.id) == ["password_link_sent"]
    assert access_log_actions(other.id) == []
    api = client.get(
        f"/api/v1/patients/{children[1].id}/access-log",
        headers={"Authorization": f"Bearer {issue_token('vh010')}"},
    ).get_json()
    assert "password_link_sent" in {event["action"] for event in api["events"]}
    auth.logout()
    auth.login("vh010")
    client.post("/portal/choose", data={"patient_id": children[0].id})
    page = html.unescape(client.get("/portal/access-log").text)
    assert "Skickade en länk för nytt lösenord till ditt konto för e-tjänsten" in page
