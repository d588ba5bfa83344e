"""Commands that fill the database: init, run, backfill, and sources (their health)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import click

from .. import store
from ..config import missing_key
from ..errors import ConfigError
from ..types import Source, SourceHealth, times
from .context import (
    Context,
    echo,
    echo_json,
    errors,
    interruptible,
    json_option,
    now,
    parse_day,
    pass_ctx,
)
from .show import progress, report_runs, source_json, sources_table


@click.command()
@pass_ctx
def init(ctx: Context) -> None:
    """Create the database (or bring its schema up to date) and check sources.yaml.

    Example: monitor --db data/monitor.db init
    """
    from ..parse import problems
    from ..schedule import check_schedule

    with errors():
        config = ctx.config()
        if not config.sources:
            raise ConfigError("lists no sources: add entries under `sources:` (the README's "
                              "Sources section shows each kind)", file=config.path)
        for source in config.sources:  # what only the parsers can tell (CSS selectors)
            for problem in problems(source):
                raise ConfigError(f"source '{source.id}': {problem}", file=config.path)
        check_schedule(config)
        db = ctx.db()
        echo(f"database {ctx.db_path}: schema version {store.schema_version(db)}, "
                   f"{store.count_items(db)} items")
        echo(f"sources {config.path}: {len(config.sources)} sources")


@click.command("run")
@click.argument("source_ids", nargs=-1)
@click.option("--force", is_flag=True, help="Fetch every source even if it is not due yet.")
@json_option
@pass_ctx
def run_cmd(ctx: Context, source_ids: tuple[str, ...], force: bool, as_json: bool) -> int:
    """Fetch every due source once (or the ones named) and store new items.

    A source is due when its interval has passed and it is not backing off after
    errors; naming a source fetches it regardless. Exits 1 when any source failed.

    Example: monitor run fr-ntia ntia-rss
    """
    from .. import pipeline

    with writing(ctx, "run", source_ids, as_json) as (db, config, client, on_start, on_result):
        runs = pipeline.run(db, config, client, only=source_ids, force=force,
                            on_start=on_start, on_result=on_result)
    return report_runs(runs, as_json, quiet=ctx.quiet)


@contextmanager
def writing(ctx: Context, what: str, source_ids: tuple[str, ...], as_json: bool
            ) -> Iterator[tuple[Any, Any, Any, Any, Any]]:
    """Yield (db, config, client, on_start, on_result) for a command that fetches and writes:
    the named sources checked, the writer lock held, the progress bar on a terminal."""
    from ..fetch import make_client

    bar = sys.stderr.isatty() and not as_json and not ctx.quiet
    with errors(), interruptible(what):
        config = ctx.config()
        for sid in source_ids:
            config.source(sid)
        with store.writer_lock(ctx.db_path):
            db = ctx.db()
            with make_client(config.settings) as client, \
                    progress(bar, not ctx.log_file) as (on_start, on_result):
                yield db, config, client, on_start, on_result


@click.command()
@click.option("--since", required=True, help="First publication date to walk back to "
              "(YYYY-MM-DD).")
@click.option("--until", default=None, help="Last publication date (default today).")
@click.argument("source_ids", nargs=-1)
@json_option
@pass_ctx
def backfill(ctx: Context, since: str, until: str | None, source_ids: tuple[str, ...],
             as_json: bool) -> int:
    """Walk Federal Register sources back to a date, in windows under the API's cap.

    Finished windows are remembered, so an interrupted backfill resumes where it
    stopped. Feed and HTML sources have no history to walk and get one ordinary run.

    Example: monitor backfill --since 2023-10-01 fr-term
    """
    from .. import pipeline

    start = parse_day(since)
    end = parse_day(until) if until else None
    if end is not None and end < start:
        raise click.BadParameter(f"{until} is before --since {since}", param_hint="'--until'")
    with writing(ctx, "backfill", source_ids, as_json) as (db, config, client, _, on_result):
        runs = pipeline.backfill(db, config, client, start, until=end, only=source_ids,
                                 on_result=on_result)
    return report_runs(runs, as_json, quiet=ctx.quiet)


def _status(source: Source, state: SourceHealth | None, at: datetime) -> str:
    """Return the health a source shows in `monitor sources`."""
    if missing_key(source):
        return "skipped (no key)"
    if not source.enabled:
        return "disabled"
    if state is None:
        return "new"
    if state.status == "failing":
        if state.next_attempt and state.next_attempt > at:
            return "backing off"
        return "failing"
    return state.status


@click.command()
@json_option
@pass_ctx
def sources(ctx: Context, as_json: bool) -> None:
    """Show each source's health: status, last success, last error, error count, next
    attempt and items in the last 7 days.

    Status is ok, failing, backing off (failing and waiting for its next attempt),
    disabled, skipped (no key) for a keyed source whose variable is unset, or new.

    Example: monitor sources --json
    """
    at = now()
    with errors():
        config = ctx.config()
        db = ctx.db(create=False)
        states = store.source_health(db)
        counts = store.item_counts(db)
        recent = store.item_counts(db, since=at - timedelta(days=7))
        targets = store.alerts.target_health(db)
    rows = [(s, states.get(s.id), _status(s, states.get(s.id), at), counts.get(s.id, 0),
             recent.get(s.id, 0)) for s in config.sources]
    if as_json:
        echo_json(json.dumps({"checked_at": times.iso(at),
                              "sources": [source_json(*r) for r in rows],
                              "alert_targets": [{**t, "last_attempt": times.iso(t["last_attempt"])}
                                                for t in targets]}, indent=2))
        return
    sources_table(rows)
    for t in targets:  # alert channels with alerts still owed (failed ones retry next run)
        state = "failing" if t["failed"] else "owed"
        echo(f"alerts {t['target']}: {state}, owed {t['owed']}"
             + (f"; last error: {t['last_error']}" if t["failed"] else ""))
