"""congress.gov API v3 bill actions (``/v3/bill/{congress}/{type}/{number}/actions``, keyed:
the key goes in the X-Api-Key header). One item per action, the bill read from the URL path
(the actions response does not name its bill)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from ..errors import ParseError
from ..types import Item, Parsed, Source
from .common import item_id, read_json

_PATH = re.compile(r"/bill/(?P<congress>\d{2,3})/(?P<type>hr|s|hres|sres|hjres|sjres|hconres|"
                   r"sconres)/(?P<number>\d{1,5})(?:/|$)", re.I)
_LABEL = {"hr": "H.R.", "s": "S.", "hres": "H.Res.", "sres": "S.Res.", "hjres": "H.J.Res.",
          "sjres": "S.J.Res.", "hconres": "H.Con.Res.", "sconres": "S.Con.Res."}
_PAGE = {"hr": "house-bill", "s": "senate-bill", "hres": "house-resolution",
         "sres": "senate-resolution", "hjres": "house-joint-resolution",
         "sjres": "senate-joint-resolution", "hconres": "house-concurrent-resolution",
         "sconres": "senate-concurrent-resolution"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def bill_of(url: str) -> tuple[str, str] | None:
    """Return (bill label, its congress.gov page) from an API URL, e.g. ("S. 321", ...)."""
    m = _PATH.search(url)
    if not m:
        return None
    kind, congress, number = m["type"].lower(), int(m["congress"]), int(m["number"])
    page = f"https://www.congress.gov/bill/{congress}th-congress/{_PAGE[kind]}/{number}"
    return f"{_LABEL[kind]} {number}", page


def parse(source: Source, body: bytes, headers: dict[str, str], url: str) -> Parsed:
    """Return one item per action of a bill, and the next page of actions."""
    data = read_json(source, body, "the congress.gov API")
    if not isinstance(data, dict):
        raise ParseError(source.id, "expected a JSON object from the congress.gov API")
    if "error" in data:
        raise ParseError(source.id, f"the API refused the request: {data['error']}")
    actions = data.get("actions")
    if not isinstance(actions, list):
        raise ParseError(source.id, "not a bill actions response (no 'actions' list)")
    bill = bill_of(url) or bill_of(source.url)
    if bill is None:
        raise ParseError(source.id, "the URL names no bill (expected "
                         "/v3/bill/{congress}/{type}/{number}/actions)")
    items = [i for a in actions if isinstance(a, dict) and (i := _item(source, bill, a))]
    pagination = data.get("pagination")
    next_url = pagination.get("next") if isinstance(pagination, dict) else None
    skipped = len(actions) - len(items)
    return Parsed(items=tuple(items), next_url=next_url if isinstance(next_url, str) else None,
                  notes=(f"{skipped} action(s) without a date or text skipped",)
                  if skipped else ())


def _item(source: Source, bill: tuple[str, str], action: dict[str, Any]) -> Item | None:
    label, page = bill
    day, text = str(action.get("actionDate") or ""), str(action.get("text") or "").strip()
    if not _DATE.match(day) or not text:
        return None
    code = str(action.get("actionCode") or "")
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    key = f"{label}:{day}:{code or digest}"
    extra: dict[str, Any] = {"bill": label, "action_date": day, "action_text": text,
                             "action_type": str(action.get("type") or "")}
    if code:
        extra["action_code"] = code
    return Item(id=item_id(source.id, key), source_id=source.id, guid=key,
                url=f"{page}/all-actions", title=f"{label}: {text}", summary=text,
                published=f"{day}T00:00:00+00:00", kind=source.kind, extra=extra)
