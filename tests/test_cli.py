"""The CLI end to end: demo on the bundled sample, classify, explain, eval, exit codes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "data" / "labels.csv"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def invoke(demo: Path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(demo / "monitor.db"), "--sources",
                                    str(demo / "sources.yaml"), *args])


def test_demo_collects_every_sample_source(demo):
    db = demo / "monitor.db"
    per_source = dict(rows(db, "SELECT source_id, count(*) FROM items GROUP BY source_id"))
    assert len(per_source) == 17 and all(per_source.values())
    assert per_source["fr-ntia"] == 5  # two pages followed
    assert rows(db, "SELECT count(*) FROM signals")[0][0] == sum(per_source.values())
    assert rows(db, "SELECT count(*) FROM signals WHERE relevant = 1")[0][0] > 20
    # no stored link points back at the loopback server, tracking parameters are gone
    assert rows(db, "SELECT count(*) FROM items WHERE url LIKE '%127.0.0.1%' "
                    "OR url LIKE '%utm_%'")[0][0] == 0
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


def test_sources_after_demo(demo):
    result = invoke(demo, "sources", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)["sources"]
    assert {s["status"] for s in data} == {"ok"}
    assert all(s["items"] > 0 and s["last_success"] for s in data)


def test_explain(demo):
    result = invoke(demo, "explain", "fr-ntia:2024-03763")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "relevance" in out and "threshold 0.5" in out and ": relevant" in out
    assert "topic open_weight_restrictions" in out and "widely available model weight" in out
    assert "authority official: document type 'Notice'" in out
    assert "comment_deadline  2024-03-27" in out and "docket" in out
    data = json.loads(invoke(demo, "explain", "fr-ntia:2024-03763", "--json").output)
    assert data["relevant"] is True and data["threshold"] == 0.5
    assert {"topic", "weight", "cues"} <= set(data["topics"][0])
    # the shipped weights: this notice is the rules' own find, shown as such
    assert data["bias"] is not None and "the rules' own" in data["note"]
    missing = invoke(demo, "explain", "nope:1")
    assert missing.exit_code == 2 and "no item 'nope:1'" in missing.output


def test_classify_all_is_idempotent(demo):
    db = demo / "monitor.db"
    before = rows(db, "SELECT item_id, relevance, topics, stance, authority FROM signals "
                      "ORDER BY item_id")
    result = invoke(demo, "classify", "--all")
    assert result.exit_code == 0 and "classified 124 items" in result.output
    after = rows(db, "SELECT item_id, relevance, topics, stance, authority FROM signals "
                     "ORDER BY item_id")
    assert before == after
    versions = rows(db, "SELECT DISTINCT version FROM signals")
    assert len(versions) == 1 and "open-weights" in versions[0][0]


def test_classify_refuses_a_bad_definition_and_changes_nothing(demo, tmp_path):
    db = demo / "monitor.db"
    before = rows(db, "SELECT item_id, version, classified_at FROM signals ORDER BY item_id")
    bad = tmp_path / "bad-debate.yaml"
    bad.write_text("id: broken\ntopics:\n  t:\n    groups:\n      - ['re:(unclosed']\n")
    sources = tmp_path / "sources.yaml"
    sources.write_text((demo / "sources.yaml").read_text() + f"\ndebate: {bad}\n")
    result = CliRunner().invoke(cli, ["--db", str(db), "--sources", str(sources), "classify",
                                      "--all"])
    assert result.exit_code == 2
    assert "bad regular expression" in result.output and str(bad) in result.output
    assert rows(db, "SELECT item_id, version, classified_at FROM signals "
                    "ORDER BY item_id") == before


def test_eval(demo):
    result = invoke(demo, "eval", str(LABELS))
    assert result.exit_code == 0
    assert "relevance" in result.output and "precision" in result.output
    data = json.loads(invoke(demo, "eval", str(LABELS), "--json").output)
    assert data["relevance"]["precision"] >= 0.9 and data["relevance"]["recall"] >= 0.85
    assert "open_weight_restrictions" in data["topics"]
    assert isinstance(data["relevance"]["false_negatives"], list)


@pytest.mark.parametrize(("text", "message"), [
    ("name,relevant\nx,1\n", "key 'title'"),
    ("title,relevant\nx,yes\n", "relevant must be 1 or 0"),
    ("title,relevant,source_kind\nx,1,tweet\n", "source_kind must be one of"),
    ("title,relevant\n", "no labelled rows"),
])
def test_eval_bad_labels(demo, tmp_path, text, message):
    path = tmp_path / "labels.csv"
    path.write_text(text)
    result = invoke(demo, "eval", str(path))
    assert result.exit_code == 2 and message in result.output and str(path) in result.output


def test_run_unknown_source_is_usage_error(demo):
    result = invoke(demo, "run", "no-such-source")
    assert result.exit_code == 2 and "unknown source 'no-such-source'" in result.output
