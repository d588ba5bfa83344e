"""What an official source says of a document, typed: the Federal Register's fields, and
those of regulations.gov, reginfo.gov's OIRA reviews and congress.gov's bill actions.

Built from an item's source fields (``Item.extra``, as parsed and as stored in the items
table's JSON column) when the ``Item`` is made, so every reader past the parser sees typed
attributes (tuples, dates, a datetime) rather than string keys into a dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..text import parse_date, parse_day


@dataclass(frozen=True)
class Official:
    """An official document's own fields; empty (all None / ()) for news and feeds."""

    # Federal Register (sources.md A): the document and what it does
    document_number: str | None = None
    type: str | None = None  # "Rule", "Proposed Rule", "Notice", "Presidential Document"
    subtype: str | None = None  # "Executive Order" (FR); a regulations.gov subtype
    action: str | None = None  # "Final rule.", "Notice; request for comment."
    agencies: tuple[str, ...] = ()
    citation: str | None = None  # "89 FR 14059"; None while on public inspection
    filed_at: datetime | None = None  # on public inspection from (UTC)
    publication_date: date | None = None
    signing_date: date | None = None
    effective_on: date | None = None
    comments_close_on: date | None = None
    executive_order_number: str | None = None
    executive_order_notes: str = ""
    disposition_notes: str = ""  # "Revoked by: EO 14148, January 20, 2025"
    correction_of: str | None = None
    regulation_id_numbers: tuple[str, ...] = ()  # RINs
    # read when the abstract is empty (classify.documents): the FR `dates` paragraph, the
    # search `excerpts`, the plain-text URL, and the text the pipeline fetched from it
    dates: str | None = None
    excerpts: str | None = None
    raw_text_url: str | None = None
    full_text: str | None = None
    docket_ids: tuple[str, ...] = ()  # free text: "Docket No. 240216-0052", "BIS-2024-0047"
    # regulations.gov (sources.md C)
    document_type: str | None = None  # documentType: "Rule", "Proposed Rule", "Notice", ...
    # reginfo.gov: one OIRA EO 12866 review
    rin: str | None = None
    stage: str | None = None  # "Proposed Rule Stage", "Final Rule Stage"
    date_received: date | None = None
    date_completed: date | None = None
    decision: str | None = None
    # reginfo.gov: one Unified Agenda entry (an edition's record of a RIN)
    publication_id: str | None = None  # the edition's code: "202510"
    edition: str | None = None  # "Fall 2025"
    timetable: tuple[tuple[str, str], ...] = ()  # (action, "YYYY-MM-DD" or month "YYYY-MM")
    # congress.gov: one bill action
    bill: str | None = None  # "H.R. 8315"
    action_date: date | None = None
    action_text: str | None = None

    @property
    def draft(self) -> bool:
        """Return whether this is a public-inspection copy (filed, not yet published)."""
        return self.filed_at is not None and not self.citation

    @property
    def kind_of_document(self) -> str | None:
        """Return the document type the source gives (FR ``type``, else regulations.gov's)."""
        return self.type or self.document_type


NONE = Official()
_STRINGS = ("document_number", "type", "subtype", "action", "citation",
            "executive_order_number", "correction_of", "rin", "stage", "decision", "bill",
            "action_text", "publication_id", "edition", "dates", "excerpts", "raw_text_url",
            "full_text")
_NOTES = ("executive_order_notes", "disposition_notes")
_LISTS = ("agencies", "regulation_id_numbers", "docket_ids")
_DAYS = ("publication_date", "signing_date", "effective_on", "comments_close_on",
         "date_received", "date_completed", "action_date")
_RENAMED = {"documentType": "document_type"}
FIELDS = frozenset((*_STRINGS, *_NOTES, *_LISTS, *_DAYS, "filed_at", "timetable", *_RENAMED))


def official_of(extra: Mapping[str, Any]) -> Official:
    """Return the typed fields among a source's fields (values of the wrong shape dropped)."""
    if not extra or FIELDS.isdisjoint(extra):
        return NONE
    found: dict[str, Any] = {}
    for key in _STRINGS:
        value = _string(extra.get(key))
        if value is not None:
            found[key] = value
    for key, name in _RENAMED.items():
        value = _string(extra.get(key))
        if value is not None:
            found[name] = value
    for key in _NOTES:
        value = extra.get(key)
        if isinstance(value, str) and value:
            found[key] = value
    for key in _LISTS:
        found[key] = _strings(extra.get(key))
    for key in _DAYS:
        value = extra.get(key)
        if isinstance(value, str):
            found[key] = parse_day(value)
    filed = extra.get("filed_at")
    if isinstance(filed, str):
        found["filed_at"] = parse_date(filed)
    rows = extra.get("timetable")
    if isinstance(rows, list):
        found["timetable"] = tuple((str(r.get("action") or ""), str(r.get("date") or ""))
                                   for r in rows if isinstance(r, dict))
    return Official(**found)


def _string(value: Any) -> str | None:
    """Return a text or number field as text; None when missing, empty or not scalar."""
    if isinstance(value, bool) or not isinstance(value, str | int | float) or not value:
        return None
    return str(value)


def _strings(value: Any) -> tuple[str, ...]:
    """Return a list field (or a lone string) as a tuple of non-empty, stripped strings."""
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, list | tuple):
        return tuple(s for v in value if v is not None and (s := str(v).strip()))
    return ()
