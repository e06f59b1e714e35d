"""Switching language while a form is half filled keeps what was typed.

The header's Svenska/English button reloads the page in the other language;
app.js carries the typed fields across (sessionStorage, never a URL, never a
password) and fills them in again.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_login import log_in
from tests.portal_data import make_region

pytestmark = pytest.mark.e2e

# Every value the page's script writes to sessionStorage, told on the console.
SPY_ON_STORAGE = """
(() => {
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (key, value) {
    console.log("stored " + key + " " + value);
    return setItem.call(this, key, value);
  };
})();
"""


def spy_on_storage(page) -> list[str]:
    stored: list[str] = []
    page.context.add_init_script(SPY_ON_STORAGE)
    page.on(
        "console",
        lambda message: (
            stored.append(message.text) if message.text.startswith("stored ") else None
        ),
    )
    return stored


def switch_to_english(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    page.wait_for_load_state()


def test_a_half_filled_reorder_form_survives_the_switch_to_english(page):
    region = make_region()
    stored = spy_on_storage(page)
    log_in(page, "ella")
    page.goto(f"/portal/order?rx={region.rx_reservoir.id}")
    page.get_by_label(region.infusion.name).check()
    page.get_by_label("Portkod (om det finns)").fill("1917")
    page.get_by_label("Mobilnummer för avisering").fill("070-123 45 67")
    page.get_by_label("Gatuadress").fill("Storgatan 1 B")

    switch_to_english(page)

    assert page.url.endswith(f"/portal/order?rx={region.rx_reservoir.id}")
    assert page.get_by_role("button", name="Check the order").count() == 1
    door_code = page.get_by_label("Door code (if any)")
    assert door_code.input_value() == "1917"
    assert page.get_by_label("Mobile number for notification").input_value() == (
        "070-123 45 67"
    )
    assert page.get_by_label(region.infusion.name).is_checked()
    assert page.get_by_label(region.reservoir.name).is_checked()
    assert page.get_by_label("Street address").input_value() == "Storgatan 1 B"
    # Nothing went in a URL, and the copy is gone once used.
    assert "1917" not in page.url
    assert page.evaluate("() => sessionStorage.length") == 0
    assert any("1917" in text for text in stored)

    page.reload()
    assert page.get_by_label("Door code (if any)").input_value() != "1917"


def test_the_login_form_keeps_the_username_and_never_stores_the_password(page):
    make_region()
    stored = spy_on_storage(page)
    page.goto("/login")
    page.get_by_label("Användarnamn").fill("ella")
    page.get_by_label("Lösenord").fill("hemligt-lösen-42")

    switch_to_english(page)

    assert page.get_by_label("Username").input_value() == "ella"
    assert page.get_by_label("Password").input_value() == ""
    assert stored and not any("hemligt" in text for text in stored)


def test_a_form_shown_with_its_faults_keeps_what_was_sent_across_the_switch(page):
    """A page in answer to a form holds what was typed as the fields' own
    values: they come along too, on the form's page in the other language."""
    region = make_region()
    log_in(page, "ella")
    page.goto(f"/portal/order?rx={region.rx_infusion.id}")
    packs = page.get_by_label(re.compile("Antal förpackningar")).first
    name = packs.get_attribute("name")
    packs.fill("99")
    page.get_by_label("Portkod (om det finns)").fill("4321")
    with page.expect_navigation():
        page.get_by_role("button", name="Granska beställningen").click()
    assert "Beställningen är inte skickad" in page.locator("main").inner_text()

    switch_to_english(page)

    assert page.get_by_role("button", name="Check the order").count() == 1
    assert page.locator(f"input[name='{name}']").input_value() == "99"
    assert page.get_by_label("Door code (if any)").input_value() == "4321"
