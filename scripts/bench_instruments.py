#!/usr/bin/env python3
"""instruments: `monitor instruments --json`, `monitor instruments --state ended --json`,
`monitor outlook --json` and `monitor digest --since 7d` (which reads the instruments for its
answer, badges and key points) on the query benchmark's database of 1,000,000 items (quick:
100,000), against SELECT count(*) over the same table. Target: each under 1 s.

The database is bench_query's (the project's schema, items, signals, events, sources), plus
what an instruments pass leaves behind, written through the store's own functions
(store.instruments.save_claims / save_instruments) from claims built the way the pass builds
them (monitor.instruments.build): executive orders signed and some revoked, rules proposed,
made final, interim final, withdrawn and revived, with Unified Agenda projections, bills
introduced and a few enacted, requests for comment; each claim points at a real item of the
database. About 3,000 instruments with 2-7 pieces of evidence each.

Timed as a user runs them: subprocesses, one warm-up (its output checked), then the best of
5; the baseline, in the same run, is a subprocess `python -c` counting the items with sqlite3,
and `monitor --help` shows the CLI's start-up.

Run through scripts/bench (`scripts/bench instruments [--quick] [--json]`) or directly.
"""

from __future__ import annotations

import json
import random
import sqlite3
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import Report, forbid_network, ratio_figure  # noqa: E402
from bench_query import DEBATE, FULL, QUICK, build_db, now_utc  # noqa: E402
from bench_timeline import absolute, best_of, monitor_cmd, startup_baseline  # noqa: E402

from monitor import instruments, store  # noqa: E402
from monitor.types import Claim, Instrument, State  # noqa: E402

SEED = 20250113
TARGET_SECONDS = 1.0
COUNTS = {"executive_order": 300, "rule": 1500, "bill": 600, "proceeding": 600}
START = date(2023, 1, 1)


def _claims(kind: str, n: int, items: list[str], rng: random.Random) -> list[Claim]:
    """Return the claims of one instrument of a kind: its own documents' life cycle, a few
    relevant mentions, sometimes a conflict."""
    key = {"executive_order": f"eo:{14000 + n}", "rule": f"rule:{n // 100:04d}-A{n % 100:03d}",
           "bill": f"bill:S. {n}", "proceeding": f"proceeding:NTIA-2024-{n:04d}"}[kind]
    label = {"executive_order": f"EO {14000 + n}", "rule": f"RIN {key[5:]}",
             "bill": f"S. {n}", "proceeding": key[11:]}[kind]
    stance = rng.choice(("restrict", "restrict", "open", "neutral"))
    day = START + timedelta(days=rng.randrange(0, 1000))
    out: list[Claim] = []

    def add(state: State | Literal[""], status: str, own: bool = True, official: bool = True,
            note: str = "", due: date | None = None) -> None:
        nonlocal day
        item = rng.choice(items)
        out.append(Claim(instrument=key, kind=kind, state=state, status=status,
                         date=day, item_id=item, url=f"https://x.test/{item}",
                         title=f"Instrument {n} on model weights" if own else "",
                         identifiers=(label,), own=own, official=official,
                         stance=stance, relevant=True, due=due, note=note))
        day += timedelta(days=rng.randrange(20, 200))

    if kind == "executive_order":
        add("in_force", "signed")
        if rng.random() < 0.4:
            add("ended", f"revoked by EO {14500 + n}")
    elif kind == "rule":
        closes = day + timedelta(days=60)
        add("pending", f"proposed rule, comments close {closes}", due=closes)
        roll = rng.random()
        if roll < 0.45:
            add("in_force", "final rule")
        elif roll < 0.55:
            add("in_force", "interim final rule; comments open")
            add("ended", "not enforced", official=rng.random() < 0.8)
        elif roll < 0.65:
            add("ended", "withdrawn")
            if rng.random() < 0.5:
                add("pending", "proposed rule (revived)")
        if rng.random() < 0.3:
            when = (day + timedelta(days=200)).isoformat()[:7]
            add("", f"Unified Agenda (Fall 2025) projects Final Rule {when}",
                note=f"agenda|Fall 2025|Final Rule|{when}")
    elif kind == "bill":
        add("pending", "Introduced in Senate")
        add("pending", "Read twice and referred to the Committee on Commerce.")
        if rng.random() < 0.05:
            add("in_force", "enacted")
    else:
        closes = day + timedelta(days=30)
        add("pending", f"request for comment, comments close {closes}", due=closes)
    for _ in range(rng.randrange(0, 3)):  # relevant news naming it: direction, not state
        add("", "mentioned", own=False, official=False)
    if rng.random() < 0.1:  # a law firm reading it otherwise: a conflict, shown
        add("in_force", "remains in effect", own=False, official=False)
    return out


def fill(path: Path, rep: Report) -> dict[str, Any]:
    """Write the instruments an instruments pass would leave; return what was written."""
    rng = random.Random(SEED)
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT id FROM items ORDER BY rowid LIMIT 200000").fetchall()
        last = conn.execute("SELECT max(rowid) FROM items").fetchone()[0]
    items = [r[0] for r in rows]
    claims: list[Claim] = []
    n = 0
    for kind, count in COUNTS.items():
        for _ in range(count):
            n += 1
            claims.extend(_claims(kind, n, items, rng))
    built: list[Instrument] = instruments.build(claims)
    db = store.open_db(path)
    stamp = now_utc()
    with store.transaction(db):
        store.instruments.save_claims(db, DEBATE, claims, stamp)
        store.instruments.save_instruments(db, DEBATE, built, stamp)
        store.instruments.save_scan_position(db, DEBATE, int(last or 0))
    db.conn.close()
    states = {s: sum(1 for i in built if i.state == s) for s in ("pending", "in_force",
                                                                   "ended")}
    info = {"instruments": len(built), "claims": len(claims), "states": states,
            "restricting_in_force": sum(1 for i in built if i.state == "in_force"
                                        and i.direction == "restrict")}
    rep.line(f"   wrote {len(built):,} instruments from {len(claims):,} claims "
             f"({states['pending']:,} pending, {states['in_force']:,} in force, "
             f"{states['ended']:,} ended) through the store's own functions")
    return info


def run(quick: bool = False, report: Report | None = None) -> dict[str, Any]:
    forbid_network()
    rep = report or Report(quiet=False)
    p = QUICK if quick else FULL
    figures: list[dict[str, Any]] = []
    out: dict[str, Any] = {"items": p.items}
    rep.line(f"== instruments: `instruments --json`, `instruments --state ended --json`, "
             f"`outlook --json` and `digest --since 7d` on {p.items:,} items, as "
             "subprocesses, against SELECT count(*) FROM items")
    with tempfile.TemporaryDirectory(prefix="monitor-bench-instruments-") as tmpdir:
        path = Path(tmpdir) / "instruments.db"
        out["build"] = build_db(path, p.items, now_utc(), rep)
        info = fill(path, rep)
        out["filled"] = info
        base_s, _, startup, baseline = startup_baseline(path, p.repeats, rep, "instruments")
        figures.append(startup)
        commands = {
            "instruments": ("instruments", "--json"),
            "instruments_ended": ("instruments", "--state", "ended", "--json"),
            "outlook": ("outlook", "--json"),
            # the digest reads the instruments too: badges, key points, the outlook's answer
            "digest": ("digest", "--since", "7d"),
        }
        checks: dict[str, Any] = {}
        results: dict[str, Any] = {}
        for name, args in commands.items():
            t, samples, text = best_of(monitor_cmd(path, *args), p.repeats)
            data = json.loads(text) if "--json" in args else {}
            if name == "digest":
                headline = text.split("\n\n")[2] if text.count("\n\n") > 2 else ""
                ok = text.startswith("# ") and "in force" in headline and "## Key events" in text
                detail = f"{len(text) / 1e3:.0f} kB, answer: {headline[:60]}..."
            elif name == "instruments":
                ok = len(data) == info["instruments"] and all(i["history"] for i in data)
                detail = f"{len(data):,} instruments"
            elif name == "instruments_ended":
                ok = len(data) == info["states"]["ended"] and all(
                    i["state"] == "ended" for i in data)
                detail = f"{len(data):,} ended"
            else:
                ok = (len(data["in_force"]) == info["restricting_in_force"]
                      and data["forecast"][-1]["statement"] == instruments.CAVEAT
                      and bool(data["headline"]))
                detail = (f"{len(data['pending']):,} pending, {len(data['forecast']):,} "
                          "forecast statements")
            checks[name] = {"ok": ok, "detail": detail}
            results[name] = {"seconds": round(t, 4), "samples": [round(s, 4) for s in samples]}
            fig = absolute(ratio_figure(
                f"instruments.{name}_vs_sqlite_count", t, base_s, unit="s",
                higher_is_better=False,
                measured_name=f"monitor {' '.join(args)} ({p.items:,} items, "
                              f"{info['instruments']:,} instruments, best of {p.repeats})",
                baseline_name="python -c sqlite3 SELECT count(*) FROM items",
                note="ratio < 1: how many times slower than the baseline; target on the "
                     "measured value"), f"< {TARGET_SECONDS:.0f} s absolute",
                t < TARGET_SECONDS)
            figures.append(fig)
            rep.line(f"   monitor {' '.join(args):<34} {t:6.3f} s  ({detail}; "
                     f"{fig['ratio']:.3f}x the baseline's speed; target < "
                     f"{TARGET_SECONDS:.0f} s: {'met' if fig['met'] else 'MISSED'}; output "
                     f"check: {'ok' if ok else 'FAILED'})")
        out.update(commands=results, checks=checks, baseline=baseline)
    ok = bool(out["build"]["schema_unchanged"] and all(c["ok"] for c in checks.values()))
    out.update({"figures": figures, "ok": ok,
                "targets_met": all(f.get("met", True) for f in figures)})
    return out


if __name__ == "__main__":
    as_json = "--json" in sys.argv
    result = run("--quick" in sys.argv, Report(quiet=as_json))
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["ok"] else 1)
