"""Queries behind the outputs: signals with filters, deadlines, the digest log."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlite_utils import Database

from ..errors import StorageError
from ..types import AUTHORITIES, Deadline, Entity, SignalRow
from .event_merges import live_event, merges
from .sql import in_chunks

_RANK = {a: i for i, a in enumerate(AUTHORITIES)}  # most binding first

# What a SignalRow is made of (the order query_signals reads them in).
_COLUMNS = """
SELECT items.id, items.title, items.url, items.source_id, items.published, items.summary,
       signals.relevance, signals.topics, signals.stance, signals.authority,
       signals.entities, event_items.event_id,
       json_extract(items.extra, '$.filed_at') IS NOT NULL
       AND json_extract(items.extra, '$.citation') IS NULL AS draft,
       items.earliest, json_extract(items.extra, '$.publication_date')
"""

# Items drive the query (CROSS JOIN fixes the order) so a period is a range of the
# idx_items_time index rather than a scan of every relevant signal.
_SIGNAL_SQL = _COLUMNS + """FROM items
CROSS JOIN signals ON signals.item_id = items.id AND signals.debate = ?
LEFT JOIN event_items ON event_items.item_id = signals.item_id
                     AND event_items.debate = signals.debate
WHERE signals.relevant = 1
"""


# The members of given events, driven by the event_items index.
_EVENT_SIGNAL_SQL = _COLUMNS + """FROM event_items
CROSS JOIN items ON items.id = event_items.item_id
CROSS JOIN signals ON signals.item_id = items.id AND signals.debate = event_items.debate
WHERE event_items.debate = ? AND event_items.event_id IN ({marks})
  AND signals.debate = ? AND signals.relevant = 1
"""


def query_signals(
    db: Database,
    debate: str,
    *,
    since: str | None = None,
    until: str | None = None,
    topic: str | None = None,
    stance: str | None = None,
    authority: str | Sequence[str] | None = None,
    source: str | None = None,
    min_relevance: float | None = None,
    query: str | None = None,
    events: Iterable[str] | None = None,
    limit: int | None = None,
) -> list[SignalRow]:
    """Return relevant items, newest first, filtered; an undated item counts at its fetch."""
    sql = _SIGNAL_SQL
    args: list[Any] = [debate]
    ids: list[str] = []
    if events is not None:
        ids = sorted(set(events))
        if not ids:
            return []
        if not since:  # a few events: read their members, not a range of items
            sql = _EVENT_SIGNAL_SQL.format(marks=",".join("?" * len(ids)))
            args = [debate, *ids, debate]
    if since:
        sql += " AND coalesce(items.published, items.fetched_at) >= ?"
        args.append(since)
    if until:
        sql += " AND coalesce(items.published, items.fetched_at) <= ?"
        args.append(until)
    if topic:
        sql += " AND EXISTS (SELECT 1 FROM json_each(signals.topics) WHERE value = ?)"
        args.append(topic)
    if stance:
        sql += " AND signals.stance = ?"
        args.append(stance)
    if authority:
        levels = [authority] if isinstance(authority, str) else list(authority)
        sql += f" AND signals.authority IN ({','.join('?' * len(levels))})"
        args += levels
    if source:
        sql += " AND items.source_id = ?"
        args.append(source)
    if min_relevance is not None:
        sql += " AND signals.relevance >= ?"
        args.append(min_relevance)
    if query:
        sql += " AND items.rowid IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)"
        args.append(query)
    if events is not None and since:
        sql += f" AND event_items.event_id IN ({','.join('?' * len(ids))})"
        args += ids
    sql += " ORDER BY coalesce(items.published, items.fetched_at) DESC, items.id"
    if limit:
        sql += " LIMIT ?"
        args.append(int(limit))
    try:
        rows = db.execute(sql, args).fetchall()
    except Exception as e:  # sqlite3.OperationalError for a bad FTS query
        if query:
            raise StorageError(f"bad search query {query!r}: {e}") from e
        raise
    resolve = merges(db, debate)
    return [SignalRow(
        id=r[0], title=r[1], url=r[2], source=r[3], published=r[4], summary=r[5] or "",
        relevance=r[6], topics=tuple(json.loads(r[7] or "[]")), stance=r[8], authority=r[9],
        entities=tuple(Entity(**e) for e in json.loads(r[10] or "[]")),
        event=live_event(r[11], resolve) if r[11] else None, draft=bool(r[12]), earliest=r[13],
        publishes=str(r[14]) if r[12] and r[14] else None) for r in rows]


def deadlines(db: Database, debate: str, start: str | None = None, end: str | None = None
              ) -> list[Deadline]:
    """Return comment deadlines and effective dates named by relevant items, by day; the
    same date named by several items of one event is listed once."""
    sql = ("SELECT signal_entities.value, signal_entities.kind, items.title, items.url, "
           "items.id, event_items.event_id, signals.authority FROM signal_entities "
           "JOIN signals ON signals.item_id = signal_entities.item_id "
           "AND signals.debate = signal_entities.debate "
           "JOIN items ON items.id = signal_entities.item_id "
           "LEFT JOIN event_items ON event_items.item_id = items.id "
           "AND event_items.debate = signals.debate "
           "WHERE signal_entities.debate = ? AND signals.relevant = 1 "
           "AND signal_entities.kind IN ('comment_deadline', 'effective_date')")
    args: list[Any] = [debate]
    if start:
        sql += " AND signal_entities.value >= ?"
        args.append(start)
    if end:
        sql += " AND signal_entities.value <= ?"
        args.append(end)
    resolve = merges(db, debate)
    best: dict[tuple[str, str, str], tuple[int, Deadline]] = {}
    for day, kind, title, url, item_id, event_id, authority in db.execute(sql, args):
        event = live_event(event_id, resolve) if event_id else None
        key = (day, kind, event or item_id)
        candidate = (_RANK.get(authority, 9), Deadline(day=day, kind=kind, title=title,
                                                       url=url, item_id=item_id, event=event))
        if key not in best or candidate[0] < best[key][0]:
            best[key] = candidate
    return sorted((d for _, d in best.values()), key=lambda d: (d.day, d.kind, d.title))


def already_sent(db: Database, debate: str, recipients: str, item_ids: Iterable[str]
                 ) -> set[str]:
    """Return which of the items were already mailed to this recipient list."""
    found: set[str] = set()
    for marks, chunk in in_chunks(list(item_ids)):
        found.update(r[0] for r in db.execute(
            "SELECT item_id FROM digest_log WHERE debate = ? AND recipients = ? AND item_id "
            f"IN ({marks})", [debate, recipients, *chunk]))
    return found


def log_sent(db: Database, debate: str, recipients: str, item_ids: Iterable[str], at: str,
             subject: str) -> None:
    """Record that the items were mailed to the recipient list."""
    db.table("digest_log").insert_all(
        ({"recipients": recipients, "item_id": i, "debate": debate, "sent_at": at,
          "subject": subject} for i in item_ids), ignore=True, batch_size=500)
