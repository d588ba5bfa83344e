"""The noise chart: an inline SVG of the debate's daily relevant items and its events' noise."""

from __future__ import annotations

from datetime import date
from html import escape

from ..types import Report

WIDTH, HEIGHT, PAD = 720, 220, 32
_COLORS = {"quiet": "#9aa5b1", "normal": "#4c78a8", "elevated": "#f2a541", "loud": "#e4572e",
           "surge": "#b10f2e"}


def noise_chart(report: Report) -> str:
    """Return an SVG: one bar per day (relevant items, coloured by Noise Level) and one dot
    per event (its noise, 0..100), over the report's whole span. Built from numbers only."""
    days = [(date.fromisoformat(d), rel, lvl) for d, rel, _, lvl in report.daily]
    events = [(date.fromisoformat(e.date), e.noise, e.title) for e in report.events]
    points = [d for d, _, _ in days] + [d for d, _, _ in events]
    title = "Noise over time: bars are relevant items a day, dots are events' noise (0-100)"
    if not points:
        return (f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} 40" '
                f'xmlns="http://www.w3.org/2000/svg"><text x="8" y="24" font-size="13">'
                "No data yet</text></svg>")
    start, end = min(points).toordinal(), max(points).toordinal()
    span = max(end - start, 1)
    top = max([rel for _, rel, _ in days] or [1]) or 1
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD

    def x(d: date) -> float:
        return PAD + (d.toordinal() - start) / span * inner_w

    bar = max(2.0, inner_w / span * 0.8)
    parts = [f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'xmlns="http://www.w3.org/2000/svg" class="chart">',
             f"<title>{escape(title)}</title>",
             f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
             'stroke="#999" stroke-width="1"/>']
    for d, rel, level in days:
        h = rel / top * inner_h * 0.6
        parts.append(f'<rect x="{x(d) - bar / 2:.1f}" y="{HEIGHT - PAD - h:.1f}" '
                     f'width="{bar:.1f}" height="{h:.1f}" fill="{_COLORS.get(level, "#4c78a8")}">'
                     f"<title>{d.isoformat()}: {rel} relevant, {escape(level)}</title></rect>")
    for d, noise, name in events:
        y = HEIGHT - PAD - noise / 100 * inner_h
        parts.append(f'<circle cx="{x(d):.1f}" cy="{y:.1f}" r="4" fill="#222" '
                     f'fill-opacity="0.7"><title>{d.isoformat()} noise {noise:.0f}: '
                     f"{escape(name[:120])}</title></circle>")
    parts.append(f'<text x="{PAD}" y="{HEIGHT - 8}" font-size="11" fill="#555">'
                 f"{date.fromordinal(start).isoformat()}</text>")
    parts.append(f'<text x="{WIDTH - PAD}" y="{HEIGHT - 8}" font-size="11" fill="#555" '
                 f'text-anchor="end">{date.fromordinal(end).isoformat()}</text>')
    parts.append(f'<text x="{PAD}" y="{PAD - 10}" font-size="11" fill="#555">noise 100</text>')
    parts.append("</svg>")
    return "".join(parts)
