"""Stance learned from words: which way a relevant item pushes, by a fitted model. Pure.

The rules of stance.py read cues, negation and what an official document does; on items
written in words their cue lists did not foresee they leave most items `neutral` (on the
label set's parts gathered after the rules were written, the rules were right on about
half). This model reads every word and word pair of an item (title, summary and what else
the classifier reads) and the rules' verdict as one more feature (stance.reading: "rules:open",
...), and gives each direction a score: softmax over bias[side] + the sum of the weights of
the features present. It is multinomial logistic
regression, fitted by `monitor train` (fit() here: L2-regularised, full-batch gradient
descent from zero, so the same labels always give the same weights) on the labelled rows
that carry a stance, and written as plain JSON beside the debate
(`<debate>.stance.json`). classify uses it for every relevant item whose stance the Federal
Register `action` does not settle; `monitor explain` shows the rules' verdict and the words
that weighed most.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .model import STOPWORDS, beside, read_beside, words_of

FORMAT = 1
SIDES = ("restrict", "open", "neutral")
# Chosen by 5-fold cross-validation on the labelled rows with a stance of dev, dev2, dev3
# and dev4 part 4a (never on dev4 part 4b or the frozen test part): see `monitor train`.
# Checked again with dev5 and dev6 added (480 rows): 0.0005 to 0.008 all score 0.70-0.73.
L2 = 0.002
EPOCHS = 300
RATE = 2.0
MIN_COUNT = 2  # a word seen in fewer labelled items is not weighed
MIN_WEIGHT = 1e-3  # smaller weights are dropped from the file
# The model reads the first this many characters of the folded text: the title and the
# start of the summary, where an item says which way it pushes (labelled items' median is
# 263; cross-validation: 0.738 reading 600, 0.734 reading all). A long fetched text costs
# no more than a headline.
READS = 600


Read = tuple[tuple[float, float, float], tuple[float, float, float] | None]


@dataclass(frozen=True)
class Leaning:
    """A fitted stance model: per side a bias, per word its weight for each side."""

    bias: tuple[float, float, float]  # in SIDES order
    words: dict[str, tuple[float, float, float]]
    trained_on: str = ""
    digest: str = ""
    # per word, its weights and, for each side, how far it pushes towards that side against
    # the stronger of the other two; None when the word is shown to no reader (STOPWORDS)
    reads: dict[str, Read] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        reads = {}
        for pair, w in self.words.items():
            ahead = None if STOPWORDS.issuperset(pair.split()) or ":" in pair else (
                w[0] - (w[1] if w[1] > w[2] else w[2]), w[1] - (w[0] if w[0] > w[2] else w[2]),
                w[2] - (w[0] if w[0] > w[1] else w[1]))
            reads[pair] = (w, ahead)
        object.__setattr__(self, "reads", reads)

    def decide(self, words: Iterable[str], shown: int = 4) -> tuple[str, float, list[str]]:
        """Return the side with the highest score, its probability, and the words that
        pushed most towards it against the other sides (at most `shown`; function words,
        which weigh too, are not shown: they say nothing to a reader)."""
        get = self.reads.get
        return self.weigh([(word, read) for word in words if (read := get(word)) is not None],
                          shown)

    def table(self, words: Sequence[str]) -> tuple[tuple[str, Read], ...]:
        """Return each of the words (all known to the model) with its weights, in order:
        classify looks them up by the index a scan.Words automaton finds them at."""
        return tuple((word, self.reads[word]) for word in words)

    def weigh(self, found: Sequence[tuple[str, Read]], shown: int = 4
              ) -> tuple[str, float, list[str]]:
        """decide() over the words found, each with its weights (see `reads`)."""
        restrict, open_, neutral = self.bias
        for _, (w, _) in found:
            restrict += w[0]
            open_ += w[1]
            neutral += w[2]
        logits = [restrict, open_, neutral]
        best = max(range(3), key=logits.__getitem__)
        top = logits[best]
        probability = 1.0 / sum(math.exp(v - top) for v in logits)
        ahead = sorted((-m, word) for word, (_, margins) in found
                       if margins is not None and (m := margins[best]) > 0)
        return SIDES[best], probability, [word for _, word in ahead[:shown]]

def words(folded: str) -> set[str]:
    """Return the words and word pairs of the start of a folded text (READS characters): what
    the model is fitted on (classify finds the ones it weighs with scan.Words)."""
    return words_of(folded[:READS])


def path_beside(debate_path: str) -> Path | None:
    """Return the stance model file beside a debate definition file (None without a path)."""
    return beside(debate_path, ".stance.json")


_LOADED: dict[str, Leaning | None] = {}


def forget() -> None:
    """Forget the models read so far (after `monitor train` wrote a new one)."""
    _LOADED.clear()


def _leaning(data: Any, digest: str) -> Leaning:
    if data.get("format") != FORMAT or tuple(data.get("sides", ())) != SIDES:
        raise ConfigError(f"stance model format must be {FORMAT} with sides "
                          f"{', '.join(SIDES)}")
    return Leaning(bias=_three(data["bias"]),
                   words={str(k): _three(v) for k, v in data["words"].items()},
                   trained_on=str(data.get("trained_on", "")), digest=digest)


def load(debate_path: str) -> Leaning | None:
    """Return the stance model beside the debate file; None if there is none.
    Raise ConfigError naming the file when it is not a stance model."""
    if debate_path not in _LOADED:
        _LOADED[debate_path] = read_beside(path_beside(debate_path), "stance model", _leaning)
    return _LOADED[debate_path]


def _three(values: Sequence[object]) -> tuple[float, float, float]:
    if len(values) != 3:
        raise ValueError(f"needs one weight per side, got {len(values)}")
    a, b, c = (float(v) for v in values)  # type: ignore[arg-type]
    return a, b, c


def dump(model: Leaning) -> str:
    """Return the model as the JSON text `load` reads (sorted, stable)."""
    return json.dumps({
        "format": FORMAT, "sides": list(SIDES), "trained_on": model.trained_on,
        "bias": [round(v, 6) for v in model.bias],
        "words": {k: [round(v, 6) for v in ws] for k, ws in sorted(model.words.items())},
    }, indent=None, ensure_ascii=False, separators=(",", ":")).replace('],"', '],\n"') + "\n"


def fit(examples: Sequence[tuple[set[str], str]], *, l2: float = L2, epochs: int = EPOCHS,
        rate: float = RATE, min_count: int = MIN_COUNT, trained_on: str = "") -> Leaning:
    """Return a stance model fitted to (words, side) examples: multinomial logistic
    regression, full-batch gradient descent from zero (deterministic)."""
    counts: dict[str, int] = {}
    for words, _ in examples:
        for word in words:
            counts[word] = counts.get(word, 0) + 1
    vocab = sorted(w for w, c in counts.items() if c >= min_count)
    index = {w: i for i, w in enumerate(vocab)}
    rows = [([index[w] for w in words if w in index], SIDES.index(side))
            for words, side in examples]
    weights = [[0.0, 0.0, 0.0] for _ in vocab]
    bias = [0.0, 0.0, 0.0]
    n = max(len(rows), 1)
    for _ in range(epochs):
        grad: dict[int, list[float]] = {}
        gbias = [0.0, 0.0, 0.0]
        for present, label in rows:
            logits = list(bias)
            for i in present:
                w = weights[i]
                logits[0] += w[0]
                logits[1] += w[1]
                logits[2] += w[2]
            top = max(logits)
            exps = [math.exp(v - top) for v in logits]
            total = sum(exps)
            err = [e / total for e in exps]
            err[label] -= 1.0
            for s in range(3):
                gbias[s] += err[s]
            for i in present:
                g = grad.setdefault(i, [0.0, 0.0, 0.0])
                g[0] += err[0]
                g[1] += err[1]
                g[2] += err[2]
        for s in range(3):
            bias[s] -= rate * gbias[s] / n
        zero = [0.0, 0.0, 0.0]
        for i, w in enumerate(weights):
            g = grad.get(i, zero)
            for s in range(3):
                w[s] -= rate * (g[s] / n + l2 * w[s])
    kept = {vocab[i]: (w[0], w[1], w[2]) for i, w in enumerate(weights)
            if max(abs(v) for v in w) >= MIN_WEIGHT}
    return Leaning(bias=(bias[0], bias[1], bias[2]), words=kept, trained_on=trained_on)


def cross_validate(examples: Sequence[tuple[set[str], str]], k: int, seed: int = 7,
                   **options: float) -> list[str]:
    """Return each example's side as predicted by a model fitted without its fold."""
    if not 2 <= k <= len(examples):
        raise ValueError(f"cross-validation needs 2 to {len(examples)} folds, not {k}")
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    predicted = [""] * len(examples)
    for fold in (order[i::k] for i in range(k)):
        held = set(fold)
        model = fit([e for i, e in enumerate(examples) if i not in held],
                    **options)  # type: ignore[arg-type]
        for i in fold:
            predicted[i] = model.decide(examples[i][0])[0]
    return predicted
