"""`monitor eval`: precision, recall and F1 of the debate definition against labelled items."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .classify import classify
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

    def as_dict(self) -> dict[str, Any]:
        return {"debate": self.debate, "version": self.version, "items": self.items,
                "relevance": self.relevance.as_dict(),
                "topics": {k: v.as_dict() for k, v in sorted(self.topics.items())}}


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
                              "(summary, topics and source_kind are optional)",
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
                labels.append(Label(row=line, title=(row.get("title") or "").strip(),
                                    relevant=relevant == "1",
                                    summary=(row.get("summary") or "").strip(),
                                    topics=topics, source_kind=kind))
        except csv.Error as e:
            raise ConfigError(f"not valid CSV: {e}", file=file, line=reader.line_num) from e
    if not labels:
        raise ConfigError("no labelled rows", file=file)
    return labels


def _score(pairs: Sequence[tuple[bool, bool, str]]) -> Score:
    tp = sum(g and p for g, p, _ in pairs)
    fp = tuple(t for g, p, t in pairs if p and not g)
    fn = tuple(t for g, p, t in pairs if g and not p)
    tn = sum(not g and not p for g, p, _ in pairs)
    return Score(tp=tp, fp=len(fp), fn=len(fn), tn=tn, false_positives=fp,
                 false_negatives=fn)


def evaluate(labels: Sequence[Label], debate: Debate) -> Report:
    """Return precision, recall and F1 for relevance and for every topic the labels use."""
    results = []
    for label in labels:
        item = Item(id=f"label:{label.row}", source_id="labels", guid=str(label.row), url="",
                    title=label.title, summary=label.summary, published=None,
                    kind=label.source_kind)
        results.append((label, classify(item, debate, default_role(label.source_kind))))
    relevance = _score([(lab.relevant, sig.relevant, lab.title) for lab, sig in results])
    labelled_topics = sorted({t for lab, _ in results for t in lab.topics})
    topics = {}
    for topic in labelled_topics:
        topics[topic] = _score([
            (topic in lab.topics, sig.relevant and any(h.topic == topic for h in sig.topics),
             lab.title) for lab, sig in results])
    version = results[0][1].version if results else ""
    return Report(debate=debate.id, version=version, items=len(results), relevance=relevance,
                  topics=topics)
