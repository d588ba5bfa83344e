#!/usr/bin/env python3
"""ingest: the project's parse + store of a feed corpus, against feedparser's parse-only rate.

Full: 200 RSS 2.0 feeds x 100 entries = 20,000 entries, generated deterministically (fixed
seed, one RNG per feed so a smaller corpus is a prefix of the larger one) into a temp dir.
Measured in one run, on the same bytes:

* baseline - feedparser.parse(io.BytesIO(body)) per feed body (parse only), interleaved
             feed by feed with the project's path so machine noise hits both alike
* project  - monitor.parse.parse(source, Fetched(...)) then monitor.store.save_source_run(...)
             into a file DB in the temp dir, one transaction per feed (as the pipeline does)
* classify - (full mode, informational) the same with signals_for = the default debate's
             classifier, which pipeline.run now passes to save_source_run
* memory   - peak RSS of a fresh subprocess ingesting 5,000 and 20,000 entries (VmHWM reset
             after imports + open DB, so it is the ingest's own peak; ru_maxrss reported too)
             and tracemalloc peaks; the ingest holds one feed at a time, so the peak must not
             grow with the corpus.

When the rate misses its target (or with --profile) the project's path is profiled with
cProfile and the time is broken down by file:function.

Run through scripts/bench (`scripts/bench ingest [--quick] [--json] [--profile]`) or directly.
"""

from __future__ import annotations

import cProfile
import gc
import hashlib
import io
import json
import pstats
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import ROOT, Report, forbid_network, ratio_figure  # noqa: E402

SEED = 20240701
TARGET_RATE_SHARE = 0.5  # the project's items/s at least 50% of feedparser's parse-only rate
TARGET_RSS_GROWTH = 1.25  # peak RSS at the large size at most 1.25x the small size's


@dataclass(frozen=True)
class Sizes:
    feeds: int
    entries: int  # per feed
    memory_feeds: tuple[int, int]  # the two sizes, in feeds, measured in fresh processes
    tracemalloc: bool
    profile_feeds: int
    classify: bool


FULL = Sizes(feeds=200, entries=100, memory_feeds=(50, 200), tracemalloc=True,
             profile_feeds=20, classify=True)
QUICK = Sizes(feeds=20, entries=50, memory_feeds=(5, 20), tracemalloc=False, profile_feeds=5,
              classify=False)

# --- a deterministic, realistic corpus ----------------------------------------------------

_WORD_TEXT = (
    "agency comment rule proposed final notice model weights open release frontier risk "
    "safety evaluation export control compute threshold reporting requirement developer "
    "deployment disclosure transparency public docket hearing committee senate house bill "
    "amendment framework guidance standard benchmark red-team audit incident liability "
    "license access research community security national infrastructure critical dual-use "
    "foundation system capability assessment mitigation policy stakeholder industry "
    "academic civil society response request information deadline extension federal "
    "register department commerce bureau industry administration executive order section "
    "paragraph interim definition covered entity threshold parameter training run inference "
    "hosting cloud provider customer verification know-your-customer open-source weights "
    "downloadable"
)
_WORDS = tuple(_WORD_TEXT.split())
_AGENCIES = ("Bureau of Industry and Security", "NTIA", "NIST", "Office of Science and "
             "Technology Policy", "Federal Trade Commission", "Copyright Office")


def _sentence(rng: random.Random, lo: int = 8, hi: int = 18) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(lo, hi))]
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def _description(rng: random.Random, feed: int, entry: int) -> str:
    """An HTML description of 300-800 characters: paragraphs, a link, emphasis, entities."""
    want = rng.randint(300, 800)
    parts: list[str] = []
    while sum(map(len, parts)) < want:
        s = _sentence(rng)
        kind = rng.random()
        if kind < 0.15:
            s = (f'{s} See <a href="https://www.example.gov/docs/{feed}-{entry}-{len(parts)}">'
                 "the docket</a>.")
        elif kind < 0.3:
            w = rng.choice(_WORDS)
            s = s.replace(w, f"<em>{w}</em>", 1)
        elif kind < 0.4:
            s = f"<strong>{rng.choice(_AGENCIES)}</strong> &amp; partners: {s}"
        elif kind < 0.45:
            s = f"{s} &#8220;{_sentence(rng, 3, 6)}&#8221;"
        parts.append(f"<p>{s}</p>")
    while sum(map(len, parts)) > 800 and len(parts) > 1:
        parts.pop()
    while sum(map(len, parts)) < 300:
        parts.append("<p>Comments are due within sixty days.</p>")
    html = "".join(parts)
    assert 300 <= len(html) <= 800, len(html)
    return html


def feed_bytes(feed: int, entries: int) -> bytes:
    """Return feed ``feed`` of the corpus: RSS 2.0 with ``entries`` items, deterministic."""
    rng = random.Random(SEED * 1000 + feed)
    start = datetime(2024, 7, 1, tzinfo=UTC) - timedelta(hours=feed)
    site = f"https://news{feed % 37}.example.org"
    out = [
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
        f"<title>{escape(rng.choice(_AGENCIES))} &#8212; policy feed {feed}</title>\n"
        f"<link>{site}/</link>\n"
        f'<atom:link href="{site}/feed-{feed}.xml" rel="self" type="application/rss+xml"/>\n'
        f"<description>Notices and updates, feed {feed}</description>\n"
        "<language>en-us</language>\n"
        f"<lastBuildDate>{format_datetime(start, usegmt=True)}</lastBuildDate>\n"
    ]
    for i in range(entries):
        title = _sentence(rng, 5, 12).rstrip(".")
        if rng.random() < 0.1:
            title = title.replace(" ", " & ", 1)
        slug = "-".join(title.lower().split()[:6]).replace("&", "and")
        link = f"{site}/{2024 - i // 60}/{slug}-{feed}-{i}"
        if rng.random() < 0.3:
            link += "?utm_source=rss&utm_medium=feed"
        when = start - timedelta(minutes=37 * i + rng.randint(0, 30))
        desc = _description(rng, feed, i)
        body = (f"<![CDATA[{desc}]]>" if rng.random() < 0.5 else escape(desc))
        guid = (f'<guid isPermaLink="true">{escape(link)}</guid>' if rng.random() < 0.5
                else f'<guid isPermaLink="false">tag:news{feed % 37}.example.org,2024:'
                     f"{feed}-{i}</guid>")
        cats = "".join(f"<category>{rng.choice(_WORDS)}</category>"
                       for _ in range(rng.randint(0, 3)))
        author = (f"<dc:creator>{escape(rng.choice(_AGENCIES))}</dc:creator>"
                  if rng.random() < 0.6 else "")
        out.append(
            f"<item>\n<title>{escape(title)}</title>\n<link>{escape(link)}</link>\n{guid}\n"
            f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate>\n{author}{cats}\n"
            f"<description>{body}</description>\n</item>\n")
    out.append("</channel>\n</rss>\n")
    return "".join(out).encode("utf-8")


def write_corpus(folder: Path, feeds: int, entries: int) -> dict[str, Any]:
    """Write the corpus one feed at a time (never all in memory); return its size and digest."""
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    total = 0
    for f in range(feeds):
        body = feed_bytes(f, entries)
        digest.update(body)
        total += len(body)
        (folder / f"feed-{f:04d}.xml").write_bytes(body)
    return {"feeds": feeds, "entries_per_feed": entries, "bytes": total,
            "sha256": digest.hexdigest(), "seed": SEED}


def corpus_files(folder: Path, feeds: int) -> list[Path]:
    return [folder / f"feed-{f:04d}.xml" for f in range(feeds)]


# --- the two paths measured ---------------------------------------------------------------

def feedparser_pass(files: list[Path]) -> tuple[float, int]:
    """feedparser.parse on each body; return (seconds in parse, entries)."""
    import feedparser

    spent = 0.0
    entries = 0
    for path in files:
        body = path.read_bytes()
        t0 = time.perf_counter()
        result = feedparser.parse(io.BytesIO(body))
        spent += time.perf_counter() - t0
        entries += len(result.entries)
        del result
    return spent, entries


class Ingest:
    """The project's path without HTTP: parse(source, Fetched) then save_source_run, one
    transaction per feed, into a file DB. Holds one feed's bytes and items at a time."""

    def __init__(self, db_path: Path, classify: bool = False) -> None:
        from monitor import store
        from monitor.config import Settings

        self.db = store.open_db(db_path)
        self.settings = Settings()
        self.signals_for = classifier() if classify else None

    def one(self, index: int, body: bytes) -> int:
        from monitor import pipeline, store
        from monitor.parse import parse
        from monitor.types import Fetched, Source, SourceRun

        source = Source(id=f"feed-{index:04d}", kind="feed",
                        url=f"http://127.0.0.1/bench/feed-{index:04d}.xml", interval=3600)
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        fetched = Fetched(source_id=source.id, url=source.url, status=200,
                          headers={"content-type": "application/rss+xml; charset=utf-8",
                                   "etag": etag, "content-length": str(len(body))},
                          body=body, elapsed_ms=0)
        started = pipeline.utcnow()
        parsed = parse(source, fetched)
        run = SourceRun(source_id=source.id, status="ok", started=started, http_status=200,
                        bytes=len(body), pages=1, items_seen=len(parsed.items),
                        notes=parsed.notes)
        got = pipeline.Collected(run=run, items=parsed.items, etag=etag)
        state = pipeline.next_state(source, None, got, self.settings, started)
        if self.signals_for is None:
            new = store.save_source_run(self.db, run, state, parsed.items)
        else:
            new = store.save_source_run(self.db, run, state, parsed.items,
                                        signals_for=self.signals_for)
        return len(new)

    def count(self) -> int:
        from monitor import store

        return store.count_items(self.db)

    def close(self) -> None:
        self.db.conn.close()


def classifier() -> Any:
    """The classifier pipeline.run passes to save_source_run for the default debate (None when
    this version of the project has none)."""
    from monitor import pipeline
    from monitor.config import Config, Settings

    try:
        from monitor.config import DEFAULT_DEBATE, load_debate

        config = Config(path="<bench>", settings=Settings(), sources=(),
                        debate=load_debate(DEFAULT_DEBATE))
        return pipeline._classifier(config)
    except (ImportError, AttributeError, TypeError):
        return None


def project_pass(files: list[Path], db_path: Path, offset: int = 0, classify: bool = False
                 ) -> tuple[float, int]:
    """The project's parse + store of each body; return (seconds in parse+store, items new)."""
    ingest = Ingest(db_path, classify)
    spent = 0.0
    new = 0
    try:
        for i, path in enumerate(files):
            body = path.read_bytes()
            t0 = time.perf_counter()
            new += ingest.one(offset + i, body)
            spent += time.perf_counter() - t0
        assert ingest.count() == new, f"rows {ingest.count()} != new items {new}"
    finally:
        ingest.close()
    return spent, new


def paired_pass(files: list[Path], db_path: Path
                ) -> tuple[float, int, float, int, dict[str, float]]:
    """Both paths on each body in turn (feedparser first on even feeds, the project first on
    odd ones), so that noise from other load on the machine hits both alike.
    Return (feedparser s, entries, project s, items new, CPU seconds of each)."""
    import feedparser

    ingest = Ingest(db_path)
    fp_s = pr_s = fp_cpu = pr_cpu = 0.0
    entries = new = 0
    try:
        for i, path in enumerate(files):
            body = path.read_bytes()
            for step in ((0, 1) if i % 2 == 0 else (1, 0)):
                c0, t0 = time.process_time(), time.perf_counter()
                if step == 0:
                    entries += len(feedparser.parse(io.BytesIO(body)).entries)
                    fp_s += time.perf_counter() - t0
                    fp_cpu += time.process_time() - c0
                else:
                    new += ingest.one(i, body)
                    pr_s += time.perf_counter() - t0
                    pr_cpu += time.process_time() - c0
        assert ingest.count() == new, f"rows {ingest.count()} != new items {new}"
    finally:
        ingest.close()
    return fp_s, entries, pr_s, new, {"feedparser": fp_cpu, "monitor": pr_cpu}


# --- memory: one fresh subprocess per size ------------------------------------------------

def _rss_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def worker_main(argv: list[str]) -> None:
    """Subprocess entry: ingest the first N feeds of a corpus; print JSON with peak RSS."""
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--feeds", type=int, required=True)
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--tracemalloc", action="store_true")
    args = ap.parse_args(argv)
    forbid_network()
    import feedparser  # noqa: F401  (import costs are part of the fixed baseline)

    from monitor import pipeline, store  # noqa: F401
    from monitor.parse import parse  # noqa: F401

    ingest = Ingest(args.db)
    rss_ready = _rss_kb("VmRSS")
    startup_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Reset the high-water mark so VmHWM is the peak of the ingest itself (Linux >= 4.0).
    try:
        Path("/proc/self/clear_refs").write_text("5")
        hwm_reset = True
    except OSError:
        hwm_reset = False
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start()
    t0 = time.perf_counter()
    new = 0
    for i, path in enumerate(corpus_files(args.corpus, args.feeds)):
        new += ingest.one(i, path.read_bytes())
    seconds = time.perf_counter() - t0
    rows = ingest.count()
    ingest.close()
    out = {"feeds": args.feeds, "items": new, "rows": rows, "seconds": round(seconds, 3),
           "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
           "maxrss_startup_kb": startup_maxrss,
           "rss_before_ingest_kb": rss_ready,
           "ingest_peak_rss_kb": _rss_kb("VmHWM") if hwm_reset else None}
    if args.tracemalloc:
        import tracemalloc

        out["tracemalloc_peak_kb"] = tracemalloc.get_traced_memory()[1] // 1024
    print(json.dumps(out))


def run_worker(corpus: Path, feeds: int, db: Path, trace: bool, timeout: float
               ) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "worker", "--corpus", str(corpus),
           "--feeds", str(feeds), "--db", str(db)]
    if trace:
        cmd.append("--tracemalloc")
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"ingest worker ({feeds} feeds) failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- profile --------------------------------------------------------------------------------

def _where(filename: str) -> str:
    if "/monitor/" in filename and "site-packages" not in filename:
        return "monitor"
    for pkg in ("feedparser_sgmllib", "feedparser", "bs4", "soupsieve", "sqlite_utils", "lxml",
                "html5lib"):
        if f"/{pkg}/" in filename:
            return pkg
    if filename == "~":
        return "builtins/C"
    if "/python3" in filename:
        return "stdlib"
    return "other"


def breakdown(files: list[Path], db_path: Path, report: Report) -> dict[str, Any]:
    """Time the project's path in parts with plain timers (no profiler overhead): wrap, for
    this process only, the functions the feed parser and the store hand work to."""
    import feedparser

    import monitor.parse.feed as feed_mod
    from monitor import store

    spent: dict[str, float] = {}

    def timed(label: str, fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - t0
        return wrapper

    class TimedFeedparser:  # stands in for the feedparser module inside monitor.parse.feed
        parse = staticmethod(timed("feedparser.parse (called from monitor/parse/feed.py:parse)",
                                   feedparser.parse))

        def __getattr__(self, name: str) -> Any:
            return getattr(feedparser, name)

    def where(fn: Any) -> str:
        path = fn.__code__.co_filename
        return f"{path.split(str(ROOT) + '/')[-1].split('site-packages/')[-1]}:{fn.__name__}"

    patches = [(feed_mod, "feedparser", TimedFeedparser()),
               (feed_mod, "html_to_text", timed(
                   f"{where(feed_mod.html_to_text)} (from parse/feed.py)",
                   feed_mod.html_to_text)),
               (store, "save_source_run", timed(where(store.save_source_run),
                                                store.save_source_run))]
    if hasattr(store, "save_items"):
        patches.append((store, "save_items", timed(f"  of which {where(store.save_items)}",
                                                   store.save_items)))
    saved = [(mod, name, getattr(mod, name)) for mod, name, _ in patches]
    bodies = [p.read_bytes() for p in files]
    ingest = Ingest(db_path)
    try:
        ingest.one(10_000, bodies[0])  # warm-up
        for mod, name, new in patches:
            setattr(mod, name, new)
        spent.clear()
        total = 0.0
        for i, body in enumerate(bodies):
            t0 = time.perf_counter()
            ingest.one(i, body)
            total += time.perf_counter() - t0
    finally:
        for mod, name, old in saved:
            setattr(mod, name, old)
        ingest.close()
    bare = 0.0
    for body in bodies:
        t0 = time.perf_counter()
        feedparser.parse(io.BytesIO(body))
        bare += time.perf_counter() - t0
    items = sum(body.count(b"<item>") for body in bodies)
    parts = {k: {"seconds": round(v, 3), "share": round(v / total, 3),
                 "us_per_item": round(v / items * 1e6, 1)} for k, v in spent.items()}
    accounted = sum(v for k, v in spent.items() if not k.startswith(" "))
    parts["rest of monitor/parse/feed.py:parse + _item (ids, URLs, dates, dataclasses)"] = {
        "seconds": round(total - accounted, 3), "share": round((total - accounted) / total, 3),
        "us_per_item": round((total - accounted) / items * 1e6, 1)}
    report.line(f"   time breakdown (plain timers, {len(files)} feeds = {items:,} items, "
                f"{total:.2f} s = {total / items * 1e6:.0f} us/item; bare feedparser.parse on "
                f"the same bodies {bare:.2f} s = {bare / items * 1e6:.0f} us/item):")
    for k, v in parts.items():
        report.line(f"     {v['share'] * 100:5.1f}%  {v['us_per_item']:7.1f} us/item  {k}")
    return {"feeds": len(files), "items": items, "total_s": round(total, 3),
            "bare_feedparser_s": round(bare, 3), "parts": parts}


def profile(files: list[Path], db_path: Path, report: Report) -> dict[str, Any]:
    """cProfile the project's path over ``files``; return where the time goes."""
    ingest = Ingest(db_path)
    bodies = [p.read_bytes() for p in files]
    ingest.one(10_000, bodies[0])  # warm-up
    prof = cProfile.Profile()
    prof.enable()
    for i, body in enumerate(bodies):
        ingest.one(i, body)
    prof.disable()
    ingest.close()
    st = pstats.Stats(prof)
    total = st.total_tt  # type: ignore[attr-defined]
    stats = st.stats  # type: ignore[attr-defined]

    def label(func: tuple[str, int, str]) -> str:
        filename, line, name = func
        if filename == "~":
            return name
        rel = filename.split(str(ROOT) + "/")[-1].split("site-packages/")[-1]
        return f"{rel}:{name}"

    # Cumulative time of the project's own functions (file:function, share of the total).
    own = []
    for func, (_cc, nc, tt, ct, _callers) in stats.items():
        if _where(func[0]) == "monitor":
            own.append({"function": label(func), "calls": nc, "cumulative_s": round(ct, 3),
                        "share": round(ct / total, 3), "self_s": round(tt, 3)})
    own.sort(key=lambda r: -r["cumulative_s"])
    # Self time by package.
    by_pkg: dict[str, float] = {}
    for func, (_cc, _nc, tt, _ct, _callers) in stats.items():
        by_pkg[_where(func[0])] = by_pkg.get(_where(func[0]), 0.0) + tt
    # Time of the callees that the project's functions call directly, by callee
    # (what each project line hands work to).
    edges: list[dict[str, Any]] = []
    for func, (_cc, _nc, _tt, _ct, callers) in stats.items():
        for caller, info in callers.items():
            if _where(caller[0]) == "monitor" and _where(func[0]) != "monitor":
                edges.append({"caller": label(caller), "callee": label(func),
                              "cumulative_s": round(info[3], 3),
                              "share": round(info[3] / total, 3)})
    edges.sort(key=lambda r: -r["cumulative_s"])
    out = {
        "feeds": len(files),
        "total_s_under_profile": round(total, 3),
        "project_functions": own[:15],
        "project_calls_into": edges[:12],
        "self_time_by_package": {k: round(v / total, 3)
                                 for k, v in sorted(by_pkg.items(), key=lambda kv: -kv[1])},
    }
    report.line(f"   profile (cProfile, {len(files)} feeds, {total:.2f} s under the profiler):")
    report.line("     project functions, cumulative share of the time:")
    for r in own[:12]:
        report.line(f"       {r['share'] * 100:5.1f}%  {r['cumulative_s']:7.3f} s  "
                    f"{r['function']}  ({r['calls']} calls)")
    report.line("     heaviest calls from project code into libraries (caller -> callee):")
    for e in edges[:10]:
        report.line(f"       {e['share'] * 100:5.1f}%  {e['caller']} -> {e['callee']}")
    report.line("     self time by package: " + ", ".join(
        f"{k} {v * 100:.0f}%" for k, v in out["self_time_by_package"].items()))
    return out


# --- the section ------------------------------------------------------------------------------

def run(quick: bool = False, report: Report | None = None, force_profile: bool = False
        ) -> dict[str, Any]:
    forbid_network()
    rep = report or Report(quiet=False)
    p = QUICK if quick else FULL
    n_entries = p.feeds * p.entries
    rep.line(f"== ingest: {p.feeds} RSS feeds x {p.entries} entries = {n_entries:,} "
             f"entries (seed {SEED}); parse + store vs feedparser parse-only, same bytes")
    out: dict[str, Any] = {}
    figures: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="monitor-bench-ingest-") as tmpdir:
        tmp = Path(tmpdir)
        corpus = tmp / "corpus"
        t0 = time.perf_counter()
        info = write_corpus(corpus, p.feeds, p.entries)
        rep.line(f"   corpus: {info['bytes'] / 1e6:.1f} MB in {p.feeds} files, "
                 f"sha256 {info['sha256'][:16]}, written in {time.perf_counter() - t0:.1f} s")
        out["corpus"] = info
        files = corpus_files(corpus, p.feeds)

        # Warm-up both paths on one feed (imports, caches), not measured.
        feedparser_pass(files[:1])
        project_pass(files[:1], tmp / "warmup.db", offset=90_000)
        gc.collect()

        fp_s, fp_entries, pr_s, pr_items, cpu = paired_pass(files, tmp / "ingest.db")
        assert fp_entries == n_entries, f"feedparser read {fp_entries} entries"
        assert pr_items == n_entries, f"the project stored {pr_items} items"
        fp_rate, pr_rate = fp_entries / fp_s, pr_items / pr_s
        fig = ratio_figure("ingest.rate_vs_feedparser_parse_only", pr_rate, fp_rate,
                           unit="items/s", higher_is_better=True, target=TARGET_RATE_SHARE,
                           measured_name="monitor parse + save_source_run (file DB)",
                           baseline_name="feedparser.parse(io.BytesIO(body))")
        fig["measured"]["seconds"] = round(pr_s, 3)
        fig["baseline"]["seconds"] = round(fp_s, 3)
        fig["measured"]["cpu_seconds"] = round(cpu["monitor"], 3)
        fig["baseline"]["cpu_seconds"] = round(cpu["feedparser"], 3)
        fig["cpu_ratio"] = round(cpu["feedparser"] / cpu["monitor"], 3)
        figures.append(fig)
        rep.line(f"   feedparser.parse only:        {fp_s:7.2f} s  {fp_rate:8.0f} items/s  "
                 "[baseline]")
        rep.line(f"   monitor parse + store:        {pr_s:7.2f} s  {pr_rate:8.0f} items/s  "
                 f"-> {fig['ratio'] * 100:.0f}% of feedparser's rate (target >= "
                 f"{TARGET_RATE_SHARE * 100:.0f}%: {'met' if fig['met'] else 'MISSED'})")
        rep.line(f"     per item: feedparser {fp_s / fp_entries * 1e6:.0f} us, "
                 f"monitor {pr_s / pr_items * 1e6:.0f} us "
                 f"(+{(pr_s - fp_s) / pr_items * 1e6:.0f} us over the parse-only baseline); "
                 f"measured interleaved feed by feed; by CPU time the share is "
                 f"{fig['cpu_ratio'] * 100:.0f}%")

        # With classification, as pipeline.run passes signals_for to save_source_run now.
        cl_s = None
        if p.classify and classifier() is not None:
            gc.collect()
            cl_s, cl_items = project_pass(files, tmp / "ingest-classify.db", classify=True)
            assert cl_items == n_entries
            cfig = ratio_figure("ingest.rate_with_classify_vs_feedparser_parse_only",
                                cl_items / cl_s, fp_rate, unit="items/s", higher_is_better=True,
                                measured_name="monitor parse + save_source_run(signals_for="
                                              "default debate), as pipeline.run stores",
                                baseline_name="feedparser.parse(io.BytesIO(body))",
                                note="informational: the brief's figure is parse + store")
            cfig["measured"]["seconds"] = round(cl_s, 3)
            figures.append(cfig)
            rep.line(f"   monitor parse + store + classify: {cl_s:7.2f} s  "
                     f"{cl_items / cl_s:8.0f} items/s  -> {cfig['ratio'] * 100:.0f}% of "
                     "feedparser's rate (informational: what pipeline.run does per feed now; "
                     f"classify adds {(cl_s - pr_s) / cl_items * 1e6:.0f} us per item)")

        # Memory: one fresh subprocess per size (and one that ingests nothing).
        small, large = p.memory_feeds
        ns, nl = small * p.entries, large * p.entries
        bound = 120 + 3 * pr_s * large / p.feeds
        base = run_worker(corpus, 0, tmp / "mem-0.db", False, bound)
        mems = {f: run_worker(corpus, f, tmp / f"mem-{f}.db", False, bound)
                for f in (small, large)}
        for f, m in mems.items():
            assert m["items"] == f * p.entries == m["rows"], m
        key = "ingest_peak_rss_kb" if mems[small]["ingest_peak_rss_kb"] else "maxrss_kb"
        how = "VmHWM reset after start-up" if key != "maxrss_kb" else "ru_maxrss"
        s_kb, l_kb = mems[small][key], mems[large][key]
        b_kb = base["rss_before_ingest_kb"] or base["maxrss_kb"]
        mfig = ratio_figure(
            f"ingest.peak_rss_{nl}_vs_{ns}", l_kb, s_kb, unit="KiB", higher_is_better=True,
            target=TARGET_RSS_GROWTH, target_max=True,
            measured_name=f"peak RSS while ingesting {nl:,} entries (fresh process)",
            baseline_name=f"peak RSS while ingesting {ns:,} entries (fresh process)",
            note=f"RSS after imports + open DB, before any entry: {b_kb} KiB; "
                 f"source: {how}")
        figures.append(mfig)
        rep.line(f"   peak RSS, fresh process per size ({how}):"
                 f" before any entry {b_kb / 1024:.1f} MiB; {ns:,} entries "
                 f"{s_kb / 1024:.1f} MiB; {nl:,} entries {l_kb / 1024:.1f} MiB")
        rep.line(f"     -> {mfig['ratio']:.2f}x for {nl // ns}x the entries (target <= "
                 f"{TARGET_RSS_GROWTH}x: {'met, flat' if mfig['met'] else 'MISSED, it grows'}); "
                 f"above the start-up RSS: +{(s_kb - b_kb) / 1024:.1f} MiB vs "
                 f"+{(l_kb - b_kb) / 1024:.1f} MiB; whole-process ru_maxrss "
                 f"{mems[small]['maxrss_kb'] / 1024:.1f} / {mems[large]['maxrss_kb'] / 1024:.1f}"
                 " MiB")
        out["memory"] = {"import_only": base, str(ns): mems[small], str(nl): mems[large]}
        if p.tracemalloc:
            tm = {f: run_worker(corpus, f, tmp / f"tm-{f}.db", True, bound * 3)
                  for f in (small, large)}
            ts, tl = tm[small]["tracemalloc_peak_kb"], tm[large]["tracemalloc_peak_kb"]
            tfig = ratio_figure(
                f"ingest.tracemalloc_peak_{nl}_vs_{ns}", tl, ts, unit="KiB",
                higher_is_better=True, target=TARGET_RSS_GROWTH, target_max=True,
                measured_name=f"tracemalloc peak (Python heap), {nl:,} entries",
                baseline_name=f"tracemalloc peak (Python heap), {ns:,} entries")
            figures.append(tfig)
            out["memory"]["tracemalloc"] = {str(k * p.entries): v for k, v in tm.items()}
            rep.line(f"   tracemalloc peak (Python heap, from after start-up): "
                     f"{ns:,} entries {ts / 1024:.1f} MiB; {nl:,} entries {tl / 1024:.1f} MiB "
                     f"-> {tfig['ratio']:.2f}x ({'met, flat' if tfig['met'] else 'MISSED'})")

        if force_profile or (not fig["met"] and not quick):
            if not fig["met"]:
                rep.line("   the rate misses its target: profiling the project's path")
            out["breakdown"] = breakdown(files[:p.profile_feeds], tmp / "breakdown.db", rep)
            out["profile"] = profile(files[:p.profile_feeds], tmp / "profile.db", rep)

    out.update({
        "entries": n_entries,
        "raw": {"feedparser_seconds": round(fp_s, 4), "feedparser_entries": fp_entries,
                "monitor_seconds": round(pr_s, 4), "monitor_items": pr_items,
                "monitor_with_classify_seconds": round(cl_s, 4) if cl_s else None,
                "feedparser_items_per_s": round(fp_rate, 1),
                "monitor_items_per_s": round(pr_rate, 1)},
        "figures": figures,
        "ok": True,  # the correctness checks above raise when they fail
        "targets_met": all(f.get("met", True) for f in figures),
    })
    return out


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker_main(sys.argv[2:])
        sys.exit(0)
    quick = "--quick" in sys.argv
    as_json = "--json" in sys.argv
    result = run(quick, Report(quiet=as_json), force_profile="--profile" in sys.argv)
    print(json.dumps(result, indent=2))
