"""Claims: what one item says about which instrument, from its source fields first (Federal
Register type, action, dates, RINs, dockets, executive-order disposition notes; OIRA review
records; congress.gov actions), then from relations stated in its text ("revokes Executive
Order 14110", "rescission of the ... rule", "withdrawal of the proposed rule", "will not
enforce")."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal
from urllib.parse import urlsplit

from ..text import parse_day
from ..types import Claim, Item, Official, Signal, State, times

_OFFICIAL = ("final", "proposed", "official")
_EO_WORDS = r"(?:Executive\s+Order|E\.\s?O\.|EO)\s*(?:No\.\s*)?(?P<num>1\d{4})\b"
_EO = re.compile(_EO_WORDS, re.I)
# "Revoked by: EO 14148, January 20, 2025" (FR disposition notes, one relation a line or ';')
_NOTE = re.compile(r"(?P<rel>Revoked by|Superseded by|Revokes|Supersedes|Rescinded by)\s*:"
                   r"\s*(?P<rest>[^\n]*)", re.I)
_NOTE_EO = re.compile(r"EO\s*(?P<num>1\d{4})(?:,\s*(?P<date>[A-Z][a-z]+ \d{1,2}, \d{4}))?")
_END_VERBS = (("revok", "revoked"), ("rescind", "rescinded"), ("rescission", "rescinded"),
              ("supersed", "superseded"), ("withdraw", "withdrawn"),
              ("not enforce", "not enforced"), ("non-enforcement", "not enforced"),
              ("nonenforcement", "not enforced"), ("vetoe", "vetoed"), ("veto ", "vetoed"))
_VERB = re.compile(r"\b(?:revok\w*|rescind\w*|rescission|supersed\w*|withdr[ae]w\w*|"
                   r"(?:will\s+)?not\s+enforce\w*|non-?enforcement|vetoe[sd]|vetoing)\b", re.I)
# the object of a relation verb that names a rule by its title: "... of the X Rule"
_RULE_OBJECT = re.compile(r"^\s*(?:of\s+)?(?:the\s+)?(?P<obj>[^.;:]{3,120}?\b(?:rule|"
                          r"regulation|framework)s?)\b", re.I)
_SENTENCE_END = re.compile(r"[.;!?]\s")
# "the AI Diffusion Rule remains legally in effect": a claim that a rule is still in force
_REMAINS = re.compile(r"(?P<obj>\b[A-Z][\w\s-]{2,80}?\b(?:Rule|rule|Regulation|Framework))\s+"
                      r"(?:still\s+)?remains\s+(?:legally\s+)?in\s+(?:effect|force)\b")
_REG_DOCKET = re.compile(r"^[A-Z]{2,6}-\d{4}-\d{3,5}$")


def claims(item: Item, signal: Signal | None) -> list[Claim]:
    """Return every claim the item makes about an instrument (none for most news)."""
    base = _Base(item, signal)
    found: list[Claim] = []
    official = item.official
    if item.kind == "reginfo" and official.publication_id:
        found.extend(_agenda(base, official))
    elif item.kind == "reginfo":
        found.extend(_oira(base, official))
    elif item.kind == "federal_register":
        found.extend(_federal_register(base, official))
    elif item.kind == "congress_gov":
        found.extend(_bill_actions(base, official))
    found.extend(_stated(base, item, {c.instrument for c in found if c.own}))
    if base.relevant and signal is not None:
        found.extend(_mentions(base, signal, {c.instrument for c in found}))
    return found


def _mentions(base: _Base, signal: Signal, claimed: set[str]) -> list[Claim]:
    """Return stateless claims for the orders and rules a relevant item names without saying
    what became of them: they tell an instrument's direction, not its state."""
    out = []
    for e in signal.entities:
        key = {"executive_order": f"eo:{e.value}", "rin": f"rule:{e.value.upper()}",
               "bill": f"bill:{e.value}"}.get(e.kind)
        if key and key not in claimed:
            claimed.add(key)
            kind = {"eo": "executive_order", "rule": "rule", "bill": "bill"}[key.split(":")[0]]
            out.append(base.claim(key, kind, "", "mentioned", own=False))
    return out


class _Base:
    """What every claim of one item shares."""

    def __init__(self, item: Item, signal: Signal | None) -> None:
        self.item_id, self.url = item.id, item.url
        self.date = parse_day(item.published)
        self.stance = signal.stance if signal else "unknown"
        self.relevant = bool(signal and signal.relevant)
        host = urlsplit(item.url).hostname or ""
        self.official = item.kind in ("federal_register", "reginfo", "congress_gov") or bool(
            signal and signal.authority in _OFFICIAL) or host.endswith(".gov")
        self.title = item.title

    def claim(self, instrument: str, kind: str, state: State | Literal[""], status: str, *,
              own: bool, date: date | None = None, title: str = "",
              identifiers: tuple[str, ...] = (), due: date | None = None, note: str = ""
              ) -> Claim:
        stance = self.stance
        if own and stance not in ("restrict", "open"):
            stance = _title_stance(self.title)
        return Claim(instrument=instrument, kind=kind, state=state, status=status,
                     date=date or self.date, item_id=self.item_id, url=self.url,
                     title=title, identifiers=identifiers, own=own, official=self.official,
                     stance=stance, relevant=self.relevant, due=due, note=note)


_RESTRICTS = re.compile(r"\b(?:requirements?|controls?|restrict\w*|prohibit\w*|licens\w*|"
                        r"ban|bans|banning)\b", re.I)
_OPENS = re.compile(r"\b(?:removing barriers|rescission\w*|revok\w*|revocation|"
                    r"promoting)\b", re.I)


def _title_stance(title: str) -> str:
    """Return what an instrument's own title says it does, when its item's stance is unknown:
    restrict (requirements, controls, licensing, bans) or open (removing barriers,
    rescissions), else unknown."""
    restricts, opens = bool(_RESTRICTS.search(title)), bool(_OPENS.search(title))
    return "restrict" if restricts and not opens else "open" if opens and not restricts \
        else "unknown"


def rule_key(rins: list[str], dockets: list[str], document_number: str | None) -> str | None:
    """Return a rule's key: its RIN, else its regulations.gov docket, else its FR document."""
    if rins:
        return f"rule:{rins[0].upper()}"
    reg = [d for d in dockets if _REG_DOCKET.match(d)]
    if reg:
        return f"rule:{reg[0]}"
    return f"rule:fr:{document_number}" if document_number else None


def _dockets(official: Official) -> list[str]:
    """Return the docket ids of an FR document, without the "Docket No." words."""
    out = []
    for d in official.docket_ids:
        d = re.sub(r"^(?:Docket\s+(?:No\.|Number:?)\s*)", "", d, flags=re.I).strip()
        if d:
            out.append(d)
    return out


def _federal_register(base: _Base, official: Official) -> list[Claim]:
    fr_type = (official.type or "").lower()
    action = (official.action or "").lower()
    number = official.document_number
    cited = (official.citation or "").strip()
    citation = (cited,) if cited else ()
    out: list[Claim] = []
    eo = official.executive_order_number
    if eo:
        key = f"eo:{eo}"
        ids = (f"EO {eo}", *citation, f"FR Doc {number}")
        out.append(base.claim(key, "executive_order", "in_force", "signed", own=True,
                              date=official.signing_date, title=base.title,
                              identifiers=ids))
        for notes in (official.disposition_notes, official.executive_order_notes):
            out.extend(_notes(base, key, notes))
        return out
    rins = [r.upper() for r in official.regulation_id_numbers]
    dockets = _dockets(official)
    closes = official.comments_close_on
    effective = official.effective_on
    ids = (*[f"RIN {r}" for r in rins], *dockets, f"FR Doc {number}", *citation)
    rkey = rule_key(rins, dockets, number) if rins or "rule" in fr_type + action else None
    if rkey and "withdraw" in action:
        out.append(base.claim(rkey, "rule", "ended", "withdrawn", own=True, identifiers=ids))
    elif rkey and (fr_type == "proposed rule" or "proposed rule" in action):
        note = f"comments close {closes}" if closes else ""
        status = "proposed rule" + (f", comments close {closes}" if closes else "")
        out.append(base.claim(rkey, "rule", "pending", status, own=True, title=base.title,
                              identifiers=ids, due=closes, note=note))
    elif rkey and fr_type == "rule" and (rins or "rule" in action):
        if "interim final rule" in action:
            status = "interim final rule" + (f", effective {effective}" if effective else "")
            if closes:
                status += f"; comments open until {closes}"
            out.append(base.claim(rkey, "rule", "in_force", status, own=True,
                                  date=min(d for d in (effective, base.date) if d),
                                  title=base.title, identifiers=ids, due=closes))
        elif "final rule" in action:
            status = "final rule" + (f", effective {effective}" if effective else "")
            out.append(base.claim(rkey, "rule", "in_force", status, own=True,
                                  title=base.title, identifiers=ids, due=effective))
    elif fr_type == "notice" and dockets and closes and re.search(
            r"request for (?:comment|information)|comment", action + " " + base.title.lower()):
        reg = [d for d in dockets if _REG_DOCKET.match(d)] or dockets
        out.append(base.claim(f"proceeding:{reg[0]}", "proceeding", "pending",
                              f"request for comment, comments close {closes}", own=True,
                              title=base.title,
                              identifiers=ids, due=closes, note=f"comments close {closes}"))
    if official.correction_of and out:
        out = [c if not c.own else _corrected(c) for c in out]
    return out


def _corrected(c: Claim) -> Claim:
    return Claim(**{**vars(c), "status": c.status + " (correction)"})


def _notes(base: _Base, key: str, notes: str) -> list[Claim]:
    """Return the claims of an executive order's disposition notes."""
    out: list[Claim] = []
    for m in _NOTE.finditer(notes):
        rel = m["rel"].lower()
        for em in _NOTE_EO.finditer(m["rest"]):
            when = parse_day(em["date"]) or base.date
            other = f"eo:{em['num']}"
            word = "revoked" if "revok" in rel else "rescinded" if "rescind" in rel \
                else "superseded"
            if rel.endswith(" by"):
                out.append(base.claim(key, "executive_order", "ended",
                                      f"{word} by EO {em['num']}", own=True, date=when))
            else:
                out.append(base.claim(other, "executive_order", "ended",
                                      f"{word} by {key.replace('eo:', 'EO ')}", own=False,
                                      date=when, identifiers=(f"EO {em['num']}",)))
    return out


def _oira(base: _Base, official: Official) -> list[Claim]:
    """Return the claim of an OIRA EO 12866 review record (reginfo.gov XML)."""
    rin = (official.rin or "").upper()
    if not rin:
        return []
    stage = official.stage or "rule"
    received = official.date_received
    completed = official.date_completed
    decision = official.decision or ""
    ids = (f"RIN {rin}",)
    key = f"rule:{rin}"
    if completed and "withdraw" in decision.lower():
        return [base.claim(key, "rule", "ended", f"{stage} withdrawn from OIRA review",
                           own=True, date=completed, title=base.title, identifiers=ids)]
    if completed:
        return [base.claim(key, "rule", "pending",
                           f"{stage}: OIRA review concluded ({decision or 'completed'})",
                           own=True, date=completed, title=base.title, identifiers=ids)]
    return [base.claim(key, "rule", "pending", f"{stage} under OIRA review", own=True,
                       date=received, title=base.title, identifiers=ids)]


AGENDA = "agenda|"  # a Unified Agenda projection's note: agenda|<edition>|<action>|<date>


def _agenda(base: _Base, official: Official) -> list[Claim]:
    """Return the claims of a Unified Agenda entry: its projected actions (dates to come, or
    a month only: "07/00/2026"), which move nothing but tell the forecast when the agency
    expects to act; and a withdrawal it records, which ends the rule."""
    rin = (official.rin or "").upper()
    edition = official.edition or ""
    if not rin or not official.timetable:
        return []
    key, ids, out = f"rule:{rin}", (f"RIN {rin}",), []
    for action, when in official.timetable:
        if action.lower().startswith("withdrawn") and len(when) == 10:
            out.append(base.claim(key, "rule", "ended", f"withdrawn (Unified Agenda, "
                                  f"{edition})", own=True, date=parse_day(when),
                                  title=base.title,
                                  identifiers=ids))
        elif len(when) == 7 or when > times.day(base.date):  # a month only, or to come
            out.append(base.claim(key, "rule", "", f"Unified Agenda ({edition}) projects "
                                  f"{action} {when}", own=True, title=base.title,
                                  identifiers=ids, note=f"{AGENDA}{edition}|{action}|{when}"))
    return out


_BILL_ENDS = (("vetoed", "vetoed"), ("became public law", "enacted"),
              ("signed by president", "enacted"))


def _bill_actions(base: _Base, official: Official) -> list[Claim]:
    """Return the claim of a congress.gov bill action."""
    bill = official.bill or ""
    text = official.action_text or base.title
    if not bill:
        return []
    lowered = text.lower()
    state: State = "pending"
    word = text
    for cue, what in _BILL_ENDS:
        if cue in lowered:
            state, word = ("ended" if what == "vetoed" else "in_force"), what
    return [base.claim(f"bill:{bill}", "bill", state, word, own=True,
                       date=official.action_date, identifiers=(bill,))]


def _stated(base: _Base, item: Item, own: set[str]) -> list[Claim]:
    """Return the relations the item's title and summary state ("revokes Executive Order
    14110", "rescission of the AI Diffusion Rule")."""
    out: list[Claim] = []
    seen: set[tuple[str, str]] = set()
    for text in (item.title, item.summary):
        for verb in _VERB.finditer(text):
            status = _status(verb.group(0))
            sentence_end = _SENTENCE_END.search(text, verb.end())
            tail = text[verb.end(): sentence_end.start() if sentence_end else len(text)]
            for m in _EO.finditer(tail[:200]):
                key = f"eo:{m['num']}"
                if key not in own and (key, status) not in seen:
                    seen.add((key, status))
                    out.append(base.claim(key, "executive_order", "ended", status, own=False,
                                          identifiers=(f"EO {m['num']}",)))
            obj = _RULE_OBJECT.match(tail)
            if obj and not _EO.search(obj["obj"]):
                words = title_words(obj["obj"])
                key = "title:" + " ".join(sorted(words))
                if len(words) >= 2 and (key, status) not in seen:
                    seen.add((key, status))
                    out.append(base.claim(key, "rule", "ended", status, own=False,
                                          title=obj["obj"].strip()))
        for m in _REMAINS.finditer(text):
            words = title_words(m["obj"])
            key = "title:" + " ".join(sorted(words))
            if len(words) >= 2 and (key, "remains in effect") not in seen:
                seen.add((key, "remains in effect"))
                out.append(base.claim(key, "rule", "in_force", "remains in effect",
                                      own=False, title=m["obj"].strip()))
    return out


def _status(verb: str) -> str:
    lowered = verb.lower()
    for cue, word in _END_VERBS:
        if cue in lowered + " ":
            return word
    return "ended"


_STOP = frozenset((
    "a", "an", "and", "the", "of", "for", "on", "to", "in", "by", "with", "rule", "rules",
    "regulation", "regulations", "framework", "interim", "final", "proposed", "biden-era",
    "biden", "era", "trump", "harris", "administration"))


def title_words(text: str) -> frozenset[str]:
    """Return the distinctive words of a title ("AI" read as artificial intelligence)."""
    words = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text.lower())
    out: set[str] = set()
    for w in words:
        if w == "ai":
            out.update(("artificial", "intelligence"))
        elif w not in _STOP and len(w) > 1:
            out.add(w)
    return frozenset(out)
