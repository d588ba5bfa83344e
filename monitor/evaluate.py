"""`monitor eval`: precision, recall and F1 of the debate definition against labelled items."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .classify import classify, evidence, stance_words
from .classify.leaning import Leaning, cross_validate
from .classify.leaning import fit as fit_leaning
from .classify.model import (
    MIN_WORD_WEIGHT,
    POSITIVE_WEIGHT,
    STOPWORDS,
    TITLE,
    Weights,
    calibrated,
    fit,
    out_of_fold,
)
from .config import default_role
from .errors import ConfigError
from .types import KINDS, Debate, Item


@dataclass(frozen=True)
class Label:
    """One labelled row of LABELS.csv."""

    row: int
    title: str
    relevant: bool
    summary: str = ""
    topics: tuple[str, ...] = ()
    source_kind: str = "feed"
    stance: str = ""  # restrict, open or neutral; empty when not labelled
    part: str = ""  # the optional `part` column (a label set's split: 3a, 3b, ...)


@dataclass(frozen=True)
class Score:
    """Precision, recall and F1 of one decision (relevance or one topic)."""

    tp: int
    fp: int
    fn: int
    tn: int
    false_positives: tuple[str, ...] = ()
    false_negatives: tuple[str, ...] = ()

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4), "tp": self.tp, "fp": self.fp, "fn": self.fn,
                "tn": self.tn, "false_positives": list(self.false_positives),
                "false_negatives": list(self.false_negatives)}


@dataclass(frozen=True)
class Report:
    """The evaluation of a debate definition on a set of labels."""

    debate: str
    version: str
    items: int
    relevance: Score
    topics: dict[str, Score] = field(default_factory=dict)
    stance: StanceScore | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {"debate": self.debate, "version": self.version, "items": self.items,
               "relevance": self.relevance.as_dict(),
               "topics": {k: v.as_dict() for k, v in sorted(self.topics.items())}}
        if self.stance is not None:
            out["stance"] = self.stance.as_dict()
        return out


STANCES = ("restrict", "open", "neutral")


@dataclass(frozen=True)
class StanceScore:
    """Stance against the labelled direction, on the rows that have one: accuracy, macro F1
    over restrict/open/neutral, and the confusion table (labelled -> predicted -> count;
    predictions include `unknown`)."""

    confusion: dict[str, dict[str, int]]
    misses: tuple[tuple[str, str, str], ...] = ()  # (title, labelled, predicted)
    # of the rows the classifier also found relevant: how many, and how many read right (a
    # missed item has no stance to read: accuracy above counts it wrong, this leaves it out);
    # None where nothing was classified (train's cross-validation of the stance model alone)
    found: int | None = None
    found_right: int = 0

    @property
    def items(self) -> int:
        return sum(sum(row.values()) for row in self.confusion.values())

    @property
    def accuracy(self) -> float:
        right = sum(self.confusion[s].get(s, 0) for s in self.confusion)
        return right / self.items if self.items else 0.0

    @property
    def found_accuracy(self) -> float:
        """Stance accuracy on the labelled rows the classifier found relevant."""
        return self.found_right / self.found if self.found else 0.0

    def _found(self) -> dict[str, Any]:
        return {} if self.found is None else {
            "found_relevant": self.found, "found_accuracy": round(self.found_accuracy, 4)}

    def per_class(self) -> dict[str, dict[str, float]]:
        out = {}
        for s in STANCES:
            tp = self.confusion.get(s, {}).get(s, 0)
            labelled = sum(self.confusion.get(s, {}).values())
            predicted = sum(row.get(s, 0) for row in self.confusion.values())
            p = tp / predicted if predicted else 0.0
            r = tp / labelled if labelled else 0.0
            out[s] = {"precision": round(p, 4), "recall": round(r, 4),
                      "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
                      "support": labelled}
        return out

    @property
    def macro_f1(self) -> float:
        classes = [c for c in self.per_class().values() if c["support"]]
        return sum(c["f1"] for c in classes) / len(classes) if classes else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"items": self.items, "accuracy": round(self.accuracy, 4),
                "macro_f1": round(self.macro_f1, 4), "per_class": self.per_class(),
                **self._found(),
                "confusion": self.confusion,
                "misses": [{"title": t, "labelled": g, "predicted": p}
                           for t, g, p in self.misses]}


def load_labels(path: str | Path) -> list[Label]:
    """Return the rows of a labels CSV; raise ConfigError naming the file, row and column."""
    file = str(path)
    try:
        handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115
    except OSError as e:
        raise ConfigError(f"cannot read: {e.strerror or e}", file=file) from e
    with handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or ())
        missing = [c for c in ("title", "relevant") if c not in columns]
        if missing:
            raise ConfigError("the header row needs the columns title and relevant "
                              "(summary, topics, stance and source_kind are optional)",
                              file=file, key=missing[0], line=1)
        labels = []
        try:
            for row in reader:
                line = reader.line_num
                relevant = (row.get("relevant") or "").strip()
                if relevant not in ("0", "1"):
                    raise ConfigError(f"relevant must be 1 or 0, not {relevant!r}", file=file,
                                      entry=f"row {line}", key="relevant", line=line)
                kind = (row.get("source_kind") or "").strip() or "feed"
                if kind not in KINDS:
                    raise ConfigError(f"source_kind must be one of: {', '.join(KINDS)}",
                                      file=file, entry=f"row {line}", key="source_kind",
                                      line=line)
                topics = tuple(t.strip() for t in (row.get("topics") or "").split(";")
                               if t.strip())
                stance = (row.get("stance") or "").strip()
                if stance and stance not in STANCES:
                    raise ConfigError(f"stance must be one of: {', '.join(STANCES)} (or empty)",
                                      file=file, entry=f"row {line}", key="stance", line=line)
                labels.append(Label(row=line, title=(row.get("title") or "").strip(),
                                    relevant=relevant == "1",
                                    summary=(row.get("summary") or "").strip(),
                                    topics=topics, source_kind=kind, stance=stance,
                                    part=(row.get("part") or "").strip()))
        except csv.Error as e:
            raise ConfigError(f"not valid CSV: {e}", file=file, line=reader.line_num) from e
    if not labels:
        raise ConfigError("no labelled rows", file=file)
    return labels


def select(labels: Sequence[Label], parts: Sequence[str] = (), skip: Sequence[str] = (),
           file: str = "") -> list[Label]:
    """Return the rows of the given parts (all when none), less those of the skipped parts;
    a part no row has is an error (a misspelt split must not measure the wrong rows)."""
    known = {label.part for label in labels}
    for part in (*parts, *skip):
        if part not in known:
            raise ConfigError(f"no row is in part {part!r} (parts: "
                              f"{', '.join(sorted(p for p in known if p)) or 'none'})",
                              file=file or None, key="part")
    return [label for label in labels
            if (not parts or label.part in parts) and label.part not in skip]


def _score(pairs: Sequence[tuple[bool, bool, str]]) -> Score:
    tp = sum(g and p for g, p, _ in pairs)
    fp = tuple(t for g, p, t in pairs if p and not g)
    fn = tuple(t for g, p, t in pairs if g and not p)
    tn = sum(not g and not p for g, p, _ in pairs)
    return Score(tp=tp, fp=len(fp), fn=len(fn), tn=tn, false_positives=fp,
                 false_negatives=fn)


def _item(label: Label) -> Item:
    return Item(id=f"label:{label.row}", source_id="labels", guid=str(label.row), url="",
                title=label.title, summary=label.summary, published=None,
                kind=label.source_kind)


def _stance(results: Sequence[tuple[Label, Any]]) -> StanceScore | None:
    score = _stance_score([(lab.stance, sig.stance, lab.title)
                           for lab, sig in results if lab.stance])
    if score is None:
        return None
    found = [(lab.stance, sig.stance) for lab, sig in results if lab.stance and sig.relevant]
    return replace(score, found=len(found), found_right=sum(a == b for a, b in found))


def _stance_score(pairs: Sequence[tuple[str, str, str]]) -> StanceScore | None:
    """Return the stance figures of (labelled, predicted, title) rows; None without rows."""
    if not pairs:
        return None
    confusion: dict[str, dict[str, int]] = {s: {} for s in STANCES}
    misses = []
    for labelled, got, title in pairs:
        confusion[labelled][got] = confusion[labelled].get(got, 0) + 1
        if got != labelled:
            misses.append((title, labelled, got))
    return StanceScore(confusion={k: v for k, v in confusion.items() if v},
                       misses=tuple(misses))


def evaluate(labels: Sequence[Label], debate: Debate) -> Report:
    """Return precision, recall and F1 for relevance and for every topic the labels use, and
    stance accuracy, macro F1 and confusion on the rows labelled with a stance."""
    results = []
    for label in labels:
        results.append((label, classify(_item(label), debate,
                                        default_role(label.source_kind))))
    relevance = _score([(lab.relevant, sig.relevant, lab.title) for lab, sig in results])
    labelled_topics = sorted({t for lab, _ in results for t in lab.topics})
    topics = {}
    for topic in labelled_topics:
        topics[topic] = _score([
            (topic in lab.topics, sig.relevant and any(h.topic == topic for h in sig.topics),
             lab.title) for lab, sig in results])
    version = results[0][1].version if results else ""
    return Report(debate=debate.id, version=version, items=len(results), relevance=relevance,
                  topics=topics, stance=_stance(results))


@dataclass(frozen=True)
class Training:
    """Fitted weights and, with cross-validation, the boundary it chose and its figures."""

    weights: Weights
    folds: int = 0  # 0: no cross-validation
    boundary: float = 0.5  # the out-of-fold score made the debate's threshold
    cross_validated: Score | None = None  # relevance of the out-of-fold scores at it

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"features": len(self.weights.features),
                               "words": len(self.weights.words),
                               "bias": round(self.weights.bias, 4), "folds": self.folds}
        if self.cross_validated is not None:
            out["boundary"] = self.boundary
            out["cross_validated"] = self.cross_validated.as_dict()
        return out


# The boundaries cross-validation tries (out-of-fold scores at or above one are relevant).
BOUNDARIES = tuple(round(0.2 + 0.05 * i, 2) for i in range(11))  # 0.2 .. 0.7


def train(labels: Sequence[Label], debate: Debate, trained_on: str = "", folds: int = 5
          ) -> Training:
    """Return relevance weights fitted to the labels over the debate's features (the rule's
    own verdict, cue groups, cues, topics, instruments, entities, source kind, document type,
    words). With `folds`, k-fold cross-validation on the labels picks the
    boundary (the out-of-fold score with the best F1, the higher one on a tie) and the bias
    is moved so that it becomes the debate's threshold."""
    if folds and not 2 <= folds <= len(labels):
        raise ConfigError(f"--cv must be 0 or 2 to {len(labels)} (the labelled rows), "
                          f"not {folds}", key="cv")
    examples = []
    policy = []
    titled: list[bool] = []  # relevant whatever the score (model.TITLE)
    for label in labels:
        _, names, words, grounded = evidence(_item(label), debate,
                                             default_role(label.source_kind), every_word=True)
        # Single words, function words aside: in 5-fold cross-validation on the dev part
        # neither word pairs nor function words changed a held-out figure, and each weighed
        # word costs classify a scan hit (a weights file with pairs is still read and used).
        examples.append((set(names) | {f"word:{w}" for w in words
                                       if " " not in w and w not in STOPWORDS},
                         label.relevant))
        policy.append(grounded)
        titled.append(TITLE in names)
    weights = fit(examples, trained_on=trained_on, positive_weight=POSITIVE_WEIGHT,
                  min_word_weight=MIN_WORD_WEIGHT)
    if not folds:
        return Training(weights)
    scores = out_of_fold(examples, folds, positive_weight=POSITIVE_WEIGHT,
                         min_word_weight=MIN_WORD_WEIGHT)
    best: tuple[float, float, float] | None = None
    chosen = _score([])
    for boundary in BOUNDARIES:
        score = _score([(lab.relevant, (s >= boundary and g) or t, lab.title)
                        for lab, s, g, t in zip(labels, scores, policy, titled, strict=True)])
        key = (score.f1, score.precision, boundary)
        if best is None or key > best:
            best, chosen = key, score
    assert best is not None
    boundary = best[2]
    return Training(calibrated(weights, boundary, debate.threshold), folds=folds,
                    boundary=boundary, cross_validated=chosen)


@dataclass(frozen=True)
class StanceTraining:
    """A fitted stance model and, with cross-validation, its held-out stance figures."""

    model: Leaning
    items: int  # labelled rows with a stance
    folds: int = 0
    cross_validated: StanceScore | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"items": self.items, "words": len(self.model.words),
                               "folds": self.folds}
        if self.cross_validated is not None:
            out["cross_validated"] = self.cross_validated.as_dict()
        return out


def train_stance(labels: Sequence[Label], debate: Debate, trained_on: str = "",
                 folds: int = 5) -> StanceTraining:
    """Return a stance model (classify/leaning.py) fitted to the words of the labelled rows
    that carry a stance; with `folds`, the stance figures of k-fold cross-validation."""
    examples = [(stance_words(_item(label), debate), label.stance)
                for label in labels if label.stance]
    if not examples:
        raise ConfigError("no labelled row has a stance (restrict, open or neutral) to "
                          "learn from", key="stance")
    if folds and not 2 <= folds <= len(examples):
        raise ConfigError(f"--cv must be 0 or 2 to {len(examples)} (the rows with a "
                          f"stance), not {folds}", key="cv")
    model = fit_leaning(examples, trained_on=trained_on)
    if not folds:
        return StanceTraining(model, len(examples))
    predicted = cross_validate(examples, folds)
    rows = [label for label in labels if label.stance]
    score = _stance_score([(lab.stance, got, lab.title)
                           for lab, got in zip(rows, predicted, strict=True)])
    return StanceTraining(model, len(examples), folds, score)
