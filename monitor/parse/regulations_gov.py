"""regulations.gov API v4 (JSON:API) document lists, e.g. one docket's documents."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import ParseError
from ..text import html_to_text, parse_date
from ..types import Item, Parsed, Source
from .common import canonical_url, iso_utc, item_id, read_json

_KEEP = ("documentType", "subtype", "docketId", "frDocNum", "commentEndDate",
         "commentStartDate", "postedDate", "lastModifiedDate", "objectId", "agencyId")


def _next_page(url: str, meta: dict[str, Any]) -> str | None:
    if not meta.get("hasNextPage"):
        return None
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    number = int(query.get("page[number]", "1")) + 1
    if number > 20:  # the API serves pages 1..20 only (sources.md C.2)
        return None
    query["page[number]"] = str(number)
    return urlunsplit(parts._replace(query=urlencode(query)))


def parse(source: Source, body: bytes, headers: dict[str, str], url: str) -> Parsed:
    """Return the documents of one JSON:API page and the next page's URL."""
    data = read_json(source, body, "regulations.gov")
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        error = data.get("error") if isinstance(data, dict) else None
        raise ParseError(source.id, f"not a regulations.gov list: {error or 'no data list'}")
    items = []
    for doc in data["data"]:
        if not isinstance(doc, dict) or not doc.get("id"):
            continue
        attrs = doc.get("attributes") or {}
        doc_id = str(doc["id"])
        extra = {k: attrs[k] for k in _KEEP if attrs.get(k) not in (None, "")}
        items.append(Item(
            id=item_id(source.id, doc_id, readable=True),
            source_id=source.id,
            guid=doc_id,
            url=canonical_url(f"https://www.regulations.gov/document/{doc_id}"),
            title=html_to_text(attrs.get("title")) or doc_id,
            summary="",
            published=iso_utc(parse_date(attrs.get("postedDate"))),
            kind=source.kind,
            extra=extra,
        ))
    meta = data.get("meta") or {}
    total = meta.get("totalElements")
    return Parsed(items=tuple(items), next_url=_next_page(url, meta),
                  total=total if isinstance(total, int) else None)
