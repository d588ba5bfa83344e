"""The timeline through the pipeline and the CLI: catch-up, late items, append-only history."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor import pipeline, store
from monitor.cli import cli
from monitor.config import load_config
from monitor.types import Item, SourceRun

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - id: fr\n    kind: federal_register\n    url: http://x.test/\n"
                    "  - id: news\n    kind: feed\n    url: http://y.test/\n")
    return load_config(path)


def item(i: str, title: str, day: str, source: str = "news", **extra) -> Item:
    return Item(id=f"{source}:{i}", source_id=source, guid=i,
                url=f"https://{source}.example/{i}", title=title, summary="", published=day,
                kind="federal_register" if source == "fr" else "feed", extra=extra)


def store_items(db, config, items) -> None:
    """Store items and their signals the way a run does, without clustering."""
    run = SourceRun(source_id=items[0].source_id, status="ok",
                    started=datetime(2026, 11, 27, tzinfo=UTC))
    store.save_source_run(db, run, None, items, signals_for=pipeline._classifier(config))


NPRM = item("2024-20529", "Establishment of Reporting Requirements for the Development of "
            "Advanced Artificial Intelligence Models and Computing Clusters",
            "2024-09-11T00:00:00+00:00", source="fr", document_number="2024-20529",
            type="Proposed Rule", docket_ids=["BIS-2024-0047"], publication_date="2024-09-11")
NEWS = item("1", "Commerce proposes reporting requirements for frontier AI models and "
            "computing clusters", "2024-09-12T09:00:00+00:00")
LATE = item("2", "Comments on BIS-2024-0047 reporting rule for AI models pour in",
            "2024-10-05T09:00:00+00:00")


def test_a_run_that_died_before_clustering_is_caught_up(memdb, config):
    store_items(memdb, config, [NPRM])  # items and signals stored, then the process died
    assert len(store.pending_members(memdb, "open-weights")) == 1
    update = pipeline.build_timeline(memdb, config)
    assert update.placed == 1 and update.new_events == 1
    assert store.pending_members(memdb, "open-weights") == []
    assert pipeline.build_timeline(memdb, config).placed == 0  # nothing twice


def test_late_items_attach_and_history_is_appended(memdb, config):
    now = datetime(2024, 9, 13, tzinfo=UTC)
    store_items(memdb, config, [NPRM])
    pipeline.build_timeline(memdb, config, now=now)
    (event,) = store.timeline(memdb, "open-weights")
    store_items(memdb, config, [NEWS])
    pipeline.build_timeline(memdb, config, now=now + timedelta(hours=1))
    store_items(memdb, config, [LATE])
    pipeline.build_timeline(memdb, config, now=now + timedelta(days=23))
    (again,) = store.timeline(memdb, "open-weights")
    assert again.event_id == event.event_id and again.items == 3
    found = store.get_event(memdb, "open-weights", event.event_id)
    history = found.history
    assert [h.items for h in history] == [1, 2, 3]
    assert history[0].noise != history[-1].noise or history[0].raw != history[-1].raw
    vias = {m[0].id: m[2][1] for m in found.members}
    assert "BIS-2024-0047" in vias[LATE.id]
    # the rows are only ever added
    rows = memdb.execute("SELECT count(*) FROM event_scores").fetchone()[0]
    pipeline.build_timeline(memdb, config, now=now + timedelta(days=23))
    assert memdb.execute("SELECT count(*) FROM event_scores").fetchone()[0] == rows


def test_merges_are_recorded_and_followed(memdb, config):
    """Two stories citing docket BIS-2024-0047 six weeks apart are two events, until the
    rule itself, published between them, joins both: the merge is recorded, not applied."""
    early = item("a", "Industry groups brace for BIS-2024-0047 reporting rule on AI models",
                 "2024-09-01T09:00:00+00:00")
    late = item("b", "Comment period on BIS-2024-0047 AI reporting rule draws criticism",
                "2024-10-15T09:00:00+00:00")
    store_items(memdb, config, [early])
    pipeline.build_timeline(memdb, config)
    store_items(memdb, config, [late])
    pipeline.build_timeline(memdb, config)
    before = {r.event_id for r in store.timeline(memdb, "open-weights")}
    assert len(before) == 2
    rule = item("2024-20529", "Establishment of Reporting Requirements for the Development of "
                "Advanced Artificial Intelligence Models and Computing Clusters",
                "2024-09-20T00:00:00+00:00", source="fr", document_number="2024-20529",
                type="Proposed Rule", docket_ids=["BIS-2024-0047"],
                publication_date="2024-09-20")
    store_items(memdb, config, [rule])
    update = pipeline.build_timeline(memdb, config)
    assert update.merges == 1 and update.new_events == 0
    merged = store.merges(memdb, "open-weights")
    (gone, kept), = merged.items()
    assert {gone, kept} == before
    found = store.get_event(memdb, "open-weights", gone)
    assert found.id == kept and found.requested == gone and gone in found.merged_from
    assert {m[0].id for m in found.members} == {early.id, late.id, rule.id}
    assert memdb.execute("SELECT count(*) FROM events").fetchone()[0] == 2  # none deleted
    assert [r.event_id for r in store.timeline(memdb, "open-weights")] == [kept]
    # the merged event keeps its own history rows
    assert memdb.execute("SELECT count(*) FROM event_scores WHERE event_id = ?",
                         [gone]).fetchone()[0] >= 1


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def invoke(demo: Path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(demo / "monitor.db"), "--sources",
                                    str(demo / "sources.yaml"), *args])


def test_demo_timeline_has_the_debates_events(demo):
    result = invoke(demo, "timeline", "--since", "all", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    events = data["events"]
    by_title = {e["title"]: e for e in events}

    def find(fragment: str) -> dict:
        return next(e for t, e in by_title.items() if t.startswith(fragment))

    eo = find("Safe, Secure, and Trustworthy")
    assert eo["date"] == "2023-10-30" and eo["authority"] == "final" \
        and eo["kind"] == "executive_order" and eo["components"]["items"] >= 2
    rfc = find("Dual Use Foundation Artificial Intelligence Models With Widely")
    assert rfc["kind"] == "notice"
    assert rfc["date"] == "2024-02-26" and rfc["components"]["items"] >= 3
    report = find("NTIA Supports Open Models")
    assert report["date"] == "2024-07-30" and report["components"]["outlets"] >= 3
    nprm = find("Establishment of Reporting Requirements")
    assert nprm["authority"] == "proposed" and nprm["components"]["items"] >= 4
    ifr = find("Framework for Artificial Intelligence Diffusion")
    assert ifr["kind"] == "interim_final_rule" and ifr["components"]["items"] >= 3
    rescission = find("Department of Commerce Announces Rescission")
    assert rescission["id"] != ifr["id"] and rescission["components"]["items"] >= 2
    assert any(e["kind"] == "news" and e["components"]["items"] >= 2 for e in events)
    assert len({e["id"] for e in events}) == len(events)
    for e in events:
        assert 0 <= e["noise"] <= 100 and set(e["components"]) >= {
            "items", "outlets", "echo", "attention", "velocity", "raw", "percentile"}
    assert data["noise_level"]["level"] in {"quiet", "normal", "elevated", "loud", "surge"}
    # the RFC's event shows its docket and deadline
    detail = json.loads(invoke(demo, "event", rfc["id"], "--json").output)
    kinds = {(e["kind"], e["value"]) for e in detail["entities"]}
    assert ("docket", "NTIA-2023-0009") in kinds and ("comment_deadline", "2024-03-27") in kinds
    assert detail["history"] and len(detail["items"]) == rfc["components"]["items"] + \
        rfc["components"]["echo"]


def test_timeline_filters_and_text(demo):
    all_events = json.loads(invoke(demo, "timeline", "--since", "all", "--json").output)
    proposed = json.loads(invoke(demo, "timeline", "--since", "all", "--authority", "proposed",
                                 "--json").output)["events"]
    assert proposed and all(e["authority"] == "proposed" for e in proposed)
    loud = json.loads(invoke(demo, "timeline", "--since", "all", "--min-noise", "60",
                             "--json").output)["events"]
    assert all(e["noise"] >= 60 for e in loud) and len(loud) < len(all_events["events"])
    topic = json.loads(invoke(demo, "timeline", "--since", "all", "--topic",
                              "weight_export_controls", "--json").output)["events"]
    assert topic and all("weight_export_controls" in e["topics"] for e in topic)
    recent = json.loads(invoke(demo, "timeline", "--since", "2025-01-01", "--json").output)
    assert all(e["date"] >= "2025-01-01" for e in recent["events"])
    text = invoke(demo, "timeline", "--since", "all")
    assert text.exit_code == 0 and "Noise Level" in text.output and "noise" in text.output
    bad = invoke(demo, "timeline", "--since", "soon")
    assert bad.exit_code == 2 and "'soon' is not a period" in bad.output
    assert invoke(demo, "event", "ev-nope").exit_code == 2


def test_noise_command(demo):
    result = invoke(demo, "noise", "--days", "5", "--json")
    days = json.loads(result.output)["days"]
    assert len(days) == 5 and all(d["level"] for d in days)
    assert invoke(demo, "noise").exit_code == 0


def test_readers_see_a_consistent_database(demo):
    with sqlite3.connect(demo / "monitor.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        orphans = conn.execute("SELECT count(*) FROM event_items WHERE event_id NOT IN "
                               "(SELECT id FROM events)").fetchone()[0]
        assert orphans == 0
