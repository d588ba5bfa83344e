"""The command line: thin click commands over the sequencers.  [click, rich]

`cli` parses the global options into a Context (context.py) and hands it to one command
of a group: crawl (init, run, backfill, sources) fills the database through pipeline;
analyse (classify, explain, eval) runs the classifier; query (signals, timeline, event,
noise) reads the store; publish (digest, feed, deadlines, page) goes through report and
deliver to the outputs; operate (daemon, doctor, demo) runs schedule, doctor and demo.
Commands return their exit code; a MonitorError becomes an exit message in context.py;
only this module exits.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from .. import logs
from .alerts import alerts
from .analyse import classify, eval_cmd, explain, train
from .context import (
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_SOURCES_FAILED,
    EXIT_USAGE,
    Context,
    Failure,
    pass_ctx,
)
from .crawl import backfill, init, run_cmd, sources
from .instruments import instruments, outlook
from .operate import daemon, demo, doctor
from .publish import deadlines, digest, feed, page
from .query import event, noise, signals, timeline

__all__ = ["EXIT_LOCKED", "EXIT_OK", "EXIT_SOURCES_FAILED", "EXIT_USAGE", "Context",
           "Failure", "cli", "pass_ctx"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_path", envvar="MONITOR_DB", default="data/monitor.db",
              show_default=True, help="SQLite database file (env MONITOR_DB).")
@click.option("--sources", "sources_path", envvar="MONITOR_SOURCES", default="sources.yaml",
              show_default=True, help="Sources and settings file (env MONITOR_SOURCES).")
@click.option("-v", "--verbose", is_flag=True, help="Log debug lines too.")
@click.option("-q", "--quiet", is_flag=True, help="Cron mode: log only warnings and errors, "
              "and print nothing when all went well (run prints only failed sources).")
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
    try:
        logs.setup(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO,
                   log_file)
    except OSError as e:
        raise click.BadParameter(f"cannot append to {log_file}: {e.strerror or e}",
                                 param_hint="'--log-file'") from e
    ctx.obj = Context(db_path, sources_path)
    ctx.obj.verbose = verbose
    ctx.obj.quiet = quiet
    ctx.obj.log_file = log_file


@cli.result_callback()
def _exit(code: int | None, **_: Any) -> None:
    """Exit with the code a command returned (commands that return nothing exit 0)."""
    if code is not None:
        sys.exit(code)


for _command in (init, run_cmd, backfill, sources,  # crawl
                 classify, explain, eval_cmd, train,  # analyse
                 instruments, outlook,  # instruments
                 signals, timeline, event, noise,  # query
                 digest, feed, deadlines, page,  # publish
                 daemon, doctor, demo,  # operate
                 alerts):
    cli.add_command(_command)
