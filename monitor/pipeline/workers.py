"""Parse workers: forked processes that parse fetched bodies and classify the items they
parsed, since parsing and classifying are CPU work the GIL would serialise in the fetching
threads. A worker dies with its parent, and its signals travel back beside the items.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..config import Settings
from ..errors import ParseError, SourceError
from ..parse import parse
from ..types import Fetched, Item, Parsed, Signal, Source

if TYPE_CHECKING:
    from .classifying import SignalsFor
    from .crawl import Parser

PARALLEL_PARSE_MIN = 8  # sources due before parsing moves to worker processes


class WorkerSignals:
    """Signals the parse workers computed for the items they parsed, held (per source, by item
    id) until the storing thread takes those of the new items or forgets the source's rest.

    An item's id names the very Item its signal was computed from: collect() keeps the parsed
    Item objects as they came back; both this cache and store.save_items keep the first item
    of each id in parse order; and the only parsed page collect() drops (a repeat of an
    earlier page) is the last one it parses, so it never holds the first of an id that is
    kept. A signal is a pure function of its item, the debate and the source's role, so the
    one taken here is the one the storing thread would compute.
    """

    def __init__(self) -> None:
        self._by_source: dict[str, dict[str, Signal]] = {}
        self._lock = threading.Lock()

    def add(self, source_id: str, items: Sequence[Item], signals: Sequence[Signal]) -> None:
        """Hold the signals of one parsed page of a source (the first for each item id)."""
        with self._lock:
            kept = self._by_source.setdefault(source_id, {})
            for item, sig in zip(items, signals, strict=True):
                kept.setdefault(item.id, sig)

    def forget(self, source_id: str) -> None:
        """Drop what is held for a source (its run is stored)."""
        with self._lock:
            self._by_source.pop(source_id, None)

    def drop(self, source_id: str, item_ids: Iterable[str]) -> None:
        """Drop the signals held for these items of a source (their items changed before
        storing: a fetched text), so the storing thread classifies them afresh."""
        with self._lock:
            kept = self._by_source.get(source_id, {})
            for item_id in item_ids:
                kept.pop(item_id, None)

    def signals_for(self, classify_items: SignalsFor) -> SignalsFor:
        """Return ``classify_items`` that first takes the signals computed in the workers."""

        def signals(items: Sequence[Item]) -> list[Signal]:
            done: list[Signal] = []
            rest: list[Item] = []
            with self._lock:
                for item in items:
                    hit = self._by_source.get(item.source_id, {}).get(item.id)
                    if hit is not None:
                        done.append(hit)
                    else:
                        rest.append(item)
            return done + (classify_items(rest) if rest else [])

        return signals


@contextmanager
def parse_workers(settings: Settings, due: int, signals_for: SignalsFor | None = None,
                  stage: Parser = parse) -> Iterator[tuple[Parser | None, WorkerSignals]]:
    """Yield a parser that runs ``stage`` in worker processes, which also classify what they
    parse, with the signals they computed; the parser is None (parse in the fetching threads)
    for few sources, one CPU, or settings.parse_processes = 0."""
    held = WorkerSignals()
    wanted = settings.parse_processes if settings.parse_processes >= 0 else (
        os.cpu_count() or 1)
    if wanted < 2 or due < PARALLEL_PARSE_MIN:
        yield None, held
        return
    # fork: the workers start in milliseconds with the parsers and the debate already loaded;
    # they are started here, before the fetching threads exist, and only ever run parse()
    # and classify().
    pool = ProcessPoolExecutor(max_workers=wanted, initializer=_start_worker,
                               initargs=(stage, signals_for),
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
            held.add(source.id, value.items, signals)
        return value

    try:
        yield parser, held
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# --- inside a worker -----------------------------------------------------------------------

_stage: Parser | None = None
_signals_for: SignalsFor | None = None


def _start_worker(stage: Parser, signals_for: SignalsFor | None) -> None:
    """Initialise a forked worker; ``stage`` and ``signals_for`` arrive by fork, not pickle."""
    global _stage, _signals_for
    _die_with_parent()
    _stage, _signals_for = stage, signals_for


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


def _parse_in_child(source: Source, fetched: Fetched
                    ) -> tuple[str, Parsed | str, tuple[Signal, ...]]:
    """Return ("ok", what was parsed, its items' signals), or ("error", a ParseError's
    reason, ())."""
    assert _stage is not None
    try:
        parsed = _stage(source, fetched)
    except SourceError as e:
        return "error", e.reason, ()
    signals = _signals_for(parsed.items) if _signals_for and parsed.items else []
    return "ok", parsed, tuple(signals)
