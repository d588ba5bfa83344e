"""The instruments pass: items not read yet are scanned for claims about instruments, the
claims appended, and the life cycle of every instrument they touch rebuilt from all of its
claims, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .. import instruments, store
from ..config import Config
from ..types import Claim
from .clock import utcnow

if TYPE_CHECKING:  # types only: sqlite_utils lives in store.py
    from sqlite_utils import Database


@dataclass(frozen=True)
class InstrumentsUpdate:
    """What one instruments pass did."""

    scanned: int
    claims: int
    rebuilt: int
    changed: int


def update_instruments(db: Database, config: Config, now: datetime | None = None,
                       batch: int = 2000, everything: bool = False) -> InstrumentsUpdate:
    """Scan the items stored since the last pass for claims, then rebuild the instruments
    they touch (and those a title reference now resolves to), or every instrument when
    ``everything`` (after a reclassification). One transaction."""
    debate = config.debate
    if debate is None:
        return InstrumentsUpdate(0, 0, 0, 0)
    stamp = now or utcnow()
    scanned = saved = 0
    touched: set[str] = set()
    with store.transaction(db):
        last = store.instruments.scan_position(db, debate.id)
        for rows in store.instruments.iter_scan(db, debate.id, last, batch):
            found: list[Claim] = []
            for _, item, signal in rows:
                found.extend(instruments.claims(item, signal))
            saved += store.instruments.save_claims(db, debate.id, found, stamp)
            touched.update(c.instrument for c in found)
            scanned += len(rows)
            last = rows[-1][0]
        store.instruments.save_scan_position(db, debate.id, last)
        titles = store.instruments.rule_titles(db, debate.id)
        references = store.instruments.title_claims(db, debate.id)
        resolved = store.instruments.new_claims(db, debate.id, [
            c for c in instruments.resolve(references, titles)
            if not c.instrument.startswith("title:")])
        if resolved:
            store.instruments.save_claims(db, debate.id, resolved, stamp)
            touched.update(c.instrument for c in resolved)
        if everything:
            touched.update(store.instruments.instrument_ids(db, debate.id))
        touched = {t for t in touched if not t.startswith("title:")}
        built = instruments.build(store.instruments.claims_of(db, debate.id, sorted(touched)))
        stored = store.instruments.stored_ids(db, debate.id)
        dropped = (touched & stored) - {i.id for i in built}
        changed = store.instruments.save_instruments(db, debate.id, built, stamp, dropped)
    return InstrumentsUpdate(scanned=scanned, claims=saved, rebuilt=len(built),
                             changed=changed)
