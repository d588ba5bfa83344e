"""The peer suite's 745 hostile documents, through the pipeline and into every HTML output:
no script, no event handler, no javascript: or data: URL may survive."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup

from monitor import pipeline, report, store
from monitor.config import Config, Settings, load_debate
from monitor.outputs import render
from monitor.parse import parse
from monitor.types import EventRow, EventScore, Fetched, Source, SourceRun

SANITIZE = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "feedparser" / \
    "wellformed" / "sanitize"
if not SANITIZE.is_dir():
    pytest.skip(f"the peer corpus is not at {SANITIZE} (it exists on development and CI "
                "machines only: ../shared/corpora/feedparser from the project root)",
                allow_module_level=True)

pytestmark = pytest.mark.corpus
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
BAD_URL = re.compile(r"^\s*(javascript|data|vbscript)\s*:", re.IGNORECASE)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Config, object]:
    """Every sanitize/ document parsed and stored as its own source, every item relevant."""
    folder = tmp_path_factory.mktemp("safety")
    debate_file = folder / "everything.yaml"
    debate_file.write_text("id: everything\ntitle: <script>alert('title')</script>\n"
                           "topics:\n  all:\n    weight: 0.9\n    groups:\n      - ['re:.']\n")
    files = sorted(SANITIZE.glob("*.xml"))
    assert len(files) >= 740
    sources = tuple(Source(id=f"s{i}", kind="feed", url=f"http://127.0.0.1/{f.name}",
                           interval=3600) for i, f in enumerate(files))
    config = Config(path="hostile.yaml", settings=Settings(), sources=sources,
                    debate=load_debate(str(debate_file)))
    db = store.open_db(folder / "m.db")
    classify = pipeline._classifier(config)
    for source, path in zip(sources, files, strict=True):
        fetched = Fetched(source_id=source.id, url=source.url, status=200,
                          headers={"content-type": "application/xml"},
                          body=path.read_bytes(), elapsed_ms=1)
        run = SourceRun(source_id=source.id, status="ok", started=NOW)
        try:
            items = parse(source, fetched).items
        except Exception:  # a recorded parse error: nothing to show
            continue
        store.save_source_run(db, run, None, items, signals_for=classify)
    pipeline.build_timeline(db, config, now=NOW)
    return config, db


FORBIDDEN = ["script", "iframe", "object", "embed", "applet", "form", "base", "link", "img",
             "frame", "frameset", "input", "button", "textarea", "select", "svg"]


def assert_clean(markup: str, what: str, allow_svg: bool = False) -> None:
    soup = BeautifulSoup(markup, "html.parser")
    forbidden = [t for t in FORBIDDEN if not (allow_svg and t == "svg")]
    found = [t.name for t in soup.find_all(forbidden)]
    assert not found, f"{what}: {found}"
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), f"{what}: {tag.name} has {name}"
            for v in value if isinstance(value, list) else [value]:
                assert not BAD_URL.match(str(v)), f"{what}: {tag.name} {name}={v!r}"
        if tag.name == "meta":
            assert set(tag.attrs) <= {"charset", "name", "content"}, what
    assert "<script" not in markup.lower(), what


def one_item_report(rep, s):
    """The report narrowed to one item, shown in every section that lists items."""
    day = datetime(2026, 1, 1, tzinfo=UTC)
    event = EventRow(EventScore(event_id="ev-x", date=day.date(), title=s.title, kind="news",
                                authority=s.authority, topics=s.topics, stance_mix=(),
                                noise=50.0, items=1, outlets=1, echo=0, attention=1.0,
                                peak_attention=1.0, velocity=0.0, raw=1.0, percentile=0.5,
                                reference_events=0, first_seen=day, last_seen=day,
                                computed_at=day),
                     links=((s.title, s.url, s.source),))
    return replace(rep, official=(s,), events=(event,), new_events=(event,), signals=(s,),
                   sides=(("restrict", 1, (s,)), ("open", 1, (s,)), ("neutral", 1, (s,))),
                   thresholds=(("1e26 operations", 1, s.title),))


def test_hostile_documents_reach_the_outputs(hostile):
    config, db = hostile
    signals = store.query_signals(db, "everything")
    assert len(signals) >= 200  # 745 documents; most hold their attack outside an entry
    assert {s.source for s in signals} >= {"s0"} or len({s.source for s in signals}) > 150
    rep = report.build(db, config, None, NOW)
    assert rep.events and len(rep.signals) == len(signals)


@pytest.mark.parametrize("output", ["digest", "page"])
def test_no_active_content_survives(hostile, output):
    config, db = hostile
    rep = report.build(db, config, None, NOW)
    draw = render.digest_html if output == "digest" else render.page_html
    assert_clean(draw(rep), output, allow_svg=output == "page")
    for s in rep.signals:  # every stored item, alone, through every section
        assert_clean(draw(one_item_report(rep, s)), f"{output} of {s.id}",
                     allow_svg=output == "page")


def test_feed_is_clean_and_well_formed(hostile):
    config, db = hostile
    rep = report.build(db, config, None, NOW)
    atom = render.atom(rep, "tag:test,2026:everything")
    parsed = feedparser.parse(atom.encode())
    loose = {s.document for s in rep.signals if not s.event}  # one entry per event or document
    assert parsed.bozo == 0 and len(parsed.entries) == len(rep.events) + len(loose) > 0
    for entry in parsed.entries:
        for content in entry.get("content", []) + [{"value": entry.get("summary", "")}]:
            assert_clean(content.get("value") or "", f"feed entry {entry.id}")
        assert not BAD_URL.match(entry.get("link", ""))
