"""Entities named in an item's text: compute thresholds, FR citations and document numbers,
docket ids, RINs, executive orders, ECCNs, bills, comment deadlines and effective dates. Pure.

Every entity keeps the span of text it came from, so `monitor explain` can show it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from typing import Any

from ..text import parse_day
from ..types import Entity, Official
from ..types.official import NONE, official_of

_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|"
           "December|Jan\\.?|Feb\\.?|Mar\\.?|Apr\\.?|Jun\\.?|Jul\\.?|Aug\\.?|Sept?\\.?|Oct\\.?|"
           "Nov\\.?|Dec\\.?")
_DATE = rf"(?:{_MONTHS})\s+\d{{1,2}},?\s+(?:19|20)\d{{2}}"
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_WORD_EXP = {"septillion": 24, "sextillion": 21, "octillion": 27, "quintillion": 18}

# The unit that follows a number decides what kind of threshold it is.
_UNIT = (r"(?P<unit>(?:integer\s+or\s+floating[\s-]point\s+|floating[\s-]point\s+|"
         r"computational\s+|numerical\s+)?(?:operations|ops|op)(?:\s+per\s+second|\s*/\s*s\b)?|"
         r"flop/?s\b|flops\b|flop\b)")
_GAP = r"[\s\w,()-]{0,40}?"  # "10^26 integer or floating-point operations", "10^26 total ops"
# Every pattern is tried only where a literal it must begin with stands (see _anchored): the
# forms written with "10" at the "10", the mantissa-e form ("1e26") at a digit next to an e;
# a multiplier before the number ("3 x 10^25") is read backwards from the match.
_THRESHOLD_TEN = re.compile(
    r"(?:10\s*(?:\^|\*\*)\s*\(?(?P<exp1>\d{1,2})\)?"
    r"|10(?P<exp2>[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2})"
    r"|10\s+to\s+the\s+(?:power\s+of\s+)?(?P<exp4>\d{1,2})(?:st|nd|rd|th)?(?:\s+power)?)"
    rf"(?P<rest>{_GAP}{_UNIT})?",
    re.IGNORECASE,
)
_THRESHOLD_E = re.compile(
    r"(?<![\w.])(?P<mant3>\d+(?:\.\d+)?)\s*[eE]\s*\+?(?P<exp3>\d{1,2})(?![\w.])"
    rf"(?P<rest>{_GAP}{_UNIT})?",
    re.IGNORECASE,
)
_WORDS = re.compile(
    r"(?P<words>(?:one\s+)?hundred\s+septillion|\d+\s+(?:septillion|sextillion|octillion))"
    rf"(?P<rest>{_GAP}{_UNIT})?", re.IGNORECASE)
_MULTIPLIER = re.compile(r"(?<![\w.])(?P<mant>\d+(?:\.\d+)?)\s*(?:[x×*·]|times)\s*$",
                         re.IGNORECASE)
# "1026 integer or floating-point operations": the superscript lost in text extraction.
# Only with a compute unit right after it, so years and page numbers never match.
_LOST = re.compile(
    r"(?<![\w.^])10(?P<exp>1[5-9]|2[0-9]|30)(?P<rest>\s+" + _UNIT + ")",
    re.IGNORECASE,
)
_UNIT_BEFORE = re.compile(_UNIT.replace("(?P<unit>", "("), re.IGNORECASE)
_FR_CITATION = re.compile(r"\b(?P<vol>\d{1,3})\s+(?:FR|Fed\.\s*Reg\.)\s+(?P<page>\d{1,6})\b")
_FR_DOC = re.compile(r"(?:FR\s+Doc\.?(?:\s+No\.?)?|Document\s+Number:?|federalregister\.gov/d/)"
                     r"\s*(?P<num>(?:19|20)\d{2}-\d{5})\b", re.IGNORECASE)
_DOCKET = re.compile(r"\b(?P<id>[A-Z]{2,6}(?:-[A-Z]{2,6})?-(?:19|20)\d{2}-\d{4})\b")
# NOAA and other agencies number dockets by date: "Docket No. 240126-0024" (only so named)
_DOCKET_NUMERIC = re.compile(r"(?i:\bdocket\s+(?:no\.?|number|#)\s*)(?P<id>\d{6}-\d{4})\b")
_RIN = re.compile(r"\b(?P<rin>\d{4}-[A-Z]{2}\d{2})\b")
_EO = re.compile(r"\b(?:Executive\s+Order|E\.\s?O\.|EO)\s*(?:No\.?\s*|Number\s*|#\s*)?"
                 r"(?P<num>1\d{4})\b", re.IGNORECASE)
_ECCN = re.compile(r"\b(?P<eccn>[0-9][A-E][0-9]{3}(?:\.[a-z](?:\.\d+)?)?)\b")
_BILL = re.compile(
    r"(?<![\w.])(?P<kind>H\.\s?R\.|S\.|H\.\s?Res\.|S\.\s?Res\.|SB|AB|HB)\s?(?P<num>\d{1,5})\b"
    r"|\b(?P<kind2>Senate|Assembly)\s+Bill\s+(?:No\.\s*)?(?P<num2>\d{1,5})\b")
_DEADLINE = re.compile(
    r"(?:comments?\s+(?:must\s+be\s+received|are\s+due|should\s+be\s+submitted|due)"
    r"|submit\s+(?:written\s+)?comments|deadline\s+for\s+(?:submitting\s+)?comments"
    r"|comment\s+period\s+(?:closes|ends))"
    rf"[^.]{{0,60}}?(?:by|on\s+or\s+before|before|is|until|on)\s+(?P<date>{_DATE})",
    re.IGNORECASE)
_EFFECTIVE = re.compile(rf"(?:effective|takes\s+effect)\s+(?:on\s+|date\s*:?\s*)?(?P<date>{_DATE})",
                        re.IGNORECASE)
_FR_DOCNUM = re.compile(r"^(?:19|20)\d{2}-\d{5}$")


def _threshold(mant: str | None, exp: int, rest: str | None, text: str, start: int,
               end: int) -> Entity | None:
    unit_text = (rest or "").lower()
    if "second" in unit_text or "/s" in unit_text.replace(" ", ""):
        unit = "ops/s"
    elif "flop" in unit_text or ("floating" in unit_text and "integer" not in unit_text):
        unit = "FLOP"
    elif unit_text:
        unit = "operations"
    else:
        unit = ""
    if not unit and exp < 18:  # "1e5" without a compute unit is just a number
        return None
    m = float(mant) if mant else 1.0
    value = f"{m:g}e{exp}" + (f" {unit}" if unit else "")
    return Entity(kind="threshold", value=value, text=text[start:end].strip(), start=start,
                  end=end)


def _multiplier(text: str, start: int) -> tuple[str | None, int]:
    m = _MULTIPLIER.search(text[max(0, start - 24):start])
    if m is None:
        return None, start
    return m.group("mant"), start - (len(text[max(0, start - 24):start]) - m.start())


def _thresholds(text: str, lowered: str, shape: bytes,
                gates: Collection[tuple[str, str]]) -> list[Entity]:
    out: list[Entity] = []
    for m in _mantissa_e(text, lowered, shape):
        mant, exp = m.group("mant3"), int(m.group("exp3"))
        if 15 <= exp <= 30:
            out.extend(_found_threshold(text, m, mant, exp, m.start()))
    tens = _opened(gates, "ten", ("10",))
    for m in _anchored(_THRESHOLD_TEN, text, text, tens):
        if m.group("exp1"):
            exp = int(m.group("exp1"))
        elif m.group("exp2"):
            exp = int(m.group("exp2").translate(_SUPERSCRIPT))
        else:
            exp = int(m.group("exp4"))
        if not 15 <= exp <= 30 or any(e.start <= m.start() < e.end for e in out):
            continue
        mant, begin = _multiplier(text, m.start())
        out.extend(_found_threshold(text, m, mant, exp, begin))
    if ("illion", "") in gates and "illion" in lowered:
        for m in _WORDS.finditer(text):
            words = m.group("words").lower().split()
            scale = _WORD_EXP[words[-1]]
            head = words[0]
            exp = scale + (2 if head in ("hundred", "one") else len(head) - 1)
            mant = None if head in ("hundred", "one") else str(int(head) / 10 ** (len(head) - 1))
            if 15 <= exp <= 30:
                out.extend(_found_threshold(text, m, mant, exp, m.start()))
    taken = [(e.start, e.end) for e in out]
    for m in _anchored(_LOST, text, text, tens):
        if any(s <= m.start() < e for s, e in taken):
            continue
        mant, begin = _multiplier(text, m.start())
        ent = _threshold(mant, int(m.group("exp")), m.group("rest"), text, begin, m.end())
        if ent:
            out.append(ent)
    return sorted(out, key=lambda e: e.start)


def _mantissa_e(text: str, lowered: str, shape: bytes) -> Iterator[re.Match[str]]:
    """Matches of the mantissa-e form ("1e26", "2.5E+25"), tried only where the text's shape
    has a digit then an e (spaces between allowed), and only in text that speaks of compute
    (a unit, or a "10" written as a power) - "1e5" in a part number is not a threshold."""
    starts = set()
    for probe in (b"9e", b"9 e", b"9  e"):
        at = shape.find(probe)
        while at != -1:
            begin = at
            while begin > 0 and shape[begin - 1] in b"9.":
                begin -= 1
            starts.add(begin)
            at = shape.find(probe, at + 1)
    if not starts or not _speaks_of_compute(text, lowered):
        return
    end = 0
    for at in sorted(starts):
        if at >= end:
            m = _THRESHOLD_E.match(text, at)
            if m is not None:
                yield m
                end = m.end()


def _found_threshold(text: str, m: re.Match[str], mant: str | None, exp: int,
                     begin: int) -> list[Entity]:
    end = m.end("rest") if m.group("rest") else m.end()
    rest = m.group("rest")
    if not rest:  # "measured in floating point operations is greater than 10^25"
        before = _UNIT_BEFORE.findall(text[max(0, begin - 80):begin])
        rest = before[-1] if before else None
    ent = _threshold(mant, exp, rest, text, begin, end)
    return [ent] if ent else []


# The text's shape, one byte per character (str.encode("ascii", "replace") keeps offsets):
# digits as 9, A-D as A, e and E as e, ".", "-" and whitespace as themselves, all else "_". Some
# patterns begin with a shape rather than a literal (an ECCN is 9A999, a mantissa-e number
# 9e99), so bytes.find on the shape finds where to try them.
_SHAPE = bytes(
    ord("9") if chr(c).isdigit() else ord("A") if chr(c) in "ABCD" else
    ord("e") if chr(c) in "eE" else c if chr(c) in ".- \t\n\r\f\v" else ord("_")
    for c in range(256))
# Where a bill number can begin (the pattern is case-sensitive): "H.R. 8315", "H. Res. 1",
# "S. 321", "SB 53", "AB 1018", "HB 4", "Senate Bill 1047", "Assembly Bill 2013".
_BILL_ANCHORS = ("H.", "S.", "SB", "AB", "HB", "Senate", "Assembly")

# Gates: a pattern can only match where the folded text (classify.fold: lower-case words
# between single spaces) has one of its gates, so classify, which scans the folded text with
# its automaton anyway, passes the gates it saw and extract skips every pattern left shut.
# Each gate opens (pattern, literal): the literal the pattern's match begins with, searched in
# the text, or "" for a pattern with no such literal (tested another way). Every gate is a
# substring of the folded form of any text the pattern matches, so gating never loses a match.
GATES: dict[str, tuple[tuple[str, str], ...]] = {
    "10": (("ten", "10"), ("compute", "")),
    "operation": (("compute", ""),), "flop": (("compute", ""),), "op s": (("compute", ""),),
    " ops": (("compute", ""),), " op ": (("compute", ""),),
    "septillion": (("compute", ""), ("illion", "")),
    "sextillion": (("compute", ""), ("illion", "")),
    "octillion": (("compute", ""), ("illion", "")),
    " fr ": (("citation", ""),), " fed reg ": (("citation", ""),),
    "fr doc": (("fr_doc", "fr"),), "document number": (("fr_doc", "document"),),
    "federalregister": (("fr_doc", "federalregister"),),
    "executive order": (("eo", "executive"),), " eo": (("eo", "eo"),), " e o": (("eo", "e."),),
    "export": (("eccn", ""),), "control": (("eccn", ""),), "eccn": (("eccn", ""),),
    " senate bill": (("bill", "Senate"),), " assembly bill": (("bill", "Assembly"),),
    # a bill's letters, then (after an optional space) its number's first digit
    **{f" {kind}{space}{digit}": (("bill", anchor),)
       for kind, anchor, spaces in (("s", "S.", (" ",)), ("s res", "S.", (" ",)),
                                    ("h r", "H.", (" ",)), ("h res", "H.", (" ",)),
                                    ("sb", "SB", (" ", "")), ("ab", "AB", (" ", "")),
                                    ("hb", "HB", (" ", "")))
       for space in spaces for digit in "0123456789"},
    # the deadline pattern's openings, word for word
    **{f"comment{s} {words}": (("deadline", "comment"),) for s in ("", "s")
       for words in ("must be received", "are due", "should be submitted", "due")},
    "comment period closes": (("deadline", "comment"),),
    "comment period ends": (("deadline", "comment"),),
    "submit comments": (("deadline", "submit"),),
    "submit written comments": (("deadline", "submit"),),
    "deadline for comments": (("deadline", "deadline"),),
    "deadline for submitting comments": (("deadline", "deadline"),),
    "effective": (("effective", "effective"),), "takes effect": (("effective", "takes"),),
}
_EVERY_GATE = frozenset(g for opened in GATES.values() for g in opened)
_FR_DOC_ANCHORS = ("fr", "document", "federalregister")
_EO_ANCHORS = ("executive", "eo", "e.")
# the patterns that end in a date: (gate name, pattern, anchors, entity kind)
_DATED = (("deadline", _DEADLINE, ("comment", "submit", "deadline"), "comment_deadline"),
          ("effective", _EFFECTIVE, ("effective", "takes"), "effective_date"))


def _opened(gates: Collection[tuple[str, str]], pattern: str, anchors: tuple[str, ...]
            ) -> tuple[str, ...]:
    """Return the anchors of ``pattern`` whose gate is open."""
    return tuple(a for a in anchors if (pattern, a) in gates)
_TEN_SUPERSCRIPT = tuple(f"10{c}" for c in "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _speaks_of_compute(text: str, lowered: str) -> bool:
    """Whether the text names a compute unit or writes a power of ten."""
    return ("operation" in lowered or "flop" in lowered or "op/s" in lowered
            or " ops" in lowered or " op " in lowered or "illion" in lowered
            or ("10" in text and ("^" in text or "**" in text or "to the" in lowered
                                  or (not text.isascii()
                                      and any(t in text for t in _TEN_SUPERSCRIPT)))))


def _anchored(pattern: re.Pattern[str], text: str, haystack: str,
              anchors: tuple[str, ...]) -> Iterator[re.Match[str]]:
    """Yield what ``pattern.finditer(text)`` yields, for a pattern whose every match begins
    with one of ``anchors`` as found in ``haystack`` (``text`` itself, or lower-cased for a
    case-insensitive pattern): the regex engine is tried only where an anchor stands, not at
    every position of the text (str.find is C; a failed regex attempt per position is not)."""
    if not anchors:
        return
    if len(haystack) != len(text):  # lower() changed the length: offsets would not agree
        yield from pattern.finditer(text)
        return
    starts: set[int] = set()
    for anchor in anchors:
        at = haystack.find(anchor)
        while at != -1:
            starts.add(at)
            at = haystack.find(anchor, at + 1)
    end = 0
    for at in sorted(starts):
        if at < end:  # inside the previous match: finditer does not overlap either
            continue
        m = pattern.match(text, at)
        if m is not None:
            yield m
            end = max(m.end(), at + 1)


def _date_value(text: str) -> str | None:
    day = parse_day(text)
    return day.isoformat() if day else None


def _found(kind: str, value: str, m: re.Match[str], group: int | str = 0) -> Entity:
    return Entity(kind=kind, value=value, text=m.group(0).strip(), start=m.start(group),
                  end=m.end(group))


def _bill(m: re.Match[str]) -> str:
    if m.group("kind2"):
        prefix = "SB" if m.group("kind2").lower() == "senate" else "AB"
        return f"{prefix} {m.group('num2')}"
    kind = m.group("kind").replace(" ", "").upper()
    kind = {"H.R.": "H.R.", "S.": "S.", "H.RES.": "H.Res.", "S.RES.": "S.Res."}.get(kind, kind)
    return f"{kind} {m.group('num')}"


def _field_entities(official: Official) -> list[Entity]:
    """The Federal Register's own dates and identifiers, from an item's fields."""
    found: list[Entity] = []
    for key, kind, day in (("comments_close_on", "comment_deadline", official.comments_close_on),
                           ("effective_on", "effective_date", official.effective_on)):
        if day is not None:
            value = day.isoformat()
            found.append(Entity(kind=kind, value=value, text=f"{key}: {value}", start=-1,
                                end=-1))
    number = official.document_number
    if number is not None and _FR_DOCNUM.match(number):
        found.append(Entity(kind="fr_doc", value=number, text=number, start=-1, end=-1))
    citation = official.citation
    cm = _FR_CITATION.search(citation) if citation is not None else None
    if citation is not None and cm is not None:
        found.append(Entity(kind="fr_citation", value=f"{cm['vol']} FR {cm['page']}",
                            text=citation, start=-1, end=-1))
    for docket in official.docket_ids:
        for m in (*_DOCKET.finditer(docket), *_DOCKET_NUMERIC.finditer(docket)):
            found.append(Entity(kind="docket", value=m.group("id"), text=docket, start=-1,
                                end=-1))
    for rin in official.regulation_id_numbers:
        found.append(Entity(kind="rin", value=rin.upper(), text=rin, start=-1, end=-1))
    eo_number = official.executive_order_number
    if eo_number:
        found.append(Entity(kind="executive_order", value=eo_number,
                            text=f"executive_order_number: {eo_number}", start=-1, end=-1))
    return found


def extract(text: str, official: Official | dict[str, Any] | None = None,
            lowered: str | None = None, gates: Collection[tuple[str, str]] | None = None
            ) -> tuple[Entity, ...]:
    """Return the entities in ``text`` (and in a Federal Register item's own fields), deduplicated
    by (kind, value), in order of appearance; fields come first.

    ``lowered`` is ``text.lower()`` and ``gates`` the GATES the folded text opens, when the
    caller has them already; without them every pattern is tried (same result, slower)."""
    if isinstance(official, dict):  # an item's source fields, not yet typed
        official = official_of(official)
    found = _field_entities(official) if official is not None and official is not NONE else []
    # Python's regex engine costs tens of microseconds per pattern over 1 KB when it must try
    # every position, so each pattern runs only behind an open gate (see GATES), and then only
    # where a literal (or shape) it begins with stands, or after a cheap substring test.
    lowered = lowered if lowered is not None else text.lower()
    gates = _EVERY_GATE if gates is None else gates
    patterns = {pattern for pattern, _ in gates}
    # The shape is read only where a pattern can match: dockets and RINs are hyphenated, and
    # thresholds and ECCNs have their gates (half the items have no hyphen).
    shape = (text.encode("ascii", "replace").translate(_SHAPE)
             if "-" in text or "compute" in patterns or "eccn" in patterns else b"")
    if "compute" in patterns:
        found.extend(_thresholds(text, lowered, shape, gates))
    if "citation" in patterns and ("FR" in text or "Fed." in text):
        for m in _FR_CITATION.finditer(text):
            found.append(_found("fr_citation", f"{m['vol']} FR {m['page']}", m))
    if "fr_doc" in patterns:
        for m in _anchored(_FR_DOC, text, lowered, _opened(gates, "fr_doc", _FR_DOC_ANCHORS)):
            found.append(_found("fr_doc", m.group("num"), m))
    if b"-9999-9999" in shape:
        found.extend(_found("docket", m.group("id"), m) for m in _DOCKET.finditer(text))
    if b"999999-9999" in shape and "docket" in lowered:
        found.extend(_found("docket", m.group("id"), m) for m in _DOCKET_NUMERIC.finditer(text))
    at = shape.find(b"9999-")  # a RIN begins there: 0694-AJ55
    while at != -1:
        rin = _RIN.match(text, at)
        if rin is not None:
            found.append(_found("rin", rin.group("rin"), rin))
        at = shape.find(b"9999-", at + 1)
    if "eo" in patterns:
        for m in _anchored(_EO, text, lowered, _opened(gates, "eo", _EO_ANCHORS)):
            found.append(_found("executive_order", m.group("num"), m))
    if "eccn" in patterns and (b"9A999" in shape or b"9e999" in shape) and (
            "export" in lowered or "control" in lowered or "eccn" in lowered):
        for m in _ECCN.finditer(text):
            found.append(_found("eccn", m.group("eccn"), m))
    if "bill" in patterns:
        for m in _anchored(_BILL, text, text, _opened(gates, "bill", _BILL_ANCHORS)):
            found.append(_found("bill", _bill(m), m))
    for pattern, regex, anchors, kind in _DATED:
        if pattern in patterns:
            for m in _anchored(regex, text, lowered, _opened(gates, pattern, anchors)):
                value = _date_value(m.group("date"))
                if value:
                    found.append(_found(kind, value, m))
    if len(found) < 2:  # most items: nothing to deduplicate
        return tuple(found)
    first = {(e.kind, e.value): e for e in reversed(found)}  # the first of each, in order
    return tuple(e for e in found if first[(e.kind, e.value)] is e)
