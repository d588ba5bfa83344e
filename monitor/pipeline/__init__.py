"""The only module that sequences the stages: fetch -> parse -> store (-> classify -> cluster).

Sources are fetched and parsed concurrently in worker threads, within an overall limit and a
per-host limit; every database write happens on the calling thread, one transaction per
source's run.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from .. import cluster, logs, store
from ..classify import classify, compile_debate
from ..config import Config, Settings, api_key, default_role
from ..errors import FetchError, ParseError, SourceError
from ..fetch import Sleep, fetch
from ..parse import parse
from ..types import (
    Debate,
    Fetched,
    Item,
    Member,
    Parsed,
    Plan,
    Signal,
    Source,
    SourceRun,
    SourceState,
)

if TYPE_CHECKING:  # types only: httpx lives in fetch.py, sqlite_utils in store.py
    import httpx
    from sqlite_utils import Database

OnResult = Callable[[SourceRun], None]
log = logging.getLogger("monitor.pipeline")


def _log_run(r: SourceRun) -> None:
    level = logging.WARNING if r.status == "error" else logging.INFO
    logs.event(log, "source_run", level, source=r.source_id, status=r.status,
               http=r.http_status, pages=r.pages, items=r.items_seen, new=r.items_new,
               ms=r.duration_ms, error=r.error)
FR_MAX_RESULTS = 10_000  # the most one Federal Register query can reach (sources.md A.4)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Collected:
    """What one worker brings back for one source: the run, its items and new validators."""

    run: SourceRun
    items: tuple[Item, ...] = ()
    etag: str | None = None
    last_modified: str | None = None
    retry_after: float | None = None
    total: int | None = None


# --- one source: fetch and parse, following pages -------------------------------------

def collect(
    client: httpx.Client,
    source: Source,
    state: SourceState | None,
    settings: Settings,
    *,
    params: tuple[tuple[str, str], ...] | None = None,
    conditional: bool = True,
    sleep: Sleep = time.sleep,
    parser: Callable[[Source, Fetched], Parsed] | None = None,
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

    def done(status: str, error: str | None = None, **kw: object) -> Collected:
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
    stamp = now.isoformat()
    run = got.run
    if run.status == "error":
        count = prev.error_count + 1
        delay = min(settings.failure_backoff_max, settings.failure_backoff * 2 ** (count - 1))
        delay = max(delay, got.retry_after or 0)
        return replace(prev, status="failing", last_attempt=stamp, last_error=run.error,
                       error_count=count, last_http_status=run.http_status,
                       next_attempt=(now + timedelta(seconds=delay)).isoformat())
    etag, modified = prev.etag, prev.last_modified
    if run.status == "ok":  # a partial run keeps no validators, so the next run reads all
        etag, modified = got.etag, got.last_modified
    return replace(prev, status="ok", last_attempt=stamp, last_success=stamp, last_error=None,
                   error_count=0, last_http_status=run.http_status, etag=etag,
                   last_modified=modified,
                   next_attempt=(now + timedelta(seconds=source.interval)).isoformat())


# --- a pass over all sources -------------------------------------------------------------

def _skip(source: Source, reason: str, now: datetime) -> SourceRun:
    return SourceRun(source_id=source.id, status="skipped", started=now, notes=(reason,))


def plan(config: Config, states: dict[str, SourceState], only: Sequence[str], force: bool,
         now: datetime) -> tuple[list[Source], list[SourceRun]]:
    """Return the sources due now and the skipped ones with their reasons."""
    named = set(only)
    due: list[Source] = []
    skipped: list[SourceRun] = []
    for source in config.sources:
        if named and source.id not in named:
            continue
        if source.api_key_env and not api_key(source):
            skipped.append(_skip(source, f"needs {source.api_key_env} in the environment",
                                 now))
            continue
        if not source.enabled and source.id not in named:
            skipped.append(_skip(source, "disabled in sources.yaml", now))
            continue
        state = states.get(source.id)
        if not (force or source.id in named) and state and state.next_attempt:
            when = datetime.fromisoformat(state.next_attempt)
            if when > now:
                why = "backing off after errors" if state.status == "failing" else "not due"
                skipped.append(_skip(source, f"{why} until {when:%Y-%m-%d %H:%M} UTC", now))
                continue
        due.append(source)
    return due, skipped


def run(
    db: Database,
    config: Config,
    client: httpx.Client,
    *,
    only: Sequence[str] = (),
    force: bool = False,
    on_result: OnResult | None = None,
    on_start: Callable[[int], None] | None = None,
    sleep: Sleep = time.sleep,
    now: datetime | None = None,
) -> list[SourceRun]:
    """Run every due source once (or those named) and store what they bring; return the runs."""
    now = now or utcnow()
    states = store.get_states(db)
    due, skipped = plan(config, states, only, force, now)
    if on_start:
        on_start(len(due))
    runs: list[SourceRun] = list(skipped)
    for r in skipped:
        if on_result:
            on_result(r)

    signals_for = _classifier(config)
    with _parsers(config.settings, len(due), signals_for) as (parser, classified):

        def work(source: Source) -> Collected:
            return collect(client, source, states.get(source.id), config.settings,
                           sleep=sleep, parser=parser)

        runs.extend(_store_all(db, config, due, states, work, on_result,
                               classified.signals_for(signals_for) if signals_for else None,
                               classified.forget))
    catch_up(db, config)
    build_timeline(db, config)
    return runs


PARALLEL_PARSE_MIN = 8  # sources due before parsing moves to worker processes


class _Classified:
    """Signals the parse workers computed alongside the items they parsed, kept until the
    storing thread takes those of the new items (or forgets those of a source's known ones).

    An entry is used only for the very Item object it was computed from, so a signal can never
    stand for other text."""

    def __init__(self) -> None:
        self._by_source: dict[str, dict[str, tuple[Item, Signal]]] = {}
        self._lock = threading.Lock()

    def add(self, source_id: str, items: Sequence[Item], signals: Sequence[Signal]) -> None:
        with self._lock:
            kept = self._by_source.setdefault(source_id, {})
            for item, sig in zip(items, signals, strict=True):
                kept.setdefault(item.id, (item, sig))

    def forget(self, source_id: str) -> None:
        with self._lock:
            self._by_source.pop(source_id, None)

    def signals_for(self, classify_items: Callable[[Sequence[Item]], list[Signal]]
                    ) -> Callable[[Sequence[Item]], list[Signal]]:
        """Return ``classify_items`` that first takes the signals computed in the workers."""

        def signals(items: Sequence[Item]) -> list[Signal]:
            done: list[Signal] = []
            rest: list[Item] = []
            with self._lock:
                for item in items:
                    hit = self._by_source.get(item.source_id, {}).get(item.id)
                    if hit is not None and hit[0] is item:
                        done.append(hit[1])
                    else:
                        rest.append(item)
            return done + (classify_items(rest) if rest else [])

        return signals


def _die_with_parent() -> None:
    """In a parse worker: be killed when the parent dies (Linux), so a killed `monitor run`
    leaves no orphans behind."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


_worker_signals_for: Callable[[Sequence[Item]], list[Signal]] | None = None


def _start_parse_worker(signals_for: Callable[[Sequence[Item]], list[Signal]] | None) -> None:
    """Initialise a (forked) parse worker; ``signals_for`` arrives by fork, not by pickle."""
    global _worker_signals_for
    _die_with_parent()
    _worker_signals_for = signals_for


def _parse_in_child(source: Source, fetched: Fetched
                    ) -> tuple[str, Parsed | str, tuple[Signal, ...]]:
    """Parse (and classify what was parsed) in a worker process; a ParseError comes back as
    its reason."""
    try:
        parsed = parse(source, fetched)
    except SourceError as e:
        return "error", e.reason, ()
    signals = _worker_signals_for(parsed.items) if _worker_signals_for and parsed.items else []
    return "ok", parsed, tuple(signals)


Parser = Callable[[Source, Fetched], Parsed]


@contextmanager
def _parsers(settings: Settings, due: int,
             signals_for: Callable[[Sequence[Item]], list[Signal]] | None = None,
             ) -> Iterator[tuple[Parser | None, _Classified]]:
    """Yield a parser that runs in worker processes, which also classify what they parse
    (parsing and classifying are CPU work the GIL would serialise), or None to parse in the
    fetching threads: few sources, one CPU, or settings.parse_processes = 0."""
    classified = _Classified()
    wanted = settings.parse_processes if settings.parse_processes >= 0 else (
        os.cpu_count() or 1)
    if wanted < 2 or due < PARALLEL_PARSE_MIN:
        yield None, classified
        return
    # fork: the workers start in milliseconds with the parsers and the debate already loaded;
    # they are started here, before the fetching threads exist, and only ever run parse()
    # and classify().
    pool = ProcessPoolExecutor(max_workers=wanted, initializer=_start_parse_worker,
                               initargs=(signals_for,),
                               mp_context=multiprocessing.get_context("fork"))
    for started in [pool.submit(os.getpid) for _ in range(wanted)]:
        started.result()

    def parser(source: Source, fetched: Fetched) -> Parsed:
        status, value, signals = pool.submit(_parse_in_child, source, fetched).result()
        if status == "error":
            assert isinstance(value, str)
            raise ParseError(source.id, value)
        assert isinstance(value, Parsed)
        if signals:
            classified.add(source.id, value.items, signals)
        return value

    try:
        yield parser, classified
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _store_all(db: Database, config: Config, due: Sequence[Source],
               states: dict[str, SourceState], work: Callable[[Source], Collected],
               on_result: OnResult | None,
               signals_for: Callable[[Sequence[Item]], list[Signal]] | None,
               forget: Callable[[str], None]) -> list[SourceRun]:
    runs = []
    for source, got in _concurrently(due, work, config.settings):
        new_state = next_state(source, states.get(source.id), got, config.settings, utcnow())
        new = store.save_source_run(db, got.run, new_state, got.items, signals_for=signals_for)
        forget(source.id)
        stored = replace(got.run, items_new=len(new))
        runs.append(stored)
        _log_run(stored)
        if on_result:
            on_result(stored)
    return runs


# --- classification ------------------------------------------------------------------------

def _classifier(config: Config) -> Callable[[Sequence[Item]], list[Signal]] | None:
    """Return a function classifying items against the configured debate (None: no debate)."""
    debate = config.debate
    if debate is None:
        return None
    roles = config.roles()
    compile_debate(debate)  # once, here: forked parse workers inherit the automaton

    def signals_for(items: Sequence[Item]) -> list[Signal]:
        return [classify(i, debate, roles.get(i.source_id) or default_role(i.kind))
                for i in items]

    return signals_for


def _classify_where(db: Database, config: Config, debate: Debate, where: str | None,
                    args: Sequence[object], batch: int) -> int:
    signals_for = _classifier(config)
    assert signals_for is not None
    done = 0
    pending: list[Item] = []
    for item in store.iter_items(db, where, args, batch=batch):
        pending.append(item)
        if len(pending) >= batch:
            with store.transaction(db):
                done += store.save_signals(db, signals_for(pending), utcnow().isoformat())
            pending = []
    if pending:
        with store.transaction(db):
            done += store.save_signals(db, signals_for(pending), utcnow().isoformat())
    return done


def classify_all(db: Database, config: Config, batch: int = 1000) -> int:
    """Re-apply the current debate definition to every stored item; return how many."""
    if config.debate is None:
        return 0
    return _classify_where(db, config, config.debate, None, (), batch)


def catch_up(db: Database, config: Config, batch: int = 1000) -> int:
    """Classify stored items that have no signal for the debate yet (e.g. stored before the
    debate was configured, or by an older schema); return how many."""
    debate = config.debate
    if debate is None:
        return 0
    return _classify_where(
        db, config, debate,
        "id NOT IN (SELECT item_id FROM signals WHERE debate = ?)", (debate.id,), batch)


def _concurrently(sources: Iterable[Source], work: Callable[[Source], Collected],
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


# --- backfill ----------------------------------------------------------------------------

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


def _covered(start: date, end: date, done: set[tuple[str, str]]) -> bool:
    """Return True when the stored windows together cover start..end."""
    cursor = start
    for s, e in sorted(done):
        if date.fromisoformat(s) > cursor:
            break
        cursor = max(cursor, date.fromisoformat(e) + timedelta(days=1))
        if cursor > end:
            return True
    return cursor > end


def _window_params(source: Source, start: date, end: date) -> tuple[tuple[str, str], ...]:
    kept = tuple((k, v) for k, v in source.query
                 if not k.startswith("conditions[publication_date]"))
    return kept + (("conditions[publication_date][gte]", start.isoformat()),
                   ("conditions[publication_date][lte]", end.isoformat()))


def backfill(
    db: Database,
    config: Config,
    client: httpx.Client,
    since: date,
    *,
    until: date | None = None,
    only: Sequence[str] = (),
    on_result: OnResult | None = None,
    sleep: Sleep = time.sleep,
) -> list[SourceRun]:
    """Walk Federal Register sources back to ``since`` in publication-date windows small
    enough to stay under the API's 10,000-result reach; resumable (finished windows are kept).

    Sources of other kinds have no history to walk: they get one ordinary run.
    """
    today = utcnow().date()
    until = min(until or today, today)
    runs: list[SourceRun] = []
    named = set(only)
    for source in config.sources:
        if named and source.id not in named:
            continue
        if not named and not source.enabled:
            continue
        documents = (source.kind == "federal_register"
                     and source.options.get("endpoint", "documents") == "documents")
        if not documents:
            runs.extend(run(db, config, client, only=[source.id], on_result=on_result,
                            sleep=sleep))
            continue
        runs.extend(_backfill_source(db, config.settings, client, source, since, until, today,
                                     on_result, sleep))
    return runs


def _backfill_source(db: Database, settings: Settings, client: httpx.Client, source: Source,
                     since: date, until: date, today: date, on_result: OnResult | None,
                     sleep: Sleep) -> list[SourceRun]:
    per_page = int(dict(source.query).get("per_page", 200))
    reach = min(FR_MAX_RESULTS, per_page * 50)
    pages_needed = -(-reach // per_page)
    wide = replace(settings, max_pages=max(settings.max_pages, pages_needed))
    done = store.done_windows(db, source.id)
    windows = deque(month_windows(since, until))
    runs: list[SourceRun] = []
    while windows:
        start, end = windows.popleft()
        key = (start.isoformat(), end.isoformat())
        if _covered(start, end, done):
            continue
        got = collect(client, source, None, wide, params=_window_params(source, start, end),
                      conditional=False, sleep=sleep)
        full = got.total is not None and got.total >= reach
        if full and end > start:
            middle = start + (end - start) // 2
            windows.extendleft([(middle + timedelta(days=1), end), (start, middle)])
            continue
        note = f"window {key[0]}..{key[1]}: {got.run.items_seen} items"
        if full:
            note += f" (the API reports {got.total}: only the first {reach} are reachable)"
        got = replace(got, run=replace(got.run, notes=(*got.run.notes, note)))
        # Windows that end before today are complete; today's may still grow. A backfill
        # leaves the source's schedule and validators alone.
        finished = got.run.status == "ok" and end < today
        new = store.save_source_run(db, got.run, None, got.items,
                                    window=(*key, note) if finished else None)
        stored = replace(got.run, items_new=len(new))
        runs.append(stored)
        if on_result:
            on_result(stored)
    return runs


# --- the timeline ----------------------------------------------------------------------------

RESCORE_DAYS = 21  # events seen this recently are rescored every run: their attention decays


@dataclass(frozen=True)
class TimelineUpdate:
    """What one clustering pass did."""

    placed: int
    new_events: int
    merges: int
    scored: int


def _member_builder(config: Config, now: datetime) -> Callable[[store.events.MemberRow], Member]:
    weights = {s.id: s.weight for s in config.sources}
    roles = config.roles()

    def build(row: store.events.MemberRow) -> Member:
        item, signal, fetched, event_id, _ = row
        m = cluster.member_of(item, signal, weight=weights.get(item.source_id, 1.0),
                              role=roles.get(item.source_id) or default_role(item.kind),
                              fetched_at=fetched, now=now)
        return replace(m, event_id=event_id) if event_id else m

    return build


def _keys(m: Member) -> set[tuple[str, str]]:
    keys = {*m.primary, *m.secondary, *m.specific, *([m.reference] if m.reference else [])}
    return {tuple(k.split(":", 1)) for k in keys}  # type: ignore[misc]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while members are built and clustered: it would
    walk the hundreds of thousands of members, nodes and vectors again and again as they are
    allocated (seconds at 100,000 items), and none of them form reference cycles, so reference
    counting frees them as ever. A cycle made meanwhile waits for the next collection."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _place(db: Database, debate: str, build: Callable[[store.events.MemberRow], Member]
           ) -> tuple[Plan | None, dict[str, Member]]:
    """Plan where the pending relevant items go; return the plan and every member built."""
    new = [build(r) for r in store.iter_pending_members(db, debate)]
    if not new:
        return None, {}
    keys = set().union(*(_keys(m) for m in new))
    start = (min(datetime.fromisoformat(m.published) for m in new)
             - timedelta(days=cluster.SIMILARITY_WINDOW_DAYS)).isoformat()
    end = (max(datetime.fromisoformat(m.published) for m in new)
           + timedelta(days=cluster.SIMILARITY_WINDOW_DAYS)).isoformat()
    context = [build(r) for r in store.members_near(db, debate, keys, start, end)]
    plan = cluster.plan(new, context, debate, store.merges(db, debate))
    return plan, {m.item_id: m for m in (*new, *context)}


def build_timeline(db: Database, config: Config, now: datetime | None = None
                   ) -> TimelineUpdate:
    """Place relevant items that have no event yet into events (new or existing), then
    append the noise scores of the events that changed or are recent. One transaction."""
    debate = config.debate
    if debate is None:
        return TimelineUpdate(0, 0, 0, 0)
    now = now or utcnow()
    build = _member_builder(config, now)
    with _collector_paused():
        plan, built = _place(db, debate.id, build)
    with store.transaction(db):
        stamp = now.isoformat()
        if plan is not None:
            store.save_plan(db, plan, debate.id, stamp)
        previous = store.latest_scores(db, debate.id)
        recent = (now - timedelta(days=RESCORE_DAYS)).isoformat()
        touched = {a.event_id for a in plan.assignments} if plan else set()
        touched |= {into for _, into, _ in plan.merges} if plan else set()
        touched |= {eid for eid, row in previous.items() if row["last_seen"] >= recent}
        membership = store.event_membership(db, debate.id, touched)
        missing = [iid for rows in membership.values() for iid, _ in rows if iid not in built]
        built.update((iid, build(row)) for iid, row in
                     store.member_rows(db, debate.id, missing).items())
        groups = {eid: [(built[iid], role or "member") for iid, role in rows if iid in built]
                  for eid, rows in membership.items()}
        # (an event whose items were all reclassified as irrelevant keeps its last score)
        profiles = [cluster.profile(eid, group, now) for eid, group in groups.items() if group]
        peers = [(row["date"], eid, row["raw"]) for eid, row in previous.items()]
        scores = cluster.rank(profiles, peers, now)
        scored = store.save_scores(db, scores, debate.id, previous)
    return TimelineUpdate(placed=len(plan.assignments) if plan else 0,
                          new_events=len(plan.new_events) if plan else 0,
                          merges=len(plan.merges) if plan else 0, scored=scored)
