"""Second, blind labelling of the label set: write the sheet, then compare the two labellings.

    python3.11 scripts/agreement.py sheet dev.csv dev2.csv --zeros 60 --seed 7 \
        --out tests/data/labelset/agreement/sheet-dev.csv
    python3.11 scripts/agreement.py compare tests/data/labelset/agreement/second-dev.csv
    python3.11 scripts/agreement.py compare tests/data/labelset/agreement/second-dev*.csv

`sheet` writes every row the set labels relevant plus a random sample of the rows it labels
not relevant, shuffled, with only what a labeller may see: id (file:line), title, summary,
source_kind, source, url. The set's label columns are read to choose the rows and never
written or printed. `compare` reads the second labels (id, title, relevant, stance, note),
looks up the set's labels by id, and prints percent agreement, Cohen's kappa, the confusion
tables and every disagreement (add `--json` for the figures as JSON).

Standard library only; it never imports or runs the classifier.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from monitor import safe  # noqa: E402  (standard library only: runs without the venv)

SET = ROOT / "tests" / "data" / "labelset"
SHEET_COLUMNS = ["id", "title", "summary", "source_kind", "source", "url"]
SECOND_COLUMNS = ["id", "title", "relevant", "stance", "note"]
STANCES = ("restrict", "open", "neutral")
HIDDEN = {"relevant", "topics", "stance", "part"}


def read_rows(path: Path) -> list[tuple[str, dict[str, str]]]:
    """Return (id, row) for every data row of a label-set CSV; id is `file:line`."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        out = []
        for row in reader:
            # line_num is the last physical line read: the row's own line only while no
            # field spans lines, so an id would be ambiguous otherwise.
            if reader.line_num != len(out) + 2:
                raise SystemExit(f"{path}: a field spans lines before line {reader.line_num}; "
                                 "ids are file:line and need one row a line")
            out.append((f"{path.name}:{reader.line_num}", row))
        return out


def choose(files: Sequence[Path], zeros: int | None, seed: int) -> list[dict[str, str]]:
    """Return the sheet rows: all relevant rows, `zeros` sampled others (all if None), shuffled."""
    rows = [(rid, row) for path in files for rid, row in read_rows(path)]
    if zeros is None:
        chosen = rows
    else:
        ones = [r for r in rows if r[1]["relevant"] == "1"]
        nought = [r for r in rows if r[1]["relevant"] != "1"]
        if zeros > len(nought):
            raise SystemExit(f"sheet: asked for {zeros} rows labelled 0, only {len(nought)}")
        chosen = ones + random.Random(seed).sample(nought, zeros)
    random.Random(seed).shuffle(chosen)
    return [{"id": rid} | {k: row[k] for k in SHEET_COLUMNS[1:]} for rid, row in chosen]


def write_sheet(args: argparse.Namespace) -> None:
    files = [Path(f) if Path(f).exists() else SET / f for f in args.files]
    sheet = choose(files, None if args.all else args.zeros, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=SHEET_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(sheet)
    print(f"sheet: {len(sheet)} rows -> {args.out}")


def kappa(pairs: Sequence[tuple[str, str]]) -> float:
    """Return Cohen's kappa of two labellings given as (first, second) pairs."""
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[c] * second[c] for c in first) / (n * n)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def kappa_interval(pairs: Sequence[tuple[str, str]], seed: int = 7,
                   rounds: int = 2000) -> tuple[float, float]:
    """Return a 95% percentile bootstrap interval for kappa (resampling rows, fixed seed)."""
    rng = random.Random(seed)
    values = sorted(kappa([rng.choice(pairs) for _ in pairs]) for _ in range(rounds))
    return values[int(0.025 * rounds)], values[int(0.975 * rounds) - 1]


def wilson(hits: int, n: int) -> tuple[float, float]:
    """Return the 95% Wilson interval for a proportion hits/n."""
    p, z = hits / n, 1.96
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def figures(pairs: Sequence[tuple[str, str]], classes: Sequence[str]) -> dict[str, object]:
    """Return n, agreement (with interval), kappa (with interval) and the confusion table."""
    hits = sum(a == b for a, b in pairs)
    table = {a: {b: sum(p == (a, b) for p in pairs) for b in classes} for a in classes}
    low, high = wilson(hits, len(pairs))
    klow, khigh = kappa_interval(pairs)
    return {"n": len(pairs), "agree": hits, "agreement": round(hits / len(pairs), 3),
            "agreement_95": [round(low, 3), round(high, 3)], "kappa": round(kappa(pairs), 3),
            "kappa_95": [round(klow, 3), round(khigh, 3)], "confusion": table}


def compare(args: argparse.Namespace) -> None:
    second = []
    for path in args.second:
        with open(path, newline="", encoding="utf-8") as handle:
            second += list(csv.DictReader(handle))
    wanted = {r["id"].split(":")[0] for r in second}
    absent = sorted(name for name in wanted if not (args.set / name).exists())
    if absent:
        raise SystemExit(f"compare: no such file in {args.set}: {', '.join(absent)}")
    labels = {rid: row for name in sorted(wanted) for rid, row in read_rows(args.set / name)}
    missing = [r["id"] for r in second if r["id"] not in labels]
    if missing:
        raise SystemExit(f"compare: ids not in the set: {', '.join(missing)}")
    stale = [r["id"] for r in second if r["title"] != labels[r["id"]]["title"]]
    if stale:
        raise SystemExit(f"compare: title differs from the set's row (stale id?): "
                         f"{', '.join(stale)}")
    bad = [r["id"] for r in second if r["relevant"] not in ("0", "1")
           or r["stance"] not in ((*STANCES,) if r["relevant"] == "1" else ("",))]
    if bad:
        raise SystemExit(f"compare: relevant must be 0/1 and stance one of "
                         f"{'/'.join(STANCES)} on relevant rows, empty otherwise: {', '.join(bad)}")
    rel = [(labels[r["id"]]["relevant"], r["relevant"]) for r in second]
    both = [r for r in second if r["relevant"] == "1" and labels[r["id"]]["relevant"] == "1"]
    stance = [(labels[r["id"]]["stance"], r["stance"]) for r in both]
    out: dict[str, object] = {
        "relevance": figures(rel, ("1", "0")),
        "stance": figures(stance, STANCES),
        "stance_by_set_class": {c: sum(a == c for a, _ in stance) for c in STANCES},
    }
    disagree = []
    for r in second:
        mine = labels[r["id"]]
        if (mine["relevant"], mine["stance"]) != (r["relevant"], r["stance"]):
            disagree.append({"id": r["id"], "title": r["title"],
                             "set": f"{mine['relevant']} {mine['stance']}".strip(),
                             "second": f"{r['relevant']} {r['stance']}".strip(),
                             "note": r["note"]})
    out["disagreements"] = disagree
    flagged = [r for r in second if "uncertain" in r["note"].lower()]
    out["flagged_uncertain"] = {"n": len(flagged), "disagree": sum(
        "uncertain" in d["note"].lower() for d in disagree)}
    if args.json:
        print(safe.json_text(json.dumps(out, indent=2)))
        return
    for name, classes in (("relevance", ("1", "0")), ("stance", STANCES)):
        f = out[name]
        assert isinstance(f, dict)
        print(f"{name}: n={f['n']} agreement={f['agreement']:.3f} "
              f"(95% {f['agreement_95'][0]:.3f}-{f['agreement_95'][1]:.3f}) "
              f"kappa={f['kappa']:.3f} (95% {f['kappa_95'][0]:.3f}-{f['kappa_95'][1]:.3f})")
        print("  set \\ second " + " ".join(f"{c:>9}" for c in classes))
        for a in classes:
            print(f"  {a:>12} " + " ".join(f"{f['confusion'][a][b]:>9}" for b in classes))
    u = out["flagged_uncertain"]
    assert isinstance(u, dict)
    print(f"second labeller's calls flagged uncertain: {u['n']}, of which disagree: "
          f"{u['disagree']}")
    print(f"disagreements: {len(disagree)}")
    for d in disagree:
        print(f"  {safe.terminal(d['id'])}: set={d['set']!r} second={d['second']!r} "
              f"{safe.terminal(d['title'])}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sheet", help="write the blind sheet")
    s.add_argument("files", nargs="+", help="label-set CSVs (names in tests/data/labelset/)")
    s.add_argument("--zeros", type=int, default=60, help="rows labelled 0 to sample")
    s.add_argument("--all", action="store_true", help="every row, not a sample")
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--out", type=Path, required=True)
    c = sub.add_parser("compare", help="compare second labels with the set's")
    c.add_argument("second", type=Path, nargs="+",
                   help="CSV(s) with columns " + ", ".join(SECOND_COLUMNS) + " (pooled)")
    c.add_argument("--json", action="store_true")
    c.add_argument("--set", type=Path, default=SET,
                   help="folder holding the label-set CSVs the ids name (default: %(default)s)")
    args = parser.parse_args(argv)
    write_sheet(args) if args.command == "sheet" else compare(args)


if __name__ == "__main__":
    main(sys.argv[1:])
