"""Queries behind the outputs: signals with filters, deadlines, the digest log."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlite_utils import Database

from ..config import ENTITY_KINDS
from ..errors import StorageError
from ..types import Deadline, Entity, SignalRow, authority_rank
from ..types.times import iso
from .event_merges import live_event, merges
from .sql import day, in_chunks, moment_or_none

# What a SignalRow is made of (the order query_signals reads them in).
_COLUMNS = """
SELECT items.id, items.title, items.url, items.source_id, items.published, items.summary,
       signals.relevance, signals.topics, signals.stance, signals.authority,
       signals.entities, event_items.event_id,
       json_extract(items.extra, '$.filed_at') IS NOT NULL
       AND json_extract(items.extra, '$.citation') IS NULL AS draft,
       json_extract(items.extra, '$.agencies') AS agencies,
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
    since: date | datetime | None = None,
    until: datetime | None = None,
    topic: str | None = None,
    stance: str | None = None,
    authority: str | Sequence[str] | None = None,
    source: str | None = None,
    min_relevance: float | None = None,
    query: str | None = None,
    identifier: str | None = None,
    events: Iterable[str] | None = None,
    limit: int | None = None,
) -> list[SignalRow]:
    """Return relevant items, newest first, filtered; an undated item counts at its fetch.
    ``since`` is a moment, or a day (every item of that day, even one dated to the day only).

    ``query`` is an FTS5 query over titles and summaries; with ``identifier`` (a docket,
    citation, RIN ... typed as the query) an item whose extracted entities hold it matches
    too, though its text may not."""
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
        args.append(iso(since))
    if until:
        sql += " AND coalesce(items.published, items.fetched_at) <= ?"
        args.append(iso(until))
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
        sql += " AND (items.rowid IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)"
        args.append(query)
        if identifier:
            sql += (f" OR items.id IN (SELECT item_id FROM signal_entities WHERE debate = ? "
                    f"AND kind IN ({','.join('?' * len(ENTITY_KINDS))}) AND value = ?)")
            args += [debate, *ENTITY_KINDS, identifier]
        sql += ")"
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
        id=r[0], title=r[1], url=r[2], source=r[3], published=moment_or_none(r[4]),
        summary=r[5] or "",
        relevance=r[6], topics=tuple(json.loads(r[7] or "[]")), stance=r[8], authority=r[9],
        entities=tuple(Entity(**e) for e in json.loads(r[10] or "[]")),
        event=live_event(r[11], resolve) if r[11] else None, draft=bool(r[12]),
        agencies=_agencies(r[13]), earliest=moment_or_none(r[14]),
        publishes=str(r[15]) if r[12] and r[15] else None) for r in rows]


def _agencies(raw: str | None) -> tuple[str, ...]:
    """Return a Federal Register document's agency names from its stored JSON list."""
    try:
        names = json.loads(raw) if raw else []
    except ValueError:
        return ()
    return tuple(n for n in names if isinstance(n, str)) if isinstance(names, list) else ()


def deadlines(db: Database, debate: str, start: date | None = None, end: date | None = None
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
        args.append(start.isoformat())
    if end:
        sql += " AND signal_entities.value <= ?"
        args.append(end.isoformat())
    resolve = merges(db, debate)
    best: dict[tuple[str, str, str], tuple[int, Deadline]] = {}
    for value, kind, title, url, item_id, event_id, authority in db.execute(sql, args):
        event = live_event(event_id, resolve) if event_id else None
        key = (value, kind, event or item_id)
        candidate = (authority_rank(authority), Deadline(day=day(value), kind=kind, title=title,
                                                       url=url, item_id=item_id, event=event))
        if key not in best or candidate[0] < best[key][0]:
            best[key] = candidate
    found = [d for _, d in best.values()]
    if found:
        found = _with_status(db, debate, found)
    return sorted(found, key=lambda d: (d.day, d.kind, d.title))


PUBLIC_DOCKET = re.compile(r"^[A-Z]{2,8}-\d{4}-\d{4}$")  # NTIA-2023-0009: a regulations.gov one
ENDING = re.compile(r"\b(rescind\w*|rescission\w*|revok\w*|revocation\w*|withdr[ae]w\w*|"
                    r"vacat\w*)\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")
_GENERIC = {"the", "of", "for", "and", "to", "on", "in", "with", "by", "from", "rule", "rules",
            "framework", "notice", "request", "comment", "comments", "proposed", "interim",
            "final", "order", "executive", "establishment", "requirements", "department"}


def _words(title: str) -> set[str]:
    return {w for w in _WORD.findall(title.lower()) if w not in _GENERIC and len(w) > 2}


def _with_status(db: Database, debate: str, found: list[Deadline]) -> list[Deadline]:
    """Return the deadlines with their events' regulations.gov dockets, and, for a deadline
    whose instrument a later event rescinded, revoked or withdrew on or before it, that event
    ("day: title"). An ending event is one whose title says so and names at least three
    quarters of the instrument's distinctive title words (until instruments are tracked)."""
    events = sorted({d.event for d in found if d.event})
    dockets: dict[str, list[str]] = {}
    for marks, chunk in in_chunks(events):
        for event_id, value in db.execute(
                "SELECT DISTINCT event_items.event_id, signal_entities.value FROM event_items "
                "JOIN signal_entities ON signal_entities.item_id = event_items.item_id "
                "AND signal_entities.debate = event_items.debate "
                "WHERE event_items.debate = ? AND signal_entities.kind = 'docket' "
                f"AND event_items.event_id IN ({marks}) ORDER BY 2", [debate, *chunk]):
            if PUBLIC_DOCKET.match(value):
                dockets.setdefault(event_id, []).append(value)
    resolve = merges(db, debate)
    began: dict[str, date] = {}  # each deadline's event: its date
    for marks, chunk in in_chunks(events):
        for event_id, value in db.execute(
                f"SELECT event_id, date FROM event_scores WHERE event_id IN ({marks}) "
                "AND debate = ? ORDER BY id", [*chunk, debate]):
            began[event_id] = day(value)
    lo = min([*began.values(), *(d.day for d in found)])
    hi = max(d.day for d in found)
    latest: dict[str, tuple[int, date, str]] = {}  # events dated in that span, latest score
    for row_id, event_id, value, title in db.execute(
            "SELECT id, event_id, date, title FROM event_scores WHERE debate = ? "
            "AND date >= ? AND date <= ?", [debate, lo.isoformat(), hi.isoformat()]):
        live = live_event(event_id, resolve)
        if live not in latest or row_id > latest[live][0]:
            latest[live] = (row_id, day(value), title)
    enders = [(when, title, eid) for eid, (_, when, title) in latest.items()
              if ENDING.search(title)]
    out = []
    for d in found:
        own = dockets.get(d.event or "", [])
        since = began.get(d.event or "", d.day)
        words = _words(d.title)
        ended = next((f"{when.isoformat()}: {title}" for when, title, eid in sorted(enders)
                      if eid != d.event and since <= when <= d.day and words
                      and len(words & _words(title)) >= 0.75 * len(words)), None)
        out.append(replace(d, dockets=tuple(dict.fromkeys(own)), ended=ended))
    return out


def already_sent(db: Database, debate: str, recipients: str, item_ids: Iterable[str]
                 ) -> set[str]:
    """Return which of the items were already mailed to this recipient list."""
    found: set[str] = set()
    for marks, chunk in in_chunks(list(item_ids)):
        found.update(r[0] for r in db.execute(
            "SELECT item_id FROM digest_log WHERE debate = ? AND recipients = ? AND item_id "
            f"IN ({marks})", [debate, recipients, *chunk]))
    return found


def log_sent(db: Database, debate: str, recipients: str, item_ids: Iterable[str],
             at: datetime, subject: str) -> None:
    """Record that the items were mailed to the recipient list."""
    db.table("digest_log").insert_all(
        ({"recipients": recipients, "item_id": i, "debate": debate, "sent_at": iso(at),
          "subject": subject} for i in item_ids), ignore=True, batch_size=500)
