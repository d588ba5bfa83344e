"""The text of Federal Register documents whose abstract is empty, for candidates only.

An order such as EO 14110 comes from the API with no abstract; classified on its title it is
one more AI-titled order. Before a source's run is stored, each new document with an empty
abstract that already shows evidence (classify.wants_full_text: a topic fires on its title,
action, dates or excerpts, or it is about AI) has its `raw_text_url` fetched, politely (one
at a time, PAUSE seconds apart, at most MAX_TEXTS a run, a body cap of MAX_BYTES), and the
text (cut to documents.FULL_TEXT_CHARS) kept in the item's `extra["full_text"]`, so the
stored item says what it was classified on and `monitor classify --all` reads the same.
A text that cannot be fetched is a note on the run; the item is stored and classified
without it. Items already stored are never fetched again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from .. import store
from ..classify import wants_full_text
from ..classify.documents import FULL_TEXT_CHARS
from ..config import Settings
from ..errors import SourceError
from ..fetch import Sleep, fetch
from ..text import html_to_text
from ..types import Debate, Item, Source

if TYPE_CHECKING:  # types only: httpx lives in fetch.py, sqlite_utils in store.py
    import httpx
    from sqlite_utils import Database

# Complete(source, items) -> (the items, some with their text; notes for the run)
Complete = Callable[[Source, Sequence[Item]], tuple[list[Item], list[str]]]
MAX_TEXTS = 20  # texts fetched per source run; more candidates are noted, not fetched
MAX_BYTES = 3_000_000  # a full rule runs to a few hundred kB; an order to tens
PAUSE = 1.0  # seconds between two texts (sources.md A.1: full text at 1 request/s or slower)
log = logging.getLogger("monitor.pipeline")


def full_texts(db: Database, client: httpx.Client, debate: Debate | None, settings: Settings,
               sleep: Sleep, forget: Callable[[str, Iterable[str]], None] | None = None
               ) -> Complete:
    """Return the step that gives a source's new candidate documents their text; `forget`
    drops what was computed for those items before (the parse workers' signals)."""
    capped = replace(settings, max_body_bytes=min(settings.max_body_bytes, MAX_BYTES))

    def complete(source: Source, items: Sequence[Item]) -> tuple[list[Item], list[str]]:
        if debate is None or source.kind != "federal_register":
            return list(items), []
        wanted = [(item, url) for item in items if (url := wants_full_text(item, debate))]
        wanted = [(item, url) for item, url in wanted if store.get_item(db, item.id) is None]
        notes: list[str] = []
        done: dict[str, Item] = {}
        for n, (item, url) in enumerate(wanted[:MAX_TEXTS]):
            if n:
                sleep(PAUSE)
            text, why = _text(client, source, url, capped, sleep)
            if text:
                done[item.id] = replace(item, extra={**item.extra, "full_text": text})
            else:
                notes.append(f"text of {item.official.document_number} not read ({why}); "
                             "classified on its title and what the API gave")
        if len(wanted) > MAX_TEXTS:
            notes.append(f"{len(wanted) - MAX_TEXTS} more documents with an empty abstract "
                         f"were classified without their text (at most {MAX_TEXTS} a run)")
        if done and forget is not None:
            forget(source.id, done)
        return [done.get(i.id, i) for i in items], notes

    return complete


def _text(client: httpx.Client, source: Source, url: str, settings: Settings, sleep: Sleep
          ) -> tuple[str, str]:
    """Return the document's text (cut to FULL_TEXT_CHARS) and "", or "" and why not."""
    try:
        fetched = fetch(client, source, None, settings, url=url, params=(), conditional=False,
                        sleep=sleep)
    except SourceError as e:
        return "", e.reason
    except Exception as e:  # a bug must cost this text, never the run
        log.exception("internal error while reading %s", url)
        return "", f"internal error: {type(e).__name__}"
    if fetched is None:
        return "", "not modified"
    head = fetched.body[: FULL_TEXT_CHARS * 8].decode("utf-8", "replace")  # tags and spaces
    text = html_to_text(head)
    return (text[:FULL_TEXT_CHARS], "") if text else ("", "empty body")
