"""Federal Register API v1: documents.json searches and public-inspection lists.

Traps handled (sources.md A.3-A.6): an empty result has no ``results`` key; agencies can be
only ``{"raw_name": ...}``; docket ids are free text; ``excerpts`` hold HTML; a blocked client
gets an HTML "Request Access" page instead of JSON.
"""

from __future__ import annotations

from typing import Any

from .. import safe
from ..errors import ParseError
from ..text import html_to_text, parse_date
from ..types import Item, Parsed, Source
from .common import canonical_url, iso_utc, item_id, read_json

_KEEP = ("type", "subtype", "action", "dates", "citation", "comments_close_on", "effective_on",
         "html_url", "pdf_url", "publication_date", "signing_date", "executive_order_number",
         "filed_at", "filing_type", "num_pages", "public_inspection_pdf_url",
         "disposition_notes", "executive_order_notes", "correction_of", "raw_text_url")


def _decode(source: Source, body: bytes) -> Any:
    return read_json(source, body, "the Federal Register API", " (blocked or wrong URL)")


def _listed(raw: Any) -> list[Any]:
    """Return a JSON value as a list: a lone string or object is one element, not iterated."""
    if raw is None:
        return []
    return list(raw) if isinstance(raw, list | tuple) else [raw]


def _text(raw: Any) -> str | None:
    return raw if isinstance(raw, str) else None


def _count(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    return int(raw) if isinstance(raw, str) and raw.strip().isdigit() else None


def _agencies(raw: Any) -> list[str]:
    names: list[str] = []
    for a in _listed(raw):
        if isinstance(a, dict):
            name = a.get("name") or a.get("raw_name")
        else:
            name = str(a)
        if name and name not in names:
            names.append(str(name))
    return names


def _strings(raw: Any) -> list[str]:
    if raw is None:
        return []
    return [str(x).strip() for x in _listed(raw) if x is not None and str(x).strip()]


def _item(source: Source, doc: dict[str, Any]) -> Item | None:
    number = doc.get("document_number")
    if not number:
        return None
    number = str(number).strip()
    title = html_to_text(doc.get("title") or doc.get("toc_subject") or "") or f"FR Doc {number}"
    summary = html_to_text(doc.get("abstract") or doc.get("excerpts") or "")
    # On public inspection the document is public from filed_at, days before its
    # publication_date (kept in extra: "publishes on ..."); published is the former.
    filed = iso_utc(parse_date(_text(doc.get("filed_at"))))
    published = filed or iso_utc(parse_date(_text(doc.get("publication_date"))))
    url = safe.url(_text(doc.get("html_url"))) or f"https://www.federalregister.gov/d/{number}"
    extra: dict[str, Any] = {k: doc[k] for k in _KEEP if doc.get(k) not in (None, "", [])}
    extra["document_number"] = number
    extra["agencies"] = _agencies(doc.get("agencies"))
    extra["docket_ids"] = _strings(doc.get("docket_ids") or doc.get("docket_numbers"))
    extra["regulation_id_numbers"] = _strings(doc.get("regulation_id_numbers"))
    if doc.get("excerpts"):
        extra["excerpts"] = html_to_text(doc["excerpts"])
    return Item(
        id=item_id(source.id, number, readable=True),
        source_id=source.id,
        guid=number,
        url=canonical_url(url),
        title=title,
        summary=summary,
        published=published,
        kind=source.kind,
        extra=extra,
        earliest=filed,
    )


def parse(source: Source, body: bytes, headers: dict[str, str], url: str) -> Parsed:
    """Return the documents of one search page or public-inspection list, and the next page."""
    data = _decode(source, body)
    if not isinstance(data, dict):
        raise ParseError(source.id, "expected a JSON object from the Federal Register API")
    if "errors" in data or (isinstance(data.get("status"), int) and data["status"] >= 400):
        detail = data.get("errors") or data.get("message")
        raise ParseError(source.id, f"the API refused the query: {detail}")
    results = data.get("results")
    if results is None:
        if "count" in data:  # an empty result has no results key (sources.md A.3)
            return Parsed(items=(), total=_count(data.get("count")) or 0)
        raise ParseError(source.id, "not a Federal Register search response "
                         "(no 'results' and no 'count')")
    if not isinstance(results, list):
        raise ParseError(source.id, "'results' is not a list")
    items: list[Item] = []
    skipped = 0
    for doc in results:
        item = _item(source, doc) if isinstance(doc, dict) else None
        if item is None:
            skipped += 1
        else:
            items.append(item)
    notes = (f"{skipped} result(s) without a document_number skipped",) if skipped else ()
    return Parsed(
        items=tuple(items),
        next_url=_text(data.get("next_page_url")) or None,
        notes=notes,
        total=_count(data.get("count")),
    )


