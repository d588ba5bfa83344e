"""How commands print what they share: source runs, events, Noise Levels, signals.

Each JSON mapper here is the one shape of its record in every command's --json.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .. import safe
from ..types import SourceRun
from .context import EXIT_OK, EXIT_SOURCES_FAILED, echo, echo_json

if TYPE_CHECKING:
    from ..cluster import DayNoise
    from ..types import SignalRow

SIGNAL_KEYS = ("id", "title", "url", "source", "published", "relevance", "topics", "stance",
               "authority", "entities", "event", "earliest", "publishes")


def run_line(r: SourceRun) -> str:
    """Return one source run as a line of the run summary."""
    if r.status == "ok":
        detail = (f"HTTP {r.http_status}  {r.pages} page{'s' * (r.pages != 1)}  "
                  f"{r.items_seen} items  {r.items_new} new  {r.duration_ms} ms")
    elif r.status == "not_modified":
        detail = f"HTTP 304  nothing changed  {r.duration_ms} ms"
    elif r.status == "error":
        detail = f"{r.error}" + (f"  [{r.items_new} new kept]" if r.items_new else "")
    else:
        detail = "; ".join(r.notes)
    status = {"not_modified": "not modified"}.get(r.status, r.status)
    return f"{r.source_id:<26} {status:<13} {detail}"


def run_json(r: SourceRun) -> dict[str, Any]:
    """Return one source run as JSON."""
    return {"source": r.source_id, "status": r.status, "started": r.started.isoformat(),
            "http_status": r.http_status, "pages": r.pages, "bytes": r.bytes,
            "items_seen": r.items_seen, "items_new": r.items_new,
            "duration_ms": r.duration_ms, "error": r.error, "notes": list(r.notes)}


def report_runs(runs: Sequence[SourceRun], as_json: bool) -> int:
    """Print the runs (a line each and a total, or JSON); return the exit code they make."""
    failed = [r for r in runs if r.failed]
    if as_json:
        echo_json(json.dumps({"runs": [run_json(r) for r in runs],
                               "failed": [r.source_id for r in failed]}, indent=2))
    else:
        for r in sorted(runs, key=lambda r: r.source_id):
            echo(run_line(r))
            if r.status in ("ok", "error"):
                for note in r.notes:
                    echo(f"{'':<27}note: {note}")
        new = sum(r.items_new for r in runs)
        counts = {s: sum(r.status == s for r in runs)
                  for s in ("ok", "not_modified", "error", "skipped")}
        echo(f"{len(runs)} sources: {counts['ok']} ok, {counts['not_modified']} not "
                   f"modified, {counts['error']} failed, {counts['skipped']} skipped; "
                   f"{new} new items")
    return EXIT_SOURCES_FAILED if failed else EXIT_OK


@contextmanager
def progress(enabled: bool) -> Iterator[tuple[Callable[[int], None],
                                              Callable[[SourceRun], None]]]:
    """Yield (on_start, on_result) callbacks that drive a progress bar on a terminal."""
    if not enabled:
        yield (lambda n: None), (lambda r: None)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("fetching", total=None)

        def start(n: int) -> None:
            bar.update(task, total=n)

        def result(r: SourceRun) -> None:
            if r.status != "skipped":
                bar.update(task, advance=1, description=f"{r.source_id}: {r.status}")

        yield start, result


def event_json(row: dict[str, Any]) -> dict[str, Any]:
    """Return an event's latest-score row as JSON."""
    return {
        "id": row["event_id"], "date": row["date"], "title": row["title"],
        "kind": row["kind"], "authority": row["authority"], "topics": row["topics"],
        "stance_mix": row["stance_mix"], "noise": row["noise"],
        "components": {k: row[k] for k in ("items", "outlets", "echo", "attention",
                                           "peak_attention", "velocity", "raw",
                                           "percentile", "reference_events")},
        "first_seen": row["first_seen"], "last_seen": row["last_seen"],
        "computed_at": row["computed_at"],
    }


def print_timeline(rows: Sequence[dict[str, Any]]) -> None:
    """Print events as two lines each: what happened, then its noise components."""
    for r in rows:
        topics = ",".join(r["topics"][:3])
        echo(f"{r['date']}  {r['event_id']}  noise {r['noise']:5.1f}  "
                   f"{r['authority']:<10} {r['kind']:<18} {r['items']:>3} items "
                   f"{r['outlets']:>2} outlets  {r['title'][:90]}")
        echo(f"{'':<12}attention {r['peak_attention']:.2f} peak / {r['attention']:.2f} now,"
                   f" echo {r['echo']}, percentile {r['percentile']:.2f} of "
                   f"{r['reference_events']}; topics {topics}")


def level_json(day: DayNoise) -> dict[str, Any]:
    """Return one day's Noise Level as JSON."""
    return {"day": day.day, "level": day.level, "relevant": day.relevant,
            "total": day.total, "share": day.share, "mean": day.mean, "std": day.std,
            "z": day.z}


def signal_json(s: SignalRow) -> dict[str, Any]:
    """Return a signal with the stable keys of SIGNAL_KEYS."""
    return {"id": s.id, "title": s.title, "url": s.url, "source": s.source,
            "published": s.published, "relevance": s.relevance, "topics": list(s.topics),
            "stance": s.stance, "authority": s.authority,
            "entities": [{"kind": e.kind, "value": e.value} for e in s.entities],
            "event": s.event, "earliest": s.earliest, "publishes": s.publishes}


def signals_csv(rows: Sequence[SignalRow]) -> str:
    """Return the signals as CSV with a SIGNAL_KEYS header; lists joined by ';'."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(SIGNAL_KEYS)
    for s in rows:
        d = signal_json(s)
        d["topics"] = ";".join(d["topics"])
        d["entities"] = ";".join(f"{e['kind']}={e['value']}" for e in d["entities"])
        writer.writerow([d[k] if d[k] is not None else "" for k in SIGNAL_KEYS])
    return buffer.getvalue()


def signals_table(rows: Sequence[SignalRow]) -> None:
    """Print the signals as a table sized to the terminal."""
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=False)
    if not rows:
        console.print("no relevant items match")
        return
    table = Table(show_lines=False, expand=False, pad_edge=False)
    table.add_column("published", no_wrap=True)
    table.add_column("authority", no_wrap=True)
    table.add_column("stance", no_wrap=True)
    table.add_column("rel", justify="right", no_wrap=True)
    table.add_column("title", overflow="fold", ratio=1)
    table.add_column("source", overflow="ellipsis", max_width=18)
    table.add_column("id", overflow="fold", max_width=28)
    for s in rows:
        table.add_row((s.published or "")[:10], s.authority, s.stance, f"{s.relevance:.2f}",
                      cell(s.title + (f" [on public inspection, publishes on {s.publishes}]"
                                      if s.publishes else "")), cell(s.source), cell(s.id))
    console.print(table)


def cell(value: object) -> str:
    """Return source text for a rich cell: controls escaped, rich markup shown, not obeyed."""
    from rich.markup import escape

    return escape(safe.terminal(value))
