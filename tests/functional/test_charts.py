"""The report's charts keep every axis label inside the picture."""

from __future__ import annotations

import re
from decimal import Decimal

from sesamlike.followup import charts
from sesamlike.followup.stats import summarise

# Sans-serif digits at 12 px are about 7 px wide; a space a little less.
DIGIT_PX = 7


def labels_past_the_edge(svg: str) -> list[str]:
    out = []
    for x, anchor, text in re.findall(
        r'<text x="([\d.]+)"[^>]*text-anchor="(\w+)">([^<]*)</text>', svg
    ):
        width = len(text) * DIGIT_PX
        right = float(x) + {"start": width, "middle": width / 2, "end": 0}[anchor]
        if right > charts.WIDTH:
            out.append(text)
    return out


def test_a_six_figure_axis_is_not_cut_at_the_right_edge(app):
    costs = [Decimal(v) for v in ("12000", "48000", "95000", "180000")]
    with app.test_request_context():
        box = charts.box_plot([("Omnipod 5", summarise(costs))], "t", "d", "kr")
        histogram = charts.histogram(costs, "t", "d", "kr")
    assert "200\u00a0000" in box  # the axis goes to 200 000
    assert labels_past_the_edge(box) == []
    assert labels_past_the_edge(histogram) == []
