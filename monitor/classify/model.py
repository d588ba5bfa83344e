"""Relevance as soft evidence: a linear model over explainable features. Pure, no libraries.

Every feature is a name an analyst can read: `rule:relevant` (the definition's rule says
relevant), `title:instrument` (the title names an instrument: the item is the document the
debate turns on, not a mention of it), `topic:T` (a topic fired by its cue groups or
instruments), `group:T.N` (one cue group of a topic matched), `cue:PHRASE` (one debate cue),
`entity:KIND`, `kind:SOURCE_KIND`, `type:FR_TYPE`, and `word:W` / `word:W1 W2` (a word or word
pair of the text that the fitted weights know). relevance = sigmoid(bias + sum of the weights
of the features present), so evidence adds up: no one missing word sinks an item, and no one
AI word makes it relevant.

The weights are plain JSON shipped beside the debate (`<debate>.weights.json`), fitted by
`monitor train LABELS.csv` (fit() here: L2-regularised logistic regression by gradient
descent, deterministic). Without a weights file the classifier keeps the definition's own
rule (1 - product of fired topics' (1 - weight)).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ConfigError
from ..types import Entity, Item, TopicHit

T = TypeVar("T")

FORMAT = 1
RULE = "rule:relevant"  # the feature: the definition's own rule finds the item relevant
# The feature: the title names an instrument (the item is the document the debate turns on,
# not a mention of it). With fitted weights such an item is relevant whatever its score: on
# the dev part every one of them is (7 of 7), and an order whose abstract is empty has
# little else to weigh.
TITLE = "title:instrument"
# Relevant items are few among the documents that mention AI (58 of 395 in the dev part):
# each counts this many times in the fit, so the weights do not learn "mostly irrelevant".
# Chosen by 5-fold cross-validation on the dev part (1: recall 0.93, 3: recall 0.97).
POSITIVE_WEIGHT = 3.0
# Words `monitor train` never weighs: function words say nothing about the debate, occur in
# every item (each weighed word is a scan hit in classify), and leaving them out changed no
# held-out figure on the dev part.
STOPWORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in",
    "into", "is", "it", "its", "of", "on", "or", "that", "the", "their", "this", "to", "was",
    "were", "will", "with", "which", "who", "not", "but", "than", "also", "can", "may", "more",
    "most", "other", "such", "these", "those", "under", "over", "about", "after", "before",
    "between", "during",
))
# Word weights smaller than this are dropped by `monitor train`: each word kept is looked for
# in every item, and below it they change no decision in cross-validation on the dev part.
MIN_WORD_WEIGHT = 0.03


# An AI word alone is no regulatory signal (a model launch says "open-weight" too): with
# fitted weights, an item is relevant only when its score says so *and* it holds policy
# evidence: a topic fired, a stance cue, or one of these entities. Otherwise its relevance
# is held just under the threshold, and `monitor explain` says why.
POLICY_ENTITIES = frozenset({"threshold", "docket", "rin", "executive_order", "eccn", "bill"})


def grounded(topics: Sequence[TopicHit], stance_hits: list[tuple[int, int, tuple[str, ...]]],
              entities: tuple[Entity, ...]) -> bool:
    """Return whether the item holds policy evidence (see POLICY_ENTITIES)."""
    return bool(topics or stance_hits) or any(e.kind in POLICY_ENTITIES for e in entities)


def features(group_bits: Sequence[tuple[str, int]], cue_names: Mapping[str, str], item: Item,
             cues: set[str], mask: int, topics: Sequence[TopicHit],
             entities: tuple[Entity, ...], rule: bool, titled: bool = False) -> list[str]:
    """Return the names of the model's features the item has (see model.py), words aside.
    `rule`: the definition's own rule finds the item relevant (feature `rule:relevant`);
    `titled`: its title names one of the topics' instruments (`title:instrument`)."""
    names = [f"topic:{t.topic}" for t in topics]
    if rule:
        names.append(RULE)
    if titled:
        names.append(TITLE)
    names.extend({name for name, bit in group_bits if mask & bit})
    names.extend(cue_names[c] for c in cues if c in cue_names)
    names.extend({f"entity:{e.kind}" for e in entities})
    names.append(f"kind:{item.kind}")
    doc_type = item.official.type
    if doc_type:
        names.append(f"type:{doc_type}")
    return names


@dataclass(frozen=True)
class Weights:
    """Fitted weights: the bias, each feature's weight, and where they came from."""

    bias: float
    features: dict[str, float]
    words: dict[str, float] = field(default_factory=dict)  # "w" or "w1 w2" -> weight
    trained_on: str = ""
    digest: str = ""

    def score(self, names: Iterable[str], words: Iterable[str] = ()) -> float:
        """Return sigmoid(bias + the sum of the named features' and words' weights)."""
        return _sigmoid(self.bias + sum(map(self.features.get, names, repeat(0.0)))
                        + sum(map(self.words.get, words, repeat(0.0))))

    def contributions(self, names: Iterable[str], words: Iterable[str]
                      ) -> list[tuple[str, float]]:
        """Return each present feature's weight (words as `word:W`), largest effect first."""
        found = [(n, self.features[n]) for n in set(names) if n in self.features]
        found += [(f"word:{w}", self.words[w]) for w in set(words) if w in self.words]
        return sorted(found, key=lambda nw: (-abs(nw[1]), nw[0]))


@dataclass(frozen=True)
class Scorer:
    """The weights arranged for classify's hot path: the same score as
    Weights.score(features(...), words), summed from the item's cues, mask and topics with
    no feature name built per item (explain and train use the names)."""

    bias: float
    cues: dict[str, float]  # debate cue -> the weight of its `cue:` feature
    topics: dict[str, float]  # topic id -> the weight of `topic:T`
    groups: tuple[tuple[int, float], ...]  # (the bits of one `group:` name, its weight)
    entities: dict[str, float]  # entity kind -> the weight of `entity:KIND`
    named: dict[str, float]  # `kind:...`, `type:...` and RULE -> weight
    words: dict[str, float]

    def logit(self, cues: Iterable[str], mask: int, topics: Sequence[TopicHit],
              entities: tuple[Entity, ...], kind: str, doc_type: object, rule: bool,
              titled: bool, words: Iterable[str]) -> float:
        """Return bias + the weights of the item's features and words."""
        get = self.named.get
        total = self.bias + get(f"kind:{kind}", 0.0) + (get(RULE, 0.0) if rule else 0.0)
        if titled:
            total += get(TITLE, 0.0)
        if isinstance(doc_type, str) and doc_type:
            total += get(f"type:{doc_type}", 0.0)
        total += sum(map(self.cues.get, cues, repeat(0.0)))
        total += sum(self.topics.get(t.topic, 0.0) for t in topics)
        total += sum(w for bits, w in self.groups if mask & bits)
        total += sum(map(self.entities.get, {e.kind for e in entities}, repeat(0.0)))
        return total + sum(map(self.words.get, words, repeat(0.0)))


def scorer(weights: Weights, group_bits: Sequence[tuple[str, int]],
           cue_names: Mapping[str, str]) -> Scorer:
    """Return the weights arranged for the hot path (see Scorer)."""
    feats = weights.features
    bits: dict[str, int] = {}
    for name, bit in group_bits:
        bits[name] = bits.get(name, 0) | bit
    return Scorer(
        bias=weights.bias,
        cues={c: feats[n] for c, n in cue_names.items() if n in feats},
        topics={n[6:]: w for n, w in feats.items() if n.startswith("topic:")},
        groups=tuple((b, feats[n]) for n, b in bits.items() if n in feats),
        entities={n[7:]: w for n, w in feats.items() if n.startswith("entity:")},
        named={n: w for n, w in feats.items()
               if n.startswith(("kind:", "type:", RULE, TITLE))},
        words=weights.words)


def sigmoid(x: float) -> float:
    """Return 1 / (1 + e^-x)."""
    return _sigmoid(x)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def words_of(folded: str) -> set[str]:
    """Return the text's `word:` features: its words and word pairs (classify finds the ones
    the weights know with scan.Words)."""
    tokens = folded.split()
    found = set()
    for i, tok in enumerate(tokens):
        if len(tok) < 2 or tok.isdigit():
            continue
        found.add(tok)
        if i + 1 < len(tokens):
            found.add(f"{tok} {tokens[i + 1]}")
    return found


def beside(debate_path: str, suffix: str) -> Path | None:
    """Return the file named like the debate definition with `suffix` ("d.yaml" ->
    "d.weights.json"); None without a path."""
    if not debate_path:
        return None
    path = Path(debate_path)
    return path.with_name(path.name.rsplit(".", 1)[0] + suffix)


def weights_path(debate_path: str) -> Path | None:
    """Return the weights file beside a debate definition file (None without a path)."""
    return beside(debate_path, ".weights.json")


def read_beside(path: Path | None, what: str, parse: Callable[[Any, str], T]) -> T | None:
    """Return parse(the JSON in `path`, a digest of its bytes); None when there is no such
    file. Raise ConfigError naming the file when it cannot be read as `what`."""
    if path is None or not path.is_file():
        return None
    try:
        raw = path.read_bytes()
        return parse(json.loads(raw), hashlib.sha256(raw).hexdigest()[:10])
    except ConfigError as e:
        raise ConfigError(str(e.args[0]) if e.args else what, file=str(path),
                          key="format") from e
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise ConfigError(f"not a {what}: {e}", file=str(path)) from e


_LOADED: dict[str, Weights | None] = {}


def forget_weights() -> None:
    """Forget the weights read so far, so the next load reads the files again."""
    _LOADED.clear()


def _weights(data: Any, digest: str) -> Weights:
    if data.get("format") != FORMAT:
        raise ConfigError(f"weights format must be {FORMAT}")
    return Weights(
        bias=float(data["bias"]),
        features={str(k): float(v) for k, v in data["features"].items()},
        words={str(k): float(v) for k, v in data.get("words", {}).items()},
        trained_on=str(data.get("trained_on", "")), digest=digest)


def load_weights(debate_path: str) -> Weights | None:
    """Return the weights shipped beside the debate file; None if there are none.
    Raise ConfigError naming the file when it is not a weights file."""
    if debate_path not in _LOADED:
        _LOADED[debate_path] = read_beside(weights_path(debate_path), "weights file", _weights)
    return _LOADED[debate_path]


def dump(weights: Weights) -> str:
    """Return the weights as the JSON text `load_weights` reads (sorted, stable)."""
    return json.dumps({
        "format": FORMAT, "trained_on": weights.trained_on, "bias": round(weights.bias, 6),
        "features": {k: round(v, 6) for k, v in sorted(weights.features.items())},
        "words": {k: round(v, 6) for k, v in sorted(weights.words.items())},
    }, indent=1, ensure_ascii=False) + "\n"


def fit(examples: Sequence[tuple[set[str], bool]], *, l2: float = 0.002,
        l2_words: float = 0.02, epochs: int = 1500, rate: float = 1.0,
        min_count: int = 3, positive_weight: float = 1.0, min_word_weight: float = 1e-3,
        trained_on: str = "") -> Weights:
    """Return logistic-regression weights fitted to (feature names, label) examples.

    Word features seen in fewer than `min_count` examples are dropped; words are
    regularised harder than the definition's own features (cues, groups, topics), so the
    model leans on what analysts wrote and uses words to break ties. Each relevant example
    counts `positive_weight` times. Word weights under `min_word_weight` are dropped (each
    is a word classify must look for in every item). Full-batch gradient descent from
    zero: the same examples always give the same weights."""
    counts: dict[str, int] = {}
    for names, _ in examples:
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    keep = {n for n, c in counts.items() if c >= (min_count if n.startswith("word:") else 1)}
    rows = [([n for n in present if n in keep], 1.0 if label else 0.0)
            for present, label in examples]
    w: dict[str, float] = dict.fromkeys(keep, 0.0)
    bias = 0.0
    n = max(sum(positive_weight if y else 1.0 for _, y in rows), 1.0)
    for _ in range(epochs):
        grad: dict[str, float] = {}
        gbias = 0.0
        for kept, y in rows:
            err = _sigmoid(bias + sum(w[k] for k in kept)) - y
            if y:
                err *= positive_weight
            gbias += err
            for k in kept:
                grad[k] = grad.get(k, 0.0) + err
        bias -= rate * gbias / n
        for k in w:
            penalty = l2_words if k.startswith("word:") else l2
            w[k] -= rate * (grad.get(k, 0.0) / n + penalty * w[k])
    features = {k: v for k, v in w.items() if abs(v) >= 1e-3 and not k.startswith("word:")}
    words = {k[5:]: v for k, v in w.items()
             if abs(v) >= min_word_weight and k.startswith("word:")}
    return Weights(bias=bias, features=features, words=words, trained_on=trained_on)


def out_of_fold(examples: Sequence[tuple[set[str], bool]], k: int, seed: int = 7, *,
                positive_weight: float = 1.0, min_word_weight: float = 1e-3) -> list[float]:
    """Return each example's score by weights fitted without its fold (k-fold
    cross-validation; folds drawn at random with `seed`, so the figures repeat)."""
    if not 2 <= k <= len(examples):
        raise ValueError(f"cross-validation needs 2 to {len(examples)} folds, not {k}")
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    scores = [0.0] * len(examples)
    for fold in (order[i::k] for i in range(k)):
        held = set(fold)
        weights = fit([e for i, e in enumerate(examples) if i not in held],
                      positive_weight=positive_weight, min_word_weight=min_word_weight)
        for i in fold:
            names = examples[i][0]
            scores[i] = weights.score([n for n in names if not n.startswith("word:")],
                                      [n[5:] for n in names if n.startswith("word:")])
    return scores


def calibrated(weights: Weights, found: float, threshold: float) -> Weights:
    """Return the weights with the bias moved so that a score of `found` becomes the
    debate's `threshold` (same order of items, relevant from the calibrated point)."""
    shift = _logit(threshold) - _logit(found)
    return Weights(bias=weights.bias + shift, features=weights.features, words=weights.words,
                   trained_on=weights.trained_on, digest=weights.digest)


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))
