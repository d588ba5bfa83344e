"""Reading the ISO times items carry: the cluster stage reads each once, building a member."""

from __future__ import annotations

from datetime import UTC, datetime


def aware(value: str) -> datetime:
    """Return an ISO date-time as an aware datetime (UTC when it names no zone)."""
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)
