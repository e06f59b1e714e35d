"""The depot's and the channels' own page lists are navigation, styled as such.

The walkthrough: on every depot page "Saldo, Inleverans, Plocklista, ..." was a
plain bulleted list, and neither list showed which page one was on, though the
templates mark it with aria-current. The classes had no rules in app.css.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sesamlike

STATIC = Path(sesamlike.__file__).parent / "static" / "app.css"
TEMPLATES = Path(sesamlike.__file__).parent / "templates"


def rules(css: str) -> list[tuple[str, str]]:
    """(selector list, declarations) of every rule in `css` (no nesting)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return [
        (m.group(1).strip(), m.group(2))
        for m in re.finditer(r"([^{}]+)\{([^}]*)\}", css)
    ]


@pytest.mark.parametrize(
    ("template", "nav_class"),
    [("stock/_nav.html", "sub-nav"), ("channels/_nav.html", "subnav")],
)
def test_the_page_list_is_a_row_of_links_with_the_current_page_marked(
    template, nav_class
):
    assert f'class="{nav_class}"' in (TEMPLATES / template).read_text("utf-8")
    found = rules(STATIC.read_text("utf-8"))
    selector = f".{nav_class}"
    listed = [d for s, d in found if re.search(rf"{re.escape(selector)} ul\b", s)]
    assert any("list-style: none" in d for d in listed), listed
    current = [d for s, d in found
               if selector in s and 'aria-current="page"' in s]  # fmt: skip
    assert current, "no rule marks the current page"
