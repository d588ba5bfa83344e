#!/usr/bin/env python3
"""daemon: `monitor daemon` idle CPU, and resident memory over many simulated source runs.

* idle CPU - a sources.yaml of 10 feed sources on a loopback server (bench_common's feed
             servers), interval 1d; `monitor run --force` once so every source has state and
             its next attempt a day away; then `python -m monitor.cli ... daemon` as a
             subprocess: after 5 s of start-up its CPU time (utime + stime of
             /proc/PID/stat, all threads) is read at the start and the end of a 60 s window
             (quick: 10 s), then SIGTERM, which must exit 0. Figure: CPU seconds against the
             wall seconds of the same window (a share of one core; target < 1%). Reference,
             measured the same way over the same window: a `python -c time.sleep` process.
             Checks: the daemon ran no source while idle (fetch_log unchanged) and its log
             says it started with 10 jobs.
* memory   - in a fresh child process, a monitor.schedule.Daemon(config, db, client) (the
             scheduler not started; jobs called directly) over a loopback server whose feed
             changes every 10th request: run_source() is called 10 times, then VmRSS is read
             (after gc.collect()), then up to 1,000 calls in all (quick: 10 and 200) and VmRSS
             again. Each call is a real pipeline.run of the source: a conditional GET with
             the stored ETag; 9 in 10 are answered 304 (nothing parsed or written but the
             state and the fetch log), 1 in 10 is a 200 with the feed's next version (20
             entries from real labelled relevant items, one of them new: parsed, stored,
             classified, clustered into the timeline). Figure: RSS after the last call
             against RSS after the 10th (target <= 1.1: no growth beyond noise).

Run through scripts/bench (`scripts/bench daemon [--quick] [--json]`) or directly.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import (  # noqa: E402
    LOOPBACK,
    ROOT,
    ChildServer,
    Report,
    ServerProcess,
    forbid_network,
    ratio_figure,
    start_watchdog,
)

TARGET_CPU_SHARE = 0.01
TARGET_RSS_GROWTH = 1.1
SETTINGS = {"retries": 1, "timeout": 10, "connect_timeout": 5, "retry_backoff": 0}


@dataclass(frozen=True)
class Sizes:
    idle_seconds: float
    startup_seconds: float
    runs_first: int
    runs_total: int
    change_every: int  # the memory feed changes every N requests


FULL = Sizes(idle_seconds=60, startup_seconds=5, runs_first=10, runs_total=1000, change_every=10)
QUICK = Sizes(idle_seconds=10, startup_seconds=5, runs_first=10, runs_total=200, change_every=10)


def write_sources(path: Path, urls: list[str], interval: str = "1d") -> Path:
    lines = ["settings:", *(f"  {k}: {v}" for k, v in SETTINGS.items()), "sources:"]
    for i, url in enumerate(urls):
        lines += [f"  - id: feed-{i:02d}", "    kind: feed", f"    url: {url}",
                  f"    interval: {interval}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def monitor_cmd(db: Path, sources: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "monitor.cli", "--db", str(db), "--sources", str(sources),
            *args]


# --- /proc --------------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # fields 14 and 15 of stat(5)


def context_switches(pid: int) -> int:
    """Voluntary + involuntary context switches over all threads (wake-ups, roughly)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt")):
                        total += int(line.split()[1])
        except FileNotFoundError:  # a thread that just ended
            pass
    return total


def vm_rss_kb(pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise KeyError("VmRSS")


def vm_rss_mb() -> float:
    return vm_rss_kb() / 1024


# --- a feed that changes every N requests (child process) ---------------------------------

def rotating_feed(version: int, size: int = 20) -> bytes:
    """Entries version .. version+size-1 (newest first) from real labelled relevant items."""
    from bench_data import labelled

    rows = [r for r in labelled() if r["relevant"] == "1"]
    base = datetime(2026, 1, 5, 9, tzinfo=UTC)
    entries = []
    for j in range(version + size - 1, version - 1, -1):
        row = rows[j % len(rows)]
        when = base + timedelta(hours=6 * j)
        entries.append(
            f"<item><title>{escape(row['title'])} ({j})</title>"
            f"<link>http://{LOOPBACK}/story/{j}</link>"
            f"<guid isPermaLink=\"false\">story-{j}</guid>"
            f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate>"
            f"<description>{escape(row['summary'] or row['title'])}</description></item>")
    return ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel>"
            f"<title>Bench rotating feed</title><link>http://{LOOPBACK}/</link>"
            f"<description>loopback bench feed</description>{''.join(entries)}"
            "</channel></rss>").encode()


def serve_rotating(change_every: int, lifetime: float) -> None:
    """Child-process entry: serve /feed.rss, print the port, answer `stats` on stdin."""
    start_watchdog(lifetime, "the rotating feed server")
    lock = threading.Lock()
    stats = {"requests": 0, "200": 0, "304": 0}
    cache: dict[int, tuple[bytes, str]] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            with lock:
                version = stats["requests"] // change_every
                stats["requests"] += 1
                if version not in cache:
                    body = rotating_feed(version)
                    cache.clear()
                    cache[version] = (body, '"' + hashlib.sha1(body).hexdigest()[:16] + '"')
                body, etag = cache[version]
                fresh = self.headers.get("If-None-Match") != etag
                stats["200" if fresh else "304"] += 1
            self.send_response(200 if fresh else 304)
            self.send_header("ETag", etag)
            if fresh:
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_header("Content-Length", "0")
                self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    for line in sys.stdin:
        if line.strip() == "stats":
            with lock:
                print(json.dumps(stats), flush=True)
        elif line.strip() == "quit":
            break
    server.shutdown()


# --- memory (child process) ---------------------------------------------------------------

def memory_child(sources: str, db_path: str, first: int, total: int, log_path: str) -> None:
    """In this fresh process: a Daemon, run_source() ``first`` then ``total`` times in all."""
    import logging

    forbid_network()
    from monitor import logs, store
    from monitor.config import load_config
    from monitor.fetch import make_client
    from monitor.schedule import Daemon

    logs.setup(logging.INFO, log_path)  # as `monitor daemon` does: one line per run, to a file
    config = load_config(sources)
    db = store.open_db(db_path)
    samples: list[tuple[int, float]] = []
    with make_client(config.settings) as client:
        daemon = Daemon(config, db, client)
        source_id = config.sources[0].id
        gc.collect()
        rss_start = vm_rss_mb()
        t0 = time.perf_counter()
        times: list[float] = []
        for i in range(1, total + 1):
            r0 = time.perf_counter()
            daemon.run_source(source_id)
            times.append(time.perf_counter() - r0)
            if i in (first, total) or i % 100 == 0:
                gc.collect()
                samples.append((i, vm_rss_mb()))
        seconds = time.perf_counter() - t0
        objects = len(gc.get_objects())
    statuses = dict(db.execute("SELECT status, count(*) FROM fetch_log GROUP BY status")
                    .fetchall())
    items = db.execute("SELECT count(*) FROM items").fetchone()[0]
    events = db.execute("SELECT count(DISTINCT event_id) FROM event_items").fetchone()[0]
    in_events = db.execute("SELECT count(*) FROM event_items").fetchone()[0]
    relevant = db.execute("SELECT count(*) FROM signals WHERE relevant = 1").fetchone()[0]
    ordered = sorted(times)
    print(json.dumps({
        "rss_start_mb": rss_start, "samples": samples, "seconds": seconds,
        "run_ms": {"median": ordered[len(ordered) // 2] * 1000,
                   "p95": ordered[int(len(ordered) * 0.95)] * 1000,
                   "max": ordered[-1] * 1000},
        "gc_objects_end": objects, "daemon_runs": daemon.runs.get(source_id, 0),
        "fetch_log": statuses, "items": items, "relevant": relevant, "events": events,
        "items_in_events": in_events,
    }))


class RotatingServer(ChildServer):
    def __init__(self, change_every: int, lifetime: float) -> None:
        super().__init__([__file__, "--serve", str(change_every), str(lifetime)],
                         "the rotating feed server")
        self.port = int(self.started["port"])


# --- the section ---------------------------------------------------------------------------

def idle(tmp: Path, p: Sizes, rep: Report) -> tuple[dict[str, Any], dict[str, Any]]:
    """Measure the idle daemon; return (figure, details)."""
    bound = p.idle_seconds + p.startup_seconds + 120
    with ServerProcess(1, 10, 0.0, lifetime=bound + 60) as srv:
        urls = [f"http://{LOOPBACK}:{srv.ports[0]}/f{slot}.rss" for slot in range(10)]
        sources = write_sources(tmp / "idle-sources.yaml", urls)
        db = tmp / "idle.db"
        first = subprocess.run(monitor_cmd(db, sources, "run", "--force", "--json"), cwd=ROOT,
                               capture_output=True, text=True, timeout=120)
        try:
            runs = json.loads(first.stdout)["runs"]
        except (ValueError, KeyError, TypeError):
            raise RuntimeError(f"monitor run --force --json exited {first.returncode}: "
                               f"{first.stdout[-400:]} {first.stderr[-800:]}") from None
        ok_runs = sum(1 for r in runs if r.get("status") == "ok")
        with sqlite3.connect(db) as conn:
            log_before = conn.execute("SELECT count(*) FROM fetch_log").fetchone()[0]
            next_attempts = [r[0] for r in conn.execute("SELECT next_attempt FROM source_state")]
        due_in_h = min((datetime.fromisoformat(t) - datetime.now(UTC)).total_seconds() / 3600
                       for t in next_attempts) if next_attempts else 0.0
        rep.line(f"   `monitor run --force` against the loopback server: exit "
                 f"{first.returncode}, {ok_runs}/10 sources ok; next attempts "
                 f"{due_in_h:.1f} h away at the earliest")
        log_path = tmp / "daemon.log"
        with open(log_path, "w", encoding="utf-8") as log:
            daemon = subprocess.Popen(monitor_cmd(db, sources, "daemon"), cwd=ROOT,
                                      stdout=log, stderr=subprocess.STDOUT)
            sleeper = subprocess.Popen([sys.executable, "-c",
                                        f"import time; time.sleep({bound:.0f})"])
            try:
                time.sleep(p.startup_seconds)
                if daemon.poll() is not None:
                    raise RuntimeError(f"monitor daemon exited {daemon.returncode} during "
                                       f"start-up: {log_path.read_text()[-800:]}")
                startup_cpu = cpu_seconds(daemon.pid)
                d0, s0, w0 = cpu_seconds(daemon.pid), cpu_seconds(sleeper.pid), \
                    time.perf_counter()
                x0 = context_switches(daemon.pid)
                threads = len(os.listdir(f"/proc/{daemon.pid}/task"))
                time.sleep(p.idle_seconds)
                d1, s1, w1 = cpu_seconds(daemon.pid), cpu_seconds(sleeper.pid), \
                    time.perf_counter()
                x1 = context_switches(daemon.pid)
                rss_kb = vm_rss_kb(daemon.pid)
                daemon.send_signal(signal.SIGTERM)
                t_term = time.perf_counter()
                code = daemon.wait(timeout=60)
                stop_s = time.perf_counter() - t_term
            finally:
                for proc in (daemon, sleeper):
                    if proc.poll() is None:
                        proc.kill()
                        proc.wait()
    with sqlite3.connect(db) as conn:
        log_after = conn.execute("SELECT count(*) FROM fetch_log").fetchone()[0]
    log_text = log_path.read_text(encoding="utf-8")
    wall = w1 - w0
    cpu = d1 - d0
    sleep_cpu = s1 - s0
    fig = ratio_figure("daemon.idle_cpu_share_of_one_core", cpu, wall, unit="s",
                       higher_is_better=True, target=TARGET_CPU_SHARE, target_max=True,
                       measured_name=f"monitor daemon CPU seconds (utime+stime) over "
                                     f"{wall:.0f} s idle",
                       baseline_name="wall seconds of the same window",
                       note="ratio = share of one core; a sleeping python process over the "
                            f"same window used {sleep_cpu:.2f} s")
    details = {
        "first_run_exit": first.returncode, "first_run_ok": ok_runs,
        "next_attempt_hours_away": round(due_in_h, 2),
        "startup_cpu_s": round(startup_cpu, 2), "window_s": round(wall, 2),
        "daemon_cpu_s": round(cpu, 3), "sleeper_cpu_s": round(sleep_cpu, 3),
        "cpu_share": round(cpu / wall, 5), "sleeper_share": round(sleep_cpu / wall, 5),
        "context_switches_per_s": round((x1 - x0) / wall, 1), "threads": threads,
        "rss_mb": round(rss_kb / 1024, 1), "exit_code": code, "stop_seconds": round(stop_s, 2),
        "fetch_log_before": log_before, "fetch_log_after": log_after,
        "log_started": "event=started" in log_text and "jobs=10" in log_text,
        "log_stopped": "event=stopped" in log_text,
    }
    details["ok"] = bool(ok_runs == 10 and code == 0 and log_before == log_after == 10
                         and details["log_started"] and due_in_h > 12)
    rep.line(f"   monitor daemon idle for {wall:.0f} s (after {p.startup_seconds:.0f} s of "
             f"start-up, which used {startup_cpu:.2f} s CPU): {cpu:.2f} s CPU = "
             f"{cpu / wall:.3%} of one core (target < {TARGET_CPU_SHARE:.0%}: "
             f"{'met' if fig['met'] else 'MISSED'}); {threads} threads, "
             f"{details['context_switches_per_s']:.1f} context switches/s, RSS "
             f"{details['rss_mb']:.0f} MB")
    rep.line(f"   python -c time.sleep over the same window:  {sleep_cpu:.2f} s CPU = "
             f"{sleep_cpu / wall:.3%}  [reference; /proc CPU times count in "
             f"{1000 / TICK:.0f} ms ticks]")
    rep.line(f"   SIGTERM -> exit {code} in {stop_s:.2f} s; fetch_log rows {log_before} -> "
             f"{log_after} (no source ran while idle); log started/stopped: "
             f"{details['log_started']}/{details['log_stopped']}: "
             f"{'ok' if details['ok'] else 'FAILED'}")
    return fig, details


def memory(tmp: Path, p: Sizes, rep: Report) -> tuple[dict[str, Any], dict[str, Any]]:
    server = RotatingServer(p.change_every, lifetime=1800)
    try:
        sources = write_sources(tmp / "mem-sources.yaml",
                                [f"http://{LOOPBACK}:{server.port}/feed.rss"], "1h")
        out = subprocess.run(
            [sys.executable, __file__, "--memory-child", str(sources), str(tmp / "mem.db"),
             str(p.runs_first), str(p.runs_total), str(tmp / "mem.log")],
            cwd=ROOT, capture_output=True, text=True, timeout=1800)
        if out.returncode != 0:
            raise RuntimeError(f"memory child exited {out.returncode}: {out.stderr[-1500:]}")
        m = json.loads(out.stdout.strip().splitlines()[-1])
        stats = server.stats()
    finally:
        server.close()
    samples = {i: mb for i, mb in m["samples"]}
    first, last = samples[p.runs_first], samples[p.runs_total]
    fig = ratio_figure(f"daemon.rss_after_{p.runs_total}_runs_vs_after_{p.runs_first}",
                       last, first, unit="MB", higher_is_better=True, target=TARGET_RSS_GROWTH,
                       target_max=True,
                       measured_name=f"VmRSS after {p.runs_total} run_source() calls",
                       baseline_name=f"VmRSS after {p.runs_first} run_source() calls (same "
                                     "process)",
                       note="after gc.collect(); 1.0 = no growth")
    expected_200 = -(-p.runs_total // p.change_every)
    fresh_items = 20 + (expected_200 - 1)  # the first body's 20 entries, then one per change
    ok = bool(m["daemon_runs"] == p.runs_total
              and sum(m["fetch_log"].values()) == p.runs_total
              and m["fetch_log"].get("ok", 0) == stats["200"] == expected_200
              and m["fetch_log"].get("not_modified", 0) == stats["304"]
              == p.runs_total - expected_200
              and m["items"] == fresh_items and m["items_in_events"] == m["relevant"] > 0)
    trend = ", ".join(f"{i}: {mb:.1f}" for i, mb in m["samples"]
                      if i in (p.runs_first, p.runs_total) or i % 200 == 0)
    rep.line(f"   Daemon.run_source() x{p.runs_total} in one fresh process (a conditional GET "
             f"each; the feed changes every {p.change_every}th request): {m['seconds']:.1f} s, "
             f"median {m['run_ms']['median']:.1f} ms per run (p95 {m['run_ms']['p95']:.1f}, "
             f"max {m['run_ms']['max']:.0f})")
    rep.line(f"     server answered 200 x{stats['200']}, 304 x{stats['304']}; fetch_log "
             f"{m['fetch_log']}; {m['items']} items stored ({m['relevant']} relevant, all "
             f"in {m['events']} events): {'ok' if ok else 'FAILED'}")
    rep.line(f"     VmRSS (MB) before the first run {m['rss_start_mb']:.1f}; after run "
             f"{trend}")
    rep.line(f"     -> after {p.runs_total} runs {last:.1f} MB vs after {p.runs_first} "
             f"{first:.1f} MB: {fig['ratio']:.3f}x (target <= {TARGET_RSS_GROWTH}: "
             f"{'met' if fig['met'] else 'MISSED'})")
    return fig, {**m, "server": stats, "ok": ok}


def run(quick: bool = False, report: Report | None = None) -> dict[str, Any]:
    forbid_network()
    rep = report or Report(quiet=False)
    p = QUICK if quick else FULL
    rep.line(f"== daemon: idle CPU of `monitor daemon` over {p.idle_seconds:.0f} s, and RSS "
             f"after {p.runs_total} simulated source runs against after {p.runs_first}")
    with tempfile.TemporaryDirectory(prefix="monitor-bench-daemon-") as tmpdir:
        tmp = Path(tmpdir)
        idle_fig, idle_details = idle(tmp, p, rep)
        mem_fig, mem_details = memory(tmp, p, rep)
    figures = [idle_fig, mem_fig]
    return {"idle": idle_details, "memory": mem_details, "figures": figures,
            "ok": bool(idle_details["ok"] and mem_details["ok"]),
            "targets_met": all(f["met"] for f in figures)}


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--serve":
        serve_rotating(int(sys.argv[2]), float(sys.argv[3]))
    elif len(sys.argv) >= 7 and sys.argv[1] == "--memory-child":
        memory_child(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    else:
        as_json = "--json" in sys.argv
        result = run("--quick" in sys.argv, Report(quiet=as_json))
        print(json.dumps(result, indent=2))
        sys.exit(0 if result["ok"] else 1)
