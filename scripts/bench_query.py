#!/usr/bin/env python3
"""query: `monitor signals --since 30d --format json` and `monitor digest --since 7d` on a
database of 1,000,000 items (quick: 100,000), against SELECT count(*) over the same table.

The database is the project's schema (monitor.store.open_db runs the migrations), filled in
bulk with sqlite3 executemany in large transactions, as the store writes its rows:

* items       - spread evenly over the last three years up to now (so a period ending now
                holds its share: ~0.9 relevant items per 1,000 per day), real labelled titles
                and summaries (tests/data/labels.csv) padded to 150..600 characters; 10% from
                Federal Register sources (extra with type, citation, document number; a few
                public-inspection drafts), 2% undated (their fetch time counts);
* signals     - one per item (as `monitor run` classifies every item); ~15% relevant with
                topics, topic cues, stance, authority and entities as JSON the way
                store.save_signals writes them; signal_entities for the entities (dockets,
                citations, thresholds, comment deadlines, some in the next 30 days);
* events      - one per ~10 relevant items (members of recent open events), each with one
                event_scores row (topics and stance_mix JSON as store/events.py writes them);
                0.5% of events merged into another (event_merges);
* sources     - 40 with source_state (two failing for days) and a month of fetch_log rows.

The items table's FTS5 triggers and secondary indexes are dropped during the load and
re-created from their own SQL afterwards (the FTS index rebuilt once); the schema is then
checked to be exactly what the migrations made.

Timed as a user runs them: subprocesses (`python -m monitor.cli ...`, stdout to /dev/null),
one warm-up (its output checked), then the best of 5; the baseline, in the same run, is a
subprocess `python -c` opening the database with the sqlite3 module and running
SELECT count(*) FROM items, and `monitor --help` shows the CLI's start-up (imports). Target:
each command under 1 s. On a miss (full mode, or with --profile) each command is profiled
(cProfile in the subprocess) and its imports broken down.

Run through scripts/bench (`scripts/bench query [--quick] [--json]`) or directly.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import ROOT, Report, forbid_network, ratio_figure  # noqa: E402
from bench_data import FILLER, OUTLETS, labelled  # noqa: E402
from bench_timeline import (  # noqa: E402
    absolute,
    best_of,
    import_breakdown,
    monitor_cmd,
    profile_cli,
    report_profile,
    startup_baseline,
)

from monitor import store  # noqa: E402

DEBATE = "open-weights"  # the id of the shipped debate sources.yaml names
SEED = 20240917
DAYS = 3 * 365
RELEVANT_SHARE = 0.15
ITEMS_PER_EVENT = 10
TARGET_SECONDS = 1.0
SIGNAL_KEYS = {"id", "title", "url", "source", "published", "relevance", "topics", "stance",
               "authority", "entities", "event", "earliest", "publishes"}
BATCH = 50_000


@dataclass(frozen=True)
class Sizes:
    items: int
    repeats: int


FULL = Sizes(items=1_000_000, repeats=5)
QUICK = Sizes(items=100_000, repeats=5)


def _dump(value: Any) -> str:  # as store._dump
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _entity(kind: str, value: str, text: str, start: int = -1) -> dict[str, Any]:
    # dataclasses.asdict(Entity(...)): kind, value, text, start, end
    return {"kind": kind, "value": value, "text": text, "start": start,
            "end": -1 if start < 0 else start + len(text)}


class Generator:
    """Deterministic rows (fixed seed) relative to ``now``."""

    def __init__(self, n: int, now: datetime) -> None:
        self.n = n
        self.now = now
        self.rng = random.Random(SEED)
        rows = labelled()
        self.relevant_rows = [r for r in rows if r["relevant"] == "1"]
        self.other_rows = [r for r in rows if r["relevant"] != "1"]
        self.texts: dict[int, list[str]] = {}
        self.fr_sources = [f"fr-{name}" for name in ("ntia", "bis", "executive-orders", "term")]
        self.feed_sources = [f"news-{i:02d}" for i in range(34)] + ["ntia-newsroom",
                                                                    "whitehouse-briefings"]
        self.sources = self.fr_sources + self.feed_sources
        self.open_events: list[str] = []  # ids of the events new items may still join
        self.events: dict[str, dict[str, Any]] = {}

    def summary(self, row: dict[str, str]) -> str:
        """The real summary, then filler to 150..600 characters (a pool of 16 per row)."""
        key = id(row)
        pool = self.texts.get(key)
        if pool is None:
            pool = []
            for _ in range(16):
                words = (row["summary"] or row["title"]).split()
                size = self.rng.randrange(150, 600)
                while sum(len(w) + 1 for w in words) < size:
                    words.append(self.rng.choice(FILLER))
                pool.append(" ".join(words)[:size])
            self.texts[key] = pool
        return self.rng.choice(pool)

    def rows(self) -> Any:
        """Yield (item row, signal row, entity rows, event row or None) in time order."""
        rng = self.rng
        span = DAYS * 86400
        start = self.now - timedelta(seconds=span)
        for i in range(self.n):
            when = start + timedelta(seconds=span * (i + rng.random()) / self.n)
            relevant = rng.random() < RELEVANT_SHARE
            row = rng.choice(self.relevant_rows if relevant else self.other_rows)
            fr = rng.random() < 0.10
            source = rng.choice(self.fr_sources if fr else self.feed_sources)
            guid = hashlib.sha1(f"{SEED}:{i}".encode()).hexdigest()[:16]
            item_id = f"{source}:{guid}"
            fetched = min(when + timedelta(minutes=rng.randrange(5, 360)), self.now)
            published = None if rng.random() < 0.02 else when.isoformat()
            extra: dict[str, Any] = {}
            doc_type = None
            if fr:
                doc_type = rng.choice(["Rule", "Proposed Rule", "Notice", "Notice",
                                       "Presidential Document"])
                number = f"{when.year}-{rng.randrange(1, 29999):05d}"
                extra = {"document_number": number, "type": doc_type,
                         "publication_date": when.date().isoformat(),
                         "agencies": ["Commerce Department"]}
                if rng.random() < 0.05:  # public inspection: filed, not yet published
                    extra["filed_at"] = when.isoformat()
                else:
                    extra["citation"] = f"{when.year - 1935} FR {rng.randrange(1000, 99999)}"
                url = f"https://www.federalregister.gov/d/{number}"
                kind = "federal_register"
            else:
                url = f"https://{rng.choice(OUTLETS)}/{when:%Y/%m}/{guid}"
                kind = "feed"
            prefix = rng.choice(["", "", "", "Update: ", "Analysis: ", "Report: "])
            item = (item_id, source, guid, url, f"{prefix}{row['title']}", self.summary(row),
                    published, fetched.isoformat(), kind,
                    json.dumps(extra, sort_keys=True, ensure_ascii=False, default=str))
            entities: list[dict[str, Any]] = []
            if relevant:
                topics = [t for t in row["topics"].split(";") if t] or \
                    ["open_weight_restrictions"]
                if fr:
                    authority = {"Rule": "final", "Presidential Document": "final",
                                 "Proposed Rule": "proposed"}.get(doc_type or "", "official")
                    entities.append(_entity("fr_doc", extra["document_number"],
                                            extra["document_number"]))
                    if "citation" in extra:
                        entities.append(_entity("fr_citation", extra["citation"],
                                                extra["citation"]))
                    if doc_type == "Proposed Rule":
                        due = (when + timedelta(days=rng.randrange(30, 61))).date().isoformat()
                        entities.append(_entity("comment_deadline", due, due))
                else:
                    authority = rng.choice(["news", "news", "news", "commentary", "official"])
                if rng.random() < 0.2:
                    entities.append(_entity("docket", "BIS-2024-0047", "BIS-2024-0047",
                                            rng.randrange(0, 100)))
                if rng.random() < 0.15:
                    entities.append(_entity("threshold", "1e26 operations",
                                            "10^26 operations", rng.randrange(0, 100)))
                stance = rng.choice(["restrict", "open", "neutral", "unknown"])
                signal = (item_id, DEBATE, "bench", round(rng.uniform(0.5, 0.99), 3), 1,
                          _dump(topics), _dump({t: ["bench cue"] for t in topics}), stance,
                          _dump(["bench stance cue"] if stance != "unknown" else []),
                          authority, "bench", _dump(entities), fetched.isoformat())
                membership = self._place(item_id, item, when, fetched, topics, stance,
                                         authority, rng)
            else:
                signal = (item_id, DEBATE, "bench", round(rng.uniform(0.0, 0.45), 3), 0,
                          "[]", "{}", "unknown", "[]", "news", "bench", "[]",
                          fetched.isoformat())
                membership = None
            ent_rows = [(item_id, DEBATE, e["kind"], e["value"]) for e in entities]
            yield item, signal, ent_rows, membership

    def _place(self, item_id: str, item: tuple[Any, ...], when: datetime, fetched: datetime,
               topics: list[str], stance: str, authority: str, rng: random.Random
               ) -> tuple[Any, ...]:
        """Join one of the recent open events, or open a new one (one per ~10 items)."""
        day = when.toordinal()
        self.open_events = [e for e in self.open_events
                            if day - self.events[e]["first_day"] <= 7]
        if not self.open_events or rng.random() < 1 / ITEMS_PER_EVENT:
            eid = "ev-" + hashlib.sha1(f"{DEBATE}\0{item_id}".encode()).hexdigest()[:12]
            self.events[eid] = {"anchor": item_id, "created_at": fetched.isoformat(),
                                "first_day": day, "title": item[4], "date": when.date(),
                                "kind": "news" if item[8] == "feed" else "rule",
                                "authority": authority, "topics": {}, "stances": {},
                                "outlets": set(), "times": [], "echo": 0}
            self.open_events.append(eid)
            if len(self.open_events) > 5:
                self.open_events.pop(0)
            via = "first item"
        else:
            eid = rng.choice(self.open_events)
            via = rng.choice(["similar text (0.61)", "coverage alike (0.24), same topic",
                              "same link", "cites docket:BIS-2024-0047"])
        ev = self.events[eid]
        role = "echo" if via == "same link" else "member"
        if role == "echo":
            ev["echo"] += 1
        else:
            ev["times"].append(when)
            ev["outlets"].add(item[3].split("/")[2])
            for t in topics:
                ev["topics"][t] = ev["topics"].get(t, 0) + 1
            ev["stances"][stance] = ev["stances"].get(stance, 0) + 1
        return (item_id, DEBATE, eid, role, via, fetched.isoformat())

    def scores(self) -> Any:
        """Yield one event_scores row per event (as store.events._score_row writes it)."""
        now = self.now
        for eid, ev in self.events.items():
            times = sorted(ev["times"]) or [datetime.combine(ev["date"], datetime.min.time(),
                                                             UTC)]
            attention = sum(0.5 ** ((now - t).total_seconds() / 86400 / 3) for t in times)
            peak = current = 0.0
            previous = None
            for t in times:
                if previous is not None:
                    current *= 0.5 ** ((t - previous).total_seconds() / 86400 / 3)
                current += 1.0
                previous = t
                peak = max(peak, current)
            outlets = max(len(ev["outlets"]), 1)
            raw = peak * (1 + math.log2(outlets))
            noise = round(100 * (1 - math.exp(-raw / 4)), 1)
            recent = sum(1 for t in times if timedelta(0) <= now - t <= timedelta(days=2))
            topics = [t for t, _ in sorted(ev["topics"].items(), key=lambda kv: (-kv[1],
                                                                                 kv[0]))]
            yield (eid, DEBATE, now.isoformat(), ev["title"], ev["date"].isoformat(),
                   ev["kind"], ev["authority"], json.dumps(topics),
                   json.dumps(dict(sorted(ev["stances"].items()))), len(times), outlets,
                   ev["echo"], round(attention, 4), round(peak, 4), round(recent / 2, 2),
                   round(raw, 4), noise, round(noise / 100, 4), 150, times[0].isoformat(),
                   times[-1].isoformat())


def _schema(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    return sorted(conn.execute("SELECT type, name, coalesce(sql, '') FROM sqlite_master "
                               "WHERE name NOT LIKE 'sqlite_%'").fetchall())


def build_db(path: Path, n: int, now: datetime, rep: Report) -> dict[str, Any]:
    """Create the schema with the project's migrations, then load ``n`` items in bulk."""
    t_start = time.perf_counter()
    db = store.open_db(path)
    db.conn.close()
    conn = sqlite3.connect(path, isolation_level=None)
    before = _schema(conn)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")  # 1 GB of page cache for the load
    conn.execute("PRAGMA temp_store = MEMORY")
    # Secondary indexes on items and the FTS triggers go during the load, and come back
    # from their own SQL afterwards.
    deferred = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'items' AND sql IS NOT "
        "NULL AND type IN ('index', 'trigger')").fetchall()
    for kind, name, _ in deferred:
        conn.execute(f"DROP {kind.upper()} [{name}]")
    gen = Generator(n, now)
    counts = {"items": 0, "relevant": 0, "entities": 0, "memberships": 0}
    items: list[tuple[Any, ...]] = []
    signals: list[tuple[Any, ...]] = []
    ents: list[tuple[Any, ...]] = []
    members: list[tuple[Any, ...]] = []

    def flush() -> None:
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO items (id, source_id, guid, url, title, summary, "
                         "published, fetched_at, kind, extra) VALUES (?,?,?,?,?,?,?,?,?,?)",
                         items)
        conn.executemany("INSERT INTO signals (item_id, debate, version, relevance, relevant,"
                         " topics, topic_cues, stance, stance_cues, authority, "
                         "authority_reason, entities, classified_at) VALUES "
                         "(?,?,?,?,?,?,?,?,?,?,?,?,?)", signals)
        conn.executemany("INSERT OR IGNORE INTO signal_entities (item_id, debate, kind, "
                         "value) VALUES (?,?,?,?)", ents)
        conn.executemany("INSERT INTO event_items (item_id, debate, event_id, role, via, "
                         "added_at) VALUES (?,?,?,?,?,?)", members)
        conn.execute("COMMIT")
        for rows in (items, signals, ents, members):
            rows.clear()

    t0 = time.perf_counter()
    for item, signal, ent_rows, membership in gen.rows():
        items.append(item)
        signals.append(signal)
        ents.extend(ent_rows)
        counts["items"] += 1
        counts["relevant"] += signal[4]
        counts["entities"] += len(ent_rows)
        if membership is not None:
            members.append(membership)
            counts["memberships"] += 1
        if len(items) >= BATCH:
            flush()
    flush()
    rows_s = time.perf_counter() - t0
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO events (id, debate, created_at, anchor_item) VALUES "
                     "(?,?,?,?)", [(eid, DEBATE, ev["created_at"], ev["anchor"])
                                   for eid, ev in gen.events.items()])
    conn.executemany("INSERT INTO event_scores (event_id, debate, computed_at, title, date, "
                     "kind, authority, topics, stance_mix, items, outlets, echo, attention, "
                     "peak_attention, velocity, raw, noise, percentile, reference_events, "
                     "first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                     gen.scores())
    ids = list(gen.events)
    merged = [(ids[i], ids[i - 1], DEBATE, now.isoformat(), "new items link them")
              for i in range(200, len(ids), 200)]  # 0.5% of events
    conn.executemany("INSERT INTO event_merges (from_event, into_event, debate, merged_at, "
                     "reason) VALUES (?,?,?,?,?)", merged)
    states = []
    log_rows = []
    for k, source in enumerate(gen.sources):
        failing = k in (5, 17)
        last_ok = now - timedelta(days=4 if failing else 0, hours=k % 6)
        states.append((source, f'"{k:04x}"', None, "failing" if failing else "ok",
                       (now - timedelta(minutes=20)).isoformat(), last_ok.isoformat(),
                       "HTTP 503 from the server" if failing else None, 9 if failing else 0,
                       (now + timedelta(hours=6)).isoformat(), 503 if failing else 200))
        for d in range(30):
            started = now - timedelta(days=d, hours=k % 6)
            ok = not (failing and d < 4)
            log_rows.append((source, started.isoformat(), "ok" if ok else "error",
                             200 if ok else 503, 20_000, 1, 20, 0, 350,
                             None if ok else "HTTP 503", None))
    conn.executemany("INSERT INTO source_state (source_id, etag, last_modified, status, "
                     "last_attempt, last_success, last_error, error_count, next_attempt, "
                     "last_http_status) VALUES (?,?,?,?,?,?,?,?,?,?)", states)
    conn.executemany("INSERT INTO fetch_log (source_id, started, status, http_status, bytes, "
                     "pages, items_seen, items_new, duration_ms, error, notes) VALUES "
                     "(?,?,?,?,?,?,?,?,?,?,?)", log_rows)
    conn.execute("COMMIT")
    t0 = time.perf_counter()
    for kind, _, sql in deferred:
        if kind == "index":
            conn.execute(sql)
    index_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for kind, _, sql in deferred:
        if kind == "trigger":
            conn.execute(sql)
    conn.execute("INSERT INTO items_fts(items_fts) VALUES('rebuild')")
    fts_s = time.perf_counter() - t0
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    after = _schema(conn)
    fts_rows = conn.execute("SELECT count(*) FROM items_fts").fetchone()[0]
    conn.close()
    info = {
        **counts, "events": len(gen.events), "merges": len(merged),
        "sources": len(gen.sources), "fetch_log": len(log_rows),
        "schema_unchanged": before == after, "fts_rows": fts_rows,
        "seconds": {"rows": round(rows_s, 1), "indexes": round(index_s, 1),
                    "fts_rebuild": round(fts_s, 1),
                    "total": round(time.perf_counter() - t_start, 1)},
        "mb": round(path.stat().st_size / 1e6, 1),
    }
    rep.line(f"   built {n:,} items ({counts['relevant']:,} relevant, {len(gen.events):,} "
             f"events, {len(merged)} merges, {counts['entities']:,} entities) in "
             f"{info['seconds']['total']:.0f} s: rows {rows_s:.0f} s, indexes {index_s:.0f} s,"
             f" FTS rebuild {fts_s:.0f} s; {info['mb']:,.0f} MB; schema as migrated: "
             f"{'yes' if info['schema_unchanged'] else 'NO'}")
    return info


def count_since(path: Path, since: str) -> int:
    """How many relevant items a period from ``since`` holds (direct SQL)."""
    with sqlite3.connect(path) as conn:
        return int(conn.execute(
            "SELECT count(*) FROM items JOIN signals ON signals.item_id = items.id AND "
            "signals.debate = ? WHERE signals.relevant = 1 AND "
            "coalesce(items.published, items.fetched_at) >= ?", [DEBATE, since]).fetchone()[0])


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


# --- where a command's time goes, in-process (a fresh child) ---------------------------------

def breakdown_child(db_path: str) -> None:
    """Time the steps of `signals --since 30d --format json` and of `digest --since 7d` in
    this (fresh) process, each store call the digest's report.build makes, and the query
    plans of its two signal queries; print one JSON line."""
    t0 = time.perf_counter()
    from monitor import pipeline, report
    from monitor import store as st
    from monitor.config import load_config, parse_since
    from monitor.outputs import render
    from monitor.store import outputs
    from monitor.types.times import iso

    out: dict[str, Any] = {"imports_s": time.perf_counter() - t0}
    t0 = time.perf_counter()
    config = load_config(ROOT / "sources.yaml")
    out["load_config_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    db = st.open_db(db_path)
    out["open_db_s"] = time.perf_counter() - t0
    now = pipeline.utcnow()
    since30 = parse_since("30d", now)
    t0 = time.perf_counter()
    rows = st.query_signals(db, DEBATE, since=since30)
    out["signals_query_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    json.dumps([{"id": r.id, "title": r.title, "url": r.url, "source": r.source,
                 "published": iso(r.published), "relevance": r.relevance,
                 "topics": list(r.topics),
                 "stance": r.stance, "authority": r.authority,
                 "entities": [{"kind": e.kind, "value": e.value} for e in r.entities],
                 "event": r.event} for r in rows], indent=2, ensure_ascii=False)
    out["signals_json_s"] = time.perf_counter() - t0
    out["signals_rows"] = len(rows)
    calls: list[dict[str, Any]] = []
    for name in ("query_signals", "latest_scores", "merges", "deadlines", "noise_days",
                 "get_states"):
        real = getattr(st, name)

        def timed(*args: Any, __real: Any = real, __name: str = name, **kw: Any) -> Any:
            c0 = time.perf_counter()
            try:
                return __real(*args, **kw)
            finally:
                shown = {k: (f"{len(list(v))} ids" if k == "events" else v)
                         for k, v in kw.items() if v is not None}
                calls.append({"call": __name, "args": shown,
                              "seconds": round(time.perf_counter() - c0, 4)})

        setattr(st, name, timed)
    since7 = parse_since("7d", now)
    t0 = time.perf_counter()
    rep = report.build(db, config, since7, now)
    out["digest_report_build_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    render.digest_markdown(rep)
    out["digest_render_s"] = time.perf_counter() - t0
    out["digest_calls"] = calls
    ids = sorted({s.event for s in rep.signals if s.event})
    tail = " ORDER BY coalesce(items.published, items.fetched_at) DESC, items.id"
    period_sql = outputs._SIGNAL_SQL + " AND coalesce(items.published, items.fetched_at) >= ?"
    events_sql = outputs._SIGNAL_SQL + f" AND event_items.event_id IN ({','.join('?' * len(ids))})"
    out["plans"] = {
        "period": [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + period_sql + tail,
                                            [DEBATE, since7.isoformat()])],
        "events": [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + events_sql + tail,
                                            [DEBATE, *ids])],
    }
    # The same events query driven from event_items (what an index on event_id allows).
    alt = events_sql.replace("FROM items\nCROSS JOIN signals", "FROM items\nJOIN signals")
    t0 = time.perf_counter()
    n_alt = len(db.execute(alt + tail, [DEBATE, *ids]).fetchall())
    out["events_query_planner_s"] = time.perf_counter() - t0
    out["events_query_planner_rows"] = n_alt
    out["events_query_planner_plan"] = [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + alt
                                                                 + tail, [DEBATE, *ids])]
    # ...and driven from event_items through its event_id index (a proposed fix).
    select = outputs._SIGNAL_SQL.split("FROM items")[0]
    driven = (select + "FROM event_items CROSS JOIN items ON items.id = event_items.item_id "
              "CROSS JOIN signals ON signals.item_id = items.id AND signals.debate = "
              "event_items.debate WHERE event_items.debate = ? AND signals.relevant = 1 AND "
              f"event_items.event_id IN ({','.join('?' * len(ids))})")
    t0 = time.perf_counter()
    n_driven = len(db.execute(driven + tail, [DEBATE, *ids]).fetchall())
    out["events_query_driven_s"] = time.perf_counter() - t0
    out["events_query_driven_rows"] = n_driven
    out["events_query_driven_plan"] = [r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN " + driven + tail, [DEBATE, *ids])]
    print(json.dumps(out, default=str))  # plans and timings; a period bound is a datetime


def breakdown(path: Path, rep: Report) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--breakdown", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"breakdown child exited {proc.returncode}: {proc.stderr[-1500:]}")
    b: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    rep.line(f"   in-process breakdown (fresh process): imports {b['imports_s']:.3f} s, "
             f"load_config {b['load_config_s']:.3f} s, open_db {b['open_db_s']:.3f} s")
    rep.line(f"     signals --since 30d: query_signals {b['signals_query_s']:.3f} s "
             f"({b['signals_rows']:,} rows), JSON encoding {b['signals_json_s']:.3f} s")
    rep.line(f"     digest --since 7d: report.build {b['digest_report_build_s']:.3f} s, render "
             f"{b['digest_render_s']:.3f} s; the store calls of report.build:")
    for c in sorted(b["digest_calls"], key=lambda c: -c["seconds"])[:6]:
        args = ", ".join(f"{k}={v}" for k, v in c["args"].items())
        rep.line(f"       {c['seconds']:7.3f} s  store.{c['call']}({args})")
    rep.line("     query plan, period query: " + "; ".join(b["plans"]["period"]))
    rep.line("     query plan, events query: " + "; ".join(b["plans"]["events"]))
    rep.line(f"     the events query without CROSS JOIN (the planner free to start from "
             f"event_items): {b['events_query_planner_s']:.3f} s, "
             f"{b['events_query_planner_rows']:,} rows; plan: "
             + "; ".join(b["events_query_planner_plan"]))
    rep.line(f"     the events query driven from event_items (CROSS JOIN event_items, items, "
             f"signals): {b['events_query_driven_s']:.3f} s, "
             f"{b['events_query_driven_rows']:,} rows; plan: "
             + "; ".join(b["events_query_driven_plan"]))
    return b


def run(quick: bool = False, report: Report | None = None, force_profile: bool = False
        ) -> dict[str, Any]:
    forbid_network()
    rep = report or Report(quiet=False)
    p = QUICK if quick else FULL
    figures: list[dict[str, Any]] = []
    out: dict[str, Any] = {"items": p.items}
    rep.line(f"== query: `signals --since 30d --format json` and `digest --since 7d` on "
             f"{p.items:,} items over {DAYS // 365} years up to now (~{RELEVANT_SHARE:.0%} "
             "relevant), as subprocesses, against SELECT count(*) FROM items")
    with tempfile.TemporaryDirectory(prefix="monitor-bench-query-") as tmpdir:
        tmp = Path(tmpdir)
        path = tmp / "query.db"
        build = build_db(path, p.items, now_utc(), rep)
        out["build"] = build
        base_s, base_out, startup, baseline = startup_baseline(path, p.repeats, rep, "query")
        figures.append(startup)
        startup_s = baseline["monitor_help_s"]
        commands = {
            "signals": (("signals", "--since", "30d", "--format", "json"), 30),
            "digest": (("digest", "--since", "7d"), 7),
        }
        results: dict[str, Any] = {}
        checks: dict[str, Any] = {}
        for name, (args, days) in commands.items():
            cmd = monitor_cmd(path, *args)
            lo_since = (now_utc() - timedelta(days=days)).isoformat()
            t, samples, text = best_of(cmd, p.repeats)
            hi_since = (now_utc() - timedelta(days=days)).isoformat()
            # the command's own `now` falls between the two: its count between theirs
            most, least = count_since(path, lo_since), count_since(path, hi_since)
            if name == "signals":
                rows = json.loads(text)
                count = len(rows)
                keys_ok = all(set(r) == SIGNAL_KEYS for r in rows)
                dates = [r["published"] or "" for r in rows if r["published"]]
                newest_first = all(a >= b for a, b in zip(dates, dates[1:], strict=False))
                in_events = sum(1 for r in rows if r["event"])
                ok = bool(least <= count <= most and keys_ok and newest_first and count > 0)
                detail = (f"{count:,} items ({in_events:,} in events), "
                          f"{len(text) / 1e6:.1f} MB of JSON")
            else:
                m = re.search(r"(\d+) relevant items, (\d+) events", text)
                count = int(m.group(1)) if m else -1
                events = int(m.group(2)) if m else -1
                ok = bool(text.startswith("# ") and least <= count <= most and events > 0
                          and "## Key events" in text)
                detail = f"{count:,} items, {events:,} events, {len(text) / 1e3:.0f} kB"
            checks[name] = {"count": count, "expected_between": [least, most], "ok": ok}
            results[name] = {"seconds": round(t, 4), "samples": [round(s, 4) for s in samples]}
            fig = absolute(ratio_figure(
                f"query.{name}_vs_sqlite_count", t, base_s, unit="s", higher_is_better=False,
                measured_name=f"monitor {' '.join(args)} ({p.items:,} items, best of "
                              f"{p.repeats})",
                baseline_name="python -c sqlite3 SELECT count(*) FROM items",
                note="ratio < 1: how many times slower than the baseline; target on the "
                     "measured value"), f"< {TARGET_SECONDS:.0f} s absolute",
                t < TARGET_SECONDS)
            figures.append(fig)
            rep.line(f"   monitor {' '.join(args):<34} {t:6.3f} s  ({detail}; "
                     f"{fig['ratio']:.3f}x the baseline's speed; minus start-up "
                     f"{max(t - startup_s, 0):.3f} s; target < {TARGET_SECONDS:.0f} s: "
                     f"{'met' if fig['met'] else 'MISSED'})")
            rep.line(f"     output check: {count:,} items, expected {least:,}..{most:,} "
                     f"(direct SQL over the same period): {'ok' if ok else 'FAILED'}")
        out["commands"] = results
        out["checks"] = checks
        out["baseline"] = baseline
        missed = [f for f in figures if f.get("met") is False]
        if force_profile or (missed and not quick):
            imports = import_breakdown()
            out["startup_imports"] = imports
            rep.line("   start-up: the costliest imports of `monitor --help` (python -X "
                     "importtime, cumulative): " + ", ".join(
                         f"{r['module']} {r['cumulative_ms']:.0f} ms" for r in imports[:6]))
            out["breakdown"] = breakdown(path, rep)
            out["profiles"] = {}
            for name, (args, _) in commands.items():
                prof = profile_cli(monitor_cmd(path, *args), name, tmp)
                out["profiles"][name] = prof
                report_profile(rep, f"monitor {' '.join(args)} ({p.items:,} items)", prof)
    ok = bool(build["schema_unchanged"] and build["fts_rows"] == p.items
              and all(c["ok"] for c in checks.values()))
    out.update({"figures": figures, "ok": ok,
                "targets_met": all(f.get("met", True) for f in figures)})
    return out


if __name__ == "__main__" and len(sys.argv) >= 3 and sys.argv[1] == "--breakdown":
    breakdown_child(sys.argv[2])
elif __name__ == "__main__":
    as_json = "--json" in sys.argv
    result = run("--quick" in sys.argv, Report(quiet=as_json),
                 force_profile="--profile" in sys.argv)
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["ok"] else 1)
