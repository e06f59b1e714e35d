import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import User
from sesamlike.extensions import db
from tests import factories
from tests.conftest import csrf_token_from

ROLES = ["prescriber", "patient", "guardian", "depot", "manager", "region", "admin"]


def make_role_user(role):
    return factories.make_role_user(role, username=f"u-{role}")


def test_login_page_is_served_in_swedish(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "Logga in" in response.text
    assert 'lang="sv"' in response.text


def test_anonymous_start_page_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_wrong_password_is_refused_with_a_message(client, auth):
    make_role_user("prescriber")
    response = auth.login("u-prescriber", "wrong-password")
    assert response.status_code == 401
    assert "Fel användarnamn eller lösenord" in response.text
    assert client.get("/").status_code == 302


def test_inactive_account_cannot_log_in(client, auth):
    user = make_role_user("depot")
    user.active = False
    db.session.commit()
    assert auth.login("u-depot").status_code == 401


def test_passwords_are_stored_hashed(app):
    user = make_role_user("admin")
    stored = db.session.scalar(sa.select(User.password_hash).where(User.id == user.id))
    assert "correct-horse-1" not in stored
    assert stored.startswith(("scrypt:", "pbkdf2:"))


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_its_start_page(client, auth, role):
    make_role_user(role)
    response = auth.login(f"u-{role}")
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    expected = {
        "prescriber": "förskrivare",
        "patient": "patient",
        "guardian": "vårdnadshavare",
        "depot": "hjälpmedelscentral",
        "manager": "verksamhetschef",
        "region": "regional uppföljning",
        "admin": "administratör",
    }[role]
    # The role mid-sentence, in lower case (it read "som Vårdnadshavare.").
    assert f"Du är inloggad som {expected}." in home.text


def test_logout_ends_the_session(client, auth):
    make_role_user("region")
    auth.login("u-region")
    assert client.get("/").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/").status_code == 302


def test_login_without_csrf_token_is_refused(client, csrf_on):
    make_role_user("admin")
    response = client.post(
        "/login", data={"username": "u-admin", "password": "correct-horse-1"}
    )
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_login_with_csrf_token_succeeds(client, csrf_on):
    make_role_user("admin")
    token = csrf_token_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={
            "username": "u-admin",
            "password": "correct-horse-1",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302


def test_login_does_not_follow_next_to_another_site(client, auth):
    make_role_user("admin")
    response = client.post(
        "/login?next=https://evil.example/x",
        data={"username": "u-admin", "password": "correct-horse-1"},
    )
    assert response.headers["Location"] == "/"


def test_english_can_be_chosen(client, auth):
    make_role_user("admin")
    auth.login("u-admin")
    client.post("/language", data={"locale": "en", "next": "/"})
    response = client.get("/")
    assert 'lang="en"' in response.text
    assert "Log out" in response.text


def test_only_admins_list_users(client, auth):
    make_role_user("prescriber")
    auth.login("u-prescriber")
    assert client.get("/admin/users").status_code == 403


def test_language_chosen_before_login_is_kept_and_remembered(client, auth):
    user = make_role_user("admin")
    client.post("/language", data={"locale": "en", "next": "/login"})
    auth.login("u-admin")
    assert "Log out" in client.get("/").text
    db.session.refresh(user)
    assert user.locale == "en"


def test_form_fields_carry_no_empty_aria_attributes(client):
    html = client.get("/login").text
    assert 'aria-describedby="None"' not in html
    assert 'aria-invalid="None"' not in html
    assert 'id="csrf_token"' not in html


def test_a_form_sent_after_the_session_ran_out_says_so_and_leads_back_to_it(
    app, client, csrf_on
):
    """A nurse leaves the register form open past the idle limit and sends it.
    Before, she got "Felaktig begäran: Formuläret kunde inte tas emot", with
    nothing about the login that had ended."""
    from datetime import timedelta

    from sesamlike.accounts.models import UserSession
    from sesamlike.common.time import utcnow

    factories.make_role_user("prescriber", username="doc")
    token = csrf_token_from(client.get("/login").text)
    client.post("/login", data={"username": "doc", "password": "correct-horse-1",
                                "csrf_token": token})  # fmt: skip
    form = client.get("/patients/new")
    assert form.status_code == 200
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"], seconds=5)
    db.session.execute(sa.update(UserSession).values(last_seen_at=utcnow() - idle))
    db.session.commit()

    sent = client.post(
        "/patients/new",
        data={"csrf_token": csrf_token_from(form.text), "first_name": "Anna"},
        headers={"Referer": "http://localhost/patients/new"},
    )

    assert sent.status_code == 302
    assert sent.headers["Location"] == "/login?next=%2Fpatients%2Fnew"
    page = client.get(sent.headers["Location"]).text
    assert "Din inloggning gick ut efter 30 minuter utan aktivitet" in page
    assert "det du skickade kunde inte sparas" in page


def test_a_form_sent_after_logging_out_in_another_tab_leads_to_the_login(
    client, csrf_on
):
    """Logged out in another tab: the form's token went with the session.
    Before: 400 "Felaktig begäran", not saying that the login had ended."""
    factories.make_role_user("prescriber", username="doc")
    token = csrf_token_from(client.get("/login").text)
    client.post("/login", data={"username": "doc", "password": "correct-horse-1",
                                "csrf_token": token})  # fmt: skip
    form = client.get("/patients/new")
    client.post("/logout", data={"csrf_token": csrf_token_from(form.text)})

    sent = client.post(
        "/patients/new",
        data={"csrf_token": csrf_token_from(form.text), "first_name": "Anna"},
    )

    assert sent.status_code == 302
    assert sent.headers["Location"] == "/login?next=%2Fpatients%2Fnew"
    page = client.get(sent.headers["Location"]).text
    assert "Du är inte inloggad längre" in page


def test_a_stale_form_of_a_logged_in_user_is_still_refused(client, csrf_on):
    factories.make_role_user("prescriber", username="doc")
    token = csrf_token_from(client.get("/login").text)
    client.post("/login", data={"username": "doc", "password": "correct-horse-1",
                                "csrf_token": token})  # fmt: skip
    sent = client.post("/patients/new", data={"csrf_token": "forged"})
    assert sent.status_code == 400


def test_switching_language_on_a_page_shown_after_a_form_stays_on_that_page(
    client, auth
):
    """The walkthrough: English chosen on a form shown again with its faults
    (a POST's answer) led to the start page, the work in progress gone."""
    factories.make_role_user("prescriber", username="doc")
    auth.login("doc")
    refused = client.post("/patients/new", data={"first_name": ""})
    assert refused.status_code == 422
    assert 'name="next" value="/patients/new"' in refused.text

    switched = client.post("/language", data={"locale": "en",
                                              "next": "/patients/new"})  # fmt: skip
    assert switched.headers["Location"] == "/patients/new"


def test_a_page_of_a_form_that_only_posts_switches_language_to_the_start_page(
    app, client, auth
):
    """No page to reopen: the start page, never a 405."""
    from flask import render_template_string

    with app.test_request_context("/channels/suppliers/export", method="POST"):
        assert render_template_string("{{ page_to_return_to() }}") == ""
