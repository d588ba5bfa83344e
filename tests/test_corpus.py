"""The peer suite: feedparser's own 2,100 test feeds, served on loopback, through the pipeline.

Every document becomes one ``feed`` source on one loopback server (with the HTTP headers its
leading comment asks for) and goes through the real fetch -> parse -> store path in a few
batches. Every document must give items or a recorded error, never an exception or a hang, and
the feeds whose entries carry something (an id, a link, some text) must give items.
"""

from __future__ import annotations

import html
import io
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import feedparser
import pytest
from sqlite_utils import Database

from monitor import pipeline, store
from monitor.config import Config, Settings
from monitor.fetch import make_client
from monitor.types import Source, SourceRun

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "feedparser"
if not (CORPUS / "wellformed").is_dir():
    pytest.skip(f"the peer corpus is not at {CORPUS} (it exists on development and CI machines "
                "only: ../shared/corpora/feedparser from the project root)",
                allow_module_level=True)

pytestmark = pytest.mark.corpus

BATCHES = 4
BATCH_LIMIT = 60.0  # seconds one batch may take before the run counts as hung
TOTAL_LIMIT = 600.0  # the whole pass measures ~15 s; a hang guard, generous for a busy machine
SETTINGS = Settings(timeout=5.0, connect_timeout=5.0, retries=1, retry_backoff=0.01,
                    concurrency=16, per_host=16)
_COMMENT = re.compile(rb"<!--(.*?)-->", re.DOTALL)
_HEADER = re.compile(rb"^\s*Header:\s*([A-Za-z][A-Za-z0-9-]*)\s*:[ \t]*(.*?)\s*$", re.MULTILINE)
_TAG = re.compile(r"<[^>]*>")


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix in (".xml", ".json"))


def declared_headers(body: bytes) -> list[tuple[str, str]]:
    """The ``Header: Name: value`` lines of the document's first comment (its test header)."""
    m = _COMMENT.search(body[:8192])
    if not m:
        return []
    return [(k.decode("ascii"), v.decode("latin-1")) for k, v in _HEADER.findall(m.group(1))]


def response_headers(path: Path, body: bytes) -> list[tuple[str, str]]:
    headers = declared_headers(body)
    if not any(k.lower() == "content-type" for k, _ in headers):
        default = "application/json" if path.suffix == ".json" else "application/xml"
        headers.insert(0, ("Content-Type", default))
    return headers


class CorpusServer:
    """Serve every corpus document from one threaded loopback server, by relative path."""

    def __init__(self, files: list[Path]) -> None:
        self.docs: dict[str, tuple[bytes, list[tuple[str, str]]]] = {}
        for f in files:
            body = f.read_bytes()
            self.docs[f.relative_to(CORPUS).as_posix()] = (body, response_headers(f, body))
        self.served = Counter[str]()
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                name = unquote(urlsplit(self.path).path).lstrip("/")
                doc = outer.docs.get(name)
                if doc is None:
                    self.send_error(404)
                    return
                body, headers = doc
                with lock:
                    outer.served[name] += 1
                self.send_response(200)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, name: str) -> str:
        return f"{self.base}/{quote(name)}"

    def __enter__(self) -> CorpusServer:
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _text(value: Any) -> str:
    return html.unescape(_TAG.sub(" ", str(value or ""))).strip()


def has_content(body: bytes, headers: list[tuple[str, str]], url: str) -> bool:
    """Oracle, independent of monitor's parser: does feedparser see an entry with an id, an
    http(s) link or some text (tags stripped) in its title, summary or content?"""
    hdrs = {k.lower(): v for k, v in headers}
    hdrs.setdefault("content-location", url)
    result = feedparser.parse(io.BytesIO(body), response_headers=hdrs)
    for e in result.entries:
        link = str(e.get("link") or "")
        texts = [e.get("title"), e.get("summary"), *[c.get("value") for c in e.get("content", [])]]
        if e.get("id") or link.startswith(("http://", "https://")) or any(map(_text, texts)):
            return True
    return False


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = store.open_db(tmp_path / "corpus.db")
    yield database
    database.conn.close()


def run_batch(db: Database, sources: list[Source], number: int) -> list[SourceRun]:
    """One pipeline.run over the batch, in a thread so that a hang fails instead of blocking."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            with make_client(SETTINGS) as client:
                config = Config(path=f"corpus-batch-{number}", settings=SETTINGS,
                                sources=tuple(sources))
                box["runs"] = pipeline.run(db, config, client, force=True)
        except BaseException as e:  # re-raised on the test's thread below
            box["error"] = e

    worker = threading.Thread(target=target, name=f"corpus-batch-{number}", daemon=True)
    worker.start()
    worker.join(BATCH_LIMIT)
    if worker.is_alive():
        pytest.fail(f"batch {number} ({len(sources)} sources) did not finish within "
                    f"{BATCH_LIMIT:.0f} s: a run hangs")
    if "error" in box:
        raise AssertionError(f"an exception escaped pipeline.run in batch {number}: "
                             f"{box['error']!r}") from box["error"]
    return box["runs"]


def test_every_corpus_document_gives_items_or_a_recorded_error(db: Database) -> None:
    files = corpus_files()
    assert len(files) > 2000, f"expected ~2,100 documents in {CORPUS}, found {len(files)}"
    names = {f"c{i:04d}": f.relative_to(CORPUS).as_posix() for i, f in enumerate(files)}
    started = time.monotonic()
    runs: list[SourceRun] = []
    with CorpusServer(files) as server:
        sources = [Source(id=sid, kind="feed", url=server.url(name), interval=3600)
                   for sid, name in names.items()]
        size = -(-len(sources) // BATCHES)
        for number, at in enumerate(range(0, len(sources), size), 1):
            runs.extend(run_batch(db, sources[at:at + size], number))
        served = server.served
    elapsed = time.monotonic() - started

    # Every document was fetched once and has exactly one run.
    assert sorted(r.source_id for r in runs) == sorted(names)
    assert sum(served.values()) == len(files) and set(served) == set(names.values())
    # ok (items >= 0) or error with a message; never another status, never a fetch failure.
    bad = [(names[r.source_id], r.status, r.error) for r in runs
           if not ((r.status == "ok" and r.error is None and r.items_seen >= 0)
                   or (r.status == "error" and isinstance(r.error, str) and r.error.strip()))]
    assert not bad, bad[:10]
    not_200 = [(names[r.source_id], r.http_status, r.error) for r in runs if r.http_status != 200]
    assert not not_200, not_200[:10]
    # What the runs report is what the database holds.
    assert db["fetch_log"].count == len(files)
    assert store.count_items(db) == sum(r.items_new for r in runs)
    assert store.integrity_check(db) == "ok"

    # Items for the well-formed feeds whose entries carry an id, a link or text.
    stored = store.item_counts(db)
    by_folder: Counter[tuple[str, str]] = Counter()
    for r in runs:
        folder = names[r.source_id].split("/")[0]
        by_folder[(folder, "items" if stored.get(r.source_id) else r.status)] += 1
    wellformed = {sid: name for sid, name in names.items() if name.startswith("wellformed/")}
    with_items = {sid for sid in wellformed if stored.get(sid)}
    with_content = {sid for sid, name in wellformed.items()
                    if has_content(*server.docs[name], f"http://127.0.0.1/{quote(name)}")}
    wellformed_errors = [(wellformed[r.source_id], r.error) for r in runs
                         if r.source_id in wellformed and r.status == "error"]

    print(f"\ncorpus: {len(files)} documents in {BATCHES} batches, {elapsed:.1f} s; "
          f"{store.count_items(db)} items stored")
    for (folder, outcome), n in sorted(by_folder.items()):
        print(f"  {folder:<11} {outcome:<6} {n:>5}")
    print(f"wellformed: {len(wellformed)} documents; {len(with_content)} have an entry with an "
          f"id, link or text (feedparser); {len(with_items)} stored items "
          f"({len(with_items & with_content)} of those); {len(wellformed_errors)} errors")

    assert elapsed < TOTAL_LIMIT, f"the corpus took {elapsed:.0f} s"
    assert len(with_content) >= 400, "the oracle found too few entries: is feedparser broken?"
    missing = sorted(wellformed[sid] for sid in with_content - with_items)
    assert len(with_items & with_content) >= 0.95 * len(with_content), missing[:20]
    assert len(wellformed_errors) <= 0.02 * len(wellformed), wellformed_errors[:20]
    # The JSON Feed document is read too.
    json_runs = [r for r in runs if names[r.source_id].startswith("json/")]
    assert [(r.status, r.items_seen) for r in json_runs] == [("ok", 2)]
