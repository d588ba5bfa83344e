"""Instruments: claims from real-format records, the life-cycle state machine (table-driven,
with conflicts and a revival), the outlook, storage and the CLI on the bundled sample."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor import instruments, pipeline, store
from monitor.cli import cli
from monitor.config import load_config
from monitor.parse import parse
from monitor.types import Claim, Fetched, Item, Source, SourceRun, when_text
from monitor.types.times import day

FIX = Path(__file__).resolve().parent / "fixtures" / "instruments"


def parsed(kind: str, name: str, source_id: str) -> list[Item]:
    body = (FIX / name).read_bytes()
    source = Source(id=source_id, kind=kind, url="http://x.test/", interval=3600)
    headers = {"content-type": "application/json" if name.endswith(".json") else
               "application/rss+xml"}
    return list(parse(source, Fetched(source_id, "http://x.test/", 200, headers, body, 1)).items)


@pytest.fixture(scope="module")
def fr_items() -> dict[str, Item]:
    return {i.guid: i for i in parsed("federal_register", "fr-documents.json", "fr")}


@pytest.fixture(scope="module")
def releases() -> list[Item]:
    return parsed("feed", "rescission.rss", "press")


def test_fr_fields_make_claims(fr_items):
    eo = instruments.claims(fr_items["2023-24283"], None)
    assert [(c.instrument, c.state, c.status, day(c.date)) for c in eo] == [
        ("eo:14110", "in_force", "signed", "2023-10-30"),
        ("eo:14110", "ended", "revoked by EO 14148", "2025-01-20")]
    (ifr,) = instruments.claims(fr_items["2025-00636"], None)
    assert (ifr.instrument, ifr.state, day(ifr.due)) == ("rule:0694-AJ90", "in_force",
                                                         "2025-05-15")
    assert "interim final rule" in ifr.status and "comments open until 2025-05-15" in ifr.status
    (nprm,) = instruments.claims(fr_items["2024-20529"], None)
    assert (nprm.instrument, nprm.state) == ("rule:0694-AJ55", "pending")
    assert "BIS-2024-0047" in nprm.identifiers
    # a briefing notice (FR type Rule, no RIN, no action) is no instrument of its own
    assert instruments.claims(fr_items["2025-00637"], None) == []


def test_stated_relations_name_rules_by_title(releases):
    release, gao = releases
    (c,) = instruments.claims(release, None)
    assert (c.state, c.status) == ("ended", "rescinded")
    assert c.instrument == "title:artificial diffusion intelligence"
    statuses = {x.status for x in instruments.claims(gao, None)}
    assert statuses == {"rescinded", "not enforced"}


def test_rule_is_ended_with_its_evidence(fr_items, releases):
    relevant = [replace(c, relevant=True) for item in (fr_items["2025-00636"], *releases)
                for c in instruments.claims(item, None)]
    built = {i.id: i for i in instruments.build(relevant)}
    rule = built["rule:0694-AJ90"]
    assert (rule.state, rule.status, day(rule.since)) == ("ended", "rescinded", "2025-05-13")
    assert [day(s.date) for s in rule.history] == ["2025-01-13", "2025-05-13", "2026-05-12",
                                              "2026-05-12"]
    assert rule.history[1].url.startswith("https://www.bis.gov/press-release/")


def claim(state: str, when: str, status: str = "", *, own: bool = True,
          official: bool = True, item: str = "") -> Claim:
    day = when
    return Claim(instrument="rule:0694-AJ55", kind="rule", state=state, status=status or state,
                 date=date.fromisoformat(when), item_id=item or f"i{day}{state}", url=f"https://x.test/{day}",
                 title="A rule", own=own, official=official, relevant=True)


# (name, claims, final state, final status, number of conflicts)
CASES = [
    ("proposed then final", [claim("pending", "2024-09-11", "proposed rule"),
                             claim("in_force", "2025-03-01", "final rule")],
     "in_force", "final rule", 0),
    ("final then withdrawn", [claim("in_force", "2025-03-01"), claim("ended", "2025-06-01",
                                                                     "withdrawn")],
     "ended", "withdrawn", 0),
    ("revived after a withdrawal", [
        claim("pending", "2024-09-11", "proposed rule"),
        claim("ended", "2025-02-01", "withdrawn"),
        claim("pending", "2026-02-26", "final rule under OIRA review")],
     "pending", "final rule under OIRA review", 0),
    ("a mention cannot revive", [
        claim("ended", "2025-02-01", "withdrawn"),
        claim("in_force", "2025-03-01", "in effect", own=False, official=False)],
     "ended", "withdrawn", 1),
    ("a comment period does not un-make a rule", [
        claim("in_force", "2025-01-13", "interim final rule"),
        claim("pending", "2025-03-01", "comment period reopened")],
     "in_force", "interim final rule", 1),
    ("news against the official record", [
        claim("in_force", "2025-01-13", "final rule"),
        claim("ended", "2025-02-01", "revoked", own=False, official=False)],
     "in_force", "final rule", 1),
    ("the official record ends it after news did", [
        claim("ended", "2025-02-01", "revoked", own=False, official=False),
        claim("ended", "2025-03-01", "rescinded", own=False)],
     "ended", "rescinded", 0),
]


@pytest.mark.parametrize(("claims", "state", "status", "conflicts"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_life_cycle(claims, state, status, conflicts):
    inst = instruments.life_cycle("rule:0694-AJ55", claims)
    assert (inst.state, inst.status) == (state, status)
    assert len(inst.conflicts) == conflicts
    assert all(s.why for s in inst.conflicts)
    assert len(inst.history) == len(claims)  # conflicting evidence is shown, not hidden


def test_outlook_direction_and_forecast():
    restrict = [claim("pending", "2024-09-11", "proposed rule")]
    ended = [replace(c, instrument="rule:0694-AJ90", stance="restrict") for c in (
        claim("in_force", "2025-01-13", "interim final rule"),
        claim("ended", "2025-05-13", "rescinded"))]
    built = instruments.build([*[replace(c, stance="restrict") for c in restrict], *ended])
    o = instruments.outlook(built, date(2025, 12, 1))
    # proposed and put in force tighten (two), rescinded loosens (one)
    assert (o.direction, len(o.direction_basis)) == ("tightening", 3)
    assert instruments.outlook(built, date(2027, 3, 1)).direction == "loosening"
    assert [i.id for i in o.in_force] == []
    assert o.headline.startswith("No restriction on open-weight models is in force")
    assert o.forecast[-1].statement == instruments.CAVEAT
    (proposed,) = [f for f in o.forecast if "proposed" in f.basis]
    assert "no proposed-to-final lag" in proposed.statement


def test_pipeline_stores_and_rebuilds(memdb, tmp_path, fr_items, releases):
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - id: fr\n    kind: federal_register\n    url: http://x.test/\n"
                    "  - id: press\n    kind: feed\n    url: http://y.test/\n")
    config = load_config(path)
    run = SourceRun(source_id="fr", status="ok", started=datetime(2026, 11, 27, tzinfo=UTC))
    signals_for = pipeline._classifier(config)
    store.save_source_run(memdb, run, None, list(fr_items.values()), signals_for=signals_for)
    first = pipeline.update_instruments(memdb, config)
    assert first.scanned == len(fr_items)
    debate = config.debate.id
    assert store.instruments.get_instruments(memdb, debate, "ended")[0].id == "eo:14110"
    store.save_source_run(memdb, replace(run, source_id="press"), None, releases,
                          signals_for=signals_for)
    second = pipeline.update_instruments(memdb, config)
    assert second.scanned == len(releases)  # only the new items are read
    ended = {i.id for i in store.instruments.get_instruments(memdb, debate, "ended")}
    assert ended == {"eo:14110", "rule:0694-AJ90"}
    states = memdb.execute("SELECT instrument, state FROM instrument_states "
                           "ORDER BY id").fetchall()
    assert ("rule:0694-AJ90", "in_force") in states and ("rule:0694-AJ90", "ended") in states
    assert pipeline.update_instruments(memdb, config).changed == 0  # converges
    # an item reclassified as irrelevant no longer keeps its instrument tracked
    memdb.execute("UPDATE signals SET relevant = 0 WHERE item_id != 'fr:2023-24283'")
    update = pipeline.update_instruments(memdb, config, everything=True)
    assert update.changed >= 1 and update.rebuilt == 1
    assert "rule:0694-AJ90" not in {i.id for i in store.instruments.get_instruments(
        memdb, debate)}
    assert memdb.execute("SELECT state FROM instrument_states WHERE instrument = "
                         "'rule:0694-AJ90' ORDER BY id DESC").fetchone()[0] == "untracked"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def invoke(demo: Path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(demo / "monitor.db"), "--sources",
                                    str(demo / "sources.yaml"), *args])


def test_sample_answers_the_question(demo):
    result = invoke(demo, "instruments", "--json")
    assert result.exit_code == 0, result.output
    found = {i["id"]: i for i in json.loads(result.output)}
    for key in ("eo:14110", "rule:0694-AJ90"):
        assert found[key]["state"] == "ended"
        assert found[key]["history"][-1]["url"]
    assert found["rule:0694-AJ55"]["state"] == "pending"
    ended = json.loads(invoke(demo, "instruments", "--state", "ended", "--json").output)
    assert {i["id"] for i in ended} >= {"eo:14110", "rule:0694-AJ90"}
    o = json.loads(invoke(demo, "outlook", "--json").output)
    assert o["direction"]["value"] == "loosening"
    assert not {"eo:14110", "rule:0694-AJ90"} & {i["id"] for i in o["in_force"]}
    assert o["headline"].startswith("No restriction on open-weight models is in force")
    assert o["forecast"][-1]["statement"] == instruments.CAVEAT
    text = invoke(demo, "outlook").output
    assert text.splitlines()[0] == o["headline"]


def test_page_and_digest_lead_with_the_answer(demo):
    o = json.loads(invoke(demo, "outlook", "--json").output)
    page = (demo / "outputs" / "index.html").read_text()
    body = page[page.index("<body"):]
    first = body.split("\n", 2)[1]
    assert o["headline"] in first
    # The digest's first line says what moved in its period (#14); the answer follows at once.
    digest = (demo / "outputs" / "digest.md").read_text().split("\n\n")
    assert digest[1].startswith("**What moved:")
    assert digest[2].startswith("**No restriction on open-weight models is in force")
    assert "loosening" in digest[2]


def test_reginfo_review_record_is_a_pending_rule():
    (item,) = parsed("reginfo", "eo-rules-under-review.xml", "oira")
    assert (item.guid, item.published[:10], item.extra["stage"]) == (
        "0348-AB93:2025-12-01", "2025-12-01", "Interim Final Rule")
    (c,) = instruments.claims(item, None)
    assert (c.instrument, c.state, c.status, c.official) == (
        "rule:0348-AB93", "pending", "Interim Final Rule under OIRA review", True)


@pytest.mark.parametrize(("body", "message"), [
    (b"<!DOCTYPE html><html><head><title>RegInfo.gov</title></head></html>", "HTML page"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><OIRA_DATA/>', "DOCTYPE"),
    (b"<RSS/>", "expected <OIRA_DATA>"),
    (b"<OIRA_DATA><REGACT>", "not valid XML"),
], ids=["soft-404", "doctype", "other-xml", "broken"])
def test_reginfo_refuses_what_is_not_review_xml(body, message):
    from monitor.errors import ParseError

    source = Source(id="oira", kind="reginfo", url="http://x.test/", interval=3600)
    with pytest.raises(ParseError, match=message):
        parse(source, Fetched("oira", "http://x.test/", 200, {}, body, 1))


def test_sample_shows_conflicting_evidence(demo):
    found = {i["id"]: i for i in json.loads(invoke(demo, "instruments", "--json").output)}
    (conflict,) = found["rule:0694-AJ90"]["conflicts"]
    assert conflict["status"] == "remains in effect" and conflict["why"]
    assert "pillsburylaw.com" in conflict["url"]


def test_congress_gov_actions_move_a_bill():
    body = (FIX / "congress-s286-actions.json").read_bytes()
    url = "https://api.congress.gov/v3/bill/119/s/286/actions?format=json"
    source = Source(id="congress", kind="congress_gov", url=url, interval=3600)
    items = list(parse(source, Fetched("congress", url, 200, {}, body, 1)).items)
    assert [i.extra["action_text"] for i in items] == [
        "Read twice and referred to the Committee on the Judiciary.", "Introduced in Senate"]
    assert items[0].url == "https://www.congress.gov/bill/119th-congress/senate-bill/286/" \
                           "all-actions"
    found = [c for i in items for c in instruments.claims(i, None)]
    assert {(c.instrument, c.state, day(c.date)) for c in found} == {
        ("bill:S. 286", "pending", "2025-01-28")}
    mention = replace(found[0], item_id="news:1", state="", status="mentioned", own=False,
                      relevant=True)
    (bill,) = instruments.build([*found, mention])
    assert (bill.kind, bill.state) == ("bill", "pending")
    o = instruments.outlook([bill], date(2025, 6, 1))
    assert any(f.basis == "bill actions, bill:S. 286" for f in o.forecast)
    vetoed = replace(found[0], item_id="c:2", status="vetoed", state="ended",
                     date=date(2025, 5, 1))
    assert instruments.life_cycle("bill:S. 286", [*found, vetoed]).state == "ended"


def test_congress_gov_needs_a_bill_url():
    from monitor.errors import ParseError

    source = Source(id="congress", kind="congress_gov", url="https://api.congress.gov/v3/x",
                    interval=3600)
    with pytest.raises(ParseError, match="names no bill"):
        parse(source, Fetched("congress", source.url, 200, {}, b'{"actions": []}', 1))


def test_forecast_names_open_comment_periods(fr_items):
    relevant = [replace(c, relevant=True) for c in instruments.claims(fr_items["2025-00636"],
                                                                      None)]
    built = instruments.build(relevant)
    while_open = instruments.forecast(built, date(2025, 3, 1))
    assert [when_text(f.horizon) for f in while_open] == ["2025-05-15"]
    assert "open comment period" in while_open[0].basis
    assert instruments.forecast(built, date(2025, 6, 1)) == []


@pytest.mark.parametrize(("reference", "expected"), [
    ("title:artificial diffusion intelligence", "rule:0694-AJ90"),
    ("title:" + " ".join(sorted(instruments.title_words(
        "the Establishment of Reporting Requirements for the Development of Advanced AI Models "
        "and Computing Clusters rule"))), "rule:0694-AJ55"),
    ("title:artificial intelligence", "title:artificial intelligence"),  # names neither
], ids=["diffusion", "reporting", "too-vague"])
def test_title_references_resolve_to_one_rule(reference, expected):
    titles = {"rule:0694-AJ90": "Framework for Artificial Intelligence Diffusion",
              "rule:0694-AJ55": "Establishment of Reporting Requirements for the Development "
                                "of Advanced Artificial Intelligence Models and Computing "
                                "Clusters"}
    (c,) = instruments.resolve([replace(claim("ended", "2025-05-13"), instrument=reference)],
                               titles)
    assert c.instrument == expected


def test_why_it_matters_and_forecast_come_from_the_instruments(demo):
    from bs4 import BeautifulSoup

    page = BeautifulSoup((demo / "outputs" / "index.html").read_text(), "html.parser")
    why = page.find("section", id="why")
    rows = [" ".join(li.get_text(" ").split()) for li in why.find_all("li")]
    eo = next(r for r in rows if "EO 14110" in r)
    assert eo.startswith("ended") and "revoked" in eo  # never counted among binding actions
    assert any(r.startswith("pending") and "RIN 0694-AJ55" in r for r in rows)
    forecast = " ".join(page.find("section", id="forecast").get_text(" ").split())
    assert "Proposed or interim and not yet final" not in forecast
    assert "0694-AJ55" in forecast and forecast.count("Events may develop differently") == 1


def test_an_undated_claim_is_none_past_storage_and_empty_text_in_it(memdb):
    from monitor.cli.instruments import instrument_json

    undated = replace(claim("pending", "2024-09-11", "proposed rule"), date=None)
    final = claim("in_force", "2025-03-01", "final rule")
    inst = instruments.life_cycle("rule:0694-AJ55", [final, undated])
    assert [s.date for s in inst.history] == [None, date(2025, 3, 1)]  # undated sorts first
    assert inst.since == date(2025, 3, 1)
    at = datetime(2025, 3, 2, 8, tzinfo=UTC)
    with store.transaction(memdb):
        store.instruments.save_claims(memdb, "d", [undated, final], at)
        store.instruments.save_instruments(memdb, "d", [inst], at)
    assert sorted(memdb.execute("SELECT date, added_at FROM instrument_claims").fetchall()) \
        == [("", "2025-03-02T08:00:00+00:00"), ("2025-03-01", "2025-03-02T08:00:00+00:00")]
    assert {c.date for c in store.instruments.claims_of(memdb, "d", [inst.id])} == {
        None, date(2025, 3, 1)}
    (back,) = store.instruments.get_instruments(memdb, "d")
    assert back == inst
    shown = instrument_json(back)
    assert (shown["since"], shown["history"][0]["date"]) == ("2025-03-01", "")


def test_a_month_only_projection_is_a_month():
    from monitor.types import Month, when_key, when_of

    month, day_ = when_of("2026-07"), when_of("2026-07-01")
    assert month == Month(2026, 7) and day_ == date(2026, 7, 1)
    assert (str(month), when_text(month), when_text(day_)) == ("2026-07", "2026-07",
                                                               "2026-07-01")
    # a month sorts before the days in it, as its text did
    assert sorted([day_, month, date(2026, 6, 30)], key=when_key) == [
        date(2026, 6, 30), month, day_]
    with pytest.raises(ValueError):
        when_of("July 2026")
