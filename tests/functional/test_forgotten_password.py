"""A password forgotten: asked for on the login page, by username or e-mail
address, not by waiting for the region's admin (a parent with a child's
sensors to reorder at night found no way but to call the clinic in the
morning: the walkthrough)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.models import OutgoingMail
from sesamlike.extensions import db
from tests.conftest import csrf_token_from
from tests.factories import make_clinic, make_patient, make_user

SAME_ANSWER = "Om uppgiften hör till en patients eller vårdnadshavares konto"
ASK_THE_ADMIN = "Personal får ingen länk här: be regionens administratör"


@pytest.fixture
def parent():
    clinic = make_clinic()
    child = make_patient(clinic, first_name="Ebba", last_name="Ek")
    return make_user("guardian", username="vh.ek", email="Karin.Ek@example.se",
                     patients=[child])  # fmt: skip


def mails_to(address: str) -> list[OutgoingMail]:
    return db.session.scalars(
        sa.select(OutgoingMail).where(OutgoingMail.to_address == address)
    ).all()


def ask(client, identifier: str):
    return client.post(
        "/password/forgotten", data={"identifier": identifier}, follow_redirects=True
    )


def test_the_login_page_leads_to_a_link_mailed_and_the_new_password_logs_in(
    client, parent
):
    login = client.get("/login").text
    assert 'href="/password/forgotten"' in login and "Glömt lösenordet?" in login

    answer = ask(client, "VH.EK")  # usernames have no case

    assert SAME_ANSWER in answer.text
    [mail] = mails_to("Karin.Ek@example.se")
    assert "Du har bett om ett nytt lösenord för ditt konto vh.ek" in mail.body
    path = re.search(r"https?://\S+(/password/\S+)", mail.body).group(1)
    page = client.get(path).text
    client.post(path, data={"csrf_token": csrf_token_from(page),
                            "password": "ett nytt långt lösen",
                            "repeated": "ett nytt långt lösen"})  # fmt: skip
    logged_in = client.post(
        "/login", data={"username": "vh.ek", "password": "ett nytt långt lösen"}
    )
    assert logged_in.status_code == 302
    # In the child's access log: the guardian's login was sent a link.
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "password_link_sent")
    )
    assert event.patient_id is not None and event.user_id is None
    assert "asked at the login page" in event.detail


def test_the_address_finds_the_account_too(client, parent):
    ask(client, "karin.ek@EXAMPLE.se")
    assert len(mails_to("Karin.Ek@example.se")) == 1


@pytest.mark.parametrize("who", ["unknown", "no address", "deactivated", "admin"])
def test_no_account_or_none_to_mail_gets_the_same_answer_and_no_mail(
    client, parent, who
):
    """Nobody learns which usernames exist; an admin's reset stays another
    admin's (a mailbox taken over must not give the region's administration)."""
    if who == "no address":
        make_user("manager", username="utan.adress", clinics=[make_clinic()])
        name = "utan.adress"
    elif who == "deactivated":
        parent.active = False
        db.session.commit()
        name = "vh.ek"
    elif who == "admin":
        make_user("admin", username="admin.ek", email="admin.ek@example.se")
        name = "admin.ek"
    else:
        name = "finns.inte"
    before = db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingMail))

    answer = ask(client, name)

    assert answer.status_code == 200 and SAME_ANSWER in answer.text
    after = db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingMail))
    assert after == before


@pytest.mark.parametrize("role", ["prescriber", "manager", "depot", "region"])
def test_a_staff_account_is_mailed_no_link_and_told_to_ask_the_admin(
    client, parent, role
):
    """Staff read patients' data: a mailbox taken over must not open a
    prescriber's account. The answer is the one every account gets."""
    clinics = [make_clinic()] if role in ("prescriber", "manager") else []
    make_user(role, username="personal.ek", email="personal.ek@example.se",
              clinics=clinics)  # fmt: skip

    by_name = ask(client, "personal.ek")
    by_address = ask(client, "personal.ek@example.se")

    assert mails_to("personal.ek@example.se") == []
    for answer in (by_name, by_address):
        assert answer.status_code == 200
        assert SAME_ANSWER in answer.text and ASK_THE_ADMIN in answer.text
    assert ASK_THE_ADMIN in ask(client, "finns.inte").text


def test_a_patients_own_account_is_mailed_a_link(client):
    teen = make_patient(make_clinic(), first_name="Ebbe", last_name="Ek")
    make_user("patient", username="ebbe.ek", email="ebbe.ek@example.se",
              patients=[teen])  # fmt: skip

    assert SAME_ANSWER in ask(client, "ebbe.ek").text

    [mail] = mails_to("ebbe.ek@example.se")
    assert "Du har bett om ett nytt lösenord för ditt konto ebbe.ek" in mail.body


def test_asking_again_soon_sends_no_second_mail(client, parent):
    """Nobody floods a mailbox by asking again and again."""
    for _ in range(3):
        assert SAME_ANSWER in ask(client, "vh.ek").text
    assert len(mails_to("Karin.Ek@example.se")) == 1


def test_an_empty_field_is_said_beside_it_and_nothing_is_sent(client, parent):
    answer = client.post("/password/forgotten", data={"identifier": "  "})
    assert answer.status_code == 422
    assert "Skriv ditt användarnamn eller din e-postadress." in answer.text
    assert mails_to("Karin.Ek@example.se") == []


def test_an_address_two_logins_share_finds_neither_but_a_username_does(client, parent):
    """The review: a child's own login made with the parent's address; the
    parent typing that address was sent a link to the child's login too (and
    with it the child's portal: an address protected identity hides)."""
    teen = make_patient(make_clinic(), first_name="Ebbe", last_name="Ek")
    make_user("patient", username="ebbe.ek", email="karin.ek@example.se",
              patients=[teen])  # fmt: skip

    assert SAME_ANSWER in ask(client, "karin.ek@example.se").text

    assert mails_to("Karin.Ek@example.se") == mails_to("karin.ek@example.se") == []
    ask(client, "vh.ek")
    assert len(mails_to("Karin.Ek@example.se")) == 1


def test_no_more_than_three_links_a_day(client, parent, monkeypatch):
    """Ten minutes apart all day long would be 144 mails (the review)."""
    from sesamlike.accounts import forgotten_password

    monkeypatch.setattr(forgotten_password, "RESEND_MINUTES", 0)
    for _ in range(5):
        ask(client, "vh.ek")
    assert len(mails_to("Karin.Ek@example.se")) == 3


def test_the_answer_names_the_links_hours(client, parent):
    from sesamlike.accounts.password_links import PASSWORD_LINK_HOURS

    assert f"i {PASSWORD_LINK_HOURS} timmar" in ask(client, "vh.ek").text
