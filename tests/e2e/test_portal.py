"""The patient portal in a real browser at 360 px, and axe-core on every page.

A guardian logs in on a phone, picks the child, reorders infusion sets and finds
the order in the history. axe-core (bundled by the PyPI package
axe-playwright-python, nothing downloaded at run time) checks the login page and
every portal page against WCAG 2.1 A/AA and best practice; serious or critical
violations fail the test. Figures go to test-artifacts/axe-portal.json.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from tests.e2e.test_login import log_in
from tests.factories import make_delivery
from tests.portal_data import TODAY, make_region

pytestmark = pytest.mark.e2e

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = {"serious", "critical"}


def no_horizontal_scroll(page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth,"
        " document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"horizontal scroll at {page.url}: {widths}"


def test_guardian_picks_the_child_reorders_and_sees_the_order(mobile_page, screenshot):
    region = make_region()
    make_delivery(region.child, region.rx_child, TODAY - timedelta(days=20), packs=3)
    page = mobile_page
    log_in(page, "anna")

    page.get_by_role("link", name="Mina barn").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Välj barn"
    assert "skyddade personuppgifter" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Välj Sara Ek").count() == 0
    no_horizontal_scroll(page)
    screenshot(page, "1-choose")

    page.get_by_role("button", name="Välj Olle Ek").click()
    page.wait_for_load_state()
    main = page.locator("main")
    assert "Du gör ärenden för Olle Ek." in main.inner_text()
    assert "3 av 4" not in main.inner_text()  # nothing withdrawn in the portal yet
    no_horizontal_scroll(page)
    screenshot(page, "2-my-aids")

    page.get_by_role("link", name="Beställ förbrukningsartiklar").click()
    page.wait_for_load_state()
    infusion = page.get_by_label("Quick-set 9 mm")
    # Delivered 20 days ago, lasts 70 days more: not ticked for a tap.
    assert not infusion.is_checked()
    assert "Räcker ungefär till" in page.locator("main").inner_text()
    infusion.check()
    page.get_by_label("Hem till Olle med posten").check()
    page.get_by_label("Portkod (om det finns)").fill("1917")
    no_horizontal_scroll(page)
    screenshot(page, "3-reorder")
    page.get_by_role("button", name="Granska beställningen").click()
    page.wait_for_load_state()

    assert page.get_by_role("heading", level=1).inner_text() == "Granska beställningen"
    summary = page.locator("main").inner_text()
    assert "3 förp. Quick-set 9 mm" in summary and "Portkod 1917" in summary
    no_horizontal_scroll(page)
    screenshot(page, "4-summary")
    page.get_by_role("button", name="Skicka beställningen").click()
    page.wait_for_load_state()

    assert (
        "Tack! Vi har tagit emot din beställning."
        in page.locator(".flashes").inner_text()
    )
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading.startswith("Beställning ")
    order_no = heading.split()[-1]
    no_horizontal_scroll(page)
    screenshot(page, "5-order")

    page.get_by_role("link", name="Tillbaka till hjälpmedlen för Olle").click()
    page.wait_for_load_state()
    history = page.locator("#orders-heading + ul").inner_text()
    assert f"Beställning {order_no}" in history
    assert "Beställd, packas" in history and "Levererad" in history
    assert "3 av 4" in page.locator("main").inner_text()  # one withdrawal used
    no_horizontal_scroll(page)
    screenshot(page, "6-history")


def test_keyboard_alone_chooses_a_child_with_a_visible_focus(mobile_page):
    make_region()
    page = mobile_page
    page.goto("/login")
    page.get_by_label("Användarnamn").focus()  # where autofocus puts a person
    page.keyboard.type("anna")
    page.keyboard.press("Tab")
    page.keyboard.type("correct-horse-1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Välkommen" in page.locator("h1").inner_text()
    page.goto("/portal/choose")
    target = page.get_by_role("button", name="Välj Olle Ek")
    for _ in range(20):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("the choose button cannot be reached with Tab")
    outline = target.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline == "solid", "focus must be visible"
    # Wait for the choice's navigation itself: wait_for_load_state alone can
    # return while the choose page is still the one shown (CI saw it once).
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Du gör ärenden för Olle Ek." in page.locator("main").inner_text()


def run_axe(page, name: str, figures: dict) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = (
        Axe()
        .run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        .response
    )
    by_impact: dict[str, int] = {}
    blocking = []
    for violation in result["violations"]:
        impact = violation.get("impact") or "none"
        by_impact[impact] = by_impact.get(impact, 0) + 1
        if impact in BLOCKING:
            targets = [node["target"] for node in violation["nodes"]][:3]
            blocking.append(f"{name}: {violation['id']} ({impact}) {targets}")
    figures["pages"][name] = {
        "url": page.url,
        "rules_passed": len(result["passes"]),
        "violations": by_impact,
        "violation_ids": sorted(v["id"] for v in result["violations"]),
        "incomplete": len(result["incomplete"]),
    }
    return blocking


def test_axe_finds_no_serious_or_critical_violations_on_portal_pages(
    mobile_page, request
):
    region = make_region()
    make_delivery(region.patient, region.rx_infusion, TODAY - timedelta(days=20), 3)
    region.rx_reservoir.withdrawals_used = 1
    region.rx_reservoir.last_withdrawal_on = TODAY
    from sesamlike.extensions import db

    db.session.commit()
    page = mobile_page
    figures: dict = {"axe": None, "tags": AXE_TAGS, "pages": {}}
    problems: list[str] = []

    def check(name: str) -> None:
        page.wait_for_load_state()
        problems.extend(run_axe(page, name, figures))

    page.goto("/login")
    check("login")
    page.get_by_role("button", name="English").click()
    check("login (English)")
    page.get_by_role("button", name="Svenska").click()
    page.wait_for_load_state()

    log_in(page, "ella")
    check("start (patient)")
    page.goto("/portal/")
    check("my aids (patient)")
    page.goto(f"/portal/prescriptions/{region.rx_infusion.id}")
    check("prescription")
    page.goto("/portal/order")
    check("reorder")
    page.get_by_label("Postnummer").fill("4")
    page.get_by_role("button", name="Granska beställningen").click()
    check("reorder with errors")
    page.get_by_label("Postnummer").fill("41101")
    page.get_by_role("button", name="Granska beställningen").click()
    check("summary")
    page.get_by_role("button", name="Skicka beställningen").click()
    check("order")
    page.goto("/portal/orders")
    check("all orders")
    page.get_by_role("button", name="English").click()
    page.goto("/portal/")
    check("my aids (English)")
    page.get_by_role("button", name="Svenska").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_load_state()

    log_in(page, "anna")
    page.goto("/portal/choose")
    check("choose child (guardian, protected child listed)")
    page.get_by_role("button", name="Välj Olle Ek").click()
    check("my aids (guardian)")

    figures["axe"] = page.evaluate("() => window.axe && window.axe.version")
    totals = {"pages": len(figures["pages"]), "violations": {}}
    for facts in figures["pages"].values():
        for impact, n in facts["violations"].items():
            totals["violations"][impact] = totals["violations"].get(impact, 0) + n
    figures["totals"] = totals
    folder = Path(request.config.rootpath) / "test-artifacts"
    folder.mkdir(exist_ok=True)
    (folder / "axe-portal.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))
    assert not problems, "\n".join(problems)


def test_every_link_and_button_on_my_aids_is_a_24_px_target(mobile_page):
    """WCAG 2.2 target size (minimum): 24 by 24 CSS px, "Logga ut" included."""
    region = make_region()
    make_delivery(region.patient, region.rx_infusion, TODAY - timedelta(days=100), 3)
    page = mobile_page
    log_in(page, "ella")
    page.goto("/portal/")
    small = page.evaluate(
        """() => [...document.querySelectorAll('a, button')]
            .filter(el => el.offsetParent !== null)
            .map(el => [el.innerText.trim(), el.getBoundingClientRect()])
            .filter(([, box]) => box.height < 24 || box.width < 24)
            .map(([text, box]) => `${text}: ${box.width}x${box.height}`)"""
    )
    assert small == [], small
    alert = page.get_by_role("alert")
    assert "Tog slut för 10 dagar sedan." in alert.inner_text()


def test_patient_opts_out_of_reminders_on_a_phone(mobile_page):
    region = make_region()
    page = mobile_page
    log_in(page, "ella")
    page.get_by_role("link", name="Påminnelser").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Påminnelser"
    page.get_by_label("Skicka inga påminnelser om att beställa").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Spara").click()
    assert (
        "Du får inga fler påminnelser om att beställa."
        in page.locator("main").inner_text()
    )
    assert page.get_by_label("Skicka inga påminnelser om att beställa").is_checked()
    no_horizontal_scroll(page)
    from sesamlike.extensions import db
    from sesamlike.patients.models import ReminderPreference

    db.session.expire_all()
    assert db.session.get(ReminderPreference, region.patient.id).opted_out
