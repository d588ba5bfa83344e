"""The life cycle of an instrument: its claims, oldest first, drive a state machine
(pending -> in_force -> ended, and back to pending or in force when an ended instrument is
revived by a new document of its own); what the stronger evidence contradicts is kept in the
history as a conflict, never dropped."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date

from ..types import Claim, Direction, Instrument, State, Step, when_key, when_of
from .link import AGENDA, title_words

# (from, to) -> who may make that change: "any" claim, or only an "own" official document
_MOVES = {
    (None, "pending"): "any", (None, "in_force"): "any", (None, "ended"): "any",
    ("pending", "in_force"): "any", ("pending", "ended"): "any",
    ("in_force", "ended"): "any",
    ("ended", "pending"): "own", ("ended", "in_force"): "own",  # revived
    ("in_force", "pending"): "never",  # a later comment period does not un-make a rule
}
_KIND_ORDER = {"executive_order": 0, "rule": 1, "bill": 2, "proceeding": 3}


def resolve(claims: Iterable[Claim], titles: dict[str, str]) -> list[Claim]:
    """Return the claims with every "title:" reference pointed at the rule whose distinctive
    title words it contains; references that name no known rule, or several, are left as
    they are."""
    # each rule is filed under its rarest word: a reference can only hold the rule's words
    # if it holds that one, so a reference looks only at the rules filed under its own words
    rules = [(key, words) for key, title in titles.items() if key.startswith("rule:")
             and len(words := title_words(title)) >= 2]
    often = Counter(w for _, words in rules for w in words)
    filed: dict[str, list[tuple[str, frozenset[str]]]] = defaultdict(list)
    for key, words in rules:
        filed[min(words, key=lambda w: (often[w], w))].append((key, words))
    out = []
    for c in claims:
        if c.instrument.startswith("title:"):
            words = frozenset(c.instrument[6:].split())
            hits = {key for w in words for key, tw in filed.get(w, ()) if tw <= words}
            if len(hits) == 1:
                c = Claim(**{**vars(c), "instrument": hits.pop()})
        out.append(c)
    return out


def life_cycle(key: str, claims: Iterable[Claim]) -> Instrument:
    """Return the instrument the claims describe: its state, status, direction and the
    evidence chain (conflicts marked, with why)."""
    ordered = sorted(claims, key=lambda c: (_when(c), not c.own, c.item_id, c.status))
    state: State | None = None
    status = ""
    since: date | None = None
    set_by_official = False
    steps: list[Step] = []
    seen: set[tuple[str, str]] = set()
    for c in ordered:
        if c.state == "" or (c.url, c.status) in seen:
            continue  # a mention (it tells the direction, not the state), or a copy
        seen.add((c.url, c.status))
        why = _refused(state, c, set_by_official)
        if why:
            steps.append(Step(c.date, c.status, c.state, c.item_id, c.url, False, why))
            continue
        if c.state != state:
            since = c.date
        state, status = c.state, c.status
        set_by_official = c.official
        steps.append(Step(c.date, c.status, c.state, c.item_id, c.url))
    first = next((c for c in ordered if c.state), ordered[0])
    own = [c for c in ordered if c.own]
    title = next((c.title for c in own if c.title), "") or next(
        (c.title for c in ordered if c.title and c.official), "") or _name(key)
    ids: list[str] = []
    for c in ordered:
        ids.extend(i for i in c.identifiers if i not in ids)
    due = max((c.due for c in own if c.due), default=None)
    agenda = [c for c in ordered if c.note.startswith(AGENDA)]
    edition = max((_when(c) for c in agenda), default=None)  # the latest edition's
    projected = tuple(dict.fromkeys(  # projections
        (e, a, when_of(d)) for e, a, d in (c.note[len(AGENDA):].split("|", 2) for c in agenda
                                           if _when(c) == edition)))
    return Instrument(id=key, kind=first.kind, title=title, identifiers=tuple(ids),
                      state=state or "pending", status=status, direction=direction(ordered),
                      since=since, history=tuple(steps), due=due,
                      projected=tuple(sorted(projected, key=lambda p: when_key(p[2]))))


def _when(c: Claim) -> date:
    """Return a claim's date for ordering: an undated claim comes before every dated one."""
    return c.date or date.min


def _refused(state: State | None, c: Claim, set_by_official: bool) -> str:
    """Return why a claim may not move the instrument ("" when it may)."""
    if c.state == state:
        return ""
    who = _MOVES.get((state, c.state), "never")
    if who == "never":
        return f"a {c.state.replace('_', ' ')} claim after the instrument was {state}"
    if who == "own" and not (c.own and c.official):
        return f"only a document of the instrument's own can revive it from {state}"
    if set_by_official and not c.official:
        return "an unofficial claim against the official record"
    return ""


def direction(claims: Iterable[Claim]) -> Direction:
    """Return restrict, open or neutral: the stance most of the instrument's own documents
    take; else ``restrict`` when items that push for open release ended it; else the stance
    of most relevant mentions made before it ended; ties and no stance are neutral."""
    claims = list(claims)
    ended = min((_when(c) for c in claims if c.state == "ended"), default=date.max)
    own = [c.stance for c in claims if c.own and c.state != "ended"]
    if _majority(own) == "neutral" and any(c.state == "ended" and c.stance == "open"
                                          for c in claims):
        return "restrict"
    return _majority(own) if _majority(own) != "neutral" else _majority(
        [c.stance for c in claims if c.relevant and not c.state and _when(c) < ended])


def _majority(stances: list[str]) -> Direction:
    votes = Counter(s for s in stances if s in ("restrict", "open"))
    if not votes:
        return "neutral"
    (top, n), *rest = votes.most_common()
    return "neutral" if rest and rest[0][1] == n else "restrict" if top == "restrict" \
        else "open"


def build(claims: Iterable[Claim], titles: dict[str, str] | None = None) -> list[Instrument]:
    """Return the instruments the claims describe, those any relevant item names, ordered by
    kind and key; ``titles`` are instrument titles already known (for title references)."""
    claims = list(claims)
    known = dict(titles or {})
    for c in claims:
        if c.own and c.title and c.instrument.startswith("rule:"):
            known.setdefault(c.instrument, c.title)
    groups: dict[str, list[Claim]] = defaultdict(list)
    for c in resolve(claims, known):
        if not c.instrument.startswith("title:"):
            groups[c.instrument].append(c)
    return [life_cycle(key, group) for key, group in sorted(
        groups.items(), key=lambda kv: (_KIND_ORDER.get(kv[1][0].kind, 9), kv[0]))
        if any(c.relevant for c in group) and any(c.state for c in group)]


def _name(key: str) -> str:
    kind, _, value = key.partition(":")
    return {"eo": f"Executive Order {value}", "rule": f"Rule {value}", "bill": value,
            "proceeding": f"Proceeding {value}"}.get(kind, key)
