from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from monitor import store
from monitor.errors import StorageError
from monitor.types import Item, SourceRun, SourceState


def item(n: int, title: str = "Open model weights notice", source: str = "s") -> Item:
    return Item(id=f"{source}:{n}", source_id=source, guid=str(n),
                url=f"https://example.gov/{n}", title=title, summary=f"summary {n}",
                published="2024-02-26T00:00:00+00:00", kind="feed", extra={"n": n})


def a_run(source: str = "s") -> SourceRun:
    return SourceRun(source_id=source, status="ok", started=datetime(2026, 1, 1, tzinfo=UTC),
                     items_seen=3)


def test_items_are_stored_once(memdb):
    state = SourceState(source_id="s", status="ok")
    first = store.save_source_run(memdb, a_run(), state, [item(1), item(2), item(2)])
    second = store.save_source_run(memdb, a_run(), state, [item(1), item(2), item(3)])
    assert [i.id for i in first] == ["s:1", "s:2"]
    assert [i.id for i in second] == ["s:3"]
    assert store.count_items(memdb) == 3
    log = store.get_fetch_log(memdb, "s")
    assert [r["items_new"] for r in log] == [1, 2]
    assert store.get_item(memdb, "s:1").extra == {"n": 1}


def test_fts_stays_in_sync(memdb):
    store.save_source_run(memdb, a_run(), SourceState(source_id="s"), [
        item(1, "Dual Use Foundation Artificial Intelligence Models With Widely Available "
                "Model Weights"),
        item(2, "Broadband Equity, Access, and Deployment Program")])
    assert [i.id for i in store.search_items(memdb, "weights")] == ["s:1"]
    assert [i.id for i in store.search_items(memdb, "broadband")] == ["s:2"]
    store.save_source_run(memdb, a_run(), SourceState(source_id="s"),
                          [item(3, "Export controls on model weight")])
    # porter stemming: "weights" finds "weight" too
    assert {i.id for i in store.search_items(memdb, "weights")} == {"s:1", "s:3"}
    with pytest.raises(StorageError, match="bad search query"):
        store.search_items(memdb, '"unbalanced')


def test_one_transaction_per_run(memdb, monkeypatch):
    """A failure while writing leaves nothing of that run behind."""
    original = store.save_items

    def broken(db, items, fetched_at):
        original(db, items, fetched_at)
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "save_items", broken)
    with pytest.raises(StorageError):
        store.save_source_run(memdb, a_run(), SourceState(source_id="s"), [item(1)])
    assert store.count_items(memdb) == 0
    assert store.get_states(memdb) == {}
    assert store.get_fetch_log(memdb) == []


def test_state_round_trip(memdb):
    state = SourceState(source_id="s", etag='"abc"', last_modified="Mon, 26 Feb 2024", status="ok",
                        error_count=0, last_http_status=200)
    store.save_source_run(memdb, a_run(), state)
    assert store.get_states(memdb)["s"] == state


def test_iter_items_batches(memdb):
    store.save_source_run(memdb, a_run(), None, [item(i) for i in range(25)])
    assert [i.id for i in store.iter_items(memdb, batch=7)] == [f"s:{i}" for i in range(25)]


def test_open_db_file_is_wal_and_migrated(tmp_path):
    db = store.open_db(tmp_path / "sub" / "m.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.schema_version(db) == store.SCHEMA_VERSION
    assert store.pending_migrations(db) == []
    assert store.integrity_check(db) == "ok"
    # Opening again applies nothing new and keeps data.
    store.save_source_run(db, a_run(), None, [item(1)])
    again = store.open_db(tmp_path / "sub" / "m.db")
    assert store.count_items(again) == 1


def test_open_db_refuses_a_non_database(tmp_path):
    bad = tmp_path / "not.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match="cannot open"):
        store.open_db(bad)
