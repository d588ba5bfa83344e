"""What a Federal Register document with an empty abstract is classified on. Pure.

Presidential documents and some notices come from the API with no abstract (EO 14110, the
orders that revoke it or pre-empt state AI laws): title alone, they look like any AI-titled
order. Classification then reads what else the API gives, the `action` ("Proposed rule;
request for comment"), the `dates` paragraph and the search `excerpts`, and, for a candidate
(an item that already shows evidence: a topic fired, or it is about AI), the document's own
text from its `raw_text_url`, which the pipeline fetches (pipeline/fulltext.py) and keeps in
`extra["full_text"]`.

The fields are read from the item's typed `official` record (types/official.py).
"""

from __future__ import annotations

from ..types import Item

# What the pipeline keeps of a fetched text, and what classification reads of it.
FULL_TEXT_CHARS = 20_000


def _text(value: str | None) -> str:
    """Return a text field stripped ("" when absent)."""
    return value.strip() if value else ""


def is_fr_document(item: Item) -> bool:
    """Return whether the item is a Federal Register document (by its document number)."""
    return item.kind == "federal_register" and bool(_text(item.official.document_number))


def secondary_text(item: Item) -> str:
    """Return the text classification reads besides title and summary: for a Federal
    Register document with an empty abstract, its action, dates, excerpts and fetched text;
    otherwise nothing."""
    if item.kind != "federal_register" or item.summary.strip() or not is_fr_document(item):
        return ""
    official = item.official
    parts = [_text(official.action), _text(official.dates), _text(official.excerpts),
             _text(official.full_text)]
    title = item.title.strip()
    # Without a search term the API's excerpts are the (empty) abstract cut short, or echo
    # the title: only text that adds something is read.
    return "\n".join(p for p in parts if p and p != title)[:FULL_TEXT_CHARS + 2000]


def text_wanted(item: Item) -> str:
    """Return the URL of the document's text when the pipeline should fetch it: a Federal
    Register document with an empty abstract, a `raw_text_url`, and no text fetched yet
    ("" otherwise). Whether it is a candidate is classify.wants_full_text's call."""
    if item.summary.strip() or not is_fr_document(item) or _text(item.official.full_text):
        return ""
    url = _text(item.official.raw_text_url)
    return url if url.startswith(("https://", "http://")) else ""
