#!/usr/bin/env python3
"""The benchmark runner behind scripts/bench: one section, or all, then a JSON summary.

    scripts/bench crawl|ingest|classify|timeline|query|instruments|daemon|hostile|timeliness|all
                  [--quick] [--json]
                  [--profile] [--out FILE] [--strict]

Sections live in scripts/bench_<name>.py, each with ``run(quick, report) -> dict`` returning
``figures`` (each a ratio against a baseline measured in the same run, raw numbers beside
it), ``ok`` (its correctness checks passed) and ``targets_met``. To add a section, add a
module and an entry to SECTIONS.

Loopback only: every socket is checked (bench_common.forbid_network) and the whole run is
bounded by a watchdog. Exit status: 0 all checks passed; 1 a check failed or a section
crashed; 3 (only with --strict) a target was missed; 124 the time bound was hit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
import time
import traceback
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import Report, forbid_network, start_watchdog  # noqa: E402

SECTIONS = ("crawl", "ingest", "classify", "timeline", "query", "instruments", "daemon",
            "hostile", "timeliness")
# Seconds for the whole run. A full `all` measures about 25 minutes on 2 CPUs (timeline and
# query build databases of 100,000 and 1,000,000 items); the bound is a hang guard.
TIME_BOUND = {"full": 90 * 60, "quick": 10 * 60}


def _run_section(name: str, quick: bool, report: Report, profile: bool) -> dict[str, Any]:
    if name == "crawl":
        import bench_crawl

        return bench_crawl.run(quick, report)
    if name == "ingest":
        import bench_ingest

        return bench_ingest.run(quick, report, force_profile=profile)
    if name == "classify":
        import bench_classify

        return bench_classify.run(quick, report)
    if name == "timeline":
        import bench_timeline

        return bench_timeline.run(quick, report, force_profile=profile)
    if name == "query":
        import bench_query

        return bench_query.run(quick, report, force_profile=profile)
    if name == "instruments":
        import bench_instruments

        return bench_instruments.run(quick, report)
    if name == "daemon":
        import bench_daemon

        return bench_daemon.run(quick, report)
    if name == "hostile":
        import bench_hostile

        return bench_hostile.run(quick, report)
    if name == "timeliness":
        import bench_timeliness

        return bench_timeliness.run(quick, report)
    raise ValueError(name)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for pkg in ("monitor", "feedparser", "httpx", "sqlite-utils", "beautifulsoup4", "lxml"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("section", choices=(*SECTIONS, "all"))
    ap.add_argument("--quick", action="store_true",
                    help="small sizes: a smoke run for CI (well under a minute)")
    ap.add_argument("--json", action="store_true", help="print only the JSON summary")
    ap.add_argument("--profile", action="store_true",
                    help="ingest, timeline, query: always profile the project's path (it "
                         "is profiled anyway when a target is missed in a full run)")
    ap.add_argument("--out", type=Path, help="also write the JSON summary to this file")
    ap.add_argument("--strict", action="store_true",
                    help="exit 3 when a target is missed (timing targets are noisy in --quick)")
    args = ap.parse_args(argv)

    forbid_network()
    mode = "quick" if args.quick else "full"
    start_watchdog(TIME_BOUND[mode], f"scripts/bench {args.section} ({mode})")
    report = Report(quiet=args.json)
    names = SECTIONS if args.section == "all" else (args.section,)
    started = datetime.now(UTC).replace(microsecond=0)
    t0 = time.perf_counter()
    report.line(f"monitor benchmark: {', '.join(names)} ({mode}); {os.cpu_count()} CPUs, "
                f"Python {platform.python_version()}, loopback only")
    sections: dict[str, Any] = {}
    for name in names:
        s0 = time.perf_counter()
        try:
            result = _run_section(name, args.quick, report, args.profile)
        except Exception as e:  # a crashed section is a failed check, reported, not hidden
            result = {"ok": False, "targets_met": False, "figures": [],
                      "error": f"{type(e).__name__}: {e}",
                      "traceback": traceback.format_exc(limit=8)}
            report.line(f"   {name} FAILED: {type(e).__name__}: {e}")
            if args.json:
                sys.stderr.write(result["traceback"])
        result["seconds"] = round(time.perf_counter() - s0, 2)
        sections[name] = result
        report.line()

    ok = all(s.get("ok") for s in sections.values())
    met = all(s.get("targets_met") for s in sections.values())
    headline = [
        {"section": name, "name": f["name"], "ratio": f["ratio"], "target": f.get("target"),
         "met": f.get("met"), "measured": f["measured"]["value"],
         "baseline": f["baseline"]["value"], "unit": f["measured"]["unit"]}
        for name, s in sections.items() for f in s.get("figures", [])
    ]
    summary = {
        "bench": "monitor",
        "schema": 1,
        "command": "scripts/bench " + " ".join(sys.argv[1:] if argv is None else argv),
        "mode": mode,
        "started": started.isoformat(),
        "seconds": round(time.perf_counter() - t0, 2),
        "environment": {"cpus": os.cpu_count(), "platform": platform.platform(),
                        **_versions()},
        "ok": ok,
        "targets_met": met,
        "headline": headline,
        "sections": sections,
    }
    report.line("== summary (ratio = measured against the baseline measured in this run)")
    for h in headline:
        target = f"target {h['target']}: {'met' if h['met'] else 'MISSED'}" if h["target"] \
            else "no target"
        report.line(f"   {h['name']:<52} {h['ratio']:>8.3f}  ({h['measured']:g} vs "
                    f"{h['baseline']:g} {h['unit']}; {target})")
    report.line(f"   checks: {'all passed' if ok else 'FAILED'}; targets: "
                f"{'all met' if met else 'some missed'}; {summary['seconds']:.0f} s")
    report.line()
    text = json.dumps(summary, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    if not args.json:
        print("JSON summary:")
    print(text, flush=True)
    if not ok:
        return 1
    if args.strict and not met:
        return 3
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # e.g. piped into head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
