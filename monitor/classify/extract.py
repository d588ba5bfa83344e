"""Entities named in an item's text: compute thresholds, FR citations and document numbers,
docket ids, RINs, executive orders, ECCNs, bills, comment deadlines and effective dates. Pure.

Every entity keeps the span of text it came from, so `monitor explain` can show it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from ..types import Entity

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
# Each pattern starts with a digit or a literal, so the regex engine skips between candidates;
# a multiplier before the number ("3 x 10^25") is read backwards from the match.
_THRESHOLD = re.compile(
    r"(?:10\s*(?:\^|\*\*)\s*\(?(?P<exp1>\d{1,2})\)?"
    r"|10(?P<exp2>[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2})"
    r"|(?<![\w.])(?P<mant3>\d+(?:\.\d+)?)\s*[eE]\s*\+?(?P<exp3>\d{1,2})(?![\w.])"
    r"|10\s+to\s+the\s+(?:power\s+of\s+)?(?P<exp4>\d{1,2})(?:st|nd|rd|th)?(?:\s+power)?)"
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


def _thresholds(text: str, lowered: str) -> list[Entity]:
    out: list[Entity] = []
    for m in _THRESHOLD.finditer(text):
        mant = m.group("mant3")
        begin = m.start()
        if m.group("exp1"):
            exp = int(m.group("exp1"))
        elif m.group("exp2"):
            exp = int(m.group("exp2").translate(_SUPERSCRIPT))
        elif m.group("exp3"):
            exp = int(m.group("exp3"))
        else:
            exp = int(m.group("exp4"))
        if mant is None:
            mant, begin = _multiplier(text, begin)
        if not 15 <= exp <= 30:
            continue
        out.extend(_found_threshold(text, m, mant, exp, begin))
    if "illion" in lowered:
        for m in _WORDS.finditer(text):
            words = m.group("words").lower().split()
            scale = _WORD_EXP[words[-1]]
            head = words[0]
            exp = scale + (2 if head in ("hundred", "one") else len(head) - 1)
            mant = None if head in ("hundred", "one") else str(int(head) / 10 ** (len(head) - 1))
            if 15 <= exp <= 30:
                out.extend(_found_threshold(text, m, mant, exp, m.start()))
    taken = [(e.start, e.end) for e in out]
    for m in _LOST.finditer(text):
        if any(s <= m.start() < e for s, e in taken):
            continue
        mant, begin = _multiplier(text, m.start())
        ent = _threshold(mant, int(m.group("exp")), m.group("rest"), text, begin, m.end())
        if ent:
            out.append(ent)
    return sorted(out, key=lambda e: e.start)


def _found_threshold(text: str, m: re.Match[str], mant: str | None, exp: int,
                     begin: int) -> list[Entity]:
    end = m.end("rest") if m.group("rest") else m.end()
    rest = m.group("rest")
    if not rest:  # "measured in floating point operations is greater than 10^25"
        before = _UNIT_BEFORE.findall(text[max(0, begin - 80):begin])
        rest = before[-1] if before else None
    ent = _threshold(mant, exp, rest, text, begin, end)
    return [ent] if ent else []


# Word sets that gate the patterns (the text's words, lower-case, punctuation as spaces).
_PUNCTUATION = {c: " " for c in range(0x3100) if not chr(c).isalnum()}
_EO_WORDS = frozenset({"executive", "eo", "e"})
_ECCN_WORDS = frozenset({"eccn", "eccns", "export", "exports", "control", "controls",
                         "controlled"})
_BILL_WORDS = frozenset({"h", "s", "sb", "ab", "hb", "bill", "bills", "res"})
_MONTH_WORDS = frozenset({"january", "february", "march", "april", "may", "june", "july",
                          "august", "september", "october", "november", "december", "jan",
                          "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
                          "nov", "dec"})
_COMMENT_WORDS = frozenset({"comment", "comments"})
_DUE_WORDS = frozenset({"due", "received", "submit", "submitted", "deadline", "closes",
                        "ends", "before", "until", "by"})
_EFFECT_WORDS = frozenset({"effective", "effect"})
_MONTH_NAMES = ("january", "february", "march", "april", "may ", "june", "july", "august",
                "september", "october", "november", "december", "jan.", "feb.", "mar.", "apr.",
                "jun.", "jul.", "aug.", "sep.", "sept.", "oct.", "nov.", "dec.")
_BILL_PREFIXES = ("H.R", "H. R", "H.Res", "S.", "SB", "AB", "HB", "Bill")


def _may_have_bill(text: str) -> bool:
    """Whether a bill number could be in the text: a prefix followed (soon) by a digit."""
    for prefix in _BILL_PREFIXES:
        at = text.find(prefix)
        while at != -1:
            tail = text[at + len(prefix):at + len(prefix) + 6]
            if any(c.isdigit() for c in tail):
                return True
            at = text.find(prefix, at + 1)
    return False
_SUPERSCRIPTS = frozenset("⁰¹²³⁴⁵⁶⁷⁸⁹")


def _may_have_threshold(text: str, lowered: str) -> bool:
    """Whether any form of a compute threshold could be in the text."""
    unit = ("operation" in lowered or "flop" in lowered or "op/s" in lowered
            or " ops" in lowered or " op " in lowered)
    if "10" in text and (unit or "^" in text or "**" in text or "to the" in lowered
                         or (not text.isascii() and not _SUPERSCRIPTS.isdisjoint(text))):
        return True
    if "illion" in lowered:
        return True
    return unit and ("e2" in lowered or "e1" in lowered or "e3" in lowered or "e+" in lowered)


def _hyphen_then_capitals(text: str) -> bool:
    """Whether a hyphen is followed by two capitals, as in a RIN (0694-AJ55)."""
    at = text.find("-")
    while at != -1:
        if text[at + 1:at + 3].isalpha() and text[at + 1:at + 3].isupper():
            return True
        at = text.find("-", at + 1)
    return False


def _date_value(text: str) -> str | None:
    cleaned = re.sub(r"\s+", " ", text.replace(",", ", ")).replace(" ,", ",").strip()
    cleaned = re.sub(r",\s*,", ",", cleaned)
    for fmt in ("%B %d, %Y", "%b %d, %Y", "%b. %d, %Y", "%B %d %Y"):
        try:
            return datetime.strptime(cleaned.replace("Sept", "Sep"), fmt).date().isoformat()
        except ValueError:
            continue
    return None


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


def extract(text: str, extra: dict[str, Any] | None = None,
            lowered: str | None = None, words: frozenset[str] | None = None
            ) -> tuple[Entity, ...]:
    """Return the entities in ``text`` (and in a Federal Register item's own fields), deduplicated
    by (kind, value), in order of appearance; fields come first."""
    extra = extra or {}
    found: list[Entity] = []
    # Source fields first: the Federal Register's own dates and identifiers.
    for key, kind in (("comments_close_on", "comment_deadline"),
                      ("effective_on", "effective_date")):
        value = extra.get(key)
        if isinstance(value, str) and _iso_date(value):
            found.append(Entity(kind=kind, value=value, text=f"{key}: {value}", start=-1,
                                end=-1))
    number = extra.get("document_number")
    if isinstance(number, str) and _FR_DOCNUM.match(number):
        found.append(Entity(kind="fr_doc", value=number, text=number, start=-1, end=-1))
    citation = extra.get("citation")
    if isinstance(citation, str) and _FR_CITATION.search(citation):
        cm = _FR_CITATION.search(citation)
        assert cm is not None
        found.append(Entity(kind="fr_citation", value=f"{cm['vol']} FR {cm['page']}",
                            text=citation, start=-1, end=-1))
    for docket in _iter_strings(extra.get("docket_ids")):
        for m in _DOCKET.finditer(docket):
            found.append(Entity(kind="docket", value=m.group("id"), text=docket, start=-1,
                                end=-1))
    for rin in _iter_strings(extra.get("regulation_id_numbers")):
        found.append(Entity(kind="rin", value=rin.strip().upper(), text=rin, start=-1, end=-1))
    eo_number = extra.get("executive_order_number")
    if eo_number:
        found.append(Entity(kind="executive_order", value=str(eo_number),
                            text=f"executive_order_number: {eo_number}", start=-1, end=-1))

    # Python's regex engine costs tens of microseconds per pattern over 1 KB, so each
    # pattern runs only when a cheap substring test says it may match.
    lowered = lowered if lowered is not None else text.lower()
    if words is None:
        words = frozenset(lowered.translate(_PUNCTUATION).split())
    if _may_have_threshold(text, lowered):
        found.extend(_thresholds(text, lowered))
    if "fr" in words or "reg" in words:
        for m in _FR_CITATION.finditer(text):
            found.append(_found("fr_citation", f"{m['vol']} FR {m['page']}", m))
    if ("fr" in words and "doc" in words) or "document" in words or "federalregister" in words:
        for m in _FR_DOC.finditer(text):
            found.append(_found("fr_doc", m.group("num"), m))
    if "-20" in text or "-19" in text:
        for m in _DOCKET.finditer(text):
            found.append(_found("docket", m.group("id"), m))
    if _hyphen_then_capitals(text):
        for m in _RIN.finditer(text):
            found.append(_found("rin", m.group("rin"), m))
    if not words.isdisjoint(_EO_WORDS):
        for m in _EO.finditer(text):
            found.append(_found("executive_order", m.group("num"), m))
    if not words.isdisjoint(_ECCN_WORDS):
        for m in _ECCN.finditer(text):
            found.append(_found("eccn", m.group("eccn"), m))
    if not words.isdisjoint(_BILL_WORDS) and _may_have_bill(text):
        for m in _BILL.finditer(text):
            found.append(_found("bill", _bill(m), m))
    dated = not words.isdisjoint(_MONTH_WORDS)
    if dated and not words.isdisjoint(_COMMENT_WORDS) and not words.isdisjoint(_DUE_WORDS):
        for m in _DEADLINE.finditer(text):
            value = _date_value(m.group("date"))
            if value:
                found.append(_found("comment_deadline", value, m))
    if dated and not words.isdisjoint(_EFFECT_WORDS):
        for m in _EFFECTIVE.finditer(text):
            value = _date_value(m.group("date"))
            if value:
                found.append(_found("effective_date", value, m))
    seen: set[tuple[str, str]] = set()
    out = []
    for e in found:
        if (e.kind, e.value) not in seen:
            seen.add((e.kind, e.value))
            out.append(e)
    return tuple(out)


def _iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _iter_strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        yield from (str(v) for v in value if v)
