"""Benchmark: how soon an analyst hears, on loopback with a simulated clock.

    scripts/bench timeliness [--quick]

The story (real records from the bundled sample, moved to a simulated week): the AI
Diffusion rule (FR Doc 2025-00636) goes on public inspection on Friday 2025-01-10 (its
real filing date) with the morning list at 8:45 am Eastern (the time the Office of the
Federal Register posts regular filings; the sample's time of day is a placeholder), is
published three days later (Monday 6:00 am), and
then a wave of news about it arrives (FedScoop's and Akin Gump's real items, an hour apart,
from noon). A loopback server answers as the Federal Register's public-inspection list,
its documents search and two news feeds would at each simulated moment, and a webhook
records each alert. The simulation polls each source when the shipped schedule would (the
FR sources by their cron lines in America/New_York, without jitter; news every hour),
running the real `pipeline.run` with the clock moved to that moment (time-machine).

Figures and targets (issue 16):
- filing -> first alert: within one public-inspection poll interval (30 min) of the filing,
  and at least 24 h before publication;
- news wave start -> the event's noise up one level (levels: 20-point bands of the 0..100
  noise): within one poll interval of the news sources (1 h);
- no duplicate alert (per target and document or event) across 20 further runs.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import Report, ratio_figure  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "http"
ET = ZoneInfo("America/New_York")
FILED = datetime(2025, 1, 10, 8, 45, tzinfo=ET)  # the real date, the morning list's time
PUBLISHED = datetime(2025, 1, 13, 6, 0, tzinfo=ET)  # three days later, at the 6 am issue
WAVE = datetime(2025, 1, 13, 12, 0, tzinfo=ET)
NEWS_EVERY = timedelta(hours=1)
PI_EVERY = timedelta(minutes=30)
BAND = 20.0


def _real_records() -> tuple[dict[str, Any], dict[str, Any], list[dict[str, str]]]:
    """Return the sample's public-inspection entry, published document and news items of
    the AI Diffusion rule."""
    import feedparser

    pi = json.loads((SAMPLE / "federalregister/public-inspection-documents/current.json")
                    .read_text())
    entry = next(r for r in pi["results"] if r["document_number"] == "2025-00636")
    bis = json.loads((SAMPLE / "federalregister/bis.json").read_text())
    doc = next(r for r in bis["results"] if r["document_number"] == "2025-00636")
    news = []
    for name, link in (("fedscoop.rss", "fedscoop.com/commerce-ai-diffusion-rule"),
                       ("policy-commentary.atom", "bis-issues-new-framework-for-ai-diffusion")):
        parsed = feedparser.parse((SAMPLE / "news" / name).read_bytes())
        e = next(e for e in parsed.entries if link in e.link)
        news.append({"title": e.title, "link": e.link, "summary": e.get("summary", "")})
    return entry, doc, news


class World:
    """What each source says at the simulated moment ``now``; and the webhook's inbox."""

    def __init__(self) -> None:
        self.entry, self.doc, self.news = _real_records()
        self.now = FILED - timedelta(days=1)
        self.hooks: list[tuple[datetime, dict[str, Any]]] = []
        self.lock = threading.Lock()

    def body(self, path: str) -> tuple[str, bytes]:
        now = self.now
        if path.startswith("/pi"):
            shown = [dict(self.entry, filed_at=FILED.isoformat(),
                          publication_date=PUBLISHED.date().isoformat())] \
                if FILED <= now < PUBLISHED else []
            return "application/json", json.dumps({"count": len(shown),
                                                   "results": shown}).encode()
        if path.startswith("/documents"):
            if now < PUBLISHED:
                return "application/json", b'{"description": "none", "count": 0}'
            doc = dict(self.doc, publication_date=PUBLISHED.date().isoformat())
            return "application/json", json.dumps({"count": 1, "results": [doc]}).encode()
        k = int(path.rsplit("/", 1)[-1].split(".")[0])  # /news/0.rss, /news/1.rss
        at = WAVE + k * NEWS_EVERY
        items = ""
        if now >= at:
            n = self.news[k]
            items = (f"<item><title>{escape(n['title'])}</title><link>{escape(n['link'])}"
                     f"</link><guid>{escape(n['link'])}</guid><description>"
                     f"{escape(n['summary'])}</description><pubDate>"
                     f"{format_datetime(at.astimezone(UTC))}</pubDate></item>")
        return "application/rss+xml", (f'<?xml version="1.0"?><rss version="2.0"><channel>'
                                       f"<title>news {k}</title>{items}</channel></rss>"
                                       ).encode()


def serve(world: World) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            kind, body = world.body(self.path)
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with world.lock:
                world.hooks.append((world.now, json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def sources_yaml(base: str) -> str:
    shipped = {s["id"]: s for s in _shipped_sources()}
    pi_cron, doc_cron = shipped["fr-public-inspection"]["cron"], shipped["fr-bis"]["cron"]
    return f"""
daemon: {{timezone: America/New_York, jitter: 0}}
sources:
  - {{id: fr-public-inspection, kind: federal_register, url: "{base}/pi/current.json",
     interval: 2h, cron: "{pi_cron}", options: {{endpoint: public_inspection}}}}
  - {{id: fr-bis, kind: federal_register, url: "{base}/documents.json", interval: 6h,
     cron: "{doc_cron}"}}
  - {{id: fedscoop, kind: feed, url: "{base}/news/0.rss", interval: 1h}}
  - {{id: akingump, kind: feed, url: "{base}/news/1.rss", interval: 1h, role: commentary}}
alerts:
  targets: {{desk: {{webhook: "{base}/hook"}}}}
  rules:
    - {{id: binding, authority: proposed, to: [desk]}}
    - {{id: loud-event, noise: 60, to: [desk]}}
"""


def _shipped_sources() -> list[dict[str, Any]]:
    import yaml

    return list(yaml.safe_load((ROOT / "sources.yaml").read_text())["sources"])


def polls(config: Any, start: datetime, end: datetime) -> list[tuple[datetime, list[str]]]:
    """Return each moment some source is due, with those sources: FR sources by their cron
    lines (the daemon's triggers, jitter off), the others by interval."""
    from monitor.schedule import check_schedule, source_trigger

    settings = check_schedule(config)
    due: dict[datetime, list[str]] = {}
    for source in config.sources:
        if source.cron:
            trigger = source_trigger(source, settings, config)
            trigger.jitter = None
            t = trigger.get_next_fire_time(None, start)
            while t is not None and t <= end:
                due.setdefault(t.astimezone(UTC), []).append(source.id)
                t = trigger.get_next_fire_time(t, t + timedelta(seconds=1))
        else:
            t = start
            while t <= end:
                due.setdefault(t.astimezone(UTC), []).append(source.id)
                t += timedelta(seconds=source.interval)
    return sorted(due.items())


def run(quick: bool, report: Report) -> dict[str, Any]:
    import time_machine

    from monitor import pipeline, store
    from monitor.config import load_config
    from monitor.fetch import make_client

    report.line("== timeliness: public inspection -> publication -> a news wave, simulated")
    world = World()
    server = serve(world)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    end = WAVE + timedelta(hours=6 if quick else 48)
    noise: list[tuple[datetime, float]] = []
    runs = 0
    try:
        with tempfile.TemporaryDirectory(prefix="bench-timeliness-") as tmp:
            path = Path(tmp) / "sources.yaml"
            path.write_text(sources_yaml(base))
            config = load_config(path)
            db = store.open_db(Path(tmp) / "m.db")
            schedule = polls(config, FILED - timedelta(hours=12), end)
            with make_client(config.settings) as client:
                for at, ids in schedule:
                    world.now = at
                    with time_machine.travel(at, tick=False):
                        pipeline.run(db, config, client, only=ids, force=True, now=at)
                    runs += 1
                    noise.append((at, _event_noise(db)))
                before = Counter(a["alert"]["key"] for _, a in world.hooks)
                for k in range(20):  # 20 more runs of everything: nothing may repeat
                    at = end + timedelta(minutes=10 * (k + 1))
                    world.now = at
                    with time_machine.travel(at, tick=False):
                        pipeline.run(db, config, client, force=True, now=at)
                after = Counter(a["alert"]["key"] for _, a in world.hooks)
                logged = db.execute("SELECT count(*), count(DISTINCT target || key) "
                                    "FROM alert_log").fetchone()
    finally:
        server.shutdown()
    first = min((t for t, a in world.hooks if a["alert"]["key"] == "doc:fr:2025-00636"),
                default=None)
    lead_min = (first - FILED).total_seconds() / 60 if first else float("inf")
    ahead_h = (PUBLISHED - first).total_seconds() / 3600 if first else float("-inf")
    base_band = max((n for t, n in noise if t < WAVE), default=0.0) // BAND
    risen = next((t for t, n in noise if t >= WAVE and n // BAND > base_band), None)
    rise_min = (risen - WAVE).total_seconds() / 60 if risen else float("inf")
    duplicates = sum(c - 1 for c in after.values() if c > 1)
    report.line(f"   {runs} simulated polls from {FILED - timedelta(hours=12):%a %d %H:%M} "
                f"to {end:%a %d %H:%M} Eastern; {len(world.hooks)} webhook calls")
    report.line(f"   filing -> first alert: {lead_min:.0f} min (target <= "
                f"{PI_EVERY.total_seconds() / 60:.0f}); {ahead_h:.1f} h before publication "
                "(target >= 24)")
    report.line(f"   news wave -> event noise up one level: {rise_min:.0f} min (target <= "
                f"{NEWS_EVERY.total_seconds() / 60:.0f}); noise before "
                f"{max((n for t, n in noise if t < WAVE), default=0):.1f}, after "
                f"{noise[-1][1] if noise else 0:.1f}")
    report.line(f"   duplicate alerts across 20 more runs: {duplicates} "
                f"(webhook calls {sum(before.values())} -> {sum(after.values())}; "
                f"alert_log rows {logged[0]}, distinct {logged[1]})")
    met_lead = lead_min <= PI_EVERY.total_seconds() / 60 and ahead_h >= 24
    met_rise = rise_min <= NEWS_EVERY.total_seconds() / 60
    met_dup = duplicates == 0 and before == after and logged[0] == logged[1]
    pi_min, news_min = PI_EVERY.total_seconds() / 60, NEWS_EVERY.total_seconds() / 60
    figures = [
        ratio_figure("timeliness.filing_to_first_alert", lead_min, pi_min, unit="min",
                     higher_is_better=False, target=1.0, baseline_name="one public-inspection "
                     "poll interval", measured_name="filing to the first alert"),
        ratio_figure("timeliness.first_alert_before_publication", ahead_h, 24, unit="h",
                     higher_is_better=True, target=1.0, baseline_name="24 h",
                     measured_name="first alert ahead of publication"),
        ratio_figure("timeliness.news_wave_to_noise_level", rise_min, news_min, unit="min",
                     higher_is_better=False, target=1.0, baseline_name="one news poll "
                     "interval", measured_name="wave start to the event's noise up one level"),
        ratio_figure("timeliness.distinct_alerts_in_20_more_runs", len(after),
                     sum(after.values()), unit="alerts", higher_is_better=True, target=1.0,
                     baseline_name="webhook calls", measured_name="distinct alerts",
                     note=f"{duplicates} duplicate(s); alert_log rows {logged[0]}, distinct "
                          f"{logged[1]}"),
    ]
    figures[-1]["met"] = met_dup
    return {"figures": figures, "ok": first is not None and risen is not None,
            "targets_met": met_lead and met_rise and met_dup}


def _event_noise(db: Any) -> float:
    """Return the latest noise of the event holding the AI Diffusion rule (0 before one)."""
    row = db.execute(
        "SELECT s.noise FROM event_items ei JOIN event_scores s ON s.event_id = ei.event_id "
        "WHERE ei.item_id = 'fr-public-inspection:2025-00636' ORDER BY s.id DESC LIMIT 1"
    ).fetchone()
    return float(row[0]) if row else 0.0
