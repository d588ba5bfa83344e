"""What makes the digest and page forwardable (#14) and the sides named by what they want
(#12, point 5), on the bundled sample: ranking, "N more", outlet names, summaries,
identifiers, comment links, the key to the figures, the dated Noise Level, syndication as
echo, the feed (one entry per event, self link), the calendar (dockets, moot deadlines) and
the subject line."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import feedparser
import icalendar
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from monitor import report, store
from monitor.cli import cli
from monitor.config import load_config
from monitor.deliver import digest_subject
from monitor.outputs import brief, render
from monitor.outputs.outlets import actor, outlet

FIXED_NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("brief") / "out"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def rep(demo):
    return report.build(store.open_db(demo / "monitor.db"), load_config(demo / "sources.yaml"),
                        None, FIXED_NOW)


@pytest.fixture(scope="module")
def outputs(rep):
    def words(doc: str) -> str:
        return " ".join(BeautifulSoup(doc, "html.parser").get_text(" ").split())

    page, html = words(render.page_html(rep)), words(render.digest_html(rep))
    return {"md": render.digest_markdown(rep), "text": render.digest_text(rep), "html": html,
            "page": page}


def invoke(demo, *args: str):
    return CliRunner().invoke(cli, ["--db", str(demo / "monitor.db"), "--sources",
                                    str(demo / "sources.yaml"), *args])


# --- ranking and completeness -----------------------------------------------------------------

@pytest.mark.parametrize(("authority", "noise", "age_days", "expected"), [
    ("final", 20, 10_000, 50.0),         # a quiet final notice...
    ("proposed", 95, 10_000, 77.5),      # ...sits below the loud interim final rule it is about
    ("official", 0, 0, 30.0),            # recency adds up to 10
    ("news", 100, 30, 55.0),             # half of 10 after 30 days
    ("commentary", 0, 10_000, 0.0),
])
def test_importance_formula(authority, noise, age_days, expected):
    last = (FIXED_NOW.date().toordinal() - age_days)
    day = datetime.fromordinal(last).date()
    assert brief.importance(authority, noise, day, FIXED_NOW) == pytest.approx(expected, abs=0.01)


def test_key_events_are_ranked_by_importance(rep):
    scores = [e.importance for e in rep.events]
    assert scores == sorted(scores, reverse=True)
    titles = [e.score.title for e in rep.events]
    assert titles.index("Framework for Artificial Intelligence Diffusion") < titles.index(
        "Public Briefing on Framework for Artificial Intelligence Diffusion")


def test_every_cut_list_says_how_many_more(rep, outputs):
    md = outputs["md"]
    key = md.split("## Key events")[1].split("## Sides")[0]
    assert key.count("\n- **") == render.KEY_EVENTS
    more = len(rep.events) - render.KEY_EVENTS
    assert f"- {more} more: `monitor timeline --since all`" in key
    new = md.split("## New timeline events")[1].split("##")[0]
    assert f"{len(rep.new_events) - render.NEW_EVENTS} more: `monitor timeline --since all`" \
        in new
    # an event with more documents than shown points at `monitor event`
    cut = [e for e in rep.events[:render.KEY_EVENTS] if e.more_links]
    assert cut and f"{cut[0].more_links} more: `monitor event {cut[0].score.event_id}`" in md
    for stance, actors, total in rep.actors:
        if total > len(actors):
            assert f"{total - len(actors)} more: `monitor signals --since all --stance " \
                   f"{stance}`" in md
    for fmt in ("text", "html"):
        assert f"{more} more: monitor timeline --since all" in outputs[fmt]


def test_the_commands_shown_work(demo):
    listed = invoke(demo, "timeline", "--since", "all", "--json")
    assert listed.exit_code == 0
    assert invoke(demo, "signals", "--since", "all", "--stance", "neutral").exit_code == 0


# --- who said it, what it is ------------------------------------------------------------------

@pytest.mark.parametrize(("url", "source", "agencies", "expected"), [
    ("https://yro.slashdot.org/story/25/02/04/x", "news-search", (), "Slashdot"),
    ("https://www.lawfaremedia.org/article/x", "policy-commentary", (), "Lawfare"),
    ("https://www.federalregister.gov/d/2024-03763", "fr-ntia",
     ("Commerce Department", "National Telecommunications and Information Administration"),
     "NTIA"),
    ("https://news.example.org/a", "news-search", (), "news.example.org"),
    ("", "some-feed", (), "some-feed"),
])
def test_outlet_and_actor_names(url, source, agencies, expected):
    assert actor(url, source, agencies) == expected
    assert outlet("https://www.federalregister.gov/d/1", "fr-bis") == "Federal Register"


def test_no_feed_id_where_an_outlet_belongs(demo, rep, outputs):
    config = load_config(demo / "sources.yaml")
    for fmt, text in outputs.items():
        body = text.split("Sources failing")[0].split("SOURCES FAILING")[0]
        for source in config.sources:
            assert not re.search(rf"[(\s]{re.escape(source.id)}[),\s]", body), (fmt, source.id)
    # Which outlets are shown depends on the classifier's sides (Lawfare's one relevant item
    # is past the cut since #12 read stance better), so the names come from the report.
    shown = {name for _stance, actors, _total in rep.actors for name, _s in actors}
    assert shown and all(not any(s.id == name for s in config.sources) for name in shown)
    for name in ("FedScoop", "Federal Register", "BIS", "NTIA", "White House", *shown):
        assert name in outputs["md"] and name in outputs["page"]


def test_events_carry_summary_identifiers_and_comment_links(rep, outputs):
    by_title = {e.score.title: e for e in rep.events}
    rfc = by_title["Dual Use Foundation Artificial Intelligence Models With Widely Available "
                   "Model Weights"]
    assert "docket NTIA-2023-0009" in rfc.identifiers
    assert rfc.dockets == (("NTIA-2023-0009",
                            "https://www.regulations.gov/docket/NTIA-2023-0009"),)
    assert rfc.comment_deadline == "2024-03-27" and rfc.summary
    ifr = by_title["Framework for Artificial Intelligence Diffusion"]
    assert {"ECCN 4E091", "RIN 0694-AJ90", "docket BIS-2025-0001"} <= set(ifr.identifiers)
    assert ifr.summary.startswith("BIS announced an interim final rule")
    eo = next(e for e in rep.events if "EO 14110" in e.identifiers)
    assert not eo.summary.startswith("By the authority")  # no enacting boilerplate
    for text in (outputs["md"], outputs["page"]):
        for ident in ("EO 14110", "NTIA-2023-0009", "BIS-2024-0047", "ECCN 4E091"):
            assert ident in text
    assert "https://www.regulations.gov/docket/NTIA-2023-0009" in outputs["md"]


def test_counts_read_correctly_and_figures_are_explained(outputs):
    for fmt, text in outputs.items():
        assert not re.search(r"\b1 (items|outlets|events|actors|mentions|errors)\b", text), fmt
        # a singular count is read as one (since #13 the sample's one-item briefing notice
        # ranks as a notice, below the ten key events shown)
        assert re.search(r"\b1 (item|echo copy|event)\b", text), fmt
        for word in ("Noise (0-100)", "Echo copies", "Attention", "Velocity", "Importance"):
            assert word.lower() in text.lower(), (fmt, word)


def test_noise_level_is_dated_from_relevant_items_with_its_baseline(rep, outputs):
    nb = rep.noise
    assert nb is not None and nb.relevant > 0 and rep.noise_level == nb.level
    days = [d for d, rel, _, _ in rep.daily if rel]
    assert nb.day == days[-1]
    assert rep.daily[-1][1] == 0 and rep.daily[-1][0] > nb.day  # the off-topic day is skipped
    for text in outputs.values():
        assert f"as of {nb.day}" in text.replace("AS OF", "as of")
        assert "28 days before" in text


# --- sides (#12, point 5) ---------------------------------------------------------------------

def test_sides_are_named_by_what_they_want_with_their_actors(rep, outputs):
    for text in outputs.values():
        assert "Critics" not in text and "Defenders" not in text
        for name in ("For restriction", "For open release", "Evaluating"):
            assert name in text
    for stance, actors, total in rep.actors:
        assert total >= len(actors) > 0
        names = [n for n, _ in actors]
        assert len(names) == len(set(names))
        for name, latest in actors:
            assert latest.stance == stance and latest.actor == name
            later = [s for s in rep.signals if s.actor == name and s.stance == stance
                     and (s.published or "") > (latest.published or "")]
            assert not later  # it is that actor's latest item on this side
    restrict = dict(next(a for s, a, _ in rep.actors if s == "restrict"))
    assert "Covington" in restrict or "404 Media" in restrict


# --- syndication -------------------------------------------------------------------------------

def test_syndicated_copies_count_as_echo(demo):
    db = store.open_db(demo / "monitor.db")

    def roles(fragment: str) -> list[str]:
        return [r for (r,) in db.execute(
            "SELECT event_items.role FROM event_items JOIN items ON items.id = "
            "event_items.item_id WHERE items.url LIKE ?", [f"%{fragment}%"])]

    journal = roles("thejournal.com") + roles("campustechnology.com")
    assert sorted(journal) == ["echo", "member"]
    release = roles("ntia-solicits-comments-open-weight-ai-models")
    assert len(release) == 3 and release.count("member") == 1  # ntia.gov, commerce.gov: once
    event = invoke(demo, "event", rep_event(db, "2024-20529"), "--json")
    assert event.exit_code == 0


def rep_event(db, document: str) -> str:
    return db.execute("SELECT event_id FROM event_items WHERE item_id LIKE ?",
                      [f"%:{document}"]).fetchone()[0]


# --- feed, calendar, subject -------------------------------------------------------------------

def test_feed_has_one_entry_per_event_and_a_self_link(demo, tmp_path):
    out = tmp_path / "f.atom"
    result = invoke(demo, "feed", "--since", "all", "--self-url",
                    "https://example.org/monitor/feed.atom", "--out", str(out))
    assert result.exit_code == 0
    parsed = feedparser.parse(out.read_bytes())
    assert parsed.bozo == 0
    assert {"rel": "self", "href": "https://example.org/monitor/feed.atom",
            "type": "application/atom+xml"} in parsed.feed.links
    links = [e.link for e in parsed.entries]
    assert len(links) == len(set(links))  # one entry per link: no document twice
    fr = [e for e in parsed.entries if "2025-00636" in e.summary]
    assert len(fr) == 1 and "Sources:" in fr[0].summary and "FedScoop" in fr[0].summary
    assert {a.name for a in fr[0].authors} >= {"BIS", "Federal Register"}


def test_calendar_has_dockets_and_marks_a_moot_deadline(demo, tmp_path):
    ics = tmp_path / "d.ics"
    assert invoke(demo, "deadlines", "--ics", str(ics)).exit_code == 0
    events = {str(e.decoded("dtstart")): e
              for e in icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT")}
    rfc = str(events["2024-03-27"]["description"])
    assert "https://www.regulations.gov/docket/NTIA-2023-0009" in rfc
    assert "Moot" not in rfc and "STATUS" not in events["2024-03-27"]
    ifr = events["2025-05-15"]
    assert str(ifr["summary"]).startswith("(moot) Comments due")
    assert str(ifr["status"]) == "CANCELLED"
    assert "Rescission" in str(ifr["description"]) and "BIS-2025-0001" in str(
        ifr["description"])


def test_subject_and_first_line_say_what_moved(rep, outputs):
    top = rep.events[0]
    assert rep.headline.startswith(f"What moved: {top.score.title}")
    subject = digest_subject(rep)
    assert subject.startswith(f"[monitor] {top.score.title[:40]}")
    assert f"noise {top.score.noise:.0f}" in subject and f"Noise Level {rep.noise_level}" in subject
    assert "\n" not in subject
    first = [line for line in outputs["md"].splitlines() if line.strip()][1]
    assert first.startswith("**What moved:")
