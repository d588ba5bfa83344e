"""Events and noise: which relevant items report the same happening, and how loud it is. Pure.
[rapidfuzz]

Items are joined into one event by the edges of a graph, and events are its connected
components, so the same items give the same events in any order:

1. echo: the same canonical URL or the same text (syndicated copies);
2. keys: two items that *are* the same document (FR document number or citation, an executive
   order's number); an item without such a key of its own (news, a press release) joins the
   items that carry the one key it cites first, within 30 days (a docket, RIN, bill...);
3. similarity: titles and summaries alike (IDF-weighted cosine, or rapidfuzz's token sort
   ratio on titles) within 7 days, never between two distinct Federal Register documents.

Candidates for similarity come from an index of rare tokens and days, never from comparing
every pair.
"""

from __future__ import annotations

import hashlib
import math
import re
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import repeat
from operator import mul, neg
from sys import intern
from typing import Any
from urllib.parse import urlsplit

from rapidfuzz import fuzz

from .types import AUTHORITIES, Assignment, Entity, EventScore, Item, Member, Plan, Signal

KEY_WINDOW_DAYS = 30
MAX_EVENT_SPAN_DAYS = 30  # similarity and coverage never grow an event past this span
SIMILARITY_WINDOW_DAYS = 7
COSINE_THRESHOLD = 0.5
TITLE_RATIO_THRESHOLD = 88
ANCHOR_BEFORE_DAYS = 7  # a press release or story may precede the document's publication
ANCHOR_AFTER_DAYS = 10
ANCHOR_THRESHOLD = 0.35
KIND_BONUS = 0.35  # naming the document's kind ("executive order", "proposed rule")
MIN_ANCHOR_COSINE = 0.08  # ...is enough alone only for an executive order, near its signing
EO_WINDOW_DAYS = (2, 5)  # coverage of an order: from 2 days before signing to 5 after
NEWS_WINDOW_DAYS = 3
NEWS_COSINE = 0.18  # coverage items alike in text, same topic, within 3 days
# How coverage names each kind of official document.
KIND_PHRASES = {
    "executive_order": ("executive order", "eo"),
    "proposed_rule": ("proposed rule", "propose", "proposal", "proposes", "nprm",
                      "rulemaking"),
    "rule": ("rule", "final rule", "regulation", "framework"),
    "interim_final_rule": ("rule", "interim final rule", "framework", "regulation"),
    "notice": ("request for comment", "comment", "solicit", "seek", "input", "rfc",
               "request for information", "notice"),
}
_KIND_WORDS = {kind: tuple(f" {p} " for p in phrases) for kind, phrases in KIND_PHRASES.items()}
HALF_LIFE_DAYS = 3.0
REFERENCE_DAYS = 180
COLD_START_EVENTS = 20
COLD_START_SCALE = 4.0
RARE_TOKENS = 8
IDF_PRIOR = 50
MAX_CANDIDATES = 12  # the likeliest; joining one story mate joins the story
MAX_SHARING = 64  # a rare token offers at most the 64 items nearest after an item's day

_PRIMARY_KINDS = ("fr_doc", "fr_citation")
_SECONDARY_KINDS = ("docket", "rin")
_REFERENCE_ORDER = ("fr_doc", "fr_citation", "docket", "rin", "bill", "executive_order")
_SPECIFIC = {"fr_doc", "fr_citation", "docket", "rin", "bill", "executive_order", "eccn"}
_TOKEN = re.compile(r"[a-z0-9]+")
_STOP = frozenset([
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in",
    "into", "is", "it", "its", "of", "on", "or", "that", "the", "their", "this", "to", "was",
    "were", "will", "with", "new", "says", "said", "after", "over", "about", "us", "u", "s",
    "more", "than", "how", "what", "why", "who", "not", "no", "can", "could", "may", "would",
    "should", "amp",
])
_RANK = {a: i for i, a in enumerate(AUTHORITIES)}


# --- members ---------------------------------------------------------------------------------

def _stem(token: str) -> str:
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


_STEMS: dict[str, str | None] = {}  # token -> its stem, None for a stop word or a short one
_UNSEEN = ""


def tokens(text: str) -> tuple[str, ...]:
    """Return the content tokens of a text: lower-case stems without stop words."""
    words = _TOKEN.findall(text.lower())
    stems = list(map(_STEMS.get, words, repeat(_UNSEEN, len(words))))
    if _UNSEEN in stems:
        for k, stem in enumerate(stems):
            if stem is _UNSEEN:
                t = words[k]
                stems[k] = None if t in _STOP or (len(t) <= 2 and not t.isdigit()) else _stem(t)
                if len(_STEMS) < 500_000:
                    _STEMS[t] = stems[k]
    return tuple(filter(None, stems))


@lru_cache(maxsize=65_536)
def _title_key(title: str) -> str:
    return " ".join(tokens(title))


def _kind(item: Item, signal: Signal, role: str) -> str:
    extra = item.extra
    subtype = str(extra.get("subtype") or "").lower()
    doc_type = str(extra.get("type") or extra.get("documentType") or "").lower()
    action = str(extra.get("action") or "").lower()
    if "executive order" in subtype:
        return "executive_order"
    if subtype:
        return subtype.replace(" ", "_")
    if doc_type == "rule":
        return "interim_final_rule" if "interim" in action else "rule"
    if doc_type:
        return doc_type.replace(" ", "_")
    if role == "agency":
        return "press_release"
    return "commentary" if signal.authority == "commentary" else "news"


def _outlet(item: Item) -> str:
    url = item.url
    if url.startswith(("https://", "http://")) and url.isascii() and url.isprintable() \
            and not any(c in url for c in "@[\\ "):
        netloc = url.split("//", 1)[1]
        for end in "/?#":
            netloc = netloc.split(end, 1)[0]
        host = netloc.split(":", 1)[0].lower()  # what urlsplit's hostname would say
    else:
        host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or item.source_id


def _not_future(value: str | None, fallback: datetime) -> str:
    if value:
        try:
            when = datetime.fromisoformat(value)
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return min(when, fallback).isoformat()
        except ValueError:
            pass
    return fallback.isoformat()


# Members repeat a few values (sources, outlets, kinds, topic lists): one copy of each, for
# the 100,000s of members a large timeline build holds at once.
_SHARED: dict[tuple[str, ...], tuple[str, ...]] = {}


def member_of(item: Item, signal: Signal, *, weight: float, role: str, fetched_at: str,
              now: datetime) -> Member:
    """Return what clustering needs of one relevant item and its signal.

    An item without a date takes its fetch time; a date in the future is taken as now.
    """
    fetched = datetime.fromisoformat(fetched_at) if fetched_at else now
    if fetched.tzinfo is None:
        fetched = fetched.replace(tzinfo=UTC)
    published = _not_future(item.published, min(fetched, now) if item.published is None
                            else now)
    own = [e for e in signal.entities if e.start < 0]
    cited = [e for e in signal.entities if e.start >= 0]
    primary = [f"{e.kind}:{e.value}" for e in own if e.kind in _PRIMARY_KINDS]
    eo = item.extra.get("executive_order_number")
    if eo:
        primary.append(f"executive_order:{eo}")
    secondary = [f"{e.kind}:{e.value}" for e in own if e.kind in _SECONDARY_KINDS]
    reference = None
    if not primary:
        first: dict[str, Entity] = {}  # of each kind: the first cited, else the first own
        for e in (*sorted(cited, key=lambda e: e.start), *own):
            first.setdefault(e.kind, e)
        for kind in _REFERENCE_ORDER:
            if kind in first:
                reference = f"{kind}:{first[kind].value}"
                break
    official = None
    if item.kind == "federal_register":
        official = str(item.extra.get("signing_date") or item.extra.get("publication_date")
                       or "") or None
    text = f"{item.title} {item.summary[:400]}"
    digest = hashlib.sha1(" ".join(tokens(f"{item.title} {item.summary[:2000]}"))
                          .encode()).hexdigest()
    topics = tuple(t.topic for t in signal.topics)
    return Member(
        item_id=item.id, source_id=intern(item.source_id), title=item.title, text=text,
        url=item.url, published=published, authority=intern(signal.authority),
        topics=_SHARED.setdefault(topics, topics), stance=intern(signal.stance), weight=weight,
        outlet=intern(_outlet(item)), primary=tuple(dict.fromkeys(primary)),
        secondary=tuple(dict.fromkeys(secondary)), reference=reference,
        specific=tuple(sorted({f"{e.kind}:{e.value}" for e in signal.entities
                               if e.kind in _SPECIFIC})),
        content_hash=digest, kind=intern(_kind(item, signal, role)), official_date=official,
        draft=bool(item.extra.get("filed_at")) and not item.extra.get("citation"))


# --- the graph ---------------------------------------------------------------------------

class _Union:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.why: dict[str, str] = {}
        self.lo: dict[str, int] = {}  # a component's first and last day
        self.hi: dict[str, int] = {}

    def find(self, x: str) -> str:
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


def _day(m: Member) -> int:
    """Return the day a member happened: an official document's own date (an executive
    order's signing) when it has one, else its publication."""
    if m.official_date:
        try:
            return date.fromisoformat(m.official_date[:10]).toordinal()
        except ValueError:
            pass
    return datetime.fromisoformat(m.published).date().toordinal()


@dataclass(slots=True)
class _Node:
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


def _vectors(nodes: Sequence[_Node]) -> None:
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


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    # over the shared tokens only (found in C), summed in a fixed order: the same result in
    # every process, whatever its string hashing
    shared = sorted(a.keys() & b.keys())
    return sum(map(mul, map(a.__getitem__, shared), map(b.__getitem__, shared)))


def similar(a: Member, b: Member, cos: float) -> str | None:
    """Return why two members report the same happening by their text (``cos``: the cosine
    of their vectors), or None."""
    if cos >= COSINE_THRESHOLD:
        return f"similar text ({cos:.2f})"
    ratio = fuzz.token_sort_ratio(_title_key(a.title), _title_key(b.title))
    if ratio >= TITLE_RATIO_THRESHOLD:
        return f"similar title ({ratio:.0f})"
    shared = set(a.specific) & set(b.specific)
    if shared and cos >= COSINE_THRESHOLD * 0.6:
        return f"similar text ({cos:.2f}) naming {sorted(shared)[0]}"
    return None


def plan(new: Sequence[Member], context: Sequence[Member], debate: str,
         resolve: Mapping[str, str] | None = None) -> Plan:
    """Return the events the new members belong to: existing ones (through ``context``, the
    stored members near them) or new ones, with any merges the new members reveal.

    ``resolve`` maps merged event ids to the event they were merged into.
    """
    resolve = resolve or {}

    def live(event_id: str) -> str:
        seen = set()
        while event_id in resolve and event_id not in seen:
            seen.add(event_id)
            event_id = resolve[event_id]
        return event_id

    nodes: list[_Node] = []
    for m in sorted(context, key=lambda m: (m.published, m.item_id)):
        assert m.event_id is not None
        nodes.append(_Node(f"event:{live(m.event_id)}", m, _day(m), bool(m.primary)))
    fresh = {m.item_id for m in context}
    for m in sorted(new, key=lambda m: (m.published, m.item_id)):
        if m.item_id not in fresh:
            nodes.append(_Node(f"item:{m.item_id}", m, _day(m), bool(m.primary)))
    uf = _Union()
    reasons: dict[str, str] = {}

    def join(a: _Node, b: _Node, why: str, bounded: bool = False) -> None:
        if uf.find(a.key) != uf.find(b.key):
            if bounded and uf.span(a.key, b.key) > MAX_EVENT_SPAN_DAYS:
                return  # likeness alone never chains stories into a months-long event
            uf.union(a.key, b.key)
            for n in (a, b):
                if n.key.startswith("item:"):
                    reasons.setdefault(n.member.item_id, why)

    for n in nodes:
        uf.find(n.key)
        uf.lo[n.key] = min(uf.lo.get(n.key, n.day), n.day)
        uf.hi[n.key] = max(uf.hi.get(n.key, n.day), n.day)
    # 1. echo: the same link or the same text
    by_echo: dict[str, _Node] = {}
    echo_of: dict[str, str] = {}
    for n in nodes:
        for k in (f"url:{n.member.url}" if n.member.url else None,
                  f"text:{n.member.content_hash}"):
            if k is None:
                continue
            if k in by_echo:
                join(by_echo[k], n, "same link" if k.startswith("url:") else "same text")
                echo_of.setdefault(n.member.item_id, by_echo[k].member.item_id)
            else:
                by_echo[k] = n
    # 2. keys
    index: dict[str, list[tuple[int, str, _Node]]] = defaultdict(list)
    for n in nodes:
        m = n.member
        for k in m.primary:
            index[k].append((n.day, "P", n))
        for k in m.secondary:
            index[k].append((n.day, "S", n))
        if m.reference:
            index[m.reference].append((n.day, "R", n))
    for key, entries in index.items():
        _join_keys(key, entries, join)
    # 3. coverage: an item without keys of its own (news, press release, commentary) joins the
    # official document it most likely reports on: near its date, sharing a topic, naming
    # its kind of document or alike in text.
    _vectors(nodes)
    officials = sorted((n for n in nodes if n.member.primary), key=lambda n: n.day)
    official_days = [n.day for n in officials]
    official_topics = [n.topics for n in officials]
    for n in nodes:
        if n.member.primary or n.member.reference:
            continue
        lo = bisect_left(official_days, n.day - ANCHOR_AFTER_DAYS)
        hi = bisect_right(official_days, n.day + ANCHOR_BEFORE_DAYS)
        best: tuple[float, str, _Node] | None = None
        folded = None
        topics = n.topics
        for o, o_topics in zip(officials[lo:hi], official_topics[lo:hi], strict=True):
            if topics.isdisjoint(o_topics):
                continue
            if o.member.kind == "executive_order" \
                    and not -EO_WINDOW_DAYS[0] <= n.day - o.day <= EO_WINDOW_DAYS[1]:
                continue
            assert n.vector is not None and o.vector is not None
            cos = _cosine(n.vector, o.vector)
            if o.member.kind != "executive_order" and cos < MIN_ANCHOR_COSINE:
                continue
            if folded is None:
                folded = " " + " ".join(_TOKEN.findall(n.member.text.lower())) + " "
            named = any(p in folded for p in _KIND_WORDS.get(o.member.kind, ()))
            score = cos + (KIND_BONUS if named else 0.0)
            if best is None or (score, o.member.item_id) > (best[0], best[1]):
                best = (score, o.member.item_id, o)
        if best and best[0] >= ANCHOR_THRESHOLD:
            join(best[2], n, f"covers {best[1]} ({best[0]:.2f})", bounded=True)
    # 4. similarity, through an index of rare tokens by day (echoes are done with vectors)
    unique = []
    for n in nodes:
        if n.member.item_id in echo_of:
            n.vector = None
        else:
            unique.append(n)
    # a token's weight summed over all texts: low for a token few texts use, or use lightly
    mass: Counter[str] = Counter()
    for n in unique:
        mass.update(n.vector or {})
    rarity = {t: i for i, t in enumerate(sorted(mass, key=lambda t: (mass[t], t)))}
    # each rare token's postings as two parallel lists in (day, node) order: the days to find
    # a window by bisection, the nodes to count (in C)
    days_of: dict[str, list[int]] = defaultdict(list)
    nodes_of: dict[str, list[int]] = defaultdict(list)
    rare_of: list[list[str]] = []
    for i, n in enumerate(unique):
        title = set(tokens(n.member.title))
        by_rarity = sorted(n.vector or {}, key=rarity.__getitem__)
        rare = [t for t in by_rarity if t in title][:RARE_TOKENS]
        rare += [t for t in by_rarity if t not in title][:RARE_TOKENS // 2]
        rare_of.append(rare)
        for t in rare:
            days_of[t].append(n.day)
            nodes_of[t].append(i)
    del rarity
    for t in list(days_of):  # appended by node, not always by day: order by day, stably
        days, held = days_of[t], nodes_of[t]
        order = sorted(range(len(days)), key=days.__getitem__)
        days_of[t] = [days[k] for k in order]
        nodes_of[t] = [held[k] for k in order]
    for i, n in enumerate(unique):
        near: list[int] = []
        for t in rare_of[i]:
            days = days_of[t]
            lo = bisect_left(days, n.day - SIMILARITY_WINDOW_DAYS)
            hi = bisect_right(days, n.day + SIMILARITY_WINDOW_DAYS)
            if hi - lo > MAX_SHARING:  # a token of a crowded fortnight: its nearest users
                lo = bisect_left(days, n.day, lo, hi)
                hi = min(hi, lo + MAX_SHARING)
            near.extend(filter(i.__lt__, nodes_of[t][lo:hi]))  # the later nodes, in C
        counts = Counter(near)
        root = uf.find(n.key)
        for _, j in sorted(zip(map(neg, counts.values()), counts.keys(),
                               strict=True))[:MAX_CANDIDATES]:
            other = unique[j]
            if n.fr and other.fr:
                continue  # two Federal Register documents are two happenings
            if root == uf.find(other.key):
                continue
            assert n.vector is not None and other.vector is not None
            cos = _cosine(n.vector, other.vector)
            why = similar(n.member, other.member, cos)
            if why is None and not n.fr and not other.fr \
                    and abs(n.day - other.day) <= NEWS_WINDOW_DAYS \
                    and not n.topics.isdisjoint(other.topics) and cos >= NEWS_COSINE:
                why = f"coverage alike ({cos:.2f}), same topic"
            if why:
                join(n, other, why, bounded=True)
                root = uf.find(n.key)
        # only later nodes are compared from here on: this one's vector is done with
        n.vector = None
        rare_of[i] = []
    return _plan(nodes, uf, reasons, echo_of, debate)


def _join_keys(key: str, entries: list[tuple[int, str, _Node]], join: Any) -> None:
    """Join items sharing a key: every primary holder together, and each citing item with
    every holder of the key within 30 days, in O(n log n)."""
    primaries = [e for e in entries if e[1] == "P"]
    for e in primaries[1:]:
        join(primaries[0][2], e[2], f"same {key}")
    refs = sorted((e for e in entries if e[1] == "R"), key=lambda e: (e[0], e[2].key))
    if not refs:
        return
    days = [e[0] for e in refs]
    starts = [0]  # where each run of citing items (no gap over 30 days) begins
    for i in range(1, len(refs)):
        if days[i] - days[i - 1] <= KEY_WINDOW_DAYS:
            join(refs[i - 1][2], refs[i][2], f"cites {key}")
        else:
            starts.append(i)
    for day, tag, node in entries:
        if tag == "R":
            continue
        lo = bisect_left(days, day - KEY_WINDOW_DAYS)
        hi = bisect_right(days, day + KEY_WINDOW_DAYS)
        if lo >= hi:
            continue
        join(node, refs[lo][2], f"cites {key}")
        for s in starts[bisect_right(starts, lo):bisect_left(starts, hi)]:
            join(node, refs[s][2], f"cites {key}")


def event_id_for(debate: str, anchor_item: str) -> str:
    """Return the id of an event first created around ``anchor_item``."""
    return "ev-" + hashlib.sha1(f"{debate}\0{anchor_item}".encode()).hexdigest()[:12]


def _plan(nodes: Sequence[_Node], uf: _Union, reasons: Mapping[str, str],
          echo_of: Mapping[str, str], debate: str) -> Plan:
    groups: dict[str, list[_Node]] = defaultdict(list)
    for n in nodes:
        groups[uf.find(n.key)].append(n)
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
                                          via=reasons.get(item_id, "first item")))
    return Plan(new_events=tuple(sorted(new_events)),
                assignments=tuple(sorted(assignments, key=lambda a: a.item_id)),
                merges=tuple(sorted(merges)))


# --- noise ---------------------------------------------------------------------------------

def _when(value: str) -> datetime:
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


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


@dataclass(frozen=True)
class Profile:
    """An event's attributes and raw loudness, before it is ranked against its peers."""

    event_id: str
    title: str
    date: str
    kind: str
    authority: str
    topics: tuple[str, ...]
    stance_mix: tuple[tuple[str, int], ...]
    items: int
    outlets: int
    echo: int
    attention: float
    peak_attention: float
    velocity: float
    raw: float
    first_seen: str
    last_seen: str


def profile(event_id: str, members: Sequence[tuple[Member, str]], as_of: datetime) -> Profile:
    """Return an event's title, date, kind, authority, topics, stance mix and noise components.

    ``members`` pairs each member with its role (member or echo); echoes count once.
    """
    distinct = [m for m, role in members if role != "echo"] or [m for m, _ in members]
    echo = sum(role == "echo" for _, role in members)
    # The event is what its most authoritative document says: an official document with
    # keys of its own (a Federal Register entry) before coverage of it.
    lead = min(distinct, key=lambda m: (not m.primary, m.draft, _RANK.get(m.authority, 9),
                                        m.kind == "news", m.published, m.item_id))
    officials = sorted(m.official_date for m in distinct if m.official_date)
    lead_official = lead.official_date
    event_date = (lead_official or (officials[0] if officials else None)
                  or min(m.published for m in distinct)[:10])
    timed = [(_when(m.published), m.weight) for m in distinct]
    peak, _ = peak_attention(timed)
    now_attention = attention(timed, as_of)
    outlets = len({m.outlet for m in distinct})
    recent = sum(1 for when, _ in timed if timedelta(0) <= as_of - when <= timedelta(days=2))
    topics = Counter(t for m in distinct for t in m.topics)
    stances = Counter(m.stance for m in distinct)
    return Profile(
        event_id=event_id, title=lead.title, date=event_date[:10], kind=lead.kind,
        authority=lead.authority,
        topics=tuple(t for t, _ in sorted(topics.items(), key=lambda kv: (-kv[1], kv[0]))),
        stance_mix=tuple(sorted(stances.items())), items=len(distinct), outlets=outlets,
        echo=echo, attention=round(now_attention, 4), peak_attention=round(peak, 4),
        velocity=round(recent / 2, 2), raw=round(raw_score(peak, outlets), 4),
        first_seen=min(m.published for m in distinct),
        last_seen=max(m.published for m in distinct))


def rank(profiles: Sequence[Profile], peers: Iterable[tuple[str, str, float]],
         as_of: datetime) -> list[EventScore]:
    """Return each event's score: noise is its raw loudness as a percentile among the events
    of the 180 days up to its own date (its contemporaries), cold-start blended.

    ``peers`` are (date, event id, raw) of the other live events; the profiles count too.
    """
    pool = {eid: (d, raw) for d, eid, raw in peers}
    pool.update({p.event_id: (p.date, p.raw) for p in profiles})
    ordered = sorted((d, eid, raw) for eid, (d, raw) in pool.items())
    days = [date.fromisoformat(d).toordinal() for d, _, _ in ordered]
    out = []
    for p in sorted(profiles, key=lambda p: (p.date, p.event_id)):
        day = date.fromisoformat(p.date).toordinal()
        lo = bisect_left(days, day - REFERENCE_DAYS)
        hi = bisect_right(days, day)
        reference = [raw for _, eid, raw in ordered[lo:hi] if eid != p.event_id]
        noise, pct = noise_from(p.raw, reference)
        out.append(EventScore(**vars(p), computed_at=as_of.isoformat(), noise=noise,
                              percentile=pct, reference_events=len(reference)))
    return out


# --- the debate's daily Noise Level --------------------------------------------------------

LEVELS = ((3.0, "surge"), (2.0, "loud"), (1.0, "elevated"))


@dataclass(frozen=True)
class DayNoise:
    """One day of the debate: its share of relevant items against the trailing 28 days."""

    day: str
    relevant: int
    total: int
    share: float
    mean: float | None
    std: float | None
    z: float | None
    level: str


def noise_levels(days: Sequence[tuple[str, int, int]], window: int = 28,
                 min_history: int = 7) -> list[DayNoise]:
    """Return each day's Noise Level from (day, relevant items, all items) rows.

    The share of relevant items that day is compared with the mean and deviation of the
    shares of the previous ``window`` calendar days that had items: ≥ 3σ surge, ≥ 2σ loud,
    ≥ 1σ elevated, ≤ −1σ or no relevant item quiet, else normal. With fewer than
    ``min_history`` such days there is no baseline and the level is normal (or quiet).
    """
    rows = sorted(days)
    ordinals = [date.fromisoformat(d).toordinal() for d, _, _ in rows]
    shares = [r / t if t else 0.0 for _, r, t in rows]
    out = []
    for i, (day, relevant, total) in enumerate(rows):
        lo = bisect_left(ordinals, ordinals[i] - window)
        history = shares[lo:i]
        share = shares[i]
        mean = std = z = None
        level = "normal"
        if len(history) >= min_history:
            mean = sum(history) / len(history)
            std = math.sqrt(sum((s - mean) ** 2 for s in history) / len(history))
            if std > 1e-9:
                z = (share - mean) / std
            elif math.isclose(share, mean, abs_tol=1e-9):
                z = 0.0
            else:
                z = math.copysign(math.inf, share - mean)
            level = next((name for limit, name in LEVELS if z >= limit), "normal")
            if z <= -1:
                level = "quiet"
        if relevant == 0:
            level = "quiet"
        out.append(DayNoise(day=day, relevant=relevant, total=total, share=round(share, 4),
                            mean=None if mean is None else round(mean, 4),
                            std=None if std is None else round(std, 4),
                            z=None if z is None or math.isinf(z) else round(z, 2),
                            level=level))
    return out
