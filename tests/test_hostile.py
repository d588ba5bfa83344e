"""An attacker controls one feed: nothing it sends may drive a terminal, break a feed or a
calendar, inject a link, or stop collection (issue 11).

Loopback servers play the attacker: one drips its headers a byte at a time, one sends a
stacked gzip bomb, one a feed with one invalid UTF-8 byte, one a feed of hostile titles. The
items then go through every command and output format, on a pseudo-terminal too.
"""

from __future__ import annotations

import gzip
import os
import pty
import re
import select
import socket
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor import pipeline, safe, store
from monitor.cli import cli
from monitor.config import Config, Settings
from monitor.fetch import make_client
from monitor.types import Source

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parent.parent

# Everything that must never reach a reader raw: C0 controls (ESC, BEL, NUL, CR...), DEL, C1
# controls (CSI 0x9b, OSC 0x9d) and the bidirectional overrides and isolates.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
PHISH = "https://evil.example/phish"
HOSTILE_TITLES = [
    "Export controls on model weights \x1b[2J\x1b[H cleared",
    "Open-weight models \x1b]8;;https://evil.example\x1b\\click here\x1b]8;;\x1b\\ rule",
    "Clipboard \x1b]52;c;cm0gLXJmIH4=\x07 written by an open-weight bill",
    "Window \x1b]0;owned\x07 title: frontier AI reporting",
    "C1 controls \x9b31m red \x9d0;title\x9c in a compute threshold notice",
    "Bidi \u202egnp.exe\u202c and \u2066isolate\u2069 in an AI diffusion rule",
    "Rich markup [link=https://evil.example]official[/link] and [/] in an AI rule",
    "Bell \x07 and backspace \x08\x08 in a dual-use foundation model notice",
]
INJECTED_URL = f"https://example.org/x)[Official BIS notice]({PHISH}"


def _xml_text(text: str) -> str:
    """Return text as XML character references, so an XML feed can deliver any character."""
    return "".join(c if c.isalnum() or c == " " else f"&#{ord(c)};" for c in text
                   if c not in "\x00")


def hostile_feed() -> bytes:
    items = []
    for i, title in enumerate(HOSTILE_TITLES):
        link = INJECTED_URL if i == 0 else f"https://example.org/{i}"
        items.append(
            f"<item><title>{_xml_text(title)}</title><link>{_xml_text(link)}</link>"
            f"<guid isPermaLink=\"false\">h{i}</guid>"
            "<pubDate>Mon, 23 Nov 2026 12:00:00 GMT</pubDate>"
            f"<description>{_xml_text(title)}. Comments are due by January 15, 2027."
            "</description></item>")
    items.append("<item><title>javascript link</title><link>javascript:alert(1)</link>"
                 "<guid>h-js</guid><pubDate>Mon, 23 Nov 2026 12:00:00 GMT</pubDate></item>")
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Hostile</title>{''.join(items)}</channel></rss>").encode()


def plain_feed(title: str) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t'
            f"</title><item><title>{title}</title><link>https://example.org/ok</link>"
            "<guid>ok-1</guid><pubDate>Mon, 23 Nov 2026 12:00:00 GMT</pubDate></item>"
            "</channel></rss>").encode()


# --- a raw loopback server -----------------------------------------------------------------

Reply = Callable[[socket.socket, threading.Event], None]


class Wire:
    """A loopback TCP server whose handler per path writes raw bytes (or drips them)."""

    def __init__(self, routes: dict[str, Reply]) -> None:
        self.routes = routes
        self.stop = threading.Event()
        self.hits: dict[str, int] = {}
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            try:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                path = request.split(b" ", 2)[1].decode()
                self.hits[path] = self.hits.get(path, 0) + 1
                self.routes[path](conn, self.stop)
            except OSError:
                pass  # the client gave up: what the limits are for

    def __enter__(self) -> Wire:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


def body(content: bytes, *headers: str, ctype: str = "application/rss+xml") -> Reply:
    def reply(conn: socket.socket, stop: threading.Event) -> None:
        head = ["HTTP/1.1 200 OK", f"Content-Type: {ctype}",
                f"Content-Length: {len(content)}", "Connection: close", *headers]
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + content)
    return reply


def header_drip(conn: socket.socket, stop: threading.Event) -> None:
    """A status line, then a header byte every 100 ms, forever (until the test ends)."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    while not stop.wait(0.1):
        conn.sendall(b"a")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[object]:
    database = store.open_db(tmp_path / "m.db")
    yield database
    database.conn.close()


def run(db: object, wire: Wire, settings_: Settings, *paths: str) -> dict[str, object]:
    sources = tuple(Source(id=p.strip("/").replace(".", "-"), kind="feed",
                           url=wire.base + p, interval=3600) for p in paths)
    config = Config(path="hostile.yaml", settings=settings_, sources=sources)
    with make_client(settings_) as client:
        runs = pipeline.run(db, config, client, sleep=lambda s: None)  # type: ignore[arg-type]
    return {r.source_id: r for r in runs}


TIGHT = replace(Settings(), timeout=0.3, connect_timeout=0.3, retries=2, retry_backoff=0.0,
                max_body_bytes=1_000_000)


# --- fetch limits ----------------------------------------------------------------------------

def test_header_drip_bomb_bad_bytes_and_a_healthy_feed_in_one_run(db) -> None:
    bomb = gzip.compress(gzip.compress(b"<rss>" + b" " * 200_000_000))
    assert len(bomb) < 400_000
    bad = plain_feed("\u201cOpen-weight\u201d \u2014 caf\u00e9 \xff end").replace(
        "\xff".encode(), b"\xff")
    routes = {"/healthy.xml": body(plain_feed("A healthy feed")),
              "/drip.xml": header_drip,
              "/bomb.xml": body(bomb, "Content-Encoding: gzip, gzip"),
              "/triple.xml": body(gzip.compress(gzip.compress(gzip.compress(b"<rss/>"))),
                                  "Content-Encoding: gzip, gzip, gzip"),
              "/badbyte.xml": body(bad.replace(b"\xc3\xbf", b"\xff"))}
    with Wire(routes) as wire:
        runs = run(db, wire, TIGHT, *routes)
    assert runs["healthy-xml"].status == "ok"  # type: ignore[attr-defined]
    drip = runs["drip-xml"]
    assert drip.status == "error" and "arriving too slowly" in drip.error  # type: ignore
    assert wire.hits["/drip.xml"] == 1  # a server this slow is not asked again in the run
    assert "cap" in runs["bomb-xml"].error  # type: ignore[attr-defined]
    assert "3 stacked Content-Encodings" in runs["triple-xml"].error  # type: ignore
    titles = {r["source_id"]: r["title"] for r in db["items"].rows}  # type: ignore
    assert titles["healthy-xml"] == "A healthy feed"
    assert titles["badbyte-xml"] == "\u201cOpen-weight\u201d \u2014 caf\u00e9 \ufffd end"
    assert any("invalid UTF-8" in n for n in runs["badbyte-xml"].notes)  # type: ignore


def test_a_timeout_says_how_many_attempts_over_how_long(db) -> None:
    def silent(conn: socket.socket, stop: threading.Event) -> None:
        stop.wait(30)  # accepts, reads the request, never answers

    with Wire({"/silent.xml": silent}) as wire:
        runs = run(db, wire, TIGHT, "/silent.xml")
    error = runs["silent-xml"].error  # type: ignore[attr-defined]
    assert "timed out" in error and "2 attempts over" in error, error


def test_an_empty_body_says_so(db) -> None:
    with Wire({"/empty.xml": body(b"")}) as wire:
        runs = run(db, wire, TIGHT, "/empty.xml")
    assert "empty body" in runs["empty-xml"].error  # type: ignore[attr-defined]


# --- one place per medium --------------------------------------------------------------------

@settings(max_examples=300)
@given(st.text())
def test_terminal_text_never_carries_a_raw_control(text: str) -> None:
    assert not RAW.search(safe.terminal(text))
    assert "\n" not in safe.terminal(text)
    assert not RAW.search(safe.markdown(text))


@settings(max_examples=300)
@given(st.text())
def test_xml_text_is_always_well_formed(text: str) -> None:
    from xml.sax.saxutils import escape
    ET.fromstring(f"<t>{escape(safe.xml(text))}</t>")


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_a_markdown_link_target_cannot_close_early(tail: str) -> None:
    target = safe.markdown_url("https://example.org/" + tail)
    assert not re.search(r"[\s()<>\[\]]", target)
    assert target == "" or target.startswith("https://example.org/")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", " http://a b/",
                                 "https://ok.example/\x1b[2J", "ftp://x/", "http:///nohost"])
def test_only_clean_http_urls_survive(url: str) -> None:
    assert safe.url(url) == ""


# --- every command and format over hostile items ---------------------------------------------

EVERYTHING = "id: everything\ntitle: Everything\ntopics:\n  all:\n    weight: 0.9\n" \
             "    groups:\n      - ['re:.']\n"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "everything.yaml").write_text(EVERYTHING)
    with Wire({"/hostile.xml": body(hostile_feed())}) as wire:
        sources = folder / "sources.yaml"
        sources.write_text(f"debate: {folder / 'everything.yaml'}\nsources:\n"
                           f"  - {{id: hostile, kind: feed, url: '{wire.base}/hostile.xml'}}\n")
        db = folder / "m.db"
        result = CliRunner().invoke(cli, ["--db", str(db), "--sources", str(sources), "run"])
        assert result.exit_code == 0, result.output
    return db, sources


def invoke(hostile: tuple[Path, Path], *args: str) -> str:
    db, sources = hostile
    result = CliRunner().invoke(cli, ["--db", str(db), "--sources", str(sources), *args])
    assert result.exit_code == 0, (args, result.output)
    return result.output


def test_the_hostile_items_were_stored_without_controls(hostile) -> None:
    db = store.open_db(hostile[0])
    rows = list(db["items"].rows)
    assert len(rows) == len(HOSTILE_TITLES) + 1
    assert not any("\x1b" in r["title"] or "\x00" in r["title"] for r in rows)
    assert {r["url"] for r in rows if r["guid"] in ("h0", "h-js")} == {""}


def test_atom_parses_as_xml_and_calendar_has_no_control(hostile, tmp_path) -> None:
    atom = tmp_path / "feed.atom"
    invoke(hostile, "feed", "--since", "all", "--out", str(atom))
    ET.parse(atom)
    ics = tmp_path / "d.ics"
    invoke(hostile, "deadlines", "--days", "3650", "--ics", str(ics))
    text = ics.read_bytes().decode()
    assert "BEGIN:VEVENT" in text
    assert not RAW.search(text.replace("\r\n", ""))


def test_markdown_digest_links_only_to_the_items_urls(hostile) -> None:
    md = invoke(hostile, "digest", "--since", "all", "--format", "md")
    targets = re.findall(r"\]\(([^)]*)\)", md)
    assert targets and all(t == "" or t.startswith("https://example.org/") for t in targets)
    assert PHISH not in targets and not RAW.search(md.replace("\n", ""))


COMMANDS = [["signals", "--since", "all"], ["signals", "--since", "all", "--format", "csv"],
            ["timeline", "--since", "all"], ["deadlines", "--days", "3650"],
            ["digest", "--since", "all", "--format", "text"],
            ["digest", "--since", "all", "--format", "md"], ["sources"], ["noise"],
            ["feed", "--since", "all"], ["instruments"], ["outlook"],
            ["alerts", "--since", "all"], ["doctor"]]


def on_a_terminal(hostile: tuple[Path, Path], args: list[str]) -> tuple[int, str]:
    """Run a command on a pseudo-terminal; return its exit code and what the terminal got."""
    db, sources = hostile
    parent, child = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm-256color"}
    proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "--db", str(db),
                             "--sources", str(sources), *args], stdin=child, stdout=child,
                            stderr=child, cwd=ROOT, env=env, close_fds=True)
    os.close(child)
    out = b""
    while True:
        ready, _, _ = select.select([parent], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(parent, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(parent)
    return proc.wait(60), out.decode("utf-8", "replace")


STYLE = re.compile(r"\x1b\[[0-9;]*m")  # the project's own colours (SGR) are allowed


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a) for a in COMMANDS])
def test_every_command_on_a_terminal_shows_no_raw_control(hostile, args) -> None:
    code, screen = on_a_terminal(hostile, args)
    assert code == 0, screen
    visible = STYLE.sub("", screen).replace("\r\n", "\n")
    assert not RAW.search(visible.replace("\n", "")), repr(RAW.findall(visible)[:5])


def test_a_redirect_to_another_host_is_noted_in_the_fetch_log(db) -> None:
    with Wire({"/feed.xml": body(plain_feed("Moved"))}) as target:
        moved = f"http://localhost:{target.base.rsplit(':', 1)[1]}/feed.xml"
        with Wire({"/old.xml": lambda conn, stop: conn.sendall(
                f"HTTP/1.1 301 Moved\r\nLocation: {moved}\r\nContent-Length: 0\r\n"
                "Connection: close\r\n\r\n".encode())}) as wire:
            runs = run(db, wire, TIGHT, "/old.xml")
    assert runs["old-xml"].status == "ok"  # type: ignore[attr-defined]
    assert "redirected to host localhost" in runs["old-xml"].notes  # type: ignore
    log = list(db["fetch_log"].rows)  # type: ignore[attr-defined]
    assert "redirected to host localhost" in str(log[-1])


def test_explain_and_event_on_a_terminal_show_no_raw_control(hostile) -> None:
    db = store.open_db(hostile[0])
    item = next(r["id"] for r in db["items"].rows if r["guid"] == "h1")
    event = db.execute("SELECT event_id FROM event_items WHERE item_id = ?",
                       [item]).fetchone()[0]
    db.conn.close()
    for args in (["explain", item], ["event", event], ["event", event, "--json"],
                 ["signals", "--since", "all", "--format", "json"]):
        code, screen = on_a_terminal(hostile, args)
        assert code == 0, screen
        assert not RAW.search(STYLE.sub("", screen).replace("\r\n", "")), (args, screen)


@pytest.fixture(scope="module")
def hostile_report(hostile):
    from datetime import UTC, datetime

    from monitor import report
    from monitor.config import load_config

    db = store.open_db(hostile[0])
    rep = report.build(db, load_config(hostile[1]), None, datetime(2026, 11, 25, tzinfo=UTC),
                       deadline_days=3650)
    assert rep.signals and rep.deadlines
    return rep


@settings(max_examples=60, deadline=None)
@given(title=st.text(max_size=60), url_tail=st.text(max_size=30))
def test_any_title_and_url_keep_every_format_safe(hostile_report, title, url_tail) -> None:
    from datetime import UTC, datetime

    from monitor.outputs import calendar, render

    signals = tuple(replace(s, title=title, url="https://example.org/" + url_tail)
                    for s in hostile_report.signals)
    deadlines = tuple(replace(d, title=title) for d in hostile_report.deadlines)
    rep = replace(hostile_report, signals=signals, official=signals[:3],
                  deadlines=deadlines)
    ET.fromstring(render.atom(rep, "tag:x,2026:y"))
    ics = calendar.to_ics(deadlines, "d", title, datetime(2026, 11, 25, tzinfo=UTC))
    assert not RAW.search(ics.decode().replace("\r\n", ""))
    md = render.digest_markdown(rep)
    assert not RAW.search(md.replace("\n", ""))
    for target in re.findall(r"\]\(([^)]*)\)", md):
        assert target == "" or target.startswith("https://example.org/")


def test_a_connection_error_names_the_host(db) -> None:
    dead = socket.create_server(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()  # nothing listens there now
    wire = type("W", (), {"base": f"http://127.0.0.1:{port}"})()
    runs = run(db, wire, TIGHT, "/gone.xml")  # type: ignore[arg-type]
    assert "ConnectError (127.0.0.1)" in runs["gone-xml"].error  # type: ignore[attr-defined]
