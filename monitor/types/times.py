"""Times as the read side shows them: one formatter per format. Rows from the store carry
aware UTC ``datetime`` and ``date`` objects; text is made from them only at the output edge
(the CLI's JSON mappers and tables, the templates' filters), through these functions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import overload

NEVER = datetime.min.replace(tzinfo=UTC)  # sorts before every moment: an undated row's key


@overload
def iso(value: date | datetime) -> str: ...
@overload
def iso(value: date | datetime | None) -> str | None: ...


def iso(value: date | datetime | None) -> str | None:
    """Return ISO 8601 text for JSON, Atom and storage: ``2024-01-29T00:00:00+00:00`` for an
    aware UTC datetime (to the second, as stamped), ``2024-01-29`` for a date; None stays."""
    return None if value is None else value.isoformat()


def day(value: date | datetime | str | None) -> str:
    """Return the ``YYYY-MM-DD`` day of a date or datetime (text is cut to its first ten
    characters); empty for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


def start_of(value: date | datetime) -> datetime:
    """Return the first moment of a period start: a datetime as it is, a date (a period
    given as a day, ``--since 2024-01-31``) at its midnight UTC."""
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(), UTC)


def day_of(value: date | datetime) -> date:
    """Return the calendar day of a datetime (in its own zone), a date as it is."""
    return value.date() if isinstance(value, datetime) else value


def minute(value: datetime | None, empty: str = "") -> str:
    """Return ``YYYY-MM-DD HH:MM``, the human form of a moment in tables (UTC)."""
    return empty if value is None else f"{value:%Y-%m-%d %H:%M}"


def moment_or_day(value: date | datetime) -> str:
    """Return ``minute`` of a datetime, ``day`` of a date: a time that may be known only to
    the day (an instrument changed state on a date, an item was first public at a moment)."""
    return minute(value) if isinstance(value, datetime) else day(value)


def zulu(value: datetime) -> str:
    """Return ``2024-01-29T08:45:00Z``: a log line's time (UTC, to the second)."""
    return f"{value.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def human_day(value: date | datetime) -> str:
    """Return the prose form of a day: ``March 27, 2024``."""
    return f"{value:%B} {value.day}, {value.year}"
