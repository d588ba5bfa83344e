"""Structured logging: one logfmt line per event (key=value, quoted when needed)."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

from .safe import log_value
from .types import times

ROOT = "monitor"


class LogfmtFormatter(logging.Formatter):
    """``time=... level=info event=source_run source=fr-ntia status=ok ...``"""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "time": times.zulu(datetime.fromtimestamp(record.created, UTC)),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        fields.update({k: v for k, v in (getattr(record, "fields", {}) or {}).items()
                       if v is not None})
        line = " ".join(f"{k}={log_value(v)}" for k, v in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one structured event."""
    logger.log(level, name, extra={"fields": fields})


class StderrHandler(logging.StreamHandler):
    """Write to whatever ``sys.stderr`` is at the time, so a progress bar that redirects
    stderr prints log lines above itself instead of on its own line."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def setup(level: int = logging.INFO, path: str | None = None) -> None:
    """Send the project's log lines to stderr (or a file) in logfmt, at ``level``."""
    root = logging.getLogger(ROOT)
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    handler: logging.Handler = (logging.FileHandler(path, encoding="utf-8") if path
                                else StderrHandler())
    handler.setFormatter(LogfmtFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    for name in ("apscheduler",):
        other = logging.getLogger(name)
        other.handlers = [handler]
        other.setLevel(max(level, logging.WARNING))
        other.propagate = False
