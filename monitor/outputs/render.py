"""Render Reports with Jinja2 templates; every HTML output passes through nh3.  [jinja2, nh3]

Text from sources is escaped by the templates (autoescape for HTML and XML, a Markdown escape
for Markdown), links are kept only when they are http(s), and the HTML body is then cleaned by
nh3 with an allowlist of the tags and attributes the templates use, so no script, event
handler or javascript:/data: URL from a source can survive.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import nh3
from markupsafe import Markup

from ..types import Report
from .chart import noise_chart

TEMPLATES = Path(__file__).resolve().parent / "templates"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")
LEVEL_ORDER = ("quiet", "normal", "elevated", "loud", "surge")
ALLOWED_TAGS = {"a", "p", "div", "span", "ul", "ol", "li", "h1", "h2", "h3", "h4", "strong",
                "em", "small", "table", "thead", "tbody", "tr", "th", "td", "section",
                "header", "footer", "main", "article", "nav", "time", "br", "code", "details",
                "summary", "abbr"}
ALLOWED_ATTRIBUTES = {"*": {"class", "id", "title"}, "a": {"href"}, "time": {"datetime"},
                      "td": {"colspan"}, "th": {"scope"}}


def safe_url(url: Any) -> str:
    """Return the URL when it is http(s), else an empty string."""
    text = str(url or "").strip()
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return ""
    return text if scheme in ("http", "https") else ""


def md(text: Any) -> str:
    """Return text safe inside Markdown: special characters escaped, one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text or "").split()))


def day(value: Any) -> str:
    """Return the date part of an ISO timestamp."""
    return str(value or "")[:10]


def human_day(value: Any) -> str:
    """Return 'March 27, 2024' from an ISO date."""
    try:
        d = datetime.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value or "")
    return f"{d:%B} {d.day}, {d.year}"


def label(value: Any) -> str:
    """Return 'interim final rule' from 'interim_final_rule'."""
    return str(value or "").replace("_", " ")


def trend(report: Report) -> str:
    """Return how the Noise Level moved over the last days: rising, falling or steady."""
    levels = [LEVEL_ORDER.index(lv) for _, lv, _ in report.noise_trend if lv in LEVEL_ORDER]
    if len(levels) < 2:
        return "no trend yet"
    earlier = sum(levels[:-1]) / len(levels[:-1])
    if levels[-1] > earlier + 0.5:
        return "rising"
    if levels[-1] < earlier - 0.5:
        return "falling"
    return "steady"


def _environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=autoescape,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    env.filters.update(safe_url=safe_url, md=md, day=day, human_day=human_day, label=label)
    env.tests["contains_topic"] = lambda topics, topic: topic in topics
    return env


_HTML = _environment(True)
_TEXT = _environment(False)


def sanitize(fragment: str) -> str:
    """Return an HTML fragment cleaned by nh3 to the templates' own tags and attributes."""
    return nh3.clean(fragment, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer",
                     strip_comments=True)


def _context(report: Report, **extra: Any) -> dict[str, Any]:
    return {"r": report, "trend": trend(report), **extra}


def digest_text(report: Report) -> str:
    """Return the digest as plain text."""
    return _TEXT.get_template("digest.txt.j2").render(_context(report))


def digest_markdown(report: Report) -> str:
    """Return the digest as Markdown."""
    return _TEXT.get_template("digest.md.j2").render(_context(report))


CHART_SLOT = '<div id="noise-chart"></div>'


def _page(template: str, report: Report) -> str:
    body = sanitize(_HTML.get_template(f"{template}.body.j2").render(_context(report)))
    # The chart is drawn from numbers only, after the cleaning (nh3 drops SVG).
    body = body.replace(CHART_SLOT, f'<div id="noise-chart">{noise_chart(report)}</div>', 1)
    return _HTML.get_template(f"{template}.html.j2").render(_context(report,
                                                                     body=Markup(body)))


def digest_html(report: Report) -> str:
    """Return the digest as a self-contained HTML document (email-safe)."""
    return _page("digest", report)


def page_html(report: Report) -> str:
    """Return the one-page story of the debate: no external resources."""
    return _page("page", report)


def atom(report: Report, feed_id: str, self_url: str | None = None) -> str:
    """Return an Atom feed of the report's events and signals."""
    return _HTML.get_template("feed.atom.j2").render(_context(
        report, feed_id=feed_id, self_url=safe_url(self_url),
        escape=html.escape))
