"""reginfo.gov's keyless XML files, told apart by their root element:

- the EO 12866 regulatory review files: rules under OIRA review
  (``EO_RULES_UNDER_REVIEW.xml``) and reviews concluded (``EO_RULE_COMPLETED_30_DAYS.xml``,
  ``EO_RULE_COMPLETED_YTD.xml``), one ``<REGACT>`` per review inside
  ``<OIRA_DATA RUNDATE=...>``. Each review becomes an item keyed by RIN and date received, so
  a rule received again after a withdrawal is a new item;
- the Unified Agenda, one file per edition (``REGINFO_RIN_DATA_202510.xml`` is Fall 2025):
  ``<REGINFO_RIN_DATA>`` with one ``<RIN_INFO>`` per rule, its ``<TIMETABLE_LIST>`` of
  actions and dates ("NPRM" "11/00/2026": a projected month; "Final Action" "07/00/2026").
  Each rule becomes an item keyed by RIN and edition, its timetable in ``extra``.

Traps: reginfo answers an unknown file name with an HTML page and HTTP 200; a DOCTYPE before
the root element is refused (this XML never needs one, and entities could blow up), while the
agenda's abstracts are HTML pages, DOCTYPE included, inside CDATA: text, not markup.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from typing import Any

from ..errors import ParseError
from ..types import Item, Parsed, Source
from .common import item_id, looks_like_html

_FIELDS = ("AGENCY_CODE", "RIN", "TITLE", "STAGE", "ECONOMICALLY_SIGNIFICANT", "DATE_RECEIVED",
           "LEGAL_DEADLINE", "DATE_COMPLETED", "DECISION", "MAJOR", "DATE_PUBLISHED")
_RIN = re.compile(r"^\d{4}-[A-Z]{2}\d{2}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def parse(source: Source, body: bytes, headers: dict[str, str], url: str) -> Parsed:
    """Return one item per review record in an OIRA review XML file."""
    first = re.search(rb"<([A-Za-z_][\w.-]*)", body)
    prolog = body[:first.start()] if first else body
    if (first and first[1].lower() == b"html") or re.search(rb"<!DOCTYPE\s+html", prolog,
                                                            re.I):
        raise ParseError(source.id, f"expected reginfo.gov XML, got "
                         f"{looks_like_html(body) or 'an HTML page'} (reginfo answers an "
                         "unknown file name with an HTML page)")
    if re.search(rb"<!DOCTYPE", prolog, re.I):
        raise ParseError(source.id, "refused: a DOCTYPE in reginfo XML")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        raise ParseError(source.id, f"not valid XML: {e}") from e
    if root.tag == "REGINFO_RIN_DATA":
        return _agenda(source, root)
    if root.tag != "OIRA_DATA":
        raise ParseError(source.id, f"not a reginfo review or Unified Agenda file (root "
                         f"<{root.tag}>, expected <OIRA_DATA> or <REGINFO_RIN_DATA>)")
    items, skipped = [], 0
    for record in root.iter("REGACT"):
        item = _item(source, {f: (record.findtext(f) or "").strip() for f in _FIELDS},
                     root.get("RUNDATE"))
        if item is None:
            skipped += 1
        else:
            items.append(item)
    notes = (f"{skipped} review record(s) without a valid RIN or date skipped",) \
        if skipped else ()
    return Parsed(items=tuple(items), notes=notes, total=len(items) + skipped)


def _item(source: Source, f: dict[str, str], rundate: str | None) -> Item | None:
    rin, received = f["RIN"].upper(), f["DATE_RECEIVED"][:10]
    if not _RIN.match(rin) or not _DATE.match(received):
        return None
    completed = f["DATE_COMPLETED"][:10] if _DATE.match(f["DATE_COMPLETED"]) else ""
    stage = f["STAGE"] or "Rule"
    summary = f"{stage} received by OIRA for EO 12866 review on {received}"
    if completed:
        summary += f"; review concluded {completed}" + (f": {f['DECISION']}"
                                                        if f["DECISION"] else "")
    extra: dict[str, Any] = {k.lower(): v for k, v in f.items() if v}
    extra["rin"] = rin
    if rundate:
        extra["rundate"] = rundate
    key = f"{rin}:{received}"
    return Item(id=item_id(source.id, key, readable=True), source_id=source.id, guid=key,
                url=f"https://www.reginfo.gov/public/do/eAgendaViewRule?RIN={rin}",
                title=f["TITLE"] or f"RIN {rin}", summary=summary,
                published=f"{completed or received}T00:00:00+00:00", kind=source.kind,
                extra=extra)


_TTBL_DATE = re.compile(r"^(?P<m>\d{2})/(?P<d>\d{2})/(?P<y>\d{4})$")
_PUBLICATION = re.compile(r"^(?P<y>\d{4})(?P<m>04|10)$")
_TAGS = re.compile(r"<[^>]*>")


def edition_name(publication_id: str) -> str:
    """Return "Fall 2025" from the agenda's publication id "202510" ("Spring" for 04)."""
    m = _PUBLICATION.match(publication_id)
    if not m:
        return publication_id
    return f"{'Spring' if m['m'] == '04' else 'Fall'} {m['y']}"


def _agenda(source: Source, root: ET.Element) -> Parsed:
    """Return one item per rule of a Unified Agenda edition, its timetable in ``extra``."""
    items, skipped = [], 0
    for record in root.iter("RIN_INFO"):
        item = _agenda_item(source, record)
        if item is None:
            skipped += 1
        else:
            items.append(item)
    notes = (f"{skipped} agenda record(s) without a valid RIN or edition skipped",) \
        if skipped else ()
    return Parsed(items=tuple(items), notes=notes, total=len(items) + skipped)


def _agenda_item(source: Source, record: ET.Element) -> Item | None:
    rin = (record.findtext("RIN") or "").strip().upper()
    pub = (record.findtext("PUBLICATION/PUBLICATION_ID") or "").strip()
    m = _PUBLICATION.match(pub)
    if not _RIN.match(rin) or not m:
        return None
    timetable = []
    for row in record.iter("TIMETABLE"):
        action = " ".join((row.findtext("TTBL_ACTION") or "").split())
        when = _TTBL_DATE.match((row.findtext("TTBL_DATE") or "").strip())
        if not action or not when:
            continue  # "To Be Determined" and other dateless rows project nothing
        day = when["d"]
        timetable.append({"action": action, "date": f"{when['y']}-{when['m']}" + (
            "" if day == "00" else f"-{day}"), "citation": (row.findtext("FR_CITATION")
                                                             or "").strip()})
    title = " ".join((record.findtext("RULE_TITLE") or "").split())
    abstract = " ".join(html.unescape(_TAGS.sub(" ", record.findtext("ABSTRACT") or "")
                                      ).split())
    edition = edition_name(pub)
    extra: dict[str, Any] = {
        "rin": rin, "publication_id": pub, "edition": edition, "timetable": timetable,
        "stage": (record.findtext("RULE_STAGE") or "").strip(),
        "agency": (record.findtext("AGENCY/NAME") or "").strip(),
        "parent_agency": (record.findtext("PARENT_AGENCY/NAME") or "").strip()}
    key = f"{rin}:{pub}"
    return Item(id=item_id(source.id, key, readable=True), source_id=source.id, guid=key,
                url=f"https://www.reginfo.gov/public/do/eAgendaViewRule?pubId={pub}&RIN={rin}",
                title=title or f"RIN {rin}", summary=abstract,
                published=f"{m['y']}-{m['m']}-01T00:00:00+00:00", kind=source.kind,
                extra=extra)
