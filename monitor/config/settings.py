"""The settings registry (defaults with help text), its `settings:` section, and Config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ..errors import ConfigError
from ..types import AlertSettings, DaemonSettings, Debate, SmtpSettings, Source
from .yamlmap import Place


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """Every tunable of the pipeline, with its default and help text (sources.yaml `settings:`)."""

    user_agent: str = _setting(
        "monitor/0.1 (regulatory-signal monitor for the open-weight AI debate)",
        "User-Agent sent with every request; `contact` is appended when set.",
    )
    contact: str = _setting("", "An address or URL for site operators, added to the User-Agent.")
    timeout: float = _setting(30.0, "Seconds to wait for a response or between body chunks; "
                              "each attempt also ends after 4 x timeout in all (connect, "
                              "headers, body).")
    connect_timeout: float = _setting(10.0, "Seconds to wait for a connection.")
    max_body_bytes: int = _setting(10_000_000, "Largest body read (after decompression).")
    max_redirects: int = _setting(5, "Redirects followed per request (at most 5).")
    retries: int = _setting(3, "Attempts per request for transient errors (connect, 5xx, 429).")
    retry_backoff: float = _setting(1.0, "First retry delay in seconds; doubles each attempt.")
    max_retry_after: float = _setting(
        120.0, "Longest Retry-After honoured within a run; longer ones defer to a later run."
    )
    concurrency: int = _setting(16, "Sources fetched at once, overall.")
    per_host: int = _setting(2, "Sources fetched at once from one host.")
    max_pages: int = _setting(20, "Pages followed per Federal Register query in one run.")
    parse_processes: int = _setting(
        -1, "Worker processes that parse bodies when 8 or more sources are due (-1: one per "
        "CPU; 0: parse in the fetching threads).")
    failure_backoff: int = _setting(900, "Seconds before retrying a failed source; doubles.")
    failure_backoff_max: int = _setting(172_800, "Longest wait before retrying a failed source.")

    def user_agent_header(self) -> str:
        """Return the User-Agent string, with the contact appended when set."""
        return f"{self.user_agent} {self.contact}".strip() if self.contact else self.user_agent


SETTING_HELP = {f.name: f.metadata["help"] for f in fields(Settings)}


@dataclass(frozen=True)
class Config:
    """A loaded sources.yaml: its settings, sources, and where it came from.

    ``smtp`` and ``daemon`` are those sections, validated at load (``smtp`` is None without
    one); ``extra`` keeps every section other than settings, sources and debate as written.
    """

    path: str
    settings: Settings
    sources: tuple[Source, ...]
    debate: Debate | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # sections later stages read
    smtp: SmtpSettings | None = None
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    alerts: AlertSettings | None = None  # the `alerts:` section, None without one

    def roles(self) -> dict[str, str]:
        """Return each source's role (agency, news, commentary) by source id."""
        return {s.id: s.role for s in self.sources}

    def source(self, source_id: str) -> Source:
        """Return the source with this id; raise ConfigError naming the known ones."""
        for s in self.sources:
            if s.id == source_id:
                return s
        known = ", ".join(s.id for s in self.sources)
        raise ConfigError(f"unknown source '{source_id}' (known: {known})", file=self.path)


def read_settings(raw: Any, top: Place) -> Settings:
    """Return the Settings of the `settings:` section (defaults for what it leaves out)."""
    if raw is None:
        return Settings()
    if not isinstance(raw, Mapping):
        raise top.error("must be a mapping", "settings")
    place = top.at("settings", entry="settings")
    place.check_keys(raw, tuple(SETTING_HELP), "setting")
    defaults = Settings()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        want = type(getattr(defaults, key))
        ok = isinstance(value, want) or (want is float and isinstance(value, int))
        if not ok or isinstance(value, bool):
            raise place.error(f"must be a {want.__name__}", key)
        if want in (int, float) and value < 0 and key != "parse_processes":
            raise place.error("must not be negative", key)
        values[key] = want(value)
    settings = replace(defaults, **values)
    if settings.max_redirects > 5:
        raise place.error("at most 5 redirects are followed", "max_redirects")
    if settings.concurrency < 1 or settings.per_host < 1:
        raise place.error("concurrency and per_host must be at least 1",
                          "concurrency" if settings.concurrency < 1 else "per_host")
    return settings
