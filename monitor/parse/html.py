"""HTML listing pages read with CSS selectors from the source's options.  [beautifulsoup4]"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from bs4 import BeautifulSoup
from bs4.element import Tag

from ..errors import ParseError
from ..text import MAX_TEXT, parse_date
from ..types import Item, Parsed, Source
from .common import canonical_url, iso_utc, item_id

_SPACE = re.compile(r"\s+")
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*>")


def _text(node: Tag | None) -> str:
    return _SPACE.sub(" ", node.get_text(" ")).strip() if node is not None else ""


def _select(entry: Tag, selector: str | None) -> Tag | None:
    if not selector:
        return None
    return entry.select_one(selector)


def _date(node: Tag | None) -> str | None:
    if node is None:
        return None
    inner = node.find("time", datetime=True)
    if isinstance(inner, Tag) and node.name != "time":
        node = inner
    for attr in ("datetime", "content", "data-date"):
        value = node.get(attr)
        when = parse_date(value) if isinstance(value, str) else None
        if when is not None:
            return iso_utc(when)
    return iso_utc(parse_date(_text(node)))


SELECTOR_OPTIONS = ("item", "title", "link", "date", "summary")


def selector_problems(source: Source) -> list[str]:
    """Return what is wrong with the source's CSS selectors (empty when all compile)."""
    probe = BeautifulSoup("<p></p>", "lxml")
    problems = []
    for key in SELECTOR_OPTIONS:
        selector = source.options.get(key)
        if selector is None:
            continue
        try:
            probe.select_one(str(selector))
        except Exception as e:  # soupsieve raises its own SelectorSyntaxError
            problems.append(f"options.{key}: bad CSS selector {selector!r}: "
                            f"{str(e).splitlines()[0]}")
    return problems


def parse(source: Source, body: bytes, headers: dict[str, str], url: str) -> Parsed:
    """Return one item per element matching ``options.item``; links resolved against the page."""
    opts = source.options
    head = body[:2048].lstrip()
    if head.startswith(b"{") or head.startswith(b"["):
        raise ParseError(source.id, "expected an HTML page, got JSON")
    # An XML declaration makes bs4 warn that XML is parsed as HTML; the listing is HTML.
    soup = BeautifulSoup(_XML_DECLARATION.sub(b"", body, count=1), "lxml")
    base = url
    base_tag = soup.find("base", href=True)
    if isinstance(base_tag, Tag):
        base = urljoin(url, str(base_tag["href"]))
    try:
        entries = soup.select(opts["item"])
    except Exception as e:  # soupsieve raises its own SelectorSyntaxError
        raise ParseError(source.id, f"bad CSS selector {opts['item']!r}: {e}") from e
    if not entries:
        raise ParseError(source.id, f"selector {opts['item']!r} matched nothing: the page "
                         "changed or is not the listing")
    items: list[Item] = []
    notes: list[str] = []
    for entry in entries:
        title_node = _select(entry, opts.get("title")) or entry
        link_node = _select(entry, opts.get("link", "a[href]")) or entry.find("a", href=True)
        href = link_node.get("href") if isinstance(link_node, Tag) else None
        link = canonical_url(urljoin(base, str(href))) if href else ""
        title = _text(title_node)
        if not title and not link:
            continue
        summary = _text(_select(entry, opts.get("summary")))
        guid = link or title
        items.append(Item(
            id=item_id(source.id, guid),
            source_id=source.id,
            guid=guid,
            url=link,
            title=title[:1000] or link,
            summary=summary[:MAX_TEXT],
            published=_date(_select(entry, opts.get("date"))),
            kind=source.kind,
            extra={},
        ))
    if len(items) < len(entries):
        notes.append(f"{len(entries) - len(items)} entries without title or link skipped")
    return Parsed(items=tuple(_unique(items)), notes=tuple(notes))


def _unique(items: list[Item]) -> list[Item]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item.id not in seen:
            seen.add(item.id)
            out.append(item)
    return out
