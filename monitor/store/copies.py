"""Copies of one document (FR document number, executive order, regulations.gov document):
grouped for a shared judgement, and each judgement a copy took from another, logged."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from ..types import Item, Signal
from ..types.times import iso
from .items import item_from_row
from .signals import save_signals, signal_from_row
from .sql import dumps, in_chunks, write

# The one key a stored item is a copy by: its FR document number (a regulations.gov
# document names it as frDocNum), else its executive order number, else the regulations.gov
# document id. Unqualified, so that it is also the expression of the items index
# idx_items_copy_key (migration 0008) and a lookup by key uses it.
KEY_SQL = """coalesce('fr:' || json_extract(extra, '$.document_number'), \
'fr:' || json_extract(extra, '$.frDocNum'), \
'eo:' || json_extract(extra, '$.executive_order_number'), \
CASE WHEN kind = 'regulations_gov' THEN 'regs:' || guid END)"""
MARK = "copies:"  # + debate: the last items rowid whose copies were judged together


def copy_mark(db: Database, debate: str) -> int:
    """Return the last items rowid whose document's copies were judged (0: none yet)."""
    row = db.execute("SELECT value FROM pipeline_marks WHERE name = ?", [MARK + debate]
                     ).fetchone()
    return int(row[0]) if row else 0


def copy_groups(db: Database, debate: str, after: int = 0
                ) -> tuple[list[list[tuple[Item, Signal]]], int]:
    """Return the classified copies of each document that has a stored item after the
    rowid ``after`` and more than one copy, grouped; and the last items rowid seen."""
    last = db.execute("SELECT coalesce(max(rowid), 0) FROM items").fetchone()[0]
    keys = [r[0] for r in db.execute(
        f"SELECT DISTINCT {KEY_SQL} AS k FROM items WHERE rowid > ? AND rowid <= ? "
        "AND k IS NOT NULL", [after, last])]
    rows: list[tuple[str, str]] = []
    for marks, chunk in in_chunks(keys):
        rows += db.execute(
            f"SELECT {KEY_SQL} AS k, group_concat(items.id, char(31)) FROM items "
            "JOIN signals ON signals.item_id = items.id AND signals.debate = ? "
            f"WHERE {KEY_SQL} IN ({marks}) GROUP BY k HAVING count(*) > 1",
            [debate, *chunk]).fetchall()
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
    return [g for g in groups.values() if len(g) > 1], int(last)


def judgement(signal: Signal) -> dict[str, Any]:
    """Return the part of a signal that copies share: relevance, topics and authority."""
    return {"relevance": signal.relevance, "relevant": signal.relevant,
            "topics": [t.topic for t in signal.topics], "authority": signal.authority}


def save_copy_judgements(db: Database, changes: Sequence[tuple[Signal, Signal, str]],
                         when: datetime, debate: str, mark: int) -> int:
    """Store each (before, after, copy of) change: the new signal, and a log row saying which
    copy it was taken from; and the items rowid judged up to. Return how many changes
    (call inside a transaction)."""
    at = iso(when)
    db.execute("INSERT OR REPLACE INTO pipeline_marks (name, value) VALUES (?, ?)",
               [MARK + debate, str(mark)])
    if not changes:
        return 0
    save_signals(db, [after for _, after, _ in changes], when)
    write(db, "copy_judgements", [
        {"item_id": after.item_id, "debate": after.debate, "copy_of": source, "at": at,
         "before": dumps(judgement(before)), "after": dumps(judgement(after))}
        for before, after, source in changes], verb="INSERT")
    return len(changes)


def copy_history(db: Database, item_id: str) -> list[dict[str, Any]]:
    """Return the judgements an item took from its copies, oldest first."""
    return [dict(r) for r in db.table("copy_judgements").rows_where(
        "item_id = ?", [item_id], order_by="id")]
