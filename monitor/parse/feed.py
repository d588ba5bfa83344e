"""RSS and Atom through feedparser, JSON Feed read here; from bytes with the response headers.

[feedparser] A DOCTYPE that declares entities is refused before feedparser sees the body: its
lenient fallback expands quadratic entity blow-ups into hundreds of megabytes. The check runs on
the raw bytes and on the text as feedparser will decode it (UTF-16/32, EBCDIC, a charset from
the HTTP header), so another encoding cannot smuggle the declarations past it. feedparser 6.0
does not read JSON Feed, so JSON bodies are read by ``_json_feed``.

A feed declared UTF-8 (or not declared, which XML reads as UTF-8) with a few invalid bytes is
decoded as UTF-8 with U+FFFD for those bytes: feedparser would instead fall back to a legacy
single-byte encoding and garble every valid non-ASCII character of the feed.
"""

from __future__ import annotations

import io
import json
import re
from html import escape
from typing import Any

import feedparser
from feedparser.encodings import convert_to_utf8

from ..errors import ParseError
from ..text import html_to_text, parse_date
from ..types import Item, Parsed, Source
from .common import canonical_url, iso_utc, item_id, looks_like_html

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._-]+)", re.IGNORECASE)
_UTF8_NAMES = {"utf-8", "utf8"}


def _declared_utf8(body: bytes, headers: dict[str, str]) -> bool:
    """Return True when nothing declares the body to be in an encoding other than UTF-8."""
    if body[:2] in (b"\xff\xfe", b"\xfe\xff") or body[:1] == b"\x00" or body[1:2] == b"\x00":
        return False  # UTF-16/32 by its byte order mark or layout
    charset = _CHARSET.search(headers.get("content-type", ""))
    if charset and charset.group(1).lower() not in _UTF8_NAMES:
        return False
    declared = _XML_ENCODING.match(body[:512])
    return not (declared and declared.group(1).decode().lower() not in _UTF8_NAMES)


def _repair_utf8(body: bytes, headers: dict[str, str]) -> tuple[bytes, str | None]:
    """Return the body with invalid UTF-8 replaced by U+FFFD, and a note, when it is UTF-8
    with a few bad bytes; else the body unchanged and None."""
    try:
        body.decode("utf-8")
        return body, None
    except UnicodeDecodeError:
        pass
    if not _declared_utf8(body, headers):
        return body, None
    text = body.decode("utf-8", "replace")
    invalid = text.count("\ufffd") - body.count("\ufffd".encode())
    valid = sum(1 for ch in text if ord(ch) > 0x7F and ch != "\ufffd")
    if invalid >= max(valid, 1):
        return body, None  # more like a legacy encoding mislabelled: feedparser's guess
    return text.encode("utf-8"), (f"{invalid} invalid UTF-8 byte sequence"
                                  f"{'s' if invalid != 1 else ''} replaced by U+FFFD; "
                                  "the rest of the feed read as UTF-8")


def _declares_entities(body: bytes, headers: dict[str, str] | None = None) -> bool:
    if _ENTITY_DECL.search(body):
        return True
    # What feedparser parses is the body converted to UTF-8 with these same headers.
    if _ENTITY_DECL.search(convert_to_utf8(dict(headers or {}), body, {})):
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
    summary = html_to_text(summary_html)
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


def _json_author(raw: Any) -> str | None:
    for a in ([raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else []):
        if isinstance(a, dict) and isinstance(a.get("name"), str) and a["name"].strip():
            return str(a["name"])
    return None


def _json_feed(source: Source, body: bytes) -> dict[str, Any] | None:
    """Return a JSON Feed as feedparser-like {feed, entries, version}; None if not JSON."""
    if not body[:256].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return None
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise ParseError(source.id, f"not a feed: a JSON body that is not valid JSON: {e}") from e
    version = data.get("version") if isinstance(data, dict) else None
    if not (isinstance(version, str) and "jsonfeed.org" in version
            and isinstance(data.get("items"), list)):
        raise ParseError(source.id, "not a feed: JSON, but not a JSON Feed "
                         "(no jsonfeed.org version and items list)")
    feed_author = _json_author(data.get("authors") or data.get("author"))
    entries = []
    for raw in data["items"]:
        if not isinstance(raw, dict):
            continue
        link = next((v for v in (raw.get("url"), raw.get("external_url"))
                     if isinstance(v, str) and v), "")
        text = raw.get("content_text")
        body_html = raw.get("content_html") or (escape(text) if isinstance(text, str) else "")
        entry: dict[str, Any] = {
            "id": str(raw["id"]) if raw.get("id") not in (None, "") else "",
            "link": link,
            "title": raw.get("title") if isinstance(raw.get("title"), str) else "",
            "summary": raw.get("summary") if isinstance(raw.get("summary"), str) else "",
            "content": [{"value": body_html}] if isinstance(body_html, str) and body_html
            else [],
            "published_parsed": parse_date(raw.get("date_published")),
            "updated_parsed": parse_date(raw.get("date_modified")),
            "author": _json_author(raw.get("authors") or raw.get("author")) or feed_author,
            "tags": [{"term": t} for t in raw.get("tags") or [] if isinstance(t, str)]
            if isinstance(raw.get("tags"), list) else [],
        }
        entries.append(entry)
    title = data.get("title") if isinstance(data.get("title"), str) else ""
    return {"feed": {"title": title}, "entries": entries, "version": "json1", "bozo": False}


def parse(source: Source, body: bytes, headers: dict[str, str], url: str) -> Parsed:
    """Return the entries of a feed; raise ParseError when the body is not a feed."""
    response_headers = {k: v for k, v in headers.items()
                        if k in ("content-type", "content-language", "content-location")}
    if _declares_entities(body, response_headers):
        raise ParseError(source.id, "refused: the feed's DOCTYPE declares entities "
                         "(entity expansion can blow up memory)")
    response_headers.setdefault("content-location", url)
    body, repaired = _repair_utf8(body, response_headers)
    result = _json_feed(source, body) or feedparser.parse(
        io.BytesIO(body), response_headers=response_headers, sanitize_html=True,
        # the links inside entry HTML go with the HTML (it becomes text); the entry's own
        # link and id are resolved against content-location either way
        resolve_relative_uris=False)
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
    notes: list[str] = [repaired] if repaired else []
    if result.get("bozo") and reason is not None:
        notes.append(f"feed is not well-formed, {len(items)} entries read anyway: "
                     f"{type(reason).__name__}: {str(reason)[:200]}")
    if len(items) < len(entries):
        notes.append(f"{len(entries) - len(items)} empty or repeated entries skipped")
    return Parsed(items=tuple(items), notes=tuple(notes))
