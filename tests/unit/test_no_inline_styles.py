"""No template carries an inline style: the content security policy
(`style-src 'self'`) blocks every `style=` attribute and `<style>` block, and
the page loses that part of its layout. Styles belong in static/app.css."""

from __future__ import annotations

import re
from pathlib import Path

import sesamlike

TEMPLATES = Path(sesamlike.__file__).parent / "templates"
INLINE = re.compile(r"""<style\b|\sstyle\s*=""", re.IGNORECASE)


def inline_styles(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.html")):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if INLINE.search(line):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return found


def test_no_template_has_a_style_attribute_or_a_style_block():
    assert list(TEMPLATES.rglob("*.html"))
    assert inline_styles(TEMPLATES) == []


def test_the_scan_finds_both_kinds(tmp_path):
    (tmp_path / "a.html").write_text('<p class="x">ok</p>\n<div style="top:0">\n')
    (tmp_path / "b.html").write_text("<STYLE>p{}</STYLE>\n")
    assert inline_styles(tmp_path) == [
        'a.html:2: <div style="top:0">',
        "b.html:1: <STYLE>p{}</STYLE>",
    ]
