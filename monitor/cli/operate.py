"""Commands that run and check the installation: daemon, doctor, demo."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path
from shlex import quote

import click

from .. import store
from .context import (
    EXIT_OK,
    EXIT_SOURCES_FAILED,
    EXIT_USAGE,
    Context,
    Failure,
    echo,
    errors,
    now,
    pass_ctx,
)
from .show import print_timeline, report_runs


@click.command()
@click.option("--network", is_flag=True, help="Also check that each source answers.")
@click.option("--smtp", "check_smtp", is_flag=True, help="Also connect to the SMTP server.")
@pass_ctx
def doctor(ctx: Context, network: bool, check_smtp: bool) -> int:
    """Check the installation: configuration, debate definition, database (schema,
    integrity, WAL), the daemon's schedule, mail settings, and with --network each
    source. One line per check; exits 1 if any fails.

    Example: monitor doctor --network --smtp
    """
    from ..doctor import run_checks

    results = run_checks(ctx.sources_path, ctx.db_path, network=network, smtp=check_smtp)
    for r in results:
        mark = {"ok": "ok  ", "fail": "FAIL", "skip": "skip", "warn": "warn"}[r.status]
        echo(f"{mark}  {r.name:<28} {r.detail}")
    failed = [r for r in results if r.status == "fail"]
    echo(f"{len(results)} checks, {len(failed)} failed")
    return EXIT_SOURCES_FAILED if failed else EXIT_OK


@click.command()
@click.option("--once", is_flag=True, help="Run every due job once and exit (for cron and "
              "tests).")
@pass_ctx
def daemon(ctx: Context, once: bool) -> int:
    """Run the scheduler: each source on its interval (or crontab line), the digest on
    the crontab line of `daemon.digest` in sources.yaml.

    Jobs run one at a time, coalesced, never two of the same at once, with a misfire
    grace time and jitter; a failing job is logged and the scheduler goes on. SIGTERM
    or SIGINT stop new jobs, let the running one finish its transaction and exit 0.
    The daemon holds the database's writer lock while it runs.

    Example: monitor --log-file data/monitor.log daemon
    """
    from ..fetch import make_client
    from ..schedule import Daemon

    with errors():
        config = ctx.config()
        with store.writer_lock(ctx.db_path):
            db = ctx.db()
            with make_client(config.settings) as client:
                d = Daemon(config, db, client, password=os.environ.get(
                    "MONITOR_SMTP_PASSWORD"))
                if once:
                    done = d.run_once()
                    code = report_runs(done["runs"], as_json=False)
                    if done["digest"]:
                        echo("digest: sent")
                    return code
                d.serve()
    return EXIT_OK


@click.command()
@click.option("--out", default="monitor-demo", show_default=True,
              help="Folder for the demo's database and outputs: created, or a previous "
              "demo's folder whose files are replaced; a folder holding anything else is "
              "refused.")
@click.option("--sample", "sample", default=None, help="Sample corpus folder "
              "(default: the bundled data/sample).")
@click.pass_context
def demo(click_ctx: click.Context, out: str, sample: str | None) -> int:
    """Run the whole pipeline on the bundled sample corpus, served on loopback.

    Starts an HTTP server on 127.0.0.1 over data/sample/http, points the sample's
    sources at it, runs the real fetch/parse/store path, and prints what each
    source brought. Needs no network.

    Example: monitor demo --out /tmp/monitor-demo
    """
    from ..demo import run_demo, sample_dir

    if not getattr(click_ctx.obj, "verbose", False):
        # the summary below says what each source did; per-run log lines only with -v
        logging.getLogger("monitor").setLevel(logging.WARNING)
    root = Path(sample) if sample else sample_dir()
    if not (root / "sources.yaml").is_file():
        raise Failure(f"{root}: no sample corpus here (expected sources.yaml and http/)",
                      EXIT_USAGE)

    def serving(base: str, sources: int) -> None:
        echo(f"serving {root} at {base}; {sources} sources")

    with errors():
        done = run_demo(root, Path(out), now(), on_serve=serving)
    code = report_runs(done.runs, as_json=False)
    echo(f"\ntimeline: {len(done.events)} events")
    print_timeline(done.events)
    echo(f"\noutputs in {done.outputs}: {', '.join(done.written)} (digest of everything, "
               "Atom feed, every deadline as iCalendar, the one-page story)")
    me = f"{command_name()} --db {quote(str(done.db_path))} --sources {quote(str(done.sources))}"
    echo(f"database: {done.db_path} ({done.items} items). The sample ends in {done.last_day}, "
         "so ask for every period with --since all:")
    echo(f"  {me} signals --since all\n  {me} timeline --since all\n  {me} sources")
    return code


def command_name() -> str:
    """Return how to call `monitor` from here: ``monitor`` when that is on PATH, else the
    path of the installed script (e.g. ``.venv/bin/monitor``)."""
    script = Path(sys.executable).parent / "monitor"
    found = shutil.which("monitor")
    if found and (not script.exists() or Path(found).resolve() == script.resolve()):
        return "monitor"
    if not script.exists():
        return f"{quote(sys.executable)} -m monitor.cli"
    try:
        return quote(str(script.absolute().relative_to(Path.cwd())))
    except ValueError:
        return quote(str(script.absolute()))
