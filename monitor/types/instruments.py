"""What the instruments stage reads and decides: claims found in items, instruments with their
life cycle, and the outlook built from them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, TypeAlias

STATES = ("pending", "in_force", "ended")
DIRECTIONS = ("restrict", "open", "neutral")
State: TypeAlias = Literal["pending", "in_force", "ended"]
Direction: TypeAlias = Literal["restrict", "open", "neutral"]
Travel: TypeAlias = Literal["tightening", "loosening", "steady"]  # the outlook's direction


@dataclass(frozen=True, order=True)
class Month:
    """A month named without its day: a Unified Agenda projection ("07/00/2026")."""

    year: int
    month: int

    def isoformat(self) -> str:
        """Return ``YYYY-MM``, the text the store and the JSON keep."""
        return f"{self.year:04d}-{self.month:02d}"

    def __str__(self) -> str:
        return self.isoformat()


When: TypeAlias = "dt.date | Month"  # a projected action's time: a day, or a month only


def when_of(text: str) -> When:
    """Return the time a projection's ``YYYY-MM-DD`` or ``YYYY-MM`` text names."""
    if len(text) == 7:
        return Month(int(text[:4]), int(text[5:7]))
    return dt.date.fromisoformat(text)


def when_text(value: str | When) -> str:
    """Return the text of a projection's time or a forecast's horizon (words stay words)."""
    return value if isinstance(value, str) else value.isoformat()


def when_key(value: When) -> tuple[int, int, int]:
    """Return a sort key that puts a month before the days in it (as its text sorts)."""
    return (value.year, value.month, value.day if isinstance(value, dt.date) else 0)


@dataclass(frozen=True)
class Claim:
    """One item's statement about an instrument: what it is and what state it is in, dated."""

    instrument: str  # "eo:14110", "rule:0694-AJ90", "bill:S. 321", "proceeding:NTIA-2023-0009";
    # "title:<words>" while a stated relation names a rule only by its title
    kind: str  # executive_order | rule | bill | proceeding
    state: State | Literal[""]  # "" for a mere mention (it tells the direction only)
    status: str  # in words: "proposed rule", "revoked by EO 14148", "not enforced"
    date: dt.date | None  # None when the item has no date
    item_id: str
    url: str
    title: str  # the instrument's title as this item gives it ("" when it does not)
    identifiers: tuple[str, ...] = ()
    own: bool = False  # the item is the instrument's own document (FR doc, OIRA record)
    official: bool = False  # from an official source (FR, agency, OIRA, congress.gov)
    stance: str = "unknown"  # the item's stance: the instrument's direction when own
    relevant: bool = False  # the item is relevant to the debate
    due: dt.date | None = None  # a comment deadline or effective date the claim carries
    note: str = ""  # e.g. "comments close 2024-10-11"


@dataclass(frozen=True)
class Step:
    """One piece of evidence in an instrument's chain, as shown."""

    date: dt.date | None
    status: str
    state: State
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
    state: State
    status: str
    direction: Direction
    since: dt.date | None  # the date of the last change of state (None: its claim had none)
    history: tuple[Step, ...]
    due: dt.date | None = None  # the next comment deadline or effective date, when known
    projected: tuple[tuple[str, str, When], ...] = ()  # the latest Unified Agenda
    # edition's projected actions: (edition, action, a day or a month only), e.g.
    # ("Fall 2025", "Final Action", Month(2026, 7))

    @property
    def conflicts(self) -> tuple[Step, ...]:
        return tuple(s for s in self.history if not s.applied)


@dataclass(frozen=True)
class Forecast:
    """One statement about what comes next, with the procedural signal it rests on."""

    statement: str
    basis: str
    horizon: str | When  # a day or month, or words ("this Congress"); "" none


@dataclass(frozen=True)
class Outlook:
    """The answer to the story page's question, from the instruments."""

    headline: str
    as_of: dt.date
    in_force: tuple[Instrument, ...]
    pending: tuple[Instrument, ...]
    direction: Travel
    direction_since: dt.date
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
