"""A diabetes nurse's day in a real browser: a readable prescriptions page at
desktop widths, a MiniMed 640G kit with one quantity changed, the first pump
ordered to the clinic, and the order found on the clinic's work list."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from sesamlike.catalog.models import Article
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from tests.e2e.test_login import log_in
from tests.factories import (
    ADULT_PNR,
    load_demo_catalogue,
    make_clinic,
    make_depot,
    make_lent_device,
    make_patient,
    make_prescription,
    make_user,
)

pytestmark = pytest.mark.e2e

# Boxes of every piece of text shown in <main>, one per line of text, with the
# text node it belongs to; and the page's scroll and client widths.
TEXT_BOXES = """() => {
  const boxes = [];
  const walker = document.createTreeWalker(
    document.querySelector("main"), NodeFilter.SHOW_TEXT);
  let index = 0;
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const holder = node.parentElement;
    const style = getComputedStyle(holder);
    if (style.visibility === "hidden" || style.display === "none") continue;
    // Not shown: read by screen readers only, or inside a closed <details>.
    if (holder.closest(".visually-hidden")) continue;
    const shut = holder.closest("details:not([open])");
    if (shut && !holder.closest("summary")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width < 1 || r.height < 1) continue;
      boxes.push({node: index, text: node.textContent.trim().slice(0, 40),
                  left: r.left, right: r.right, top: r.top, bottom: r.bottom});
    }
    index += 1;
  }
  const root = document.documentElement;
  return {boxes, scroll: root.scrollWidth, client: root.clientWidth};
}"""


# Every <select> in <main>: its chosen option's text and the room a closed select
# gives it (a closed select's scrollWidth says nothing: measure the text itself,
# in the select's font, less its padding and the drop-down arrow's ~24 px).
SELECT_TEXTS = """() => Array.from(
  document.querySelectorAll("main select")).map(sel => {
  const style = getComputedStyle(sel);
  const pen = document.createElement("canvas").getContext("2d");
  pen.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const text = sel.selectedIndex < 0 ? "" : sel.options[sel.selectedIndex].text;
  const room = sel.clientWidth - parseFloat(style.paddingLeft)
    - parseFloat(style.paddingRight) - 24;
  return {id: sel.id, text, width: pen.measureText(text).width, room};
})"""


def assert_selects_show_their_choice(page) -> int:
    """Each closed select shows the whole text of its chosen option."""
    measured = page.evaluate(SELECT_TEXTS)
    clipped = [
        f"{s['id']}: {s['text']!r} needs {s['width']:.0f} px of {s['room']:.0f}"
        for s in measured
        if s["width"] > s["room"]
    ]
    assert not clipped, f"selects cut their text: {clipped}"
    return len(measured)


def overlaps(a: dict, b: dict, slack: float = 1.0) -> bool:
    return (
        a["left"] < b["right"] - slack
        and b["left"] < a["right"] - slack
        and a["top"] < b["bottom"] - slack
        and b["top"] < a["bottom"] - slack
    )


def assert_readable(page) -> int:
    """No sideways scroll, no text outside the window, no two texts on each other."""
    measured = page.evaluate(TEXT_BOXES)
    assert measured["scroll"] <= measured["client"], (
        f"sideways scroll: {measured['scroll']} px wide in {measured['client']} px"
    )
    boxes = measured["boxes"]
    outside = [b["text"] for b in boxes if b["right"] > measured["client"] + 1]
    assert not outside, f"text beyond the right edge: {outside[:5]}"
    clashes = [
        (a["text"], b["text"])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a["node"] != b["node"] and overlaps(a, b)
    ]
    assert not clashes, f"overlapping text: {clashes[:5]}"
    return len(boxes)


@pytest.fixture
def nurse_world():
    load_demo_catalogue()
    make_depot("HMC", name="Hjälpmedelscentralen")
    clinic = make_clinic(
        "NORR",
        name="Diabetesmottagningen Norrstads sjukhus",
        street="Sjukhusvägen 1",
        postal_code="90185",
        city="Norrstad",
    )
    make_user(
        "prescriber", clinics=[clinic], username="e2e-ssk", first_time_prescriber=True
    )
    patient = make_patient(
        clinic,
        personal_id=ADULT_PNR,
        id_kind="personnummer",
        first_name="Nora",
        last_name="Löfgren",
    )
    return clinic, patient


def fill_prescriptions_page(patient) -> None:
    """A pump user's year: current, used-up and long-named prescriptions."""
    make_lent_device(patient, demo("100001"), "NG1234567H")
    for article_no, kw in (
        ("100101", {"packs_per_withdrawal": 3, "withdrawals_used": 1}),
        ("100201", {"packs_per_withdrawal": 3, "withdrawals_used": 4}),
        ("900001", {}),
        ("100301", {"reason_code": "medical", "reason_text": "Tappar locket ofta"}),
        ("500001", {"packs_per_withdrawal": 7}),
        ("100104", {"reason_code": "not_working", "reason_text": "Hudbesvär " * 12}),
    ):
        make_prescription(
            patient,
            demo(article_no),
            last_withdrawal_on=region_today() - timedelta(days=20),
            **kw,
        )


def demo(article_no: str) -> Article:
    return db.session.scalar(sa.select(Article).where(Article.article_no == article_no))


@pytest.mark.parametrize("width", ["page", "wide_page"], ids=["1280", "1920"])
def test_prescriptions_page_has_no_overlapping_text_and_no_sideways_scroll(
    request, nurse_world, width, screenshot
):
    page = request.getfixturevalue(width)  # 1280 or 1920 px wide
    _clinic, patient = nurse_world
    fill_prescriptions_page(patient)
    log_in(page, "e2e-ssk")
    page.goto(f"/patients/{patient.id}/prescriptions")
    assert page.locator("tbody tr").count() == 6
    assert assert_readable(page) > 50
    # Open every renew and cancel confirmation: still nothing on top of another.
    for summary in page.locator("td.rx-actions summary").all():
        summary.click()
    assert_readable(page)
    screenshot(page)


def test_nurse_prescribes_a_640g_kit_orders_the_pump_and_finds_it_on_the_work_list(
    page, nurse_world, screenshot
):
    _clinic, patient = nurse_world
    log_in(page, "e2e-ssk")

    # From the search to the overview, and on to the kit.
    page.goto("/patients")
    page.get_by_label("Sök patient").fill("lofgren")
    page.get_by_role("button", name="Sök").click()
    page.get_by_role("link", name="19900102-9801").click()
    assert (
        page.get_by_role("heading", level=1).inner_text() == "Översikt över hjälpmedel"
    )
    page.get_by_role("link", name="Förskriv ett helt system").click()
    page.get_by_label("System").select_option("MiniMed 640G")
    page.get_by_role("button", name="Visa förslaget").click()
    page.wait_for_load_state()

    # The proposal: pump 1 x 1, consumables from expected use.
    infusion = page.locator("fieldset.kit-line", has_text="Infusionsset")
    assert infusion.get_by_label("Artikel").input_value() == "100101"
    packs = infusion.get_by_label("Förpackningar per uttag")
    assert packs.input_value() == "3"
    pump = page.locator("fieldset.kit-line", has_text="Insulinpump")
    assert pump.get_by_label("Antal uttag").input_value() == "1"
    assert_readable(page)
    assert assert_selects_show_their_choice(page) >= 5
    screenshot(page, "kit")
    packs.fill("4")  # this patient changes sets more often
    page.get_by_role("button", name="Spara förskrivningarna").click()
    page.wait_for_load_state()
    assert (
        "4 förskrivningar för MiniMed 640G är sparade."
        in page.locator(".flashes").inner_text()
    )
    row = page.locator("tbody tr", has_text="Quick-set infusionsset")
    assert "4 × 4" in row.inner_text()

    # Order the pump: its first pump goes to the clinic.
    page.get_by_role("link", name="Ny beställning").click()
    assert page.get_by_label("Till mottagningen").is_checked()
    page.get_by_label("MiniMed 640G insulinpump").check()
    page.get_by_label("Hem med post").check()
    page.get_by_role("button", name="Skicka beställningen").click()
    page.wait_for_load_state()
    assert "första pump eller CGM-avläsare" in page.locator("main").inner_text()
    page.get_by_label("Till mottagningen").check()
    page.get_by_role("button", name="Skicka beställningen").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Beställningen är mottagen"
    )

    # The work list: the pump waits for stock at the aids centre.
    page.get_by_role("link", name="Arbetslistor").click()
    page.get_by_role("link", name="Restnoterade").click()
    listed = page.locator("tbody tr", has_text="MiniMed 640G insulinpump")
    assert "Nora Löfgren" in listed.inner_text()
    assert "Restnoterad, väntar på varor" in listed.inner_text()
    assert "Till mottagningen" in listed.inner_text()
    assert_readable(page)
    # The filter button stands on the line of the selects beside it.
    button = page.locator("form.filters").get_by_role("button", name="Visa")
    selects = page.locator("form.filters select").all()
    bottoms = {
        round(box["y"] + box["height"])
        for box in [button.bounding_box()] + [s.bounding_box() for s in selects]
    }
    assert max(bottoms) - min(bottoms) <= 1, bottoms
    screenshot(page, "worklist")

    # And the patient's overview says the same.
    listed.get_by_role("link", name="Nora Löfgren").click()
    text = page.locator("main").inner_text()
    assert "Restnoterad, väntar på varor" in text and "MiniMed 640G" in text
    assert_readable(page)
    screenshot(page, "overview")
