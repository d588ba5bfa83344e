"""reginfo.gov's EO 12866 regulatory review XML (keyless): rules under OIRA review
(``EO_RULES_UNDER_REVIEW.xml``) and reviews concluded (``EO_RULE_COMPLETED_30_DAYS.xml``,
``EO_RULE_COMPLETED_YTD.xml``), one ``<REGACT>`` per review inside ``<OIRA_DATA RUNDATE=...>``.

Each review becomes an item keyed by RIN and date received, so a rule received again after a
withdrawal is a new item. Traps: reginfo answers an unknown file name with an HTML page and
HTTP 200; a DOCTYPE is refused (this XML never needs one, and entities could blow up).
"""

from __future__ import annotations

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
    page = looks_like_html(body)
    if page:
        raise ParseError(source.id, f"expected reginfo.gov review XML, got {page} "
                         "(reginfo answers an unknown file name with an HTML page)")
    if re.search(rb"<!DOCTYPE", body[:4096], re.I):
        raise ParseError(source.id, "refused: a DOCTYPE in reginfo review XML")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        raise ParseError(source.id, f"not valid XML: {e}") from e
    if root.tag != "OIRA_DATA":
        raise ParseError(source.id, f"not a reginfo review file (root <{root.tag}>, "
                         "expected <OIRA_DATA>)")
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
