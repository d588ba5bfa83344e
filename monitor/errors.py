"""One exception tree for the whole project.

    MonitorError
    ├── ConfigError          bad sources.yaml, settings or debate definition (exit 2)
    ├── SourceError          one source failed; carries ``source_id``
    │   ├── FetchError       network, HTTP status, body cap, redirects
    │   └── ParseError       the body is not what the source's kind promises
    ├── StorageError         the database cannot be opened or written
    └── DeliveryError        a digest could not be mailed

Only ``cli.py`` turns these into exit messages.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(MonitorError):
    """A configuration file or setting is wrong; the message names file, entry and key."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        entry: str | None = None,
        key: str | None = None,
        line: int | None = None,
    ) -> None:
        self.file = file
        self.entry = entry
        self.key = key
        self.line = line
        where = []
        if file:
            where.append(f"{file}:{line}" if line else file)
        if entry:
            where.append(f"entry {entry}")
        if key:
            where.append(f"key '{key}'")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class SourceError(MonitorError):
    """One source failed; the others go on."""

    def __init__(self, source_id: str, message: str, *, http_status: int | None = None) -> None:
        self.source_id = source_id
        self.http_status = http_status
        self.reason = message
        super().__init__(f"{source_id}: {message}")


class FetchError(SourceError):
    """The source could not be fetched (network, status, size, redirects)."""

    def __init__(
        self,
        source_id: str,
        message: str,
        *,
        http_status: int | None = None,
        transient: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(source_id, message, http_status=http_status)
        self.transient = transient
        self.retry_after = retry_after


class ParseError(SourceError):
    """The body is not what the source's kind promises (HTML instead of JSON, not a feed...)."""


class StorageError(MonitorError):
    """The database cannot be opened, migrated or written."""


class LockedError(StorageError):
    """Another process holds the writer lock on the database."""


class DeliveryError(MonitorError):
    """A digest could not be delivered."""
