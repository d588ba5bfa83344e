"""What the instruments stage reads and decides: claims found in items, instruments with their
life cycle, and the outlook built from them."""

from __future__ import annotations

from dataclasses import dataclass

STATES = ("pending", "in_force", "ended")
DIRECTIONS = ("restrict", "open", "neutral")


@dataclass(frozen=True)
class Claim:
    """One item's statement about an instrument: what it is and what state it is in, dated."""

    instrument: str  # "eo:14110", "rule:0694-AJ90", "bill:S. 321", "proceeding:NTIA-2023-0009";
    # "title:<words>" while a stated relation names a rule only by its title
    kind: str  # executive_order | rule | bill | proceeding
    state: str  # pending | in_force | ended; "" for a mere mention (direction only)
    status: str  # in words: "proposed rule", "revoked by EO 14148", "not enforced"
    date: str  # YYYY-MM-DD
    item_id: str
    url: str
    title: str  # the instrument's title as this item gives it ("" when it does not)
    identifiers: tuple[str, ...] = ()
    own: bool = False  # the item is the instrument's own document (FR doc, OIRA record)
    official: bool = False  # from an official source (FR, agency, OIRA, congress.gov)
    stance: str = "unknown"  # the item's stance: the instrument's direction when own
    relevant: bool = False  # the item is relevant to the debate
    due: str | None = None  # a comment deadline or effective date the claim carries
    note: str = ""  # e.g. "comments close 2024-10-11"


@dataclass(frozen=True)
class Step:
    """One piece of evidence in an instrument's chain, as shown."""

    date: str
    status: str
    state: str
    item_id: str
    url: str
    applied: bool = True  # False: it conflicts with the state the stronger evidence set
    why: str = ""  # why a step was not applied


@dataclass(frozen=True)
class Instrument:
    """An executive order, rule, bill or proceeding, with its life cycle as the evidence says."""

    id: str
    kind: str
    title: str
    identifiers: tuple[str, ...]
    state: str
    status: str
    direction: str  # restrict | open | neutral
    since: str  # the date of the last change of state
    history: tuple[Step, ...]
    due: str | None = None  # the next comment deadline or effective date, when known
    projected: tuple[tuple[str, str, str], ...] = ()  # the latest Unified Agenda edition's
    # projected actions: (edition, action, "YYYY-MM" or "YYYY-MM-DD"), e.g. ("Fall 2025",
    # "Final Action", "2026-07")

    @property
    def conflicts(self) -> tuple[Step, ...]:
        return tuple(s for s in self.history if not s.applied)


@dataclass(frozen=True)
class Forecast:
    """One statement about what comes next, with the procedural signal it rests on."""

    statement: str
    basis: str
    horizon: str


@dataclass(frozen=True)
class Outlook:
    """The answer to the story page's question, from the instruments."""

    headline: str
    as_of: str
    in_force: tuple[Instrument, ...]
    pending: tuple[Instrument, ...]
    direction: str  # tightening | loosening | steady
    direction_since: str
    direction_basis: tuple[str, ...]
    direction_rule: str
    forecast: tuple[Forecast, ...]


@dataclass(frozen=True)
class KeyPoint:
    """One line of the page's and the digest's Key points: an instrument that moved in the
    period or takes a side, with a one-line summary from its own documents' text and the
    dated evidence behind its state."""

    instrument: Instrument
    summary: str  # the first sentence of its own documents' summary, trimmed ("" if none)
    evidence: tuple[Step, ...]  # its changes of state, then any conflicting evidence
    moved: bool  # it changed state in the period
