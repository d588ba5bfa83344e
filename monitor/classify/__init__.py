"""classify(item, debate, role) -> Signal: the item against the debate, explainably. Pure.

Phrases are matched in one pass: the text is folded to lower-case words separated by single
spaces (hyphens and punctuation folded), and an Aho-Corasick automaton of the debate's phrases,
folded the same way with their singular and plural spellings, finds every cue at once (a DFA,
built once per debate in scan.py: walking a trie took a third of classify's time). The
same scan finds the gates of the entity patterns (extract.GATES), so extract() tries only the
patterns the text can match. Topics are decided with bit masks: each cue group, each topic's
instruments and exclusions have a bit, and an item's cues OR their masks together.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from math import prod

from .. import __version__
from ..text import fold, fold_lowered, html_to_text, stem
from ..types import Debate, Entity, Item, Signal, TopicHit
from .authority import authority as authority_of
from .documents import secondary_text, text_wanted
from .extract import GATES, extract
from .leaning import READS, Leaning, Read
from .leaning import forget as forget_leaning
from .leaning import load as load_leaning
from .leaning import words as leaning_words
from .masks import masks
from .model import (
    Scorer,
    Weights,
    features,
    forget_weights,
    grounded,
    load_weights,
    scorer,
    sigmoid,
    words_of,
)
from .scan import Automaton, Words, automaton
from .scan import occurrences as scan_occurrences
from .stance import TURNING, cues_read, decide, reading, settled, shown


def _forms(token: str) -> set[str]:
    """Return a word's singular and plural spellings (model, models; policy, policies)."""
    one = stem(token)
    forms = {token, one}
    if token.isalpha() and len(one) > 2:
        if one.endswith("y") and one[-2:-1] not in "aeiou":
            forms.add(one[:-1] + "ies")
        elif one.endswith(("s", "x", "ch", "sh")):
            forms.add(one + "es")
        else:
            forms.add(one + "s")
    return forms


def variants(phrase: str) -> list[str]:
    """Return the folded spellings of a phrase the text may use: each word singular or
    plural ("export control on model weight" also as "export controls on model weights")."""
    words = fold(phrase).split()
    if not words:
        return []
    spellings = [""]
    for word in words:
        spellings = [f"{s} {form}" for s in spellings for form in sorted(_forms(word))]
        if len(spellings) > 256:  # a long phrase: keep its first spellings
            spellings = spellings[:256]
    return [s + " " for s in spellings]


# what one phrase of the automaton stands for (see Matcher.entries)
Entry = tuple[tuple[str, ...], int, tuple[tuple[str, str], ...]]


@dataclass(frozen=True)
class Matcher:
    """A debate compiled for matching: the automaton, and the definition as bit masks, sets and
    dicts for quick tests (classify runs once per item; none of this changes between items).

    Every topic's cue groups, its instruments and its exclusions have a bit each; a cue's mask
    sets the bits of everything it belongs to, so what an item's cues satisfy is one OR per
    cue and one AND per topic."""

    automaton: Automaton  # finds the phrases (UTF-8), by index
    phrases: tuple[str, ...]  # every folded phrase, entity gate and turning word
    # per phrase: (the cues written that way, their mask, the entity gates it opens)
    entries: tuple[Entry, ...]
    stance_cues: dict[int, tuple[str, ...]]  # a stance phrase's index -> the cues it spells
    regexes: tuple[tuple[str, re.Pattern[str]], ...]
    mask_of: dict[str, int]  # cue -> the bits of the groups, instruments, exclusions it is in
    # per topic: (exclusions bit, instruments bit, the bits of all its groups)
    topic_masks: tuple[tuple[int, int, int], ...]
    # per topic: the bit of the cues an instrument cited in the text (not the title) needs
    cited: tuple[int, ...]
    # per topic: its instruments, all its cues, and each cue's place in the definition
    topic_cues: tuple[tuple[frozenset[str], frozenset[str], dict[str, int]], ...]
    side_of: dict[str, str]  # stance cue -> restrict, open or neutral
    leans: dict[str, str]  # topic -> the side an item about it pushes when it names none
    stance_bit: int
    turn_bit: int  # set when the text holds a word that can turn a stance cue (TURNING)
    about: int  # the bits of the cue groups several topics share ("is about an AI model")
    # each cue group's feature name and bit (groups written alike in several topics share
    # one name, so their evidence counts once)
    group_bits: tuple[tuple[str, int], ...]
    cue_names: dict[str, str]  # topic cue -> its feature name "cue:..."
    model: Weights | None
    leaning: Leaning | None  # the fitted stance model beside the debate, if any
    lean_words: Words | None  # finds the words and word pairs it weighs (see leaning.words)
    lean_table: tuple[tuple[str, Read], ...]  # those words' weights, by the index found
    model_words: Words | None  # finds the fitted weights' words and word pairs
    scorer: Scorer | None  # the model arranged for classify (its words ride the scan)
    weights: dict[str, float]
    fr_types: dict[str, str]
    roles: dict[str, str]
    version: str


_COMPILED: dict[tuple[str, str, str], Matcher] = {}


def forget() -> None:
    """Drop every compiled debate and loaded weights (after `monitor train` wrote new ones)."""
    _COMPILED.clear()
    forget_weights()
    forget_leaning()


def compile_debate(debate: Debate) -> Matcher:
    """Return the debate's matcher (built once per definition)."""
    key = (debate.id, debate.fingerprint, debate.path)  # the weights live beside the path
    matcher = _COMPILED.get(key)
    if matcher is not None:
        return matcher
    mask_of, topic_masks, stance_bit, group_bits, about, cited = masks(debate)
    cues_of: dict[str, list[str]] = defaultdict(list)
    regexes = []
    for cue in sorted(debate.cues()):
        if cue.startswith("re:"):
            regexes.append((cue, re.compile(cue[3:])))
        elif not cue.startswith("entity:"):
            for spelling in variants(cue):
                cues_of[spelling].append(cue)
    model = load_weights(debate.path)
    leaning = load_leaning(debate.path)
    lean_words = Words(tuple(leaning.words)) if leaning else None
    # The entity patterns' gates ride along: one scan of the folded text finds all three.
    # So do the words that can turn a stance cue around (stance.TURNING).
    turn_bit = 1 << max(max(mask_of.values(), default=0).bit_length(), stance_bit.bit_length())
    turning = {f" {w} " for w in TURNING}
    phrases = sorted(cues_of.keys() | GATES.keys() | turning)
    entries = []
    for phrase in phrases:
        written = tuple(cues_of.get(phrase, ()))
        mask = turn_bit if phrase in turning else 0
        for cue in written:
            mask |= mask_of.get(cue, 0)
        entries.append((written, mask, GATES.get(phrase, ())))
    topic_cues = []
    for topic in debate.topics:
        order = {c: i for i, c in enumerate(dict.fromkeys((
            *topic.instruments, *topic.cited_with, *(c for group in topic.groups for c in group))))}
        topic_cues.append((frozenset((*topic.instruments, *topic.cited_with)), frozenset(
            (*topic.instruments, *(c for group in topic.groups for c in group))), order))
    cue_names = {c: f"cue:{c}" for t in debate.topics for c in (
        *t.instruments, *(c for g in t.groups for c in g)) if not c.startswith("entity:")}
    matcher = Matcher(
        automaton=automaton(phrases), phrases=tuple(phrases), entries=tuple(entries),
        stance_cues={i: e[0] for i, e in enumerate(entries) if e[0] and e[1] & stance_bit},
        regexes=tuple(regexes), mask_of=mask_of, topic_masks=topic_masks,
        topic_cues=tuple(topic_cues),
        side_of={c: name for name, cues in debate.stance for c in cues},
        leans={t.id: t.leans for t in debate.topics if t.leans},
        stance_bit=stance_bit, turn_bit=turn_bit, about=about, group_bits=group_bits, cited=cited,
        cue_names=cue_names,
        model=model, scorer=scorer(model, group_bits, cue_names) if model else None,
        leaning=leaning, lean_words=lean_words,
        lean_table=leaning.table(lean_words.words) if leaning and lean_words else (),
        model_words=Words(tuple(model.words)) if model and model.words else None,
        weights={t.id: t.weight for t in debate.topics},
        fr_types=dict(debate.fr_types), roles=dict(debate.roles),
        version=version(debate) + (f".w{model.digest}" if model else "")
        + (f".s{leaning.digest}" if leaning else ""))
    _COMPILED[key] = matcher
    return matcher


def _scan(matcher: Matcher, folded: str, lowered: str
          ) -> tuple[set[str], int, set[tuple[str, str]]]:
    """Return the cues found in the text, the OR of their masks and the entity gates open."""
    return _scan_all(matcher, folded, lowered)[:3]


Hit = tuple[int, int, tuple[str, ...]]  # a stance cue's start and end, and its cues


def occurrences(matcher: Matcher, folded: str) -> list[tuple[int, int, int]]:
    """Return every occurrence of the matcher's phrases in the folded text (scan.occurrences)."""
    return scan_occurrences(matcher.automaton, folded)


def _scan_all(matcher: Matcher, folded: str, lowered: str
              ) -> tuple[set[str], int, set[tuple[str, str]], list[Hit]]:
    """Return the cues found in the text, the OR of their masks, the entity gates open,
    and where each stance cue stands (start, end, cues)."""
    found: set[str] = set()
    gates: set[tuple[str, str]] = set()
    entries = matcher.entries
    mask = 0
    hits = scan_occurrences(matcher.automaton, folded)
    for index in {index for index, _, _ in hits}:  # a phrase found twice counts once
        cues, bits, opens = entries[index]
        mask |= bits
        if cues:
            found.update(cues)
        if opens:
            gates.update(opens)
    stance_cues = matcher.stance_cues
    stance: list[Hit] = [(start, end - 1, stance_cues[index]) for index, start, end in hits
                         if index in stance_cues] if mask & matcher.stance_bit else []
    for cue, pattern in matcher.regexes:
        if pattern.search(lowered):
            found.add(cue)
            mask |= matcher.mask_of.get(cue, 0)
    return found, mask, gates, stance


def _matched(matcher: Matcher, folded: str, lowered: str) -> set[str]:
    return _scan(matcher, folded, lowered)[0]


def _title_mask(matcher: Matcher, title: str) -> int:
    """Return the OR of the masks of the cues and entities in the title alone."""
    lowered = title.lower()
    _, mask, gates = _scan(matcher, fold_lowered(lowered), lowered)
    for cue in _entity_cues(extract(title, None, lowered, gates)):
        mask |= matcher.mask_of.get(cue, 0)
    return mask


def _titled(matcher: Matcher, title: str) -> bool:
    """Return whether the title alone names an instrument of a topic (rare: only items
    with an instrument anywhere are asked)."""
    mask = _title_mask(matcher, title)
    return any(mask & i for _, i, _ in matcher.topic_masks)


def wants_full_text(item: Item, debate: Debate) -> str:
    """Return the URL of the text to fetch for a Federal Register document with an empty
    abstract that is a candidate: a topic fires on what the API gave, or it is about AI (a
    cue group several topics share); "" otherwise (see documents.py)."""
    url = text_wanted(item)
    if url:
        matcher = compile_debate(debate)
        lowered = f"{item.title}\n{secondary_text(item)}".lower()
        mask = _scan(matcher, fold_lowered(lowered), lowered)[1]
        if not mask & matcher.about and not any(
                mask & g == g or mask & i for _, i, g in matcher.topic_masks):
            return ""
    return url


def _entity_cues(entities: tuple[Entity, ...]) -> set[str]:
    cues = set()
    for e in entities:
        cues.add(f"entity:{e.kind}")
        cues.add(f"entity:{e.kind}={e.value}")
        if e.kind == "threshold":  # "entity:threshold=1e26" matches any unit
            cues.add(f"entity:threshold={e.value.split()[0]}")
    return cues


def version(debate: Debate) -> str:
    """Return the classifier version recorded with each signal."""
    return f"{__version__}+{debate.id}.v{debate.version}.{debate.fingerprint}"


def classify(item: Item, debate: Debate, role: str = "news") -> Signal:
    """Return the item's signal: relevance, topics with their cues, stance, authority, entities."""
    return evidence(item, debate, role, named=False)[0]


def _read(item: Item, debate: Debate) -> tuple[str, str, str]:
    """Return the text classify reads (title, summary and, for a Federal Register document
    with an empty abstract, what else it has), lower-cased, and folded."""
    more = secondary_text(item)
    text = f"{item.title}\n{item.summary}\n{more}" if more else f"{item.title}\n{item.summary}"
    text = html_to_text(text[: debate.max_chars * 2], squeeze=False)[: debate.max_chars]
    lowered = text.lower()
    return text, lowered, fold_lowered(lowered)


def stance_words(item: Item, debate: Debate) -> set[str]:
    """Return what the stance model reads in an item, as in a relevant one (for training): its
    words and word pairs and the rules' verdict (stance.reading)."""
    return evidence(item, debate, named=False, for_stance=True)[2]


def evidence(item: Item, debate: Debate, role: str = "news", every_word: bool = False,
             named: bool = True, for_stance: bool = False
             ) -> tuple[Signal, list[str], set[str], bool]:
    """Return the item's signal, its model features, its words (for explain and train:
    with every_word, all its words and word pairs, not only those the weights know) and
    whether it holds policy evidence (model.grounded). named=False (classify) scores
    without building the feature names (model.Scorer: the same sum). for_stance (train's
    stance model): its words are what the stance model reads, the item taken as relevant."""
    matcher = compile_debate(debate)
    text, lowered, folded = _read(item, debate)
    cues, mask, gates, stance_hits = _scan_all(matcher, folded, lowered)
    official = item.official
    entities = extract(text, official, lowered, gates)
    for cue in _entity_cues(entities):
        cues.add(cue)
        mask |= matcher.mask_of.get(cue, 0)
    topics: list[TopicHit] = []
    in_title = -1  # the title's mask, scanned only when an instrument needs it
    for i, (exclude, instruments, groups) in enumerate(matcher.topic_masks):
        if mask & exclude:
            continue
        all_groups = mask & groups == groups
        if not all_groups and mask & instruments and (cited := matcher.cited[i]) \
                and not mask & cited:  # cited in the text without what it needs beside it
            if in_title == -1:
                in_title = _title_mask(matcher, item.title)
            if not in_title & instruments:
                continue
        if all_groups or mask & instruments:
            instrument_cues, all_cues, order = matcher.topic_cues[i]
            # the cues in the definition's own order, for `monitor explain`
            fired = sorted(cues & (all_cues if all_groups else instrument_cues),
                           key=order.__getitem__)
            topics.append(TopicHit(topic=debate.topics[i].id, cues=tuple(fired)))
    model = matcher.model
    rule = round(1 - prod(1 - matcher.weights[t.topic] for t in topics), 4)
    ruled = rule >= debate.threshold
    # With fitted weights the rules' verdict stands and the weights decide the items the
    # rules find not relevant (they add what the rules miss): classify weighs only those;
    # explain and train weigh every item, by name.
    weigh = model is not None and (named or every_word or not ruled)
    titled = (weigh or every_word) and any(
        mask & i for _, i, _ in matcher.topic_masks) and _titled(matcher, item.title)
    known = matcher.model_words.found(folded) if weigh and matcher.model_words else set()
    names: list[str] = []
    words: set[str] = set()
    if every_word or (named and model is not None):  # explain and train: by name
        names = features(matcher.group_bits, matcher.cue_names, item, cues, mask, topics,
                         entities, ruled, titled)
        words = words_of(folded) if every_word or model is None else known
    policy = (model is not None or every_word) and grounded(topics, stance_hits, entities)
    if model is None or matcher.scorer is None or not weigh:
        relevance = rule
    elif named:
        relevance = round(model.score(names, words), 4)
    else:
        relevance = round(sigmoid(matcher.scorer.logit(
            cues, mask, topics, entities, item.kind, official.type, ruled, titled, known)), 4)
    if model is not None and relevance >= debate.threshold and not policy:
        relevance = round(debate.threshold * 0.99, 4)  # see POLICY_ENTITIES
    if titled and relevance < debate.threshold:  # the document itself (model.TITLE)
        relevance = debate.threshold
    if model is not None and ruled:
        relevance = rule  # the rules' verdict stands
    relevant = relevance >= debate.threshold
    # the title's folded words end before its closing space, where the summary's first begins
    title_end = len(fold(item.title)) - 1 if stance_hits else 0
    lean = next(((t.topic, matcher.leans[t.topic]) for t in topics
                 if t.topic in matcher.leans), None) if (relevant or for_stance) and matcher.leans \
        else None
    stance, stance_cues = decide(stance_hits, folded, title_end, matcher.side_of,
                                 official.type, relevant or for_stance, official.action or "", lean,
                                 bool(mask & matcher.turn_bit))
    if for_stance:  # train: what the stance model reads in a relevant item
        words = leaning_words(folded) | {reading(stance, stance_cues)}
    elif matcher.leaning and matcher.lean_words and relevant \
            and not settled(official.action or ""):
        # the fitted stance model decides from the words and the rules' verdict
        read = reading(stance, stance_cues)
        table = matcher.lean_table
        found = [table[i] for i in matcher.lean_words.indexes(folded[:READS])]
        if (weights := matcher.leaning.reads.get(read)) is not None:
            found.append((read, weights))
        side, chance, pull = matcher.leaning.weigh(found)
        said = f"; words: {', '.join(pull)}" if pull else ""
        stance, stance_cues = side, (
            f"{side}: the fitted stance model ({chance:.0%}; the rules read {shown(read)}{said})",
            *cues_read(stance_cues))
    authority, why = authority_of(item, role, debate, matcher.fr_types, matcher.roles, cues,
                                  lambda text: _matched(matcher, fold(text), text.lower()))
    signal = Signal(
        item_id=item.id, debate=debate.id, version=matcher.version, relevance=relevance,
        relevant=relevant, topics=tuple(topics), stance=stance,
        stance_cues=stance_cues, authority=authority, authority_reason=why,
        entities=entities, threshold=debate.threshold)
    return signal, names, words, policy
