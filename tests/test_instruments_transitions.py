"""Every transition of the life cycle, end to end from bodies in the real formats (#13, Done
when): Federal Register API JSON, reginfo.gov review XML, congress.gov actions JSON, each
parsed by the project's parsers, read for claims and replayed. The bodies are the real
records of tests/fixtures/instruments/ (2024-20529, the OIRA review of RIN 0938-AV45 of
the sample's real EO_RULES_UNDER_REVIEW.xml, S. 286's actions) with the later documents a
case needs (a withdrawal, a second review, a public law) made from them in the test: they
are variants in the real shape, not records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor import instruments
from monitor.parse import parse
from monitor.types import Claim, Fetched, Source

FIX = Path(__file__).resolve().parent / "fixtures" / "instruments"
FR = {r["document_number"]: r for r in json.loads(
    (FIX / "fr-documents.json").read_text())["results"]}
NPRM = FR["2024-20529"]
RIN = "0694-AJ55"


def fr(**changes: object) -> tuple[str, bytes, str]:
    """A Federal Register search envelope holding 2024-20529 with some fields changed."""
    record = {**NPRM, **changes}
    return "federal_register", json.dumps({"count": 1, "results": [record]}).encode(), \
        "https://www.federalregister.gov/api/v1/documents.json"


def review(received: str, completed: str = "", decision: str = "", rin: str = RIN,
           stage: str = "Final Rule") -> tuple[str, bytes, str]:
    """An EO 12866 review file in the shape of reginfo.gov's (fields of the real record of
    RIN 0938-AV45 in data/sample/http/reginfo/EO_RULES_UNDER_REVIEW.xml)."""
    done = f"<DATE_COMPLETED>{completed}</DATE_COMPLETED><DECISION>{decision}</DECISION>" \
        if completed else ""
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<OIRA_DATA RUNDATE="{completed or received}'
            f'"><REGACT><AGENCY_CODE>{rin[:4]}</AGENCY_CODE><RIN>{rin}</RIN><TITLE>{NPRM["title"]}'
            f"</TITLE><STAGE>{stage}</STAGE><ECONOMICALLY_SIGNIFICANT>No"
            f"</ECONOMICALLY_SIGNIFICANT><DATE_RECEIVED>{received}</DATE_RECEIVED>"
            f"<LEGAL_DEADLINE>None</LEGAL_DEADLINE>{done}</REGACT></OIRA_DATA>")
    return "reginfo", body.encode(), "https://www.reginfo.gov/public/do/XMLViewFileAction"


def actions(*rows: tuple[str, str]) -> tuple[str, bytes, str]:
    """A congress.gov actions response of S. 286 with the given (date, text) actions added to
    the real ones."""
    data = json.loads((FIX / "congress-s286-actions.json").read_text())
    data["actions"] = [{"actionDate": d, "text": t, "type": "Floor"} for d, t in rows] + \
        data["actions"]
    return "congress_gov", json.dumps(data).encode(), \
        "https://api.congress.gov/v3/bill/119/s/286/actions?format=json"


def claims_of(*docs: tuple[str, bytes, str]) -> list[Claim]:
    out: list[Claim] = []
    for n, (kind, body, url) in enumerate(docs):
        source = Source(id=f"s{n}", kind=kind, url=url, interval=3600)
        for item in parse(source, Fetched(source.id, url, 200, {}, body, 1)).items:
            # relevant, as a classified item of the debate would be
            out.extend(Claim(**{**vars(c), "relevant": True})
                       for c in instruments.claims(item, None))
    return out


# (name, documents, instrument, final state, final status, changes of state, conflicts)
CASES = [
    ("proposed: pending", [fr()], f"rule:{RIN}", "pending",
     "proposed rule, comments close 2024-10-11", ["pending"], 0),
    ("made final: in force", [fr(), fr(document_number="2025-99001", type="Rule",
                                       action="Final rule.", publication_date="2025-06-02",
                                       effective_on="2025-07-01", comments_close_on=None)],
     f"rule:{RIN}", "in_force", "final rule, effective 2025-07-01", ["pending", "in_force"], 0),
    ("interim final: in force, comments open",
     [fr(type="Rule", action="Interim final rule; request for comments.",
         effective_on="2024-09-11", comments_close_on="2024-11-12")],
     f"rule:{RIN}", "in_force",
     "interim final rule, effective 2024-09-11; comments open until 2024-11-12",
     ["in_force"], 0),
    ("proposed rule withdrawn: ended",
     [fr(), fr(document_number="2025-99002", action="Proposed rule; withdrawal.",
               publication_date="2025-12-16", comments_close_on=None)],
     f"rule:{RIN}", "ended", "withdrawn", ["pending", "ended"], 0),
    ("revived after a withdrawal by a new review at OIRA",
     [fr(), fr(document_number="2025-99002", action="Proposed rule; withdrawal.",
               publication_date="2025-12-16", comments_close_on=None),
      review("2026-02-26")],
     f"rule:{RIN}", "pending", "Final Rule under OIRA review", ["pending", "ended", "pending"],
     0),
    ("withdrawn from OIRA review: ended",
     [fr(), review("2026-02-26"), review("2026-02-26", "2026-03-13", "Withdrawn")],
     f"rule:{RIN}", "ended", "Final Rule withdrawn from OIRA review", ["pending", "ended"], 0),
    ("a final rule is not un-made by a later review (conflict shown)",
     [fr(), fr(document_number="2025-99001", type="Rule", action="Final rule.",
               publication_date="2025-06-02", effective_on="2025-07-01",
               comments_close_on=None), review("2025-09-01", stage="Proposed Rule")],
     f"rule:{RIN}", "in_force", "final rule, effective 2025-07-01", ["pending", "in_force"],
     1),
    # both actions of 2025-01-28 are the same day: either may be its status
    ("a bill introduced: pending", [actions()], "bill:S. 286", "pending",
     {"Introduced in Senate", "Read twice and referred to the Committee on the Judiciary."},
     ["pending"], 0),
    ("a bill enacted: in force", [actions(("2025-09-30", "Became Public Law No: 119-40."))],
     "bill:S. 286", "in_force", "enacted", ["pending", "in_force"], 0),
    ("a bill vetoed: ended", [actions(("2025-09-30", "Vetoed by President."))],
     "bill:S. 286", "ended", "vetoed", ["pending", "ended"], 0),
]


@pytest.mark.parametrize(("docs", "key", "state", "status", "path", "conflicts"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_transition(docs, key, state, status, path, conflicts):
    found = [i for i in instruments.build(claims_of(*docs)) if i.id == key]
    assert len(found) == 1
    inst = found[0]
    assert inst.state == state
    assert inst.status in status if isinstance(status, set) else inst.status == status
    assert [s for _, s, _ in instruments.transitions(inst)] == path
    assert len(inst.conflicts) == conflicts
    assert all(step.url.startswith("https://") for step in inst.history)
