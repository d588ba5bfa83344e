"""How commands print what they share: source runs, events, Noise Levels, signals.

Each JSON mapper here is the one shape of its record in every command's --json.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .. import safe
from ..types import EventScore, SourceRun, times
from .context import EXIT_OK, EXIT_SOURCES_FAILED, echo, echo_json

if TYPE_CHECKING:
    from ..cluster import DayNoise
    from ..types import SignalRow, Source, SourceHealth

SIGNAL_KEYS = ("id", "title", "url", "source", "published", "relevance", "topics", "stance",
               "authority", "entities", "event", "earliest", "publishes")


def width() -> int:
    """Return the terminal's width (80 when output is not a terminal), at least 60."""
    import shutil

    return max(60, shutil.get_terminal_size((80, 24)).columns)


def wrapped(text: str, indent: int, first: str = "") -> str:
    """Return ``first`` + ``text`` wrapped to the terminal's width, continuation lines
    indented by ``indent``; words and ids are never split."""
    import textwrap

    return textwrap.fill(text, width=width(), initial_indent=first,
                         subsequent_indent=" " * indent, break_long_words=False,
                         break_on_hyphens=False) or first.rstrip()


def run_line(r: SourceRun) -> str:
    """Return one source run as a line of the run summary (wrapped to the terminal)."""
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
    return wrapped(detail, 40, f"{r.source_id:<26} {status:<13} ")


def run_json(r: SourceRun) -> dict[str, Any]:
    """Return one source run as JSON."""
    return {"source": r.source_id, "status": r.status, "started": times.iso(r.started),
            "http_status": r.http_status, "pages": r.pages, "bytes": r.bytes,
            "items_seen": r.items_seen, "items_new": r.items_new,
            "duration_ms": r.duration_ms, "error": r.error, "notes": list(r.notes)}


def report_runs(runs: Sequence[SourceRun], as_json: bool, *, quiet: bool = False) -> int:
    """Print the runs (a line each and a total, or JSON); return the exit code they make.

    ``quiet`` (cron) prints only the failed runs and their total, nothing when all went well.
    """
    failed = [r for r in runs if r.failed]
    if as_json:
        echo_json(json.dumps({"runs": [run_json(r) for r in runs],
                               "failed": [r.source_id for r in failed]}, indent=2))
    elif quiet:
        for r in sorted(failed, key=lambda r: r.source_id):
            echo(run_line(r))
        if failed:
            echo(f"{len(failed)} of {len(runs)} sources failed")
    else:
        echo(f"{'source':<26} {'status':<13} detail")
        for r in sorted(runs, key=lambda r: r.source_id):
            echo(run_line(r))
            if r.status in ("ok", "error"):
                for note in r.notes:
                    echo(wrapped(note, 33, f"{'':<27}note: "))
        new = sum(r.items_new for r in runs)
        counts = {s: sum(r.status == s for r in runs)
                  for s in ("ok", "not_modified", "error", "skipped")}
        sources = len({r.source_id for r in runs})
        what = (f"{len(runs)} source{'s' * (sources != 1)}" if sources == len(runs)
                 else f"{sources} source{'s' * (sources != 1)}, {len(runs)} runs")
        echo(f"{what}: {counts['ok']} ok, {counts['not_modified']} not "
                   f"modified, {counts['error']} failed, {counts['skipped']} skipped; "
                   f"{new} new items")
    return EXIT_SOURCES_FAILED if failed else EXIT_OK


@contextmanager
def progress(enabled: bool, logs_to_stderr: bool = True) -> Iterator[
        tuple[Callable[[int], None], Callable[[SourceRun], None]]]:
    """Yield (on_start, on_result) callbacks that drive a progress bar on a terminal.

    While the bar shows, a log line prints on its own line above it; the per-source run
    lines are left out of a terminal log (the summary below the bar shows each run once).
    """
    if not enabled:
        yield (lambda n: None), (lambda r: None)
        return
    import logging

    runs_log = logging.getLogger("monitor.pipeline")
    level = runs_log.level
    if logs_to_stderr:
        runs_log.setLevel(max(logging.ERROR, level))
    try:
        with _bar() as callbacks:
            yield callbacks
    finally:
        runs_log.setLevel(level)


@contextmanager
def _bar() -> Iterator[tuple[Callable[[int], None], Callable[[SourceRun], None]]]:
    """Yield the callbacks of a rich progress bar on stderr."""
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


def event_json(score: EventScore) -> dict[str, Any]:
    """Return an event's score as JSON."""
    return {
        "id": score.event_id, "date": times.iso(score.date), "title": score.title,
        "kind": score.kind, "authority": score.authority, "topics": list(score.topics),
        "stance_mix": dict(score.stance_mix), "noise": score.noise,
        "components": {"items": score.items, "outlets": score.outlets, "echo": score.echo,
                       "attention": score.attention, "peak_attention": score.peak_attention,
                       "velocity": score.velocity, "raw": score.raw,
                       "percentile": score.percentile,
                       "reference_events": score.reference_events},
        "first_seen": times.iso(score.first_seen), "last_seen": times.iso(score.last_seen),
        "computed_at": times.iso(score.computed_at),
    }


def print_timeline(rows: Sequence[EventScore]) -> None:
    """Print events under a header, each as its facts, its title and its noise components,
    wrapped to the terminal (ids whole)."""
    if not rows:
        return
    echo(f"{'date':<10}  {'event':<15}  noise  {'authority':<10} {'items':>5} {'outlets':>7}  "
         "kind")
    for r in rows:
        topics = ", ".join(r.topics)
        echo(f"{times.day(r.date):<10}  {r.event_id:<15}  {r.noise:5.1f}  {r.authority:<10} "
             f"{r.items:>5} {r.outlets:>7}  {r.kind}")
        echo(wrapped(safe.terminal(r.title), 12, " " * 12))
        echo(wrapped(f"attention {r.peak_attention:.2f} peak / {r.attention:.2f} now, "
                     f"echo {r.echo}, percentile {r.percentile:.2f} of "
                     f"{r.reference_events}; topics {topics}", 12, " " * 12))


def level_json(day: DayNoise) -> dict[str, Any]:
    """Return one day's Noise Level as JSON."""
    return {"day": times.iso(day.day), "level": day.level, "relevant": day.relevant,
            "total": day.total, "share": day.share, "mean": day.mean, "std": day.std,
            "z": day.z}


def signal_json(s: SignalRow) -> dict[str, Any]:
    """Return a signal with the stable keys of SIGNAL_KEYS."""
    return {"id": s.id, "title": s.title, "url": s.url, "source": s.source,
            "published": times.iso(s.published), "relevance": s.relevance, "topics": list(s.topics),
            "stance": s.stance, "authority": s.authority,
            "entities": [{"kind": e.kind, "value": e.value} for e in s.entities],
            "event": s.event, "earliest": times.iso(s.earliest), "publishes": s.publishes}


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


def _table(*columns: str) -> Any:
    """Return a rich Table with a header row and no borders (more room for the text)."""
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False, show_edge=False)
    for name in columns:
        table.add_column(name, no_wrap=name in ("published", "rel", "7d", "all"),
                         justify="right" if name in ("rel", "7d", "all", "errors") else "left",
                         overflow="fold")
    return table


def _print(table: Any) -> None:
    from rich.console import Console

    Console(width=width(), soft_wrap=False, highlight=False).print(table)


def signals_table(rows: Sequence[SignalRow]) -> None:
    """Print the signals as a table that fits the terminal: the title wraps at word
    boundaries, the id (which names the source) sits whole on its own line under it."""
    if not rows:
        echo("no relevant items match (widen the period with --since, e.g. --since all)")
        return
    table = _table("published", "authority", "stance", "rel", "title / id")
    table.columns[-1].min_width = max(len(safe.terminal(s.id)) for s in rows)
    for s in rows:
        table.add_row(times.day(s.published), s.authority, s.stance, f"{s.relevance:.2f}",
                      cell(s.title + (f" [on public inspection, publishes on {s.publishes}]"
                                      if s.publishes else ""))
                      + "\n[dim]" + cell(s.id) + "[/dim]")
    _print(table)


SourceLine = tuple["Source", "SourceHealth | None", str, int, int]
# (source, its stored health, the status shown, items, items in the last 7 days)


def source_json(source: Source, h: SourceHealth | None, status: str, items: int,
                items_7d: int) -> dict[str, Any]:
    """Return a source's health as JSON."""
    return {
        "id": source.id, "kind": source.kind, "url": source.url, "interval": source.interval,
        "cron": source.cron, "status": status,
        "last_attempt": times.iso(h.last_attempt) if h else None,
        "last_success": times.iso(h.last_success) if h else None,
        "last_error": h.last_error if h else None, "error_count": h.error_count if h else 0,
        "next_attempt": times.iso(h.next_attempt) if h else None,
        "last_http_status": h.last_http_status if h else None,
        "items": items, "items_7d": items_7d,
    }


def sources_table(rows: Sequence[SourceLine]) -> None:
    """Print the sources' health as a table with a header row; each failing source's
    last error on wrapped lines under the table."""
    table = _table("source", "kind", "status", "last success / next attempt", "7d", "all")
    for source, h, status, items, items_7d in rows:
        table.add_row(cell(source.id), source.kind, status,
                      f"{times.minute(h.last_success if h else None, 'never')}\n"
                      f"{times.minute(h.next_attempt if h else None, '-')}",
                      str(items_7d), str(items))
    _print(table)
    for source, h, _, _, _ in rows:
        if h and h.error_count:
            echo(wrapped(safe.terminal(h.last_error or ""), 4,
                         f"{source.id}: {h.error_count} error"
                         f"{'s' * (h.error_count != 1)}, last: "))


def cell(value: object) -> str:
    """Return source text for a rich cell: controls escaped, rich markup shown, not obeyed."""
    from rich.markup import escape

    return escape(safe.terminal(value))
