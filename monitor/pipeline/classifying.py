"""Classifying items against the configured debate: the per-item classifier the crawl and
the workers use, and the batched re-classification of stored items."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .. import store
from ..classify import compile_debate
from ..config import Config, default_role
from ..types import Debate, Item, Signal
from .clock import utcnow

if TYPE_CHECKING:  # types only: sqlite_utils lives in store.py
    from sqlite_utils import Database

SignalsFor = Callable[[Sequence[Item]], list[Signal]]
ClassifyItem = Callable[[Item, Debate, str], Signal]

# Stored items that have no signal for the debate (the one argument) yet.
UNCLASSIFIED = "id NOT IN (SELECT item_id FROM signals WHERE debate = ?)"


def classifier(config: Config, classify_item: ClassifyItem) -> SignalsFor | None:
    """Return a function classifying items against the configured debate with
    ``classify_item``, each in its source's role (None: no debate)."""
    debate = config.debate
    if debate is None:
        return None
    roles = config.roles()
    compile_debate(debate)  # once, here: forked parse workers inherit the automaton

    def signals_for(items: Sequence[Item]) -> list[Signal]:
        return [classify_item(i, debate, roles.get(i.source_id) or default_role(i.kind))
                for i in items]

    return signals_for


def classify_stored(db: Database, signals_for: SignalsFor, where: str | None,
                    args: Sequence[object], batch: int) -> int:
    """Classify the stored items matching ``where`` and store their signals, one transaction
    per batch; return how many signals were written."""
    done = 0
    pending: list[Item] = []
    for item in store.iter_items(db, where, args, batch=batch):
        pending.append(item)
        if len(pending) >= batch:
            with store.transaction(db):
                done += store.save_signals(db, signals_for(pending), utcnow())
            pending = []
    if pending:
        with store.transaction(db):
            done += store.save_signals(db, signals_for(pending), utcnow())
    return done
