"""Frozen data passed between stages, named for the boundary it crosses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

KINDS = ("federal_register", "feed", "html", "regulations_gov")


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
    status: str = "new"  # new | ok | failing
    last_attempt: str | None = None
    last_success: str | None = None
    last_error: str | None = None
    error_count: int = 0
    next_attempt: str | None = None
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
    extra: dict[str, Any] = field(default_factory=dict)  # source-specific fields


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
    status: str  # ok | not_modified | error | skipped
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
