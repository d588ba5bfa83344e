"""The pipeline over httpx.MockTransport: pagination, skipping, backoff, backfill windows."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from monitor import pipeline, store
from monitor.config import Config
from monitor.fetch import make_client
from monitor.types import Source

FR = "https://fr.test/api/v1/documents.json"


def fr_doc(n: str, title: str = "A notice", day: str = "2024-02-26") -> dict:
    return {"document_number": n, "title": title, "type": "Notice", "publication_date": day,
            "agencies": [{"raw_name": "NATIONAL TELECOMMUNICATIONS AND INFORMATION "
                          "ADMINISTRATION"}]}


def config(settings, *sources: Source) -> Config:
    return Config(path="test.yaml", settings=settings, sources=tuple(sources))


def fr_source(sid: str = "fr", **kw) -> Source:
    return Source(id=sid, kind="federal_register", url=FR, interval=3600,
                  query=(("order", "newest"), ("per_page", "2")), **kw)


def client_for(handler, settings) -> httpx.Client:
    return make_client(settings, transport=httpx.MockTransport(handler))


def test_follows_pages_until_no_next(memdb, settings):
    pages = {
        "1": {"count": 5, "next_page_url": FR + "?page=2", "results": [fr_doc("a"), fr_doc("b")]},
        "2": {"count": 5, "next_page_url": FR + "?page=3", "results": [fr_doc("c"), fr_doc("d")]},
        "3": {"count": 5, "results": [fr_doc("e")]},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        page = parse_qs(request.url.query.decode()).get("page", ["1"])[0]
        return httpx.Response(200, json=pages[page])

    with client_for(handler, settings) as client:
        runs = pipeline.run(memdb, config(settings, fr_source()), client)
    assert [(r.status, r.pages, r.items_seen, r.items_new) for r in runs] == [("ok", 3, 5, 5)]
    assert store.count_items(memdb) == 5


def test_stops_when_the_api_resets_to_page_one(memdb, settings):
    """Past page 50 (or 10,000 results) the API silently answers page 1 again."""
    first = {"count": 10000, "next_page_url": FR + "?page=2",
             "results": [fr_doc("a"), fr_doc("b")]}
    second = {"count": 10000, "next_page_url": FR + "?page=3",
              "results": [fr_doc("c"), fr_doc("d")]}
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        page = parse_qs(request.url.query.decode()).get("page", ["1"])[0]
        seen.append(page)
        return httpx.Response(200, json=second if page == "2" else first)

    with client_for(handler, settings) as client:
        (r,) = pipeline.run(memdb, config(settings, fr_source()), client)
    assert seen == ["1", "2", "3"]
    assert r.status == "ok" and r.items_new == 4
    assert any("repeats an earlier page" in n for n in r.notes)


def test_page_cap(memdb, settings):
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(parse_qs(request.url.query.decode()).get("page", ["1"])[0])
        return httpx.Response(200, json={"count": 100, "next_page_url": f"{FR}?page={page + 1}",
                                         "results": [fr_doc(f"d{page}")]})

    with client_for(handler, settings) as client:
        (r,) = pipeline.run(memdb, config(replace(settings, max_pages=3), fr_source()), client)
    assert r.pages == 3 and r.items_new == 3
    assert any("cap of 3 pages" in n for n in r.notes)


def test_failure_on_a_later_page_keeps_items_and_drops_validators(memdb, settings):
    def handler(request: httpx.Request) -> httpx.Response:
        if parse_qs(request.url.query.decode()).get("page") == ["2"]:
            return httpx.Response(404, json={"status": 404, "message": "Record Not Found"})
        return httpx.Response(200, headers={"ETag": '"v1"'},
                              json={"count": 3, "next_page_url": FR + "?page=2",
                                    "results": [fr_doc("a")]})

    with client_for(handler, settings) as client:
        (r,) = pipeline.run(memdb, config(settings, fr_source()), client)
    assert r.status == "error" and r.items_new == 1 and "HTTP 404" in (r.error or "")
    state = store.get_states(memdb)["fr"]
    assert state.error_count == 1 and state.etag is None


def test_error_backoff_doubles_and_resets(memdb, settings):
    status = {"code": 500}

    def handler(request: httpx.Request) -> httpx.Response:
        if status["code"] != 200:
            return httpx.Response(status["code"])
        return httpx.Response(200, json={"count": 1, "results": [fr_doc("a")]})

    cfg = config(replace(settings, retries=1, failure_backoff=600), fr_source())
    now = datetime(2026, 1, 1, tzinfo=UTC)
    waits = []
    with client_for(handler, settings) as client:
        for _ in range(3):
            (r,) = pipeline.run(memdb, cfg, client, only=["fr"], now=now)
            assert r.status == "error"
            st = store.get_states(memdb)["fr"]
            waits.append(st.next_attempt - st.last_attempt)
        assert [w.total_seconds() for w in waits] == [600, 1200, 2400]
        assert store.get_states(memdb)["fr"].error_count == 3
        # Not named and backing off: skipped with the reason.
        (skipped,) = pipeline.run(memdb, cfg, client)
        assert skipped.status == "skipped" and "backing off" in skipped.notes[0]
        status["code"] = 200
        (ok,) = pipeline.run(memdb, cfg, client, only=["fr"])
    st = store.get_states(memdb)["fr"]
    assert ok.status == "ok" and st.error_count == 0 and st.last_error is None


def test_backoff_is_capped_at_48_hours(memdb, settings):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    cfg = config(replace(settings, retries=1), fr_source())
    with client_for(handler, settings) as client:
        for _ in range(12):
            pipeline.run(memdb, cfg, client, only=["fr"])
    st = store.get_states(memdb)["fr"]
    wait = st.next_attempt - st.last_attempt
    assert wait == timedelta(hours=48)


def test_skips_sources_not_due_disabled_or_missing_a_key(memdb, settings, monkeypatch):
    monkeypatch.delenv("MONITOR_TEST_KEY", raising=False)
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(200, json={"count": 0})

    keyed = Source(id="keyed", kind="regulations_gov", url="https://regs.test/v4/documents",
                   interval=3600, api_key_env="MONITOR_TEST_KEY")
    off = fr_source("off", enabled=False)
    cfg = config(settings, fr_source(), keyed, off)
    with client_for(handler, settings) as client:
        first = {r.source_id: r for r in pipeline.run(memdb, cfg, client)}
        assert first["fr"].status == "ok"
        assert first["keyed"].status == "skipped"
        assert "needs MONITOR_TEST_KEY" in first["keyed"].notes[0]
        assert first["off"].status == "skipped"
        second = {r.source_id: r for r in pipeline.run(memdb, cfg, client)}
        assert second["fr"].status == "skipped" and "not due" in second["fr"].notes[0]
        assert len(calls) == 1
        forced = {r.source_id: r for r in pipeline.run(memdb, cfg, client, force=True)}
        assert forced["fr"].status == "ok" and len(calls) == 2
        named = {r.source_id: r for r in pipeline.run(memdb, cfg, client, only=["off"])}
        assert named["off"].status == "ok"


def test_api_key_sent_as_header(memdb, settings, monkeypatch):
    monkeypatch.setenv("MONITOR_TEST_KEY", "k123")
    got = {}

    def handler(request: httpx.Request) -> httpx.Response:
        got["key"] = request.headers.get("x-api-key")
        return httpx.Response(200, json={"data": [{"id": "NTIA-2023-0009-0001", "attributes": {
            "title": "Dual Use Foundation Artificial Intelligence Models With Widely Available "
                     "Model Weights", "postedDate": "2024-02-26T05:00:00Z",
            "docketId": "NTIA-2023-0009"}}], "meta": {"hasNextPage": False}})

    keyed = Source(id="keyed", kind="regulations_gov", url="https://regs.test/v4/documents",
                   interval=3600, api_key_env="MONITOR_TEST_KEY",
                   query=(("filter[docketId]", "NTIA-2023-0009"),))
    with client_for(handler, settings) as client:
        (r,) = pipeline.run(memdb, config(settings, keyed), client)
    assert got["key"] == "k123" and r.items_new == 1
    item = store.get_item(memdb, "keyed:NTIA-2023-0009-0001")
    assert item is not None and item.extra["docketId"] == "NTIA-2023-0009"


def test_month_windows():
    assert pipeline.month_windows(date(2024, 1, 15), date(2024, 3, 2)) == [
        (date(2024, 1, 15), date(2024, 1, 31)), (date(2024, 2, 1), date(2024, 2, 29)),
        (date(2024, 3, 1), date(2024, 3, 2))]


def test_backfill_splits_full_windows_and_resumes(memdb, settings):
    """A window whose count reaches the API's reach is split until it fits."""
    asked: list[tuple[str, str]] = []
    fail = {"on": None}

    def handler(request: httpx.Request) -> httpx.Response:
        q = parse_qs(urlsplit(str(request.url)).query)
        gte = q["conditions[publication_date][gte]"][0]
        lte = q["conditions[publication_date][lte]"][0]
        asked.append((gte, lte))
        if fail["on"] == gte:
            return httpx.Response(500)
        days = (date.fromisoformat(lte) - date.fromisoformat(gte)).days + 1
        # Pretend 1,000 documents a day in January 2024: a month is far over 10,000.
        count = 1000 * days if gte.startswith("2024-01") else 1
        docs = [fr_doc(f"{gte}-{i}", day=gte) for i in range(min(count, 2))]
        return httpx.Response(200, json={"count": min(count, 10000), "results": docs})

    cfg = config(replace(settings, retries=1), fr_source())
    cfg = replace(cfg, sources=(replace(cfg.sources[0], query=(("per_page", "200"),)),))
    with client_for(handler, settings) as client:
        fail["on"] = "2024-02-01"
        runs = pipeline.backfill(memdb, cfg, client, date(2024, 1, 1), until=date(2024, 2, 29))
        assert [r.status for r in runs].count("error") == 1
        january = [a for a in asked if a[0].startswith("2024-01")]
        # Every stored January window is at most 9 days (under 10,000 at 1,000 a day).
        done = store.done_windows(memdb, "fr")
        jan_done = sorted(w for w in done if (w[0].year, w[0].month) == (2024, 1))
        assert jan_done[0][0] == date(2024, 1, 1) and jan_done[-1][1] == date(2024, 1, 31)
        assert all((e - s).days < 10 for s, e in jan_done)
        assert (date(2024, 2, 1), date(2024, 2, 29)) not in done
        assert len(january) > len(jan_done)
        # The source's own schedule is untouched by a backfill.
        assert "fr" not in store.get_states(memdb)
        asked.clear()
        fail["on"] = None
        again = pipeline.backfill(memdb, cfg, client, date(2024, 1, 1), until=date(2024, 2, 29))
    assert asked == [("2024-02-01", "2024-02-29")]
    assert [r.status for r in again] == ["ok"]


def test_backfill_window_params_replace_dates():
    src = fr_source()
    src = replace(src, query=(("conditions[publication_date][gte]", "2020-01-01"),
                              ("conditions[term]", "x")))
    params = dict(pipeline._window_params(src, date(2024, 1, 1), date(2024, 1, 31)))
    assert params["conditions[publication_date][gte]"] == "2024-01-01"
    assert params["conditions[term]"] == "x"


@pytest.mark.parametrize("body", [b"<html><title>Federal Register :: Request Access</title>",
                                  b"not json", b"[1, 2]", b'{"hello": 1}'])
def test_bad_fr_bodies_are_errors_not_zero_items(memdb, settings, body):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body)

    with client_for(handler, settings) as client:
        (r,) = pipeline.run(memdb, config(settings, fr_source()), client)
    assert r.status == "error" and r.error
    assert json.loads(json.dumps(r.error))


def rss(n: int) -> bytes:
    """A feed of two entries; the first one is about the debate (a real NTIA headline)."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed '
        f'{n}</title><item><title>NTIA Seeks Public Input on the Potential Risks, Benefits, '
        'and Policy Implications of Dual-Use Foundation Models with Widely Available Model '
        f'Weights</title><link>https://news{n}.test/a</link><description>Docket NTIA-2023-0009;'
        ' comments due March 27, 2024.</description></item><item><title>Spectrum auction '
        f'notice {n}</title><link>https://news{n}.test/b</link></item></channel></rss>'
    ).encode()


@pytest.mark.parametrize("processes", [2, 0])
def test_parse_workers_store_what_parsing_in_threads_stores(settings, processes, monkeypatch):
    """With enough sources, parsing and classifying move to worker processes; what is stored
    (items, signals, errors) is the same as when the fetching threads parse."""
    import os

    from monitor.config import load_debate

    parent, real_classify = os.getpid(), pipeline.classify
    in_parent = []

    def classify(*args):
        if os.getpid() == parent:
            in_parent.append(args[0].id)
        return real_classify(*args)

    monkeypatch.setattr(pipeline, "classify", classify)

    n = pipeline.PARALLEL_PARSE_MIN + 2

    def handler(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host == "news0.test":
            return httpx.Response(200, text="<html><body>Request Access</body></html>",
                                  headers={"content-type": "text/html"})
        return httpx.Response(200, content=rss(int(host[4:].split(".")[0])),
                              headers={"content-type": "application/rss+xml"})

    sources = [Source(id=f"s{k}", kind="feed", url=f"https://news{k}.test/rss", interval=3600)
               for k in range(n)]
    cfg = Config(path="test.yaml", settings=replace(settings, parse_processes=processes),
                 sources=tuple(sources), debate=load_debate("open-weights"))
    with pipeline._parsers(cfg.settings, n) as (parser, _):
        assert (parser is None) == (processes == 0)  # the path under test is taken
    results = {}
    for label, s in (("here", replace(settings, parse_processes=processes)),
                     ("threads", replace(settings, parse_processes=0))):
        db = store.memory_db()
        with client_for(handler, s) as client:
            runs = pipeline.run(db, replace(cfg, settings=s), client, force=True)
        assert sorted(r.status for r in runs) == ["error"] + ["ok"] * (n - 1)
        if label == "here" and processes:
            assert in_parent == []  # the workers classified every item they parsed
        assert "expected a feed" in next(r.error for r in runs if r.status == "error")
        results[label] = (
            db.execute("SELECT id, title, summary FROM items ORDER BY id").fetchall(),
            db.execute("SELECT item_id, relevant, topics, stance, authority, entities "
                       "FROM signals ORDER BY item_id").fetchall())
    items, signals = results["here"]
    assert len(items) == 2 * (n - 1) and len(signals) == len(items)
    assert sum(relevant for _, relevant, *_ in signals) == n - 1
    assert results["here"] == results["threads"]
