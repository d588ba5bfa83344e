"""Commands that write the outputs: digest (and its mail), feed, deadlines, page."""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click

from .. import store
from ..errors import ConfigError, DeliveryError
from ..types import times
from .context import (
    EXIT_SOURCES_FAILED,
    EXIT_USAGE,
    Context,
    Failure,
    days_ahead,
    echo,
    echo_json,
    errors,
    json_option,
    now,
    pass_ctx,
    period_start,
    writable,
    write,
)

if TYPE_CHECKING:
    from ..config import Config
    from ..types import Report


def _report(ctx: Context, since: date | datetime | None) -> Report:
    """Return the report of the period from ``since`` (None: everything) to now."""
    from .. import report

    config = ctx.config()
    db = ctx.db(create=False)
    return report.build(db, config, since, now())


@click.command()
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
    from ..deliver import deliver_digest, render_digest

    if to and not send:
        raise click.UsageError("--to names recipients of --send; add --send (or drop --to)")
    if resend and not send:
        raise click.UsageError("--resend only changes what --send mails; add --send")
    start = period_start(since)
    writable(out)
    try:
        with errors():
            config = ctx.config()
            if send:
                _check_mail(config)
            db = ctx.db(create=False)
            result = deliver_digest(
                db, config, start, recipients=to, send=send, resend=resend,
                skip_empty=skip_empty, password=os.environ.get("MONITOR_SMTP_PASSWORD"))
    except Failure as e:
        if isinstance(e.__cause__, DeliveryError):
            raise Failure(f"DeliveryError: {e.__cause__}; nothing was recorded as sent",
                          EXIT_SOURCES_FAILED) from e.__cause__
        raise
    if result.skipped:
        if not ctx.quiet:
            echo("nothing new: no digest", err=True)
        return
    if out is not None or not send:
        write(out, render_digest(result.report, fmt))
    if result.sent and not ctx.quiet:
        echo(f"sent {len(result.report.signals)} items to "
                   f"{', '.join(result.recipients)}: {result.subject}", err=True)


def _check_mail(config: Config) -> None:
    """Refuse, before connecting, smtp settings that cannot send (a user, no password)."""
    from ..config import smtp_settings

    user = smtp_settings(config).user
    if user and not os.environ.get("MONITOR_SMTP_PASSWORD"):
        raise ConfigError(f"smtp.user is {user!r} but MONITOR_SMTP_PASSWORD is not set",
                          file=config.path)


@click.command()
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
    from ..deliver import feed_id
    from ..outputs import render

    if self_url is not None and (urlsplit(self_url).scheme not in ("http", "https")
                                 or not urlsplit(self_url).netloc):
        raise click.BadParameter(f"{self_url!r} is not an http(s) URL",
                                 param_hint="'--self-url'")
    start = period_start(since)
    writable(out)
    with errors():
        rep = _report(ctx, start)
    write(out, render.atom(rep, feed_id(rep.debate), self_url))


@click.command()
@click.option("--days", type=click.IntRange(min=1), default=30, show_default=True,
              help="List deadlines in the next N days (with --past: the last N days).")
@click.option("--past", is_flag=True, help="List the deadlines and effective dates of the "
              "last N days instead.")
@click.option("--ics", "--out", "ics", default=None, help="Also write every known deadline, "
              "past and upcoming, to this iCalendar file (--out is the same).")
@json_option
@pass_ctx
def deadlines(ctx: Context, days: int, past: bool, ics: str | None, as_json: bool) -> None:
    """List upcoming comment deadlines and effective dates; write them as iCalendar.

    Dates come from the Federal Register's own fields first (comments_close_on,
    effective_on), then from the text ("comments must be received on or before ...").

    Example: monitor deadlines --days 60 --ics deadlines.ics
    """
    at = now()
    span = days_ahead(days)
    writable(ics, "--ics")
    first, last = ((at.date() - span, at.date() - timedelta(days=1)) if past
                   else (at.date(), at.date() + span))
    with errors():
        config = ctx.config()
        debate = config.debate
        assert debate is not None
        db = ctx.db(create=False)
        upcoming = store.deadlines(db, debate.id, first, last)
        every = store.deadlines(db, debate.id) if ics else []
    if ics:
        from ..outputs import calendar

        write(ics, calendar.to_ics(every, debate.id, debate.title, at), option="--ics")
    if as_json:
        echo_json(json.dumps([{"day": times.iso(d.day), "kind": d.kind, "title": d.title,
                                "url": d.url, "item": d.item_id, "event": d.event}
                               for d in upcoming], indent=2))
        return
    if not upcoming:
        echo(f"no comment deadline or effective date in the {'last' if past else 'next'} "
             f"{days} days" + ("" if past else " (--past lists earlier ones)"))
    for d in upcoming:
        what = "comments due" if d.kind == "comment_deadline" else "takes effect"
        echo(f"{times.day(d.day)}  {what:<13} {d.title[:90]}\n{'':<26}{d.url}")


@click.command()
@click.option("--out", default="page", show_default=True, help="Folder for index.html.")
@click.option("--since", default="all", show_default=True, help="Period the page covers.")
@pass_ctx
def page(ctx: Context, out: str, since: str) -> None:
    """Write the one-page story of the debate: why it matters, key points, sides, Noise
    Level with a chart, forecast and timeline, in one self-contained HTML file.

    Example: monitor page --out public
    """
    from ..outputs import render

    start = period_start(since)
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise Failure(f"--out {out}: is a file; page writes index.html into a folder",
                      EXIT_USAGE)
    with errors():
        rep = _report(ctx, start)
    write(str(folder / "index.html"), render.page_html(rep), make_folder=True)
