"""The noise chart: inline SVG of the debate's daily relevant items and its events' noise.

Two drawings of the same numbers: a wide one (720 units) and a narrow one (360 units) that
the page shows below 640 px, so that its text stays at least 11 px on a 390 px phone (one SVG
scaled down to a phone would shrink 11-unit text to 5.5 px). Each has both axes (items a
day on the left, noise 0-100 on the right), dated ticks, a legend of the levels and the
loudest events named beside their dots. Built from numbers and our own labels; event names
are escaped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from html import escape

from ..types import EventRow, Report, times

LEVELS = ("quiet", "normal", "elevated", "loud", "surge")
_COLORS = {"quiet": "#9aa5b1", "normal": "#4c78a8", "elevated": "#f2a541", "loud": "#e4572e",
           "surge": "#b10f2e"}
INK, MUTED, GRID = "#1f2328", "#57606a", "#d0d7de"
MIN_BAR = 3.0  # a day with items but none relevant still shows its (quiet) colour


@dataclass(frozen=True)
class Layout:
    """One drawing's size, in SVG units, and how much it says."""

    width: int
    height: int
    font: int
    peaks: int  # events named
    name_chars: int
    css: str


WIDE = Layout(720, 300, 13, 5, 30, "chart chart-wide")
NARROW = Layout(360, 330, 12, 3, 22, "chart chart-narrow")


def noise_chart(report: Report) -> str:
    """Return the chart twice, wide and narrow (the page's CSS shows one)."""
    return draw(report, WIDE) + draw(report, NARROW)


def short_name(e: EventRow, limit: int) -> str:
    """Return an event's name for a label: its order number, else its title, shortened."""
    eo = next((i for i in e.identifiers if i.startswith("EO ")), None)
    if eo:
        return eo
    title = " ".join(e.score.title.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def _ticks(start: int, end: int, most: int) -> list[tuple[int, str]]:
    """Return dated ticks (ordinal, label) on the first of a month, every 1, 3, 6, 12 or 24
    months, as many as fit (at most ``most``)."""
    first, last = date.fromordinal(start), date.fromordinal(end)
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    step = next((s for s in (1, 3, 6, 12, 24, 60) if months / s <= most), 120)
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        if (m - 1) % min(step, 12) == 0 and (step < 12 or y % (step // 12) == 0):
            d = date(y, m, 1)
            if start <= d.toordinal() <= end:
                out.append((d.toordinal(), f"{y}" if step >= 12 else f"{y}-{m:02d}"))
        m += 1
        if m > 12:
            y, m = y + 1, 1
    return out


def _text(x: float, y: float, s: str, size: int, anchor: str = "start", fill: str = MUTED,
          weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" '
            f'text-anchor="{anchor}" font-weight="{weight}" '
            f'font-family="Arial, sans-serif">{escape(s)}</text>')


def _legend(lay: Layout) -> tuple[list[str], float]:
    """Return the legend's parts (level swatches and the event dot), flowing into rows, and
    the height it takes."""
    parts: list[str] = []
    x, y, f = 8.0, lay.font + 4.0, lay.font
    entries = [(lv, _COLORS[lv], "rect") for lv in LEVELS] + [("event noise", INK, "dot")]
    for name, color, shape in entries:
        w = 16 + len(name) * f * 0.58 + 12
        if x + w > lay.width - 4:
            x, y = 8.0, y + f + 8
        if shape == "rect":
            parts.append(f'<rect x="{x:.1f}" y="{y - f + 2:.1f}" width="11" height="11" '
                         f'fill="{color}"/>')
        else:
            parts.append(f'<circle cx="{x + 5.5:.1f}" cy="{y - f / 2 + 2.5:.1f}" r="4.5" '
                         f'fill="{color}" fill-opacity="0.75"/>')
        parts.append(_text(x + 16, y, name, f, fill=INK))
        x += w
    return parts, y + 10


def draw(report: Report, lay: Layout) -> str:
    """Return one SVG drawing of the report's days and events at the given layout."""
    days = list(report.daily)
    events = [(e.score.date, e) for e in report.events]
    points = [d for d, *_ in days] + [d for d, _ in events]
    title = ("Noise over time: bars are relevant items a day, coloured by that day's Noise "
             "Level; dots are events' noise (0-100)")
    head = (f'<svg role="img" aria-label="{escape(title)}" class="{lay.css}" '
            f'xmlns="http://www.w3.org/2000/svg" ')
    if not points:
        return (head + f'viewBox="0 0 {lay.width} 40">'
                + _text(8, 24, "No data yet", lay.font, fill=INK) + "</svg>")
    f = lay.font
    parts, top = _legend(lay)
    left, right = 8 + f * 2.4, 8 + f * 2.4
    bottom = lay.height - (f * 2 + 12)
    plot_top = top + f + 6
    start, end = min(points).toordinal(), max(points).toordinal()
    span = max(end - start, 1)
    inner_w, inner_h = lay.width - left - right, bottom - plot_top
    most = max([rel for _, rel, _, _ in days] or [1]) or 1

    def x(d: date | int) -> float:
        o = d if isinstance(d, int) else d.toordinal()
        return left + (o - start) / span * inner_w

    def y_items(n: float) -> float:
        return bottom - n / most * inner_h * 0.7

    def y_noise(n: float) -> float:
        return bottom - n / 100 * inner_h

    out = [head + f'viewBox="0 0 {lay.width} {lay.height}">', f"<title>{escape(title)}</title>",
           *parts]
    # axes: items a day (left), noise (right), time (bottom) with dated ticks
    out.append(f'<line x1="{left:.1f}" y1="{bottom:.1f}" x2="{left + inner_w:.1f}" '
               f'y2="{bottom:.1f}" stroke="{MUTED}" stroke-width="1"/>')
    out.append(f'<line x1="{left:.1f}" y1="{plot_top:.1f}" x2="{left:.1f}" y2="{bottom:.1f}" '
               f'stroke="{MUTED}" stroke-width="1"/>')
    out.append(f'<line x1="{left + inner_w:.1f}" y1="{plot_top:.1f}" x2="{left + inner_w:.1f}" '
               f'y2="{bottom:.1f}" stroke="{MUTED}" stroke-width="1"/>')
    for n in sorted({0, most // 2, most}):
        out.append(_text(left - 4, y_items(n) + f / 3, str(n), f, "end"))
    for n in (0, 50, 100):
        yy = y_noise(n)
        out.append(f'<line x1="{left:.1f}" y1="{yy:.1f}" x2="{left + inner_w:.1f}" '
                   f'y2="{yy:.1f}" stroke="{GRID}" stroke-width="0.6" stroke-dasharray="3 3"/>')
        out.append(_text(left + inner_w + 4, yy + f / 3, str(n), f))
    out.append(_text(left - 4, plot_top - 6, "items/day", f, "start"))
    out.append(_text(left + inner_w + 4, plot_top - 6, "noise", f, "end"))
    for o, label in _ticks(start, end, max(2, int(inner_w // (f * 5)))):
        out.append(f'<line x1="{x(o):.1f}" y1="{bottom:.1f}" x2="{x(o):.1f}" '
                   f'y2="{bottom + 4:.1f}" stroke="{MUTED}" stroke-width="1"/>')
        out.append(_text(x(o), bottom + f + 4, label, f, "middle"))
    out.append(_text(left, lay.height - 4, times.day(date.fromordinal(start)), f))
    out.append(_text(left + inner_w, lay.height - 4, times.day(date.fromordinal(end)), f,
                     "end"))
    bar = max(MIN_BAR, inner_w / span * 0.8)
    for d, rel, total, level in days:
        h = max(bottom - y_items(rel), MIN_BAR if total else 0.0)
        out.append(f'<rect x="{x(d) - bar / 2:.1f}" y="{bottom - h:.1f}" width="{bar:.1f}" '
                   f'height="{h:.1f}" fill="{_COLORS.get(level, _COLORS["normal"])}">'
                   f"<title>{times.day(d)}: {rel} of {total} item{'s' * (total != 1)} relevant, "
                   f"{escape(level)}</title></rect>")
    for d, e in events:
        noise = e.score.noise
        out.append(f'<circle cx="{x(d):.1f}" cy="{y_noise(noise):.1f}" r="4.5" fill="{INK}" '
                   f'fill-opacity="0.75"><title>{times.day(d)}, noise {noise:.0f}: '
                   f"{escape(e.score.title[:160])}</title></circle>")
    out.extend(_peak_labels(events, lay, x, y_noise, left, left + inner_w, plot_top))
    out.append("</svg>")
    return "".join(out)


def _peak_labels(events: list[tuple[date, EventRow]], lay: Layout,
                 x: Callable[[date], float], y_noise: Callable[[float], float],
                 lo: float, hi: float, top: float) -> list[str]:
    """Return the loudest events' names beside their dots, moved down where they would
    overlap one already placed."""
    f = lay.font
    placed: list[tuple[float, float, float]] = []  # (x0, x1, y) of each label
    out = []
    loudest = sorted(events, key=lambda de: (-de[1].score.noise, de[1].score.event_id))[: lay.peaks]
    for d, e in loudest:
        name = short_name(e, lay.name_chars)
        w = len(name) * f * 0.56
        cx, cy = x(d), y_noise(e.score.noise)
        x0 = min(max(cx - w / 2, lo), hi - w)
        yy = max(cy - 8, top + f)
        while any(a < x0 + w and x0 < b and abs(py - yy) < f + 2 for a, b, py in placed):
            yy += f + 3
        placed.append((x0, x0 + w, yy))
        out.append(_text(x0, yy, name, f, fill=INK, weight="bold"))
    return out
