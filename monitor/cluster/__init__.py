"""Events and noise: which relevant items report the same happening, and how loud it is. Pure.

Data flows through the package in one direction:

    Item + Signal --members.member_of--> Member
    Members (new, and stored ones near them) --plan--> Plan (new events, assignments, merges)
    an event's Members --score.profile--> EventScore (unranked) --score.rank--> EventScore
    (day, relevant, total) rows --levels.noise_levels--> DayNoise

``plan`` builds a graph whose connected components are the events, so the same items give
the same events in any order. Its edges, in the order they are laid (joins.py):

1. echo: the same canonical URL or the same text (syndicated copies);
2. keys: two items that *are* the same document (FR document number or citation, an executive
   order's number); an item without such a key of its own (news, a press release) joins the
   items that carry the one key it cites first, within 30 days (a docket, RIN, bill...);
3. coverage: an item without keys joins the official document it most likely reports on;
4. similarity: titles and summaries alike (IDF-weighted cosine, or rapidfuzz's token sort
   ratio on titles) within 7 days, never between two distinct Federal Register documents.

Candidates for similarity come from an index of rare tokens and days, never from comparing
every pair.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..types import Member, Plan
from .graph import (
    COSINE_THRESHOLD,
    IDF_PRIOR,
    MAX_EVENT_SPAN_DAYS,
    TITLE_RATIO_THRESHOLD,
    Graph,
    event_id_for,
    nodes_of,
    outcome,
    similar,
    vectors,
)
from .joins import (
    ANCHOR_AFTER_DAYS,
    ANCHOR_BEFORE_DAYS,
    ANCHOR_THRESHOLD,
    EO_WINDOW_DAYS,
    KEY_WINDOW_DAYS,
    KIND_BONUS,
    KIND_PHRASES,
    MAX_CANDIDATES,
    MAX_SHARING,
    MIN_ANCHOR_COSINE,
    NEWS_COSINE,
    NEWS_WINDOW_DAYS,
    RARE_TOKENS,
    SIMILARITY_WINDOW_DAYS,
    anchor,
    join_alike,
    join_by_keys,
    join_echoes,
)
from .levels import LEVELS, DayNoise, noise_levels
from .members import _outlet as _outlet  # tests/test_properties.py imports it here
from .members import member_of, tokens
from .score import (
    COLD_START_EVENTS,
    COLD_START_SCALE,
    HALF_LIFE_DAYS,
    REFERENCE_DAYS,
    attention,
    noise_from,
    peak_attention,
    profile,
    rank,
    raw_score,
)

__all__ = [
    "ANCHOR_AFTER_DAYS", "ANCHOR_BEFORE_DAYS", "ANCHOR_THRESHOLD", "COLD_START_EVENTS",
    "COLD_START_SCALE", "COSINE_THRESHOLD", "EO_WINDOW_DAYS", "HALF_LIFE_DAYS", "IDF_PRIOR",
    "KEY_WINDOW_DAYS", "KIND_BONUS", "KIND_PHRASES", "LEVELS", "MAX_CANDIDATES",
    "MAX_EVENT_SPAN_DAYS", "MAX_SHARING", "MIN_ANCHOR_COSINE", "NEWS_COSINE",
    "NEWS_WINDOW_DAYS", "RARE_TOKENS", "REFERENCE_DAYS", "SIMILARITY_WINDOW_DAYS",
    "TITLE_RATIO_THRESHOLD", "DayNoise", "attention", "event_id_for",
    "member_of", "noise_from", "noise_levels", "peak_attention", "plan", "profile", "rank",
    "raw_score", "similar", "tokens",
]


def plan(new: Sequence[Member], context: Sequence[Member], debate: str,
         resolve: Mapping[str, str] | None = None) -> Plan:
    """Return the events the new members belong to: existing ones (through ``context``, the
    stored members near them) or new ones, with any merges the new members reveal.

    ``resolve`` maps merged event ids to the event they were merged into.
    """
    nodes = nodes_of(new, context, resolve or {})
    graph = Graph(nodes)
    echo_of = join_echoes(graph, nodes)
    join_by_keys(graph, nodes)
    vectors(nodes)  # likeness from here on
    anchor(graph, nodes)
    join_alike(graph, nodes, echo_of)
    return outcome(nodes, graph, echo_of, debate)
