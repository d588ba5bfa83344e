"""SQLite storage: migrations, and get_* / save_* functions.  [sqlite_utils]

Every write of one source's run happens in one transaction; items are keyed by
(source, guid) so re-running over the same data adds nothing.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from ..errors import LockedError, StorageError
from ..types import Entity, Item, Signal, SourceRun, SourceState, TopicHit

MIGRATIONS = Migrations("monitor")
SCHEMA_VERSION = 6
SignalsFor = Callable[[Sequence[Item]], Sequence[Signal]]


@MIGRATIONS(name="0001_crawl")
def _m0001_crawl(db: Database) -> None:
    db.table("source_state").create({
        "source_id": str, "etag": str, "last_modified": str, "status": str,
        "last_attempt": str, "last_success": str, "last_error": str, "error_count": int,
        "next_attempt": str, "last_http_status": int,
    }, pk="source_id")
    db.table("fetch_log").create({
        "id": int, "source_id": str, "started": str, "status": str, "http_status": int,
        "bytes": int, "pages": int, "items_seen": int, "items_new": int, "duration_ms": int,
        "error": str, "notes": str,
    }, pk="id")
    db.table("fetch_log").create_index(["source_id", "started"])
    db.table("items").create({
        "id": str, "source_id": str, "guid": str, "url": str, "title": str, "summary": str,
        "published": str, "fetched_at": str, "kind": str, "extra": str,
    }, pk="id")
    db.table("items").create_index(["source_id", "guid"], unique=True)
    db.table("items").create_index(["published"])
    db.table("items").create_index(["url"])
    db.table("items").enable_fts(["title", "summary"], create_triggers=True, tokenize="porter")
    db.table("backfill_windows").create({
        "source_id": str, "start": str, "end": str, "items": int, "done_at": str,
        "note": str,
    }, pk=("source_id", "start", "end"))


@MIGRATIONS(name="0002_signals")
def _m0002_signals(db: Database) -> None:
    db.table("signals").create({
        "item_id": str, "debate": str, "version": str, "relevance": float, "relevant": int,
        "topics": str, "topic_cues": str, "stance": str, "stance_cues": str, "authority": str,
        "authority_reason": str, "entities": str, "classified_at": str,
    }, pk=("item_id", "debate"))
    db.table("signals").create_index(["debate", "relevant"])
    db.table("signal_entities").create({
        "item_id": str, "debate": str, "kind": str, "value": str,
    }, pk=("item_id", "debate", "kind", "value"))
    db.table("signal_entities").create_index(["kind", "value"])


@MIGRATIONS(name="0003_events")
def _m0003_events(db: Database) -> None:
    # Append-only: events are never deleted or rewritten; membership, merges and scores are
    # added as rows. What an event is at a moment lives in its latest event_scores row.
    db.table("events").create({
        "id": str, "debate": str, "created_at": str, "anchor_item": str,
    }, pk="id")
    db.table("events").create_index(["debate"])
    db.table("event_items").create({
        "item_id": str, "debate": str, "event_id": str, "role": str, "via": str,
        "added_at": str,
    }, pk=("item_id", "debate"))
    db.table("event_items").create_index(["event_id"])
    db.table("event_merges").create({
        "from_event": str, "into_event": str, "debate": str, "merged_at": str, "reason": str,
    }, pk="from_event")
    db.table("event_scores").create({
        "id": int, "event_id": str, "debate": str, "computed_at": str, "title": str,
        "date": str, "kind": str, "authority": str, "topics": str, "stance_mix": str,
        "items": int, "outlets": int, "echo": int, "attention": float,
        "peak_attention": float, "velocity": float, "raw": float, "noise": float,
        "percentile": float, "reference_events": int, "first_seen": str, "last_seen": str,
    }, pk="id")
    db.table("event_scores").create_index(["event_id", "id"])
    db.table("event_scores").create_index(["debate", "date"])


@MIGRATIONS(name="0004_outputs")
def _m0004_outputs(db: Database) -> None:
    # Which items went to which recipients, so a digest never sends them twice.
    db.table("digest_log").create({
        "recipients": str, "item_id": str, "debate": str, "sent_at": str, "subject": str,
    }, pk=("recipients", "item_id", "debate"))
    db.table("items").create_index(["fetched_at"])


@MIGRATIONS(name="0005_jobs")
def _m0005_jobs(db: Database) -> None:
    # When each daemon job last ran, so `daemon --once` knows what is due.
    db.table("job_runs").create({"job": str, "last_run": str, "status": str}, pk="job")


@MIGRATIONS(name="0006_item_time_index")
def _m0006_item_time_index(db: Database) -> None:
    # Queries by period read items by their time (published, else fetched): index that.
    db.execute("CREATE INDEX IF NOT EXISTS idx_items_time ON items "
               "(coalesce(published, fetched_at))")


def job_last_run(db: Database, job: str) -> str | None:
    """Return when a daemon job last ran (ISO UTC), or None."""
    row = db.execute("SELECT last_run FROM job_runs WHERE job = ?", [job]).fetchone()
    return row[0] if row else None


def save_job_run(db: Database, job: str, at: str, status: str) -> None:
    """Record a daemon job's run."""
    with db.atomic():
        db.table("job_runs").upsert({"job": job, "last_run": at, "status": status}, pk="job")


def open_db(path: str | Path, *, migrate: bool = True) -> Database:
    """Return the database at ``path`` (created if absent), in WAL mode, migrated."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        db = Database(sqlite3.connect(str(path), timeout=30, check_same_thread=False))
        if str(path) != ":memory:":
            db.enable_wal()
        db.execute("PRAGMA busy_timeout = 30000")
        db.execute("PRAGMA foreign_keys = ON")
        if migrate:
            MIGRATIONS.apply(db)
    except sqlite3.DatabaseError as e:
        raise StorageError(f"{path}: cannot open the database: {e}") from e
    return db


@contextmanager
def writer_lock(path: str | Path) -> Iterator[None]:
    """Hold the database's writer lock (``<db>.lock``) or raise LockedError at once.

    The lock is an flock on the file: the kernel releases it when its process ends, so a
    lock left by a killed process never blocks the next run.
    """
    if str(path) == ":memory:":
        yield
        return
    lock_path = Path(f"{path}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise LockedError(f"{path}: another monitor process (pid {holder}) is writing to "
                              "this database; not starting a second writer") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def memory_db() -> Database:
    """Return a migrated in-memory database (for tests)."""
    db = Database(memory=True)
    MIGRATIONS.apply(db)
    return db


def schema_version(db: Database) -> int:
    """Return how many of this project's migrations the database has applied."""
    return len(MIGRATIONS.applied(db))


def pending_migrations(db: Database) -> list[str]:
    """Return the names of migrations not yet applied."""
    return [m.name for m in MIGRATIONS.pending(db)]


# --- source state and fetch log -------------------------------------------------------

def get_states(db: Database) -> dict[str, SourceState]:
    """Return the stored state of every source that has run, by source id."""
    fields = SourceState.__dataclass_fields__
    return {
        row["source_id"]: SourceState(**{k: v for k, v in row.items() if k in fields})
        for row in db.table("source_state").rows
    }


def get_fetch_log(db: Database, source_id: str | None = None, limit: int = 50
                  ) -> list[dict[str, Any]]:
    """Return the newest fetch-log rows, optionally for one source."""
    where, args = ("source_id = ?", [source_id]) if source_id else (None, [])
    return list(db.table("fetch_log").rows_where(where, args, order_by="id desc", limit=limit))


@lru_cache(maxsize=64)
def _insert_sql(table: str, columns: tuple[str, ...], verb: str, conflict: tuple[str, ...]
                ) -> str:
    cols = ", ".join(f"[{c}]" for c in columns)
    sql = f"{verb} INTO [{table}] ({cols}) VALUES ({', '.join('?' * len(columns))})"
    if conflict:
        updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in columns if c not in conflict)
        sql += f" ON CONFLICT ({', '.join(f'[{c}]' for c in conflict)}) DO UPDATE SET {updates}"
    return sql


def _write(db: Database, table: str, rows: Sequence[dict[str, Any]], *, verb: str = "INSERT",
           conflict: tuple[str, ...] = ()) -> None:
    """Write rows that share their keys with one prepared statement: ``verb`` is INSERT,
    INSERT OR IGNORE or INSERT OR REPLACE; ``conflict`` names the key columns of an upsert.

    The writes of a source's run go through here rather than sqlite-utils' insert_all and
    upsert, which read the table's schema again on every call: on a crawl of many small
    sources that bookkeeping was most of the single writer thread's time."""
    if not rows:
        return
    columns = tuple(rows[0])
    db.conn.executemany(_insert_sql(table, columns, verb, conflict),
                        [tuple(r[c] for c in columns) for r in rows])


def _existing_ids(db: Database, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        found.update(r[0] for r in db.execute(
            f"SELECT id FROM items WHERE id IN ({marks})", chunk).fetchall())
    return found


def _fields(obj: Any) -> dict[str, Any]:
    """Return a dataclass's fields as a new dict, one level deep (``asdict`` deep-copies every
    value, which the writes do not need)."""
    return dict(vars(obj))


def _item_row(item: Item, fetched_at: str) -> dict[str, Any]:
    row = _fields(item)
    row["extra"] = json.dumps(item.extra, sort_keys=True, ensure_ascii=False, default=str)
    row["fetched_at"] = fetched_at
    return row


def save_items(db: Database, items: Iterable[Item], fetched_at: str) -> list[Item]:
    """Insert the items not stored yet and return them (call inside a transaction)."""
    unique: dict[str, Item] = {}
    for item in items:
        unique.setdefault(item.id, item)
    existing = _existing_ids(db, list(unique))
    new = [item for key, item in unique.items() if key not in existing]
    if new:
        _write(db, "items", [_item_row(i, fetched_at) for i in new], verb="INSERT OR IGNORE")
    return new


def save_source_run(
    db: Database,
    run: SourceRun,
    state: SourceState | None,
    items: Sequence[Item] = (),
    window: tuple[str, str, str | None] | None = None,
    signals_for: SignalsFor | None = None,
) -> list[Item]:
    """Store one source's run (items, state, fetch-log row) in one transaction; return new items.

    ``state`` None leaves the source's state as it is (a backfill window). ``signals_for``
    classifies the new items so their signals are stored in the same transaction.
    ``window`` = (start, end, note) marks a backfill window done in the same transaction.
    """
    try:
        with db.atomic():
            new = save_items(db, items, run.started.isoformat()) if items else []
            if new and signals_for is not None:
                save_signals(db, signals_for(new), run.started.isoformat())
            if state is not None:
                _write(db, "source_state", [_fields(state)], conflict=("source_id",))
            log = _fields(run)
            log["started"] = run.started.isoformat()
            log["items_new"] = len(new)
            log["notes"] = "\n".join(run.notes) or None
            _write(db, "fetch_log", [log])
            if window is not None:
                db.table("backfill_windows").upsert({
                    "source_id": run.source_id, "start": window[0], "end": window[1],
                    "items": len(items), "done_at": run.started.isoformat(),
                    "note": window[2],
                }, pk=("source_id", "start", "end"))
    except sqlite3.DatabaseError as e:
        raise StorageError(f"cannot store the run of {run.source_id}: {e}") from e
    return new


def done_windows(db: Database, source_id: str) -> set[tuple[str, str]]:
    """Return the backfill windows of a source already stored."""
    return {(r["start"], r["end"]) for r in
            db.table("backfill_windows").rows_where("source_id = ?", [source_id])}


# --- signals ---------------------------------------------------------------------------

def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def save_signals(db: Database, signals: Iterable[Signal], classified_at: str) -> int:
    """Insert or replace signals (one per item and debate) with their entity index; return
    how many were written (call inside a transaction)."""
    rows: list[dict[str, Any]] = []
    entity_rows: list[dict[str, Any]] = []
    keys: list[tuple[str, str]] = []
    for s in signals:
        keys.append((s.item_id, s.debate))
        rows.append({
            "item_id": s.item_id, "debate": s.debate, "version": s.version,
            "relevance": s.relevance, "relevant": int(s.relevant),
            "topics": _dump([t.topic for t in s.topics]),
            "topic_cues": _dump({t.topic: list(t.cues) for t in s.topics}),
            "stance": s.stance, "stance_cues": _dump(list(s.stance_cues)),
            "authority": s.authority, "authority_reason": s.authority_reason,
            "entities": _dump([_fields(e) for e in s.entities]), "classified_at": classified_at,
        })
        entity_rows.extend({"item_id": s.item_id, "debate": s.debate, "kind": e.kind,
                            "value": e.value} for e in s.entities)
    if not rows:
        return 0
    db.conn.executemany("DELETE FROM signal_entities WHERE item_id = ? AND debate = ?", keys)
    _write(db, "signals", rows, verb="INSERT OR REPLACE")
    _write(db, "signal_entities", entity_rows, verb="INSERT OR IGNORE")
    return len(rows)


def _row_signal(row: dict[str, Any]) -> Signal:
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
    return _row_signal(rows[0]) if rows else None


def count_signals(db: Database, debate: str, relevant: bool | None = None) -> int:
    """Return how many signals a debate has (only relevant or irrelevant ones when asked)."""
    sql = "SELECT count(*) FROM signals WHERE debate = ?"
    args: list[Any] = [debate]
    if relevant is not None:
        sql += " AND relevant = ?"
        args.append(int(relevant))
    return int(db.execute(sql, args).fetchone()[0])


def transaction(db: Database) -> Any:
    """Return a context manager wrapping writes in one transaction."""
    return db.atomic()


# --- items -------------------------------------------------------------------------------

def _row_item(row: dict[str, Any]) -> Item:
    fields = Item.__dataclass_fields__
    data = {k: v for k, v in row.items() if k in fields}
    data["extra"] = json.loads(row.get("extra") or "{}")
    return Item(**data)


def get_item(db: Database, item_id: str) -> Item | None:
    """Return one stored item, or None."""
    rows = list(db.table("items").rows_where("id = ?", [item_id], limit=1))
    return _row_item(rows[0]) if rows else None


def iter_items(db: Database, where: str | None = None, args: Sequence[Any] = (),
               batch: int = 2000) -> Iterator[Item]:
    """Yield stored items in rowid order, in batches, with bounded memory."""
    last = 0
    clause = f"AND ({where})" if where else ""
    while True:
        rows = db.execute(
            f"SELECT rowid AS _rowid, * FROM items WHERE rowid > ? {clause} "
            f"ORDER BY rowid LIMIT {int(batch)}", [last, *args]).fetchall()
        if not rows:
            return
        cols = ["_rowid", *[c.name for c in db.table("items").columns]]
        for values in rows:
            row = dict(zip(cols, values, strict=True))
            last = row.pop("_rowid")
            yield _row_item(row)


def count_items(db: Database, source_id: str | None = None) -> int:
    """Return how many items are stored (for one source, or all)."""
    if source_id:
        return int(db.execute("SELECT count(*) FROM items WHERE source_id = ?",
                              [source_id]).fetchone()[0])
    return int(db.execute("SELECT count(*) FROM items").fetchone()[0])


def item_counts(db: Database, since: str | None = None) -> dict[str, int]:
    """Return stored item counts per source (fetched since ``since`` when given)."""
    sql = "SELECT source_id, count(*) FROM items"
    args: list[Any] = []
    if since:
        sql += " WHERE fetched_at >= ?"
        args.append(since)
    return {r[0]: r[1] for r in db.execute(sql + " GROUP BY source_id", args).fetchall()}


def search_items(db: Database, query: str, limit: int = 20) -> list[Item]:
    """Return items whose title or summary match an FTS5 query, best first."""
    try:
        rows = db.execute(
            "SELECT items.* FROM items JOIN items_fts ON items.rowid = items_fts.rowid "
            "WHERE items_fts MATCH ? ORDER BY items_fts.rank LIMIT ?", [query, limit]
        ).fetchall()
    except sqlite3.OperationalError as e:
        raise StorageError(f"bad search query {query!r}: {e}") from e
    cols = [c.name for c in db.table("items").columns]
    return [_row_item(dict(zip(cols, r, strict=True))) for r in rows]


def integrity_check(db: Database) -> str:
    """Return the result of PRAGMA integrity_check ('ok' when healthy)."""
    return "; ".join(r[0] for r in db.execute("PRAGMA integrity_check").fetchall())


from .events import (  # noqa: E402  (events.py uses the helpers above)
    event_members,
    event_membership,
    get_event,
    iter_pending_members,
    latest_scores,
    member_rows,
    members_near,
    merges,
    noise_days,
    pending_members,
    save_plan,
    save_scores,
    timeline,
)
from .outputs import (  # noqa: E402
    already_sent,
    deadlines,
    log_sent,
    query_signals,
)

__all__ = [
    "already_sent", "deadlines", "log_sent", "query_signals",
    "MIGRATIONS", "SCHEMA_VERSION", "count_items", "count_signals", "done_windows",
    "event_members", "event_membership", "member_rows", "get_event", "get_fetch_log",
    "get_item", "get_signal", "get_states",
    "integrity_check", "item_counts", "iter_items", "latest_scores", "members_near",
    "iter_pending_members", "memory_db", "merges", "noise_days", "open_db", "pending_members",
    "pending_migrations",
    "save_items", "save_plan", "writer_lock", "job_last_run", "save_job_run", "save_scores",
    "save_signals", "save_source_run",
    "schema_version", "search_items", "timeline", "transaction",
]
