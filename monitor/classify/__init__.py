"""classify(item, debate, role) -> Signal: the item against the debate, explainably. Pure.
[pyahocorasick]

Phrases are matched in one pass: the text is folded to lower-case word stems separated by
single spaces (hyphens, punctuation and plural endings folded), and an Aho-Corasick automaton
of the debate's phrases, folded the same way, finds every cue at once.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from dataclasses import dataclass
from math import prod

import ahocorasick

from .. import __version__
from ..types import AuthorityRule, Debate, Entity, Item, Signal, TopicHit
from .extract import extract

# Every character that is not a letter or digit becomes a space (str.translate, in C).
_SPACES = {c: " " for c in range(0x3100) if not chr(c).isalnum()}
_TAG = re.compile(r"<[^>]{0,2000}>")


# The fast path: ASCII punctuation to spaces with bytes.translate (about a nanosecond a
# character), then the few Unicode punctuation marks news text uses.
_ASCII = bytes(c if chr(c).isalnum() or c >= 0x80 else 0x20 for c in range(256))
_UNICODE_PUNCTUATION = [p.encode() for p in "\u2018\u2019\u201c\u201d\u2013\u2014\u2026"
                        "\u00a0\u00b7\u2022\u00ab\u00bb\u2010\u2011\u2012\u2015"]


def fold(text: str) -> str:
    """Return text as ' word word word ', lower-case, punctuation and hyphens as spaces."""
    return " " + " ".join(_words(text.lower())) + " "


def _words(lowered: str) -> list[str]:
    """Return the words of lower-cased text: punctuation and hyphens as spaces."""
    if lowered.isascii():
        spaced = lowered.encode().translate(_ASCII).decode()
    else:
        raw = lowered.encode("utf-8", "replace").translate(_ASCII)
        for mark in _UNICODE_PUNCTUATION:
            if mark in raw:
                raw = raw.replace(mark, b" ")
        spaced = raw.decode("utf-8", "replace")
        if not spaced.isascii():  # other symbols: the careful path
            spaced = spaced.translate(_SPACES)
    return spaced.split()


def _singular(token: str) -> str:
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 4 and token.endswith("sses"):
        return token[:-2]
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def _forms(token: str) -> set[str]:
    """Return a word's singular and plural spellings (model, models; policy, policies)."""
    one = _singular(token)
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


def plain(text: str) -> str:
    """Return text without HTML tags and entities."""
    if "<" in text or "&" in text:
        text = html.unescape(_TAG.sub(" ", text))
    return text


@dataclass(frozen=True)
class Matcher:
    """A debate compiled for matching: the automaton and what each folded phrase means."""

    automaton: ahocorasick.Automaton
    cues_of: dict[str, tuple[str, ...]]  # folded phrase -> the cues written that way
    regexes: tuple[tuple[str, re.Pattern[str]], ...]
    # per topic: (exclusions, instruments, groups) as sets, for quick tests
    topic_sets: tuple[tuple[frozenset[str], frozenset[str], tuple[frozenset[str], ...]], ...]


_COMPILED: dict[tuple[str, str], Matcher] = {}


def compile_debate(debate: Debate) -> Matcher:
    """Return the debate's matcher (built once per definition)."""
    key = (debate.id, debate.fingerprint)
    matcher = _COMPILED.get(key)
    if matcher is not None:
        return matcher
    cues = debate.cues()
    cues_of: dict[str, list[str]] = defaultdict(list)
    regexes = []
    for cue in sorted(cues):
        if cue.startswith("re:"):
            regexes.append((cue, re.compile(cue[3:])))
        elif not cue.startswith("entity:"):
            for spelling in variants(cue):
                cues_of[spelling].append(cue)
    automaton = ahocorasick.Automaton()
    for folded in cues_of:
        automaton.add_word(folded, folded)
    if cues_of:
        automaton.make_automaton()
    topic_sets = tuple((frozenset(t.exclude), frozenset(t.instruments),
                        tuple(frozenset(g) for g in t.groups)) for t in debate.topics)
    matcher = Matcher(automaton=automaton, cues_of={k: tuple(v) for k, v in cues_of.items()},
                      regexes=tuple(regexes), topic_sets=topic_sets)
    _COMPILED[key] = matcher
    return matcher


def _matched(matcher: Matcher, folded: str, lowered: str) -> set[str]:
    found: set[str] = set()
    if matcher.cues_of:
        for _, key in matcher.automaton.iter(folded):
            found.update(matcher.cues_of[key])
    for cue, pattern in matcher.regexes:
        if pattern.search(lowered):
            found.add(cue)
    return found


def _entity_cues(entities: tuple[Entity, ...]) -> set[str]:
    cues = set()
    for e in entities:
        cues.add(f"entity:{e.kind}")
        cues.add(f"entity:{e.kind}={e.value}")
        if e.kind == "threshold":  # "entity:threshold=1e26" matches any unit
            cues.add(f"entity:threshold={e.value.split()[0]}")
    return cues


def _rule(rules: tuple[AuthorityRule, ...], cues: set[str]) -> AuthorityRule | None:
    for rule in rules:
        if any(m in cues for m in rule.match):
            return rule
    return None


def _authority(item: Item, role: str, debate: Debate, matcher: Matcher,
               cues: set[str]) -> tuple[str, str]:
    extra = item.extra
    action = extra.get("action")
    if isinstance(action, str) and action:
        rule = _rule(debate.action_rules, _matched(matcher, fold(action), action.lower()))
        if rule:
            return rule.authority, f"Federal Register action '{action}': {rule.why}"
    doc_type = extra.get("type") or extra.get("documentType")
    fr_types = dict(debate.fr_types)
    if isinstance(doc_type, str) and doc_type in fr_types:
        subtype = extra.get("subtype")
        label = f"{doc_type} ({subtype})" if subtype else doc_type
        return fr_types[doc_type], f"document type '{label}'"
    roles = dict(debate.roles)
    if role == "agency":
        rule = _rule(debate.text_rules, cues)
        if rule:
            hit = next(m for m in rule.match if m in cues)
            return rule.authority, f"agency source, text says '{hit}': {rule.why}"
    level = roles.get(role, "news")
    return level, f"source role '{role}'"


def _stance(debate: Debate, cues: set[str]) -> tuple[str, tuple[str, ...]]:
    hits = {name: tuple(sorted(c for c in stance_cues if c in cues))
            for name, stance_cues in debate.stance}
    counts = {name: len(h) for name, h in hits.items()}
    fired = tuple(f"{name}: {c}" for name, h in hits.items() for c in h)
    if not any(counts.values()):
        return "unknown", ()
    restrict, open_ = counts.get("restrict", 0), counts.get("open", 0)
    if restrict > open_:
        return "restrict", fired
    if open_ > restrict:
        return "open", fired
    return "neutral", fired  # only neutral cues, or both sides equally


def version(debate: Debate) -> str:
    """Return the classifier version recorded with each signal."""
    return f"{__version__}+{debate.id}.v{debate.version}.{debate.fingerprint}"


def classify(item: Item, debate: Debate, role: str = "news") -> Signal:
    """Return the item's signal: relevance, topics with their cues, stance, authority, entities."""
    matcher = compile_debate(debate)
    text = plain(f"{item.title}\n{item.summary}"[: debate.max_chars * 2])[: debate.max_chars]
    lowered = text.lower()
    words = _words(lowered)
    folded = " " + " ".join(words) + " "
    entities = extract(text, item.extra, lowered, frozenset(words))
    cues = _matched(matcher, folded, lowered) | _entity_cues(entities)
    topics: list[TopicHit] = []
    for topic, (exclude, instruments, groups) in zip(debate.topics, matcher.topic_sets,
                                                     strict=True):
        if not cues.isdisjoint(exclude):
            continue
        all_groups = all(not cues.isdisjoint(g) for g in groups)
        if all_groups or not cues.isdisjoint(instruments):
            # the cues in the definition's own order, for `monitor explain`
            fired = [c for c in topic.instruments if c in cues]
            if all_groups:
                fired += [c for group in topic.groups for c in group if c in cues]
            topics.append(TopicHit(topic=topic.id, cues=tuple(dict.fromkeys(fired))))
    weights = {t.id: t.weight for t in debate.topics}
    relevance = round(1 - prod(1 - weights[t.topic] for t in topics), 4)
    stance, stance_cues = _stance(debate, cues)
    authority, why = _authority(item, role, debate, matcher, cues)
    return Signal(
        item_id=item.id, debate=debate.id, version=version(debate), relevance=relevance,
        relevant=relevance >= debate.threshold, topics=tuple(topics), stance=stance,
        stance_cues=stance_cues, authority=authority, authority_reason=why,
        entities=entities, threshold=debate.threshold)
