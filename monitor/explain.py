"""Explain one stored item: classify it afresh with the current debate, beside its stored signal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import store
from .classify import compile_debate, evidence
from .config import Config, default_role
from .types import Debate, Item, Signal

if TYPE_CHECKING:
    from sqlite_utils import Database


@dataclass(frozen=True)
class Explanation:
    """An item, its fresh signal, the signal stored for it (if any), the topic weights, and,
    when the debate has fitted weights, the bias and each present feature's contribution
    (largest effect first)."""

    item: Item
    debate: Debate
    signal: Signal
    stored: Signal | None
    weights: dict[str, float]
    bias: float | None = None
    contributions: tuple[tuple[str, float], ...] = ()


def explain(db: Database, config: Config, item_id: str) -> Explanation | None:
    """Return the item's fresh classification beside its stored signal; None if no such item."""
    item = store.get_item(db, item_id)
    if item is None:
        return None
    debate = config.debate
    assert debate is not None
    sources = {s.id: s for s in config.sources}
    role = sources[item.source_id].role if item.source_id in sources \
        else default_role(item.kind)
    signal, names, words, _ = evidence(item, debate, role)
    model = compile_debate(debate).model
    return Explanation(item=item, debate=debate, signal=signal,
                       stored=store.get_signal(db, item_id, debate.id),
                       weights={t.id: t.weight for t in debate.topics},
                       bias=model.bias if model else None,
                       contributions=tuple(model.contributions(names, words)) if model else ())
