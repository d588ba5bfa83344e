"""fetch -> parse -> store against real HTTP servers on loopback; never the internet.

pytest-httpserver (``httpserver``) serves ordinary responses; ``RawServer`` (stdlib, threaded)
is used where a test needs control of the bytes on the wire: truncated bodies, trickling
bodies, slow responses, chunked bodies, or several requests at once.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from sqlite_utils import Database
from werkzeug import Request, Response

from monitor import pipeline, store
from monitor.cli import cli
from monitor.config import Config, Settings, load_config
from monitor.fetch import make_client
from monitor.types import Source, SourceRun

pytestmark = pytest.mark.integration

FAST = Settings(
    timeout=0.5, connect_timeout=0.5, retries=3, retry_backoff=0.01, max_retry_after=10.0,
    failure_backoff=60, failure_backoff_max=3600, concurrency=4, per_host=2,
)
LINK = "https://example.com/news"


# --- helpers --------------------------------------------------------------------------------

class FakeSleep:
    """Records the waits fetch asks for instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def rss(*entries: tuple[str, str], title: str = "Test feed") -> bytes:
    """An RSS 2.0 document with one item per (guid, title)."""
    items = "".join(
        f"<item><title>{t}</title><link>{LINK}/{g}</link><guid isPermaLink=\"false\">{g}</guid>"
        f"<pubDate>Mon, 01 Jan 2024 12:00:00 GMT</pubDate><description>About {t}</description>"
        "</item>" for g, t in entries)
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>{title}</title><link>{LINK}</link>{items}</channel></rss>").encode()


FEED = rss(("a-1", "First"), ("a-2", "Second"))
RSS_TYPE = "application/rss+xml"


def feed_source(sid: str, url: str, **kw: Any) -> Source:
    return Source(id=sid, kind="feed", url=url, interval=3600, **kw)


def config_of(*sources: Source, settings: Settings = FAST) -> Config:
    return Config(path="test-sources.yaml", settings=settings, sources=tuple(sources))


def run_sources(db: Database, *sources: Source, settings: Settings = FAST,
                sleep: FakeSleep | None = None, **kw: Any) -> list[SourceRun]:
    with make_client(settings) as client:
        return pipeline.run(db, config_of(*sources, settings=settings), client,
                            sleep=sleep or FakeSleep(), **kw)


def only_run(runs: list[SourceRun], sid: str) -> SourceRun:
    found = [r for r in runs if r.source_id == sid]
    assert len(found) == 1, runs
    return found[0]


def items_of(db: Database, sid: str) -> list[dict[str, Any]]:
    return list(db["items"].rows_where("source_id = ?", [sid], order_by="guid"))


def state_of(db: Database, sid: str) -> dict[str, Any]:
    return db.table("source_state").get(sid)


def log_of(db: Database, sid: str) -> list[dict[str, Any]]:
    return list(db["fetch_log"].rows_where("source_id = ?", [sid], order_by="id"))


def seconds_between(a: str, b: str) -> float:
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = store.open_db(tmp_path / "m.db")
    yield database
    database.conn.close()


@pytest.fixture
def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count calls of the parse stage (pipeline.parse)."""
    calls: list[str] = []
    real = pipeline.parse

    def counting(source: Source, fetched: Any) -> Any:
        calls.append(source.id)
        return real(source, fetched)

    monkeypatch.setattr(pipeline, "parse", counting)
    return calls


Handler = Callable[[BaseHTTPRequestHandler], None]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up mid-response is what these tests provoke


class RawServer:
    """A threaded stdlib HTTP/1.1 server on 127.0.0.1 whose handler writes the raw response.

    ``stop`` is set on exit so handlers that wait (slow responses) end with the test.
    """

    def __init__(self, handle: Handler) -> None:
        self.handle = handle
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                with outer.lock:
                    outer.requests.append((self.path, dict(self.headers)))
                try:
                    outer.handle(self)
                except OSError:  # the client gave up (timeout, cap): expected here
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = _QuietServer(("127.0.0.1", 0), H)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,),
                                       daemon=True)

    def url(self, path: str = "/feed.xml") -> str:
        return self.base + path

    def __enter__(self) -> RawServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def send(h: BaseHTTPRequestHandler, body: bytes, status: int = 200,
         headers: dict[str, str] | None = None) -> None:
    h.send_response(status)
    for k, v in {"Content-Type": RSS_TYPE, **(headers or {})}.items():
        h.send_header(k, v)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def feed_response(body: bytes = FEED, status: int = 200, content_type: str = RSS_TYPE,
                  headers: dict[str, str] | None = None) -> Response:
    return Response(body, status=status,
                    headers=[("Content-Type", content_type), *(headers or {}).items()])


# --- conditional GET --------------------------------------------------------------------------

def test_etag_round_trip_304_parses_and_stores_nothing(httpserver: HTTPServer, db: Database,
                                                       count_parses: list[str]) -> None:
    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return feed_response(headers={"ETag": '"v1"'})

    httpserver.expect_request("/feed.xml").respond_with_handler(handler)
    src = feed_source("etag", httpserver.url_for("/feed.xml"))

    first = only_run(run_sources(db, src), "etag")
    assert (first.status, first.http_status, first.items_seen, first.items_new) == \
        ("ok", 200, 2, 2)
    assert [r["title"] for r in items_of(db, "etag")] == ["First", "Second"]
    assert state_of(db, "etag")["etag"] == '"v1"'
    assert count_parses == ["etag"]

    second = only_run(run_sources(db, src, force=True), "etag")
    sent = httpserver.log[-1][0]
    assert sent.headers.get("If-None-Match") == '"v1"'
    assert (second.status, second.http_status, second.items_seen, second.items_new) == \
        ("not_modified", 304, 0, 0)
    assert count_parses == ["etag"], "a 304 must not be parsed"
    assert len(items_of(db, "etag")) == 2
    log = log_of(db, "etag")
    assert [(r["status"], r["items_new"]) for r in log] == [("ok", 2), ("not_modified", 0)]
    state = state_of(db, "etag")
    assert (state["etag"], state["status"], state["last_http_status"]) == ('"v1"', "ok", 304)


def test_last_modified_round_trip_304(httpserver: HTTPServer, db: Database,
                                      count_parses: list[str]) -> None:
    stamp = "Mon, 01 Jan 2024 12:00:00 GMT"

    def handler(request: Request) -> Response:
        if request.headers.get("If-Modified-Since") == stamp:
            return Response(status=304)
        return feed_response(headers={"Last-Modified": stamp})

    httpserver.expect_request("/feed.xml").respond_with_handler(handler)
    src = feed_source("lastmod", httpserver.url_for("/feed.xml"))

    assert only_run(run_sources(db, src), "lastmod").items_new == 2
    state = state_of(db, "lastmod")
    assert (state["last_modified"], state["etag"]) == (stamp, None)
    first_request = httpserver.log[0][0]
    assert "If-Modified-Since" not in first_request.headers

    second = only_run(run_sources(db, src, force=True), "lastmod")
    assert httpserver.log[-1][0].headers.get("If-Modified-Since") == stamp
    assert (second.status, second.http_status, second.items_seen) == ("not_modified", 304, 0)
    assert count_parses == ["lastmod"]
    assert len(items_of(db, "lastmod")) == 2


# --- 429 / 5xx, retries and backoff ---------------------------------------------------------

def test_429_retry_after_is_waited_then_succeeds(httpserver: HTTPServer, db: Database) -> None:
    hits: list[int] = []

    def handler(request: Request) -> Response:
        hits.append(1)
        if len(hits) == 1:
            return Response("slow down", status=429, headers={"Retry-After": "2"})
        return feed_response()

    httpserver.expect_request("/feed.xml").respond_with_handler(handler)
    sleep = FakeSleep()
    run = only_run(run_sources(db, feed_source("rl", httpserver.url_for("/feed.xml")),
                               sleep=sleep), "rl")
    assert len(hits) == 2
    assert sleep.calls and max(sleep.calls) >= 2
    assert (run.status, run.http_status, run.items_new) == ("ok", 200, 2)
    assert "page 1 took 2 attempts" in run.notes
    assert state_of(db, "rl")["error_count"] == 0


def test_retry_after_over_the_limit_fails_and_defers(httpserver: HTTPServer,
                                                     db: Database) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(
        "come back later", status=429, headers={"Retry-After": "3600"})
    sleep = FakeSleep()
    before = datetime.now(UTC)
    settings = replace(FAST, max_retry_after=5.0)
    run = only_run(run_sources(db, feed_source("rl", httpserver.url_for("/feed.xml")),
                               settings=settings, sleep=sleep), "rl")
    assert len(httpserver.log) == 1, "a Retry-After over the limit is not waited for in-run"
    assert not any(s >= 5 for s in sleep.calls)
    assert (run.status, run.http_status) == ("error", 429)
    assert run.error is not None and "HTTP 429" in run.error and "Retry-After 3600s" in run.error
    state = state_of(db, "rl")
    assert (state["status"], state["error_count"], state["last_http_status"]) == \
        ("failing", 1, 429)
    assert datetime.fromisoformat(state["next_attempt"]) >= before + timedelta(seconds=3599)
    assert seconds_between(state["last_attempt"], state["next_attempt"]) >= 3600
    assert items_of(db, "rl") == []


def test_500_then_success_is_retried_within_the_run(httpserver: HTTPServer,
                                                    db: Database) -> None:
    hits: list[int] = []

    def handler(request: Request) -> Response:
        hits.append(1)
        if len(hits) == 1:
            return Response("oops", status=500)
        return feed_response()

    httpserver.expect_request("/feed.xml").respond_with_handler(handler)
    sleep = FakeSleep()
    run = only_run(run_sources(db, feed_source("flaky", httpserver.url_for("/feed.xml")),
                               sleep=sleep), "flaky")
    assert len(hits) == 2 and len(sleep.calls) == 1
    assert (run.status, run.items_new) == ("ok", 2)
    assert "page 1 took 2 attempts" in run.notes
    assert [r["guid"] for r in items_of(db, "flaky")] == ["a-1", "a-2"]


def test_500_always_backs_off_doubling_and_success_resets(httpserver: HTTPServer,
                                                          db: Database) -> None:
    healthy = threading.Event()

    def handler(request: Request) -> Response:
        return feed_response() if healthy.is_set() else Response("down", status=500)

    httpserver.expect_request("/feed.xml").respond_with_handler(handler)
    src = feed_source("down", httpserver.url_for("/feed.xml"))
    before = datetime.now(UTC)

    first = only_run(run_sources(db, src), "down")
    assert len(httpserver.log) == FAST.retries, "a 500 is retried settings.retries times"
    assert (first.status, first.http_status) == ("error", 500)
    assert first.error is not None and first.error.startswith("HTTP 500")
    state = state_of(db, "down")
    assert (state["status"], state["error_count"]) == ("failing", 1)
    assert state["last_error"] == first.error
    assert datetime.fromisoformat(state["next_attempt"]) > before
    assert seconds_between(state["last_attempt"], state["next_attempt"]) == FAST.failure_backoff

    # Not due yet: a plain run skips it and says why.
    skipped = only_run(run_sources(db, src), "down")
    assert skipped.status == "skipped" and "backing off after errors" in skipped.notes[0]
    assert len(httpserver.log) == FAST.retries

    second = only_run(run_sources(db, src, force=True), "down")
    assert second.status == "error"
    state = state_of(db, "down")
    assert state["error_count"] == 2
    assert seconds_between(state["last_attempt"], state["next_attempt"]) == \
        2 * FAST.failure_backoff

    healthy.set()
    third = only_run(run_sources(db, src, force=True), "down")
    assert (third.status, third.items_new) == ("ok", 2)
    state = state_of(db, "down")
    assert (state["status"], state["error_count"], state["last_error"]) == ("ok", 0, None)
    assert seconds_between(state["last_attempt"], state["next_attempt"]) == src.interval


# --- slow, redirected, oversized and broken responses ---------------------------------------

def test_read_timeout_is_an_error_that_says_timed_out(db: Database) -> None:
    def slow(h: BaseHTTPRequestHandler) -> None:
        server.stop.wait(60.0)  # far longer than the 0.2 s timeout
        send(h, FEED)

    with RawServer(slow) as server:
        settings = replace(FAST, timeout=0.2, retries=2)
        started = time.monotonic()
        run = only_run(run_sources(db, feed_source("slow", server.url()), settings=settings),
                       "slow")
        elapsed = time.monotonic() - started
    assert run.status == "error"
    assert run.error is not None and "timed out" in run.error and "ReadTimeout" in run.error
    assert len(server.requests) == 2, "a timeout is transient: retried"
    assert elapsed < 30  # two attempts of 0.2 s; the server would hold each for 60 s
    assert items_of(db, "slow") == []
    assert state_of(db, "slow")["last_error"] == run.error


def test_trickling_body_is_cut_off_by_the_overall_deadline(db: Database) -> None:
    """One byte every 50 ms never trips a 0.2 s read timeout; the deadline must end it.

    The whole body takes 100 s to arrive, so without the deadline the test fails, not hangs.
    """
    size = 2000

    def trickle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", RSS_TYPE)
        h.send_header("Content-Length", str(size))
        h.end_headers()
        h.wfile.flush()
        for _ in range(size):
            if server.stop.wait(0.05):
                return
            h.wfile.write(b" ")
            h.wfile.flush()

    with RawServer(trickle) as server:
        settings = replace(FAST, timeout=0.2, retries=2)
        started = time.monotonic()
        run = only_run(run_sources(db, feed_source("drip", server.url()), settings=settings),
                       "drip")
        elapsed = time.monotonic() - started
    assert run.status == "error"
    assert run.error is not None and "arriving too slowly" in run.error
    assert elapsed < 30  # the deadline is 4 x 0.2 s per attempt; the body needs 100 s
    assert items_of(db, "drip") == []


def test_redirect_chain_of_three_hops_is_followed(httpserver: HTTPServer, db: Database) -> None:
    for i in range(3):
        httpserver.expect_request(f"/hop{i}").respond_with_data(
            "", status=302 if i % 2 else 301, headers={"Location": f"/hop{i + 1}"})
    httpserver.expect_request("/hop3").respond_with_response(feed_response())
    run = only_run(run_sources(db, feed_source("hops", httpserver.url_for("/hop0"))), "hops")
    assert [req.path for req, _ in httpserver.log] == ["/hop0", "/hop1", "/hop2", "/hop3"]
    assert (run.status, run.http_status, run.items_new) == ("ok", 200, 2)
    assert [r["title"] for r in items_of(db, "hops")] == ["First", "Second"]


def test_redirect_loop_fails_with_a_clear_message(httpserver: HTTPServer, db: Database) -> None:
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})
    run = only_run(run_sources(db, feed_source("loop", httpserver.url_for("/a"))), "loop")
    assert run.status == "error"
    assert run.error == "more than 5 redirects (or a redirect loop)"
    assert len(httpserver.log) == FAST.max_redirects + 1, "not retried"


def test_redirect_chain_of_six_fails(httpserver: HTTPServer, db: Database) -> None:
    for i in range(6):
        httpserver.expect_request(f"/hop{i}").respond_with_data(
            "", status=302, headers={"Location": f"/hop{i + 1}"})
    httpserver.expect_request("/hop6").respond_with_response(feed_response())
    run = only_run(run_sources(db, feed_source("six", httpserver.url_for("/hop0"))), "six")
    assert run.status == "error"
    assert run.error is not None and "more than 5 redirects" in run.error
    assert "/hop6" not in [req.path for req, _ in httpserver.log]
    assert items_of(db, "six") == []


def test_body_over_the_cap_fails(httpserver: HTTPServer, db: Database) -> None:
    big = rss(*((f"g{i}", "x" * 100) for i in range(60)))
    assert len(big) > 5000
    httpserver.expect_request("/feed.xml").respond_with_response(feed_response(big))
    settings = replace(FAST, max_body_bytes=2000)
    run = only_run(run_sources(db, feed_source("big", httpserver.url_for("/feed.xml")),
                               settings=settings), "big")
    assert run.status == "error"
    assert run.error == f"body of {len(big):,} bytes is over the 2,000-byte cap"
    assert len(httpserver.log) == 1, "not retried"
    assert items_of(db, "big") == []


def test_chunked_body_over_the_cap_fails_while_streaming(db: Database) -> None:
    """No Content-Length to check up front: the cap must stop the stream itself."""

    def chunked(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", RSS_TYPE)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        for _ in range(50):
            h.wfile.write(b"3e8\r\n" + b"x" * 1000 + b"\r\n")
        h.wfile.write(b"0\r\n\r\n")

    with RawServer(chunked) as server:
        settings = replace(FAST, max_body_bytes=5000)
        run = only_run(run_sources(db, feed_source("chunky", server.url()), settings=settings),
                       "chunky")
    assert run.status == "error"
    assert run.error is not None and "over the 5,000-byte cap" in run.error
    assert items_of(db, "chunky") == []


def test_gzip_body_that_inflates_past_the_cap_fails(httpserver: HTTPServer,
                                                    db: Database) -> None:
    bomb = gzip.compress(b"<rss>" + b" " * 5_000_000)
    assert len(bomb) < 10_000
    httpserver.expect_request("/feed.xml").respond_with_response(
        feed_response(bomb, headers={"Content-Encoding": "gzip"}))
    settings = replace(FAST, max_body_bytes=100_000)
    run = only_run(run_sources(db, feed_source("bomb", httpserver.url_for("/feed.xml")),
                               settings=settings), "bomb")
    assert run.status == "error"
    assert run.error == "body over the 100,000-byte cap (after decompression); stopped reading"
    assert items_of(db, "bomb") == []


def test_broken_gzip_body_fails(httpserver: HTTPServer, db: Database) -> None:
    broken = gzip.compress(FEED)[:20] + b"\x00garbage that is not deflate" * 4
    httpserver.expect_request("/feed.xml").respond_with_response(
        feed_response(broken, headers={"Content-Encoding": "gzip"}))
    run = only_run(run_sources(db, feed_source("badgz", httpserver.url_for("/feed.xml"))),
                   "badgz")
    assert run.status == "error"
    assert run.error is not None and run.error.startswith("body cannot be decoded")
    assert items_of(db, "badgz") == []


def test_truncated_body_is_retried_then_fails_and_stores_nothing(db: Database) -> None:
    def truncated(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", RSS_TYPE)
        h.send_header("Content-Length", str(len(FEED) + 500))
        h.end_headers()
        h.wfile.write(FEED)  # a complete feed, but 500 bytes short of what was declared
        h.wfile.flush()
        h.close_connection = True

    with RawServer(truncated) as server:
        settings = replace(FAST, retries=2)
        run = only_run(run_sources(db, feed_source("cut", server.url()), settings=settings),
                       "cut")
    assert run.status == "error"
    assert run.error is not None and "RemoteProtocolError" in run.error
    assert "incomplete" in run.error or "without sending complete" in run.error
    assert len(server.requests) == 2, "a truncated body is transient: retried"
    assert run.items_seen == 0
    assert items_of(db, "cut") == []


# --- bodies that are not what they claim ------------------------------------------------------

def _rss_with_title(prolog_encoding: str, title: bytes) -> bytes:
    return (b'<?xml version="1.0" encoding="' + prolog_encoding.encode() + b'"?>\n'
            b'<rss version="2.0"><channel><title>T</title><item><title>' + title
            + b"</title><link>https://example.com/cafe</link><guid isPermaLink=\"false\">cafe-1"
            b"</guid></item>"
            b"</channel></rss>")


ENCODING_CASES = {
    # name: (body, Content-Type, expected title or None for a parse error, note expected)
    "invalid-utf8": (_rss_with_title("utf-8", b"Caf\xe9 \xff\xfe ok"), RSS_TYPE,
                     "Caf\u00e9 \u00ff\u00fe ok", True),
    "says-utf8-is-cp1252": (_rss_with_title("utf-8", "Caf\u00e9 \u201cq\u201d".encode("cp1252")),
                            RSS_TYPE, "Caf\u00e9 \u201cq\u201d", True),
    "header-utf8-prolog-cp1252": (
        _rss_with_title("windows-1252", "Caf\u00e9 \u201cq\u201d".encode("cp1252")),
        RSS_TYPE + "; charset=utf-8", "Caf\u00e9 \u201cq\u201d", True),
    "header-latin1-prolog-utf8": (_rss_with_title("utf-8", "Caf\u00e9".encode()),
                                  RSS_TYPE + "; charset=iso-8859-1", "Caf\u00e9", False),
    "header-utf16-body-utf8": (_rss_with_title("utf-8", "Caf\u00e9".encode()),
                               RSS_TYPE + "; charset=utf-16", None, False),
}


@pytest.mark.parametrize("case", list(ENCODING_CASES))
def test_wrong_or_invalid_encoding_yields_items_or_a_recorded_error(
        httpserver: HTTPServer, db: Database, case: str) -> None:
    body, ctype, title, noted = ENCODING_CASES[case]
    httpserver.expect_request("/feed.xml").respond_with_response(
        feed_response(body, content_type=ctype))
    run = only_run(run_sources(db, feed_source("enc", httpserver.url_for("/feed.xml"))), "enc")
    rows = items_of(db, "enc")
    if title is None:
        assert run.status == "error"
        assert run.error is not None and run.error.startswith("not a readable feed:")
        assert rows == []
        assert state_of(db, "enc")["last_error"] == run.error
    else:
        assert (run.status, run.items_new) == ("ok", 1)
        assert [(r["guid"], r["title"]) for r in rows] == [("cafe-1", title)]
        notes = [n for n in run.notes if n.startswith("feed is not well-formed")]
        assert bool(notes) == noted, run.notes
        if noted:
            assert "CharacterEncodingOverride" in notes[0]
            assert "CharacterEncodingOverride" in log_of(db, "enc")[0]["notes"]


HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Just a moment...</title></head>"
             b"<body><p>Checking your browser</p></body></html>")


def test_html_page_where_a_feed_is_expected(httpserver: HTTPServer, db: Database) -> None:
    httpserver.expect_request("/feed.xml").respond_with_response(
        feed_response(HTML_PAGE, content_type="text/html; charset=utf-8"))
    run = only_run(run_sources(db, feed_source("html", httpserver.url_for("/feed.xml"))),
                   "html")
    assert (run.status, run.http_status) == ("error", 200)
    assert run.error == "expected a feed, got an HTML page titled 'Just a moment...'"
    assert items_of(db, "html") == []


def test_json_feed_is_read(httpserver: HTTPServer, db: Database) -> None:
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "JSON news",
            "authors": [{"name": "Desk"}],
            "items": [{"id": "j-1", "url": "https://example.com/j1?utm_source=x",
                       "title": "Open weights", "content_html": "<p>Hello <b>world</b></p>"
                       "<script>alert(1)</script>", "date_published": "2024-07-30T10:00:00Z",
                       "tags": ["ai", 3]},
                      {"id": 2, "content_text": "a < b & c"},
                      "junk"]}
    httpserver.expect_request("/feed.json").respond_with_response(
        feed_response(json.dumps(feed).encode(), content_type="application/feed+json"))
    run = only_run(run_sources(db, feed_source("jf", httpserver.url_for("/feed.json"))), "jf")
    assert (run.status, run.items_new) == ("ok", 2)
    rows = {r["guid"]: r for r in items_of(db, "jf")}
    assert set(rows) == {"j-1", "2"}
    one = rows["j-1"]
    assert (one["title"], one["summary"], one["url"], one["published"]) == (
        "Open weights", "Hello world", "https://example.com/j1", "2024-07-30T10:00:00+00:00")
    assert json.loads(one["extra"]) == {"feed_title": "JSON news", "author": "Desk",
                                        "tags": ["ai"]}
    assert rows["2"]["summary"] == "a < b & c"


def _entity_bomb(size: int = 110_000, encoding: str = "") -> str:
    """A feed whose one big entity is referenced thousands of times (quadratic blow-up)."""
    big = "x" * (size // 2)
    refs = "&a;" * ((size - len(big)) // 3 - 100)
    decl = f' encoding="{encoding}"' if encoding else ""
    return (f'<?xml version="1.0"{decl}?>\n<!DOCTYPE rss [\n<!ENTITY a "' + big + '">\n]>\n'
            '<rss version="2.0"><channel><title>t</title><item><title>' + refs
            + "</title><link>https://example.com/1</link></item></channel></rss>")


@pytest.mark.parametrize("variant", ["utf-8", "utf-16le-charset-header", "utf-32"])
def test_entity_blow_up_is_refused_quickly(httpserver: HTTPServer, db: Database,
                                           variant: str) -> None:
    if variant == "utf-8":
        body, ctype = _entity_bomb().encode(), RSS_TYPE
        assert 100_000 < len(body) < 120_000
    elif variant == "utf-16le-charset-header":
        # No BOM and a leading newline: only the HTTP charset says how to read it.
        body = ("\n" + _entity_bomb(30_000)).encode("utf-16-le")
        ctype = RSS_TYPE + "; charset=utf-16le"
    else:
        body, ctype = _entity_bomb(30_000, "utf-32").encode("utf-32"), RSS_TYPE
    assert b"<!ENTITY" not in body or variant == "utf-8"
    httpserver.expect_request("/feed.xml").respond_with_response(
        feed_response(body, content_type=ctype))
    started = time.monotonic()
    run = only_run(run_sources(db, feed_source("bomb", httpserver.url_for("/feed.xml"))),
                   "bomb")
    assert time.monotonic() - started < 60  # refused before any expansion: no blow-up
    assert run.status == "error"
    assert run.error is not None and "declares entities" in run.error
    assert items_of(db, "bomb") == []


# --- Federal Register ---------------------------------------------------------------------

def fr_config(tmp_path: Path, url: str, settings: str = "") -> Config:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "settings:\n  timeout: 2\n  retries: 1\n  retry_backoff: 0.01\n" + settings
        + f"sources:\n  - id: fr-test\n    kind: federal_register\n    url: {url}\n"
        "    query:\n      conditions[agencies][]: industry-and-security-bureau\n"
        "    interval: 6h\n", encoding="utf-8")
    return load_config(path)


def run_config(db: Database, config: Config, **kw: Any) -> list[SourceRun]:
    with make_client(config.settings) as client:
        return pipeline.run(db, config, client, sleep=FakeSleep(), **kw)


def fr_doc(number: str, **fields: Any) -> dict[str, Any]:
    doc = {"document_number": number, "title": f"Document {number}", "type": "Notice",
           "publication_date": "2024-01-29", "abstract": f"Abstract of {number}.",
           "html_url": f"https://www.federalregister.gov/documents/2024/01/29/{number}/x",
           "agencies": [{"name": "Industry and Security Bureau", "id": 241,
                         "slug": "industry-and-security-bureau",
                         "raw_name": "BUREAU OF INDUSTRY AND SECURITY"}]}
    doc.update(fields)
    return doc


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


def test_fr_empty_result_is_ok_with_no_items(tmp_path: Path, httpserver: HTTPServer,
                                             db: Database) -> None:
    httpserver.expect_request("/api/v1/documents.json").respond_with_response(json_response(
        {"description": "Documents matching 'qqzzxxnonexistentterm'", "count": 0}))
    config = fr_config(tmp_path, httpserver.url_for("/api/v1/documents.json"))
    run = only_run(run_config(db, config), "fr-test")
    assert (run.status, run.http_status, run.items_seen, run.pages, run.error) == \
        ("ok", 200, 0, 1, None)
    args = httpserver.log[0][0].args
    assert args.get("conditions[agencies][]") == "industry-and-security-bureau"
    assert (args.get("order"), args.get("per_page")) == ("newest", "200")
    assert "docket_ids" in args.getlist("fields[]")
    assert items_of(db, "fr-test") == []
    assert state_of(db, "fr-test")["status"] == "ok"


def test_fr_page_reset_trap_stops_and_stores_each_document_once(
        tmp_path: Path, httpserver: HTTPServer, db: Database) -> None:
    url = httpserver.url_for("/api/v1/documents.json")
    page1 = [fr_doc("2024-00001"), fr_doc("2024-00002")]
    page2 = [fr_doc("2024-00003"), fr_doc("2024-00004")]

    def handler(request: Request) -> Response:
        page = int(request.args.get("page", "1"))
        # Page 3 is past the API's reach and "silently resets to page 1" (sources.md A.4):
        # page 1's documents again, with a next page the client has not read yet.
        results = page2 if page == 2 else page1
        return json_response({"count": 9000, "total_pages": 50, "results": results,
                              "next_page_url": f"{url}?page={page + 1}&per_page=200"})

    httpserver.expect_request("/api/v1/documents.json").respond_with_handler(handler)
    config = fr_config(tmp_path, url)
    run = only_run(run_config(db, config), "fr-test")
    pages_asked = [req.args.get("page", "1") for req, _ in httpserver.log]
    assert pages_asked == ["1", "2", "3"], "stopped at the repeated page; page 4 never asked"
    assert (run.status, run.pages, run.items_seen, run.items_new) == ("ok", 3, 4, 4)
    assert any("repeats an earlier page" in n for n in run.notes), run.notes
    rows = items_of(db, "fr-test")
    assert [r["guid"] for r in rows] == ["2024-00001", "2024-00002", "2024-00003",
                                         "2024-00004"]
    assert [r["id"] for r in rows][0] == "fr-test:2024-00001"


def test_fr_quirky_fields_raw_name_agencies_docket_text_and_html_excerpts(
        tmp_path: Path, httpserver: HTTPServer, db: Database) -> None:
    doc = fr_doc(
        "2024-27333",
        title="Request for Comment on <i>Dual-Use</i> Foundation Models",
        abstract=None,
        excerpts='The <span class="match">model weights</span> of dual-use foundation '
                 "models &amp; their release ...",
        agencies=[{"raw_name": "DEPARTMENT OF TRANSPORTATION"},
                  {"raw_name": "Office of the Secretary of Transportation"},
                  {"name": "Commerce Department", "raw_name": "DEPARTMENT OF COMMERCE",
                   "slug": "commerce-department"}],
        docket_ids=["Docket No. 240216-0052", "BIS-2024-0047", "  "],
        regulation_id_numbers=["0694-AJ55"],
        comments_close_on="2024-03-27",
    )
    httpserver.expect_request("/api/v1/documents.json").respond_with_response(
        json_response({"count": 1, "description": "x", "total_pages": 1, "results": [doc]}))
    config = fr_config(tmp_path, httpserver.url_for("/api/v1/documents.json"))
    run = only_run(run_config(db, config), "fr-test")
    assert (run.status, run.items_new) == ("ok", 1)
    row = store.get_item(db, "fr-test:2024-27333")
    assert row is not None
    assert row.title == "Request for Comment on Dual-Use Foundation Models"
    assert row.summary == ("The model weights of dual-use foundation models & their "
                           "release ...")
    assert row.published == "2024-01-29T00:00:00+00:00"
    assert row.url == "https://www.federalregister.gov/documents/2024/01/29/2024-27333/x"
    assert row.extra["agencies"] == ["DEPARTMENT OF TRANSPORTATION",
                                     "Office of the Secretary of Transportation",
                                     "Commerce Department"]
    assert row.extra["docket_ids"] == ["Docket No. 240216-0052", "BIS-2024-0047"]
    assert row.extra["regulation_id_numbers"] == ["0694-AJ55"]
    assert row.extra["excerpts"] == row.summary
    assert "<span" not in row.extra["excerpts"]
    assert row.extra["comments_close_on"] == "2024-03-27"


def test_fr_odd_field_types_do_not_crash_the_run(tmp_path: Path, httpserver: HTTPServer,
                                                db: Database) -> None:
    """Types the API does not promise (a lone string for a list, a number for a date, a
    string count) must give items or a parse error, never an exception out of the run."""
    doc = fr_doc("2024-00009", agencies="Commerce Department", docket_ids="NTIA-2023-0009",
                 publication_date=20240129, html_url=None, regulation_id_numbers=None)
    httpserver.expect_request("/api/v1/documents.json").respond_with_response(
        json_response({"count": "1", "results": [doc, "not a document", {"title": "no number"}],
                       "next_page_url": 2}))
    config = fr_config(tmp_path, httpserver.url_for("/api/v1/documents.json"))
    run = only_run(run_config(db, config), "fr-test")
    assert (run.status, run.pages, run.items_new) == ("ok", 1, 1)
    assert "2 result(s) without a document_number skipped" in run.notes
    row = store.get_item(db, "fr-test:2024-00009")
    assert row is not None
    assert row.extra["agencies"] == ["Commerce Department"]
    assert row.extra["docket_ids"] == ["NTIA-2023-0009"]
    assert row.published is None
    assert row.url == "https://www.federalregister.gov/d/2024-00009"


def test_fr_request_access_html_page_is_an_error(tmp_path: Path, httpserver: HTTPServer,
                                                 db: Database) -> None:
    page = (b"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            b"<title>Federal Register :: Request Access</title></head><body>"
            b"<h1>Request Access</h1><p>Due to aggressive automated scraping ...</p>"
            b"</body></html>")
    httpserver.expect_request("/api/v1/documents.json").respond_with_data(
        page, content_type="text/html; charset=utf-8")
    config = fr_config(tmp_path, httpserver.url_for("/api/v1/documents.json"))
    run = only_run(run_config(db, config), "fr-test")
    assert (run.status, run.http_status) == ("error", 200)
    assert run.error == ("expected JSON from the Federal Register API, got an HTML page titled "
                         "'Federal Register :: Request Access' (blocked or wrong URL)")
    assert items_of(db, "fr-test") == []
    assert state_of(db, "fr-test")["error_count"] == 1


# --- many sources -----------------------------------------------------------------------------

def test_a_failing_source_does_not_stop_the_healthy_ones(httpserver: HTTPServer,
                                                         db: Database) -> None:
    httpserver.expect_request("/one.xml").respond_with_response(
        feed_response(rss(("one-1", "One"))))
    httpserver.expect_request("/two.xml").respond_with_response(
        feed_response(rss(("two-1", "Two"), ("two-2", "Two again"))))
    httpserver.expect_request("/gone.xml").respond_with_data("gone", status=404)
    sources = [feed_source("one", httpserver.url_for("/one.xml")),
               feed_source("gone", httpserver.url_for("/gone.xml")),
               feed_source("two", httpserver.url_for("/two.xml"))]
    runs = run_sources(db, *sources)
    assert sorted((r.source_id, r.status) for r in runs) == \
        [("gone", "error"), ("one", "ok"), ("two", "ok")]
    assert [r.error for r in runs if r.failed] == ["HTTP 404 NOT FOUND"]
    assert store.item_counts(db) == {"one": 1, "two": 2}
    assert state_of(db, "gone")["error_count"] == 1


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_run_exits_1_with_one_line_per_source(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/one.xml").respond_with_response(
        feed_response(rss(("one-1", "One"))))
    httpserver.expect_request("/two.xml").respond_with_response(
        feed_response(rss(("two-1", "Two"), ("two-2", "Two again"))))
    httpserver.expect_request("/gone.xml").respond_with_data("gone", status=404)
    sources = _write(tmp_path / "sources.yaml", f"""\
settings:
  timeout: 2
  retries: 1
sources:
  - id: one
    kind: feed
    url: {httpserver.url_for("/one.xml")}
  - id: two
    kind: feed
    url: {httpserver.url_for("/two.xml")}
  - id: gone
    kind: feed
    url: {httpserver.url_for("/gone.xml")}
""")
    db_path = tmp_path / "cli.db"
    result = CliRunner().invoke(cli, ["--db", str(db_path), "--sources", str(sources), "run"])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    source_lines = [line for line in lines if line.split()[:1] in (["one"], ["two"], ["gone"])]
    assert len(source_lines) == 3, result.stdout
    per_source = {line.split()[0]: line for line in source_lines}
    assert per_source["one"].split()[1] == "ok" and "1 items" in per_source["one"]
    assert per_source["two"].split()[1] == "ok" and "2 new" in per_source["two"]
    assert per_source["gone"].split()[1] == "error" and "HTTP 404" in per_source["gone"]
    assert lines[-1] == "3 sources: 2 ok, 0 not modified, 1 failed, 0 skipped; 3 new items"
    check = store.open_db(db_path)
    try:
        assert store.count_items(check) == 3
    finally:
        check.conn.close()


BAD_CONFIGS = {
    # name: (the sources list, line of the error, what the message must also contain).
    # The file starts with four lines: settings, timeout, retries, "sources:".
    "unknown-kind": ("  - id: good\n    kind: feed\n    url: {url}\n"
                     "  - id: weird\n    kind: podcast\n    url: {url}\n",
                     9, ["entry #2 (weird)", "key 'kind'", "unknown kind 'podcast'"]),
    "missing-url": ("  - id: good\n    kind: feed\n    url: {url}\n"
                    "  - id: nourl\n    kind: feed\n    interval: 1h\n",
                    8, ["entry #2 (nourl)", "key 'url'", "url is required"]),
    "bad-interval": ("  - id: good\n    kind: feed\n    url: {url}\n    interval: soon\n",
                     8, ["entry #1 (good)", "key 'interval'", "'soon' is not a duration"]),
    "duplicate-id": ("  - id: twin\n    kind: feed\n    url: {url}\n"
                     "  - id: twin\n    kind: feed\n    url: {url}\n",
                     8, ["entry #2 (twin)", "key 'id'", "duplicate id"]),
    "yaml-syntax": ("  - id: good\n    kind: feed\n    url: {url}\n    title: [broken\n",
                    9, ["YAML syntax error"]),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_cli_bad_sources_yaml_exits_2_before_any_request(tmp_path: Path, httpserver: HTTPServer,
                                                         case: str) -> None:
    httpserver.expect_request("/feed.xml").respond_with_response(feed_response())
    body, line, wanted = BAD_CONFIGS[case]
    sources = _write(tmp_path / "sources.yaml", "settings:\n  timeout: 2\n  retries: 1\n"
                     "sources:\n" + body.format(url=httpserver.url_for("/feed.xml")))
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "cli.db"), "--sources",
                                      str(sources), "run"])
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert message.startswith(f"Error: {sources}:{line}"), message
    assert len(message.splitlines()) == 1, message
    for part in wanted:
        assert part in message, (part, message)
    assert len(httpserver.log) == 0, "no request may reach a server before the config is valid"


def test_concurrency_overall_and_per_host(db: Database) -> None:
    delay = 0.2
    lock = threading.Lock()
    in_flight: dict[int, int] = {}
    peak: dict[int, int] = {}

    def make_handler(key: int) -> Handler:
        def handle(h: BaseHTTPRequestHandler) -> None:
            with lock:
                in_flight[key] = in_flight.get(key, 0) + 1
                peak[key] = max(peak.get(key, 0), in_flight[key])
            try:
                # Hold each answer until a second request to this host arrives (or a
                # generous deadline passes): overlap is then a condition, not a timing.
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    with lock:
                        if peak[key] >= 2:
                            break
                    time.sleep(0.005)
                time.sleep(delay)
                name = h.path.strip("/").split(".")[0]
                send(h, rss((f"{name}-1", name)))
            finally:
                with lock:
                    in_flight[key] -= 1
        return handle

    servers = [RawServer(make_handler(i)) for i in range(3)]
    with servers[0], servers[1], servers[2]:
        sources = [feed_source(f"s{n:02d}", servers[n % 3].url(f"/s{n:02d}.xml"))
                   for n in range(12)]
        assert len({s.host for s in sources}) == 3
        settings = replace(FAST, concurrency=6, per_host=2, timeout=2.0)
        started = time.monotonic()
        runs = run_sources(db, *sources, settings=settings)
        elapsed = time.monotonic() - started
    sequential = 12 * delay
    print(f"12 sources x {delay}s on 3 hosts: {elapsed:.2f}s (sequential {sequential:.1f}s); "
          f"peak per host {peak}")
    assert sorted(r.status for r in runs) == ["ok"] * 12
    assert store.count_items(db) == 12
    assert sum(len(s.requests) for s in servers) == 12
    assert max(peak.values()) <= 2, f"a host saw more than per_host=2 at once: {peak}"
    assert max(peak.values()) == 2, "requests to one host never overlapped: no parallelism"
    assert elapsed < 10 * sequential  # a hang guard; overlap is asserted above


def test_running_twice_over_the_same_data_adds_no_rows(tmp_path: Path, httpserver: HTTPServer,
                                                       db: Database) -> None:
    url = httpserver.url_for("/api/v1/documents.json")

    def fr(request: Request) -> Response:
        if request.args.get("page") == "2":
            return json_response({"count": 3, "results": [fr_doc("2024-00003")]})
        return json_response({"count": 3, "next_page_url": f"{url}?page=2",
                              "results": [fr_doc("2024-00001"), fr_doc("2024-00002")]})

    httpserver.expect_request("/api/v1/documents.json").respond_with_handler(fr)
    httpserver.expect_request("/feed.xml").respond_with_response(feed_response())
    config = fr_config(tmp_path, url)
    config = replace(config, sources=(*config.sources,
                                      feed_source("feed", httpserver.url_for("/feed.xml"))))
    first = run_config(db, config, force=True)
    assert sorted((r.source_id, r.status, r.items_new) for r in first) == \
        [("feed", "ok", 2), ("fr-test", "ok", 3)]
    counts = {t: db[t].count for t in ("items", "source_state", "fetch_log")}
    snapshot = sorted((r["id"], r["title"], r["fetched_at"]) for r in db["items"].rows)

    second = run_config(db, config, force=True)
    assert sorted((r.source_id, r.status, r.items_seen, r.items_new) for r in second) == \
        [("feed", "ok", 2, 0), ("fr-test", "ok", 3, 0)]
    assert db["items"].count == counts["items"] == 5
    assert db["source_state"].count == counts["source_state"] == 2
    assert db["fetch_log"].count == counts["fetch_log"] + 2, "one log row per source run"
    assert sorted((r["id"], r["title"], r["fetched_at"]) for r in db["items"].rows) == snapshot
    assert store.search_items(db, "Second")[0].guid == "a-2"
    assert store.integrity_check(db) == "ok"


def test_connection_refused_is_an_error_not_a_crash(db: Database) -> None:
    with RawServer(lambda h: None) as server:
        url = server.url()
    # the server is closed now: nothing listens on that port
    run = only_run(run_sources(db, feed_source("nobody", url), settings=replace(FAST, retries=2)),
                   "nobody")
    assert run.status == "error"
    assert run.error is not None and "ConnectError" in run.error
    assert state_of(db, "nobody")["error_count"] == 1


def test_make_client_sends_the_user_agent(httpserver: HTTPServer, db: Database) -> None:
    httpserver.expect_request("/feed.xml").respond_with_response(feed_response())
    settings = replace(FAST, contact="ops@example.org")
    run_sources(db, feed_source("ua", httpserver.url_for("/feed.xml")), settings=settings)
    agent = httpserver.log[0][0].headers.get("User-Agent")
    assert agent == settings.user_agent_header()
    assert agent.endswith("ops@example.org")
