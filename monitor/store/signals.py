"""Signals (one per item and debate) and their entity index, written and read back typed."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from ..types import Entity, Signal, TopicHit
from ..types.times import iso
from .sql import dumps, fields, write


def save_signals(db: Database, signals: Iterable[Signal], classified_at: datetime) -> int:
    """Insert or replace signals (one per item and debate) with their entity index and the
    moment they were classified (stored as ISO text); return how many were written (call
    inside a transaction)."""
    stamp = iso(classified_at)
    rows: list[dict[str, Any]] = []
    entity_rows: list[dict[str, Any]] = []
    keys: list[tuple[str, str]] = []
    for s in signals:
        keys.append((s.item_id, s.debate))
        rows.append({
            "item_id": s.item_id, "debate": s.debate, "version": s.version,
            "relevance": s.relevance, "relevant": int(s.relevant),
            "topics": dumps([t.topic for t in s.topics]),
            "topic_cues": dumps({t.topic: list(t.cues) for t in s.topics}),
            "stance": s.stance, "stance_cues": dumps(list(s.stance_cues)),
            "authority": s.authority, "authority_reason": s.authority_reason,
            "entities": dumps([fields(e) for e in s.entities]), "classified_at": stamp,
        })
        entity_rows.extend({"item_id": s.item_id, "debate": s.debate, "kind": e.kind,
                            "value": e.value} for e in s.entities)
    if not rows:
        return 0
    db.conn.executemany("DELETE FROM signal_entities WHERE item_id = ? AND debate = ?", keys)
    write(db, "signals", rows, verb="INSERT OR REPLACE")
    write(db, "signal_entities", entity_rows, verb="INSERT OR IGNORE")
    return len(rows)


def signal_from_row(row: dict[str, Any]) -> Signal:
    """Return the ``Signal`` of a row of the signals table (by column name)."""
    cues = json.loads(row["topic_cues"] or "{}")
    return Signal(
        item_id=row["item_id"], debate=row["debate"], version=row["version"],
        relevance=row["relevance"], relevant=bool(row["relevant"]),
        topics=tuple(TopicHit(topic=t, cues=tuple(cues.get(t, [])))
                     for t in json.loads(row["topics"] or "[]")),
        stance=row["stance"], stance_cues=tuple(json.loads(row["stance_cues"] or "[]")),
        authority=row["authority"], authority_reason=row["authority_reason"],
        entities=tuple(Entity(**e) for e in json.loads(row["entities"] or "[]")))


def get_signal(db: Database, item_id: str, debate: str) -> Signal | None:
    """Return the stored signal of one item, or None."""
    rows = list(db.table("signals").rows_where("item_id = ? AND debate = ?", [item_id, debate]))
    return signal_from_row(rows[0]) if rows else None


def count_signals(db: Database, debate: str, relevant: bool | None = None) -> int:
    """Return how many signals a debate has (only relevant or irrelevant ones when asked)."""
    sql = "SELECT count(*) FROM signals WHERE debate = ?"
    args: list[Any] = [debate]
    if relevant is not None:
        sql += " AND relevant = ?"
        args.append(int(relevant))
    return int(db.execute(sql, args).fetchone()[0])
