"""What an analyst needs to brief from an event: its importance, a one-line summary from its
items' own text, the identifiers it carries, where to comment, and the period's headline.

Pure functions over the read side's rows (``SignalRow``), used by ``monitor.report``.

**Importance** (how the digest and page rank events), documented in the README:
``importance = authority points + 0.5 × noise + 10 × 0.5^(days since its last item / 30)``
with authority points final 40, proposed 30, official 20, news and commentary 0. A binding
or proposed instrument outranks chatter, but a loud proposed rule (noise 95: 77.5) outranks
a quiet final notice about it (noise 20: 50); recency breaks near-ties.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from ..types import (
    Entity,
    Instrument,
    KeyPoint,
    SignalRow,
    Step,
    authority_rank,
    times,
)
from .outlets import actor, outlet

AUTHORITY_POINTS = {"final": 40.0, "proposed": 30.0, "official": 20.0, "news": 0.0,
                    "commentary": 0.0}
NOISE_WEIGHT = 0.5
RECENCY_POINTS, RECENCY_HALF_LIFE_DAYS = 10.0, 30.0
SUMMARY_CHARS = 220
# The identifiers shown, in this order, and how each reads.
ID_KINDS = {"executive_order": "EO {}", "docket": "docket {}", "rin": "RIN {}",
            "eccn": "ECCN {}", "bill": "{}", "fr_citation": "{}"}
REGULATIONS_DOCKET = re.compile(r"^[A-Z]{2,8}-\d{4}-\d{4}$")  # NTIA-2023-0009, BIS-2024-0047
BOILERPLATE = ("By the authority vested in me",)  # an order's enacting clause says nothing
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)\]”\"])[.!?](?=\s+[A-Z“\"(])")


def importance(authority: str, noise: float, last_day: date, now: datetime) -> float:
    """Return an event's importance (see the module's docstring); ``last_day`` is the day of
    its latest item."""
    age = max((now.date() - last_day).days, 0)
    recency = RECENCY_POINTS * 0.5 ** (age / RECENCY_HALF_LIFE_DAYS)
    return round(AUTHORITY_POINTS.get(authority, 0.0) + NOISE_WEIGHT * noise + recency, 2)


def lead_first(rows: Iterable[SignalRow]) -> list[SignalRow]:
    """Return rows most authoritative first (published before draft), then oldest first."""
    return sorted(rows, key=lambda s: (s.draft, authority_rank(s.authority),
                                       s.published or times.NEVER, s.id))


def one_line(text: str, limit: int = SUMMARY_CHARS) -> str:
    """Return a text's first sentence, cut at a word boundary to ``limit`` characters."""
    text = " ".join(text.split())
    m = _SENTENCE_END.search(text)
    if m and m.start() >= 40:
        text = text[: m.start() + 1]
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:-–—")
    return cut + "…"


def summary(rows: Sequence[SignalRow]) -> str:
    """Return an event's one-line summary: the first sentence of its most authoritative item
    that has a summary of its own (not just its title again), else ''."""
    for s in lead_first(rows):
        text = " ".join(s.summary.split())
        if len(text) >= 40 and not text.startswith((s.title, *BOILERPLATE)):
            return one_line(text)
    return ""


def identifiers(rows: Sequence[SignalRow]) -> tuple[str, ...]:
    """Return the identifiers an event carries (EO, docket, RIN, ECCN, bill, FR citation):
    its documents' own first, then those its items name when it has none of that kind."""
    own: dict[str, list[str]] = {}
    cited: dict[str, list[str]] = {}
    for s in lead_first(rows):
        for e in s.entities:
            if e.kind in ID_KINDS:
                target = own if e.start < 0 else cited
                values = target.setdefault(e.kind, [])
                if e.value not in values:
                    values.append(e.value)
    out: list[str] = []
    for kind, form in ID_KINDS.items():
        values = own.get(kind) or cited.get(kind) or []
        if kind == "docket":  # the regulations.gov dockets; agency numbers only as a fallback
            public = [v for v in values if REGULATIONS_DOCKET.match(v)]
            values = public or values[:1]
        out.extend(form.format(v) for v in values[:2])
    return tuple(out[:6])


def dockets(rows: Sequence[SignalRow]) -> tuple[str, ...]:
    """Return the regulations.gov dockets an event's items name (where comments are filed)."""
    found = [e.value for s in lead_first(rows) for e in s.entities
             if e.kind == "docket" and REGULATIONS_DOCKET.match(e.value)]
    return tuple(dict.fromkeys(found))


def docket_url(docket: str) -> str:
    """Return the regulations.gov page of a docket: its documents and its comment button."""
    return f"https://www.regulations.gov/docket/{docket}"


def comment_deadline(rows: Sequence[SignalRow]) -> str | None:
    """Return the latest comment deadline an event's items carry, else None."""
    days = [e.value for s in rows for e in s.entities if e.kind == "comment_deadline"]
    return max(days) if days else None


def outlets(rows: Sequence[SignalRow]) -> tuple[str, ...]:
    """Return the names of the outlets and agencies behind an event's items, lead first."""
    names = [actor(s.url, s.source, s.agencies) for s in lead_first(rows)]
    names += [outlet(s.url, s.source) for s in lead_first(rows)]
    return tuple(dict.fromkeys(n for n in names if n))


def plural(n: int, word: str, many: str | None = None) -> str:
    """Return '1 item', '2 items' (or the given plural)."""
    return f"{n} {word if n == 1 else many or word + 's'}"


# -- the instruments' side: badges and key points ------------------------------------------

# An order's text (its abstract is empty: the fetched full text, headers first) says what it
# does after its enacting clause and the heading of its first section.
_ENACTING = re.compile(r"^.*?By the authority vested in me\b.*?it is hereby ordered:\s*"
                       r"(?:Section|Sec\.)\s*1\.\s*(?:Purpose|Policy)[^.]*\.\s*", re.I)
_GPO_HEADER = "[Federal Register Volume"  # how a document's fetched plain text begins
KEY_POINTS = 8  # instruments on the Key points list; the rest are counted
EVIDENCE = 4  # dated pieces of evidence shown per key point


def by_identifier(instruments: Sequence[Instrument]) -> dict[str, Instrument]:
    """Return the instruments by each RIN and executive order they carry ("RIN 0694-AJ90",
    "EO 14110"), the first one for an identifier two share."""
    out: dict[str, Instrument] = {}
    for inst in instruments:
        for ident in inst.identifiers:
            if ident.startswith(("RIN ", "EO ")):
                out.setdefault(ident, inst)
    return out


def own_instrument(entities: Sequence[Entity], index: dict[str, Instrument]
                   ) -> Instrument | None:
    """Return the instrument a document is one of its own of: the one that carries the RIN
    or executive order the document carries in its own fields."""
    return next((index[k] for k in (ID_KINDS[e.kind].format(e.value) for e in entities
                                    if e.start < 0 and e.kind in ("rin", "executive_order"))
                 if k in index), None)


def badge(authority: str, entities: Sequence[Entity], text: str,
          index: dict[str, Instrument], today: str) -> str:
    """Return what a document's badge says when its authority alone would mislead, else its
    authority: an interim final rule is in force with comments open (or closed) until its
    deadline; a document of an instrument that has ended says so."""
    ifr = authority == "final" and "interim final" in text.lower()
    name = "interim final" if ifr else authority
    inst = own_instrument(entities, index) if authority in ("final", "proposed") else None
    if inst is not None and inst.state == "ended":
        return f"{name} · ended: {inst.status} {times.day(inst.since)}"
    if not ifr:
        return authority
    due = max((e.value for e in entities if e.kind == "comment_deadline" and e.start < 0),
              default=None)
    if due is None:
        return f"{name} · in force"
    return f"{name} · in force, comments " + (f"open until {due}" if due >= today
                                              else f"closed {due}")


def key_point(inst: Instrument, texts: dict[str, tuple[str, str]], since: date | None
              ) -> KeyPoint:
    """Return an instrument's key point: the first sentence of the first of its documents
    whose summary says more than its title, its changes of state and its conflicts."""
    summary = ""
    for step in inst.history:
        title, text = texts.get(step.item_id, ("", ""))
        text = _ENACTING.sub("", " ".join(text.split()))
        if text.startswith(_GPO_HEADER):
            continue  # a fetched text that is not an order's: no sentence of its own to quote
        if title == inst.title and len(text) >= 40 and not text.startswith(title):
            summary = one_line(text)  # its own document's words, not a report about it
            break
    changes: list[Step] = []
    state = None
    for step in inst.history:
        if step.applied and step.state != state:
            changes.append(step)
            state = step.state
    evidence = (*changes[-EVIDENCE:], *inst.conflicts[:1])
    moved = since is None or any(s.date is not None and s.date >= since for s in changes)
    return KeyPoint(instrument=inst, summary=summary, evidence=evidence, moved=moved)


def key_points(instruments: Sequence[Instrument], texts: dict[str, tuple[str, str]],
               since: date | None) -> tuple[KeyPoint, ...]:
    """Return the key points of the instruments that moved in the period or take a side
    (restrict or open), those that moved first, latest change first."""
    points = [key_point(i, texts, since) for i in instruments]
    chosen = [p for p in points if p.moved or p.instrument.direction != "neutral"]
    latest_first = sorted(chosen, key=lambda p: (p.instrument.since or date.min,
                                                 p.instrument.id),
                          reverse=True)
    return tuple(sorted(latest_first, key=lambda p: not p.moved))
