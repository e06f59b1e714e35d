"""Logging in and out in a real browser, for every role, in Swedish and English."""

from __future__ import annotations

import pytest

from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

ROLE_NAMES = {
    "prescriber": "Förskrivare",
    "patient": "Patient",
    "guardian": "Vårdnadshavare",
    "depot": "Hjälpmedelscentral",
    "manager": "Verksamhetschef",
    "region": "Regional uppföljning",
    "admin": "Administratör",
}


def make_role_user(role: str):
    return factories.make_role_user(role, username=f"e2e-{role}")


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("role", list(ROLE_NAMES))
def test_each_role_logs_in_sees_its_role_and_logs_out(page, role):
    make_role_user(role)

    log_in(page, f"e2e-{role}")

    assert page.url.endswith("/")
    lead = page.locator("main .lead")
    assert f"Du är inloggad som {ROLE_NAMES[role].lower()}." in lead.inner_text()
    assert page.get_by_role("heading", level=1).inner_text() == f"Välkommen, e2e-{role}"

    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_load_state()
    assert "/login" in page.url
    assert "Du är utloggad." in page.locator(".flashes").inner_text()
    page.goto("/")
    assert "/login" in page.url, "the start page needs a login again after logout"


def test_start_page_screenshot(page, screenshot):
    make_role_user("prescriber")
    log_in(page, "e2e-prescriber")
    assert "Du är inloggad som förskrivare." in page.locator("main").inner_text()
    assert screenshot(page).exists()


def test_wrong_password_shows_the_swedish_error(page):
    make_role_user("depot")

    log_in(page, "e2e-depot", "not-the-password")

    assert "/login" in page.url
    assert "Fel användarnamn eller lösenord." in page.locator(".flashes").inner_text()
    assert page.get_by_role("button", name="Logga ut").count() == 0


def test_login_page_switches_to_english(page):
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "sv"

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()

    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Log in").is_visible()
    assert page.get_by_label("Username").is_visible()
    assert page.get_by_label("Password").is_visible()
    assert page.get_by_role("button", name="Svenska").is_visible()


def test_start_page_switches_to_english_and_back(page):
    make_role_user("admin")
    log_in(page, "e2e-admin")

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert "You are logged in as administrator." in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Log out").is_visible()

    page.get_by_role("button", name="Svenska").click()
    page.wait_for_load_state()
    assert "Du är inloggad som administratör." in page.locator("main").inner_text()


def test_english_chosen_before_login_is_kept_after_login(page):
    make_role_user("admin")
    page.goto("/login")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    page.get_by_label("Username").fill("e2e-admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert "You are logged in as administrator." in page.locator("main").inner_text()


def test_login_page_fits_a_360_px_screen(mobile_page, screenshot):
    mobile_page.goto("/login")

    widths = mobile_page.evaluate(
        "() => [document.documentElement.scrollWidth,"
        " document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"horizontal scroll: {widths}"
    assert mobile_page.get_by_role("button", name="Logga in").is_visible()
    screenshot(mobile_page)


def test_login_form_without_its_csrf_token_is_refused(page):
    """The live server checks CSRF, unlike the unit-test client."""
    make_role_user("region")
    page.goto("/login")
    page.locator("main input[name=csrf_token]").evaluate("el => el.remove()")
    page.get_by_label("Användarnamn").fill("e2e-region")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state()
    assert "Du är inloggad som" not in page.locator("main").inner_text()
    page.goto("/")
    assert "/login" in page.url
