"""Frozen data passed between stages, named for the boundary it crosses: sources, fetched
bodies, items, signals, members and plans."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, TypeAlias
from urllib.parse import urlsplit

from .official import Official, official_of

KINDS = ("federal_register", "feed", "html", "regulations_gov", "reginfo", "congress_gov")
ROLES = ("agency", "news", "commentary")
AUTHORITIES = ("final", "proposed", "official", "news", "commentary")  # most binding first
_AUTHORITY_RANK = {a: i for i, a in enumerate(AUTHORITIES)}
SourceStatus: TypeAlias = Literal["new", "ok", "failing"]  # a source between runs
RunStatus: TypeAlias = Literal["ok", "not_modified", "error", "skipped"]  # one source's run


def authority_rank(authority: str) -> int:
    """Return how binding an authority is: 0 for final, rising; after them all if unknown."""
    return _AUTHORITY_RANK.get(authority, len(AUTHORITIES))


@dataclass(frozen=True)
class Source:
    """One entry of sources.yaml: what to fetch, how often, and how to read it."""

    id: str
    kind: str
    url: str
    interval: int  # seconds between polls
    query: tuple[tuple[str, str], ...] = ()  # extra query parameters, repeated keys allowed
    options: dict[str, Any] = field(default_factory=dict)
    weight: float = 1.0
    api_key_env: str | None = None  # environment variable holding the API key, if any
    enabled: bool = True
    role: str = "news"  # agency | news | commentary: what the source is, for authority
    cron: str | None = None  # a crontab line for the daemon, instead of the interval

    @property
    def host(self) -> str:
        """Return the host:port this source is fetched from (the per-host limit's key)."""
        return urlsplit(self.url).netloc.lower()


@dataclass(frozen=True)
class SourceState:
    """What we remember about a source between runs."""

    source_id: str
    etag: str | None = None
    last_modified: str | None = None
    status: SourceStatus = "new"
    last_attempt: datetime | None = None  # aware, UTC
    last_success: datetime | None = None
    last_error: str | None = None
    error_count: int = 0
    next_attempt: datetime | None = None
    last_http_status: int | None = None


@dataclass(frozen=True)
class Fetched:
    """One HTTP response body, fully read (within the cap)."""

    source_id: str
    url: str  # the final URL after redirects
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed_ms: int
    attempts: int = 1
    notes: tuple[str, ...] = ()  # worth a line in the fetch log ("redirected to host X")

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass(frozen=True)
class Item:
    """One document, entry or listing row, as read from a source."""

    id: str  # stable: "<source_id>:<key>"
    source_id: str
    guid: str  # the source's own key (FR document number, entry id, canonical URL)
    url: str  # canonical URL
    title: str
    summary: str  # plain text, HTML stripped
    published: str | None  # ISO 8601 UTC, or None when the source gave no date
    kind: str
    # the source's own fields as it wrote them (stored as JSON in the items table); read
    # them through ``official``, which types those an official document carries
    extra: dict[str, Any] = field(default_factory=dict)
    # the earliest public moment the source gives (ISO UTC): ``filed_at`` for public
    # inspection; None = the time it was first seen (the store fills in the fetch time)
    earliest: str | None = None

    def __post_init__(self) -> None:
        # Built whenever an Item is made (parsed, read back, replaced). Derived from extra,
        # so not a field: not compared, not stored, not in asdict().
        self.__dict__["_official"] = official_of(self.extra)

    @property
    def official(self) -> Official:
        """Return the typed fields of an official document (all empty for news)."""
        official: Official = self.__dict__["_official"]
        return official


@dataclass(frozen=True)
class Parsed:
    """What a parser read from one body: items, a next page, and notes worth logging."""

    items: tuple[Item, ...]
    next_url: str | None = None
    notes: tuple[str, ...] = ()
    total: int | None = None  # the source's own count of matches, when it gives one


@dataclass(frozen=True)
class SourceRun:
    """The outcome of one source's run, as shown in the summary and stored in the fetch log."""

    source_id: str
    status: RunStatus
    started: datetime
    duration_ms: int = 0
    http_status: int | None = None
    bytes: int = 0
    pages: int = 0
    items_seen: int = 0
    items_new: int = 0
    error: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return self.status == "error"


@dataclass(frozen=True)
class Entity:
    """Something an item names: a threshold, citation, docket, deadline... and where it stood."""

    kind: str  # threshold | fr_citation | fr_doc | docket | rin | executive_order | eccn | bill
    # | comment_deadline | effective_date
    value: str  # normalised: "1e26 operations", "89 FR 14059", "H.R. 8315", "2024-03-27"
    text: str  # the text it came from
    start: int = -1  # offset in the item's text; -1 when it came from a source field
    end: int = -1


@dataclass(frozen=True)
class Topic:
    """One topic of the debate: cue groups that must all match, exclusions, instruments."""

    id: str
    label: str
    weight: float
    groups: tuple[tuple[str, ...], ...]
    exclude: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    # An instrument named only in the text, not the title, fires the topic only with one of
    # these cues too (empty: anywhere). Many documents cite EO 14110 for other duties.
    cited_with: tuple[str, ...] = ()
    # The side a relevant item about this topic pushes when it names none ("" : neutral);
    # a state frontier-AI bill reported without a side is a restriction being made.
    leans: str = ""


@dataclass(frozen=True)
class AuthorityRule:
    """If any phrase of ``match`` is found, the item has ``authority``, for the reason ``why``."""

    match: tuple[str, ...]
    authority: str
    why: str


@dataclass(frozen=True)
class Debate:
    """A debate definition (debates/*.yaml), validated."""

    id: str
    title: str
    version: int
    threshold: float
    topics: tuple[Topic, ...]
    stance: tuple[tuple[str, tuple[str, ...]], ...]  # (stance, cues)
    fr_types: tuple[tuple[str, str], ...]
    action_rules: tuple[AuthorityRule, ...]
    text_rules: tuple[AuthorityRule, ...]
    roles: tuple[tuple[str, str], ...]
    max_chars: int = 20000
    fingerprint: str = ""  # a hash of the definition: part of the classifier version
    path: str = ""

    def cues(self) -> set[str]:
        """Return every cue the definition uses: topics, exclusions, instruments, stance and
        authority rules."""
        found: set[str] = set()
        for topic in self.topics:
            for group in topic.groups:
                found.update(group)
            found.update(topic.exclude)
            found.update(topic.instruments)
            found.update(topic.cited_with)
        for _, stance_cues in self.stance:
            found.update(stance_cues)
        for rule in (*self.action_rules, *self.text_rules):
            found.update(rule.match)
        return found


@dataclass(frozen=True)
class TopicHit:
    """A topic that fired, with the cues that made it fire."""

    topic: str
    cues: tuple[str, ...]


@dataclass(frozen=True)
class Signal:
    """An item classified against a debate: why it matters, how binding, what it names."""

    item_id: str
    debate: str
    version: str  # classifier version: code version + debate id, version and fingerprint
    relevance: float
    relevant: bool
    topics: tuple[TopicHit, ...]
    stance: str  # restrict | open | neutral | unknown
    stance_cues: tuple[str, ...]
    authority: str  # final | proposed | official | news | commentary
    authority_reason: str
    entities: tuple[Entity, ...]
    threshold: float = 0.5


@dataclass(frozen=True, slots=True)  # slots: clustering holds 100,000s of them at once
class Member:
    """A relevant item as the clustering sees it."""

    item_id: str
    source_id: str
    title: str
    text: str  # title and the start of the summary: what similarity compares
    url: str
    published: datetime  # aware: the item's date (fetch time when it had none; never future)
    authority: str
    topics: tuple[str, ...]
    stance: str
    weight: float
    outlet: str  # who published it: the link's host, or the source id
    primary: tuple[str, ...]  # keys the item is: "fr_doc:2024-03763", "executive_order:14110"
    secondary: tuple[str, ...]  # keys it belongs to: its dockets and RINs
    reference: str | None  # the one key it cites, when it has no primary key of its own
    specific: tuple[str, ...]  # every specific entity it names (for similarity)
    content_hash: str
    kind: str  # executive_order | rule | proposed_rule | notice | press_release | news | ...
    official_date: date | None = None  # signing or publication date of an official document
    draft: bool = False  # on public inspection, not yet published
    event_id: str | None = None  # set for members already stored
    earliest: datetime | None = None  # aware: when it was first publicly knowable


@dataclass(frozen=True, slots=True)
class Assignment:
    """An item placed in an event, and why."""

    item_id: str
    event_id: str
    role: str  # member | echo
    via: str


@dataclass(frozen=True)
class Plan:
    """What clustering decided: new events, where each new item goes, and merges."""

    new_events: tuple[tuple[str, str], ...]  # (event id, anchor item id)
    assignments: tuple[Assignment, ...]
    merges: tuple[tuple[str, str, str], ...]  # (from event, into event, reason)
