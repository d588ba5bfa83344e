"""Synthetic but realistic data for the benchmarks, built from the real labelled items in
tests/data/labels.csv: deterministic (fixed seeds), at any size."""

from __future__ import annotations

import csv
import random
import resource
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_common import ROOT

from monitor import store
from monitor.types import Item, Signal, SourceRun, TopicHit

LABELS = ROOT / "tests" / "data" / "labels.csv"
FILLER = [
    "the", "agency", "said", "on", "tuesday", "that", "officials", "would", "review",
    "comments", "from", "industry", "groups", "civil", "society", "and", "researchers",
    "before", "deciding", "next", "steps", "in", "the", "process", "while", "lawmakers",
    "pressed", "for", "briefings", "on", "the", "timeline", "and", "the", "costs", "involved",
]
OUTLETS = [f"outlet{i}.example" for i in range(60)]


def labelled() -> list[dict[str, str]]:
    with open(LABELS, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def text_of(rng: random.Random, row: dict[str, str], size: int = 1000) -> str:
    """About ``size`` characters: the real title and summary, then filler words."""
    words = f"{row['title']}. {row['summary']}".split()
    while len(" ".join(words)) < size:
        words.append(rng.choice(FILLER))
    return " ".join(words)[:size]


def items_1kb(n: int, seed: int = 1) -> list[Item]:
    rng = random.Random(seed)
    rows = labelled()
    out = []
    for i in range(n):
        row = rows[i % len(rows)]
        body = text_of(rng, row)
        out.append(Item(id=f"b:{i}", source_id="bench", guid=str(i), url=f"https://{rng.choice(OUTLETS)}/{i}",
                        title=row["title"], summary=body, published=None, kind="feed"))
    return out


def stories(n: int, days: int = 730, seed: int = 2, start: datetime | None = None
            ) -> Iterator[tuple[Item, Signal, str]]:
    """``n`` relevant items in stories of 1..25 items over ``days`` days from ``start``
    (default 2024-01-01 UTC): each story is a real labelled title covered by several outlets
    over a few days (variants of its title)."""
    rng = random.Random(seed)
    rows = [r for r in labelled() if r["relevant"] == "1"]
    start = start or datetime(2024, 1, 1, tzinfo=UTC)
    made = 0
    story = 0
    while made < n:
        row = rows[story % len(rows)]
        day = start + timedelta(days=rng.randrange(days), hours=rng.randrange(24))
        size = min(n - made, max(1, int(rng.paretovariate(1.3))) if rng.random() < 0.9 else 25)
        topics = tuple(t for t in row["topics"].split(";") if t) or ("open_weight_restrictions",)
        for k in range(size):
            when = day + timedelta(hours=rng.randrange(72))
            prefix = rng.choice(["", "Update: ", "Analysis: ", "Report: ", ""])
            iid = f"n:{story}:{k}"
            item = Item(id=iid, source_id=f"news{rng.randrange(40)}", guid=iid,
                        url=f"https://{rng.choice(OUTLETS)}/{story}/{k}",
                        title=f"{prefix}{row['title']} ({story})",
                        summary=text_of(rng, row, 300), published=when.isoformat(), kind="feed")
            signal = Signal(item_id=iid, debate="open-weights", version="bench", relevance=0.9,
                            relevant=True, topics=tuple(TopicHit(t, ("bench",)) for t in topics),
                            stance=rng.choice(["restrict", "open", "neutral", "unknown"]),
                            stance_cues=(), authority=rng.choice(["news", "news", "official",
                                                                  "commentary"]),
                            authority_reason="bench", entities=())
            yield item, signal, when.isoformat()
            made += 1
        story += 1


def fill(db_path: Path, rows: Iterator[tuple[Item, Signal, str]], batch: int = 5000) -> int:
    """Store items with their signals, in batches (one transaction each)."""
    db = store.open_db(db_path)
    count = 0
    chunk: list[tuple[Item, Signal, str]] = []

    def flush() -> None:
        nonlocal count
        if not chunk:
            return
        run = SourceRun(source_id="bench", status="ok", started=datetime.now(UTC))
        signals = {s.item_id: s for _, s, _ in chunk}
        store.save_source_run(db, run, None, [i for i, _, _ in chunk],
                              signals_for=lambda new: [signals[i.id] for i in new])
        count += len(chunk)
        chunk.clear()

    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            flush()
    flush()
    db.conn.close()
    return count


def peak_rss_mb() -> float:
    """Return this process's peak resident memory in MB: VmHWM, which starts afresh at exec
    (Linux keeps ru_maxrss across exec, so a child started by a large bench process would
    report the parent's size at the fork); ru_maxrss where there is no /proc."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def count_rows(db_path: Path, table: str = "items") -> int:
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
