"""Gather what the outputs show for a period, from the database: a frozen Report."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import store
from .cluster import DayNoise, noise_levels
from .config import Config, parse_interval
from .instruments import outlook as build_outlook
from .types import AUTHORITIES, EventRow, Outlook, Report, SignalRow, SourceHealth

if TYPE_CHECKING:
    from sqlite_utils import Database

_RANK = {a: i for i, a in enumerate(AUTHORITIES)}
DEFAULT_FAILING_AFTER = 86_400  # a source failing longer than a day shows in the digest
# A day's Noise Level compares it with the 28 calendar days before it (cluster.noise_levels),
# so reading the levels of some days means reading a margin of days before them too.
BASELINE_MARGIN = 60  # days (or days with items) read before the first day shown
LEVELS_LOOKBACK = 400  # calendar days read back beyond the N asked for: the latest N days
#                        with items can reach further back than N calendar days
READ_ALL_ABOVE = 300  # days asked for past which every day is read (no date bound)


def event_row(row: dict[str, Any], links: tuple[tuple[str, str, str], ...] = ()) -> EventRow:
    """Return an EventRow from a latest-score row."""
    return EventRow(
        id=row["event_id"], date=row["date"], title=row["title"], kind=row["kind"],
        authority=row["authority"], topics=tuple(row["topics"] or ()), noise=row["noise"],
        items=row["items"], outlets=row["outlets"], echo=row["echo"],
        attention=row["attention"], peak_attention=row["peak_attention"],
        velocity=row["velocity"], percentile=row["percentile"],
        first_seen=row["first_seen"], last_seen=row["last_seen"],
        updated=row["computed_at"], stance_mix=tuple(sorted((row["stance_mix"] or {}).items())),
        links=links)


def failing_sources(db: Database, config: Config, now: datetime) -> list[SourceHealth]:
    """Return the configured sources failing for longer than `digest.failing_after`."""
    digest = config.extra.get("digest") or {}
    after = parse_interval(digest.get("failing_after", DEFAULT_FAILING_AFTER))
    states = store.get_states(db)
    out = []
    for source in config.sources:
        st = states.get(source.id)
        if st is None or st.status != "failing":
            continue
        since = st.last_success
        if since is None:
            first_error = db.execute(
                "SELECT min(started) FROM fetch_log WHERE source_id = ? AND status = 'error'",
                [source.id]).fetchone()[0]
            since = first_error
        if since and datetime.fromisoformat(since) > now - timedelta(seconds=after):
            continue
        out.append(SourceHealth(source_id=source.id, status=st.status,
                                last_success=st.last_success, last_error=st.last_error,
                                error_count=st.error_count, failing_since=since))
    return out


def daily_levels(db: Database, debate: str, days: int, now: datetime) -> list[DayNoise]:
    """Return the daily Noise Levels of the last ``days`` days with items, reading only the
    days those and their baselines need."""
    if days > READ_ALL_ABOVE:
        rows = store.noise_days(db, debate)[-(days + BASELINE_MARGIN):]
    else:
        start = now - timedelta(days=days + LEVELS_LOOKBACK)
        rows = store.noise_days(db, debate, start.isoformat())
    return noise_levels(rows)[-days:]


def build(db: Database, config: Config, since: str | None, now: datetime,
          deadline_days: int = 30, examples: int = 3,
          exclude: frozenset[str] | set[str] = frozenset()) -> Report:
    """Return the report of the period from ``since`` (None: everything) to ``now``.

    Items in ``exclude`` (already mailed) are left out, and so are events with nothing else
    new in the period.
    """
    debate = config.debate
    assert debate is not None
    signals = [s for s in store.query_signals(db, debate.id, since=since, until=now.isoformat())
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
            by_event.setdefault(s.event, []).append(s)

    def links(event_id: str) -> tuple[tuple[str, str, str], ...]:
        rows = sorted(by_event.get(event_id, []),
                      key=lambda s: (s.draft, _RANK.get(s.authority, 9), s.published or "",
                                     s.id))
        seen: set[str] = set()
        out = []
        for s in rows:  # one link per document: the same FR document comes from many queries
            if s.document not in seen and s.url not in seen:
                seen.update((s.document, s.url))
                out.append((s.title, s.url, s.source))
        return tuple(out[:4])

    events = sorted(period_events, key=lambda r: (_RANK.get(r["authority"], 9), -r["noise"],
                                                  r["event_id"]))
    new_events = sorted((r for r in period_events if since is None or
                         r["first_seen"] >= since), key=lambda r: (r["date"], r["event_id"]),
                        reverse=True)
    # One line per document (the same FR document comes from several queries and from
    # public inspection): the published version first. Final and proposed first, newest
    # first within each (signals come newest first).
    chosen: dict[str, SignalRow] = {}

    def preference(s: SignalRow) -> tuple[bool, int, bool]:
        return (s.draft, _RANK[s.authority], s.document == s.url)

    for s in signals:
        if s.authority in ("final", "proposed", "official"):
            key = s.event or s.document
            if key not in chosen or preference(s) < preference(chosen[key]):
                chosen[key] = s
    official = sorted((s for s in signals if chosen.get(s.event or s.document) is s),
                      key=lambda s: _RANK[s.authority])
    stances = Counter(s.stance for s in signals)

    def picks(stance: str) -> tuple[SignalRow, ...]:
        seen: set[str] = set()
        out: list[SignalRow] = []
        for s in sorted((s for s in signals if s.stance == stance),
                        key=lambda s: (-s.relevance, s.published or "", s.id)):
            key = s.event or s.document
            if key not in seen and len(out) < examples:
                seen.add(key)
                out.append(s)
        return tuple(out)

    sides = tuple((name, stances.get(name, 0), picks(name))
                  for name in ("restrict", "open", "neutral"))
    today = now.date()
    upcoming = store.deadlines(db, debate.id, today.isoformat(),
                               (today + timedelta(days=deadline_days)).isoformat())
    thresholds: Counter[str] = Counter()
    example: dict[str, str] = {}
    for s in signals:
        for e in s.entities:
            if e.kind == "threshold":
                thresholds[e.value] += 1
                example.setdefault(e.value, s.title)
    # the daily levels need 28 days before the first one shown; the page shows them all
    history = None if since is None else \
        (datetime.fromisoformat(since) - timedelta(days=BASELINE_MARGIN)).isoformat()
    levels = noise_levels(store.noise_days(db, debate.id, history))
    level = levels[-1].level if levels else "quiet"
    labels = {t.id: t.label for t in debate.topics}
    topic_counts = Counter(t for s in signals for t in s.topics)
    return Report(
        debate=debate.id, debate_title=debate.title, generated_at=now.isoformat(),
        since=since, until=now.isoformat(), noise_level=level,
        noise_trend=tuple((d.day, d.level, d.share) for d in levels[-14:]),
        official=tuple(official), events=tuple(event_row(r, links(r["event_id"]))
                                               for r in events),
        new_events=tuple(event_row(r, links(r["event_id"])) for r in new_events),
        sides=sides, deadlines=tuple(upcoming),
        thresholds=tuple((v, n, example[v]) for v, n in thresholds.most_common()),
        failing=tuple(failing_sources(db, config, now)), signals=tuple(signals),
        daily=tuple((d.day, d.relevant, d.total, d.level) for d in levels),
        topics=tuple((t, labels.get(t, t), n) for t, n in topic_counts.most_common()),
        outlook=outlook_of(db, debate.id, now))


def outlook_of(db: Database, debate: str, now: datetime) -> Outlook:
    """Return the outlook of the debate's stored instruments as of now."""
    return build_outlook(store.instruments.get_instruments(db, debate), now.date())
