"""Commands that read the database: signals, timeline, event, noise.

Start-up is most of a query's time, so nothing here loads the fetch, parse or output stacks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import click

from .. import safe, store
from ..errors import StorageError
from ..types import AUTHORITIES, times
from .context import (
    EXIT_USAGE,
    STANCE_HELP,
    STANCES,
    TOPIC_HELP,
    Context,
    Failure,
    check_filters,
    echo,
    echo_json,
    errors,
    json_option,
    now,
    pass_ctx,
    period_start,
)
from .show import (
    event_json,
    level_json,
    print_timeline,
    signal_json,
    signals_csv,
    signals_table,
    wrapped,
)

AUTHORITY = click.Choice(AUTHORITIES)


@click.command()
@click.option("--since", default="7d", show_default=True,
              help="Period: 7d, 12w, 1y, 48h, a date or 'all'.")
@click.option("--topic", default=None, help=TOPIC_HELP)
@click.option("--stance", type=click.Choice(STANCES),
              default=None, help=STANCE_HELP)
@click.option("--authority", type=AUTHORITY, default=None,
              help="Only items of this authority (most binding first).")
@click.option("--source", default=None, help="Only items from this source id.")
@click.option("--min-relevance", type=click.FloatRange(0, 1), default=None,
              help="Only items at least this relevant (0..1).")
@click.option("--query", default=None, help="Full-text search of titles and summaries: "
              "each word or identifier is matched as a phrase (open-weight, NTIA-2023-0009); "
              "all must match.")
@click.option("--fts", "raw_query", is_flag=True, help="Read --query as raw SQLite FTS5 "
              "syntax (OR, NOT, NEAR, prefix*, \"phrases\").")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "ndjson"]),
              default="table", show_default=True, help="Output format.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--limit", type=click.IntRange(min=0), default=0,
              help="At most this many items (0: all).")
@pass_ctx
def signals(ctx: Context, since: str, topic: str | None, stance: str | None,
            authority: str | None, source: str | None, min_relevance: float | None,
            query: str | None, raw_query: bool, fmt: str, as_json: bool, limit: int) -> None:
    """List recent relevant items, newest first, with their classification.

    JSON, CSV and NDJSON carry the stable keys id, title, url, source, published,
    relevance, topics, stance, authority, entities and event.

    Example: monitor signals --since 30d --topic compute_thresholds --format json
    """
    if as_json:
        if fmt not in ("table", "json"):
            raise click.UsageError(f"--json and --format {fmt} exclude each other")
        fmt = "json"
    if raw_query and not query:
        raise click.UsageError("--fts reads --query as FTS5 syntax; give --query too")
    start = period_start(since)
    with errors(), bad_search(query):
        config = ctx.config()
        check_filters(config, topic=topic, source=source)
        db = ctx.db(create=False)
        assert config.debate is not None
        fts = query if raw_query or query is None else store.fts_phrases(query)
        rows = store.query_signals(db, config.debate.id, since=start, topic=topic,
                                   stance=stance, authority=authority, source=source,
                                   min_relevance=min_relevance, query=fts,
                                   identifier=None if raw_query or query is None
                                   or len(query.split()) != 1 else query.strip().upper(),
                                   limit=limit or None)
    if fmt == "json":
        echo_json(json.dumps([signal_json(s) for s in rows], indent=2, ensure_ascii=False))
    elif fmt == "ndjson":
        for s in rows:
            echo_json(json.dumps(signal_json(s), ensure_ascii=False))
    elif fmt == "csv":
        echo(signals_csv(rows), nl=False)
    else:
        signals_table(rows)


@contextmanager
def bad_search(query: str | None) -> Iterator[None]:
    """Yield; a query FTS5 refuses becomes a usage error naming --query."""
    try:
        yield
    except StorageError as e:
        if query is None:
            raise
        raise click.BadParameter(f"{query!r}: {str(e.__cause__ or e)} (without --fts every "
                                 "word is a phrase)", param_hint="'--query'") from e


@click.command()
@click.option("--since", default="30d", show_default=True,
              help="Period: 7d, 12w, 1y, a date (2024-01-31) or 'all'.")
@click.option("--topic", default=None, help=TOPIC_HELP)
@click.option("--min-noise", type=click.FloatRange(0, 100), default=None,
              help="Only events at least this loud (0..100).")
@click.option("--authority", default=None, type=AUTHORITY,
              help="Only events of this authority.")
@json_option
@pass_ctx
def timeline(ctx: Context, since: str, topic: str | None, min_noise: float | None,
             authority: str | None, as_json: bool) -> None:
    """List the debate's events, newest first, with noise and its components.

    Each event shows its date (the official date when there is one), title, kind,
    authority, topics, noise (0..100) with attention, outlets, echo and percentile,
    and its item count. The JSON also holds the debate's daily Noise Level.

    Example: monitor timeline --since 1y --min-noise 50
    """
    from ..report import daily_levels

    start = period_start(since)
    with errors():
        config = ctx.config()
        check_filters(config, topic=topic)
        db = ctx.db(create=False)
        assert config.debate is not None
        debate = config.debate.id
        rows = store.timeline(db, debate, times.day_of(start) if start else None)
        levels = daily_levels(db, debate, 1, now())
    rows = [r for r in rows
            if (topic is None or topic in r.topics)
            and (min_noise is None or r.noise >= min_noise)
            and (authority is None or r.authority == authority)]
    level = levels[-1] if levels else None
    if as_json:
        echo_json(json.dumps({
            "debate": debate, "since": times.iso(start),
            "noise_level": level_json(level) if level else None,
            "events": [event_json(r) for r in rows]}, indent=2))
        return
    if level:
        echo(f"Noise Level {level.level} on {times.day(level.day)} ({level.relevant} of "
                   f"{level.total} items relevant)")
    if not rows:
        echo(f"no events since {times.iso(start) or 'the beginning'}" + (
            " matching the filters" if topic or min_noise or authority else ""))
    print_timeline(rows)


@click.command()
@click.argument("event_id")
@json_option
@pass_ctx
def event(ctx: Context, event_id: str, as_json: bool) -> None:
    """Show one event: its items, entities, stance mix and noise history.

    A merged event's id shows the event it was merged into.

    Example: monitor event ev-1a2b3c4d5e6f
    """
    with errors():
        config = ctx.config()
        db = ctx.db(create=False)
        assert config.debate is not None
        found = store.get_event(db, config.debate.id, event_id)
    if found is None:
        raise Failure(f"no event {event_id!r} (ids are shown by `monitor timeline`)",
                      EXIT_USAGE)
    latest = found.latest
    members = sorted(found.members, key=lambda m: (m[0].published or "", m[0].id))
    entities: dict[tuple[str, str], int] = {}
    for _, sig, _ in members:
        for e in sig.entities:
            entities[(e.kind, e.value)] = entities.get((e.kind, e.value), 0) + 1
    # when the event was first publicly knowable: its earliest item's earliest moment
    first_public = min((i.earliest for i, _, _ in members if i.earliest), default=None)
    if as_json:
        echo_json(json.dumps({
            "id": found.id, "requested": found.requested,
            "merged_from": list(found.merged_from),
            "event": event_json(latest) if latest else None, "first_public": first_public,
            "items": [{"id": i.id, "source": i.source_id, "published": i.published,
                       "earliest": i.earliest,
                       "title": i.title, "url": i.url, "authority": s.authority,
                       "stance": s.stance, "role": role, "via": via}
                      for i, s, (role, via) in members],
            "entities": [{"kind": k, "value": v, "items": n}
                         for (k, v), n in sorted(entities.items())],
            "history": [event_json(h) for h in found.history]}, indent=2))
        return
    if found.requested != found.id:
        echo(f"{found.requested} was merged into {found.id}")
    if latest:
        print_timeline([latest])
        echo(f"stance mix: {', '.join(f'{k} {v}' for k, v in latest.stance_mix)}")
    if first_public:
        echo(f"first public: {first_public[:16].replace('T', ' ')} UTC")
    echo(f"items:\n  {'published':<16}  {'authority':<10} item / title / link")
    for item, sig, (role, via) in members:
        when = (item.published or "")[:16].replace("T", " ")
        echo(f"  {when:<16}  {sig.authority:<10} {item.id}")
        echo(wrapped(safe.terminal(item.title), 30, " " * 30))
        echo(wrapped(f"{safe.terminal(item.url)} [{role}: {via}]", 30, " " * 30))
    if entities:
        echo(wrapped("; ".join(f"{k} {v}" + (f" ×{n}" if n > 1 else "")
                               for (k, v), n in sorted(entities.items())), 2, "entities: "))
    echo(f"noise history:\n  {'computed':<16}  noise  items outlets  echo attention")
    for h in found.history:
        echo(f"  {times.minute(h.computed_at):<16}  {h.noise:5.1f}  "
             f"{h.items:>5} {h.outlets:>7} {h.echo:>5} {h.attention:>9.2f}")


@click.command()
@click.option("--days", type=click.IntRange(1, 36500), default=30, show_default=True,
              help="How many of the latest days with items to show.")
@json_option
@pass_ctx
def noise(ctx: Context, days: int, as_json: bool) -> None:
    """Show the debate's daily Noise Level: quiet, normal, elevated, loud or surge.

    Each day's share of relevant items is compared with the mean and deviation of
    the previous 28 days (>= 1 sigma elevated, >= 2 loud, >= 3 surge).

    Example: monitor noise --days 14
    """
    from ..report import daily_levels

    with errors():
        config = ctx.config()
        db = ctx.db(create=False)
        assert config.debate is not None
        levels = daily_levels(db, config.debate.id, days, now())
    if as_json:
        echo_json(json.dumps({"days": [level_json(d) for d in levels]}, indent=2))
        return
    for d in levels:
        baseline = (f"mean {d.mean:.2f} sd {d.std:.2f} z {d.z:+.1f}" if d.mean is not None
                    and d.z is not None else "no baseline yet")
        echo(f"{times.day(d.day)}  {d.level:<9} {d.relevant:>4} of {d.total:<5} relevant "
                   f"(share {d.share:.2f}; {baseline})")
