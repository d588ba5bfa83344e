"""The edges of the graph, in the order plan lays them: echoes, shared keys, coverage of an
official document (anchoring), likeness. Each step joins nodes through the Graph."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Sequence
from operator import neg

from ..text import fold
from ..types import Member
from .graph import Graph, Node, cosine, similar
from .members import tokens

KEY_WINDOW_DAYS = 30
SIMILARITY_WINDOW_DAYS = 7
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
RARE_TOKENS = 8
MAX_CANDIDATES = 12  # the likeliest; joining one story mate joins the story
MAX_SHARING = 64  # a rare token offers at most the 64 items nearest after an item's day

_Postings = defaultdict[str, list[int]]
_ECHO_WHY = {"url": "same link", "text": "same text", "lede": "same text, syndicated"}


# --- 1. echo -----------------------------------------------------------------------------------

LEDE_TOKENS = 30  # syndicated copies share their body's opening under any headline
MIN_LEDE_TOKENS = 20  # ...when there is a body long enough to tell


def lede_key(member: Member) -> str | None:
    """Return the opening words of a member's body (its text after the title), or None when
    the body is too short to tell a copy from a coincidence."""
    body = member.text[len(member.title):] if member.text.startswith(member.title) \
        else member.text
    words = tokens(body)
    if len(words) < MIN_LEDE_TOKENS:
        return None
    return " ".join(words[:LEDE_TOKENS])


def join_echoes(graph: Graph, nodes: Sequence[Node]) -> dict[str, str]:
    """Join the nodes with the same link, the same text, or the same body under another
    headline or host (syndicated copies: the same story in two outlets counts once); return
    each echo's item id and the item it echoes. Two Federal Register documents are never
    echoes of each other by text."""
    by_echo: dict[str, Node] = {}
    echo_of: dict[str, str] = {}
    for n in nodes:
        lede = None if n.fr else lede_key(n.member)
        matched: list[str] = []
        for k in (f"url:{n.member.url}" if n.member.url else None,
                  f"text:{n.member.content_hash}", f"lede:{lede}" if lede else None):
            if k is None:
                continue
            if k in by_echo:
                graph.join(by_echo[k], n, _ECHO_WHY[k[:k.index(":")]])
                matched.append(by_echo[k].member.item_id)
            else:
                by_echo[k] = n
        if matched:  # one copy stays a member; every other copy it meets is an echo
            root = echo_of.get(matched[0], matched[0])
            echo_of.setdefault(n.member.item_id, root)
            for other in matched[1:]:
                if other != root and other not in echo_of:
                    echo_of[other] = root
    return echo_of


# --- 2. keys -----------------------------------------------------------------------------------

def join_by_keys(graph: Graph, nodes: Sequence[Node]) -> None:
    """Join the nodes that are the same document, or that cite one within 30 days."""
    index: dict[str, list[tuple[int, str, Node]]] = defaultdict(list)
    for n in nodes:
        m = n.member
        for k in m.primary:
            index[k].append((n.day, "P", n))
        for k in m.secondary:
            index[k].append((n.day, "S", n))
        if m.reference:
            index[m.reference].append((n.day, "R", n))
    for key, entries in index.items():
        _join_key(graph, key, entries)


def _join_key(graph: Graph, key: str, entries: list[tuple[int, str, Node]]) -> None:
    """Join items sharing a key: every primary holder together, and each citing item with
    every holder of the key within 30 days, in O(n log n)."""
    primaries = [e for e in entries if e[1] == "P"]
    for e in primaries[1:]:
        graph.join(primaries[0][2], e[2], f"same {key}")
    refs = sorted((e for e in entries if e[1] == "R"), key=lambda e: (e[0], e[2].key))
    if not refs:
        return
    days = [e[0] for e in refs]
    starts = [0]  # where each run of citing items (no gap over 30 days) begins
    for i in range(1, len(refs)):
        if days[i] - days[i - 1] <= KEY_WINDOW_DAYS:
            graph.join(refs[i - 1][2], refs[i][2], f"cites {key}")
        else:
            starts.append(i)
    for day, tag, node in entries:
        if tag == "R":
            continue
        lo = bisect_left(days, day - KEY_WINDOW_DAYS)
        hi = bisect_right(days, day + KEY_WINDOW_DAYS)
        if lo >= hi:
            continue
        graph.join(node, refs[lo][2], f"cites {key}")
        for s in starts[bisect_right(starts, lo):bisect_left(starts, hi)]:
            graph.join(node, refs[s][2], f"cites {key}")


# --- 3. coverage (anchoring) -------------------------------------------------------------------

def anchor(graph: Graph, nodes: Sequence[Node]) -> None:
    """Join each item without keys of its own (news, press release, commentary) to the
    official document it most likely reports on: near its date, sharing a topic, naming its
    kind of document or alike in text. Needs the nodes' vectors."""
    officials = sorted((n for n in nodes if n.member.primary), key=lambda n: n.day)
    official_days = [n.day for n in officials]
    official_topics = [n.topics for n in officials]
    for n in nodes:
        if n.member.primary or n.member.reference:
            continue
        lo = bisect_left(official_days, n.day - ANCHOR_AFTER_DAYS)
        hi = bisect_right(official_days, n.day + ANCHOR_BEFORE_DAYS)
        best = _best_official(n, officials[lo:hi], official_topics[lo:hi])
        if best and best[0] >= ANCHOR_THRESHOLD:
            graph.join(best[2], n, f"covers {best[1]} ({best[0]:.2f})", bounded=True)


def _best_official(n: Node, officials: Sequence[Node], topics_of: Sequence[frozenset[str]]
                   ) -> tuple[float, str, Node] | None:
    """Return (score, item id, node) of the official document ``n`` likeliest covers, or None
    when none is near enough in time, topic and text."""
    best: tuple[float, str, Node] | None = None
    words = None
    topics = n.topics
    for o, o_topics in zip(officials, topics_of, strict=True):
        if topics.isdisjoint(o_topics):
            continue
        if o.member.kind == "executive_order" \
                and not -EO_WINDOW_DAYS[0] <= n.day - o.day <= EO_WINDOW_DAYS[1]:
            continue
        assert n.vector is not None and o.vector is not None
        cos = cosine(n.vector, o.vector)
        if o.member.kind != "executive_order" and cos < MIN_ANCHOR_COSINE:
            continue
        if words is None:
            words = fold(n.member.text)
        named = any(p in words for p in _KIND_WORDS.get(o.member.kind, ()))
        score = cos + (KIND_BONUS if named else 0.0)
        if best is None or (score, o.member.item_id) > (best[0], best[1]):
            best = (score, o.member.item_id, o)
    return best


# --- 4. likeness -------------------------------------------------------------------------------

def join_alike(graph: Graph, nodes: Sequence[Node], echo_of: dict[str, str]) -> None:
    """Join nodes alike in title or text within 7 days, never two Federal Register documents,
    comparing each with the likeliest candidates its rare tokens find. Frees the vectors."""
    unique = []  # echoes are done with their vectors
    for n in nodes:
        if n.member.item_id in echo_of:
            n.vector = None
        else:
            unique.append(n)
    rare_of, days_of, nodes_of = _postings(unique)
    for i, n in enumerate(unique):
        candidates = _candidates(i, n.day, rare_of[i], days_of, nodes_of)
        root = graph.find(n.key)
        for j in candidates:
            other = unique[j]
            if n.fr and other.fr:
                continue  # two Federal Register documents are two happenings
            if root == graph.find(other.key):
                continue
            assert n.vector is not None and other.vector is not None
            cos = cosine(n.vector, other.vector)
            why = similar(n.member, other.member, cos)
            if why is None and not n.fr and not other.fr \
                    and abs(n.day - other.day) <= NEWS_WINDOW_DAYS \
                    and not n.topics.isdisjoint(other.topics) and cos >= NEWS_COSINE:
                why = f"coverage alike ({cos:.2f}), same topic"
            if why:
                graph.join(n, other, why, bounded=True)
                root = graph.find(n.key)
        # only later nodes are compared from here on: this one's vector is done with
        n.vector = None
        rare_of[i] = []


def _postings(unique: Sequence[Node]) -> tuple[list[list[str]], _Postings, _Postings]:
    """Return each node's rare tokens, and each rare token's postings as two parallel lists
    in (day, node) order: the days to find a window by bisection, the nodes to count (in C)."""
    # a token's weight summed over all texts: low for a token few texts use, or use lightly
    mass: Counter[str] = Counter()
    for n in unique:
        mass.update(n.vector or {})
    rarity = {t: i for i, t in enumerate(sorted(mass, key=lambda t: (mass[t], t)))}
    days_of: _Postings = defaultdict(list)
    nodes_of: _Postings = defaultdict(list)
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
    return rare_of, days_of, nodes_of


def _candidates(i: int, day: int, rare: list[str], days_of: _Postings, nodes_of: _Postings
                ) -> list[int]:
    """Return the later nodes that share most of node ``i``'s rare tokens within 7 days of
    its day (a crowded token offers only its nearest users after that day), likeliest first."""
    near: list[int] = []
    for t in rare:
        days = days_of[t]
        lo = bisect_left(days, day - SIMILARITY_WINDOW_DAYS)
        hi = bisect_right(days, day + SIMILARITY_WINDOW_DAYS)
        if hi - lo > MAX_SHARING:  # a token of a crowded fortnight: its nearest users
            lo = bisect_left(days, day, lo, hi)
            hi = min(hi, lo + MAX_SHARING)
        near.extend(filter(i.__lt__, nodes_of[t][lo:hi]))  # the later nodes, in C
    counts = Counter(near)
    return [j for _, j in sorted(zip(map(neg, counts.values()), counts.keys(),
                                     strict=True))[:MAX_CANDIDATES]]
