"""The graph events are read from: nodes, their union-find, TF-IDF vectors and likeness, and
the Plan its components make. [rapidfuzz]"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import mul

from rapidfuzz import fuzz

from ..types import Assignment, Member, Plan
from .members import title_key, tokens

MAX_EVENT_SPAN_DAYS = 30  # similarity and coverage never grow an event past this span
COSINE_THRESHOLD = 0.5
TITLE_RATIO_THRESHOLD = 88
IDF_PRIOR = 50


# --- nodes -----------------------------------------------------------------------------------

@dataclass(slots=True)
class Node:
    """A member in the graph: a stored one under its event's key, a new one under its own."""

    key: str  # "item:<id>" or "event:<id>"
    member: Member
    day: int
    fr: bool
    vector: dict[str, float] | None = None

    @property
    def topics(self) -> frozenset[str]:
        return _topic_set(self.member.topics)


@lru_cache(maxsize=4096)
def _topic_set(topics: tuple[str, ...]) -> frozenset[str]:
    return frozenset(topics)


def _day(m: Member) -> int:
    """Return the day a member happened: an official document's own date (an executive
    order's signing) when it has one, else its publication."""
    return (m.official_date or m.published.date()).toordinal()


def live(resolve: Mapping[str, str], event_id: str) -> str:
    """Return the event ``event_id`` was merged into, following merges (a cycle stops)."""
    seen = set()
    while event_id in resolve and event_id not in seen:
        seen.add(event_id)
        event_id = resolve[event_id]
    return event_id


def nodes_of(new: Sequence[Member], context: Sequence[Member],
             resolve: Mapping[str, str]) -> list[Node]:
    """Return the graph's nodes, each list in (published, item id) order: the stored members
    under their live event, then the new members not stored yet."""
    nodes: list[Node] = []
    for m in sorted(context, key=lambda m: (m.published, m.item_id)):
        assert m.event_id is not None
        nodes.append(Node(f"event:{live(resolve, m.event_id)}", m, _day(m), bool(m.primary)))
    stored = {m.item_id for m in context}
    for m in sorted(new, key=lambda m: (m.published, m.item_id)):
        if m.item_id not in stored:
            nodes.append(Node(f"item:{m.item_id}", m, _day(m), bool(m.primary)))
    return nodes


# --- union-find --------------------------------------------------------------------------------

class Graph:
    """Union-find over node keys that knows each component's first and last day, and why
    each new item was first joined."""

    def __init__(self, nodes: Sequence[Node]) -> None:
        self.parent: dict[str, str] = {}
        self.lo: dict[str, int] = {}  # a component's first and last day
        self.hi: dict[str, int] = {}
        self.reasons: dict[str, str] = {}  # item id -> why it was first joined
        for n in nodes:
            self.find(n.key)
            self.lo[n.key] = min(self.lo.get(n.key, n.day), n.day)
            self.hi[n.key] = max(self.hi.get(n.key, n.day), n.day)

    def find(self, x: str) -> str:
        """Return the root of x's component."""
        parent = self.parent
        root = parent.get(x)
        if root is None:
            parent[x] = x
            return x
        if root == x:
            return x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        """Merge a's and b's components under the lesser root."""
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            keep, gone = min(ra, rb), max(ra, rb)
            self.parent[gone] = keep
            self.lo[keep] = min(self.lo[keep], self.lo[gone])
            self.hi[keep] = max(self.hi[keep], self.hi[gone])

    def span(self, a: str, b: str) -> int:
        """Return how many days the union of a's and b's components would span."""
        ra, rb = self.find(a), self.find(b)
        return max(self.hi[ra], self.hi[rb]) - min(self.lo[ra], self.lo[rb])

    def join(self, a: Node, b: Node, why: str, bounded: bool = False) -> None:
        """Join two nodes' components (``bounded``: unless that spans over 30 days)."""
        if self.find(a.key) != self.find(b.key):
            if bounded and self.span(a.key, b.key) > MAX_EVENT_SPAN_DAYS:
                return  # likeness alone never chains stories into a months-long event
            self.union(a.key, b.key)
            for n in (a, b):
                if n.key.startswith("item:"):
                    self.reasons.setdefault(n.member.item_id, why)


# --- likeness ----------------------------------------------------------------------------------

def vectors(nodes: Sequence[Node]) -> None:
    """Give every node its TF-IDF vector (unit length). Each text is tokenised once: its
    counts stand in for its vector until the document frequencies are known."""
    df: Counter[str] = Counter()
    for n in nodes:
        counts: dict[str, float] = dict(Counter(tokens(n.member.text)))
        df.update(counts.keys())
        n.vector = counts
    # IDF with a prior of IDF_PRIOR documents that hold none of the tokens, so that a small
    # batch (one run's few new items) weighs words much as a large one does.
    total = len(nodes) + IDF_PRIOR
    idf = {t: math.log(total / (d + 1)) for t, d in df.items()}
    tf = [0.0, *(1 + math.log(c) for c in range(1, 64))]  # 1 + log(count), for the usual
    for node in nodes:
        assert node.vector is not None
        vec = {t: (tf[int(c)] if c < 64 else 1 + math.log(c)) * idf[t]
               for t, c in node.vector.items()}
        norm = math.hypot(*vec.values()) or 1.0
        node.vector = {t: v / norm for t, v in vec.items()}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    """Return the dot product of two unit vectors."""
    # over the shared tokens only (found in C), summed in a fixed order: the same result in
    # every process, whatever its string hashing
    shared = sorted(a.keys() & b.keys())
    return sum(map(mul, map(a.__getitem__, shared), map(b.__getitem__, shared)))


def similar(a: Member, b: Member, cos: float) -> str | None:
    """Return why two members report the same happening by their text (``cos``: the cosine
    of their vectors), or None."""
    if cos >= COSINE_THRESHOLD:
        return f"similar text ({cos:.2f})"
    ratio = fuzz.token_sort_ratio(title_key(a.title), title_key(b.title))
    if ratio >= TITLE_RATIO_THRESHOLD:
        return f"similar title ({ratio:.0f})"
    shared = set(a.specific) & set(b.specific)
    if shared and cos >= COSINE_THRESHOLD * 0.6:
        return f"similar text ({cos:.2f}) naming {sorted(shared)[0]}"
    return None


# --- the plan ----------------------------------------------------------------------------------

def event_id_for(debate: str, anchor_item: str) -> str:
    """Return the id of an event first created around ``anchor_item``."""
    return "ev-" + hashlib.sha1(f"{debate}\0{anchor_item}".encode()).hexdigest()[:12]


def outcome(nodes: Sequence[Node], graph: Graph, echo_of: Mapping[str, str],
            debate: str) -> Plan:
    """Return the Plan the graph's components make: a component with stored events goes to
    the first of them (the others merge into it), one without founds a new event."""
    groups: dict[str, list[Node]] = defaultdict(list)
    for n in nodes:
        groups[graph.find(n.key)].append(n)
    new_events: list[tuple[str, str]] = []
    assignments: list[Assignment] = []
    merges: list[tuple[str, str, str]] = []
    for group in groups.values():
        events = sorted({n.key[6:] for n in group if n.key.startswith("event:")})
        items = [n for n in group if n.key.startswith("item:")]
        if events:
            target = events[0]
            for other in events[1:]:
                merges.append((other, target, "new items link them"))
        else:
            anchor = min(items, key=lambda n: (n.member.published, n.member.item_id))
            target = event_id_for(debate, anchor.member.item_id)
            new_events.append((target, anchor.member.item_id))
        for n in items:
            item_id = n.member.item_id
            role = "echo" if item_id in echo_of else "member"
            assignments.append(Assignment(item_id=item_id, event_id=target, role=role,
                                          via=graph.reasons.get(item_id, "first item")))
    return Plan(new_events=tuple(sorted(new_events)),
                assignments=tuple(sorted(assignments, key=lambda a: a.item_id)),
                merges=tuple(sorted(merges)))
