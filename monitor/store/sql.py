"""The SQL helpers every store module writes through: prepared inserts, JSON text, chunked
``IN (...)`` lists, and the readers of the ISO times the columns hold."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlite_utils import Database

T = TypeVar("T")
CHUNK = 500  # values per IN (...) list: well under SQLite's limit on bound parameters


def fields(obj: Any) -> dict[str, Any]:
    """Return a dataclass's fields as a new dict, one level deep (``asdict`` deep-copies every
    value, which the writes do not need)."""
    return dict(vars(obj))


def moment(text: str) -> datetime:
    """Return a stored ISO date-time as an aware datetime (UTC when it names no zone): the
    one reader of the time columns, so the read side gets datetimes, never text."""
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def moment_or_none(text: str | None) -> datetime | None:
    """Return ``moment(text)``, or None for a NULL column."""
    return None if text is None else moment(text)


def day(text: str) -> date:
    """Return a stored ISO date (or the day of a date-time) as a date."""
    return date.fromisoformat(text[:10])


def day_or_none(text: str | None) -> date | None:
    """Return ``day(text)``, or None for NULL or empty text (an undated claim's column)."""
    return day(text) if text else None


def moment_or_day(text: str | None) -> datetime | date | None:
    """Return a stored time that is a moment or only a day: ``day`` for ``YYYY-MM-DD``
    text, ``moment`` for a date-time; None for NULL or empty text."""
    if not text:
        return None
    return day(text) if len(text) == 10 else moment(text)


def dumps(value: Any) -> str:
    """Return ``value`` as the JSON text a column stores: keys sorted, non-ASCII kept."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def in_chunks(values: Sequence[T], size: int = CHUNK, mark: str = "?", sep: str = ","
              ) -> Iterator[tuple[str, Sequence[T]]]:
    """Yield (placeholders, chunk) for each run of ``size`` values: ``mark`` once per value of
    the chunk, joined by ``sep`` (an ``IN (...)`` list by default, or an OR of terms)."""
    for i in range(0, len(values), size):
        chunk = values[i:i + size]
        yield sep.join([mark] * len(chunk)), chunk


@lru_cache(maxsize=64)
def _insert_sql(table: str, columns: tuple[str, ...], verb: str, conflict: tuple[str, ...]
                ) -> str:
    cols = ", ".join(f"[{c}]" for c in columns)
    sql = f"{verb} INTO [{table}] ({cols}) VALUES ({', '.join('?' * len(columns))})"
    if conflict:
        updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in columns if c not in conflict)
        sql += f" ON CONFLICT ({', '.join(f'[{c}]' for c in conflict)}) DO UPDATE SET {updates}"
    return sql


def write(db: Database, table: str, rows: Sequence[dict[str, Any]], *, verb: str = "INSERT",
          conflict: tuple[str, ...] = ()) -> None:
    """Write rows that share their keys with one prepared statement: ``verb`` is INSERT,
    INSERT OR IGNORE or INSERT OR REPLACE; ``conflict`` names the key columns of an upsert.

    The writes of a source's run go through here rather than sqlite-utils' insert_all and
    upsert, which read the table's schema again on every call: on a crawl of many small
    sources that bookkeeping was most of the single writer thread's time."""
    if not rows:
        return
    columns = tuple(rows[0])
    db.conn.executemany(_insert_sql(table, columns, verb, conflict),
                        [tuple(r[c] for c in columns) for r in rows])
