#!/usr/bin/env python3
"""timeline: clustering relevant items into events at two sizes, and `monitor timeline --json`.

Full: 10,000 and 100,000 relevant items (quick: 2,000 and 10,000) in stories over two years
ending today (scripts/bench_data.stories), stored with their signals by bench_data.fill.
Measured in one run:

* build      - monitor.pipeline.build_timeline(db, config) in a fresh child process per size
               (config = load_config(sources.yaml), so the shipped debate): wall seconds and
               peak RSS (ru_maxrss), with a per-phase breakdown (the store and cluster
               functions build_timeline calls, wrapped with timers) and a second pass that
               must place nothing. The small size is the baseline: time per item at the large
               size against the small size's is the near-linear figure (ideal 1.0, target
               <= 2.0); absolute targets at the large size: < 60 s and < 500 MB.
* checks     - every relevant item is in exactly one event (event_items rows == items, no
               relevant item without one), fewer events than items, a score row per event.
* cli        - `monitor --db DB timeline --since all --json` and `--since 30d --json` as a
               user runs them (subprocess, best of 5 after a warm-up) on the large database,
               against a subprocess running SELECT count(*) FROM items through the sqlite3
               module (the floor of any command that opens the DB) and `monitor --help` (the
               CLI's start-up). Target: < 1 s each.
* profile    - (full mode, when a build target is missed, or with --profile) cProfile of
               build_timeline on a fresh copy of the small size, top functions by own time.

Run through scripts/bench (`scripts/bench timeline [--quick] [--json]`) or directly.
"""

from __future__ import annotations

import cProfile
import gc
import json
import os
import pstats
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import ROOT, Report, forbid_network, ratio_figure  # noqa: E402

HERE = Path(__file__).resolve().parent
SOURCES = ROOT / "sources.yaml"
TARGET_SECONDS = 60.0
TARGET_MB = 500.0
TARGET_PER_ITEM_GROWTH = 2.0
TARGET_CLI_SECONDS = 1.0
STORY_DAYS = 730


@dataclass(frozen=True)
class Sizes:
    small: int
    large: int
    repeats: int  # timed CLI runs (best of), after one warm-up


FULL = Sizes(small=10_000, large=100_000, repeats=5)
QUICK = Sizes(small=2_000, large=10_000, repeats=5)


# --- shared helpers (also used by bench_query) ------------------------------------------------

def vm_kb(field: str, pid: int | str = "self") -> int:
    """Return a Vm* field (kB) of /proc/<pid>/status, e.g. VmRSS or VmHWM."""
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def monitor_cmd(db: Path, *args: str, sources: Path = SOURCES) -> list[str]:
    """The command line a user runs: `monitor --db DB --sources S ...`, as python -m."""
    return [sys.executable, "-m", "monitor.cli", "--db", str(db), "--sources", str(sources),
            *args]


def sqlite_count_cmd(db: Path) -> list[str]:
    """The baseline: a fresh Python opening the database and counting its items."""
    code = ("import sqlite3, sys; print(sqlite3.connect(sys.argv[1])"
            ".execute('SELECT count(*) FROM items').fetchone()[0])")
    return [sys.executable, "-c", code, str(db)]


def run_cmd(cmd: Sequence[str], *, capture: bool = False, timeout: float = 600
            ) -> tuple[float, str]:
    """Run a command (stdout to /dev/null unless captured); return (seconds, stdout)."""
    t0 = time.perf_counter()
    proc = subprocess.run(list(cmd), cwd=ROOT, timeout=timeout, text=True,
                          stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                          stderr=subprocess.PIPE)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:8])}... exited {proc.returncode}: "
                           f"{proc.stderr.strip()[-800:]}")
    return seconds, proc.stdout if capture else ""


def best_of(cmd: Sequence[str], repeats: int) -> tuple[float, list[float], str]:
    """One warm-up run (captured, returned for checks), then ``repeats`` timed runs with
    stdout to /dev/null; return (best seconds, samples, the warm-up's stdout)."""
    _, out = run_cmd(cmd, capture=True)
    samples = [run_cmd(cmd)[0] for _ in range(repeats)]
    return min(samples), samples, out


def startup_baseline(db: Path, repeats: int, rep: Report, section: str
                     ) -> tuple[float, str, dict[str, Any], dict[str, Any]]:
    """Measure the baseline (a fresh Python counting the items) and the CLI's start-up
    (`monitor --help`), print both; return (baseline seconds, the count printed, the
    start-up figure, the raw numbers for the JSON)."""
    base_s, base_samples, base_out = best_of(sqlite_count_cmd(db), repeats)
    help_s, help_samples, _ = best_of(monitor_cmd(db, "--help"), repeats)
    count = base_out.strip()
    rep.line(f"   subprocess python -c sqlite3 SELECT count(*) FROM items: {base_s:6.3f} s "
             f"(best of {repeats}; {int(count):,} items)  [baseline]")
    rep.line(f"   monitor --help (CLI start-up, imports):                 {help_s:6.3f} s "
             f"(best of {repeats})")
    figure = ratio_figure(
        f"{section}.cli_startup_vs_sqlite_count", help_s, base_s, unit="s",
        higher_is_better=False, measured_name="monitor --help",
        baseline_name="python -c sqlite3 SELECT count(*) FROM items",
        note="ratio < 1: how many times slower than the baseline; no target")
    raw = {"sqlite_count_s": round(base_s, 4),
           "sqlite_count_samples": [round(x, 4) for x in base_samples],
           "monitor_help_s": round(help_s, 4),
           "monitor_help_samples": [round(x, 4) for x in help_samples]}
    return base_s, count, figure, raw


def _short(file: str) -> str:
    short = file.replace(str(ROOT) + "/", "")
    return short.split("site-packages/", 1)[1] if "site-packages/" in short else short


def top_functions(st: pstats.Stats, n: int = 15) -> dict[str, Any]:
    """Return the top functions of a profile by own time, and the project's by cumulative."""
    rows = []
    for (file, line, fn), (_, calls, tt, ct, _) in st.stats.items():  # type: ignore[attr-defined]
        rows.append({"function": f"{_short(file)}:{line}({fn})", "calls": calls,
                     "own_s": round(tt, 3), "cumulative_s": round(ct, 3)})
    return {
        "total_own_s": round(sum(r["own_s"] for r in rows), 3),
        "top_own": sorted(rows, key=lambda r: -r["own_s"])[:n],
        "top_cumulative_monitor": sorted(
            (r for r in rows if r["function"].startswith("monitor/")),
            key=lambda r: -r["cumulative_s"])[:n],
    }


def profile_cli(cmd: Sequence[str], command: str, tmp: Path) -> dict[str, Any]:
    """Run a `python -m monitor.cli ...` command line under cProfile (a subprocess); return
    the wall time under the profiler, how much of it the command's own function took (the
    rest is start-up: imports, click) and the top functions."""
    assert list(cmd[1:3]) == ["-m", "monitor.cli"], cmd
    out = tmp / f"profile-{command}-{os.getpid()}.prof"
    run_cmd([cmd[0], "-m", "cProfile", "-o", str(out), *cmd[1:]])
    st = pstats.Stats(str(out))
    top = top_functions(st)
    body = max((r for r in top["top_cumulative_monitor"]
                if r["function"].startswith("monitor/cli/") and
                r["function"].endswith(f"({command})")), key=lambda r: r["cumulative_s"],
               default=None)
    total = max(v[3] for v in st.stats.values())  # type: ignore[attr-defined]
    out.unlink()
    return {"total_s": round(total, 3),
            "command_s": body["cumulative_s"] if body else None,
            "startup_s": round(total - body["cumulative_s"], 3) if body else None, **top}


def import_breakdown(n: int = 8) -> list[dict[str, Any]]:
    """Return the costliest top-level imports of `monitor --help` (python -X importtime)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "monitor.cli", "--help"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    rows: list[dict[str, Any]] = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line[12:].split("|"))
        if not cumulative.isdigit():
            continue
        depth = (len(line[12:].split("|")[2]) - len(line[12:].split("|")[2].lstrip())) // 2
        rows.append({"module": name, "depth": depth, "cumulative_ms": int(cumulative) / 1000})
    # the modules monitor.cli imports directly (depth 1) and the top level (depth 0)
    shallow = [r for r in rows if r["depth"] <= 1 and not r["module"].startswith("encodings")]
    return sorted(shallow, key=lambda r: -r["cumulative_ms"])[:n]


def report_profile(rep: Report, title: str, prof: dict[str, Any], n: int = 10) -> None:
    rep.line(f"   profile: {title}")
    if prof.get("command_s") is not None:
        rep.line(f"     {prof['total_s']:.2f} s under cProfile: the command itself "
                 f"{prof['command_s']:.2f} s, start-up (imports, click) {prof['startup_s']:.2f} s")
    rep.line("     by own time:")
    for r in prof["top_own"][:n]:
        rep.line(f"     {r['own_s']:7.3f} s own {r['cumulative_s']:7.3f} s cum "
                 f"{r['calls']:>9,} calls  {r['function']}")
    rep.line("     monitor functions by cumulative time:")
    for r in prof["top_cumulative_monitor"][:n]:
        rep.line(f"     {r['cumulative_s']:7.3f} s cum {r['calls']:>9,} calls  {r['function']}")


def absolute(fig: dict[str, Any], target: str, met: bool) -> dict[str, Any]:
    """Mark a ratio figure with an absolute target on its measured value."""
    fig["target"] = target
    fig["met"] = bool(met)
    return fig


# --- the child: one build_timeline in a fresh process --------------------------------------

PHASES = (
    ("store", "iter_pending_members"), ("store", "members_near"), ("store", "merges"),
    ("cluster", "member_of"), ("cluster", "plan"), ("store", "save_plan"),
    ("store", "latest_scores"), ("store", "event_members"), ("cluster", "profile"),
    ("cluster", "rank"), ("store", "save_scores"),
)


PER_MEMBER = {"cluster.member_of", "cluster.profile"}  # called per item / event: no RSS read


def _wrap_phases(spent: dict[str, float], rss_after: dict[str, float]) -> None:
    """Wrap the functions build_timeline calls (module attributes) with timers; for those
    called a few times, also note the process's RSS (MB) after the call (the highest)."""
    from monitor import cluster, store

    modules = {"store": store, "cluster": cluster}
    for mod_name, fn_name in PHASES:
        module = modules[mod_name]
        real = getattr(module, fn_name, None)
        if real is None:  # renamed in the product: that phase goes to "other"
            continue
        key = f"{mod_name}.{fn_name}"
        spent[key] = 0.0

        def timed(*args: Any, __real: Callable[..., Any] = real, __key: str = key,
                  **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                out = __real(*args, **kwargs)
            finally:
                spent[__key] += time.perf_counter() - t0
                if __key not in PER_MEMBER:
                    rss_after[__key] = max(rss_after.get(__key, 0.0), vm_kb("VmRSS") / 1024)
            return _timed_rows(out, __key) if isinstance(out, Iterator) else out

        def _timed_rows(rows: Iterator[Any], key: str) -> Iterator[Any]:
            """A streaming reader's time is spent as its rows are taken."""
            while True:
                t0 = time.perf_counter()
                try:
                    row = next(rows)
                except StopIteration:
                    return
                finally:
                    spent[key] += time.perf_counter() - t0
                yield row

        setattr(module, fn_name, timed)


def child(db_path: str, mode: str) -> None:
    """Time build_timeline over ``db_path`` (mode 'time') or profile it ('profile'); print
    one JSON line."""
    from bench_data import peak_rss_mb

    from monitor import pipeline, store
    from monitor.config import load_config

    config = load_config(SOURCES)
    db = store.open_db(db_path)
    pending = db.execute("SELECT count(*) FROM signals WHERE relevant = 1 AND item_id NOT IN "
                         "(SELECT item_id FROM event_items)").fetchone()[0]
    rss_before = vm_kb("VmRSS") / 1024
    if mode == "profile":
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        pipeline.build_timeline(db, config)
        prof.disable()
        seconds = time.perf_counter() - t0
        print(json.dumps({"items": pending, "seconds_under_profile": seconds,
                          **top_functions(pstats.Stats(prof))}))
        return
    spent: dict[str, float] = {}
    rss_after: dict[str, float] = {}
    _wrap_phases(spent, rss_after)
    gc_spent = {"seconds": 0.0, "full_collections": 0, "started": 0.0}

    def on_gc(phase: str, info: dict[str, Any]) -> None:  # the cyclic GC's own time
        if phase == "start":
            gc_spent["started"] = time.perf_counter()
        else:
            gc_spent["seconds"] += time.perf_counter() - gc_spent["started"]
            gc_spent["full_collections"] += info.get("generation") == 2

    gc.callbacks.append(on_gc)
    t0 = time.perf_counter()
    update = pipeline.build_timeline(db, config)
    seconds = time.perf_counter() - t0
    gc.callbacks.remove(on_gc)
    peak = peak_rss_mb()
    hwm = vm_kb("VmHWM") / 1024
    phases = dict(spent)
    t0 = time.perf_counter()
    again = pipeline.build_timeline(db, config)
    again_s = time.perf_counter() - t0
    print(json.dumps({
        "items": pending, "seconds": seconds, "peak_mb": peak, "vm_hwm_mb": hwm,
        "rss_before_mb": rss_before,
        "update": {"placed": update.placed, "new_events": update.new_events,
                   "merges": update.merges, "scored": update.scored},
        "phases": phases,
        "gc": {"seconds": round(gc_spent["seconds"], 3),
               "full_collections": int(gc_spent["full_collections"])},
        "rss_mb_after_phase": {k: round(v, 1) for k, v in rss_after.items()},
        "second_pass": {"seconds": again_s, "placed": again.placed,
                        "new_events": again.new_events},
    }))


def measure(db_path: Path, mode: str = "time", timeout: float = 1800) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(db_path)],
                         capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"timeline child ({mode}) exited {out.returncode}: "
                           f"{out.stderr.strip()[-1500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the database ----------------------------------------------------------------------------

def build_db(path: Path, n: int) -> float:
    """Fill ``path`` with ``n`` relevant items in stories over two years ending today; return
    seconds."""
    from bench_data import fill, stories

    # stories() places items up to 4 days after its window's last day: end them by now.
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=STORY_DAYS + 4)
    t0 = time.perf_counter()
    stored = fill(path, stories(n, days=STORY_DAYS, start=start))
    if stored != n:
        raise AssertionError(f"fill stored {stored} items, not {n}")
    return time.perf_counter() - t0


def check_db(path: Path, n: int) -> dict[str, Any]:
    """Every relevant item in exactly one event; fewer events than items; scores for each."""
    with sqlite3.connect(path) as conn:
        q = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        c: dict[str, Any] = {
            "items": q("SELECT count(*) FROM items"),
            "relevant": q("SELECT count(*) FROM signals WHERE relevant = 1"),
            "event_items": q("SELECT count(*) FROM event_items"),
            "distinct_items_in_events": q("SELECT count(DISTINCT item_id) FROM event_items"),
            "relevant_without_event": q(
                "SELECT count(*) FROM signals WHERE relevant = 1 AND item_id NOT IN "
                "(SELECT item_id FROM event_items)"),
            "events": q("SELECT count(*) FROM events"),
            "merges": q("SELECT count(*) FROM event_merges"),
            "events_with_scores": q("SELECT count(DISTINCT event_id) FROM event_scores"),
            "orphan_memberships": q("SELECT count(*) FROM event_items WHERE event_id NOT IN "
                                    "(SELECT id FROM events)"),
        }
        sizes = sorted(r[0] for r in conn.execute(
            "SELECT count(*) FROM event_items GROUP BY event_id"))
        spans = [r[0] for r in conn.execute(
            "SELECT julianday(last_seen) - julianday(first_seen) FROM event_scores "
            "WHERE id IN (SELECT max(id) FROM event_scores GROUP BY event_id)")]
    # Diagnostics, not checks: events are connected components (single linkage), so the
    # same story retold every few days chains into one long event.
    c["items_per_event"] = {"median": sizes[len(sizes) // 2] if sizes else 0,
                            "max": sizes[-1] if sizes else 0,
                            "share_in_largest": round(sizes[-1] / n, 3) if sizes else 0}
    c["longest_event_days"] = round(max(spans), 1) if spans else 0
    c["ok"] = bool(c["items"] == c["relevant"] == c["event_items"]
                   == c["distinct_items_in_events"] == n
                   and c["relevant_without_event"] == 0 and c["orphan_memberships"] == 0
                   and 0 < c["events"] < n and c["events_with_scores"] == c["events"])
    return c


# --- the section ---------------------------------------------------------------------------

def _phase_line(phases: dict[str, float], total: float) -> str:
    top = sorted(phases.items(), key=lambda kv: -kv[1])[:6]
    rest = total - sum(phases.values())
    return ", ".join(f"{k} {v:.1f}s" for k, v in top) + f", other {rest:.1f}s"


def run(quick: bool = False, report: Report | None = None, force_profile: bool = False
        ) -> dict[str, Any]:
    forbid_network()
    rep = report or Report(quiet=False)
    p = QUICK if quick else FULL
    figures: list[dict[str, Any]] = []
    out: dict[str, Any] = {"sizes": {"small": p.small, "large": p.large},
                           "story_days": STORY_DAYS}
    rep.line(f"== timeline: build_timeline over {p.small:,} and {p.large:,} relevant items "
             f"(stories over {STORY_DAYS} days ending today, real labelled titles), each in "
             "a fresh process; then `monitor timeline --json` on the large database")
    with tempfile.TemporaryDirectory(prefix="monitor-bench-timeline-") as tmpdir:
        tmp = Path(tmpdir)
        dbs = {p.small: tmp / "small.db", p.large: tmp / "large.db"}
        builds: dict[int, dict[str, Any]] = {}
        checks: dict[int, dict[str, Any]] = {}
        for n, path in dbs.items():
            fill_s = build_db(path, n)
            rep.line(f"   filled {n:>7,} items (items + signals, bench_data.fill) in "
                     f"{fill_s:6.1f} s")
            out.setdefault("fill_seconds", {})[str(n)] = round(fill_s, 2)
        for n, path in dbs.items():
            m = measure(path)
            builds[n] = m
            checks[n] = check_db(path, n)
            c = checks[n]
            rep.line(f"   build_timeline {n:>7,} items: {m['seconds']:7.2f} s "
                     f"({m['seconds'] / n * 1e6:6.0f} us/item), peak RSS {m['peak_mb']:5.0f} MB "
                     f"(after imports + open {m['rss_before_mb']:.0f} MB); "
                     f"{c['events']:,} events, {c['merges']} merges; second pass "
                     f"{m['second_pass']['seconds']:.2f} s, placed "
                     f"{m['second_pass']['placed']}; checks "
                     f"{'ok' if c['ok'] and m['second_pass']['placed'] == 0 else 'FAILED'}")
            rep.line(f"     phases: {_phase_line(m['phases'], m['seconds'])}; of the whole, "
                     f"the cyclic GC {m['gc']['seconds']:.1f}s ({m['gc']['full_collections']} "
                     "full collections)")
            top_rss = sorted(m["rss_mb_after_phase"].items(), key=lambda kv: -kv[1])[:3]
            ipe = c["items_per_event"]
            rep.line("     RSS after: " + ", ".join(f"{k} {v:.0f} MB" for k, v in top_rss)
                     + f"; items per event: median {ipe['median']}, largest "
                     f"{ipe['max']:,} ({ipe['share_in_largest']:.0%} of all), longest event "
                     f"spans {c['longest_event_days']:.0f} days")
        small, large = builds[p.small], builds[p.large]
        per_small = small["seconds"] / p.small
        per_large = large["seconds"] / p.large
        growth = ratio_figure(
            f"timeline.per_item_time_{p.large // 1000}k_vs_{p.small // 1000}k",
            per_large * 1e6, per_small * 1e6, unit="us/item", higher_is_better=True,
            target=TARGET_PER_ITEM_GROWTH, target_max=True,
            measured_name=f"build_timeline, {p.large:,} items, per item",
            baseline_name=f"build_timeline, {p.small:,} items, per item (same code, same run)",
            note="1.0 = linear growth; above 1 the per-item cost grows with the size")
        figures.append(growth)
        secs = absolute(ratio_figure(
            f"timeline.build_seconds_{p.large // 1000}k_vs_{p.small // 1000}k",
            large["seconds"], small["seconds"], unit="s", higher_is_better=True,
            measured_name=f"build_timeline, {p.large:,} items",
            baseline_name=f"build_timeline, {p.small:,} items",
            note=f"ratio = how many times longer ({p.large // p.small} = linear); target on "
                 "the measured value"), f"< {TARGET_SECONDS:.0f} s absolute",
            large["seconds"] < TARGET_SECONDS)
        figures.append(secs)
        mem = absolute(ratio_figure(
            f"timeline.peak_rss_{p.large // 1000}k_vs_{p.small // 1000}k",
            large["peak_mb"], small["peak_mb"], unit="MB", higher_is_better=True,
            measured_name=f"peak RSS, build_timeline of {p.large:,} items (fresh process)",
            baseline_name=f"peak RSS, build_timeline of {p.small:,} items (fresh process)",
            note="ratio = how many times the small size's peak; target on the measured value"),
            f"< {TARGET_MB:.0f} MB absolute", large["peak_mb"] < TARGET_MB)
        figures.append(mem)
        rep.line(f"     -> per item {growth['ratio']:.2f}x the small size's (target <= "
                 f"{TARGET_PER_ITEM_GROWTH}: {'met' if growth['met'] else 'MISSED'}); "
                 f"{large['seconds']:.1f} s (target < {TARGET_SECONDS:.0f} s: "
                 f"{'met' if secs['met'] else 'MISSED'}); peak {large['peak_mb']:.0f} MB "
                 f"(target < {TARGET_MB:.0f} MB: {'met' if mem['met'] else 'MISSED'})")

        # The CLI on the large database, as a user runs it.
        big = dbs[p.large]
        base_s, base_out, startup, baseline = startup_baseline(big, p.repeats, rep, "timeline")
        figures.append(startup)
        cli: dict[str, Any] = {}
        for since in ("all", "30d"):
            cmd = monitor_cmd(big, "timeline", "--since", since, "--json")
            t, samples, text = best_of(cmd, p.repeats)
            doc = json.loads(text)
            events = doc.get("events", [])
            ordered = all(a["date"] >= b["date"] for a, b in zip(events, events[1:], strict=False))
            cli[since] = {"seconds": round(t, 4), "samples": [round(s, 4) for s in samples],
                          "events": len(events), "bytes": len(text),
                          "newest_first": ordered,
                          "noise_level": (doc.get("noise_level") or {}).get("level")}
            fig = absolute(ratio_figure(
                f"timeline.cli_since_{since}_vs_sqlite_count", t, base_s, unit="s",
                higher_is_better=False,
                measured_name=f"monitor timeline --since {since} --json ({p.large:,} items, "
                              f"best of {p.repeats})",
                baseline_name="python -c sqlite3 SELECT count(*) FROM items",
                note="ratio < 1: how many times slower than the baseline; target on the "
                     "measured value"), f"< {TARGET_CLI_SECONDS:.0f} s absolute",
                t < TARGET_CLI_SECONDS)
            figures.append(fig)
            rep.line(f"   monitor timeline --since {since:<3} --json:                "
                     f"{t:6.3f} s  ({len(events):,} events, {len(text) / 1e6:.1f} MB of JSON; "
                     f"{fig['ratio']:.2f}x the baseline's speed; target < "
                     f"{TARGET_CLI_SECONDS:.0f} s: {'met' if fig['met'] else 'MISSED'})")
        live = checks[p.large]["events"] - checks[p.large]["merges"]
        cli_ok = (cli["all"]["events"] == live and cli["all"]["newest_first"]
                  and cli["30d"]["newest_first"] and 0 < cli["30d"]["events"]
                  < cli["all"]["events"])
        rep.line(f"     JSON checks: --since all lists {cli['all']['events']:,} events (live "
                 f"events {live:,}), newest first; --since 30d lists {cli['30d']['events']:,}: "
                 f"{'ok' if cli_ok else 'FAILED'}")
        out["cli"] = cli
        imports = import_breakdown()
        out["startup_imports"] = imports
        rep.line("   start-up: the costliest imports of `monitor --help` (python -X importtime, "
                 "cumulative): " + ", ".join(f"{r['module']} {r['cumulative_ms']:.0f} ms"
                                             for r in imports[:6]))
        cli_met = all(f.get("met", True) for f in figures if ".cli_since_" in f["name"])
        if force_profile or (not quick and not cli_met):
            prof = profile_cli(monitor_cmd(big, "timeline", "--since", "all", "--json"),
                               "timeline", tmp)
            out["cli_profile"] = prof
            report_profile(rep, f"monitor timeline --since all --json ({p.large:,} items)",
                           prof)
        out["cli_baseline"] = baseline

        build_met = secs["met"] and mem["met"] and growth["met"]
        if force_profile or (not quick and not build_met):
            prof_db = tmp / "profile.db"
            build_db(prof_db, p.small)
            pr = measure(prof_db, "profile")
            out["profile"] = pr
            rep.line(f"   profile (cProfile, build_timeline of {p.small:,} items, "
                     f"{pr['seconds_under_profile']:.1f} s under the profiler), by own time:")
            for r in pr["top_own"][:12]:
                rep.line(f"     {r['own_s']:7.2f} s own {r['cumulative_s']:7.2f} s cum "
                         f"{r['calls']:>9,} calls  {r['function']}")
            rep.line("     monitor functions by cumulative time:")
            for r in pr["top_cumulative_monitor"][:10]:
                rep.line(f"     {r['cumulative_s']:7.2f} s cum {r['calls']:>9,} calls  "
                         f"{r['function']}")
            os.remove(prof_db)

    ok = bool(all(c["ok"] for c in checks.values())
              and all(b["second_pass"]["placed"] == 0 for b in builds.values())
              and cli_ok)
    out.update({
        "builds": {str(n): b for n, b in builds.items()},
        "checks": {str(n): c for n, c in checks.items()},
        "figures": figures,
        "ok": ok,
        "targets_met": all(f.get("met", True) for f in figures),
    })
    return out


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--child":
        child(sys.argv[3], sys.argv[2])
    else:
        as_json = "--json" in sys.argv
        result = run("--quick" in sys.argv, Report(quiet=as_json),
                     force_profile="--profile" in sys.argv)
        print(json.dumps(result, indent=2))
        sys.exit(0 if result["ok"] else 1)
