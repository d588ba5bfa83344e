"""An event's score: the one shape the cluster stage produces, the store appends to the
score history and reads back, and the read side (report, outputs, CLI) shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .stages import Item, Signal


@dataclass(frozen=True)
class EventScore:
    """One event as it stands at a moment: what it is and how loud, with the components.

    Before ranking (``cluster.profile``) noise, percentile and reference_events are 0;
    ``cluster.rank`` fills them in against the event's contemporaries.
    """

    event_id: str
    computed_at: datetime  # aware, UTC
    title: str
    date: date  # the official date when there is one, else its first item's day
    kind: str
    authority: str
    topics: tuple[str, ...]
    stance_mix: tuple[tuple[str, int], ...]  # (stance, items), by stance
    items: int
    outlets: int
    echo: int
    attention: float  # now
    peak_attention: float
    velocity: float  # items per day over the last 2 days
    raw: float  # peak attention x (1 + log2(outlets))
    noise: float  # 0..100
    percentile: float
    reference_events: int
    first_seen: datetime  # its first item's publication (aware, UTC)
    last_seen: datetime


@dataclass(frozen=True)
class EventDetail:
    """One event as `monitor event` shows it: its latest score, its score history, its
    members (item, signal, (role, via)), and the events merged into it."""

    id: str  # the live event
    requested: str  # the id asked for (a merged event's id leads to the live one)
    merged_from: tuple[str, ...]
    latest: EventScore | None
    history: tuple[EventScore, ...]
    members: tuple[tuple[Item, Signal, tuple[str, str]], ...]
