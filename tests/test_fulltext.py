"""Federal Register documents with an empty abstract: classified on what else the API gives,
and, for candidates, on their text, which the pipeline fetches (issue 12 point 6).

The documents are the real FR API records of EO 14179 (2025-02172) and EO 14318 (2025-14212)
as in data/sample/http/federalregister/eo.json; the text is the start of EO 14179's real
Federal Register text (GPO, public domain; tests/fixtures/README.md)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from monitor import pipeline, store
from monitor.classify import classify, evidence, wants_full_text
from monitor.classify.documents import secondary_text
from monitor.config import Config, load_debate
from monitor.fetch import make_client
from monitor.pipeline.workers import WorkerSignals
from monitor.types import Item, Source

DEBATE = load_debate("open-weights")
FIXTURES = Path(__file__).parent / "fixtures" / "fulltext"
SAMPLE = Path(__file__).parent.parent / "data" / "sample" / "http" / "federalregister"
FR = "https://fr.test/api/v1/documents.json"
TEXT = "https://fr.test/documents/full_text/text/2025/01/31/2025-02172.txt"
OTHER_TEXT = "https://fr.test/documents/full_text/text/2025/07/28/2025-14212.txt"


def record(number: str) -> dict:
    docs = json.loads((SAMPLE / "eo.json").read_text())["results"]
    return next(d for d in docs if d["document_number"] == number)


def documents() -> dict:
    eo_14179 = {**record("2025-02172"), "raw_text_url": TEXT}  # empty abstract, AI title
    eo_14318 = {**record("2025-14212"), "raw_text_url": OTHER_TEXT}  # no AI in its title
    return {"count": 2, "results": [eo_14179, eo_14318]}


def fr_item(summary: str = "", **extra) -> Item:
    return Item(id="fr:1", source_id="fr", guid="1", url="", title="A notice",
                summary=summary, published=None, kind="federal_register",
                extra={"document_number": "2024-00001", **extra})


def test_an_empty_abstract_reads_action_dates_and_excerpts():
    item = fr_item(action="Request for comment.", excerpts="dual-use foundation models "
                   "with widely available model weights")
    assert "widely available model weights" in secondary_text(item)
    words = evidence(item, DEBATE, every_word=True)[2]
    assert {"request", "weights"} <= words
    # with an abstract, or outside the Federal Register, the extra fields are not read
    assert secondary_text(fr_item("An abstract.", excerpts="model weights")) == ""
    assert secondary_text(replace(item, kind="feed")) == ""


def test_only_candidates_want_their_text():
    eo_14179 = Item(id="fr:2025-02172", source_id="fr", guid="2025-02172", url="",
                    title=record("2025-02172")["title"], summary="", published=None,
                    kind="federal_register",
                    extra={"document_number": "2025-02172", "raw_text_url": TEXT})
    assert wants_full_text(eo_14179, DEBATE) == TEXT  # an instrument of the debate
    data_centers = replace(eo_14179, title=record("2025-14212")["title"])
    assert wants_full_text(data_centers, DEBATE) == ""  # no evidence: not a candidate
    assert wants_full_text(replace(eo_14179, summary="An abstract."), DEBATE) == ""
    fetched = replace(eo_14179, extra={**eo_14179.extra, "full_text": "text"})
    assert wants_full_text(fetched, DEBATE) == ""  # already read
    unsafe = replace(eo_14179, extra={**eo_14179.extra, "raw_text_url": "file:///etc/x"})
    assert wants_full_text(unsafe, DEBATE) == ""


def source() -> Source:
    return Source(id="fr-eo", kind="federal_register", url=FR, interval=3600,
                  query=(("order", "newest"),))


def run(db, settings, handler, **kw) -> list:
    config = Config(path="test.yaml", settings=replace(settings, parse_processes=0),
                    sources=(source(),), debate=DEBATE)
    with make_client(settings, transport=httpx.MockTransport(handler)) as client:
        return pipeline.run(db, config, client, force=True, sleep=lambda s: None, **kw)


def test_the_pipeline_fetches_a_candidates_text_once(memdb, settings):
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        url = str(request.url).split("?")[0]
        asked.append(url)
        if url == TEXT:
            return httpx.Response(200, text=(FIXTURES / "raw-text-2025-02172.txt").read_text(),
                                  headers={"content-type": "text/plain"})
        return httpx.Response(200, json=documents())

    runs = run(memdb, settings, handler)
    assert [r.status for r in runs] == ["ok"]
    assert asked.count(TEXT) == 1 and OTHER_TEXT not in asked  # candidates only
    item = store.get_item(memdb, "fr-eo:2025-02172")
    assert item is not None and "Section 1. Purpose." in item.extra["full_text"]
    assert "entrepreneurial" in evidence(item, DEBATE, every_word=True)[2]
    signal = store.get_signal(memdb, item.id, DEBATE.id)
    assert signal is not None and signal == classify(item, DEBATE, "agency")
    other = store.get_item(memdb, "fr-eo:2025-14212")
    assert other is not None and "full_text" not in other.extra
    run(memdb, settings, handler)  # stored already: never fetched again
    assert asked.count(TEXT) == 1


@pytest.mark.parametrize("answer", [
    httpx.Response(500, text="Internal Server Error"),
    httpx.Response(200, text=""),
    httpx.Response(200, text="x" * 2000),  # over the (lowered) cap
])
def test_a_text_that_fails_never_stops_the_run(memdb, settings, answer, monkeypatch):
    monkeypatch.setattr(pipeline.fulltext, "MAX_BYTES", 1000)

    def handler(request: httpx.Request) -> httpx.Response:
        if str(request.url).split("?")[0] == TEXT:
            return answer
        return httpx.Response(200, json=documents())

    runs = run(memdb, replace(settings, retries=1), handler)
    assert [r.status for r in runs] == ["ok"]
    assert any("text of 2025-02172 not read" in n for n in runs[0].notes), runs[0].notes
    item = store.get_item(memdb, "fr-eo:2025-02172")
    assert item is not None and "full_text" not in item.extra
    assert store.get_signal(memdb, item.id, DEBATE.id) is not None


def test_worker_signals_of_completed_items_are_dropped():
    held = WorkerSignals()
    item = fr_item()
    held.add("fr", [item], [classify(item, DEBATE)])
    held.drop("fr", [item.id])
    computed: list[str] = []

    def fresh(items):
        computed.extend(i.id for i in items)
        return [classify(i, DEBATE) for i in items]

    held.signals_for(fresh)([item])
    assert computed == [item.id]


def test_backfill_fetches_a_candidates_text_once(memdb, settings):
    from datetime import date
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        url = str(request.url).split("?")[0]
        asked.append(url)
        if url == TEXT:
            return httpx.Response(200, text=(FIXTURES / "raw-text-2025-02172.txt").read_text())
        return httpx.Response(200, json=documents())  # every month window: the same two

    config = Config(path="test.yaml", settings=replace(settings, parse_processes=0),
                    sources=(source(),), debate=DEBATE)
    with make_client(settings, transport=httpx.MockTransport(handler)) as client:
        runs = pipeline.backfill(memdb, config, client, date(2025, 1, 1),
                                 until=date(2025, 3, 31), sleep=lambda s: None)
    assert len(runs) == 3 and all(r.status == "ok" for r in runs)
    assert asked.count(TEXT) == 1  # the later windows find it stored
    item = store.get_item(memdb, "fr-eo:2025-02172")
    assert item is not None and "Section 1. Purpose." in item.extra["full_text"]
