"""Backfill windows: walking a Federal Register source back in publication-date windows small
enough to stay under the API's reach, skipping the windows already stored."""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

from .. import store
from ..config import Settings
from ..fetch import Sleep
from ..types import Source, SourceRun, times
from .crawl import OnResult, Parser, collect, completed

if TYPE_CHECKING:  # types only: httpx lives in fetch.py, sqlite_utils in store.py
    import httpx
    from sqlite_utils import Database

    from .fulltext import Complete

FR_MAX_RESULTS = 10_000  # the most one Federal Register query can reach (sources.md A.4)


def walks_windows(source: Source) -> bool:
    """Return True for a source whose history is walked in windows (FR documents)."""
    return (source.kind == "federal_register"
            and source.options.get("endpoint", "documents") == "documents")


def month_windows(since: date, until: date) -> list[tuple[date, date]]:
    """Return calendar-month windows covering since..until (inclusive), oldest first."""
    out = []
    start = since
    while start <= until:
        nxt = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        end = min(nxt - timedelta(days=1), until)
        out.append((start, end))
        start = nxt
    return out


def covered(start: date, end: date, done: set[tuple[date, date]]) -> bool:
    """Return True when the stored windows together cover start..end."""
    cursor = start
    for s, e in sorted(done):
        if s > cursor:
            break
        cursor = max(cursor, e + timedelta(days=1))
        if cursor > end:
            return True
    return cursor > end


def window_params(source: Source, start: date, end: date) -> tuple[tuple[str, str], ...]:
    """Return the source's query with its publication-date conditions set to start..end."""
    kept = tuple((k, v) for k, v in source.query
                 if not k.startswith("conditions[publication_date]"))
    return kept + (("conditions[publication_date][gte]", times.day(start)),
                   ("conditions[publication_date][lte]", times.day(end)))


def backfill_source(db: Database, settings: Settings, client: httpx.Client, source: Source,
                    since: date, until: date, today: date, on_result: OnResult | None,
                    sleep: Sleep, parser: Parser, complete: Complete | None = None
                    ) -> list[SourceRun]:
    """Store the source's items of since..until, window by window, halving a window that
    reaches the API's limit; return one run per window read."""
    per_page = int(dict(source.query).get("per_page", 200))
    reach = min(FR_MAX_RESULTS, per_page * 50)
    pages_needed = -(-reach // per_page)
    wide = replace(settings, max_pages=max(settings.max_pages, pages_needed))
    done = store.done_windows(db, source.id)
    windows = deque(month_windows(since, until))
    runs: list[SourceRun] = []
    while windows:
        start, end = windows.popleft()
        if covered(start, end, done):
            continue
        got = collect(client, source, None, wide, params=window_params(source, start, end),
                      conditional=False, sleep=sleep, parser=parser)
        full = got.total is not None and got.total >= reach
        if full and end > start:
            middle = start + (end - start) // 2
            windows.extendleft([(middle + timedelta(days=1), end), (start, middle)])
            continue
        note = f"window {times.day(start)}..{times.day(end)}: {got.run.items_seen} items"
        if full:
            note += f" (the API reports {got.total}: only the first {reach} are reachable)"
        unreachable = got.run.status == "error" and got.run.http_status is None
        if unreachable and windows:  # no answer at all (DNS, connect): the rest would fail too
            note += (f"; stopped: no answer, the {len(windows)} windows left are walked by "
                     "the next backfill")
            windows.clear()
        got = completed(got, source, complete)
        got = replace(got, run=replace(got.run, notes=(*got.run.notes, note)))
        # Windows that end before today are complete; today's may still grow. A backfill
        # leaves the source's schedule and validators alone.
        finished = got.run.status == "ok" and end < today
        new = store.save_source_run(db, got.run, None, got.items,
                                    window=(start, end, note) if finished else None)
        stored = replace(got.run, items_new=len(new))
        runs.append(stored)
        if on_result:
            on_result(stored)
    return runs
