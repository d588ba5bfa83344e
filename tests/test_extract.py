"""Entities, table-driven, with real sentences from the debate's record (timeline.md)."""

from __future__ import annotations

import pytest

from monitor.classify.extract import extract

CASES = {
    "EO 14110 training threshold": (
        "any model that was trained using a quantity of computing power greater than 10^26 "
        "integer or floating-point operations", [("threshold", "1e26 operations")]),
    "EO 14110 superscript lost": (
        "trained using a quantity of computing power greater than 1026 integer or "
        "floating-point operations, or using primarily biological sequence data and using a "
        "quantity of computing power greater than 1023 integer or floating-point operations",
        [("threshold", "1e26 operations"), ("threshold", "1e23 operations")]),
    "EO 14110 cluster": (
        "a set of machines physically co-located in a single datacenter, transitively "
        "connected by data center networking of over 100 Gbit/s, and having a theoretical "
        "maximum computing capacity of 1020 integer or floating-point operations per second "
        "for training AI", [("threshold", "1e20 ops/s")]),
    "BIS NPRM cluster": ("clusters with more than 300 Gbit/s networking and 10^20 OP/s",
                         [("threshold", "1e20 ops/s")]),
    "EU AI Act": ("presumed to have high impact capabilities when the cumulative amount of "
                  "computation used for its training measured in floating point operations is "
                  "greater than 10^25.", [("threshold", "1e25 FLOP")]),
    "superscript": ("a training run above 10²⁶ FLOP", [("threshold", "1e26 FLOP")]),
    "python power": ("models above 10**26 operations", [("threshold", "1e26 operations")]),
    "e notation": ("the 1e26 FLOP line", [("threshold", "1e26 FLOP")]),
    "SB 1047 fine-tune": ("a fine-tune of a covered model using at least 3×10^25 operations",
                          [("threshold", "3e25 operations")]),
    "words": ("10 to the 26th operations", [("threshold", "1e26 operations")]),
    "septillion": ("more than 100 septillion operations", [("threshold", "1e26 operations")]),
    "year is not a threshold": ("In 2024 the agency published 1026 pages.", []),
    "page number is not a threshold": ("See 89 FR 14059, 1026.", [("fr_citation",
                                                                   "89 FR 14059")]),
    "FR citation and doc": ("89 FR 73612; FR Doc. 2024-20529 Filed 9-10-24",
                            [("fr_citation", "89 FR 73612"), ("fr_doc", "2024-20529")]),
    "dockets": ("regulations.gov docket NTIA-2023-0009 and BIS-2024-0047; Docket No. "
                "240216-0052", [("docket", "NTIA-2023-0009"), ("docket", "BIS-2024-0047"),
                                ("docket", "240216-0052")]),  # NOAA-style, by date (#11)
    "a date-numbered string is a docket only when so named": (
        "Filed 240216-0052 under docket NTIA-2023-0009", [("docket", "NTIA-2023-0009")]),
    "RIN": ("RIN 0694-AJ55", [("rin", "0694-AJ55")]),
    "executive orders": ("EO 14110, E.O. 14148, Executive Order No. 14179 and "
                         "Executive Order 14110", [("executive_order", "14110"),
                                                   ("executive_order", "14148"),
                                                   ("executive_order", "14179")]),
    "ECCNs": ("New ECCN 4E091 and expanded controls on ECCNs 3A090.a and 4A090.a",
              [("eccn", "4E091"), ("eccn", "3A090.a"), ("eccn", "4A090.a")]),
    "bills": ("the ENFORCE Act (H.R. 8315), S. 321, SB 53 and Senate Bill 1047",
              [("bill", "H.R. 8315"), ("bill", "S. 321"), ("bill", "SB 53"),
               ("bill", "SB 1047")]),
    "U.S. is not a bill": ("the U.S. 321 plan", []),
    "written without spaces": ("EO14110 and SB53", [("executive_order", "14110"),
                                                    ("bill", "SB 53")]),
    "a part number is not an ECCN": ("the 4E091 connector", []),
    "a part number is not a threshold": ("order part 1e26 today", []),
    "e notation with spaces and a sign": ("above 2.5 E +25 FLOP",
                                          [("threshold", "2.5e25 FLOP")]),
    "after other Unicode": ("İstanbul talks: 10^26 operations",
                            [("threshold", "1e26 operations")]),
    "comment deadline": ("Comments must be received on or before March 27, 2024.",
                         [("comment_deadline", "2024-03-27")]),
    "comment deadline due": ("Comments are due by October 11, 2024",
                             [("comment_deadline", "2024-10-11")]),
    "effective date": ("This rule is effective January 13, 2025.",
                       [("effective_date", "2025-01-13")]),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_extract(case):
    text, expected = CASES[case]
    got = [(e.kind, e.value) for e in extract(text)]
    assert got == expected
    for e in extract(text):
        assert text[e.start:e.end] and e.value  # every entity keeps its span


def test_fields_come_first_and_win():
    extra = {"comments_close_on": "2024-03-27", "effective_on": None,
             "document_number": "2024-03763", "citation": "89 FR 14059",
             "docket_ids": ["Docket No. 240216-0052", "NTIA-2023-0009"],
             "regulation_id_numbers": ["0660-XC060"]}
    got = [(e.kind, e.value) for e in extract("comments due by April 1, 2024", extra)]
    assert got[:6] == [("comment_deadline", "2024-03-27"), ("fr_doc", "2024-03763"),
                       ("fr_citation", "89 FR 14059"), ("docket", "240216-0052"),
                       ("docket", "NTIA-2023-0009"), ("rin", "0660-XC060")]


def test_spans_point_at_the_text():
    text = "Report models above 10^26 operations to Commerce."
    (e,) = extract(text)
    assert text[e.start:e.end] == "10^26 operations"
