"""Render Reports with Jinja2 templates; every HTML output passes through nh3.  [jinja2, nh3]

Text from sources is made safe by ``monitor.safe``, one function per medium: every value the
Atom template writes passes ``safe.xml`` (no character XML forbids, controls shown escaped),
every value of the text and Markdown templates ``safe.terminal`` (no raw control or bidi
override reaches a reader's terminal), Markdown link text and targets ``safe.markdown`` and
``safe.markdown_url``. HTML is autoescaped, links are kept only when they are http(s), and
the HTML body is then cleaned by nh3 with an allowlist of the tags and attributes the
templates use, so no script, event handler or javascript:/data: URL from a source can survive.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import nh3
from markupsafe import Markup

from .. import safe
from ..types import Report, SignalRow, times, when_text
from . import brief
from .chart import noise_chart

TEMPLATES = Path(__file__).resolve().parent / "templates"
LEVEL_ORDER = ("quiet", "normal", "elevated", "loud", "surge")
ALLOWED_TAGS = {"a", "p", "div", "span", "ul", "ol", "li", "h1", "h2", "h3", "h4", "strong",
                "em", "small", "table", "thead", "tbody", "tr", "th", "td", "section",
                "header", "footer", "main", "article", "nav", "time", "br", "code", "details",
                "summary", "abbr"}
ALLOWED_ATTRIBUTES = {"*": {"class", "id", "title"}, "a": {"href"}, "time": {"datetime"},
                      "td": {"colspan"}, "th": {"scope"}}


safe_url = safe.url
md = safe.markdown


def day(value: Any) -> str:
    """Return the ``YYYY-MM-DD`` day of a date, a datetime or an ISO timestamp."""
    return times.day(value or None)


def human_day(value: Any) -> str:
    """Return 'March 27, 2024' from a date or datetime (or ISO text; other text as it is)."""
    if isinstance(value, date):
        return times.human_day(value)
    try:
        return times.human_day(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value or "")


def iso(value: Any) -> str:
    """Return a date or datetime as ISO 8601 text (Atom's dates)."""
    return times.iso(value) or ""


def label(value: Any) -> str:
    """Return 'interim final rule' from 'interim_final_rule'."""
    return str(value or "").replace("_", " ")


def plural(n: Any, word: str, many: str | None = None) -> str:
    """Return '1 item', '3 items' (or the plural given)."""
    return brief.plural(int(n), word, many)


def pct(value: Any) -> str:
    """Return a share 0..1 as a percentage: '12%', '0.5%'."""
    v = float(value or 0) * 100
    return f"{v:.0f}%" if v >= 10 or v == 0 else f"{v:.1f}%"


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


def _strings(clean: Callable[[Any], str]) -> Callable[[Any], Any]:
    """Return a Jinja finalize hook applying ``clean`` to every string a template writes."""

    def finalize(value: Any) -> Any:
        if isinstance(value, Markup) or not isinstance(value, str):
            return value  # our own, already safe markup; numbers
        return clean(value)

    return finalize


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Return Jinja's cache of compiled templates (a private folder of this user's in the
    temporary directory, keyed by each template's checksum), or None when it cannot be made:
    compiling the digest's templates is a tenth of a second of every run."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


_CACHE = _bytecode_cache()


def _environment(autoescape: bool, clean: Callable[[Any], str] | None = None
                 ) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=autoescape,
        bytecode_cache=_CACHE,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, finalize=_strings(clean) if clean else None)
    env.filters.update(safe_url=safe_url, md=md, md_url=safe.markdown_url, day=day,
                       human_day=human_day, iso=iso, label=label, plural=plural, pct=pct,
                       when=when_text)
    env.tests["contains_topic"] = lambda topics, topic: topic in topics
    return env


_HTML = _environment(True)
_XML = _environment(True, safe.xml)
_TEXT = _environment(False, lambda value: safe.terminal(value, one_line=False))


def sanitize(fragment: str) -> str:
    """Return an HTML fragment cleaned by nh3 to the templates' own tags and attributes."""
    return nh3.clean(fragment, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer",
                     strip_comments=True)


SIDE_NAMES = {"restrict": "For restriction", "open": "For open release",
              "neutral": "Evaluating"}
SIDE_WANTS = {"restrict": "impose, propose or urge restrictions on releasing model weights",
              "open": "revoke restrictions, defend open release or urge not to restrict",
              "neutral": "ask for comment, study or report without taking a side"}
KEY_EVENTS, OFFICIAL, NEW_EVENTS = 10, 15, 15  # how many each list shows before "N more"
FORECAST = 10  # forecast statements shown before "N more: monitor outlook"


def _context(report: Report, **extra: Any) -> dict[str, Any]:
    return {"r": report, "trend": trend(report), "side_names": SIDE_NAMES,
            "side_wants": SIDE_WANTS, "key_n": KEY_EVENTS, "official_n": OFFICIAL,
            "new_n": NEW_EVENTS, "badges": dict(report.badges),
            "keypoints_n": brief.KEY_POINTS, "forecast_n": FORECAST, **extra}


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
    """Return an Atom feed: one entry per event (its sources listed inside), and one per
    document for relevant items not (yet) in an event; a self link when its URL is given."""
    loose: dict[str, SignalRow] = {}  # relevant items in no event: one entry per document
    for s in report.signals:
        if not s.event:
            loose.setdefault(s.document, s)
    return _XML.get_template("feed.atom.j2").render(_context(
        report, feed_id=feed_id, self_url=safe_url(self_url), loose=list(loose.values()),
        escape=html.escape))
