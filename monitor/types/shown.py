"""Frozen data the read side shows: signal and event rows, deadlines, source health, the
report a digest or page renders, and the mail and daemon settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .events import EventScore
from .instruments import Instrument, KeyPoint, Outlook
from .stages import Entity


@dataclass(frozen=True)
class SignalRow:
    """A relevant item with its classification, as the outputs list it."""

    id: str
    title: str
    url: str
    source: str
    published: datetime | None  # aware UTC; None: undated
    relevance: float
    topics: tuple[str, ...]
    stance: str
    authority: str
    entities: tuple[Entity, ...]
    event: str | None
    summary: str = ""
    draft: bool = False  # on public inspection, not yet published
    agencies: tuple[str, ...] = ()  # a Federal Register document's agencies, as published
    outlet: str = ""  # the publisher's name (AP, Lawfare, Federal Register), set by report
    actor: str = ""  # who it speaks for: its agency, else its outlet, set by report
    earliest: datetime | None = None  # first public (filed_at on public inspection), UTC
    publishes: str | None = None  # on public inspection: the scheduled publication date

    @property
    def document(self) -> str:
        """Return the document this item is (its FR document number), else its link."""
        own = next((e.value for e in self.entities if e.kind == "fr_doc" and e.start < 0), None)
        return own or self.url or self.id


@dataclass(frozen=True)
class EventRow:
    """An event as the outputs show it: its latest score and what its items add."""

    score: EventScore
    links: tuple[tuple[str, str, str], ...] = ()  # (title, url, outlet) of its first items
    more_links: int = 0  # its other documents, not in links
    summary: str = ""  # one line from its items' own text
    identifiers: tuple[str, ...] = ()  # "EO 14110", "docket NTIA-2023-0009", "RIN ..."
    sources: tuple[str, ...] = ()  # the names of the agencies and outlets behind its items
    dockets: tuple[tuple[str, str], ...] = ()  # (regulations.gov docket, its page: comment)
    comment_deadline: str | None = None
    importance: float = 0.0  # how the outputs rank it (outputs.brief.importance)


@dataclass(frozen=True)
class Deadline:
    """A comment deadline or effective date named by a relevant item."""

    day: date
    kind: str  # comment_deadline | effective_date
    title: str
    url: str
    item_id: str
    event: str | None
    dockets: tuple[str, ...] = ()  # regulations.gov dockets its event names (where to comment)
    ended: str | None = None  # "day: title" of a later event that rescinded its instrument

    @property
    def docket_urls(self) -> tuple[tuple[str, str], ...]:
        """Return (docket, its regulations.gov page) for each docket."""
        return tuple((d, f"https://www.regulations.gov/docket/{d}") for d in self.dockets)


@dataclass(frozen=True)
class SourceHealth:
    """A source's stored state as `monitor sources` and the digest show it."""

    source_id: str
    status: str  # new | ok | failing
    last_success: datetime | None
    last_error: str | None
    error_count: int
    failing_since: datetime | None  # failing: its last success, else its first error
    last_attempt: datetime | None = None
    next_attempt: datetime | None = None
    last_http_status: int | None = None


@dataclass(frozen=True)
class Report:
    """Everything a digest, feed or page shows for one period."""

    debate: str
    debate_title: str
    generated_at: datetime
    since: datetime | None  # None: everything
    until: datetime
    noise_level: str
    noise_trend: tuple[tuple[date, str, float], ...]  # (day, level, share), oldest first
    official: tuple[SignalRow, ...]
    events: tuple[EventRow, ...]  # key events: by authority, then noise
    new_events: tuple[EventRow, ...]
    sides: tuple[tuple[str, int, tuple[SignalRow, ...]], ...]  # (stance, count, examples)
    deadlines: tuple[Deadline, ...]
    thresholds: tuple[tuple[str, int, str], ...]  # (value, mentions, example title)
    failing: tuple[SourceHealth, ...]
    signals: tuple[SignalRow, ...]  # every relevant item of the period, newest first
    daily: tuple[tuple[date, int, int, str], ...] = ()  # (day, relevant, total, level)
    topics: tuple[tuple[str, str, int], ...] = ()  # (topic, label, items) in the period
    noise: NoiseBasis | None = None  # what the headline Noise Level was read from
    headline: str = ""  # what moved: the period's most important change, one sentence
    headline_short: str = ""  # the same for a subject line
    since_arg: str = "all"  # the period as a --since value, for the commands shown
    actors: tuple[tuple[str, tuple[tuple[str, SignalRow], ...], int], ...] = ()
    # (stance, ((actor, their latest item), ...) shown, how many actors in all)
    more_official: int = 0  # official actions not listed
    outlook: Outlook | None = None  # the answer: what is in force, pending, direction, forecast
    instruments: tuple[Instrument, ...] = ()  # every tracked instrument, latest change first
    key_points: tuple[KeyPoint, ...] = ()  # instruments that moved or take a side, by instrument
    badges: tuple[tuple[str, str], ...] = ()  # (item or event id, badge) where the authority
    # alone would mislead: "interim final · in force, comments open until D", "final · ended"


@dataclass(frozen=True)
class NoiseBasis:
    """The day the headline Noise Level was read from and the figures behind it."""

    day: date  # the latest day with a relevant item
    level: str
    relevant: int
    total: int
    share: float
    mean: float | None  # the trailing 28 days' mean share (None: no baseline yet)
    std: float | None
    baseline_days: int  # days with items in the 28 days before


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how digests are mailed (sources.yaml `smtp:`; the password from
    MONITOR_SMTP_PASSWORD)."""

    host: str
    port: int = 587
    security: str = "starttls"  # starttls | tls | none
    user: str | None = None
    sender: str = ""
    to: tuple[str, ...] = ()
    timeout: float = 30.0


@dataclass(frozen=True)
class DaemonSettings:
    """How `monitor daemon` schedules (sources.yaml `daemon:`)."""

    timezone: str = "UTC"
    misfire_grace_time: int = 300  # seconds a late job may still run
    jitter: int = 30  # seconds of random delay added to interval jobs
    digest_cron: str | None = None  # crontab line for the digest job, in `timezone`
    digest_since: str = "1d"
    digest_send: bool = True
    digest_out: str | None = None
    digest_format: str = "html"
    skip_empty: bool = False
