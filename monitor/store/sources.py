"""Per-source bookkeeping: source state, the fetch log, done backfill windows, daemon job runs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlite_utils import Database

from ..types import SourceHealth, SourceRun, SourceState, times
from .sql import day, fields, moment, moment_or_none, write

_STATE_TIMES = ("last_attempt", "last_success", "next_attempt")


def get_states(db: Database) -> dict[str, SourceState]:
    """Return the stored state of every source that has run, by source id, its times read
    into aware datetimes."""
    names = SourceState.__dataclass_fields__
    out = {}
    for row in db.table("source_state").rows:
        kept = {k: v for k, v in row.items() if k in names}
        kept.update((k, moment_or_none(row[k])) for k in _STATE_TIMES)
        out[row["source_id"]] = SourceState(**kept)
    return out


def save_state(db: Database, state: SourceState) -> None:
    """Insert or replace a source's state (call inside a transaction); its times are stored
    as ISO text."""
    row = fields(state)
    row.update((k, times.iso(row[k])) for k in _STATE_TIMES)
    write(db, "source_state", [row], conflict=("source_id",))


def source_health(db: Database) -> dict[str, SourceHealth]:
    """Return the stored state of every source that has run, by source id, its times read
    into datetimes (a failing source's ``failing_since``: its last success, else its first
    failed fetch)."""
    out = {}
    for row in db.table("source_state").rows:
        last_success = moment_or_none(row["last_success"])
        failing_since = None
        if row["status"] == "failing":
            failing_since = last_success or first_error(db, row["source_id"])
        out[row["source_id"]] = SourceHealth(
            source_id=row["source_id"], status=row["status"], last_success=last_success,
            last_error=row["last_error"], error_count=row["error_count"] or 0,
            failing_since=failing_since, last_attempt=moment_or_none(row["last_attempt"]),
            next_attempt=moment_or_none(row["next_attempt"]),
            last_http_status=row["last_http_status"])
    return out


def first_error(db: Database, source_id: str) -> datetime | None:
    """Return when the source's first failed fetch started (None: it never failed)."""
    return moment_or_none(db.execute(
        "SELECT min(started) FROM fetch_log WHERE source_id = ? AND status = 'error'",
        [source_id]).fetchone()[0])


def get_fetch_log(db: Database, source_id: str | None = None, limit: int = 50
                  ) -> list[dict[str, Any]]:
    """Return the newest fetch-log rows, optionally for one source (``started`` an aware
    datetime)."""
    where, args = ("source_id = ?", [source_id]) if source_id else (None, [])
    return [{**r, "started": moment(r["started"])} for r in
            db.table("fetch_log").rows_where(where, args, order_by="id desc", limit=limit)]


def log_run(db: Database, run: SourceRun, items_new: int) -> None:
    """Append a source's run to the fetch log (call inside a transaction)."""
    log = fields(run)
    log["started"] = times.iso(run.started)
    log["items_new"] = items_new
    log["notes"] = "\n".join(run.notes) or None
    write(db, "fetch_log", [log])


def done_windows(db: Database, source_id: str) -> set[tuple[date, date]]:
    """Return the backfill windows (first day, last day) of a source already stored."""
    return {(day(r["start"]), day(r["end"])) for r in
            db.table("backfill_windows").rows_where("source_id = ?", [source_id])}


def save_window(db: Database, source_id: str, window: tuple[date, date, str | None], items: int,
                done_at: datetime) -> None:
    """Mark a backfill window = (first day, last day, note) done (call inside a
    transaction)."""
    db.table("backfill_windows").upsert({
        "source_id": source_id, "start": times.iso(window[0]), "end": times.iso(window[1]),
        "items": items, "done_at": times.iso(done_at), "note": window[2],
    }, pk=("source_id", "start", "end"))


def job_last_run(db: Database, job: str) -> datetime | None:
    """Return when a daemon job last ran (aware, UTC), or None."""
    row = db.execute("SELECT last_run FROM job_runs WHERE job = ?", [job]).fetchone()
    return moment_or_none(row[0]) if row else None


def save_job_run(db: Database, job: str, at: datetime, status: str) -> None:
    """Record a daemon job's run."""
    with db.atomic():
        db.table("job_runs").upsert({"job": job, "last_run": times.iso(at), "status": status},
                                    pk="job")
