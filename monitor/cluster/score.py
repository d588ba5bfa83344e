"""How loud an event is: decaying attention, its peak, the raw score and its percentile among
the events of the same half year (cold-start blended): an event's EventScore."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from ..types import EventScore, Member, authority_rank

HALF_LIFE_DAYS = 3.0
REFERENCE_DAYS = 180
COLD_START_EVENTS = 20
COLD_START_SCALE = 4.0


def attention(members: Iterable[tuple[datetime, float]], as_of: datetime) -> float:
    """Return Σ weight × 0.5^(age / 3 days) over the members dated up to ``as_of``."""
    total = 0.0
    for when, weight in members:
        age = (as_of - when).total_seconds() / 86400
        if age >= 0:
            total += weight * 0.5 ** (age / HALF_LIFE_DAYS)
    return total


def peak_attention(members: Sequence[tuple[datetime, float]]) -> tuple[float, datetime]:
    """Return the highest attention the members ever reached, and when (at a member's time)."""
    best, best_at, current = 0.0, None, 0.0
    previous: datetime | None = None
    for when, weight in sorted(members):
        if previous is not None:
            current *= 0.5 ** ((when - previous).total_seconds() / 86400 / HALF_LIFE_DAYS)
        current += weight
        previous = when
        if current > best:
            best, best_at = current, when
    return best, best_at or datetime.min.replace(tzinfo=UTC)


def raw_score(attention_value: float, outlets: int) -> float:
    """Return attention × (1 + log2(outlets))."""
    return attention_value * (1 + math.log2(max(outlets, 1)))


def noise_from(raw: float, reference: Sequence[float]) -> tuple[float, float]:
    """Return (noise 0..100, percentile 0..1) of ``raw`` among the reference events' raws.

    With fewer than 20 reference events the percentile is blended with a cold-start curve,
    100 × (1 − e^(−raw / 4)), in proportion to how many there are.
    """
    n = len(reference)
    if n:
        below = sum(r < raw for r in reference) + 0.5 * sum(r == raw for r in reference)
        pct = below / n
    else:
        pct = 0.0
    curve = 1 - math.exp(-raw / COLD_START_SCALE)
    share = min(n, COLD_START_EVENTS) / COLD_START_EVENTS
    return round(100 * (share * pct + (1 - share) * curve), 1), round(pct, 4)


def _lead(distinct: Sequence[Member]) -> Member:
    """Return the member an event is named after: its most authoritative document, an
    official one with keys of its own (a Federal Register entry) before coverage of it."""
    return min(distinct, key=lambda m: (not m.primary, m.draft, authority_rank(m.authority),
                                        m.kind == "news", m.published, m.item_id))


def profile(event_id: str, members: Sequence[tuple[Member, str]], as_of: datetime
            ) -> EventScore:
    """Return an event's title, date, kind, authority, topics, stance mix and noise components
    as of ``as_of``, not yet ranked (noise, percentile and reference events 0: ``rank``).

    ``members`` pairs each member with its role (member or echo); echoes count once.
    """
    distinct = [m for m, role in members if role != "echo"] or [m for m, _ in members]
    echo = sum(role == "echo" for _, role in members)
    lead = _lead(distinct)
    officials = sorted(m.official_date for m in distinct if m.official_date)
    event_date = (lead.official_date or (officials[0] if officials else None)
                  or min(m.published for m in distinct).date())
    timed = [(m.published, m.weight) for m in distinct]
    peak, _ = peak_attention(timed)
    now_attention = attention(timed, as_of)
    outlets = len({m.outlet for m in distinct})
    recent = sum(1 for when, _ in timed if timedelta(0) <= as_of - when <= timedelta(days=2))
    topics = Counter(t for m in distinct for t in m.topics)
    stances = Counter(m.stance for m in distinct)
    return EventScore(
        event_id=event_id, computed_at=as_of, title=lead.title,
        date=event_date, kind=lead.kind,
        authority=lead.authority,
        topics=tuple(t for t, _ in sorted(topics.items(), key=lambda kv: (-kv[1], kv[0]))),
        stance_mix=tuple(sorted(stances.items())), items=len(distinct), outlets=outlets,
        echo=echo, attention=round(now_attention, 4), peak_attention=round(peak, 4),
        velocity=round(recent / 2, 2), raw=round(raw_score(peak, outlets), 4),
        noise=0.0, percentile=0.0, reference_events=0,
        first_seen=min(when for when, _ in timed), last_seen=max(when for when, _ in timed))


def rank(profiles: Sequence[EventScore], peers: Iterable[tuple[date, str, float]]
         ) -> list[EventScore]:
    """Return each event's score: noise is its raw loudness as a percentile among the events
    of the 180 days up to its own date (its contemporaries), cold-start blended.

    ``peers`` are (date, event id, raw) of the other live events; the profiles count too.
    """
    pool = {eid: (d, raw) for d, eid, raw in peers}
    pool.update({p.event_id: (p.date, p.raw) for p in profiles})
    ordered = sorted((d, eid, raw) for eid, (d, raw) in pool.items())
    days = [d.toordinal() for d, _, _ in ordered]
    out = []
    for p in sorted(profiles, key=lambda p: (p.date, p.event_id)):
        day = p.date.toordinal()
        lo = bisect_left(days, day - REFERENCE_DAYS)
        hi = bisect_right(days, day)
        reference = [raw for _, eid, raw in ordered[lo:hi] if eid != p.event_id]
        noise, pct = noise_from(p.raw, reference)
        out.append(replace(p, noise=noise, percentile=pct, reference_events=len(reference)))
    return out
