"""The timeline: relevant items placed into events (new or existing), and the noise scores of
the events that changed or are recent appended, in one transaction per pass."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .. import cluster, store
from ..config import Config, default_role
from ..types import Member, Plan
from .clock import utcnow

if TYPE_CHECKING:  # types only: sqlite_utils lives in store.py
    from sqlite_utils import Database

RESCORE_DAYS = 21  # events seen this recently are rescored every run: their attention decays


@dataclass(frozen=True)
class TimelineUpdate:
    """What one clustering pass did."""

    placed: int
    new_events: int
    merges: int
    scored: int


def build_timeline(db: Database, config: Config, now: datetime | None = None
                   ) -> TimelineUpdate:
    """Place relevant items that have no event yet into events (new or existing), then
    append the noise scores of the events that changed or are recent. One transaction."""
    debate = config.debate
    if debate is None:
        return TimelineUpdate(0, 0, 0, 0)
    now = now or utcnow()
    build = _member_builder(config, now)
    with _collector_paused():
        plan, built = _place(db, debate.id, build)
    with store.transaction(db):
        if plan is not None:
            store.save_plan(db, plan, debate.id, now)
        previous = store.latest_scores(db, debate.id)
        recent = now - timedelta(days=RESCORE_DAYS)
        touched = {a.event_id for a in plan.assignments} if plan else set()
        touched |= {into for _, into, _ in plan.merges} if plan else set()
        touched |= {eid for eid, row in previous.items() if row.last_seen >= recent}
        membership = store.event_membership(db, debate.id, touched)
        missing = [iid for rows in membership.values() for iid, _ in rows if iid not in built]
        built.update((iid, build(row)) for iid, row in
                     store.member_rows(db, debate.id, missing).items())
        groups = {eid: [(built[iid], role or "member") for iid, role in rows if iid in built]
                  for eid, rows in membership.items()}
        # (an event whose items were all reclassified as irrelevant keeps its last score)
        profiles = [cluster.profile(eid, group, now) for eid, group in groups.items() if group]
        peers = [(row.date, eid, row.raw) for eid, row in previous.items()]
        scores = cluster.rank(profiles, peers)
        scored = store.save_scores(db, scores, debate.id, previous)
    return TimelineUpdate(placed=len(plan.assignments) if plan else 0,
                          new_events=len(plan.new_events) if plan else 0,
                          merges=len(plan.merges) if plan else 0, scored=scored)


def _place(db: Database, debate: str, build: Callable[[store.events.MemberRow], Member]
           ) -> tuple[Plan | None, dict[str, Member]]:
    """Plan where the pending relevant items go; return the plan and every member built."""
    new = [build(r) for r in store.iter_pending_members(db, debate)]
    if not new:
        return None, {}
    keys = set().union(*(_keys(m) for m in new))
    window = timedelta(days=cluster.SIMILARITY_WINDOW_DAYS)
    published = [m.published for m in new]
    start, end = min(published) - window, max(published) + window
    context = [build(r) for r in store.members_near(db, debate, keys, start, end)]
    plan = cluster.plan(new, context, debate, store.merges(db, debate))
    return plan, {m.item_id: m for m in (*new, *context)}


def _member_builder(config: Config, now: datetime) -> Callable[[store.events.MemberRow], Member]:
    """Return a function building a stored item's cluster member (weight and role of its
    source, and its event if it has one)."""
    weights = {s.id: s.weight for s in config.sources}
    roles = config.roles()

    def build(row: store.events.MemberRow) -> Member:
        item, signal, fetched, event_id, _ = row
        m = cluster.member_of(item, signal, weight=weights.get(item.source_id, 1.0),
                              role=roles.get(item.source_id) or default_role(item.kind),
                              fetched_at=fetched, now=now)
        return replace(m, event_id=event_id) if event_id else m

    return build


def _keys(m: Member) -> set[tuple[str, str]]:
    """Return the member's entity keys as (kind, value) pairs, to find its stored neighbours."""
    keys = {*m.primary, *m.secondary, *m.specific, *([m.reference] if m.reference else [])}
    return {tuple(k.split(":", 1)) for k in keys}  # type: ignore[misc]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while members are built and clustered: it would
    walk the hundreds of thousands of members, nodes and vectors again and again as they are
    allocated (seconds at 100,000 items), and none of them form reference cycles, so reference
    counting frees them as ever. A cycle made meanwhile waits for the next collection."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
