"""Instruments: the claims items make about them (append-only evidence), each instrument's
current life cycle (one row, read by `instruments` and `outlook` through the (debate, state)
index), every change of state (append-only), and how far the scan of items has got."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from ..types import Claim, Instrument, Item, Signal, Step, times, when_of, when_text
from .items import item_from_row
from .signals import signal_from_row
from .sql import day_or_none, dumps, in_chunks, write

_CLAIM_COLS = tuple(Claim.__dataclass_fields__)


def scan_position(db: Database, debate: str) -> int:
    """Return the rowid of the last item the instruments scan has read (0: none)."""
    row = db.execute("SELECT last_rowid FROM instrument_scan WHERE debate = ?",
                     [debate]).fetchone()
    return int(row[0]) if row else 0


def save_scan_position(db: Database, debate: str, rowid: int) -> None:
    """Remember how far the scan has read (call inside a transaction)."""
    db.execute("INSERT INTO instrument_scan (debate, last_rowid) VALUES (?, ?) "
               "ON CONFLICT (debate) DO UPDATE SET last_rowid = excluded.last_rowid",
               [debate, rowid])


def iter_scan(db: Database, debate: str, after: int, batch: int = 2000
              ) -> Iterator[list[tuple[int, Item, Signal | None]]]:
    """Yield batches of (rowid, item, its signal or None) for items after a rowid."""
    last = after
    while True:
        cursor = db.execute(
            "SELECT items.rowid AS _rowid, items.*, signals.item_id AS s_item_id, "
            "signals.debate AS s_debate, signals.version AS s_version, "
            "signals.relevance AS s_relevance, signals.relevant AS s_relevant, "
            "signals.topics AS s_topics, signals.topic_cues AS s_topic_cues, "
            "signals.stance AS s_stance, signals.stance_cues AS s_stance_cues, "
            "signals.authority AS s_authority, signals.authority_reason AS "
            "s_authority_reason, signals.entities AS s_entities FROM items "
            "LEFT JOIN signals ON signals.item_id = items.id AND signals.debate = ? "
            f"WHERE items.rowid > ? ORDER BY items.rowid LIMIT {int(batch)}", [debate, last])
        cols = [c[0] for c in cursor.description]
        rows = []
        for values in cursor.fetchall():
            row = dict(zip(cols, values, strict=True))
            signal = signal_from_row({k[2:]: v for k, v in row.items() if k.startswith("s_")}
                                     ) if row["s_item_id"] else None
            rows.append((int(row["_rowid"]), item_from_row(row), signal))
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def save_claims(db: Database, debate: str, claims: Iterable[Claim], at: datetime) -> int:
    """Append claims (a claim already stored is kept as it was); return how many were given."""
    rows = []
    for c in claims:
        row: dict[str, Any] = {k: getattr(c, k) for k in _CLAIM_COLS}
        row["date"], row["due"] = times.day(c.date), times.iso(c.due)  # "" when undated
        row["identifiers"] = dumps(list(c.identifiers))
        row["own"], row["official"], row["relevant"] = int(c.own), int(c.official), \
            int(c.relevant)
        row.update(debate=debate, added_at=times.iso(at))
        rows.append(row)
    if rows:
        write(db, "instrument_claims", rows, verb="INSERT OR IGNORE")
    return len(rows)


def new_claims(db: Database, debate: str, claims: Sequence[Claim]) -> list[Claim]:
    """Return the claims not stored yet."""
    sql = ("SELECT 1 FROM instrument_claims WHERE debate = ? AND instrument = ? AND "
           "item_id = ? AND status = ?")
    return [c for c in claims if db.execute(sql, [debate, c.instrument, c.item_id, c.status]
                                            ).fetchone() is None]


def _claim(row: dict[str, Any]) -> Claim:
    data = {k: row[k] for k in _CLAIM_COLS}
    data["date"], data["due"] = day_or_none(row["date"]), day_or_none(row["due"])
    data["identifiers"] = tuple(json.loads(row["identifiers"] or "[]"))
    for flag in ("own", "official", "relevant"):
        data[flag] = bool(row[flag])
    return Claim(**data)


def claims_of(db: Database, debate: str, instruments: Sequence[str]) -> list[Claim]:
    """Return every stored claim about the given instruments, with the relevance its item
    has now (a reclassified item's claims follow its current signal)."""
    out: list[Claim] = []
    for marks, chunk in in_chunks(sorted(set(instruments))):
        cursor = db.execute(
            "SELECT c.*, s.relevant AS now_relevant FROM instrument_claims c LEFT JOIN signals s"
            " ON s.item_id = c.item_id AND s.debate = c.debate WHERE c.debate = ? AND "
            f"c.instrument IN ({marks})", [debate, *chunk])
        cols = [c[0] for c in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(cols, values, strict=True))
            if row["now_relevant"] is not None:
                row["relevant"] = row["now_relevant"]
            out.append(_claim(row))
    return out


def instrument_ids(db: Database, debate: str) -> list[str]:
    """Return every instrument any stored claim names."""
    return [r[0] for r in db.execute(
        "SELECT DISTINCT instrument FROM instrument_claims WHERE debate = ?", [debate])]


def title_claims(db: Database, debate: str) -> list[Claim]:
    """Return the claims that name a rule only by its title (resolved again each pass)."""
    cursor = db.execute("SELECT * FROM instrument_claims WHERE debate = ? AND instrument >= "
                        "'title:' AND instrument < 'title;'", [debate])
    cols = [c[0] for c in cursor.description]
    return [_claim(dict(zip(cols, v, strict=True))) for v in cursor.fetchall()]


def rule_titles(db: Database, debate: str) -> dict[str, str]:
    """Return the titles rules' own documents give, by instrument id."""
    return {k: t for k, t in db.execute(
        "SELECT instrument, title FROM instrument_claims WHERE debate = ? AND own = 1 AND "
        "instrument >= 'rule:' AND instrument < 'rule;' AND title != '' "
        "ORDER BY date DESC", [debate]).fetchall()}


def save_instruments(db: Database, debate: str, instruments: Iterable[Instrument],
                     when: datetime, dropped: Iterable[str] = ()) -> int:
    """Write each instrument's current life cycle and append its change of state, if any;
    ``dropped`` instruments (no relevant item names them any more) leave the current table,
    their history staying; return how many changed (call inside a transaction)."""
    instruments = list(instruments)
    at = times.iso(when)
    gone = [(debate, i) for i in dropped]
    if gone:
        db.conn.executemany("DELETE FROM instruments WHERE debate = ? AND id = ?", gone)
        write(db, "instrument_states", [
            {"debate": debate, "instrument": i, "state": "untracked",
             "status": "no relevant item names it", "since": times.day(when), "recorded_at": at}
            for _, i in gone])
    before = {i: (s, st) for i, s, st in db.execute(
        "SELECT id, state, status FROM instruments WHERE debate = ?", [debate]).fetchall()}
    rows, changes = [], []
    for inst in instruments:
        since = times.day(inst.since)  # the store keeps text: "" for an undated change
        rows.append({"debate": debate, "id": inst.id, "kind": inst.kind, "title": inst.title,
                     "identifiers": dumps(list(inst.identifiers)), "state": inst.state,
                     "status": inst.status, "direction": inst.direction, "since": since,
                     "due": times.iso(inst.due), "history": dumps(
                         [{**vars(s), "date": times.day(s.date)} for s in inst.history]),
                     "projected": dumps([[e, a, when_text(d)] for e, a, d in inst.projected]),
                     "updated_at": at})
        if before.pop(inst.id, None) != (inst.state, inst.status):
            changes.append({"debate": debate, "instrument": inst.id, "state": inst.state,
                            "status": inst.status, "since": since, "recorded_at": at})
    if rows:
        write(db, "instruments", rows, verb="INSERT OR REPLACE")
    if changes:
        write(db, "instrument_states", changes)
    return len(changes) + len(gone)


def stored_ids(db: Database, debate: str) -> set[str]:
    """Return the ids of the instruments in the current table."""
    return {r[0] for r in db.execute("SELECT id FROM instruments WHERE debate = ?", [debate])}


def get_instruments(db: Database, debate: str, state: str | None = None
                    ) -> list[Instrument]:
    """Return the stored instruments of a debate (of one state when asked)."""
    sql = "SELECT * FROM instruments WHERE debate = ?"
    args: list[Any] = [debate]
    if state:
        sql += " AND state = ?"
        args.append(state)
    cursor = db.execute(sql + " ORDER BY kind, id", args)
    cols = [c[0] for c in cursor.description]
    out = []
    for values in cursor.fetchall():
        row = dict(zip(cols, values, strict=True))
        out.append(Instrument(
            id=row["id"], kind=row["kind"], title=row["title"],
            identifiers=tuple(json.loads(row["identifiers"] or "[]")), state=row["state"],
            status=row["status"], direction=row["direction"], since=day_or_none(row["since"]),
            history=tuple(Step(**{**s, "date": day_or_none(s["date"])})
                          for s in json.loads(row["history"] or "[]")),
            due=day_or_none(row["due"]), projected=tuple(
                (e, a, when_of(d)) for e, a, d in json.loads(row.get("projected") or "[]"))))
    return out


def item_texts(db: Database, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Return (title, summary) of the given items, by id (the text key points quote); a
    document with an empty abstract gives the text the pipeline fetched for it instead (an
    executive order's own words)."""
    out: dict[str, tuple[str, str]] = {}
    for marks, chunk in in_chunks(sorted(set(ids))):
        for item_id, title, summary, full in db.execute(
                "SELECT id, title, summary, CASE WHEN summary = '' THEN "
                "json_extract(extra, '$.full_text') END "
                f"FROM items WHERE id IN ({marks})", chunk):
            out[item_id] = (title or "", summary or full or "")
    return out
