"""Stance: the direction an item pushes or reports, read with negation. Pure.

Each stance cue found in the text votes for its side (`restrict`, `open`, `neutral`); a cue
in the title votes twice, since a headline says what the item does. A `restrict` cue with a
negation or a reversal among the few words before it ("urges NTIA *not to restrict*",
"*does not warrant* restrictions", "*rescinds* the export controls", "*vetoes* the ban")
votes `open` instead, and an `open` cue so negated votes `restrict`. A negation acts on
the cue it precedes, not past another cue, and carries over "or"/"and"; a reversal that is
a cue itself ("vetoes") also turns the next one. One phrase is one vote: a cue inside a
longer one ("ban" in "state AI ban") does not vote. An item that gives each side's view
("supporters say ..., critics argue ...") reports a debate: `neutral`. An item whose title
asks, explains or reports a debate ("request for comment", "explained", "debate") at least
as loudly as it names a side is `neutral`. With no cue at all, an official document is read
by what it does: a proposed or final rule adds duties (`restrict`); another relevant item
reports without taking a side (`neutral`); an item that is not relevant stays `unknown`.
A relevant Federal Register document is read by its `action` first (ACTIONS).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

# Words that turn the cue after them around (within WINDOW words before it).
NEGATORS = frozenset((
    "not", "no", "never", "nor", "without", "against", "oppose", "opposes", "opposed",
    "opposing", "opposition", "refrain", "refrains", "refraining", "reject", "rejects",
    "rejected", "rejecting", "resist", "resists", "resisting", "veto", "vetoes", "vetoed",
    "vetoing", "rescind", "rescinds", "rescinded", "rescinding", "rescission", "revoke",
    "revokes", "revoked", "revoking", "revocation", "repeal", "repeals", "repealed",
    "repealing", "lift", "lifts", "lifted", "lifting", "scrap", "scraps", "scrapped",
    "kill", "kills", "killed", "strike", "strikes", "struck", "strip", "strips", "stripped",
    "ending", "ends", "ended", "removing", "remove", "removes", "removed", "unwarranted",
    "premature", "futile", "futility", "instead", "rather", "than", "doesn", "unnecessary",
    "overturn", "overturns", "overturned", "overturning", "withdraw", "withdraws", "withdrawn",
    "withdrew", "override", "overrides", "overriding", "overrode", "challenge", "challenges",
    "challenging", "block", "blocks", "blocking", "blocked", "halt", "halts", "halting",
    "halted", "freeze", "freezes", "freezing", "froze", "preempt", "preempts", "preempting",
    "preempted", "preemption", "recission", "stop", "stops", "stopping", "stopped",
    "abandon", "abandons", "abandoned", "postpone", "postpones", "postponed", "shelve",
    "shelves", "shelved", "cancel", "cancels", "canceled", "cancelled", "reverse", "reverses",
    "reversed", "reversing", "dismantle", "dismantles", "dismantling", "delay", "delays",
    "delayed", "delaying", "pause", "pauses", "paused", "loosen", "loosens", "loosened",
    "nullify", "nullifies", "nullified", "nullifying", "killing", "eliminate", "eliminates",
    "eliminated", "eliminating", "slam", "slams", "slammed", "blast", "blasts", "blasted",
    "criticize", "criticizes", "criticized", "criticise", "criticises", "criticised",
    "decry", "decries", "decried", "condemn", "condemns", "condemned", "lambast",
    "lambasts", "lambasted", "bash", "bashes", "bashed", "bashing", "refuse", "refuses",
    "refused", "refusing", "shut", "shuts", "shutting", "denounce", "denounces", "denounced",
    "denouncing", "protest", "protests", "protested", "protesting",
))
WINDOW = 6
# Words that join two cues under one negation ("not restrict or ban").
# ("not to enforce the AI Diffusion Rule": the rule is what is not enforced).
JOINERS = frozenset(("or", "and", "nor", "to", "even", "the", "its", "their", "this", "that"))
# Verdicts that, right after a cue, say the speaker is against it ("export controls on open
# models will not win the AI race", "restricting access may undermine safety").
VERDICTS = frozenset((
    "not", "fail", "fails", "failed", "undermine", "undermines", "backfire", "backfires",
    "futile", "futility", "won", "counterproductive", "harm", "harms", "hurt", "hurts",
    "stifle", "stifles", "stifling", "threaten", "threatens", "threatening", "chill", "chills",
    "hinder", "hinders", "hindering", "cripple", "cripples", "crippling", "unconstitutional",
    "never", "mistake", "mistaken", "wrong", "misguided", "unwise", "folly", "error",
    # the cue undone, in the passive ("AI Safety Executive Order Revoked")
    "revoked", "rescinded", "repealed", "scrapped", "overturned", "vetoed", "withdrawn",
    "stripped", "lifted", "dropped", "shelved", "nullified",
))
AFTER = 6
# Words skipped when counting the words after a cue ("banning open source AI would be a
# mistake": the verdict is four words on, not seven).
FILLERS = frozenset(("would", "will", "be", "is", "are", "was", "were", "a", "an", "the"))
# A verdict is read in the cue's own clause: these words start another one ("backs the AI
# safety bill after Newsom vetoed the first": the veto is of another bill).
CLAUSE = frozenset(("after", "before", "since", "when", "while", "because", "but", "although",
                    "though", "whereas", "unlike"))
# A verdict word read as a noun ("critical harm", "the harm") is no verdict on the cue.
NOUN_BEFORE = frozenset(("critical", "catastrophic", "serious", "severe", "potential", "of",
                         "the", "any", "such", "cause", "causing", "mass"))
RULE_TYPES = frozenset({"Rule", "Proposed Rule"})
# What an official document does, read from its Federal Register `action` (first match
# wins): a rescission or withdrawal opens; a rule adds duties; a request for comment, a
# notice of inquiry, a briefing or a meeting asks. The phrases are matched in the folded
# action ("Interim final rule; request for comments" is a rule).
ACTIONS = (
    ("open", ("rescission", "rescinding", "revocation", "withdrawal", "removal of")),
    ("restrict", ("interim final rule", "final rule", "proposed rule", "direct final rule")),
    ("neutral", ("request for comment", "request for information", "notice of inquiry",
                 "briefing", "meeting", "listening session", "hearing")),
)
FLIP = {"restrict": "open", "open": "restrict", "neutral": "neutral"}
# An item that attributes a view to each side ("supporters say ..., while critics argue ...")
# reports a debate: it is `neutral`, whatever the cues inside the quoted views say.
_SAYS = r"(?:say|says|said|argue|argues|argued|contend|contends|warn|warns|claim|claims|believe)"
_PRO = "supporters|proponents|advocates|backers|defenders"
_CON = "critics|opponents|detractors|skeptics|sceptics"
_CRITICS = tuple(f" {word} " for word in _CON.split("|"))  # cheap: most name no critics
# Every word that can turn a cue around or report a debate: classify finds them in its one
# scan, and an item with none of them skips the negation and attribution readings.
TURNING = NEGATORS | VERDICTS | frozenset(_CON.split("|"))
BOTH_SIDES = tuple(re.compile(rf" (?:{words})(?: \\w+){{0,3}} {_SAYS} ") for words in (_CON, _PRO))


def _both_sides(folded: str) -> bool:
    """Whether the text gives a view to each side ("supporters say ..., critics argue ...")."""
    return any(word in folded for word in _CRITICS) and all(
        pattern.search(folded) for pattern in BOTH_SIDES)


def _negated(folded: str, start: int, end: int, floor: int = 0) -> bool:
    """Whether a negation or reversal before the cue, or a verdict right after it, turns it
    around. floor: where the previous cue ends; a negator before it acts on that cue, not on
    this one ("remove the moratorium, reinstate state oversight")."""
    if not NEGATORS.isdisjoint(folded[max(0, floor, start - 60):start].split()[-WINDOW:]):
        return True
    after = folded[end:end + 100].split()[:AFTER + 4]
    if VERDICTS.isdisjoint(after):  # the usual case: no verdict near, nothing to count
        return False
    after = [w for w in after if w not in FILLERS][:AFTER]
    for i, word in enumerate(after):
        if word in CLAUSE:
            after = after[:i]
            break
    for i, word in enumerate(after):  # "not just chips", "not only" are no verdict
        if word in VERDICTS and after[i + 1:i + 2] not in (["just"], ["only"]) and not (
                i and after[i - 1] in NOUN_BEFORE):
            return True
    return False


_REVERSES: dict[tuple[str, ...], bool] = {}


def _reverses(cues: tuple[str, ...]) -> bool:
    """Whether a cue is itself a reversal word ("vetoes", "rescinds", "preempting")."""
    known = _REVERSES.get(cues)
    if known is None:
        known = _REVERSES[cues] = all(w in NEGATORS for cue in cues for w in cue.split())
    return known


_SAID: dict[tuple[str, bool, tuple[str, ...]], tuple[str, ...]] = {}


def _said(side: str, negated: bool, cues: tuple[str, ...]) -> tuple[str, ...]:
    """Return how the evidence says a hit voted ("restrict: ban", "open: not 'ban'")."""
    said = tuple(f"{side}: not '{cue}'" if negated and side != "neutral" else f"{side}: {cue}"
                 for cue in cues)
    _SAID[(side, negated, cues)] = said
    return said


def _longest(hits: Sequence[tuple[int, int, tuple[str, ...]]]
             ) -> list[tuple[int, int, tuple[str, ...]]]:
    """Return the hits in text order, less those inside a longer one: one phrase, one vote,
    and the longer cue says what the words mean ("a state AI ban" bans states from
    regulating: it is no "ban")."""
    kept: list[tuple[int, int, tuple[str, ...]]] = []
    for hit in hits:  # in the order the scan finds them: by where they end
        while kept and kept[-1][0] >= hit[0]:
            kept.pop()  # it ends no later and starts no earlier: inside this one
        if kept and kept[-1][1] >= hit[1]:
            continue  # ends where the kept one ends, which starts earlier: inside it
        kept.append(hit)
    return kept


def _by_action(action: str) -> tuple[str, str] | None:
    """Return the side an official document's `action` takes, and the phrase that says so."""
    folded = " " + " ".join("".join(c if c.isalnum() else " " for c in action.lower()).split())
    for side, phrases in ACTIONS:
        for phrase in phrases:
            if f" {phrase}" in folded:
                return side, phrase
    return None


def settled(action: str) -> bool:
    """Whether an official document's `action` says its stance (see ACTIONS)."""
    return bool(action) and _by_action(action) is not None


# How decide() words a verdict it reached by default, with no cue in the item's own words.
_DEFAULTS = ("adds duties", "no side named")


def reading(stance: str, evidence: Sequence[str]) -> str:
    """Return the rules' verdict as the fitted stance model reads it, one feature among the
    words: "rules:restrict", "rules:open" or "rules:neutral" when cues in the item's own words
    said so, with ":default" when no cue did (a rule's duties, a topic's lean, no side
    named), "rules:none" when the rules read nothing."""
    if stance not in ("restrict", "open", "neutral"):
        return "rules:none"
    if evidence and evidence[0].endswith(_DEFAULTS):
        return f"rules:{stance}:default"
    return f"rules:{stance}"


def shown(read: str) -> str:
    """Return a reading() as `explain` words it: "open", "restrict by default", "nothing"."""
    return read[6:].replace(":default", " by default") if read != "rules:none" else "nothing"


def cues_read(evidence: Sequence[str]) -> tuple[str, ...]:
    """Return decide()'s evidence less its default verdicts: the cues it read."""
    return tuple(line for line in evidence if not line.endswith(_DEFAULTS))


def decide(hits: Sequence[tuple[int, int, tuple[str, ...]]], folded: str, title_end: int,
           side_of: Mapping[str, str], doc_type: str | None, relevant: bool,
           action: str = "", lean: tuple[str, str] | None = None, turns: bool = True
           ) -> tuple[str, tuple[str, ...]]:
    """Return the stance and the evidence behind it ("restrict: ban", "open: not ...").

    hits: (start, end) offsets in the folded text and the stance cues written that way;
    doc_type: the Federal Register document type, if any.
    action: a relevant official document's Federal Register `action`, which says what it
    does ("Proposed rule", "Notice; request for comment") before any cue is counted.
    lean: a topic of the item and the side an item about it pushes when it names none.
    turns: whether the text holds a negator, verdict or critics word at all (TURNING);
    without one no cue can be turned around nor a debate reported, and none is looked at."""
    done = _by_action(action) if relevant and action else None
    if done is not None:
        return done[0], (f"{done[0]}: the document's action is '{done[1]}'",)
    votes = {"restrict": 0, "open": 0, "neutral": 0}
    title_votes = {"restrict": 0, "open": 0, "neutral": 0}
    fired: list[str] = []
    floor, before = 0, False
    for start, end, cues in _longest(hits):
        if floor and start - floor < 12 and set(folded[floor:start].split()) <= JOINERS:
            negated = before  # "not to restrict or ban": the negation carries over
        else:
            negated = turns and _negated(folded, start, end, floor)
        # A reversal that is itself a cue ("vetoes", "rescinds") still turns the next one.
        floor = start if _reverses(cues) else end
        before = negated
        side = side_of[cues[0]]  # one vote a hit, however many spellings the cue has
        if negated and side != "neutral":
            side = FLIP[side]
        said = _SAID.get((side, negated, cues))
        if said is None:
            said = _said(side, negated, cues)
        fired += said
        weight = 2 if start < title_end else 1
        votes[side] += weight
        if start < title_end:
            title_votes[side] += 1
    evidence = tuple(dict.fromkeys(fired))
    if (votes["restrict"] or votes["open"]) and turns and _both_sides(folded):
        return "neutral", ("neutral: the item gives both sides' views",) + evidence
    if title_votes["neutral"] >= max(title_votes["restrict"], title_votes["open"], 1):
        return "neutral", evidence  # the headline asks, explains or reports a debate
    restrict, open_ = votes["restrict"], votes["open"]
    if restrict == open_:  # a tie: the headline says what the item does
        restrict, open_ = title_votes["restrict"], title_votes["open"]
    if restrict > open_:
        return "restrict", evidence
    if open_ > restrict:
        return "open", evidence
    if restrict or votes["neutral"]:
        return "neutral", evidence  # both sides equally, or only neutral cues
    if relevant and doc_type is not None and doc_type in RULE_TYPES:
        return "restrict", (f"restrict: a {doc_type.lower()} adds duties",)
    if relevant and lean is not None:
        return lean[1], (f"{lean[1]}: about {lean[0]}, and no side named",)
    if relevant:
        return "neutral", ("neutral: relevant, and no side named",)
    return "unknown", ()
