"""Items: stored once per (source, guid), read back as ``Item``s, counted and searched (FTS5)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from ..errors import StorageError
from ..types import Item
from ..types.times import iso
from .sql import dumps, fields, in_chunks, write


def _existing_ids(db: Database, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for marks, chunk in in_chunks(ids):
        found.update(r[0] for r in db.execute(
            f"SELECT id FROM items WHERE id IN ({marks})", chunk).fetchall())
    return found


def _item_row(item: Item, fetched_at: str) -> dict[str, Any]:
    row = fields(item)
    del row["_official"]  # Item.official: derived from extra, which is what is stored
    row["extra"] = dumps(item.extra)
    row["fetched_at"] = fetched_at
    row["earliest"] = min(item.earliest, fetched_at) if item.earliest else fetched_at
    return row


def save_items(db: Database, items: Iterable[Item], fetched_at: str) -> list[Item]:
    """Insert the items not stored yet and return them (call inside a transaction)."""
    unique: dict[str, Item] = {}
    for item in items:
        unique.setdefault(item.id, item)
    existing = _existing_ids(db, list(unique))
    new = [item for key, item in unique.items() if key not in existing]
    if new:
        write(db, "items", [_item_row(i, fetched_at) for i in new], verb="INSERT OR IGNORE")
    return new


def item_from_row(row: dict[str, Any]) -> Item:
    """Return the ``Item`` of a row of the items table (by column name)."""
    names = Item.__dataclass_fields__
    data = {k: v for k, v in row.items() if k in names}
    data["extra"] = json.loads(row.get("extra") or "{}")
    return Item(**data)


def get_item(db: Database, item_id: str) -> Item | None:
    """Return one stored item, or None."""
    rows = list(db.table("items").rows_where("id = ?", [item_id], limit=1))
    return item_from_row(rows[0]) if rows else None


def iter_items(db: Database, where: str | None = None, args: Sequence[Any] = (),
               batch: int = 2000) -> Iterator[Item]:
    """Yield stored items in rowid order, in batches, with bounded memory."""
    last = 0
    clause = f"AND ({where})" if where else ""
    while True:
        rows = db.execute(
            f"SELECT rowid AS _rowid, * FROM items WHERE rowid > ? {clause} "
            f"ORDER BY rowid LIMIT {int(batch)}", [last, *args]).fetchall()
        if not rows:
            return
        cols = ["_rowid", *[c.name for c in db.table("items").columns]]
        for values in rows:
            row = dict(zip(cols, values, strict=True))
            last = row.pop("_rowid")
            yield item_from_row(row)


def count_items(db: Database, source_id: str | None = None) -> int:
    """Return how many items are stored (for one source, or all)."""
    if source_id:
        return int(db.execute("SELECT count(*) FROM items WHERE source_id = ?",
                              [source_id]).fetchone()[0])
    return int(db.execute("SELECT count(*) FROM items").fetchone()[0])


def item_counts(db: Database, since: datetime | None = None) -> dict[str, int]:
    """Return stored item counts per source (fetched since ``since`` when given)."""
    sql = "SELECT source_id, count(*) FROM items"
    args: list[Any] = []
    if since:
        sql += " WHERE fetched_at >= ?"
        args.append(iso(since))
    return {r[0]: r[1] for r in db.execute(sql + " GROUP BY source_id", args).fetchall()}


def search_items(db: Database, query: str, limit: int = 20) -> list[Item]:
    """Return items whose title or summary match an FTS5 query, best first."""
    try:
        rows = db.execute(
            "SELECT items.* FROM items JOIN items_fts ON items.rowid = items_fts.rowid "
            "WHERE items_fts MATCH ? ORDER BY items_fts.rank LIMIT ?", [query, limit]
        ).fetchall()
    except sqlite3.OperationalError as e:
        raise StorageError(f"bad search query {query!r}: {e}") from e
    cols = [c.name for c in db.table("items").columns]
    return [item_from_row(dict(zip(cols, r, strict=True))) for r in rows]


def fts_phrases(text: str) -> str:
    """Return plain search words as an FTS5 query: each whitespace-separated word or
    identifier one quoted phrase (``open-weight`` -> ``"open-weight"``, matched as the
    phrase "open weight"; ``NTIA-2023-0009`` as "ntia 2023 0009"), all of them required."""
    words = [w.replace('"', '""') for w in text.split()]
    return " ".join(f'"{w}"' for w in words if w.strip('"'))
