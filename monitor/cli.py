"""The command line: thin click commands over pipeline and store.  [click, rich]

Errors become exit messages here and only here: 0 ok, 1 some sources failed,
2 bad usage or configuration.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import click

from . import logs, store
from .config import Config, default_role, load_config, parse_since
from .errors import ConfigError, DeliveryError, LockedError, MonitorError
from .types import SourceRun


class _Lazy:
    """A module imported on first use: `monitor signals` should not pay for feedparser,
    httpx, jinja2 and friends (start-up is most of a query's time)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self._name, __package__)
        return getattr(module, attr)


pipeline: Any = _Lazy(".pipeline")
report: Any = _Lazy(".report")
render: Any = _Lazy(".outputs.render")
calendar: Any = _Lazy(".outputs.calendar")
deliver: Any = _Lazy(".deliver")
_classify: Any = _Lazy(".classify")
_cluster: Any = _Lazy(".cluster")
_demo: Any = _Lazy(".demo")
_evaluate: Any = _Lazy(".evaluate")
_fetch: Any = _Lazy(".fetch")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def make_client(*args: Any, **kwargs: Any) -> Any:
    return _fetch.make_client(*args, **kwargs)

EXIT_OK, EXIT_SOURCES_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_LOCKED = 75  # another process holds the writer lock (sysexits' EX_TEMPFAIL): try later


class Failure(click.ClickException):
    """A MonitorError on its way out, with the exit code it maps to."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = code  # type: ignore[misc]


def _fail(e: MonitorError) -> NoReturn:
    code = (EXIT_USAGE if isinstance(e, ConfigError) else EXIT_LOCKED
            if isinstance(e, LockedError) else EXIT_SOURCES_FAILED)
    raise Failure(str(e), code) from e


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except MonitorError as e:
        _fail(e)


class Context:
    """What every command gets: where the database and sources.yaml are."""

    def __init__(self, db_path: str, sources_path: str) -> None:
        self.db_path = db_path
        self.sources_path = sources_path
        self.verbose = False

    def config(self, base_url: str | None = None) -> Config:
        return load_config(self.sources_path, base_url=base_url)

    def db(self) -> Any:
        return store.open_db(self.db_path)


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_path", envvar="MONITOR_DB", default="data/monitor.db",
              show_default=True, help="SQLite database file (env MONITOR_DB).")
@click.option("--sources", "sources_path", envvar="MONITOR_SOURCES", default="sources.yaml",
              show_default=True, help="Sources and settings file (env MONITOR_SOURCES).")
@click.option("-v", "--verbose", is_flag=True, help="Log debug lines too.")
@click.option("-q", "--quiet", is_flag=True, help="Log only warnings and errors.")
@click.option("--log-file", default=None, envvar="MONITOR_LOG_FILE",
              help="Append log lines to this file instead of stderr (env MONITOR_LOG_FILE).")
@click.version_option(package_name="monitor")
@click.pass_context
def cli(ctx: click.Context, db_path: str, sources_path: str, verbose: bool, quiet: bool,
        log_file: str | None) -> None:
    """Watch the public record of the open-weight AI debate.

    Log lines (one per source run and per daemon job, key=value) go to stderr or
    --log-file.

    Example: monitor --db data/monitor.db run
    """
    if verbose and quiet:
        raise click.UsageError("--verbose and --quiet exclude each other")
    logs.setup(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO,
               log_file)
    ctx.obj = Context(db_path, sources_path)
    ctx.obj.verbose = verbose


# --- output helpers ------------------------------------------------------------------------

def _run_line(r: SourceRun) -> str:
    if r.status == "ok":
        detail = (f"HTTP {r.http_status}  {r.pages} page{'s' * (r.pages != 1)}  "
                  f"{r.items_seen} items  {r.items_new} new  {r.duration_ms} ms")
    elif r.status == "not_modified":
        detail = f"HTTP 304  nothing changed  {r.duration_ms} ms"
    elif r.status == "error":
        detail = f"{r.error}" + (f"  [{r.items_new} new kept]" if r.items_new else "")
    else:
        detail = "; ".join(r.notes)
    status = {"not_modified": "not modified"}.get(r.status, r.status)
    return f"{r.source_id:<26} {status:<13} {detail}"


def _run_json(r: SourceRun) -> dict[str, Any]:
    return {"source": r.source_id, "status": r.status, "started": r.started.isoformat(),
            "http_status": r.http_status, "pages": r.pages, "bytes": r.bytes,
            "items_seen": r.items_seen, "items_new": r.items_new,
            "duration_ms": r.duration_ms, "error": r.error, "notes": list(r.notes)}


def _report(runs: Sequence[SourceRun], as_json: bool) -> int:
    failed = [r for r in runs if r.failed]
    if as_json:
        click.echo(json.dumps({"runs": [_run_json(r) for r in runs],
                               "failed": [r.source_id for r in failed]}, indent=2))
    else:
        for r in sorted(runs, key=lambda r: r.source_id):
            click.echo(_run_line(r))
            if r.status in ("ok", "error"):
                for note in r.notes:
                    click.echo(f"{'':<27}note: {note}")
        new = sum(r.items_new for r in runs)
        counts = {s: sum(r.status == s for r in runs)
                  for s in ("ok", "not_modified", "error", "skipped")}
        click.echo(f"{len(runs)} sources: {counts['ok']} ok, {counts['not_modified']} not "
                   f"modified, {counts['error']} failed, {counts['skipped']} skipped; "
                   f"{new} new items")
    return EXIT_SOURCES_FAILED if failed else EXIT_OK


@contextmanager
def _progress(enabled: bool) -> Iterator[tuple[Callable[[int], None],
                                               Callable[[SourceRun], None]]]:
    """Yield (on_start, on_result) callbacks that drive a progress bar on a terminal."""
    if not enabled:
        yield (lambda n: None), (lambda r: None)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("fetching", total=None)

        def start(n: int) -> None:
            bar.update(task, total=n)

        def result(r: SourceRun) -> None:
            if r.status != "skipped":
                bar.update(task, advance=1, description=f"{r.source_id}: {r.status}")

        yield start, result


# --- commands ------------------------------------------------------------------------------

@cli.command()
@pass_ctx
def init(ctx: Context) -> None:
    """Create the database (or bring its schema up to date) and check sources.yaml.

    Example: monitor --db data/monitor.db init
    """
    with _errors():
        config = ctx.config()
        db = ctx.db()
        click.echo(f"database {ctx.db_path}: schema version {store.schema_version(db)}, "
                   f"{store.count_items(db)} items")
        click.echo(f"sources {config.path}: {len(config.sources)} sources")


@cli.command("run")
@click.argument("source_ids", nargs=-1)
@click.option("--force", is_flag=True, help="Fetch every source even if it is not due yet.")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
@pass_ctx
def run_cmd(ctx: Context, source_ids: tuple[str, ...], force: bool, as_json: bool) -> None:
    """Fetch every due source once (or the ones named) and store new items.

    A source is due when its interval has passed and it is not backing off after
    errors; naming a source fetches it regardless. Exits 1 when any source failed.

    Example: monitor run fr-ntia ntia-rss
    """
    with _errors():
        config = ctx.config()
        for sid in source_ids:
            config.source(sid)
        with store.writer_lock(ctx.db_path):
            db = ctx.db()
            with make_client(config.settings) as client, \
                    _progress(sys.stderr.isatty() and not as_json) as (on_start, on_result):
                runs = pipeline.run(db, config, client, only=source_ids, force=force,
                                    on_start=on_start, on_result=on_result)
    sys.exit(_report(runs, as_json))


def _parse_since(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise click.BadParameter(f"{value!r} is not a date like 2024-01-31") from e


@cli.command()
@click.option("--since", required=True, help="First publication date to walk back to "
              "(YYYY-MM-DD).")
@click.option("--until", default=None, help="Last publication date (default today).")
@click.argument("source_ids", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
@pass_ctx
def backfill(ctx: Context, since: str, until: str | None, source_ids: tuple[str, ...],
             as_json: bool) -> None:
    """Walk Federal Register sources back to a date, in windows under the API's cap.

    Finished windows are remembered, so an interrupted backfill resumes where it
    stopped. Feed and HTML sources have no history to walk and get one ordinary run.

    Example: monitor backfill --since 2023-10-01 fr-term
    """
    start = _parse_since(since)
    end = _parse_since(until) if until else None
    with _errors():
        config = ctx.config()
        for sid in source_ids:
            config.source(sid)
        with store.writer_lock(ctx.db_path):
            db = ctx.db()
            with make_client(config.settings) as client, \
                    _progress(sys.stderr.isatty() and not as_json) as (_, on_result):
                runs = pipeline.backfill(db, config, client, start, until=end,
                                         only=source_ids, on_result=on_result)
    sys.exit(_report(runs, as_json))


def _status(source: Any, state: Any, now: datetime) -> str:
    if source.api_key_env and not os.environ.get(source.api_key_env):
        return "skipped (no key)"
    if not source.enabled:
        return "disabled"
    if state is None:
        return "new"
    if state.status == "failing":
        if state.next_attempt and datetime.fromisoformat(state.next_attempt) > now:
            return "backing off"
        return "failing"
    return state.status


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON, for monitoring systems.")
@pass_ctx
def sources(ctx: Context, as_json: bool) -> None:
    """Show each source's health: status, last success, last error, error count, next
    attempt and items in the last 7 days.

    Status is ok, failing, backing off (failing and waiting for its next attempt),
    disabled, skipped (no key) for a keyed source whose variable is unset, or new.

    Example: monitor sources --json
    """
    now = _now()
    with _errors():
        config = ctx.config()
        db = ctx.db()
        states = store.get_states(db)
        counts = store.item_counts(db)
        recent = store.item_counts(db, since=(now - timedelta(days=7)).isoformat())
    rows: list[dict[str, Any]] = []
    for s in config.sources:
        st = states.get(s.id)
        rows.append({
            "id": s.id, "kind": s.kind, "url": s.url, "interval": s.interval, "cron": s.cron,
            "status": _status(s, st, now),
            "last_attempt": st.last_attempt if st else None,
            "last_success": st.last_success if st else None,
            "last_error": st.last_error if st else None,
            "error_count": st.error_count if st else 0,
            "next_attempt": st.next_attempt if st else None,
            "last_http_status": st.last_http_status if st else None,
            "items": counts.get(s.id, 0), "items_7d": recent.get(s.id, 0),
        })
    if as_json:
        click.echo(json.dumps({"checked_at": now.isoformat(), "sources": rows}, indent=2))
        return
    for r in rows:
        last = (r["last_success"] or "never")[:16]
        nxt = (r["next_attempt"] or "-")[:16]
        line = (f"{r['id']:<24} {r['kind']:<16} {r['status']:<16} ok {last:<16} "
                f"next {nxt:<16} 7d {r['items_7d']:>5}  all {r['items']:>6}")
        if r["error_count"]:
            line += f"  errors {r['error_count']}: {r['last_error']}"
        click.echo(line)


@cli.command()
@click.option("--network", is_flag=True, help="Also check that each source answers.")
@click.option("--smtp", "check_smtp", is_flag=True, help="Also connect to the SMTP server.")
@pass_ctx
def doctor(ctx: Context, network: bool, check_smtp: bool) -> None:
    """Check the installation: configuration, debate definition, database (schema,
    integrity, WAL), the daemon's schedule, mail settings, and with --network each
    source. One line per check; exits 1 if any fails.

    Example: monitor doctor --network --smtp
    """
    from .doctor import run_checks

    results = run_checks(ctx.sources_path, ctx.db_path, network=network, smtp=check_smtp)
    for r in results:
        mark = {"ok": "ok  ", "fail": "FAIL", "skip": "skip", "warn": "warn"}[r.status]
        click.echo(f"{mark}  {r.name:<28} {r.detail}")
    failed = [r for r in results if r.status == "fail"]
    click.echo(f"{len(results)} checks, {len(failed)} failed")
    sys.exit(EXIT_SOURCES_FAILED if failed else EXIT_OK)


@cli.command()
@click.option("--once", is_flag=True, help="Run every due job once and exit (for cron and "
              "tests).")
@pass_ctx
def daemon(ctx: Context, once: bool) -> None:
    """Run the scheduler: each source on its interval (or crontab line), the digest on
    the crontab line of `daemon.digest` in sources.yaml.

    Jobs run one at a time, coalesced, never two of the same at once, with a misfire
    grace time and jitter; a failing job is logged and the scheduler goes on. SIGTERM
    or SIGINT stop new jobs, let the running one finish its transaction and exit 0.
    The daemon holds the database's writer lock while it runs.

    Example: monitor --log-file data/monitor.log daemon
    """
    from .schedule import Daemon

    with _errors():
        config = ctx.config()
        with store.writer_lock(ctx.db_path):
            db = ctx.db()
            with make_client(config.settings) as client:
                d = Daemon(config, db, client, password=os.environ.get(
                    "MONITOR_SMTP_PASSWORD"))
                if once:
                    done = d.run_once()
                    code = _report(done["runs"], as_json=False)
                    if done["digest"]:
                        click.echo("digest: sent")
                    sys.exit(code)
                d.serve()
    sys.exit(EXIT_OK)


@cli.command()
@click.option("--out", default="monitor-demo", show_default=True,
              help="Folder for the demo's database and outputs (recreated).")
@click.option("--sample", "sample", default=None, help="Sample corpus folder "
              "(default: the bundled data/sample).")
@click.pass_context
def demo(click_ctx: click.Context, out: str, sample: str | None) -> None:
    """Run the whole pipeline on the bundled sample corpus, served on loopback.

    Starts an HTTP server on 127.0.0.1 over data/sample/http, points the sample's
    sources at it, runs the real fetch/parse/store path, and prints what each
    source brought. Needs no network.

    Example: monitor demo --out /tmp/monitor-demo
    """
    if not getattr(click_ctx.obj, "verbose", False):
        # the summary below says what each source did; per-run log lines only with -v
        logging.getLogger("monitor").setLevel(logging.WARNING)
    root = Path(sample) if sample else _demo.sample_dir()
    if not (root / "sources.yaml").is_file():
        raise Failure(f"{root}: no sample corpus here (expected sources.yaml and http/)",
                      EXIT_USAGE)
    out_dir = Path(out)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    db_path = out_dir / "monitor.db"
    with _errors(), _demo.SampleServer(root) as server:
        config = load_config(root / "sources.yaml", base_url=server.base)
        db = store.open_db(db_path)
        click.echo(f"serving {root} at {server.base}; {len(config.sources)} sources")
        with make_client(config.settings) as client:
            runs = pipeline.run(db, config, client, force=True)
        events = store.timeline(db, config.debate.id) if config.debate else []
        rep = report.build(db, config, None, _now())
        assert config.debate is not None
        outputs = out_dir / "outputs"
        outputs.mkdir()
        written: dict[str, str | bytes] = {
            "digest.md": render.digest_markdown(rep), "digest.html": render.digest_html(rep),
            "digest.txt": render.digest_text(rep),
            "feed.atom": render.atom(rep, f"tag:monitor.local,2026:{config.debate.id}"),
            "deadlines.ics": calendar.to_ics(store.deadlines(db, config.debate.id),
                                             config.debate.id, config.debate.title,
                                             _now()),
            "index.html": render.page_html(rep),
        }
        for name, content in written.items():
            target = outputs / name
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
    resolved = out_dir / "sources.yaml"
    resolved.write_text((root / "sources.yaml").read_text(encoding="utf-8")
                        .replace("{base}", server.base), encoding="utf-8")
    code = _report(runs, as_json=False)
    click.echo(f"\ntimeline: {len(events)} events")
    _print_timeline(events)
    click.echo(f"\noutputs in {outputs}: {', '.join(written)} (digest of everything, "
               "Atom feed, every deadline as iCalendar, the one-page story)")
    click.echo(f"database: {db_path} ({store.count_items(db)} items). "
               f"Try: monitor --db {db_path} --sources {resolved} sources")
    db.close()
    sys.exit(code)


@cli.command()
@click.option("--all", "everything", is_flag=True,
              help="Re-apply the debate definition to every stored item.")
@pass_ctx
def classify(ctx: Context, everything: bool) -> None:
    """Classify stored items against the debate definition.

    Without --all, only items that have no signal yet are classified (run does this
    too). With --all, every item is classified again, e.g. after editing the debate
    definition; the classifier version is recorded with each signal.

    Example: monitor classify --all
    """
    with _errors():
        config = ctx.config()
        with store.writer_lock(ctx.db_path):
            db = ctx.db()
            assert config.debate is not None
            count = (pipeline.classify_all if everything else pipeline.catch_up)(db, config)
            pipeline.build_timeline(db, config)
        debate = config.debate
        relevant = store.count_signals(db, debate.id, relevant=True)
        total = store.count_signals(db, debate.id)
    click.echo(f"classified {count} items against {debate.id} "
               f"(classifier {_classify.version(debate)}); {relevant} of {total} relevant")


def _entity_json(e: Any) -> dict[str, Any]:
    return {"kind": e.kind, "value": e.value, "text": e.text, "start": e.start, "end": e.end}


@cli.command()
@click.argument("item_id")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_ctx
def explain(ctx: Context, item_id: str, as_json: bool) -> None:
    """Show why an item is (or is not) relevant: every cue, stance, authority and entity.

    The item is classified afresh with the current debate definition; the stored
    signal's version is shown beside it.

    Example: monitor explain fr-ntia:2024-03763
    """
    with _errors():
        config = ctx.config()
        db = ctx.db()
        item = store.get_item(db, item_id)
        if item is None:
            raise Failure(f"no item {item_id!r} in {ctx.db_path} (ids are shown by "
                          "`monitor signals`)", EXIT_USAGE)
        debate = config.debate
        assert debate is not None
        sources = {s.id: s for s in config.sources}
        role = sources[item.source_id].role if item.source_id in sources \
            else default_role(item.kind)
        sig = _classify.classify(item, debate, role)
        stored = store.get_signal(db, item_id, debate.id)
    weights = {t.id: t.weight for t in debate.topics}
    if as_json:
        click.echo(json.dumps({
            "item": {"id": item.id, "title": item.title, "url": item.url,
                     "source": item.source_id, "published": item.published},
            "debate": debate.id, "version": sig.version,
            "stored_version": stored.version if stored else None,
            "relevance": sig.relevance, "threshold": sig.threshold, "relevant": sig.relevant,
            "topics": [{"topic": t.topic, "weight": weights[t.topic], "cues": list(t.cues)}
                       for t in sig.topics],
            "stance": sig.stance, "stance_cues": list(sig.stance_cues),
            "authority": sig.authority, "authority_reason": sig.authority_reason,
            "entities": [_entity_json(e) for e in sig.entities]}, indent=2))
        return
    verdict = "relevant" if sig.relevant else "not relevant"
    click.echo(f"{item.id}  {item.title}")
    click.echo(f"  {item.url or '(no link)'}  {item.published or 'undated'}  "
               f"source {item.source_id}")
    click.echo(f"relevance {sig.relevance:.3f} (threshold {sig.threshold}): {verdict}")
    if not sig.topics:
        click.echo("  no topic fired: every topic needs a cue from each of its groups")
    for t in sig.topics:
        click.echo(f"  topic {t.topic} (weight {weights[t.topic]}): {', '.join(t.cues)}")
    click.echo(f"stance {sig.stance}" + (f": {', '.join(sig.stance_cues)}"
                                          if sig.stance_cues else ""))
    click.echo(f"authority {sig.authority}: {sig.authority_reason}")
    if sig.entities:
        click.echo("entities:")
        for e in sig.entities:
            where = f" [{e.start}:{e.end}]" if e.start >= 0 else ""
            click.echo(f"  {e.kind:<17} {e.value:<24} from {e.text!r}{where}")
    if stored and stored.version != sig.version:
        click.echo(f"(stored signal is from classifier {stored.version}; "
                   "`monitor classify --all` brings it up to date)")


@cli.command("eval")
@click.argument("labels", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_ctx
def eval_cmd(ctx: Context, labels: str, as_json: bool) -> None:
    """Measure the debate definition on labelled items: precision, recall, F1.

    LABELS.csv has a header row; title and relevant (1 or 0) are required, summary,
    topics (ids separated by ';') and source_kind are optional. Prints the scores for
    relevance and for each topic in the labels, then the misses by title.

    Example: monitor eval tests/data/labels.csv
    """
    with _errors():
        config = ctx.config()
        assert config.debate is not None
        report = _evaluate.evaluate(_evaluate.load_labels(labels), config.debate)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
        return
    click.echo(f"{report.items} labelled items, debate {report.debate} "
               f"(classifier {report.version})")
    click.echo(f"{'':<26} {'precision':>9} {'recall':>7} {'f1':>6}   tp  fp  fn")

    def line(name: str, sc: Any) -> None:
        click.echo(f"{name:<26} {sc.precision:>9.3f} {sc.recall:>7.3f} {sc.f1:>6.3f} "
                   f"{sc.tp:>4} {sc.fp:>3} {sc.fn:>3}")

    line("relevance", report.relevance)
    for name, sc in sorted(report.topics.items()):
        line(f"  {name}", sc)
    for title in report.relevance.false_positives:
        click.echo(f"false positive: {title}")
    for title in report.relevance.false_negatives:
        click.echo(f"false negative: {title}")


def _since(value: str) -> str | None:
    try:
        return parse_since(value, _now())
    except ValueError as e:
        raise click.BadParameter(str(e)) from e


def _event_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["event_id"], "date": row["date"], "title": row["title"],
        "kind": row["kind"], "authority": row["authority"], "topics": row["topics"],
        "stance_mix": row["stance_mix"], "noise": row["noise"],
        "components": {k: row[k] for k in ("items", "outlets", "echo", "attention",
                                           "peak_attention", "velocity", "raw",
                                           "percentile", "reference_events")},
        "first_seen": row["first_seen"], "last_seen": row["last_seen"],
        "computed_at": row["computed_at"],
    }


def _level_json(day: Any) -> dict[str, Any]:
    return {"day": day.day, "level": day.level, "relevant": day.relevant,
            "total": day.total, "share": day.share, "mean": day.mean, "std": day.std,
            "z": day.z}


def _levels(db: Any, debate: str, days: int | None = None) -> list[Any]:
    """Return the daily Noise Levels of the last ``days`` days with items (all when None);
    each needs the 28 days before it, so only those are read."""
    if days is None:
        return list(_cluster.noise_levels(store.noise_days(db, debate)))
    rows = store.noise_days(db, debate)[-(days + 60):] if days > 300 else \
        store.noise_days(db, debate, (_now() - timedelta(days=days + 400)).isoformat())
    return list(_cluster.noise_levels(rows))[-days:]


def _print_timeline(rows: Sequence[dict[str, Any]]) -> None:
    for r in rows:
        topics = ",".join(r["topics"][:3])
        click.echo(f"{r['date']}  {r['event_id']}  noise {r['noise']:5.1f}  "
                   f"{r['authority']:<10} {r['kind']:<18} {r['items']:>3} items "
                   f"{r['outlets']:>2} outlets  {r['title'][:90]}")
        click.echo(f"{'':<12}attention {r['peak_attention']:.2f} peak / {r['attention']:.2f} now,"
                   f" echo {r['echo']}, percentile {r['percentile']:.2f} of "
                   f"{r['reference_events']}; topics {topics}")


@cli.command()
@click.option("--since", default="30d", show_default=True,
              help="Period: 7d, 12w, 1y, a date (2024-01-31) or 'all'.")
@click.option("--topic", default=None, help="Only events with this topic.")
@click.option("--min-noise", type=float, default=None, help="Only events at least this loud.")
@click.option("--authority", default=None,
              type=click.Choice(["final", "proposed", "official", "news", "commentary"]),
              help="Only events of this authority.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_ctx
def timeline(ctx: Context, since: str, topic: str | None, min_noise: float | None,
             authority: str | None, as_json: bool) -> None:
    """List the debate's events, newest first, with noise and its components.

    Each event shows its date (the official date when there is one), title, kind,
    authority, topics, noise (0..100) with attention, outlets, echo and percentile,
    and its item count. The JSON also holds the debate's daily Noise Level.

    Example: monitor timeline --since 1y --min-noise 50
    """
    start = _since(since)
    with _errors():
        config = ctx.config()
        db = ctx.db()
        assert config.debate is not None
        debate = config.debate.id
        rows = store.timeline(db, debate, start[:10] if start else None)
        levels = _levels(db, debate, 1)
    rows = [r for r in rows
            if (topic is None or topic in r["topics"])
            and (min_noise is None or r["noise"] >= min_noise)
            and (authority is None or r["authority"] == authority)]
    level = levels[-1] if levels else None
    if as_json:
        click.echo(json.dumps({
            "debate": debate, "since": start,
            "noise_level": _level_json(level) if level else None,
            "events": [_event_json(r) for r in rows]}, indent=2))
        return
    if level:
        click.echo(f"Noise Level {level.level} on {level.day} ({level.relevant} of "
                   f"{level.total} items relevant)")
    if not rows:
        click.echo(f"no events since {start or 'the beginning'}" + (
            " matching the filters" if topic or min_noise or authority else ""))
    _print_timeline(rows)


@cli.command()
@click.argument("event_id")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_ctx
def event(ctx: Context, event_id: str, as_json: bool) -> None:
    """Show one event: its items, entities, stance mix and noise history.

    A merged event's id shows the event it was merged into.

    Example: monitor event ev-1a2b3c4d5e6f
    """
    with _errors():
        config = ctx.config()
        db = ctx.db()
        assert config.debate is not None
        found = store.get_event(db, config.debate.id, event_id)
    if found is None:
        raise Failure(f"no event {event_id!r} (ids are shown by `monitor timeline`)",
                      EXIT_USAGE)
    latest = found["latest"]
    members = sorted(found["members"], key=lambda m: (m[0].published or "", m[0].id))
    entities: dict[tuple[str, str], int] = {}
    for _, sig, _ in members:
        for e in sig.entities:
            entities[(e.kind, e.value)] = entities.get((e.kind, e.value), 0) + 1
    if as_json:
        click.echo(json.dumps({
            "id": found["id"], "requested": found["requested"],
            "merged_from": found["merged_from"],
            "event": _event_json(latest) if latest else None,
            "items": [{"id": i.id, "source": i.source_id, "published": i.published,
                       "title": i.title, "url": i.url, "authority": s.authority,
                       "stance": s.stance, "role": role, "via": via}
                      for i, s, (role, via) in members],
            "entities": [{"kind": k, "value": v, "items": n}
                         for (k, v), n in sorted(entities.items())],
            "history": [_event_json(h) for h in found["history"]]}, indent=2))
        return
    if found["requested"] != found["id"]:
        click.echo(f"{found['requested']} was merged into {found['id']}")
    if latest:
        _print_timeline([latest])
        click.echo(f"stance mix: {', '.join(f'{k} {v}' for k, v in latest['stance_mix'].items())}")
    click.echo("items:")
    for item, sig, (role, via) in members:
        click.echo(f"  {(item.published or '')[:16]}  {item.source_id:<20} {sig.authority:<10} "
                   f"{item.title[:80]}")
        click.echo(f"  {'':<16}  {item.url}  [{role}: {via}]")
    if entities:
        click.echo("entities: " + "; ".join(f"{k} {v}" + (f" ×{n}" if n > 1 else "")
                                            for (k, v), n in sorted(entities.items())))
    click.echo("noise history:")
    for h in found["history"]:
        click.echo(f"  {h['computed_at'][:16]}  noise {h['noise']:5.1f}  items {h['items']}  "
                   f"outlets {h['outlets']}  echo {h['echo']}  attention {h['attention']:.2f}")


@cli.command()
@click.option("--days", type=int, default=30, show_default=True,
              help="How many of the latest days with items to show.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_ctx
def noise(ctx: Context, days: int, as_json: bool) -> None:
    """Show the debate's daily Noise Level: quiet, normal, elevated, loud or surge.

    Each day's share of relevant items is compared with the mean and deviation of
    the previous 28 days (>= 1 sigma elevated, >= 2 loud, >= 3 surge).

    Example: monitor noise --days 14
    """
    with _errors():
        config = ctx.config()
        db = ctx.db()
        assert config.debate is not None
        levels = _levels(db, config.debate.id, days)
    if as_json:
        click.echo(json.dumps({"days": [_level_json(d) for d in levels]}, indent=2))
        return
    for d in levels:
        baseline = (f"mean {d.mean:.2f} sd {d.std:.2f} z {d.z:+.1f}" if d.mean is not None
                    and d.z is not None else "no baseline yet")
        click.echo(f"{d.day}  {d.level:<9} {d.relevant:>4} of {d.total:<5} relevant "
                   f"(share {d.share:.2f}; {baseline})")


SIGNAL_KEYS = ("id", "title", "url", "source", "published", "relevance", "topics", "stance",
               "authority", "entities", "event")


def _signal_json(s: Any) -> dict[str, Any]:
    return {"id": s.id, "title": s.title, "url": s.url, "source": s.source,
            "published": s.published, "relevance": s.relevance, "topics": list(s.topics),
            "stance": s.stance, "authority": s.authority,
            "entities": [{"kind": e.kind, "value": e.value} for e in s.entities],
            "event": s.event}


@cli.command()
@click.option("--since", default="7d", show_default=True,
              help="Period: 7d, 12w, 1y, 48h, a date or 'all'.")
@click.option("--topic", default=None, help="Only items with this topic.")
@click.option("--stance", type=click.Choice(["restrict", "open", "neutral", "unknown"]),
              default=None, help="Only items with this stance.")
@click.option("--authority", type=click.Choice(["final", "proposed", "official", "news",
                                                "commentary"]), default=None,
              help="Only items of this authority.")
@click.option("--source", default=None, help="Only items from this source id.")
@click.option("--min-relevance", type=float, default=None, help="Only items at least this "
              "relevant (0..1).")
@click.option("--query", default=None, help="Full-text search (SQLite FTS5 syntax).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "ndjson"]),
              default="table", show_default=True, help="Output format.")
@click.option("--limit", type=int, default=0, help="At most this many items (0: all).")
@pass_ctx
def signals(ctx: Context, since: str, topic: str | None, stance: str | None,
            authority: str | None, source: str | None, min_relevance: float | None,
            query: str | None, fmt: str, limit: int) -> None:
    """List recent relevant items, newest first, with their classification.

    JSON, CSV and NDJSON carry the stable keys id, title, url, source, published,
    relevance, topics, stance, authority, entities and event.

    Example: monitor signals --since 30d --topic compute_thresholds --format json
    """
    start = _since(since)
    with _errors():
        config = ctx.config()
        db = ctx.db()
        assert config.debate is not None
        rows = store.query_signals(db, config.debate.id, since=start, topic=topic,
                                   stance=stance, authority=authority, source=source,
                                   min_relevance=min_relevance, query=query,
                                   limit=limit or None)
    if fmt == "json":
        click.echo(json.dumps([_signal_json(s) for s in rows], indent=2, ensure_ascii=False))
    elif fmt == "ndjson":
        for s in rows:
            click.echo(json.dumps(_signal_json(s), ensure_ascii=False))
    elif fmt == "csv":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(SIGNAL_KEYS)
        for s in rows:
            d = _signal_json(s)
            d["topics"] = ";".join(d["topics"])
            d["entities"] = ";".join(f"{e['kind']}={e['value']}" for e in d["entities"])
            writer.writerow([d[k] if d[k] is not None else "" for k in SIGNAL_KEYS])
        click.echo(buffer.getvalue(), nl=False)
    else:
        _signals_table(rows)


def _signals_table(rows: Sequence[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=False)
    if not rows:
        console.print("no relevant items match")
        return
    table = Table(show_lines=False, expand=False, pad_edge=False)
    table.add_column("published", no_wrap=True)
    table.add_column("authority", no_wrap=True)
    table.add_column("stance", no_wrap=True)
    table.add_column("rel", justify="right", no_wrap=True)
    table.add_column("title", overflow="fold", ratio=1)
    table.add_column("source", overflow="ellipsis", max_width=18)
    table.add_column("id", overflow="fold", max_width=28)
    for s in rows:
        table.add_row((s.published or "")[:10], s.authority, s.stance, f"{s.relevance:.2f}",
                      s.title, s.source, s.id)
    console.print(table)


def _report_for(ctx: Context, since: str | None, exclude: frozenset[str] = frozenset()
                ) -> tuple[Config, Any, Any]:
    config = ctx.config()
    db = ctx.db()
    return config, db, report.build(db, config, since, _now(), exclude=exclude)


def _write(out: str | None, content: str | bytes) -> None:
    if out is None:
        click.echo(content.decode() if isinstance(content, bytes) else content, nl=False)
        return
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    click.echo(f"wrote {path}", err=True)


@cli.command()
@click.option("--since", default="1d", show_default=True,
              help="Period: 1d, 7d, 12w, a date or 'all'.")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "text"]), default="md",
              show_default=True, help="Format written to --out or printed.")
@click.option("--out", default=None, help="Write to this file instead of printing.")
@click.option("--send", is_flag=True, help="Mail it (plain text + HTML) with the smtp "
              "settings of sources.yaml.")
@click.option("--to", "to", multiple=True, help="Recipient (repeatable); default smtp.to.")
@click.option("--resend", is_flag=True, help="Include items already mailed to these "
              "recipients.")
@click.option("--skip-empty", is_flag=True, help="Write and send nothing when nothing is new.")
@pass_ctx
def digest(ctx: Context, since: str, fmt: str, out: str | None, send: bool,
           to: tuple[str, ...], resend: bool, skip_empty: bool) -> None:
    """Write (and with --send, mail) the digest of a period.

    Sections: the Noise Level and its trend; new official actions; key events by
    authority and noise, with their components and links; the sides with examples;
    deadlines in the next 30 days; compute thresholds mentioned; new timeline
    events; sources that have been failing. With --send, items already mailed to
    the same recipients are left out (unless --resend), and a period with nothing
    new makes a short "nothing new" digest (or none with --skip-empty). A failed
    delivery exits 1 and records nothing as sent.

    Example: monitor digest --since 7d --format html --out digest.html
    """
    start = _since(since)
    try:
        with _errors():
            config = ctx.config()
            db = ctx.db()
            result = deliver.deliver_digest(
                db, config, start, recipients=to, send=send, resend=resend,
                skip_empty=skip_empty, password=os.environ.get("MONITOR_SMTP_PASSWORD"))
    except Failure as e:
        if isinstance(e.__cause__, DeliveryError):
            raise Failure(f"DeliveryError: {e.__cause__}; nothing was recorded as sent",
                          EXIT_SOURCES_FAILED) from e.__cause__
        raise
    if result.skipped:
        click.echo("nothing new: no digest", err=True)
        return
    render_as = {"md": render.digest_markdown, "html": render.digest_html,
                 "text": render.digest_text}
    if out is not None or not send:
        _write(out, render_as[fmt](result.report))
    if result.sent:
        click.echo(f"sent {len(result.report.signals)} items to "
                   f"{', '.join(result.recipients)}: {result.subject}", err=True)


@cli.command()
@click.option("--out", default=None, help="Write to this file instead of printing.")
@click.option("--since", default="90d", show_default=True, help="Period of events and items.")
@click.option("--self-url", default=None, help="The feed's public URL, for its self link.")
@pass_ctx
def feed(ctx: Context, out: str | None, since: str, self_url: str | None) -> None:
    """Write an Atom feed of the debate's events and signals.

    Entry ids are stable across runs (tag URIs of the event or item id); each entry
    carries its authority and noise (events) or relevance and stance (items).

    Example: monitor feed --out public/monitor.atom
    """
    start = _since(since)
    with _errors():
        config, _, rep = _report_for(ctx, start)
    assert config.debate is not None
    _write(out, render.atom(rep, f"tag:monitor.local,2026:{config.debate.id}", self_url))


@cli.command()
@click.option("--days", type=int, default=30, show_default=True,
              help="List deadlines in the next N days.")
@click.option("--ics", default=None, help="Also write every known deadline, past and "
              "upcoming, to this iCalendar file.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_ctx
def deadlines(ctx: Context, days: int, ics: str | None, as_json: bool) -> None:
    """List upcoming comment deadlines and effective dates; write them as iCalendar.

    Dates come from the Federal Register's own fields first (comments_close_on,
    effective_on), then from the text ("comments must be received on or before ...").

    Example: monitor deadlines --days 60 --ics deadlines.ics
    """
    now = _now()
    with _errors():
        config = ctx.config()
        assert config.debate is not None
        db = ctx.db()
        upcoming = store.deadlines(db, config.debate.id, now.date().isoformat(),
                                   (now.date() + timedelta(days=days)).isoformat())
        every = store.deadlines(db, config.debate.id) if ics else []
    if ics:
        _write(ics, calendar.to_ics(every, config.debate.id, config.debate.title, now))
    if as_json:
        click.echo(json.dumps([{"day": d.day, "kind": d.kind, "title": d.title, "url": d.url,
                                "item": d.item_id, "event": d.event} for d in upcoming],
                              indent=2))
        return
    if not upcoming:
        click.echo(f"no comment deadline or effective date in the next {days} days")
    for d in upcoming:
        what = "comments due" if d.kind == "comment_deadline" else "takes effect"
        click.echo(f"{d.day}  {what:<13} {d.title[:90]}\n{'':<26}{d.url}")


@cli.command()
@click.option("--out", default="page", show_default=True, help="Folder for index.html.")
@click.option("--since", default="all", show_default=True, help="Period the page covers.")
@pass_ctx
def page(ctx: Context, out: str, since: str) -> None:
    """Write the one-page story of the debate: why it matters, key points, sides, Noise
    Level with a chart, forecast and timeline, in one self-contained HTML file.

    Example: monitor page --out public
    """
    start = _since(since)
    with _errors():
        _, _, rep = _report_for(ctx, start)
    _write(str(Path(out) / "index.html"), render.page_html(rep))


def main() -> None:  # pragma: no cover
    cli()


if __name__ == "__main__":  # pragma: no cover
    main()
