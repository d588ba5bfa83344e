"""What analysts receive: signals, digests (golden files, HTML structure, mail), the Atom
feed, the calendar and the page, from the bundled sample corpus."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import sqlite3
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import feedparser
import icalendar
import pytest
from aiosmtpd.controller import Controller
from bs4 import BeautifulSoup
from click.testing import CliRunner

from monitor import report, store
from monitor.cli import cli
from monitor.config import load_config
from monitor.outputs import render

GOLDEN = Path(__file__).resolve().parent / "golden"
FIXED_NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def copy_db(demo: Path, target: Path) -> Path:
    """Copy the demo database consistently (its WAL included), with SQLite's backup API."""
    with sqlite3.connect(demo / "monitor.db") as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def invoke(demo: Path, *args: str, sources: Path | None = None, env: dict | None = None):
    return CliRunner().invoke(cli, ["--db", str(demo / "monitor.db"), "--sources",
                                    str(sources or demo / "sources.yaml"), *args], env=env)


# --- signals ---------------------------------------------------------------------------------

KEYS = ["id", "title", "url", "source", "published", "relevance", "topics", "stance",
        "authority", "entities", "event", "earliest", "publishes"]


def test_signals_json_has_stable_keys(demo):
    result = invoke(demo, "signals", "--since", "all", "--format", "json")
    rows = json.loads(result.output)
    assert result.exit_code == 0 and len(rows) > 40
    assert all(list(r) == KEYS for r in rows)
    published = [r["published"] for r in rows]
    assert published == sorted(published, reverse=True)
    assert all(r["event"] for r in rows)  # every relevant item sits in an event


def test_signals_filters(demo):
    def rows(*args: str) -> list[dict]:
        return json.loads(invoke(demo, "signals", "--since", "all", "--format", "json",
                                 *args).output)

    everything = rows()
    topic = rows("--topic", "reporting_requirements")
    assert topic and all("reporting_requirements" in r["topics"] for r in topic)
    assert len(topic) < len(everything)
    assert all(r["stance"] == "restrict" for r in rows("--stance", "restrict"))
    assert all(r["authority"] == "proposed" for r in rows("--authority", "proposed"))
    assert {r["source"] for r in rows("--source", "fr-bis")} == {"fr-bis"}
    assert all(r["relevance"] >= 0.95 for r in rows("--min-relevance", "0.95"))
    found = rows("--query", "diffusion")
    assert found and any("iffusion" in r["title"] for r in found)
    assert {r["id"] for r in found} < {r["id"] for r in everything}
    assert not rows("--query", "zzyzx")
    assert len(rows("--limit", "3")) == 3
    recent = rows_since = json.loads(invoke(demo, "signals", "--since", "2025-06-01",
                                            "--format", "json").output)
    assert all(r["published"] >= "2025-06-01" for r in rows_since) and recent
    # #15: plain words are phrases, so a stray quote is searched for, not a syntax error;
    # raw FTS5 syntax (--fts) that SQLite refuses is a usage error naming --query
    assert invoke(demo, "signals", "--query", '"unbalanced').exit_code == 0
    bad = invoke(demo, "signals", "--fts", "--query", '"unbalanced')
    assert bad.exit_code == 2 and "--query" in bad.output


def test_signals_csv_ndjson_and_table(demo):
    text = invoke(demo, "signals", "--since", "all", "--format", "csv").output
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == KEYS and len(table) > 40
    lines = invoke(demo, "signals", "--since", "all", "--format", "ndjson").output.splitlines()
    assert len(lines) == len(table) - 1 and all(json.loads(line)["id"] for line in lines)
    narrow = invoke(demo, "signals", "--since", "all", env={"COLUMNS": "80"})
    assert narrow.exit_code == 0
    assert max(len(line) for line in narrow.output.splitlines()) <= 80
    wide = invoke(demo, "signals", "--since", "all", env={"COLUMNS": "160"})
    assert max(len(line) for line in wide.output.splitlines()) <= 160


# --- digests -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fixed_report(demo):
    db = store.open_db(demo / "monitor.db")
    config = load_config(demo / "sources.yaml")
    return report.build(db, config, None, FIXED_NOW)


@pytest.mark.parametrize(("name", "renderer"), [("digest.md", render.digest_markdown),
                                                ("digest.txt", render.digest_text)])
def test_digest_golden(fixed_report, name, renderer):
    """Golden files of the sample corpus's digest (UPDATE_GOLDEN=1 rewrites them)."""
    got = renderer(fixed_report)
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")


def test_digest_html_structure(fixed_report):
    soup = BeautifulSoup(render.digest_html(fixed_report), "html.parser")
    sections = [h.get_text() for h in soup.find_all("h2")]
    assert sections == ["Outlook", "Key points", "New official actions", "Key events", "Sides",
                        "Deadlines in the next 30 days", "Compute thresholds mentioned",
                        "New timeline events", "Sources failing", "Key to the figures"]
    assert "Noise Level" in soup.find("p", class_="level").get_text()
    links = [a["href"] for a in soup.find_all("a")]
    assert links and all(h.startswith(("http://", "https://")) for h in links)
    assert not soup.find_all(["script", "img", "link", "iframe"])
    assert soup.find(string=lambda s: s and "Framework for Artificial Intelligence Diffusion"
                     in s)


def test_nothing_new_digest(demo):
    result = invoke(demo, "digest", "--since", "1d")
    assert result.exit_code == 0 and "Nothing new in this period" in result.output
    skipped = invoke(demo, "digest", "--since", "1d", "--skip-empty")
    assert skipped.exit_code == 0 and "nothing new: no digest" in skipped.output


def test_digest_formats_to_files(demo, tmp_path):
    for fmt in ("md", "html", "text"):
        target = tmp_path / f"d.{fmt}"
        result = invoke(demo, "digest", "--since", "all", "--format", fmt, "--out",
                        str(target))
        assert result.exit_code == 0 and target.stat().st_size > 1000


def test_failing_source_shows_in_digest(demo, tmp_path):
    db_path = copy_db(demo, tmp_path / "m.db")
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE source_state SET status = 'failing', error_count = 5, "
                     "last_error = 'HTTP 503 Service Unavailable', "
                     "last_success = '2026-01-01T00:00:00+00:00' WHERE source_id = 'fedscoop'")
    result = CliRunner().invoke(cli, ["--db", str(db_path), "--sources",
                                      str(demo / "sources.yaml"), "digest", "--since", "1d",
                                      "--format", "text"])
    assert "fedscoop: failing since 2026-01-01, 5 errors; last error: HTTP 503" \
        in result.output


# --- mail ----------------------------------------------------------------------------------

class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def sources_with_smtp(demo: Path, tmp_path: Path, port: int) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text((demo / "sources.yaml").read_text() +
                    f"\nsmtp:\n  host: 127.0.0.1\n  port: {port}\n  security: none\n"
                    "  from: monitor@example.org\n  to: [analyst@example.org, desk@example.org]\n")
    return path


def test_send_digest_over_smtp(demo, tmp_path, smtp):
    inbox, port = smtp
    db = copy_db(demo, tmp_path / "m.db")
    sources = sources_with_smtp(demo, tmp_path, port)

    def digest(*args: str):
        return CliRunner().invoke(cli, ["--db", str(db), "--sources", str(sources), "digest",
                                        *args])

    first = digest("--since", "all", "--send")
    assert first.exit_code == 0, first.output
    (rcpts, raw), = inbox.messages
    assert sorted(rcpts) == ["analyst@example.org", "desk@example.org"]
    msg = message_from_bytes(raw, policy=default_policy)
    assert msg.is_multipart() and msg.get_content_type() == "multipart/alternative"
    parts = {p.get_content_type(): p.get_content() for p in msg.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    assert "NEW OFFICIAL ACTIONS" in parts["text/plain"]
    assert "<h2>Key events</h2>" in parts["text/html"]
    subject = msg["Subject"]
    assert "all to 20" in subject and "Noise Level" in subject
    sent = sqlite3.connect(db).execute("SELECT count(*) FROM digest_log").fetchone()[0]
    assert sent > 40
    # Nothing is mailed twice to the same recipients...
    second = digest("--since", "all", "--send")
    assert second.exit_code == 0
    assert "Nothing new in this period" in message_from_bytes(
        inbox.messages[1][1], policy=default_policy).get_body(("plain",)).get_content()
    # ...unless asked, and --skip-empty sends nothing at all.
    assert digest("--since", "all", "--send", "--skip-empty").exit_code == 0
    assert len(inbox.messages) == 2
    assert digest("--since", "all", "--send", "--resend").exit_code == 0
    assert "NEW OFFICIAL ACTIONS" in message_from_bytes(
        inbox.messages[2][1], policy=default_policy).get_body(("plain",)).get_content()
    # Another recipient list gets everything.
    other = digest("--since", "all", "--send", "--to", "new@example.org")
    assert other.exit_code == 0 and inbox.messages[3][0] == ["new@example.org"]


def test_delivery_failure_records_nothing(demo, tmp_path):
    port = free_port()  # closed again: nothing listens there
    db = copy_db(demo, tmp_path / "m.db")
    sources = sources_with_smtp(demo, tmp_path, port)
    result = CliRunner().invoke(cli, ["--db", str(db), "--sources", str(sources), "digest",
                                      "--since", "all", "--send"])
    assert result.exit_code == 1 and "DeliveryError" in result.output
    assert sqlite3.connect(db).execute("SELECT count(*) FROM digest_log").fetchone()[0] == 0


@pytest.mark.parametrize("address", ["a@example.org\nBcc: spy@example.org",
                                     "a@example.org, b@example.org", "not-an-address"])
def test_header_injection_is_refused(demo, tmp_path, smtp, address):
    inbox, port = smtp
    sources = sources_with_smtp(demo, tmp_path, port)
    result = invoke(demo, "digest", "--send", "--to", address, sources=sources)
    assert result.exit_code == 2 and "is not an email address" in result.output
    assert inbox.messages == []


def test_bad_smtp_settings(demo, tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text((demo / "sources.yaml").read_text() +
                       "\nsmtp:\n  host: 127.0.0.1\n  security: carrier-pigeon\n")
    result = invoke(demo, "digest", "--send", sources=sources)
    assert result.exit_code == 2 and "key 'security'" in result.output


# --- feed, calendar, page ----------------------------------------------------------------------

def test_atom_feed_parses_and_ids_are_stable(demo, tmp_path):
    a, b = tmp_path / "a.atom", tmp_path / "b.atom"
    assert invoke(demo, "feed", "--since", "all", "--out", str(a)).exit_code == 0
    assert invoke(demo, "feed", "--since", "all", "--out", str(b)).exit_code == 0
    parsed = feedparser.parse(a.read_bytes())
    assert parsed.bozo == 0 and parsed.version == "atom10"
    ids = [e.id for e in parsed.entries]
    # one entry per event (every relevant item of the sample sits in one), not per source
    db = store.open_db(demo / "monitor.db")
    assert len(ids) == len(set(ids)) == len(store.timeline(db, "open-weights")) >= 15
    assert ids == [e.id for e in feedparser.parse(b.read_bytes()).entries]
    events = [e for e in parsed.entries if ":event:" in e.id]
    assert events and all("noise" in e.summary and "authority" in e.summary for e in events)
    assert all(e.get("updated") and e.get("link", "").startswith("http")
               for e in parsed.entries if e.get("link"))


def test_calendar_round_trip(demo, tmp_path):
    ics = tmp_path / "d.ics"
    result = invoke(demo, "deadlines", "--days", "30", "--ics", str(ics))
    assert result.exit_code == 0
    assert "no comment deadline or effective date in the next 30 days" in result.output
    cal = icalendar.Calendar.from_ical(ics.read_bytes())
    events = list(cal.walk("VEVENT"))
    db = store.open_db(demo / "monitor.db")
    assert len(events) == len(store.deadlines(db, "open-weights")) >= 3
    by_day = {str(e.decoded("dtstart")): str(e["summary"]) for e in events}
    assert "Comments due" in by_day["2024-03-27"]
    assert "Widely Available Model Weights" in by_day["2024-03-27"]
    again = tmp_path / "again.ics"
    invoke(demo, "deadlines", "--ics", str(again))
    uids = [str(e["uid"]) for e in events]
    assert uids == [str(e["uid"]) for e in icalendar.Calendar.from_ical(
        again.read_bytes()).walk("VEVENT")]
    listing = json.loads(invoke(demo, "deadlines", "--days", "3650", "--json").output)
    assert isinstance(listing, list)


def test_page_structure_and_no_external_resources(demo, tmp_path):
    result = invoke(demo, "page", "--out", str(tmp_path / "site"))
    assert result.exit_code == 0
    html = (tmp_path / "site" / "index.html").read_text()
    soup = BeautifulSoup(html, "html.parser")
    assert [s["id"] for s in soup.find_all("section")] == [
        "outlook", "why", "key-points", "sides", "noise", "forecast", "timeline"]
    assert soup.find("section", id="noise").find("svg")
    assert "Based on current signals" in soup.get_text()
    timeline = soup.find("section", id="timeline").find_all("li", id=True)
    assert len(timeline) >= 15
    assert not soup.find_all(["script", "link", "img", "iframe", "object", "embed"])
    assert "@import" not in html and "url(" not in html
    assert not [t for t in soup.find_all(src=True)]
