"""Time as sources.yaml writes it: durations, periods, crontab lines and time zones."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_PERIOD_RE = re.compile(r"^\s*(\d+)\s*([hdwy])\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 365 * 86400}
# Each crontab field's name and range, as the daemon's scheduler (APScheduler) accepts them.
_CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12),
                ("weekday", 0, 6))
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*/,\-?]+$")


def parse_duration(value: Any) -> float:
    """Return seconds from a number or "90s", "15m", "6h", "1d", "1w"; raise ValueError."""
    if isinstance(value, bool):
        raise ValueError("not a duration")
    if isinstance(value, int | float):
        return float(value)
    m = _DURATION_RE.match(str(value))
    if not m:
        raise ValueError(f"'{value}' is not a duration like 30s, 10m, 6h or 1d")
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_interval(value: Any) -> int:
    """Return an interval in seconds from 3600, "15m", "6h", "1d" or "1w"; raise ValueError."""
    seconds = parse_duration(value)
    if seconds < 60:
        raise ValueError(f"'{value}' is shorter than one minute")
    return int(seconds)


def parse_since(value: str, now: datetime) -> date | datetime | None:
    """Return the start of a period given as 30d, 12w, 1y, 48h (a moment: ``now`` less the
    span), a date (that day, known only to the day), or 'all' (None)."""
    text = value.strip().lower()
    if text == "all":
        return None
    m = _PERIOD_RE.match(text)
    if m:
        return now - timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a period like 7d, 12w, 1y, 48h, a date "
                         "(2024-01-31) or 'all'") from None


def check_cron(value: Any) -> str:
    """Return a five-field crontab line ("0 7 * * 1-5"); raise ValueError."""
    if not isinstance(value, str):
        raise ValueError("must be a crontab line like '0 7 * * 1-5'")
    fields = value.split()
    if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
        raise ValueError(f"{value!r} is not a crontab line (minute hour day month weekday, "
                         "e.g. '0 7 * * 1-5')")
    for text, (name, low, high) in zip(fields, _CRON_FIELDS, strict=True):
        for part in text.split(","):
            span, _, step = part.partition("/")
            numbers = [int(n) for n in span.split("-") if n.isdigit()]
            if any(not low <= n <= high for n in numbers):
                raise ValueError(f"{value!r}: the {name} must be from {low} to {high}")
            if step.isdigit() and not 0 < int(step) <= high - low:
                raise ValueError(f"{value!r}: the {name} step must be from 1 to {high - low}")
    return " ".join(fields)


def check_timezone(value: Any) -> str:
    """Return the name of a known time zone ("America/New_York"); raise ValueError."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = str(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as e:  # "America" is a directory
        raise ValueError(f"unknown time zone {name!r} (e.g. UTC, America/New_York)") from e
    return name
