"""What every command shares: the Context, the exit codes, and errors turned into exits.

Errors become exit messages here and only here: 0 ok, 1 some sources failed, 2 bad usage
or configuration, 75 the writer lock is held.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from .. import safe, store
from ..config import Config, load_config, parse_since
from ..errors import ConfigError, LockedError, MonitorError

if TYPE_CHECKING:
    from sqlite_utils import Database

EXIT_OK, EXIT_SOURCES_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_LOCKED = 75  # another process holds the writer lock (sysexits' EX_TEMPFAIL): try later


class Failure(click.ClickException):
    """A MonitorError on its way out, with the exit code it maps to."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = code  # type: ignore[misc]


def fail(e: MonitorError) -> NoReturn:
    """Raise the Failure a MonitorError maps to."""
    code = (EXIT_USAGE if isinstance(e, ConfigError) else EXIT_LOCKED
            if isinstance(e, LockedError) else EXIT_SOURCES_FAILED)
    raise Failure(str(e), code) from e


@contextmanager
def errors() -> Iterator[None]:
    """Yield, turning a MonitorError raised inside into its Failure."""
    try:
        yield
    except MonitorError as e:
        fail(e)


class Context:
    """What every command gets: where the database and sources.yaml are."""

    def __init__(self, db_path: str, sources_path: str) -> None:
        self.db_path = db_path
        self.sources_path = sources_path
        self.verbose = False

    def config(self, base_url: str | None = None) -> Config:
        """Return the loaded sources.yaml."""
        return load_config(self.sources_path, base_url=base_url)

    def db(self) -> Database:
        """Return the open database, its schema brought up to date."""
        return store.open_db(self.db_path)


pass_ctx = click.make_pass_decorator(Context)


def now() -> datetime:
    """Return the current UTC time to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def period_start(value: str) -> str | None:
    """Return the ISO start of a --since period (None: all); a bad one is a usage error."""
    try:
        return parse_since(value, now())
    except ValueError as e:
        raise click.BadParameter(str(e)) from e


def parse_day(value: str) -> date:
    """Return a YYYY-MM-DD option's date; a bad one is a usage error."""
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise click.BadParameter(f"{value!r} is not a date like 2024-01-31") from e


def echo(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Print text that may quote a source: no raw control or bidi override reaches the
    terminal (each is shown escaped, as ``\\x1b``); the one place the CLI prints text."""
    click.echo(safe.terminal(text, one_line=False), err=err, nl=nl)


def echo_json(document: str) -> None:
    """Print a JSON document, unsafe characters as JSON's own \\u escapes."""
    click.echo(safe.json_text(document))


def write(out: str | None, content: str | bytes) -> None:
    """Print ``content``, or write it to ``out`` and say so on stderr."""
    if out is None:
        text = content.decode() if isinstance(content, bytes) else content
        if sys.stdout.isatty():  # a document shown on a terminal
            text = safe.terminal(text, one_line=False)
        click.echo(text, nl=False)
        return
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    click.echo(f"wrote {path}", err=True)
