"""RSS, Atom and JSON Feed through feedparser, from bytes with the response headers. [feedparser]

A DOCTYPE that declares entities is refused before feedparser sees the body: its lenient
fallback expands quadratic entity blow-ups into hundreds of megabytes.
"""

from __future__ import annotations

import io
import re
from typing import Any

import feedparser

from ..errors import ParseError
from ..types import Item, Parsed, Source
from .common import canonical_url, iso_utc, item_id, looks_like_html
from .html import MAX_TEXT, html_to_text

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)


def _declares_entities(body: bytes) -> bool:
    if _ENTITY_DECL.search(body):
        return True
    head = body[:2]
    if head in (b"\xff\xfe", b"<\x00"):
        codec = "utf-16-le"
    elif head in (b"\xfe\xff", b"\x00<"):
        codec = "utf-16-be"
    else:
        return False
    return "<!entity" in body.decode(codec, "ignore").lower()


def _first(entry: Any, *keys: str) -> Any:
    for key in keys:
        value = entry.get(key)
        if value:
            return value
    return None


def _item(source: Source, entry: Any, feed_title: str) -> Item | None:
    link = entry.get("link") or ""
    if not link:
        for candidate in entry.get("links") or []:
            if candidate.get("href"):
                link = candidate["href"]
                break
    url = canonical_url(link) if link.startswith(("http://", "https://")) else ""
    title = html_to_text(entry.get("title"))[:1000]
    content = entry.get("content") or []
    summary_html = entry.get("summary") or (content[0].get("value") if content else "")
    summary = html_to_text(summary_html)[:MAX_TEXT]
    published = iso_utc(_first(entry, "published_parsed", "updated_parsed", "created_parsed"))
    guid = str(entry.get("id") or url or "").strip()
    if not guid:
        if not title and not summary:
            return None
        guid = f"{title}|{published or ''}|{summary[:200]}"
    extra: dict[str, Any] = {"feed_title": feed_title} if feed_title else {}
    if entry.get("author"):
        extra["author"] = html_to_text(entry["author"])[:200]
    tags = [t.get("term") for t in entry.get("tags") or [] if t.get("term")]
    if tags:
        extra["tags"] = [html_to_text(t)[:100] for t in tags[:20]]
    return Item(
        id=item_id(source.id, guid),
        source_id=source.id,
        guid=guid[:2000],
        url=url,
        title=title or url or "(untitled)",
        summary=summary,
        published=published,
        kind=source.kind,
        extra=extra,
    )


def parse(source: Source, body: bytes, headers: dict[str, str], url: str) -> Parsed:
    """Return the entries of a feed; raise ParseError when the body is not a feed."""
    if _declares_entities(body):
        raise ParseError(source.id, "refused: the feed's DOCTYPE declares entities "
                         "(entity expansion can blow up memory)")
    response_headers = {k: v for k, v in headers.items()
                        if k in ("content-type", "content-language", "content-location")}
    response_headers.setdefault("content-location", url)
    result = feedparser.parse(io.BytesIO(body), response_headers=response_headers,
                              sanitize_html=True, resolve_relative_uris=True)
    entries = result.get("entries") or []
    reason = result.get("bozo_exception")
    if not entries:
        page = looks_like_html(body)
        if page:
            raise ParseError(source.id, f"expected a feed, got {page}")
        if result.get("bozo"):
            raise ParseError(source.id, f"not a readable feed: {reason}")
        if not result.get("version"):
            raise ParseError(source.id, "not a feed (no RSS, Atom or JSON Feed root element)")
    feed_title = html_to_text(result.get("feed", {}).get("title"))[:300]
    items: list[Item] = []
    seen: set[str] = set()
    for entry in entries:
        item = _item(source, entry, feed_title)
        if item is not None and item.id not in seen:
            seen.add(item.id)
            items.append(item)
    notes: list[str] = []
    if result.get("bozo") and reason is not None:
        notes.append(f"feed is not well-formed, {len(items)} entries read anyway: "
                     f"{type(reason).__name__}: {str(reason)[:200]}")
    if len(items) < len(entries):
        notes.append(f"{len(entries) - len(items)} empty or repeated entries skipped")
    return Parsed(items=tuple(items), notes=tuple(notes))
