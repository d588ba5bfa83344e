"""Gather what the outputs show for a period, from the database: a frozen Report."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import store
from .cluster import DayNoise, noise_levels
from .config import Config, parse_interval
from .instruments import outlook as build_outlook
from .outputs import brief
from .outputs.outlets import actor, outlet
from .types import (
    Entity,
    EventRow,
    EventScore,
    Report,
    SignalRow,
    SourceHealth,
    authority_rank,
    times,
)
from .types.shown import NoiseBasis

if TYPE_CHECKING:
    from sqlite_utils import Database

DEFAULT_FAILING_AFTER = 86_400  # a source failing longer than a day shows in the digest
# A day's Noise Level compares it with the 28 calendar days before it (cluster.noise_levels),
# so reading the levels of some days means reading a margin of days before them too.
BASELINE_MARGIN = 60  # days (or days with items) read before the first day shown
LEVELS_LOOKBACK = 400  # calendar days read back beyond the N asked for: the latest N days
#                        with items can reach further back than N calendar days
READ_ALL_ABOVE = 300  # days asked for past which every day is read (no date bound)
LINKS = 4  # documents listed under an event; the rest are counted ("N more")
ACTORS = 5  # actors named per side; the rest are counted
SIDES = ("restrict", "open", "neutral")


def event_row(score: EventScore, links: tuple[tuple[str, str, str], ...] = (),
              members: list[SignalRow] | None = None, now: datetime | None = None,
              more_links: int = 0) -> EventRow:
    """Return an EventRow from an event's latest score; with its members, also its summary,
    identifiers, outlets, dockets, comment deadline and importance."""
    rows = members or []
    return EventRow(
        score=score, links=links, more_links=more_links, summary=brief.summary(rows),
        identifiers=brief.identifiers(rows), sources=brief.outlets(rows),
        dockets=tuple((d, brief.docket_url(d)) for d in brief.dockets(rows)),
        comment_deadline=brief.comment_deadline(rows),
        importance=brief.importance(score.authority, score.noise, score.last_seen.date(),
                                    now) if now else 0.0)


def named(s: SignalRow) -> SignalRow:
    """Return the row with its outlet's and actor's names filled in."""
    return replace(s, outlet=outlet(s.url, s.source), actor=actor(s.url, s.source, s.agencies))


def noise_basis(levels: list[DayNoise]) -> NoiseBasis | None:
    """Return the headline Noise Level's basis: the latest day with a relevant item, its
    share and the trailing 28 days' baseline (a day with no relevant item says nothing)."""
    for i in range(len(levels) - 1, -1, -1):
        d = levels[i]
        if d.relevant:
            first = d.day - timedelta(days=28)
            days = sum(1 for x in levels[:i] if x.day >= first)
            return NoiseBasis(day=d.day, level=d.level, relevant=d.relevant, total=d.total,
                              share=d.share, mean=d.mean, std=d.std, baseline_days=days)
    return None


def failing_sources(db: Database, config: Config, now: datetime) -> list[SourceHealth]:
    """Return the configured sources failing for longer than `digest.failing_after`."""
    digest = config.extra.get("digest") or {}
    after = parse_interval(digest.get("failing_after", DEFAULT_FAILING_AFTER))
    health = store.source_health(db)
    out = []
    for source in config.sources:
        h = health.get(source.id)
        if h is None or h.status != "failing":
            continue
        if h.failing_since and h.failing_since > now - timedelta(seconds=after):
            continue
        out.append(h)
    return out


def daily_levels(db: Database, debate: str, days: int, now: datetime) -> list[DayNoise]:
    """Return the daily Noise Levels of the last ``days`` days with items, reading only the
    days those and their baselines need."""
    if days > READ_ALL_ABOVE:
        rows = store.noise_days(db, debate)[-(days + BASELINE_MARGIN):]
    else:
        start = now - timedelta(days=days + LEVELS_LOOKBACK)
        rows = store.noise_days(db, debate, start)
    return noise_levels(rows)[-days:]


def build(db: Database, config: Config, since: date | datetime | None, now: datetime,
          deadline_days: int = 30, examples: int = 3,
          exclude: frozenset[str] | set[str] = frozenset()) -> Report:
    """Return the report of the period from ``since`` (a moment, a day, or None: everything)
    to ``now``.

    Items in ``exclude`` (already mailed) are left out, and so are events with nothing else
    new in the period.
    """
    debate = config.debate
    assert debate is not None
    signals = [named(s) for s in store.query_signals(db, debate.id, since=since,
                                                     until=now)
               if s.id not in exclude]
    active = {s.event for s in signals if s.event}
    latest = store.latest_scores(db, debate.id, active if since else None)
    period_events = [r for eid, r in latest.items() if eid in active]
    by_event: dict[str, list[SignalRow]] = {}
    resolve = store.merges(db, debate.id)
    def live(event_id: str) -> str:
        seen: set[str] = set()
        while event_id in resolve and event_id not in seen:
            seen.add(event_id)
            event_id = resolve[event_id]
        return event_id

    aliases = {f for f in resolve if live(f) in active}  # merged into an active event
    for s in store.query_signals(db, debate.id, events=active | aliases):
        if s.event:
            by_event.setdefault(s.event, []).append(named(s))

    def links(event_id: str) -> tuple[tuple[tuple[str, str, str], ...], int]:
        seen: set[str] = set()
        out = []
        for s in brief.lead_first(by_event.get(event_id, [])):
            # one link per document: the same FR document comes from many queries
            if s.document not in seen and s.url not in seen:
                seen.update((s.document, s.url))
                out.append((s.title, s.url, s.outlet))
        return tuple(out[:LINKS]), max(len(out) - LINKS, 0)

    def row(score: EventScore) -> EventRow:
        shown, more = links(score.event_id)
        return event_row(score, shown, by_event.get(score.event_id, []), now, more)

    events = sorted((row(r) for r in period_events),
                    key=lambda e: (-e.importance, -e.score.noise, e.score.event_id))
    start = None if since is None else times.start_of(since)
    new_events = sorted((e for e in events if start is None or e.score.first_seen >= start),
                        key=lambda e: (e.score.date, e.score.event_id), reverse=True)
    # One line per document (the same FR document comes from several queries and from
    # public inspection): the published version first. Final and proposed first, newest
    # first within each (signals come newest first).
    chosen: dict[str, SignalRow] = {}

    def preference(s: SignalRow) -> tuple[bool, int, bool]:
        return (s.draft, authority_rank(s.authority), s.document == s.url)

    for s in signals:
        if s.authority in ("final", "proposed", "official"):
            key = s.event or s.document
            if key not in chosen or preference(s) < preference(chosen[key]):
                chosen[key] = s
    official = sorted((s for s in signals if chosen.get(s.event or s.document) is s),
                      key=lambda s: authority_rank(s.authority))
    stances = Counter(s.stance for s in signals)

    def picks(stance: str) -> tuple[SignalRow, ...]:
        seen: set[str] = set()
        out: list[SignalRow] = []
        for s in sorted((s for s in signals if s.stance == stance),
                        key=lambda s: (-s.relevance, s.published or times.NEVER, s.id)):
            key = s.event or s.document
            if key not in seen and len(out) < examples:
                seen.add(key)
                out.append(s)
        return tuple(out)

    def actors(stance: str) -> tuple[str, tuple[tuple[str, SignalRow], ...], int]:
        latest: dict[str, SignalRow] = {}
        for s in signals:  # newest first: the first item seen of an actor is its latest
            if s.stance == stance and s.actor not in latest:
                latest[s.actor] = s
        return stance, tuple(list(latest.items())[:ACTORS]), len(latest)

    sides = tuple((name, stances.get(name, 0), picks(name)) for name in SIDES)
    today = now.date()
    upcoming = store.deadlines(db, debate.id, today, today + timedelta(days=deadline_days))
    thresholds: Counter[str] = Counter()
    example: dict[str, str] = {}
    for s in signals:
        for e in s.entities:
            if e.kind == "threshold":
                thresholds[e.value] += 1
                example.setdefault(e.value, s.title)
    # the daily levels need 28 days before the first one shown; the page shows them all
    history = None if start is None else start - timedelta(days=BASELINE_MARGIN)
    levels = noise_levels(store.noise_days(db, debate.id, history))
    basis = noise_basis(levels)
    labels = {t.id: t.label for t in debate.topics}
    topic_counts = Counter(t for s in signals for t in s.topics)
    answer = instruments_of(db, debate.id, now, since, signals, events)
    headline, short = what_moved(events, upcoming, dict(answer["badges"]))
    return Report(
        debate=debate.id, debate_title=debate.title, generated_at=now,
        since=start, until=now, noise_level=basis.level if basis else "quiet",
        noise_trend=tuple((d.day, d.level, d.share) for d in levels[-14:]),
        official=tuple(official), events=tuple(events), new_events=tuple(new_events),
        sides=sides, deadlines=tuple(upcoming),
        thresholds=tuple((v, n, example[v]) for v, n in thresholds.most_common()),
        failing=tuple(failing_sources(db, config, now)), signals=tuple(signals),
        daily=tuple((d.day, d.relevant, d.total, d.level) for d in levels),
        topics=tuple((t, labels.get(t, t), n) for t, n in topic_counts.most_common()),
        noise=basis, headline=headline, headline_short=short,
        since_arg=times.day(since) if since else "all",
        actors=tuple(actors(name) for name in SIDES),
        **answer)


def what_moved(events: list[EventRow], deadlines: list[Any],
               badges: dict[str, str] | None = None) -> tuple[str, str]:
    """Return what moved in the period, as a sentence and as a subject's few words: its most
    important event (by importance), with its kind, who acted, its authority (the badge its
    instrument's state gives, when there is one) and its noise."""
    if not events:
        return "Nothing moved in this period.", "nothing new"
    top = events[0]
    who = f" ({top.sources[0]})" if top.sources else ""
    due = next((d for d in deadlines if d.event == top.score.event_id), None)
    tail = f"; comments due {times.day(due.day)}" if due and due.kind == "comment_deadline" else ""
    others = len(events) - 1
    more = f"; {brief.plural(others, 'other event')} in the period" if others else ""
    score = top.score
    kind = score.kind.replace("_", " ")
    # a badge is "<what it is> · <its instrument's state>": the kind already says the first
    authority = (badges or {}).get(score.event_id, score.authority).split(" · ")[-1]
    sentence = (f"What moved: {score.title}{who}, {kind}, {authority}, noise "
                f"{score.noise:.0f}, on {times.day(score.date)}{tail}{more}.")
    short = f"{' '.join(score.title.split())[:70]} ({kind}, noise {score.noise:.0f})"
    return sentence, short


def instruments_of(db: Database, debate: str, now: datetime,
                   since: date | datetime | None = None,
                   signals: list[SignalRow] | None = None,
                   events: list[EventRow] | None = None) -> dict[str, Any]:
    """Return the Report's ``instruments`` (latest change of state first), the ``outlook``
    built from them as of now, the period's ``key_points`` and the ``badges`` of the items
    and events whose authority alone would mislead."""
    found = store.instruments.get_instruments(db, debate)
    first = None if since is None else times.day_of(since)  # key points compare days
    points = brief.key_points(found, {}, first)
    # the summaries quoted are read for the points the page and the digest show, no more
    shown = {p.instrument.id: p.instrument for p in (
        *points[:brief.KEY_POINTS], *[p for p in points if p.moved][:brief.KEY_POINTS])}
    texts = store.instruments.item_texts(db, {s.item_id for i in shown.values()
                                              for s in i.history})
    points = tuple(brief.key_point(p.instrument, texts, first) if p.instrument.id in shown
                   else p for p in points)
    today = now.date().isoformat()
    index = brief.by_identifier(found)
    badges = {}
    for s in signals or ():
        said = brief.badge(s.authority, s.entities, f"{s.title} {s.summary}", index, today)
        if said != s.authority:
            badges[s.id] = said
    for e in events or ():
        ids = [Entity(kind, value, value) for kind, value in _ids(e.identifiers)]
        if e.comment_deadline:
            ids.append(Entity("comment_deadline", e.comment_deadline, e.comment_deadline))
        score = e.score
        said = brief.badge(score.authority, ids,
                           f"{score.kind.replace('_', ' ')} {score.title}", index, today)
        if said != score.authority:
            badges[score.event_id] = said
    return {"instruments": tuple(sorted(found, key=lambda i: i.since or date.min,
                                        reverse=True)),
            "outlook": build_outlook(found, now.date()),
            "key_points": points,
            "badges": tuple(sorted(badges.items()))}


def _ids(identifiers: tuple[str, ...]) -> list[tuple[str, str]]:
    """Return (entity kind, value) of an event's RIN and executive-order identifiers."""
    out = []
    for ident in identifiers:
        word, _, value = ident.partition(" ")
        kind = {"RIN": "rin", "EO": "executive_order"}.get(word)
        if kind and value:
            out.append((kind, value))
    return out
