"""The Unified Agenda (#13 point 4): reginfo.gov's per-edition XML read from a real record,
its projected actions linked to the instrument of the same RIN, stored, and named by the
outlook's forecast as its basis."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from monitor import instruments, store
from monitor.cli.instruments import instrument_json
from monitor.errors import ParseError
from monitor.parse import parse
from monitor.types import Claim, Fetched, Item, Signal, Source, when_text
from monitor.types.times import day as day_text


def _shown(projected):
    return tuple((e, a, when_text(d)) for e, a, d in projected)

FIX = Path(__file__).resolve().parent / "fixtures" / "instruments"
SOURCE = Source(id="agenda", kind="reginfo", url="http://x.test/", interval=3600)


@pytest.fixture(scope="module")
def agenda() -> dict[str, Item]:
    body = (FIX / "reginfo-rin-data-202510.xml").read_bytes()
    parsed = parse(SOURCE, Fetched("agenda", "http://x.test/", 200, {}, body, 1))
    return {i.extra["rin"]: i for i in parsed.items}


def test_agenda_edition_is_read_from_the_real_xml(agenda):
    havana = agenda["0503-AA80"]
    assert havana.title == "Implementation of HAVANA Act of 2021"
    assert havana.published.startswith("2025-10-01")  # the Fall 2025 edition
    assert havana.extra["edition"] == "Fall 2025"
    assert havana.extra["timetable"][0] == {"action": "Interim Final Rule and Request for "
                                            "Comments", "date": "2024-11-20",
                                            "citation": "89 FR 91529"}
    assert havana.extra["timetable"][-1] == {"action": "Final Action", "date": "2026-07",
                                             "citation": ""}
    # the abstract is an HTML page (DOCTYPE included) inside CDATA: read as text
    assert havana.summary.startswith("This rule implements the HAVANA Act of 2021")
    assert "<" not in havana.summary
    assert "USDA's Programs" in agenda["0503-AA90"].title  # &apos; decoded


def test_a_doctype_before_the_root_is_still_refused():
    body = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><REGINFO_RIN_DATA/>'
    with pytest.raises(ParseError, match="DOCTYPE"):
        parse(SOURCE, Fetched("agenda", "http://x.test/", 200, {}, body, 1))


def _relevant(item: Item) -> Signal:
    return Signal(item_id=item.id, debate="d", version="1", relevance=1.0, relevant=True,
                  topics=(), stance="restrict", stance_cues=(),
                  authority="official", authority_reason="", entities=())


def test_agenda_projects_without_moving_the_rule(agenda):
    found = instruments.claims(agenda["0503-AA80"], None)
    # past timetable rows (the IFR of 2024, its comment period) are history the FR holds;
    # only the month to come is a projection, and a projection moves no state
    assert [(c.instrument, c.state, c.status) for c in found] == [
        ("rule:0503-AA80", "", "Unified Agenda (Fall 2025) projects Final Action 2026-07")]
    # on its own, an agenda entry is no instrument (nothing has happened to it yet)
    assert instruments.build(found) == []


def _ifr(day: str = "2024-11-20") -> Claim:
    return Claim(instrument="rule:0503-AA80", kind="rule", state="in_force",
                 status="interim final rule, effective 2024-11-20",
                 date=date.fromisoformat(day), item_id="fr1",
                 url="https://www.federalregister.gov/d/x", title="Implementation of HAVANA "
                 "Act of 2021", identifiers=("RIN 0503-AA80",), own=True, official=True,
                 relevant=True)


@pytest.mark.parametrize(("as_of", "expected"), [
    (date(2026, 1, 15), "The Unified Agenda (Fall 2025) projects a final action for "
     "Implementation of HAVANA Act of 2021 (RIN 0503-AA80) in 07/2026."),
    (date(2026, 9, 1), "The Unified Agenda (Fall 2025) projected a final action for "
     "Implementation of HAVANA Act of 2021 (RIN 0503-AA80) in 07/2026; that month has "
     "passed and the instrument is still in force (interim final rule, effective "
     "2024-11-20)."),
], ids=["ahead", "overdue"])
def test_forecast_names_the_agenda_as_its_basis(agenda, as_of, expected):
    (inst,) = instruments.build([_ifr(), *instruments.claims(agenda["0503-AA80"], None)])
    assert inst.state == "in_force" and _shown(inst.projected) == (("Fall 2025", "Final Action",
                                                                    "2026-07"),)
    made = [f for f in instruments.forecast([inst], as_of) if "Unified Agenda" in f.basis]
    assert [f.statement for f in made] == [expected]
    assert made[0].basis == "Unified Agenda, Fall 2025, rule:0503-AA80"
    assert when_text(made[0].horizon) == "2026-07"
    assert instrument_json(inst)["projected"] == [
        {"edition": "Fall 2025", "action": "Final Action", "date": "2026-07"}]


def test_a_later_edition_replaces_the_projection(agenda):
    fall = agenda["0503-AA80"]
    spring = replace(fall, id="agenda:0503-AA80:202604", guid="0503-AA80:202604",
                     published="2026-04-01T00:00:00+00:00",
                     extra={**fall.extra, "edition": "Spring 2026", "publication_id": "202604",
                            "timetable": [{"action": "Final Action", "date": "2026-12"}]})
    claims = [_ifr(), *instruments.claims(fall, None), *instruments.claims(spring, None)]
    (inst,) = instruments.build(claims)
    assert _shown(inst.projected) == (("Spring 2026", "Final Action", "2026-12"),)


def test_an_agenda_withdrawal_ends_the_rule(agenda):
    # the agenda records a withdrawal as a dated timetable row ("Withdrawn" 12/16/2025)
    fall = agenda["0503-AA80"]
    withdrawn = replace(fall, extra={**fall.extra, "timetable": [
        {"action": "Withdrawn", "date": "2025-12-16"}]})
    (inst,) = instruments.build([_ifr(), *instruments.claims(withdrawn, None)])
    assert (inst.state, inst.status, day_text(inst.since)) == (
        "ended", "withdrawn (Unified Agenda, Fall 2025)", "2025-12-16")
    # an ended rule is forecast nothing, whatever an older edition projected
    assert instruments.forecast([inst], date(2026, 1, 1)) == []


def test_projection_is_stored_with_the_instrument(memdb, agenda):
    (inst,) = instruments.build([_ifr(), *instruments.claims(agenda["0503-AA80"],
                                                             _relevant(agenda["0503-AA80"]))])
    with store.transaction(memdb):
        store.instruments.save_instruments(memdb, "d", [inst],
                                           datetime(2026, 1, 1, tzinfo=UTC))
    (back,) = store.instruments.get_instruments(memdb, "d")
    assert back.projected == inst.projected and back == inst
