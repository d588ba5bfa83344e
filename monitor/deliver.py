"""Deliver a digest: build the period's report, render it, mail it, remember what was sent."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from . import logs, report, safe, store
from .config import Config, check_address, smtp_settings
from .errors import ConfigError
from .outputs import mail, render
from .types import Report, times

if TYPE_CHECKING:
    from sqlite_utils import Database

log = logging.getLogger("monitor.digest")
DIGEST_FORMATS = ("md", "html", "text")


@dataclass(frozen=True)
class DigestResult:
    """What one digest did: the report it showed, and whom it was sent to."""

    report: Report
    recipients: tuple[str, ...]
    subject: str
    sent: bool
    skipped: bool  # nothing new and skip_empty


def digest_subject(rep: Report) -> str:
    """Return the subject line: what moved (the period's most important event, its title cut
    to one safe line), the Noise Level and the period."""
    start = times.day(rep.since) if rep.since else "all"
    moved = safe.plain(rep.headline_short) or "nothing new"
    return (f"[monitor] {moved}; Noise Level {rep.noise_level}; "
            f"{start} to {times.day(rep.until)}")


def render_digest(rep: Report, fmt: str) -> str:
    """Return the digest drawn in one of DIGEST_FORMATS."""
    draw = {"md": render.digest_markdown, "html": render.digest_html,
            "text": render.digest_text}
    return draw[fmt](rep)


def feed_id(debate: str) -> str:
    """Return the Atom feed's id: a tag URI of the debate, the same on every run."""
    return f"tag:monitor.local,2026:{debate}"


def deliver_digest(db: Database, config: Config, since: date | datetime | None, *,
                   recipients: Sequence[str] = (), send: bool = False, resend: bool = False,
                   skip_empty: bool = False, now: datetime | None = None,
                   password: str | None = None) -> DigestResult:
    """Build the digest of a period and, with ``send``, mail it and log what was sent.

    Items already mailed to the same recipients are left out unless ``resend``. A failed
    delivery raises DeliveryError and logs nothing as sent.
    """
    debate = config.debate
    assert debate is not None
    now = now or datetime.now(UTC).replace(microsecond=0)
    smtp = smtp_settings(config) if send else None
    to = tuple(check_address(a) for a in recipients) or (smtp.to if smtp else ())
    if send and not to:
        raise ConfigError("no recipients: give --to or set smtp.to", file=config.path,
                          entry="smtp", key="to")
    key = ",".join(sorted({a.lower() for a in to}))
    exclude: frozenset[str] = frozenset()
    if send and not resend:
        period = store.query_signals(db, debate.id, since=since)
        exclude = frozenset(store.already_sent(db, debate.id, key, [s.id for s in period]))
    rep = report.build(db, config, since, now, exclude=exclude)
    subject = digest_subject(rep)
    if skip_empty and not rep.signals:
        logs.event(log, "digest", status="skipped", reason="nothing new")
        return DigestResult(rep, to, subject, sent=False, skipped=True)
    if send:
        assert smtp is not None
        message = mail.build_message(smtp, to, subject, render.digest_text(rep),
                                     render.digest_html(rep))
        mail.send(smtp, message, to, password)
        with store.transaction(db):
            store.log_sent(db, debate.id, key, [s.id for s in rep.signals], now,
                           subject)
        logs.event(log, "digest", status="sent", items=len(rep.signals),
                   recipients=len(to))
    return DigestResult(rep, to, subject, sent=send, skipped=False)
