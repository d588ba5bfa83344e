"""What every command shares: the Context, the exit codes, and errors turned into exits.

Errors become exit messages here and only here: 0 ok, 1 some sources failed, 2 bad usage
or configuration, 75 the writer lock is held.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from .. import safe, store
from ..config import Config, load_config, parse_since
from ..errors import ConfigError, LockedError, MonitorError

if TYPE_CHECKING:
    from sqlite_utils import Database

EXIT_OK, EXIT_SOURCES_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_LOCKED = 75  # another process holds the writer lock (sysexits' EX_TEMPFAIL): try later
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports it
F = TypeVar("F", bound=Callable[..., Any])


class Failure(click.ClickException):
    """A MonitorError on its way out, with the exit code it maps to."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = code  # type: ignore[misc]


def fail(e: MonitorError) -> NoReturn:
    """Raise the Failure a MonitorError maps to."""
    code = (EXIT_USAGE if isinstance(e, ConfigError) else EXIT_LOCKED
            if isinstance(e, LockedError) else EXIT_SOURCES_FAILED)
    ctx = click.get_current_context(silent=True)
    if code == EXIT_LOCKED and ctx is not None and getattr(ctx.find_root().obj, "quiet", False):
        # cron mode: another run still writing is routine, not a thing to mail anyone about
        raise click.exceptions.Exit(code) from e
    raise Failure(str(e), code) from e


def os_problem(e: OSError) -> str:
    """Return an OSError as one line naming the path and what is wrong with it."""
    where = f"{e.filename}: " if e.filename else ""
    return f"{where}{e.strerror or e}"


@contextmanager
def errors() -> Iterator[None]:
    """Yield, turning what a user can cause into one line and an exit code: a MonitorError
    into its Failure, a file the user named that cannot be read or written (exit 2), a
    damaged database (exit 1)."""
    try:
        yield
    except MonitorError as e:
        fail(e)
    except OSError as e:
        raise Failure(os_problem(e), EXIT_USAGE) from e
    except UnicodeDecodeError as e:
        raise Failure(f"not UTF-8 text (byte {e.start}): save the file as UTF-8",
                      EXIT_USAGE) from e
    except sqlite3.DatabaseError as e:
        raise Failure(f"the database cannot be read: {e} (is it damaged? `monitor doctor` "
                      "checks it; restore it from a backup)", EXIT_SOURCES_FAILED) from e


@contextmanager
def interruptible(what: str) -> Iterator[None]:
    """Yield; Ctrl-C inside becomes one line and exit 130 (runs already stored are kept,
    the source in hand is dropped and fetched again next time)."""
    import logging

    try:
        yield
    except KeyboardInterrupt:
        logging.getLogger("monitor").setLevel(logging.CRITICAL)  # no echo of torn requests
        raise Failure(f"interrupted: {what} stopped; sources already stored are kept, the "
                      "rest are fetched on the next run", EXIT_INTERRUPTED) from None


class Context:
    """What every command gets: where the database and sources.yaml are."""

    def __init__(self, db_path: str, sources_path: str) -> None:
        self.db_path = db_path
        self.sources_path = sources_path
        self.verbose = False
        self.quiet = False  # cron mode: print only what needs a person
        self.log_file: str | None = None

    def config(self, base_url: str | None = None) -> Config:
        """Return the loaded sources.yaml."""
        return load_config(self.sources_path, base_url=base_url)

    def db(self, *, create: bool = True) -> Database:
        """Return the open database, its schema brought up to date; ``create=False`` (the
        read commands) refuses a database that does not exist instead of creating it."""
        if not create and self.db_path != ":memory:" and not Path(self.db_path).is_file():
            raise Failure(f"no database at {self.db_path} (create it with `monitor init` and "
                          "fill it with `monitor run`, or name one with --db)", EXIT_USAGE)
        folder = Path(self.db_path).absolute().parent
        if not create and not os.access(folder, os.W_OK):  # a reader in a read-only folder
            return store.open_db(self.db_path, read_only=True)
        return store.open_db(self.db_path)


pass_ctx = click.make_pass_decorator(Context)


def now() -> datetime:
    """Return the current UTC time to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def period_start(value: str) -> date | datetime | None:
    """Return the start of a --since period: a moment (7d), a day (2024-01-31) or None (all);
    a bad one is a usage error."""
    try:
        return parse_since(value, now())
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="'--since'") from e
    except OverflowError as e:  # 3000y, 99999999d: before the year 1
        raise click.BadParameter(f"{value!r} reaches back before the year 1; use 'all' for "
                                 "everything", param_hint="'--since'") from e


def parse_day(value: str) -> date:
    """Return a YYYY-MM-DD option's date; a bad one is a usage error."""
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise click.BadParameter(f"{value!r} is not a date like 2024-01-31") from e


def days_ahead(days: int, option: str = "--days") -> timedelta:
    """Return ``days`` as a timedelta that a date can be moved by; too many is a usage
    error naming the option."""
    if days > 36500:
        raise click.BadParameter(f"{days} is more than a century (at most 36500)",
                                 param_hint=f"'{option}'")
    return timedelta(days=days)


def json_option(command: F) -> F:
    """Add the one output option of a command that prints a table or JSON: ``--format
    table|json`` (as `signals` and `digest` name theirs), with ``--json`` kept as its
    alias; the command still gets one ``as_json`` argument."""

    @functools.wraps(command)
    def wrapper(*args: Any, fmt: str | None = None, as_json: bool = False,
                **kwargs: Any) -> Any:
        if fmt == "table" and as_json:
            raise click.UsageError("--json and --format table exclude each other")
        return command(*args, as_json=as_json or fmt == "json", **kwargs)

    wrapper = click.option("--json", "as_json", is_flag=True,
                           help="Print as JSON (same as --format json).")(wrapper)
    wrapper = click.option("--format", "fmt", type=click.Choice(["table", "json"]),
                           default=None, help="Output format [default: table].")(wrapper)
    return wrapper  # type: ignore[return-value]


def echo(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Print text that may quote a source: no raw control or bidi override reaches the
    terminal (each is shown escaped, as ``\\x1b``); the one place the CLI prints text."""
    click.echo(safe.terminal(text, one_line=False), err=err, nl=nl)


def echo_json(document: str) -> None:
    """Print a JSON document, unsafe characters as JSON's own \\u escapes."""
    click.echo(safe.json_text(document))


def writable(out: str | None, option: str = "--out", *, make_folder: bool = False) -> None:
    """Refuse, before any work, an output file that is a folder, sits in a missing folder
    (unless ``make_folder``) or cannot be written."""
    if out is None:
        return
    path = Path(out)
    if path.is_dir():
        raise Failure(f"{option} {out}: is a folder; name a file", EXIT_USAGE)
    if make_folder:
        return
    if not path.parent.is_dir():
        raise Failure(f"{option} {out}: folder {path.parent} does not exist", EXIT_USAGE)
    target = path if path.exists() else path.parent
    if not os.access(target, os.W_OK):
        raise Failure(f"{option} {out}: permission denied", EXIT_USAGE)


def write(out: str | None, content: str | bytes, *, option: str = "--out",
          make_folder: bool = False) -> None:
    """Print ``content``, or write it to the file ``out`` and say so on stderr; a folder, a
    missing folder (unless ``make_folder``) or an unwritable file is a usage error naming
    ``option``."""
    if out is None:
        text = content.decode() if isinstance(content, bytes) else content
        if sys.stdout.isatty():  # a document shown on a terminal
            text = safe.terminal(text, one_line=False)
        click.echo(text, nl=False)
        return
    path = Path(out)
    writable(out, option, make_folder=make_folder)
    try:
        if make_folder:
            path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(data)
    except OSError as e:
        raise Failure(f"{option} {out}: cannot write: {e.strerror or e}", EXIT_USAGE) from e
    click.echo(f"wrote {path}", err=True)


# What the filters accept, for --help (the shipped debate's topics; a test keeps them equal).
TOPICS = ("compute_thresholds", "weight_export_controls", "reporting_requirements",
          "open_weight_restrictions", "national_security", "licensing", "state_frontier_laws",
          "foreign_regimes")
STANCES = ("restrict", "open", "neutral", "unknown")
STANCE_HELP = ("Only those with this stance: restrict (imposes or urges restrictions), open "
               "(revokes them or defends open release), neutral (asks, evaluates, reports), "
               "unknown.")
TOPIC_HELP = "Only those with this topic: " + ", ".join(TOPICS) + " (or your debate's own)."


def check_filters(config: Config, *, topic: str | None = None,
                  source: str | None = None) -> None:
    """Refuse a topic the debate does not define or a source sources.yaml does not list."""
    debate = config.debate
    if topic is not None and debate is not None:
        known = [t.id for t in debate.topics]
        if topic not in known:
            raise click.BadParameter(f"{topic!r} is not a topic of the debate "
                                     f"'{debate.id}'; one of: {', '.join(known)}",
                                     param_hint="'--topic'")
    if source is not None:
        ids = [s.id for s in config.sources]
        if source not in ids:
            raise click.BadParameter(f"{source!r} is not a source in {config.path}; one of: "
                                     f"{', '.join(ids)}", param_hint="'--source'")
