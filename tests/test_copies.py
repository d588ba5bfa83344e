"""One document, one judgement, and the earliest public time, on the bundled sample: the
public-inspection copies of the AI Diffusion rule (FR Doc 2025-00636) and of the NIST
request for information (FR Doc 2023-28232) sit in their documents' events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor import store
from monitor.cli import cli
from monitor.pipeline.copies import shared
from monitor.store.copies import copy_history
from monitor.types import Item, Signal, TopicHit


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def events_of(db, number: str) -> dict[str, str | None]:
    return {r[0]: r[1] for r in db.execute(
        "SELECT items.id, event_items.event_id FROM items LEFT JOIN event_items ON "
        "event_items.item_id = items.id WHERE items.guid = ?", [number])}


def test_ai_diffusion_public_inspection_copy_is_earliest_and_in_the_rules_event(demo):
    db = store.open_db(demo / "monitor.db")
    pi = store.get_item(db, "fr-public-inspection:2025-00636")
    assert pi is not None and pi.earliest == "2025-01-10T13:45:00+00:00"  # 08:45 ET
    assert pi.published == pi.earliest  # public from its filing
    assert pi.extra["publication_date"] == "2025-01-15"
    events = events_of(db, "2025-00636")
    assert len(events) >= 2 and len(set(events.values())) == 1 and None not in events.values()


def test_nist_rfi_public_inspection_copy_joins_its_documents_event(demo):
    db = store.open_db(demo / "monitor.db")
    events = events_of(db, "2023-28232")
    assert events["fr-public-inspection:2023-28232"] is not None
    assert len(set(events.values())) == 1
    signal = store.get_signal(db, "fr-public-inspection:2023-28232", "open-weights")
    assert signal is not None and signal.relevant
    assert signal.authority_reason.startswith("as its copy fr-ai-notices:2023-28232")
    history = copy_history(db, "fr-public-inspection:2023-28232")
    assert len(history) == 1 and history[0]["copy_of"] == "fr-ai-notices:2023-28232"
    assert json.loads(history[0]["before"])["relevant"] is False
    assert json.loads(history[0]["after"])["relevant"] is True


def test_a_second_pass_changes_nothing(demo):
    from monitor.pipeline.copies import share_judgements
    db = store.open_db(demo / "monitor.db")
    assert share_judgements(db, "open-weights") == 0


def item(iid: str, title: str, summary: str = "", **extra) -> Item:
    return Item(id=iid, source_id=iid.split(":")[0], guid="2025-00636", url="u", title=title,
                summary=summary, published=None, kind="federal_register",
                extra={"document_number": "2025-00636", **extra})


def signal(iid: str, relevance: float, authority: str, *topics: str) -> Signal:
    return Signal(item_id=iid, debate="d", version="v", relevance=relevance,
                  relevant=relevance >= 0.5, topics=tuple(TopicHit(t, ()) for t in topics),
                  stance="neutral", stance_cues=(), authority=authority,
                  authority_reason="FR type", entities=())


def test_richest_copy_decides_and_a_later_richer_copy_updates_the_earlier():
    pi = (item("pi:1", "Framework", filed_at="2025-01-10"), signal("pi:1", 0.2, "final"))
    short = (item("a:1", "Framework", "A short abstract."), signal("a:1", 0.6, "proposed", "x"))
    changes = shared([pi, short])
    assert [(b.item_id, a.relevance, a.authority, a.topics) for b, a, _ in changes] == [
        ("pi:1", 0.6, "proposed", (TopicHit("x", ()),))]
    rich = (item("b:1", "Framework", "A much longer abstract naming model weights."),
            signal("b:1", 0.9, "proposed", "x", "y"))
    updated = {b.item_id: (a.relevance, src) for b, a, src in shared([pi, short, rich])}
    assert updated == {"pi:1": (0.9, "b:1"), "a:1": (0.9, "b:1")}


def test_copies_that_agree_change_nothing():
    a = (item("a:1", "T", "s"), signal("a:1", 0.7, "final", "x"))
    b = (item("b:1", "T", "longer s"), signal("b:1", 0.7, "final", "x"))
    assert shared([a, b]) == []


def cli_json(demo: Path, *args: str):
    result = CliRunner().invoke(cli, ["--db", str(demo / "monitor.db"), "--sources",
                                      str(demo / "sources.yaml"), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_signals_mark_the_public_inspection_copy_with_its_publication_date(demo):
    rows = json.loads(cli_json(demo, "signals", "--since", "all", "--format", "json",
                               "--limit", "1000"))
    pi = next(r for r in rows if r["id"] == "fr-public-inspection:2025-00636")
    assert (pi["earliest"], pi["publishes"]) == ("2025-01-10T13:45:00+00:00", "2025-01-15")
    published = next(r for r in rows if r["id"] == "fr-bis:2025-00636")
    assert published["publishes"] is None
    table = cli_json(demo, "signals", "--since", "all", "--source", "fr-public-inspection")
    assert "publishes on 2025-01-15" in table.replace("\n", " ").replace("  ", " ") or \
        "publishes" in table


def test_event_says_when_it_was_first_public(demo):
    db = store.open_db(demo / "monitor.db")
    event_id = events_of(db, "2025-00636")["fr-public-inspection:2025-00636"]
    detail = json.loads(cli_json(demo, "event", str(event_id), "--json"))
    assert detail["first_public"] == "2025-01-10T13:45:00+00:00"
    assert "first public: 2025-01-10 13:45 UTC" in cli_json(demo, "event", str(event_id))
