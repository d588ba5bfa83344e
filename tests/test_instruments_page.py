"""The page's answer from instruments (#13 point 5): authority badges decided from the real
Federal Register records (an interim final rule is in force with comments open; a briefing
notice is a notice) and the Key points, one line per instrument with its own words."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from monitor import report, store
from monitor.classify import classify
from monitor.cli import cli
from monitor.config import load_config, load_debate
from monitor.outputs import brief, render
from monitor.parse import parse
from monitor.types import Entity, Fetched, Instrument, Source, Step
from monitor.types.times import day

D = date.fromisoformat

FIX = Path(__file__).resolve().parent / "fixtures" / "instruments"
DEBATE = load_debate("open-weights")


@pytest.fixture(scope="module")
def fr_items():
    source = Source(id="fr", kind="federal_register", url="http://x.test/", interval=3600)
    body = (FIX / "fr-documents.json").read_bytes()
    fetched = Fetched("fr", "http://x.test/", 200, {"content-type": "application/json"}, body, 1)
    return {i.guid: i for i in parse(source, fetched).items}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize(("doc", "authority", "said"), [
    ("2025-00636", "final", "interim final rule: in force"),  # action "Interim final rule; ..."
    ("2025-00637", "official", "title 'Public Briefing"),  # no action: its title says notice
    ("2024-20529", "proposed", "proposed rule"),
    ("2023-24283", "final", "Presidential Document"),
])
def test_authority_of_real_fr_records(fr_items, doc, authority, said):
    sig = classify(fr_items[doc], DEBATE, "agency")
    assert sig.authority == authority
    assert said in sig.authority_reason


def _ifr(state: str = "in_force") -> Instrument:
    return Instrument(id="rule:0694-AJ90", kind="rule", title="Framework", state=state,
                      identifiers=("RIN 0694-AJ90",), direction="restrict",
                      status="not enforced" if state == "ended" else "interim final rule",
                      since=D("2025-05-13" if state == "ended" else "2025-01-13"), history=())


OWN = (Entity("rin", "0694-AJ90", "0694-AJ90"),
       Entity("comment_deadline", "2025-05-15", "2025-05-15"))
TEXT = "Framework for Artificial Intelligence Diffusion With this interim final rule, BIS"


@pytest.mark.parametrize(("authority", "entities", "found", "today", "expected"), [
    ("final", OWN, [], "2025-02-01", "interim final · in force, comments open until 2025-05-15"),
    ("final", OWN, [_ifr()], "2025-06-01", "interim final · in force, comments closed 2025-05-15"),
    ("final", OWN, [_ifr("ended")], "2026-01-01",
     "interim final · ended: not enforced 2025-05-13"),
    ("final", OWN[:1], [], "2025-02-01", "interim final · in force"),
    # a RIN the document only cites (in its text) does not make it the instrument's own
    ("final", (Entity("rin", "0694-AJ90", "RIN 0694-AJ90", 10, 19),), [_ifr("ended")],
     "2026-01-01", "interim final · in force"),
    ("official", OWN, [_ifr("ended")], "2026-01-01", "official"),
    ("proposed", (), [], "2026-01-01", "proposed"),
])
def test_badge(authority, entities, found, today, expected):
    assert brief.badge(authority, entities, TEXT, brief.by_identifier(found), today) == expected


def test_sample_badges_and_key_points(demo):
    db = store.open_db(demo / "monitor.db")
    config = load_config(demo / "sources.yaml")
    rep = report.build(db, config, None, datetime(2026, 7, 1, tzinfo=UTC))
    badges = dict(rep.badges)
    by_title = {s.title: s for s in rep.signals if s.source in ("fr-bis", "fr-eo")}
    ifr = by_title["Framework for Artificial Intelligence Diffusion"]
    assert badges[ifr.id] == "interim final · ended: not enforced 2025-05-13"
    briefing = by_title["Public Briefing on Framework for Artificial Intelligence Diffusion"]
    assert briefing.authority == "official" and briefing.id not in badges
    eo = by_title["Safe, Secure, and Trustworthy Development and Use of Artificial Intelligence"]
    assert badges[eo.id] == "final · ended: revoked 2025-01-20"
    points = {p.instrument.id: p for p in rep.key_points}
    rule = points["rule:0694-AJ90"]
    assert rule.summary.startswith("With this interim final rule, the Commerce Department")
    assert [day(s.date) for s in rule.evidence if s.applied] == ["2025-01-13", "2025-05-13"]
    assert [s.status for s in rule.evidence if not s.applied] == ["remains in effect"]
    assert points["eo:14110"].instrument.state == "ended"
    assert points["rule:0694-AJ55"].summary.startswith("This proposed rule would amend")
    # an order's enacting clause is not its summary; its FR record has no abstract
    assert not points["eo:14110"].summary.startswith("By the authority")
    page = BeautifulSoup(render.page_html(rep), "html.parser")
    section = page.find(id="key-points").get_text(" ", strip=True)
    for words in ("RIN 0694-AJ90", "EO 14110", "With this interim final rule",
                  "2025-05-13 rescinded", "conflicting, not applied"):
        assert words in section
    text = render.digest_text(rep)
    assert "KEY POINTS" in text and "[ended] Framework for Artificial Intelligence" in text
    assert "[interim final · ended: not enforced 2025-05-13]" in text


def test_key_points_quote_only_the_instruments_own_words():
    inst = Instrument(id="eo:1", kind="executive_order", title="An Order", state="ended",
                      identifiers=("EO 1",), direction="open", status="revoked",
                      since=D("2025-01-20"),
                      history=(Step(D("2023-10-30"), "signed", "in_force", "own", "u1"),
                               Step(D("2025-01-20"), "revoked", "ended", "other", "u2")))
    texts = {"own": ("An Order", "By the authority vested in me as President, it is hereby "
                     "ordered: Section 1. Purpose. This order keeps the weights of large "
                     "models safe for all."),
             "other": ("Another Order", "An order revoking dozens of orders, among them EO 1.")}
    point = brief.key_point(inst, texts, date(2025, 1, 1))
    assert point.summary == "This order keeps the weights of large models safe for all."
    assert point.moved and [s.status for s in point.evidence] == ["signed", "revoked"]
    assert brief.key_point(inst, {"other": texts["other"]}, None).summary == ""
    assert not brief.key_point(inst, texts, date(2026, 1, 1)).moved


def test_outlook_json_is_unchanged_by_badges(demo):
    out = CliRunner().invoke(cli, ["--db", str(demo / "monitor.db"), "--sources",
                                   str(demo / "sources.yaml"), "outlook", "--json"])
    assert json.loads(out.output)["direction"]["value"] == "loosening"


def test_sample_serves_oira_agenda_and_bill_records_without_a_key(demo):
    db = store.open_db(demo / "monitor.db")
    by_source: dict[str, list] = {}
    for row in db.execute("SELECT source_id, guid, kind FROM items WHERE source_id IN "
                          "('oira-under-review', 'unified-agenda', 'congress-s286')"):
        by_source.setdefault(row[0], []).append(row)
    assert len(by_source["oira-under-review"]) == 10  # the real file of RUNDATE 2025-02-26
    assert {g for _, g, _ in by_source["unified-agenda"]} == {"0503-AA90:202510",
                                                               "0503-AA80:202510"}
    assert {g.split(":")[0] for _, g, _ in by_source["congress-s286"]} == {"S. 286"}
    # none is about AI: a review, an agenda entry or a bill is an instrument only when a
    # relevant item names it
    ids = {i.id for i in store.instruments.get_instruments(db, "open-weights")}
    assert not {i for i in ids if i.startswith(("rule:0938", "rule:0503", "bill:S. 286"))}
    # the sample's congress.gov source names no key variable: the demo needs none
    config = load_config(demo / "sources.yaml")
    (congress,) = [s for s in config.sources if s.kind == "congress_gov"]
    assert congress.api_key_env is None


def test_a_digest_lists_only_what_moved_in_its_period(demo):
    db = store.open_db(demo / "monitor.db")
    config = load_config(demo / "sources.yaml")
    now = datetime(2026, 7, 1, tzinfo=UTC)
    quiet = report.build(db, config, datetime(2026, 6, 1, tzinfo=UTC), now)
    assert quiet.key_points and not any(p.moved for p in quiet.key_points)
    assert "KEY POINTS" not in render.digest_text(quiet)
    assert "## Key points" not in render.digest_markdown(quiet)
    # the page still says where each instrument that takes a side stands
    assert "RIN 0694-AJ90" in BeautifulSoup(render.page_html(quiet), "html.parser").find(
        id="key-points").get_text()
    moved = report.build(db, config, datetime(2025, 5, 1, tzinfo=UTC), now)
    assert [p.instrument.id for p in moved.key_points if p.moved] == [
        "eo:14365", "rule:0694-AJ90"]
    text = render.digest_text(moved)
    assert "KEY POINTS" in text and "Ensuring a National Policy Framework" in text


def test_forecast_lists_are_cut_with_how_many_more(demo):
    from dataclasses import replace

    from monitor.instruments import CAVEAT
    from monitor.types import Forecast

    db = store.open_db(demo / "monitor.db")
    rep = report.build(db, load_config(demo / "sources.yaml"), None,
                       datetime(2026, 7, 1, tzinfo=UTC))
    assert rep.outlook is not None
    many = tuple(Forecast(f"Statement {n}.", f"basis {n}", "2027-01") for n in range(15))
    rep = replace(rep, outlook=replace(rep.outlook, forecast=(*many, Forecast(CAVEAT, "caveat",
                                                                              ""))))
    n = render.FORECAST
    for text in (render.digest_text(rep), render.digest_markdown(rep)):
        head = text.split(CAVEAT)[0]
        assert f"Statement {n - 1}." in head and f"Statement {n}." not in head
        assert f"{15 - n} more:" in head
    page = BeautifulSoup(render.page_html(rep), "html.parser").find(id="forecast").get_text()
    assert f"Statement {n - 1}." in page and f"Statement {n}." not in page
    assert f"{15 - n} more: monitor outlook" in page and CAVEAT in page


def test_what_moved_gives_the_instruments_state_not_the_bare_authority(demo):
    db = store.open_db(demo / "monitor.db")
    config = load_config(demo / "sources.yaml")
    everything = report.build(db, config, None, datetime(2026, 7, 1, tzinfo=UTC))
    assert everything.headline.startswith(
        "What moved: Framework for Artificial Intelligence Diffusion")
    # an interim final rule the agency no longer enforces is not "final"
    assert "interim final rule, ended: not enforced 2025-05-13, noise" in everything.headline


def test_an_order_with_an_empty_abstract_is_summed_up_from_its_fetched_text(tmp_path):
    # the real GPO text of EO 14179 (its FR abstract is empty), headers first
    text = (Path(__file__).parent / "fixtures" / "fulltext" / "raw-text-2025-02172.txt"
            ).read_text()
    title = "Removing Barriers to American Leadership in Artificial Intelligence"
    db = store.open_db(tmp_path / "m.db")
    db["items"].insert_all([
        {"id": "fr:2025-02172", "source_id": "fr", "guid": "2025-02172", "url": "u",
         "title": title, "summary": "", "kind": "federal_register",
         "extra": json.dumps({"document_number": "2025-02172", "full_text": text})},
        {"id": "fr:other", "source_id": "fr", "guid": "other", "url": "v", "title": "T",
         "summary": "Its own abstract.", "kind": "federal_register",
         "extra": json.dumps({"full_text": "not read: the abstract is there"})}])
    texts = store.instruments.item_texts(db, ["fr:2025-02172", "fr:other"])
    assert texts["fr:other"] == ("T", "Its own abstract.")
    inst = Instrument(id="eo:14179", kind="executive_order", title=title, state="in_force",
                      identifiers=("EO 14179",), direction="open", status="signed",
                      since=D("2025-01-23"),
                      history=(Step(D("2025-01-23"), "signed", "in_force", "fr:2025-02172",
                                    "u"),))
    summary = brief.key_point(inst, texts, None).summary
    assert summary.startswith("The United States has long been at the forefront of "
                              "artificial intelligence (AI) innovation")
    # a rule's fetched text has no enacting clause: its headers are not quoted
    rule = Instrument(id="rule:1", kind="rule", title="A Rule", state="pending",
                      identifiers=("RIN 1",), direction="restrict", status="proposed",
                      since=D("2025-01-23"),
                      history=(Step(D("2025-01-23"), "proposed", "pending", "r", "u"),))
    headers = "[Federal Register Volume 90, Number 20 (Friday, January 31, 2025)] [Rules]"
    assert brief.key_point(rule, {"r": ("A Rule", headers)}, None).summary == ""
