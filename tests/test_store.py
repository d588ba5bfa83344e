from __future__ import annotations

import ast
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor import store
from monitor.errors import StorageError
from monitor.store.event_merges import live_event, merged_into
from monitor.store.sql import in_chunks
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


def test_store_submodules_form_no_cycle():
    """No store submodule imports the package, and their imports form no cycle."""
    package = Path(store.__file__).parent
    submodules = {p.stem for p in package.glob("*.py")} - {"__init__"}
    deps: dict[str, set[str]] = {}
    for name in submodules:
        found: set[str] = set()
        for node in ast.walk(ast.parse((package / f"{name}.py").read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                found |= {a.name for a in node.names} if node.module is None else {
                    node.module.split(".")[0]}
            elif isinstance(node, ast.ImportFrom) and node.module in ("monitor", "monitor.store"):
                found.add("__init__")
        assert not found - submodules, f"{name} imports the store package: {found}"
        deps[name] = found

    def reach(name: str, seen: frozenset[str]) -> None:
        for other in deps[name]:
            assert other not in seen, f"import cycle: {' -> '.join([*seen, other])}"
            reach(other, seen | {other})

    for name in submodules:
        reach(name, frozenset({name}))


@pytest.mark.parametrize(("count", "size", "expected"), [
    pytest.param(0, 500, [], id="nothing"),
    pytest.param(3, 500, [3], id="one-chunk"),
    pytest.param(500, 500, [500], id="exactly-full"),
    pytest.param(1201, 500, [500, 500, 201], id="three-chunks"),
])
def test_in_chunks_sizes(count, size, expected):
    chunks = list(in_chunks([str(i) for i in range(count)], size))
    assert [len(c) for _, c in chunks] == expected
    assert all(marks == ",".join("?" * len(c)) for marks, c in chunks)


def test_in_chunks_or_terms():
    pairs = [("docket", "A"), ("docket", "B"), ("rin", "C")]
    chunks = list(in_chunks(pairs, 2, "(kind = ? AND value = ?)", " OR "))
    assert chunks == [("(kind = ? AND value = ?) OR (kind = ? AND value = ?)", pairs[:2]),
                      ("(kind = ? AND value = ?)", pairs[2:])]


def test_merges_are_followed_to_the_survivor():
    resolve = {"a": "b", "b": "c", "x": "c", "y": "z"}
    assert [live_event(e, resolve) for e in "abcxyz"] == ["c", "c", "c", "c", "z", "z"]
    assert merged_into({"c"}, resolve) == {"a", "b", "x"}
    assert merged_into({"z", "q"}, resolve) == {"y"}


def test_event_membership_across_chunks(memdb):
    """Events past one IN (...) chunk, and merged ones, are all found and follow merges."""
    from monitor.types import Assignment, Plan

    events = [f"e{i:04d}" for i in range(1200)]
    plan = Plan(new_events=tuple((e, f"s:{i}") for i, e in enumerate(events)),
                assignments=tuple(Assignment(item_id=f"s:{i}", event_id=e, role="member",
                                             via="test") for i, e in enumerate(events)),
                merges=(("e0001", "e0000", "test"), ("e0700", "e0001", "test")))
    with store.transaction(memdb):
        store.save_plan(memdb, plan, "d", datetime(2026, 1, 1, tzinfo=UTC))
    got = store.event_membership(memdb, "d", events)
    assert sorted(got["e0000"]) == [("s:0", "member"), ("s:1", "member"), ("s:700", "member")]
    assert "e0700" not in got and "e0001" not in got
    assert sum(len(v) for v in got.values()) == 1200
