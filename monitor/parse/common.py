"""Helpers every parser shares: canonical URLs, stable ids, ISO UTC timestamps, JSON bodies."""

from __future__ import annotations

import hashlib
import json
import re
import time
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import ParseError
from ..types import Source

# Query parameters that only track the reader; dropped from canonical URLs.
_TRACKING = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_ga|_gl|igshid|yclid|"
    r"cmpid|ocid|sr_share|smid|spm|_hsenc|_hsmi|mkt_tok|ref_src|ref_url|taid)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """Return the URL without tracking parameters, fragment or default port; host lowercased."""
    url = (url or "").strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port and _DEFAULT_PORTS.get(scheme) != port:
        host = f"{host}:{port}"
    if parts.username:
        host = f"{parts.username}@{host}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _TRACKING.match(k)]
    path = parts.path or ("/" if host else "")
    return urlunsplit((scheme, host, path, urlencode(sorted(query)), ""))


def item_id(source_id: str, key: str, readable: bool = False) -> str:
    """Return a stable item id: the source id and the key (or a short hash of it)."""
    if readable and re.fullmatch(r"[A-Za-z0-9._-]{1,40}", key):
        return f"{source_id}:{key}"
    return f"{source_id}:{hashlib.sha1(key.encode('utf-8')).hexdigest()[:16]}"


def iso_utc(value: datetime | date | time.struct_time | None) -> str | None:
    """Return an ISO 8601 UTC timestamp, or None."""
    if value is None:
        return None
    if isinstance(value, time.struct_time):
        try:
            value = datetime(*value[:6], tzinfo=UTC)
        except (ValueError, OverflowError):
            return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(microsecond=0).isoformat()
    return datetime(value.year, value.month, value.day, tzinfo=UTC).isoformat()


def looks_like_html(body: bytes) -> str | None:
    """Return the page title (or 'an HTML page') when the body is an HTML document, else None."""
    head = body[:4096].lstrip().lower()
    if not (head.startswith(b"<!doctype html") or head.startswith(b"<html")
            or b"<html" in head[:512] or b"<body" in head):
        return None
    m = re.search(rb"<title[^>]*>(.*?)</title>", body[:65536], re.IGNORECASE | re.DOTALL)
    if m:
        title = " ".join(m.group(1).decode("utf-8", "replace").split())
        if title:
            return f"an HTML page titled '{title[:80]}'"
    return "an HTML page"


def read_json(source: Source, body: bytes, api: str, hint: str = "") -> Any:
    """Return a JSON API's decoded body; raise ParseError naming an HTML page (a block page,
    a wrong URL) or invalid JSON."""
    page = looks_like_html(body)
    if page:
        raise ParseError(source.id, f"expected JSON from {api}, got {page}{hint}")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise ParseError(source.id, f"not valid JSON: {e}") from e
