"""Precision over a whole year of real Federal Register documents (the base rate).

    scripts/baserate tests/data/year/fr-2023.csv.gz [--judged FILE] [--known FILE]
                     [--debate REF] [--json]

Classifies every document of the year file exactly as `monitor eval` classifies a Federal
Register row of the label set (evaluate._item: title and abstract, source kind
federal_register, role agency) and prints: the documents, those that mention AI (AI_WORDS,
title or abstract), those flagged relevant, and against the judged list (document_number,
relevant 0/1, reason; default judged-<year>.csv beside the year file): the precision over the
year (judged relevant / judged flagged), every flagged document not yet judged, the judged
relevant documents it does not flag (with the timeline's documents of that year: --known,
default timeline.csv beside the year file), and the judged AI-mentioning documents that are
relevant but not flagged. Exit 0; 2 on a bad file (named).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from monitor import safe  # noqa: E402
from monitor.classify import classify  # noqa: E402
from monitor.config import DEFAULT_DEBATE, default_role, load_debate  # noqa: E402
from monitor.errors import ConfigError  # noqa: E402
from monitor.evaluate import Label, _item  # noqa: E402
from monitor.types import Debate  # noqa: E402

KIND = "federal_register"
YEAR_COLUMNS = ("document_number", "title", "abstract")
# The plain word test for "mentions AI": "AI" as a capitalised whole word, or one of the
# phrases (any case, singular or plural), in the title or the abstract.
AI_WORDS = re.compile(r"\bAI\b|(?i:\b(?:artificial intelligence|foundation models?|"
                      r"model weights|advanced computing)\b)")


@dataclass(frozen=True)
class Document:
    number: str
    date: str
    title: str
    abstract: str
    url: str = ""


@dataclass(frozen=True)
class Judgement:
    relevant: bool
    reason: str


@dataclass
class Result:
    """The year's figures (see the module docstring)."""

    documents: int = 0
    ai_mentioning: int = 0
    flagged: list[tuple[Document, str]] = field(default_factory=list)  # (doc, stance)
    judged_relevant: int = 0  # flagged and judged 1
    judged_not: list[Document] = field(default_factory=list)  # flagged and judged 0
    unjudged: list[tuple[Document, bool]] = field(default_factory=list)  # (doc, mentions AI)
    missed: list[tuple[Document, str]] = field(default_factory=list)  # known, not flagged
    known: int = 0
    ai_judged: int = 0  # AI-mentioning, not flagged, judged
    ai_relevant_missed: list[Document] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)  # known numbers not in the year file

    @property
    def precision(self) -> float | None:
        judged = self.judged_relevant + len(self.judged_not)
        return self.judged_relevant / judged if judged else None


def _open(path: Path) -> IO[str]:
    try:
        if path.suffix == ".gz":
            return gzip.open(path, "rt", encoding="utf-8", newline="")
        return open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115
    except OSError as e:
        raise ConfigError(f"cannot read: {e.strerror or e}", file=str(path)) from e


def _rows(path: Path, needed: tuple[str, ...]) -> list[dict[str, str]]:
    handle = _open(path)
    try:
        with handle:
            reader = csv.DictReader(handle)
            missing = [c for c in needed if c not in (reader.fieldnames or ())]
            if missing:
                raise ConfigError(f"the header row needs the columns {', '.join(needed)}",
                                  file=str(path), key=missing[0], line=1)
            return list(reader)
    except (csv.Error, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as e:
        raise ConfigError(f"not a readable CSV: {e}", file=str(path)) from e


def load_year(path: Path) -> list[Document]:
    docs = [Document(number=r["document_number"].strip(),
                     date=(r.get("publication_date") or "").strip(),
                     title=(r["title"] or "").strip(), abstract=(r["abstract"] or "").strip(),
                     url=(r.get("url") or "").strip())
            for r in _rows(path, YEAR_COLUMNS)]
    if not docs:
        raise ConfigError("no documents", file=str(path))
    return docs


def load_judged(path: Path) -> dict[str, Judgement]:
    out: dict[str, Judgement] = {}
    for line, r in enumerate(_rows(path, ("document_number", "relevant", "reason")), 2):
        number, relevant = r["document_number"].strip(), (r["relevant"] or "").strip()
        if relevant not in ("0", "1"):
            raise ConfigError(f"relevant must be 1 or 0, not {relevant!r}", file=str(path),
                              entry=f"row {line}", key="relevant", line=line)
        if number in out:
            raise ConfigError(f"document {number} is judged twice", file=str(path),
                              entry=f"row {line}", key="document_number", line=line)
        out[number] = Judgement(relevant == "1", (r["reason"] or "").strip())
    return out


def load_known(path: Path, year: str = "") -> list[str]:
    """The document numbers of the list (published in `year`, when given)."""
    return [r["document_number"].strip()
            for r in _rows(path, ("document_number", "publication_date"))
            if not year or (r["publication_date"] or "").startswith(year)]


def mentions_ai(doc: Document) -> bool:
    return bool(AI_WORDS.search(doc.title) or AI_WORDS.search(doc.abstract))


def flag(doc: Document, debate: Debate, row: int = 0) -> tuple[bool, str]:
    """Return (relevant, stance) as `monitor eval` decides them for a Federal Register row."""
    label = Label(row=row, title=doc.title, relevant=False, summary=doc.abstract,
                  source_kind=KIND)
    signal = classify(_item(label), debate, default_role(KIND))
    return signal.relevant, signal.stance


def measure(docs: list[Document], debate: Debate, judged: dict[str, Judgement],
            known: Sequence[str] = ()) -> Result:
    res = Result(documents=len(docs))
    flagged_numbers: set[str] = set()
    by_number: dict[str, Document] = {}
    for row, doc in enumerate(docs, 2):
        by_number.setdefault(doc.number, doc)
        ai = mentions_ai(doc)
        res.ai_mentioning += ai
        relevant, stance = flag(doc, debate, row)
        j = judged.get(doc.number)
        if relevant:
            flagged_numbers.add(doc.number)
            res.flagged.append((doc, stance))
            if j is None:
                res.unjudged.append((doc, ai))
            elif j.relevant:
                res.judged_relevant += 1
            else:
                res.judged_not.append(doc)
        elif ai and j is not None:
            res.ai_judged += 1
            if j.relevant:
                res.ai_relevant_missed.append(doc)
    # the debate's documents known for the year: judged 1, and the timeline's (unless judged 0)
    wanted = [n for n, j in judged.items() if j.relevant and n in by_number]
    wanted += [n for n in known if n not in wanted and not (n in judged and
                                                             not judged[n].relevant)]
    for number in wanted:
        if number not in by_number:
            res.absent.append(number)
            continue
        res.known += 1
        if number not in flagged_numbers:
            j = judged.get(number)
            res.missed.append((by_number[number], j.reason if j else "timeline"))
    return res


def _doc(doc: Document) -> dict[str, str]:
    return {"document_number": doc.number, "publication_date": doc.date, "title": doc.title,
            "url": safe.url(doc.url)}


def as_dict(res: Result, year_file: str, judged_file: str) -> dict[str, Any]:
    p = res.precision
    return {"file": year_file, "judged_file": judged_file, "documents": res.documents,
            "ai_mentioning": res.ai_mentioning, "ai_words": AI_WORDS.pattern,
            "flagged": len(res.flagged),
            "flagged_judged": res.judged_relevant + len(res.judged_not),
            "flagged_judged_relevant": res.judged_relevant,
            "precision": round(p, 4) if p is not None else None,
            "flagged_documents": [{**_doc(d), "stance": s} for d, s in res.flagged],
            "false_positives": [_doc(d) for d in res.judged_not],
            "unjudged": [{**_doc(d), "mentions_ai": ai} for d, ai in res.unjudged],
            "known": res.known,
            "missed": [{**_doc(d), "reason": why} for d, why in res.missed],
            "known_not_in_file": res.absent,
            "ai_not_flagged_judged": res.ai_judged,
            "ai_relevant_not_flagged": [_doc(d) for d in res.ai_relevant_missed]}


def _line(doc: Document, extra: str = "") -> str:
    return f"  {doc.number} {doc.date} {safe.terminal(doc.title)}{extra}"


def report(res: Result) -> list[str]:
    p = res.precision
    judged = res.judged_relevant + len(res.judged_not)
    lines = [f"documents               {res.documents}",
             f"mentioning AI           {res.ai_mentioning}   (title or abstract: "
             "AI, artificial intelligence, foundation model(s), model weights, "
             "advanced computing)",
             f"flagged relevant        {len(res.flagged)}",
             f"  judged                {judged} ({res.judged_relevant} relevant, "
             f"{len(res.judged_not)} not)",
             "precision over the year " + (f"{p:.3f} ({res.judged_relevant}/{judged} judged "
                                           "flagged)" if p is not None else "- (none judged)"),
             f"known debate documents  {res.known}, missed {len(res.missed)}",
             f"AI-mentioning, not flagged, judged {res.ai_judged}: relevant "
             f"{len(res.ai_relevant_missed)}"]
    for title, docs in (("flagged, judged not relevant:", res.judged_not),
                        ("flagged, not yet judged:", [d for d, _ in res.unjudged]),
                        ("known debate documents not flagged:", [d for d, _ in res.missed]),
                        ("judged relevant among AI-mentioning, not flagged:",
                         res.ai_relevant_missed)):
        if docs:
            lines.append(title)
            lines += [_line(d) for d in docs]
    if res.absent:
        lines.append("known documents not in the year file: " + ", ".join(res.absent))
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/baserate", description=__doc__.split("\n")[0])
    ap.add_argument("year_file", help="fr-<year>.csv.gz (document_number, title, abstract, ...)")
    ap.add_argument("--judged", help="judged list (default: judged-<year>.csv beside it)")
    ap.add_argument("--known", help="the timeline's documents of the debate "
                                    "(default: timeline.csv beside it, if present)")
    ap.add_argument("--debate", default=DEFAULT_DEBATE, help="debate definition (shipped id "
                                                             "or path)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    year_file = Path(args.year_file)
    m = re.search(r"(\d{4})", year_file.name)
    judged_file = Path(args.judged) if args.judged else (
        year_file.with_name(f"judged-{m.group(1)}.csv") if m else None)
    known_file = Path(args.known) if args.known else year_file.with_name("timeline.csv")
    try:
        docs = load_year(year_file)
        debate = load_debate(args.debate)
        judged = load_judged(judged_file) if judged_file and (
            args.judged or judged_file.exists()) else {}
        known = (load_known(known_file, m.group(1) if m else "")
                 if args.known or known_file.exists() else [])
    except ConfigError as e:
        print(f"baserate: {e}", file=sys.stderr)
        return 2
    res = measure(docs, debate, judged, known)
    if args.json:
        print(safe.json_text(json.dumps(as_dict(res, str(year_file), str(judged_file or "")),
                                        indent=2)))
    else:
        print("\n".join(report(res)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
