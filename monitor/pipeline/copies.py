"""One document, one judgement: copies of the same document (FR document number, executive
order, regulations.gov document) share relevance, topics and authority.

The copy with the richest text (title and summary) decides: a public-inspection copy that
carries only a title takes the judgement of its published copy, and a later, richer copy
updates the earlier ones. Each change is stored as a new signal and logged in
``copy_judgements`` (what the copy was judged before, after, and by which copy), never
rewritten silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from .. import store
from ..store.copies import copy_groups, copy_mark, judgement, save_copy_judgements
from ..types import Item, Signal
from .clock import utcnow

if TYPE_CHECKING:  # types only: sqlite_utils lives in store.py
    from sqlite_utils import Database

_PREFIX = "as its copy "


def richness(item: Item) -> tuple[int, bool, str]:
    """Return how much a copy says (text length, published rather than on inspection) and
    its id, so the richest copy sorts last and ties break the same way every time."""
    published = not item.official.draft
    return len(item.title.strip()) + len(item.summary.strip()), published, item.id


def shared(group: Sequence[tuple[Item, Signal]]) -> list[tuple[Signal, Signal, str]]:
    """Return (before, after, richest copy id) for each copy whose judgement differs from
    the richest copy's; the richest copy itself keeps its own."""
    rich_item, rich = max(group, key=lambda pair: richness(pair[0]))
    reason = rich.authority_reason
    if reason.startswith(_PREFIX):
        reason = reason.split(": ", 1)[-1]
    changes: list[tuple[Signal, Signal, str]] = []
    for item, signal in group:
        if item.id == rich_item.id or judgement(signal) == judgement(rich):
            continue
        after = replace(signal, relevance=rich.relevance, relevant=rich.relevant,
                        topics=rich.topics, authority=rich.authority,
                        authority_reason=f"{_PREFIX}{rich_item.id} (the richest text): "
                                         f"{reason}")
        changes.append((signal, after, rich_item.id))
    return changes


def share_judgements(db: Database, debate: str, everything: bool = False,
                     now: datetime | None = None) -> int:
    """Give every copy of a document the judgement of its richest copy, for the documents
    with an item stored since the last call (all with ``everything``); return how many
    copies changed. A run killed before this step is caught up by the next call."""
    after = 0 if everything else copy_mark(db, debate)
    groups, last = copy_groups(db, debate, after)
    changes = [c for group in groups for c in shared(group)]
    with store.transaction(db):
        return save_copy_judgements(db, changes, now or utcnow(), debate, last)
