"""Copies of one document (FR document number, executive order, regulations.gov document):
grouped for a shared judgement, and each judgement a copy took from another, logged."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlite_utils import Database

from ..types import Item, Signal
from .items import item_from_row
from .signals import save_signals, signal_from_row
from .sql import dumps, in_chunks, write

# The one key a stored item is a copy by: its FR document number (a regulations.gov
# document names it as frDocNum), else its executive order number, else the regulations.gov
# document id.
KEY_SQL = """
coalesce('fr:' || json_extract(items.extra, '$.document_number'),
         'fr:' || json_extract(items.extra, '$.frDocNum'),
         'eo:' || json_extract(items.extra, '$.executive_order_number'),
         CASE WHEN items.kind = 'regulations_gov' THEN 'regs:' || items.guid END)
"""


def copy_groups(db: Database, debate: str, since: str | None = None
                ) -> list[list[tuple[Item, Signal]]]:
    """Return the classified items that are copies of one document, grouped, for documents
    with more than one copy (only those with a signal written at or after ``since``)."""
    having = "HAVING count(*) > 1" + (" AND max(signals.classified_at) >= ?" if since else "")
    rows = db.execute(
        f"SELECT {KEY_SQL} AS k, group_concat(items.id, char(31)) FROM items "
        "JOIN signals ON signals.item_id = items.id AND signals.debate = ? "
        f"WHERE k IS NOT NULL GROUP BY k {having}",
        [debate, since] if since else [debate]).fetchall()
    ids = [iid for _, joined in rows for iid in joined.split("\x1f")]
    items: dict[str, Item] = {}
    signals: dict[str, Signal] = {}
    for marks, chunk in in_chunks(ids):
        cursor = db.execute(f"SELECT * FROM items WHERE id IN ({marks})", chunk)
        cols = [c[0] for c in cursor.description]
        for r in cursor.fetchall():
            item = item_from_row(dict(zip(cols, r, strict=True)))
            items[item.id] = item
        cursor = db.execute(f"SELECT * FROM signals WHERE debate = ? AND item_id IN ({marks})",
                            [debate, *chunk])
        cols = [c[0] for c in cursor.description]
        for r in cursor.fetchall():
            signal = signal_from_row(dict(zip(cols, r, strict=True)))
            signals[signal.item_id] = signal
    groups: dict[str, list[tuple[Item, Signal]]] = defaultdict(list)
    for key, joined in rows:
        for iid in joined.split("\x1f"):
            if iid in items and iid in signals:
                groups[key].append((items[iid], signals[iid]))
    return [g for g in groups.values() if len(g) > 1]


def judgement(signal: Signal) -> dict[str, Any]:
    """Return the part of a signal that copies share: relevance, topics and authority."""
    return {"relevance": signal.relevance, "relevant": signal.relevant,
            "topics": [t.topic for t in signal.topics], "authority": signal.authority}


def save_copy_judgements(db: Database, changes: Sequence[tuple[Signal, Signal, str]],
                         at: str) -> int:
    """Store each (before, after, copy of) change: the new signal, and a log row saying which
    copy it was taken from; return how many (call inside a transaction)."""
    if not changes:
        return 0
    save_signals(db, [after for _, after, _ in changes], at)
    write(db, "copy_judgements", [
        {"item_id": after.item_id, "debate": after.debate, "copy_of": source, "at": at,
         "before": dumps(judgement(before)), "after": dumps(judgement(after))}
        for before, after, source in changes], verb="INSERT")
    return len(changes)


def copy_history(db: Database, item_id: str) -> list[dict[str, Any]]:
    """Return the judgements an item took from its copies, oldest first."""
    return [dict(r) for r in db.table("copy_judgements").rows_where(
        "item_id = ?", [item_id], order_by="id")]
