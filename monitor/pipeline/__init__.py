"""The spine: the only package that sequences the stages, fetch -> parse -> store (-> classify
-> cluster). Read top to bottom, this file is the whole of a run; its modules are the
machinery.

How data flows through ``run``:

    config.sources -- crawl.due_sources --> the due Sources (and SourceRuns of skipped ones)
    -> crawl.store_all: worker threads (crawl.concurrently, within an overall and a per-host
       limit) each collect one source, fetch -> parse page by page, into a Collected; with
       enough sources due, parsing moves to forked processes (workers.parse_workers) that also
       classify what they parse
    -> on the calling thread, one transaction per source: store.save_source_run(items, the
       source's next_state, the signals of its new items)
    -> catch_up: stored items without a signal for the debate are classified (classifying)
    -> share_judgements: copies of one document take the judgement of the richest (copies)
    -> build_timeline: relevant items placed into events, events rescored (timeline)
    -> update_instruments: new items' claims about instruments, life cycles rebuilt
    -> send_alerts: rules over what just arrived, delivered at once (alerting)

``backfill`` walks Federal Register sources back in date windows (backfill.py); other sources
get one ``run``. ``classify_all`` re-applies the debate to every stored item.

The stages ``parse`` and ``classify`` are named here and handed to the machinery, so the
spine decides what parses and classifies (tests replace them here, e.g. to count parses).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from .. import store
from ..classify import classify
from ..config import Config
from ..fetch import Sleep
from ..parse import parse
from ..types import Source, SourceRun
from .alerting import send_alerts
from .backfill import (
    FR_MAX_RESULTS,
    backfill_source,
    month_windows,
    walks_windows,
    window_params,
)
from .classifying import UNCLASSIFIED, SignalsFor, classifier, classify_stored
from .clock import utcnow
from .copies import share_judgements
from .crawl import (
    Collected,
    OnResult,
    collect,
    due_sources,
    missing_key,
    next_state,
    store_all,
)
from .fulltext import full_texts
from .instruments import InstrumentsUpdate, update_instruments
from .timeline import RESCORE_DAYS, TimelineUpdate, build_timeline
from .workers import PARALLEL_PARSE_MIN, parse_workers

if TYPE_CHECKING:  # types only: httpx lives in fetch.py, sqlite_utils in store.py
    import httpx
    from sqlite_utils import Database

__all__ = [
    "FR_MAX_RESULTS", "PARALLEL_PARSE_MIN", "RESCORE_DAYS", "Collected",
    "InstrumentsUpdate", "OnResult",
    "TimelineUpdate", "backfill", "build_timeline", "catch_up", "classify", "classify_all",
    "collect", "missing_key", "month_windows", "next_state", "parse", "run", "send_alerts",
    "share_judgements", "update_instruments", "utcnow",
]


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
    due, skipped = due_sources(config, states, only, force, now)
    if on_start:
        on_start(len(due))
    runs: list[SourceRun] = list(skipped)
    for r in skipped:
        if on_result:
            on_result(r)

    signals_for = _classifier(config)
    with parse_workers(config.settings, len(due), signals_for, parse) as (parser, held):

        def work(source: Source) -> Collected:
            return collect(client, source, states.get(source.id), config.settings,
                           sleep=sleep, parser=parser or parse)

        runs.extend(store_all(db, config, due, states, work, on_result,
                              held.signals_for(signals_for) if signals_for else None,
                              held.forget, full_texts(db, client, config.debate,
                                                     config.settings, sleep, held.drop)))
    catch_up(db, config)
    if config.debate is not None:
        share_judgements(db, config.debate.id)
    build_timeline(db, config)
    update_instruments(db, config)
    send_alerts(db, config, client)
    return runs


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
        if not walks_windows(source):
            runs.extend(run(db, config, client, only=[source.id], on_result=on_result,
                            sleep=sleep))
            continue
        runs.extend(backfill_source(db, config.settings, client, source, since, until, today,
                                    on_result, sleep, parse,
                                    full_texts(db, client, config.debate, config.settings,
                                               sleep)))
    return runs


def classify_all(db: Database, config: Config, batch: int = 1000) -> int:
    """Re-apply the current debate definition to every stored item; return how many."""
    signals_for = _classifier(config)
    if signals_for is None or config.debate is None:
        return 0
    count = classify_stored(db, signals_for, None, (), batch)
    share_judgements(db, config.debate.id, everything=True)
    update_instruments(db, config, everything=True)  # relevance may have changed
    return count


def catch_up(db: Database, config: Config, batch: int = 1000) -> int:
    """Classify stored items that have no signal for the debate yet (e.g. stored before the
    debate was configured, or by an older schema); return how many."""
    debate, signals_for = config.debate, _classifier(config)
    if debate is None or signals_for is None:
        return 0
    return classify_stored(db, signals_for, UNCLASSIFIED, (debate.id,), batch)


def _classifier(config: Config) -> SignalsFor | None:
    """Return a function classifying items against the configured debate with this
    package's ``classify`` (None: no debate)."""
    return classifier(config, classify)


# Older names, kept for the tests and scripts that use them.
_parsers = parse_workers
_window_params = window_params
