"""Opening the database (WAL, migrated), transactions, and its health and schema version."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ..errors import ConfigError, StorageError
from .migrations import MIGRATIONS


def open_db(path: str | Path, *, migrate: bool = True, read_only: bool = False) -> Database:
    """Return the database at ``path`` (created if absent), in WAL mode, migrated.

    ``read_only`` opens an existing database without writing anything beside it (for a
    reader in a folder it cannot write): no WAL switch, no migration, and a database whose
    schema is behind is refused.
    """
    if read_only:
        return _open_read_only(Path(path))
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        db = Database(sqlite3.connect(str(path), timeout=30, check_same_thread=False))
        if str(path) != ":memory:":
            db.enable_wal()
        db.execute("PRAGMA busy_timeout = 30000")
        db.execute("PRAGMA foreign_keys = ON")
        newer = unknown_migrations(db)
        if newer:
            db.close()
            raise ConfigError(f"{path}: made by a newer version of monitor (schema steps "
                              f"{', '.join(newer)} are unknown to this one); upgrade monitor "
                              "or use another --db")
        if migrate:
            MIGRATIONS.apply(db)
    except sqlite3.DatabaseError as e:
        raise StorageError(f"{path}: cannot open the database: {e}") from e
    return db


def _open_read_only(path: Path) -> Database:
    # Without a -wal file nothing is pending in one, and immutable=1 lets SQLite read without
    # creating the -shm file that a WAL database otherwise needs beside it.
    wal = Path(f"{path}-wal")
    flags = "mode=ro" + ("" if wal.exists() else "&immutable=1")
    try:
        db = Database(sqlite3.connect(f"{path.absolute().as_uri()}?{flags}", uri=True,
                                      timeout=30, check_same_thread=False))
        newer, behind = unknown_migrations(db), [m.name for m in MIGRATIONS.pending(db)]
    except sqlite3.DatabaseError as e:
        raise StorageError(f"{path}: cannot open the database to read: {e}") from e
    if newer or behind:
        db.close()
        raise ConfigError(f"{path}: its schema is " + (
            "from a newer version of monitor; upgrade monitor" if newer else
            "behind this version and its folder is read-only: run `monitor init` where "
            "it can be written"))
    return db


def unknown_migrations(db: Database) -> list[str]:
    """Return the schema steps applied to ``db`` that this version does not know (a
    database written by a newer version)."""
    known = {m.name for m in MIGRATIONS._migrations}  # sqlite-utils keeps no public list
    return [m.name for m in MIGRATIONS.applied(db) if m.name not in known]


def memory_db() -> Database:
    """Return a migrated in-memory database (for tests)."""
    db = Database(memory=True)
    MIGRATIONS.apply(db)
    return db


def transaction(db: Database) -> Any:
    """Return a context manager wrapping writes in one transaction."""
    return db.atomic()


def schema_version(db: Database) -> int:
    """Return how many of this project's migrations the database has applied."""
    return len(MIGRATIONS.applied(db))


def pending_migrations(db: Database) -> list[str]:
    """Return the names of migrations not yet applied."""
    return [m.name for m in MIGRATIONS.pending(db)]


def integrity_check(db: Database) -> str:
    """Return the result of PRAGMA integrity_check ('ok' when healthy)."""
    return "; ".join(r[0] for r in db.execute("PRAGMA integrity_check").fetchall())
