"""SQLite storage: migrations, and get_* / save_* functions.  [sqlite_utils]

How data flows through the package:

- ``db`` opens the database (WAL, migrated by ``migrations``); ``lock`` keeps one writer.
- A source's run is stored by ``save_source_run`` below in one transaction: its new
  ``items`` (keyed by (source, guid), so re-running over the same data adds nothing), their
  ``signals``, and the source's state, fetch-log row and backfill window (``sources``).
- Clustering appends events, memberships, merges and scores (``events``); an event merged
  into another is followed to the survivor by ``event_merges``.
- ``outputs`` answers the read side: signals with filters, deadlines, the digest log.
- ``sql`` is what they all write through: prepared inserts, JSON text, chunked ``IN`` lists.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import date

from sqlite_utils import Database

from ..errors import StorageError
from ..types import Item, Signal, SourceRun, SourceState, times
from . import alerts, events, instruments, outputs
from .db import (
    integrity_check,
    memory_db,
    open_db,
    pending_migrations,
    schema_version,
    transaction,
)
from .event_merges import live_event, merges
from .events import (
    event_members,
    event_membership,
    get_event,
    iter_pending_members,
    latest_scores,
    member_rows,
    members_near,
    noise_days,
    pending_members,
    save_plan,
    save_scores,
    timeline,
)
from .items import (
    count_items,
    fts_phrases,
    get_item,
    item_counts,
    iter_items,
    save_items,
    search_items,
)
from .lock import writer_lock
from .migrations import MIGRATIONS, SCHEMA_VERSION
from .outputs import already_sent, deadlines, log_sent, query_signals
from .signals import count_signals, get_signal, save_signals
from .sources import (
    done_windows,
    first_error,
    get_fetch_log,
    get_states,
    job_last_run,
    log_run,
    save_job_run,
    save_state,
    save_window,
    source_health,
)
from .sql import day, moment, moment_or_none

SignalsFor = Callable[[Sequence[Item]], Sequence[Signal]]


def save_source_run(
    db: Database,
    run: SourceRun,
    state: SourceState | None,
    items: Sequence[Item] = (),
    window: tuple[date, date, str | None] | None = None,
    signals_for: SignalsFor | None = None,
) -> list[Item]:
    """Store one source's run (items, state, fetch-log row) in one transaction; return new items.

    ``state`` None leaves the source's state as it is (a backfill window). ``signals_for``
    classifies the new items so their signals are stored in the same transaction.
    ``window`` = (first day, last day, note) marks a backfill window done in the same
    transaction.
    """
    at = times.iso(run.started)
    try:
        with db.atomic():
            new = save_items(db, items, at) if items else []
            if new and signals_for is not None:
                save_signals(db, signals_for(new), run.started)
            if state is not None:
                save_state(db, state)
            log_run(db, run, len(new))
            if window is not None:
                save_window(db, run.source_id, window, len(items), run.started)
    except sqlite3.DatabaseError as e:
        raise StorageError(f"cannot store the run of {run.source_id}: {e}") from e
    return new


__all__ = [
    "MIGRATIONS", "SCHEMA_VERSION", "Database", "SignalsFor", "alerts",
    "already_sent", "count_items", "fts_phrases", "count_signals", "day", "deadlines",
    "done_windows", "event_members", "event_membership", "events", "first_error", "get_event",
    "get_fetch_log", "get_item",
    "instruments",
    "get_signal", "get_states", "integrity_check", "item_counts", "iter_items",
    "iter_pending_members", "job_last_run", "latest_scores", "live_event",
    "log_sent", "member_rows", "members_near", "memory_db", "merges", "moment",
    "moment_or_none", "noise_days",
    "open_db", "outputs", "pending_members", "pending_migrations", "query_signals",
    "save_items", "save_job_run", "save_plan", "save_scores", "save_signals",
    "save_source_run", "schema_version", "search_items", "source_health",
    "timeline", "transaction", "writer_lock",
]
