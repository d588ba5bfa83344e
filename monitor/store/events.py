"""Events, their members, merges and score history: append-only tables."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlite_utils import Database

from ..types import EventDetail, EventScore, Item, Plan, Signal
from ..types.times import iso
from .event_merges import live_event, merged_into, merges
from .items import item_from_row
from .signals import signal_from_row
from .sql import day, in_chunks, moment

# One row per relevant item: the item, its signal, when it was fetched, and its event (if any)
_MEMBER_SQL = """
SELECT items.*, signals.item_id AS s_item_id, signals.debate AS s_debate,
       signals.version AS s_version, signals.relevance AS s_relevance,
       signals.relevant AS s_relevant, signals.topics AS s_topics,
       signals.topic_cues AS s_topic_cues, signals.stance AS s_stance,
       signals.stance_cues AS s_stance_cues, signals.authority AS s_authority,
       signals.authority_reason AS s_authority_reason, signals.entities AS s_entities,
       event_items.event_id AS e_event_id, event_items.role AS e_role
FROM signals
JOIN items ON items.id = signals.item_id
LEFT JOIN event_items ON event_items.item_id = signals.item_id
                     AND event_items.debate = signals.debate
WHERE signals.debate = ? AND signals.relevant = 1
"""

# item, signal, fetched (aware; None when unknown), event, role
MemberRow = tuple[Item, Signal, datetime | None, str | None, str | None]


def _iter_members(db: Database, where: str, args: Sequence[Any]) -> Iterator[MemberRow]:
    """Yield member rows as the cursor reads them (a batch of 100,000 never sits in memory
    as rows and objects at once)."""
    cursor = db.execute(_MEMBER_SQL + where, list(args))
    cols = [c[0] for c in cursor.description]
    item_cols = [(i, c) for i, c in enumerate(cols) if not c.startswith(("s_", "e_"))]
    signal_cols = [(i, c[2:]) for i, c in enumerate(cols) if c.startswith("s_")]
    fetched, event, role = cols.index("fetched_at"), cols.index("e_event_id"), cols.index("e_role")
    for values in cursor:
        signal = signal_from_row({c: values[i] for i, c in signal_cols})
        item = item_from_row({c: values[i] for i, c in item_cols})
        at = values[fetched]
        yield item, signal, moment(at) if at else None, values[event], values[role]


def _members(db: Database, where: str, args: Sequence[Any]) -> list[MemberRow]:
    return list(_iter_members(db, where, args))


def pending_members(db: Database, debate: str) -> list[MemberRow]:
    """Return relevant items not yet placed in an event (new, or left by a run that died)."""
    return list(iter_pending_members(db, debate))


def iter_pending_members(db: Database, debate: str) -> Iterator[MemberRow]:
    """Yield the relevant items not yet placed in an event, reading as it goes (do not write
    to the database before the iteration ends)."""
    return _iter_members(db, " AND event_items.event_id IS NULL", [debate])


def members_near(db: Database, debate: str, keys: Iterable[tuple[str, str]], start: datetime,
                 end: datetime) -> list[MemberRow]:
    """Return stored members that share an entity key with the new ones, or were published
    between ``start`` and ``end`` (the neighbourhood clustering compares against)."""
    found: dict[str, MemberRow] = {}
    pairs = sorted(set(keys))
    for clause, chunk in in_chunks(pairs, 200, "(kind = ? AND value = ?)", " OR "):
        args = [debate] + [v for pair in chunk for v in pair]
        for row in _members(db, " AND event_items.event_id IS NOT NULL AND signals.item_id IN "
                            f"(SELECT item_id FROM signal_entities WHERE debate = ? AND "
                            f"({clause}))", [debate, *args]):
            found[row[0].id] = row
    for row in _members(db, " AND event_items.event_id IS NOT NULL AND "
                        "items.published BETWEEN ? AND ?",
                        [debate, start.isoformat(), end.isoformat()]):
        found[row[0].id] = row
    return list(found.values())


def save_plan(db: Database, plan: Plan, debate: str, when: datetime) -> None:
    """Append a clustering plan: new events, memberships and merges (call in a transaction)."""
    at = iso(when)
    if plan.new_events:
        db.table("events").insert_all(
            ({"id": eid, "debate": debate, "created_at": at, "anchor_item": anchor}
             for eid, anchor in plan.new_events), ignore=True)
    if plan.assignments:
        db.table("event_items").insert_all(
            ({"item_id": a.item_id, "debate": debate, "event_id": a.event_id, "role": a.role,
              "via": a.via, "added_at": at} for a in plan.assignments), ignore=True,
            batch_size=500)
    if plan.merges:
        db.table("event_merges").insert_all(
            ({"from_event": f, "into_event": t, "debate": debate, "merged_at": at,
              "reason": why} for f, t, why in plan.merges), ignore=True)


def event_members(db: Database, debate: str, event_ids: Iterable[str] | None = None
                  ) -> dict[str, list[MemberRow]]:
    """Return the members of live events (merged events' members count for the survivor)."""
    resolve = merges(db, debate)
    wanted = None if event_ids is None else {live_event(e, resolve) for e in event_ids}
    grouped: dict[str, list[MemberRow]] = defaultdict(list)
    if wanted is None:
        rows = _members(db, " AND event_items.event_id IS NOT NULL", [debate])
    else:
        rows = []
        for marks, chunk in in_chunks(sorted(wanted | merged_into(wanted, resolve))):
            rows += _members(db, f" AND event_items.event_id IN ({marks})", [debate, *chunk])
    for row in rows:
        assert row[3] is not None
        grouped[live_event(row[3], resolve)].append(row)
    return dict(grouped)


def event_membership(db: Database, debate: str, event_ids: Iterable[str]
                     ) -> dict[str, list[tuple[str, str]]]:
    """Return (item id, role) of the members of live events, merged ones included: the
    light query, for when most members are already at hand."""
    resolve = merges(db, debate)
    wanted = {live_event(e, resolve) for e in event_ids}
    grouped: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for marks, chunk in in_chunks(sorted(wanted | merged_into(wanted, resolve))):
        for item_id, event_id, role in db.execute(
                "SELECT item_id, event_id, role FROM event_items WHERE debate = ? AND "
                f"event_id IN ({marks})", [debate, *chunk]):
            grouped[live_event(event_id, resolve)].append((item_id, role))
    return dict(grouped)


def member_rows(db: Database, debate: str, item_ids: Iterable[str]) -> dict[str, MemberRow]:
    """Return the member rows of the given items, by item id."""
    ids = sorted(set(item_ids))
    out: dict[str, MemberRow] = {}
    for marks, chunk in in_chunks(ids):
        for row in _members(db, f" AND signals.item_id IN ({marks})", [debate, *chunk]):
            out[row[0].id] = row
    return out


# The columns of an EventScore, in its fields' order: rows are read by position.
_SCORE_COLUMNS = ("event_id, computed_at, title, date, kind, authority, topics, stance_mix, "
                  "items, outlets, echo, attention, peak_attention, velocity, raw, noise, "
                  "percentile, reference_events, first_seen, last_seen")


def _scores(cursor: sqlite3.Cursor) -> list[EventScore]:
    """Return a cursor's rows of ``_SCORE_COLUMNS`` as EventScores: JSON decoded, times read
    into datetimes."""
    loads = json.loads
    return [EventScore(r[0], moment(r[1]), r[2], day(r[3]), r[4], r[5],
                       tuple(loads(r[6] or "[]")), tuple(loads(r[7] or "{}").items()),
                       r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15], r[16],
                       r[17] or 0, moment(r[18]), moment(r[19]))
            for r in cursor.fetchall()]


def _score_row(score: EventScore, debate: str) -> dict[str, Any]:
    """Return the event_scores row of a score: times as ISO text, lists as JSON."""
    row = dict(vars(score))
    row.update(debate=debate, computed_at=score.computed_at.isoformat(),
               date=score.date.isoformat(), first_seen=score.first_seen.isoformat(),
               last_seen=score.last_seen.isoformat(), topics=json.dumps(list(score.topics)),
               stance_mix=json.dumps(dict(score.stance_mix)))
    return row


def latest_scores(db: Database, debate: str, events: Iterable[str] | None = None
                  ) -> dict[str, EventScore]:
    """Return the latest score of every live event (or of the given ones), by id."""
    if events is not None:
        ids = sorted(set(events))
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        cursor = db.execute(
            f"SELECT {_SCORE_COLUMNS} FROM event_scores WHERE id IN (SELECT max(id) FROM "
            f"event_scores WHERE event_id IN ({marks}) GROUP BY event_id) AND event_id NOT IN "
            "(SELECT from_event FROM event_merges WHERE debate = ?)", [*ids, debate])
    else:
        cursor = db.execute(
            f"SELECT {_SCORE_COLUMNS} FROM event_scores WHERE id IN (SELECT max(id) FROM "
            "event_scores WHERE debate = ? GROUP BY event_id) AND event_id NOT IN "
            "(SELECT from_event FROM event_merges WHERE debate = ?)", [debate, debate])
    return {score.event_id: score for score in _scores(cursor)}


def save_scores(db: Database, scores: Sequence[EventScore], debate: str,
                previous: dict[str, EventScore]) -> int:
    """Append the scores that differ from each event's latest row; return how many."""
    rows = []
    for s in scores:
        last = previous.get(s.event_id)
        if last and last.items == s.items and last.title == s.title \
                and last.echo == s.echo and abs(last.noise - s.noise) < 0.5 \
                and abs(last.attention - s.attention) < 0.01:
            continue
        rows.append(_score_row(s, debate))
    if rows:
        db.table("event_scores").insert_all(rows, batch_size=500)
    return len(rows)


def timeline(db: Database, debate: str, since: date | None = None) -> list[EventScore]:
    """Return live events (latest score each) dated on or after ``since``, newest first."""
    rows = latest_scores(db, debate).values()
    chosen = [r for r in rows if since is None or r.date >= since]
    return sorted(chosen, key=lambda r: (r.date, r.event_id), reverse=True)


def get_event(db: Database, debate: str, event_id: str) -> EventDetail | None:
    """Return one event (following merges): its latest score, score history, members, merges."""
    resolve = merges(db, debate)
    live = live_event(event_id, resolve)
    if not db.execute("SELECT 1 FROM events WHERE id = ? AND debate = ?",
                      [live, debate]).fetchone():
        return None
    history = tuple(_scores(db.execute(
        f"SELECT {_SCORE_COLUMNS} FROM event_scores WHERE event_id = ? ORDER BY id", [live])))
    members = event_members(db, debate, [live]).get(live, [])
    member_ids = {m[0].id for m in members}
    via = {r[0]: (r[1], r[2]) for r in db.execute(
        "SELECT item_id, role, via FROM event_items WHERE debate = ?", [debate])
        if r[0] in member_ids}
    return EventDetail(
        id=live, requested=event_id, merged_from=tuple(sorted(merged_into({live}, resolve))),
        latest=history[-1] if history else None, history=history,
        members=tuple((m[0], m[1], via.get(m[0].id, ("member", ""))) for m in members))


def noise_days(db: Database, debate: str, since: datetime | None = None
               ) -> list[tuple[date, int, int]]:
    """Return (day, relevant items, all items) for every day with items (from ``since``), by
    publication day (fetch day for undated items)."""
    where, args = ("WHERE coalesce(items.published, items.fetched_at) >= ? ",
                   [since.isoformat()]) if since else ("", [])
    return [(day(r[0]), r[1], r[2]) for r in db.execute(
        "SELECT substr(coalesce(items.published, items.fetched_at), 1, 10) AS day, "
        "sum(coalesce(signals.relevant, 0)), count(*) FROM items "
        "LEFT JOIN signals ON signals.item_id = items.id AND signals.debate = ? "
        f"{where}GROUP BY day ORDER BY day", [debate, *args])]
