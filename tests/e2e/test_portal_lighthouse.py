"""Issue 18: Lighthouse accessibility 100 on the portal at 360 px, guarded cheaply.

Lighthouse scores accessibility with axe-core rules: a page scores 100 when none of
the rules below finds anything, whatever the impact. These tests run the same
rules with the axe-core that axe-playwright-python bundles (nothing is downloaded)
on the login, "Mina hjälpmedel", reorder and access log pages at 360 px, for a
patient and a guardian, and add checks of their own in the page
(tests/e2e/a11y_checks.js): every control has a name, every target is at least
24 px, the text contrast, no sideways scrolling, lang and headings.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from sesamlike.accounts.models import AuditEvent
from sesamlike.extensions import db
from tests.e2e.test_login import log_in
from tests.factories import make_delivery
from tests.portal_data import TODAY, make_region

pytestmark = pytest.mark.e2e

# The audits of Lighthouse 12.8's accessibility category that axe-core decides
# (the ten "manual" ones are left to a person); an audit id is an axe rule id.
LIGHTHOUSE_RULES = [
    "accesskeys", "aria-allowed-attr", "aria-allowed-role", "aria-command-name",
    "aria-conditional-attr", "aria-deprecated-role", "aria-dialog-name",
    "aria-hidden-body", "aria-hidden-focus", "aria-input-field-name",
    "aria-meter-name", "aria-progressbar-name", "aria-prohibited-attr",
    "aria-required-attr", "aria-required-children", "aria-required-parent",
    "aria-roles", "aria-text", "aria-toggle-field-name", "aria-tooltip-name",
    "aria-treeitem-name", "aria-valid-attr-value", "aria-valid-attr", "button-name",
    "bypass", "color-contrast", "definition-list", "dlitem", "document-title",
    "duplicate-id-aria", "form-field-multiple-labels", "frame-title", "heading-order",
    "html-has-lang", "html-lang-valid", "html-xml-lang-mismatch", "image-alt",
    "image-redundant-alt", "input-button-name", "input-image-alt", "label",
    "link-in-text-block", "link-name", "list", "listitem", "meta-refresh",
    "meta-viewport", "object-alt", "select-name", "skip-link", "tabindex",
    "table-duplicate-name", "target-size", "td-headers-attr", "th-has-data-cells",
    "valid-lang", "video-caption", "empty-heading", "identical-links-same-purpose",
    "landmark-one-main", "label-content-name-mismatch", "table-fake-caption",
    "td-has-header",
]  # fmt: skip
CHECKS = (Path(__file__).parent / "a11y_checks.js").read_text(encoding="utf-8")


def problems_on(page, name: str) -> list[str]:
    """What Lighthouse's axe rules (any impact) and a11y_checks.js find on the page."""
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_load_state()
    options = {
        "runOnly": {"type": "rule", "values": LIGHTHOUSE_RULES},
        "resultTypes": ["violations"],
    }
    result = Axe().run(page, options=options).response
    found = [
        f"{name}: {v['id']} ({v.get('impact')}) {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]
    return found + [f"{name}: {problem}" for problem in page.evaluate(CHECKS)]


def log_events(patient, n: int) -> None:
    """n reads of the patient's data by staff: more than the access log's page of 50."""
    noon = datetime.combine(TODAY, time(12), tzinfo=UTC)
    for minutes in range(n):
        db.session.add(
            AuditEvent(
                role="depot", action="read", object_type="patient",
                patient_id=patient.id, at=noon - timedelta(minutes=minutes),
            )
        )  # fmt: skip
    db.session.commit()


def test_patient_pages_pass_lighthouse_accessibility_audits_at_360_px(mobile_page):
    region = make_region()
    # Ran out 10 days ago: "Mina hjälpmedel" opens with its alert.
    make_delivery(region.patient, region.rx_infusion, TODAY - timedelta(days=100), 3)
    log_events(region.patient, 60)
    page = mobile_page
    problems: list[str] = []

    page.goto("/login")
    problems += problems_on(page, "login")
    log_in(page, "ella", "wrong-password")
    assert "Fel användarnamn eller lösenord." in page.locator(".flashes").inner_text()
    problems += problems_on(page, "login, wrong password")

    log_in(page, "ella")
    page.goto("/portal/")
    assert page.get_by_role("alert").count() == 1
    problems += problems_on(page, "my aids")
    page.goto("/portal/order")
    problems += problems_on(page, "reorder")
    page.get_by_label("Postnummer").fill("4")
    page.get_by_role("button", name="Granska beställningen").click()
    page.wait_for_load_state()
    assert page.locator("main .error").count() >= 1
    problems += problems_on(page, "reorder with errors")
    page.goto("/portal/access-log")
    problems += problems_on(page, "access log, page 1")
    page.get_by_role("link", name="Äldre").click()
    problems += problems_on(page, "access log, page 2")

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    for path, name in [
        ("/portal/", "my aids (English)"),
        ("/portal/order", "reorder (English)"),
        ("/portal/access-log", "access log (English)"),
    ]:
        page.goto(path)
        problems += problems_on(page, name)
    assert not problems, "\n".join(problems)


def test_guardian_pages_pass_lighthouse_accessibility_audits_at_360_px(mobile_page):
    region = make_region()
    make_delivery(region.child, region.rx_child, TODAY - timedelta(days=20), packs=3)
    page = mobile_page
    problems: list[str] = []

    log_in(page, "anna")
    page.goto("/portal/choose")
    problems += problems_on(page, "choose a child")
    page.get_by_role("button", name="Välj Olle Ek").click()
    page.wait_for_load_state()
    assert "Du gör ärenden för Olle Ek." in page.locator("main").inner_text()
    for path, name in [
        ("/portal/", "my aids (guardian)"),
        ("/portal/order", "reorder (guardian)"),
        ("/portal/access-log", "access log (guardian)"),
    ]:
        page.goto(path)
        problems += problems_on(page, name)
    assert not problems, "\n".join(problems)


def test_access_log_pager_says_which_page_with_links_a_thumb_can_hit(mobile_page):
    region = make_region()
    log_events(region.patient, 60)
    page = mobile_page
    log_in(page, "ella")

    page.goto("/portal/access-log")
    pager = page.get_by_role("navigation", name="Sidor")
    assert "Sida 1 av 2" in pager.inner_text()
    older = pager.get_by_role("link", name="Äldre")
    box = older.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44, box
    older.click()
    page.wait_for_load_state()
    assert "Sida 2 av 2" in pager.inner_text()
    assert pager.get_by_role("link", name="Äldre").count() == 0
    newer = pager.get_by_role("link", name="Nyare")
    assert newer.bounding_box()["height"] >= 44

    # The guardian's child has a handful of events: one page, and no pager at all.
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_load_state()
    log_in(page, "anna")
    page.goto("/portal/choose")
    page.get_by_role("button", name="Välj Olle Ek").click()
    page.wait_for_load_state()
    page.goto("/portal/access-log")
    assert page.locator("tbody tr").count() < 50
    assert page.get_by_role("navigation", name="Sidor").count() == 0


def _ratio(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
                  for c in channels]  # fmt: skip
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# (text, background): the pairs the portal puts text on; 4.5:1 is WCAG AA.
KEY_PAIRS = [
    ("--ink", "--bg"), ("--ink", "--soft"), ("--muted", "--bg"), ("--muted", "--soft"),
    ("--brand", "--bg"), ("--brand", "--soft"), ("--brand-ink", "--brand"),
    ("--err", "--bg"), ("--err", "--soft"), ("--warn", "--bg"), ("--warn", "--soft"),
    ("--ok", "--bg"), ("--ok", "--soft"),
]  # fmt: skip


def test_key_colours_keep_their_contrast(mobile_page):
    page = mobile_page
    page.goto("/login")
    colours = page.evaluate(
        """() => Object.fromEntries(
            ['--ink', '--muted', '--bg', '--soft', '--brand', '--brand-ink', '--ok',
             '--warn', '--err', '--focus'].map(name => [name,
              getComputedStyle(document.documentElement).getPropertyValue(name).trim()]))"""
    )
    low = [
        f"{fg} on {bg}: {_ratio(colours[fg], colours[bg]):.2f}:1"
        for fg, bg in KEY_PAIRS
        if _ratio(colours[fg], colours[bg]) < 4.5
    ]
    # The focus ring (yellow outline, ink halo) must stand out 3:1 (WCAG 1.4.11)
    # on the blue header and, by its ink halo, on the white page.
    if _ratio(colours["--focus"], colours["--brand"]) < 3:
        low.append("--focus on --brand")
    if _ratio(colours["--ink"], colours["--bg"]) < 3:
        low.append("--ink halo on --bg")
    assert low == [], low
