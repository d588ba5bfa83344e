"""Reading the ISO dates and times that members and events carry: one reader of each."""

from __future__ import annotations

from datetime import UTC, date, datetime


def aware(value: str) -> datetime:
    """Return an ISO date-time as an aware datetime (UTC when it names no zone)."""
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def day_ordinal(value: str) -> int:
    """Return the proleptic ordinal of an ISO date (``YYYY-MM-DD``)."""
    return date.fromisoformat(value).toordinal()
