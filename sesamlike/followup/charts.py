"""Charts as server-side SVG: no JavaScript, no third-party code, works offline.

Each chart is an <svg role="img"> with a <title> and a text description; the
numbers are always in a table next to it, so the chart adds a picture, not data.
Only presentation attributes are used (no style attributes, no scripts), so a
strict Content-Security-Policy allows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup, escape

from sesamlike.common.formatting import format_amount
from sesamlike.followup.stats import Summary

WIDTH = 720
LABEL_WIDTH = 190
RIGHT_MARGIN = 20
ROW = 30
AXIS = 34
BOX = "#7aa6d8"
LINE = "#1d3f6e"
MEAN = "#b3261e"
GRID = "#d0d7de"


def _money(value: Decimal | float) -> str:
    return format_amount(value, decimals=0)


def _nice_max(value: float) -> float:
    """A round upper bound for an axis: 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def _svg(height: int, title: str, description: str, body: list[str]) -> Markup:
    # In a box of its own that scrolls sideways on a phone (app.css gives the
    # picture a least width): scaled to 360 px its labels were 6 px high.
    head = (
        f'<div class="chart-wrap"><svg xmlns="http://www.w3.org/2000/svg" '
        f'class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" font-family="sans-serif" '
        f'font-size="12"><title>{escape(title)}</title>'
        f"<desc>{escape(description)}</desc>"
    )
    return Markup(head + "".join(body) + "</svg></div>")


def _tick_anchor(i: int, last: int) -> str:
    """The last tick's label ends at its tick, inside the chart: centred, a
    six-figure amount ("200 000") ran past the right edge and was cut."""
    return "end" if i == last else "middle"


def _x_axis(top: int, maximum: float, unit: str) -> list[str]:
    plot = WIDTH - LABEL_WIDTH - RIGHT_MARGIN
    parts = []
    for i in range(5):
        value = maximum * i / 4
        x = LABEL_WIDTH + plot * i / 4
        parts.append(
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{top}" stroke="{GRID}"/>'
            f'<text x="{x:.1f}" y="{top + 16}" text-anchor="{_tick_anchor(i, 4)}">'
            f"{escape(_money(value))}</text>"
        )
    parts.append(
        f'<text x="{WIDTH - RIGHT_MARGIN}" y="{top + 30}" text-anchor="end">'
        f"{escape(unit)}</text>"
    )
    return parts


def box_plot(
    rows: Sequence[tuple[str, Summary]], title: str, description: str, unit: str
) -> Markup:
    """One horizontal box per row: whiskers p10-p90, box p25-p75, median, mean."""
    if not rows:
        return Markup("")
    height = ROW * len(rows) + AXIS
    maximum = _nice_max(max(float(s.p90) for _, s in rows) * 1.05)
    plot = WIDTH - LABEL_WIDTH - RIGHT_MARGIN

    def x(value: Decimal) -> float:
        return LABEL_WIDTH + plot * min(float(value), maximum) / maximum

    body = _x_axis(ROW * len(rows), maximum, unit)
    for i, (label, s) in enumerate(rows):
        mid = ROW * i + ROW / 2
        short = label if len(label) <= 26 else label[:25] + "…"
        body.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{mid + 4:.1f}" text-anchor="end">'
            f"{escape(short)}</text>"
            f'<line x1="{x(s.p10):.1f}" y1="{mid:.1f}" x2="{x(s.p90):.1f}" '
            f'y2="{mid:.1f}" stroke="{LINE}"/>'
            f'<line x1="{x(s.p10):.1f}" y1="{mid - 6:.1f}" x2="{x(s.p10):.1f}" '
            f'y2="{mid + 6:.1f}" stroke="{LINE}"/>'
            f'<line x1="{x(s.p90):.1f}" y1="{mid - 6:.1f}" x2="{x(s.p90):.1f}" '
            f'y2="{mid + 6:.1f}" stroke="{LINE}"/>'
            f'<rect x="{x(s.p25):.1f}" y="{mid - 9:.1f}" '
            f'width="{max(x(s.p75) - x(s.p25), 1):.1f}" height="18" fill="{BOX}" '
            f'stroke="{LINE}"/>'
            f'<line x1="{x(s.median):.1f}" y1="{mid - 9:.1f}" x2="{x(s.median):.1f}" '
            f'y2="{mid + 9:.1f}" stroke="{LINE}" stroke-width="3"/>'
            f'<circle cx="{x(s.mean):.1f}" cy="{mid:.1f}" r="3.5" fill="{MEAN}"/>'
        )
    return _svg(height + 14, title, description, body)


def histogram(
    values: Sequence[Decimal], title: str, description: str, unit: str, bins: int = 20
) -> Markup:
    """Patients per cost interval, `bins` equal intervals from 0 to a round max."""
    if not values:
        return Markup("")
    maximum = histogram_max(max(values))
    counts = [0] * bins
    for value in values:
        counts[min(int(float(value) / maximum * bins), bins - 1)] += 1
    return histogram_of(maximum, counts, title, description, unit)


def histogram_max(largest: Decimal | float) -> float:
    """The histogram's upper bound for the largest value: a round one."""
    return _nice_max(float(largest))


def histogram_of(
    maximum: float, counts: Sequence[int], title: str, description: str, unit: str
) -> Markup:
    """The histogram of `counts` per equal interval from 0 to `maximum`."""
    if not any(counts):
        return Markup("")
    bins = len(counts)
    top, height = max(counts), 220
    left, plot = 50, WIDTH - 50 - RIGHT_MARGIN
    width = plot / bins
    body = [
        f'<line x1="{left}" y1="{height}" x2="{WIDTH - RIGHT_MARGIN}" '
        f'y2="{height}" stroke="{LINE}"/>',
        f'<text x="{left - 6}" y="12" text-anchor="end">{top}</text>',
        f'<text x="{left - 6}" y="{height}" text-anchor="end">0</text>',
    ]
    for i, count in enumerate(counts):
        bar = (height - 10) * count / top if top else 0
        body.append(
            f'<rect x="{left + i * width + 1:.1f}" y="{height - bar:.1f}" '
            f'width="{width - 2:.1f}" height="{bar:.1f}" fill="{BOX}" '
            f'stroke="{LINE}"><title>{escape(_money(maximum * i / bins))}–'
            f"{escape(_money(maximum * (i + 1) / bins))}: {count}</title></rect>"
        )
    for i in range(0, bins + 1, bins // 4):
        xpos = left + i * width
        body.append(
            f'<text x="{xpos:.1f}" y="{height + 16}" '
            f'text-anchor="{_tick_anchor(i, bins)}">'
            f"{escape(_money(maximum * i / bins))}</text>"
        )
    body.append(
        f'<text x="{WIDTH - RIGHT_MARGIN}" y="{height + 32}" text-anchor="end">'
        f"{escape(unit)}</text>"
    )
    return _svg(height + 40, title, description, body)


def bars(
    points: Sequence[tuple[str, Decimal]], title: str, description: str, unit: str
) -> Markup:
    """Horizontal bars, one per label (e.g. mean cost per year)."""
    if not points:
        return Markup("")
    maximum = _nice_max(max(float(v) for _, v in points) * 1.05)
    plot = WIDTH - LABEL_WIDTH - RIGHT_MARGIN
    body = _x_axis(ROW * len(points), maximum, unit)
    for i, (label, value) in enumerate(points):
        mid = ROW * i + ROW / 2
        body.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{mid + 4:.1f}" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{mid - 9:.1f}" '
            f'width="{plot * float(value) / maximum:.1f}" height="18" '
            f'fill="{BOX}" stroke="{LINE}"/>'
        )
    return _svg(ROW * len(points) + AXIS + 14, title, description, body)
