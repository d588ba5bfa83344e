"""Following event merges: an event merged into another lives on as the end of its chain.

Every store query that maps an event to the one it lives on as goes through ``live_event``.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlite_utils import Database


def merges(db: Database, debate: str) -> dict[str, str]:
    """Return {merged event: the event it was merged into}."""
    return {r[0]: r[1] for r in db.execute(
        "SELECT from_event, into_event FROM event_merges WHERE debate = ?", [debate])}


def live_event(event_id: str, resolve: Mapping[str, str]) -> str:
    """Return the event ``event_id`` lives on as: the end of its chain of merges."""
    seen = set()
    while event_id in resolve and event_id not in seen:
        seen.add(event_id)
        event_id = resolve[event_id]
    return event_id


def merged_into(live: set[str], resolve: Mapping[str, str]) -> set[str]:
    """Return the events merged, directly or through others, into any of the ``live`` ones."""
    return {f for f, t in resolve.items() if live_event(t, resolve) in live}
