"""Administration in a real browser: accounts, care relationships, guardians.

The password link travels as a real mail: the outbox's sender job delivers it to
the aiosmtpd server of tests/smtp.py, and the browser opens the link it carries.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date

import pytest

from sesamlike.common.mail import send_pending
from sesamlike.common.time import utcnow
from tests.e2e.conftest import fail_on_csp, watch_csp
from tests.e2e.test_login import log_in
from tests.factories import (
    ADULT_PNR,
    CHILD_PNR,
    make_clinic,
    make_patient,
    make_user,
)
from tests.smtp import smtp_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "blåbärssoppa vid vasaloppet"


@contextmanager
def second_browser(browser, live_server):
    """Another person at another computer: a browser context of their own."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 800},
        locale="sv-SE",
    )  # fmt: skip
    context.set_default_timeout(10_000)
    violations = watch_csp(context)
    try:
        yield context.new_page()
    finally:
        context.close()
    fail_on_csp(violations)


def mailed_link(smtp, address: str) -> str:
    send_pending(utcnow())
    [received] = smtp.to(address)
    return re.search(r"https?://\S+/password/\S+", received.body).group(0)


def choose_password(page, link: str) -> None:
    page.goto(link)
    page.get_by_label("Nytt lösenord").fill(NEW_PASSWORD)
    page.get_by_label("Upprepa lösenordet").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Spara lösenordet").click()
    page.wait_for_load_state()


def test_admin_creates_a_prescriber_who_chooses_a_password_and_logs_in(
    page,
    browser,
    live_server,
    smtp_server,  # noqa: F811
):
    make_clinic("BDM", name="Barndiabetesmottagningen")
    make_user("admin", username="admin")
    log_in(page, "admin")
    page.get_by_role("link", name="Användare").first.click()
    page.get_by_role("link", name="Nytt konto").click()
    page.get_by_label("Användarnamn").fill("siv.ny")
    page.get_by_label("Namn", exact=True).fill("Siv Ny")
    page.get_by_label("E-post").fill("siv@example.se")
    page.get_by_label("Roll").select_option("prescriber")
    page.get_by_label("BDM Barndiabetesmottagningen").check()
    page.get_by_label("Får göra nyförskrivning av pump och CGM").check()
    page.get_by_role("button", name="Skapa kontot och skicka länken").click()
    page.wait_for_load_state()
    flashes = page.locator(".flashes").inner_text()
    assert "Kontot siv.ny är skapat" in flashes and "siv@example.se" in flashes

    link = mailed_link(smtp_server, "siv@example.se")
    assert "lösenord" not in link
    with second_browser(browser, live_server) as siv:
        choose_password(siv, link)
        assert "Ditt lösenord är sparat" in siv.locator(".flashes").inner_text()
        log_in(siv, "siv.ny", NEW_PASSWORD)
        assert "Du är inloggad som förskrivare." in siv.locator("main").inner_text()


def test_a_password_reset_by_mail_through_the_smtp_server(
    page,
    browser,
    live_server,
    smtp_server,  # noqa: F811
):
    make_user("admin", username="admin")
    doc = make_user(
        "prescriber", clinics=[make_clinic("BDM")], username="doktor.dahl",
        email="doris@example.se",
    )  # fmt: skip
    log_in(page, "admin")
    page.goto(f"/admin/users/{doc.id}")
    page.get_by_role("button", name="Skicka länk för nytt lösenord").click()
    page.wait_for_load_state()
    assert (
        "En länk för att välja nytt lösenord har lagts i kö"
        in page.locator(".flashes").inner_text()
    )

    link = mailed_link(smtp_server, "doris@example.se")
    [received] = smtp_server.to("doris@example.se")
    assert received.message["Subject"] == "Välj ett nytt lösenord i Sesamlike"
    with second_browser(browser, live_server) as doris:
        choose_password(doris, link)
        log_in(doris, "doktor.dahl", NEW_PASSWORD)
        assert "Du är inloggad som förskrivare." in doris.locator("main").inner_text()
        doris.goto(link)  # a second use
        assert "redan använd eller för gammal" in doris.locator("main").inner_text()


def test_ending_a_care_relationship_takes_the_patient_from_the_prescriber_at_once(
    page, browser, live_server
):
    clinic = make_clinic("BDM", name="Barndiabetesmottagningen")
    ella = make_patient(clinic, personal_id=ADULT_PNR, first_name="Ella",
                        last_name="Ek")  # fmt: skip
    make_user("prescriber", clinics=[clinic], username="doktor.dahl")
    make_user("admin", username="admin")
    with second_browser(browser, live_server) as doc:
        log_in(doc, "doktor.dahl")
        doc.goto(f"/patients/{ella.id}")
        assert "Ella Ek" in doc.locator("main").inner_text()

        log_in(page, "admin")
        page.get_by_role("link", name="Patientkopplingar").first.click()
        page.get_by_label("Personnummer").fill("19900102-9801")
        page.get_by_role("button", name="Hämta patienten").click()
        page.wait_for_load_state()
        assert "9801" not in page.url and "Ella" not in page.content()
        # Two steps (the walkthrough: one click ended the only relationship).
        question = page.get_by_text(
            "Avsluta vårdrelationen med Barndiabetesmottagningen?"
        )
        assert not question.is_visible()
        page.get_by_text("Avsluta vårdrelationen", exact=True).click()
        assert question.is_visible()
        assert "Det är patientens enda pågående vårdrelation." in question.inner_text()
        doc.reload()
        assert "Ella Ek" in doc.locator("main").inner_text()  # nothing ended yet
        page.get_by_role("button", name="Ja, avsluta vårdrelationen").click()
        page.wait_for_load_state()
        assert "Vårdrelationen är avslutad." in page.locator(".flashes").inner_text()

        doc.reload()
        assert "Ella Ek" not in doc.locator("body").inner_text()
        assert "Sidan finns inte" in doc.locator("main").inner_text()


def test_a_removed_guardian_can_no_longer_act_for_the_child(page, browser, live_server):
    clinic = make_clinic("BDM", name="Barndiabetesmottagningen")
    olle = make_patient(clinic, personal_id=CHILD_PNR, first_name="Olle",
                        last_name="Ström", birth_date=date(2015, 12, 24))  # fmt: skip
    make_user("guardian", patients=[olle], username="anna")
    make_user("admin", username="admin")
    with second_browser(browser, live_server) as anna:
        log_in(anna, "anna")
        anna.goto("/portal/")
        assert "Olle" in anna.locator("main").inner_text()

        log_in(page, "admin")
        page.goto("/admin/patients")
        page.get_by_label("Personnummer").fill(CHILD_PNR)
        page.get_by_role("button", name="Hämta patienten").click()
        page.wait_for_load_state()
        assert "anna" in page.locator("main").inner_text()
        question = page.get_by_text("Ta bort vårdnadshavaren anna från barnet?")
        assert not question.is_visible()
        page.get_by_text("Ta bort vårdnadshavaren", exact=True).click()
        assert question.is_visible()
        page.get_by_role("button", name="Ja, ta bort vårdnadshavaren").click()
        page.wait_for_load_state()
        flashes = page.locator(".flashes").inner_text()
        assert "Vårdnadshavaren är borttagen från barnet." in flashes

        anna.goto("/portal/")
        assert "Olle" not in anna.locator("main").inner_text()


def test_deactivating_an_account_asks_before_it_acts(page, live_server):
    make_user("admin", username="admin")
    doc = make_user("prescriber", clinics=[make_clinic("BDM")], username="doktor.dahl",
                    email="doris@example.se")  # fmt: skip
    log_in(page, "admin")
    page.goto(f"/admin/users/{doc.id}")
    question = page.get_by_text("Vill du stänga av kontot doktor.dahl?")
    assert not question.is_visible()
    page.get_by_text("Stäng av kontot", exact=True).click()
    page.wait_for_load_state()
    assert question.is_visible()
    assert "Kontot är avstängt" not in page.locator("main").inner_text()
    assert page.locator(".badge-err", has_text="Avstängt").count() == 0
    page.get_by_role("button", name="Ja, stäng av kontot").click()
    page.wait_for_load_state()
    assert "Kontot är avstängt." in page.locator(".flashes").inner_text()
    assert page.get_by_role("button", name="Aktivera kontot igen").is_visible()


def test_the_patient_pages_clinic_list_shows_whole_clinic_names(page, live_server):
    """It read "NORR Diabetesmottagninge…": the select sat in a quarter of a
    filter row."""
    make_clinic("NORR", name="Diabetesmottagningen Norrstads sjukhus")
    ella = make_patient(make_clinic("BDM"), personal_id=ADULT_PNR)
    make_user("admin", username="admin")
    log_in(page, "admin")
    page.goto(f"/admin/patients/{ella.id}")
    select = page.get_by_label("Vårdenhet", exact=True)
    assert select.evaluate("el => el.options[el.selectedIndex].text") == (
        "NORR Diabetesmottagningen Norrstads sjukhus"
    )
    # The chosen name's width in the select's own font, against the room inside
    # it (its padding and the arrow, at most 2rem, taken off).
    text_width, room = select.evaluate(
        """el => {
            const style = getComputedStyle(el);
            const context = document.createElement("canvas").getContext("2d");
            context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
            const text = el.options[el.selectedIndex].text;
            const size = parseFloat(style.fontSize);
            const padding =
                parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
            const room = el.clientWidth - padding - 2 * size;
            return [context.measureText(text).width, room];
        }"""
    )
    assert text_width <= room, (text_width, room)
