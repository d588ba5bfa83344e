"""The debate as bit masks: each topic's cue groups, instruments and exclusions get a bit, and
each cue the OR of the bits of everything it belongs to (classify ORs an item's cue masks and
tests each topic with one AND). Pure."""

from __future__ import annotations

from collections import defaultdict

from ..types import Debate


def group_name(named: dict[frozenset[str], str], group: frozenset[str], name: str) -> str:
    """Return the feature name of a cue group: that of an earlier group sharing at least 60%
    of its cues (the "is about an AI model" groups of several topics are one piece of
    evidence, not several), else its own."""
    for seen, seen_name in named.items():
        if len(seen & group) >= 0.6 * len(seen | group):
            return seen_name
    named[group] = name
    return name


def masks(debate: Debate) -> tuple[dict[str, int], tuple[tuple[int, int, int], ...], int,
                                   tuple[tuple[str, int], ...], int, tuple[int, ...]]:
    """Return each cue's mask, per topic its (exclusions, instruments, groups) bits, the bit
    of the stance cues, each cue group's feature name and bit (groups shared by several
    topics aside), the bits of those shared groups ("is about an AI model") and, per topic,
    the bit of the cues an instrument cited in the text needs beside it (0: none needed)."""
    mask_of: dict[str, int] = defaultdict(int)
    topic_masks = []
    group_bits = []
    named: dict[frozenset[str], str] = {}  # groups alike in several topics: one feature
    bit = 1
    for topic in debate.topics:
        exclude, bit = bit, bit << 1
        instruments, bit = bit, bit << 1
        for cue in topic.exclude:
            mask_of[cue] |= exclude
        for cue in topic.instruments:
            mask_of[cue] |= instruments
        groups = 0
        for n, group in enumerate(topic.groups, 1):
            for cue in group:
                mask_of[cue] |= bit
            groups |= bit
            name = group_name(named, frozenset(group), f"group:{topic.id}.{n}")
            group_bits.append((name, bit))
            bit <<= 1
        topic_masks.append((exclude, instruments, groups))
    # A group shared (alike) by several topics only says "this is about AI": evidence that
    # stacks up once per topic and lets an AI product launch look relevant. Those groups'
    # cues are features on their own; the groups are not.
    uses: dict[str, int] = defaultdict(int)
    for name, _ in group_bits:
        uses[name] += 1
    about = sum(bit for name, bit in group_bits if uses[name] > 1)
    group_bits = [(name, bit) for name, bit in group_bits if uses[name] == 1]
    stance_bit = bit
    for _, cues in debate.stance:
        for cue in cues:
            mask_of[cue] |= stance_bit
    cited = []
    for topic in debate.topics:
        bit <<= 1
        for cue in topic.cited_with:
            mask_of[cue] |= bit
        cited.append(bit if topic.cited_with else 0)
    return dict(mask_of), tuple(topic_masks), stance_bit, tuple(group_bits), about, tuple(cited)
