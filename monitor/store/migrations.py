"""The schema, as numbered sqlite-utils migrations applied in order on open."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from .copies import KEY_SQL

MIGRATIONS = Migrations("monitor")
SCHEMA_VERSION = 9


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


@MIGRATIONS(name="0007_instruments")
def _m0007_instruments(db: Database) -> None:
    # Claims are evidence, append-only; instruments hold each one's current life cycle (read
    # by `instruments` and `outlook` through the (debate, state) index); instrument_states
    # keeps every change of state, append-only like events.
    db.table("instrument_claims").create({
        "debate": str, "instrument": str, "item_id": str, "status": str, "kind": str,
        "state": str, "date": str, "url": str, "title": str, "identifiers": str, "own": int,
        "official": int, "stance": str, "relevant": int, "due": str, "note": str,
        "added_at": str,
    }, pk=("debate", "instrument", "item_id", "status"))
    db.table("instrument_claims").create_index(["debate", "instrument"])
    db.table("instruments").create({
        "debate": str, "id": str, "kind": str, "title": str, "identifiers": str, "state": str,
        "status": str, "direction": str, "since": str, "due": str, "history": str,
        "updated_at": str,
    }, pk=("debate", "id"))
    db.table("instruments").create_index(["debate", "state"])
    db.table("instrument_states").create({
        "id": int, "debate": str, "instrument": str, "state": str, "status": str,
        "since": str, "recorded_at": str,
    }, pk="id")
    db.table("instrument_states").create_index(["debate", "instrument", "id"])
    db.table("instrument_scan").create({"debate": str, "last_rowid": int}, pk="debate")


@MIGRATIONS(name="0008_alerts")
def _m0008_alerts(db: Database) -> None:
    # The earliest public moment of each item (filed_at for public inspection, else the
    # first fetch), and alerts: what fired for whom, sent or still owed (a failed delivery
    # stays unsent and is retried); and the judgements one copy of a document took from
    # another (recorded, not silently rewritten).
    db.table("items").add_column("earliest", str)
    db.execute("UPDATE items SET earliest = fetched_at")
    for item_id, filed in db.execute("SELECT id, json_extract(extra, '$.filed_at') FROM items "
                                     "WHERE json_extract(extra, '$.filed_at') IS NOT NULL"
                                     ).fetchall():
        try:
            when = datetime.fromisoformat(str(filed).replace("Z", "+00:00"))
        except ValueError:
            continue
        if when.tzinfo is not None:
            db.execute("UPDATE items SET earliest = min(earliest, ?) WHERE id = ?",
                       [when.astimezone(UTC).isoformat(), item_id])
    db.table("items").create_index(["earliest"])
    db.table("alert_log").create({
        "target": str, "key": str, "rule": str, "kind": str, "title": str, "url": str,
        "why": str, "detail": str, "fired_at": str, "status": str, "attempts": int,
        "last_attempt": str, "last_error": str, "sent_at": str,
    }, pk=("target", "key"))
    db.table("alert_log").create_index(["status"])
    db.table("alert_log").create_index(["fired_at"])
    db.table("copy_judgements").create({
        "id": int, "item_id": str, "debate": str, "copy_of": str, "at": str, "before": str,
        "after": str,
    }, pk="id")
    db.table("copy_judgements").create_index(["item_id"])
    db.table("pipeline_marks").create({"name": str, "value": str}, pk="name")
    db.execute(f"CREATE INDEX idx_items_copy_key ON items ({KEY_SQL})")


@MIGRATIONS(name="0009_instrument_agenda")
def _m0009_instrument_agenda(db: Database) -> None:
    # The Unified Agenda's projected actions of each instrument (JSON list of [edition,
    # action, date]), read by the outlook's forecast with the rest of its row.
    db.table("instruments").add_column("projected", str)
