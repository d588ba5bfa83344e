"""The crawl: which sources are due, each one's fetch and parse across its pages, the thread
pool that runs them, and the storing of each run on the calling thread.

Sources are fetched and parsed concurrently in worker threads, within an overall limit and a
per-host limit; every database write happens on the calling thread, one transaction per
source's run.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .. import logs, store
from ..config import Config, Settings, missing_key
from ..errors import FetchError, SourceError
from ..fetch import Sleep, fetch
from ..parse import parse
from ..types import Fetched, Item, Parsed, Source, SourceRun, SourceState
from ..types.stages import RunStatus
from .clock import utcnow

if TYPE_CHECKING:  # types only: httpx lives in fetch.py, sqlite_utils in store.py
    import httpx
    from sqlite_utils import Database

    from .classifying import SignalsFor
    from .fulltext import Complete

OnResult = Callable[[SourceRun], None]
Parser = Callable[[Source, Fetched], Parsed]
log = logging.getLogger("monitor.pipeline")


# --- which sources run -------------------------------------------------------------------


def _skip(source: Source, reason: str, now: datetime) -> SourceRun:
    """Return the run of a source skipped for ``reason``."""
    return SourceRun(source_id=source.id, status="skipped", started=now, notes=(reason,))


def due_sources(config: Config, states: dict[str, SourceState], only: Sequence[str],
                force: bool, now: datetime) -> tuple[list[Source], list[SourceRun]]:
    """Return the sources due now and the skipped ones with their reasons."""
    named = set(only)
    due: list[Source] = []
    skipped: list[SourceRun] = []
    for source in config.sources:
        if named and source.id not in named:
            continue
        if key := missing_key(source):
            skipped.append(_skip(source, f"needs {key} in the environment", now))
            continue
        if not source.enabled and source.id not in named:
            skipped.append(_skip(source, "disabled in sources.yaml", now))
            continue
        state = states.get(source.id)
        if not (force or source.id in named) and state and state.next_attempt:
            when = state.next_attempt
            if when > now:
                why = "backing off after errors" if state.status == "failing" else "not due"
                skipped.append(_skip(source, f"{why} until {when:%Y-%m-%d %H:%M} UTC", now))
                continue
        due.append(source)
    return due, skipped


# --- one source: fetch and parse, following pages -------------------------------------

@dataclass(frozen=True)
class Collected:
    """What one worker brings back for one source: the run, its items and new validators."""

    run: SourceRun
    items: tuple[Item, ...] = ()
    etag: str | None = None
    last_modified: str | None = None
    retry_after: float | None = None
    total: int | None = None


def collect(
    client: httpx.Client,
    source: Source,
    state: SourceState | None,
    settings: Settings,
    *,
    params: tuple[tuple[str, str], ...] | None = None,
    conditional: bool = True,
    sleep: Sleep = time.sleep,
    parser: Parser | None = None,
) -> Collected:
    """Return the items of one source's run; errors become a failed run, never an exception.

    ``parser`` replaces the in-thread parse (run() passes one that uses worker processes).
    """
    parser = parser or parse
    started = utcnow()
    clock = time.monotonic()
    items: list[Item] = []
    notes: list[str] = []
    pages = 0
    size = 0
    http_status: int | None = None
    first = None
    total: int | None = None
    max_pages = int(source.options.get("max_pages", settings.max_pages))
    url: str | None = None
    seen_urls: set[str] = set()
    seen_pages: set[tuple[str, ...]] = set()

    def done(status: RunStatus, error: str | None = None, **kw: object) -> Collected:
        run = SourceRun(
            source_id=source.id, status=status, started=started,
            duration_ms=int((time.monotonic() - clock) * 1000), http_status=http_status,
            bytes=size, pages=pages, items_seen=len(items), error=error, notes=tuple(notes))
        return Collected(run=run, items=tuple(items), total=total, **kw)  # type: ignore[arg-type]

    try:
        while True:
            fetched = fetch(client, source, state, settings, url=url,
                            params=params if url is None else None,
                            conditional=conditional and pages == 0, sleep=sleep)
            if fetched is None:
                http_status = 304
                return done("not_modified")
            pages += 1
            size += len(fetched.body)
            http_status = fetched.status
            if first is None:
                first = fetched
            if fetched.attempts > 1:
                notes.append(f"page {pages} took {fetched.attempts} attempts")
            notes.extend(n for n in fetched.notes if n not in notes)
            seen_urls.add(fetched.url)
            parsed = parser(source, fetched)
            notes.extend(parsed.notes)
            if total is None:
                total = parsed.total
            signature = tuple(i.guid for i in parsed.items)
            if signature and signature in seen_pages:
                notes.append(f"page {pages} repeats an earlier page (the API reset to page 1); "
                             "stopped")
                break
            seen_pages.add(signature)
            items.extend(parsed.items)
            if not parsed.next_url:
                break
            if parsed.next_url in seen_urls:
                notes.append("next page points back to a page already read; stopped")
                break
            if pages >= max_pages:
                notes.append(f"stopped at the cap of {max_pages} pages; more remain")
                break
            url = parsed.next_url
    except SourceError as e:
        http_status = e.http_status or http_status
        retry_after = e.retry_after if isinstance(e, FetchError) else None
        if pages:
            notes.append(f"failed after {pages} page(s); {len(items)} items kept")
        return done("error", e.reason, retry_after=retry_after)
    except Exception as e:  # a bug must fail this source, never the whole run
        log.exception("internal error while reading %s", source.id)
        return done("error", f"internal error: {type(e).__name__}: {e}")
    assert first is not None
    return done("ok", etag=first.etag, last_modified=first.last_modified)


def next_state(source: Source, state: SourceState | None, got: Collected, settings: Settings,
               now: datetime) -> SourceState:
    """Return the source's state after a run: validators, error count and next attempt."""
    prev = state or SourceState(source_id=source.id)
    stamp = now
    run = got.run
    if run.status == "error":
        count = prev.error_count + 1
        delay = min(settings.failure_backoff_max, settings.failure_backoff * 2 ** (count - 1))
        delay = max(delay, got.retry_after or 0)
        return replace(prev, status="failing", last_attempt=stamp, last_error=run.error,
                       error_count=count, last_http_status=run.http_status,
                       next_attempt=now + timedelta(seconds=delay))
    etag, modified = prev.etag, prev.last_modified
    if run.status == "ok":  # a partial run keeps no validators, so the next run reads all
        etag, modified = got.etag, got.last_modified
    return replace(prev, status="ok", last_attempt=stamp, last_success=stamp, last_error=None,
                   error_count=0, last_http_status=run.http_status, etag=etag,
                   last_modified=modified,
                   next_attempt=now + timedelta(seconds=source.interval))


# --- many sources: threads fetch, this thread stores -------------------------------------

def concurrently(sources: Iterable[Source], work: Callable[[Source], Collected],
                 settings: Settings) -> Iterable[tuple[Source, Collected]]:
    """Yield (source, result) as workers finish, at most ``concurrency`` at once and at most
    ``per_host`` per host; the caller's thread does the storing."""
    queue = deque(sources)
    host = {s.id: s.host for s in queue}
    busy: Counter[str] = Counter()
    running: dict[Future[Collected], Source] = {}
    with ThreadPoolExecutor(max_workers=settings.concurrency,
                            thread_name_prefix="fetch") as pool:
        while queue or running:
            for _ in range(len(queue)):
                if len(running) >= settings.concurrency:
                    break
                source = queue.popleft()
                if busy[host[source.id]] >= settings.per_host:
                    queue.append(source)
                    continue
                busy[host[source.id]] += 1
                running[pool.submit(work, source)] = source
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                source = running.pop(future)
                busy[host[source.id]] -= 1
                yield source, future.result()


def store_all(db: Database, config: Config, due: Sequence[Source],
              states: dict[str, SourceState], work: Callable[[Source], Collected],
              on_result: OnResult | None, signals_for: SignalsFor | None,
              forget: Callable[[str], None], complete: Complete | None = None
              ) -> list[SourceRun]:
    """Run ``work`` over the due sources concurrently and store each run as it finishes, with
    its new state and the signals of its new items; return the stored runs. ``complete``
    gives items what they lack before storing (fulltext.py: the text of documents with an
    empty abstract)."""
    runs = []
    for source, got in concurrently(due, work, config.settings):
        got = completed(got, source, complete)
        new_state = next_state(source, states.get(source.id), got, config.settings, utcnow())
        new = store.save_source_run(db, got.run, new_state, got.items, signals_for=signals_for)
        forget(source.id)
        stored = replace(got.run, items_new=len(new))
        runs.append(stored)
        _log_run(stored)
        if on_result:
            on_result(stored)
    return runs


def completed(got: Collected, source: Source, complete: Complete | None) -> Collected:
    """Return the run with its items completed by ``complete`` and its notes."""
    if complete is None or not got.items:
        return got
    items, notes = complete(source, got.items)
    return replace(got, items=tuple(items), run=replace(got.run, notes=(*got.run.notes, *notes)))


def _log_run(r: SourceRun) -> None:
    """Log a stored run as one `source_run` event (a warning when it failed)."""
    level = logging.WARNING if r.status == "error" else logging.INFO
    logs.event(log, "source_run", level, source=r.source_id, status=r.status,
               http=r.http_status, pages=r.pages, items=r.items_seen, new=r.items_new,
               ms=r.duration_ms, error=r.error)
