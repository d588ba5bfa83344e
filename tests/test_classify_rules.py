"""The definition's rules that make the classifier generalize: an instrument named in the
title fires its topic, one cited only in the text needs a `cited_with` cue beside it (the
Federal Register cites EO 14110 in dozens of documents a year about other duties); a topic's
`leans` is the side of an item about it that names none; verdicts, passive reversals and
support read from a headline. Real titles and abstracts: tests/data/labelset/ (dev, dev2,
dev3), tests/data/labels.csv and data/sample/http/federalregister/ai-notices.json."""

from __future__ import annotations

import pytest

from monitor.classify import classify
from monitor.config import load_debate
from monitor.errors import ConfigError
from monitor.types import Item

DEBATE = load_debate("open-weights")

PIA = ("Request for Information: Privacy Impact Assessments",
       "Pursuant to the Executive order on Safe, Secure, and Trustworthy Development and Use "
       "of Artificial Intelligence, the Office of Management and Budget (OMB) is requesting "
       "public input on how privacy impact assessments (PIAs) may be more effective at "
       "mitigating privacy risks, including those that are further exacerbated by artificial "
       "intelligence (AI) and other advances in technology and data capabilities.")
NIST = ("Request for Information (RFI) Related to NIST's Assignments Under Sections 4.1, 4.5 "
        "and 11 of the Executive Order Concerning Artificial Intelligence (Sections 4.1, 4.5, "
        "and 11)",
        "The National Institute of Standards and Technology (NIST) is seeking information to "
        "assist in carrying out several of its responsibilities under the Executive order on "
        "Safe, Secure, and Trustworthy Development and Use of Artificial Intelligence issued "
        "on October 30, 2023. Among other things, the E.O. directs NIST to undertake an "
        "initiative for evaluating and auditing capabilities relating to Artificial "
        "Intelligence (AI) technologies and to develop a variety of guidelines, including for "
        "conducting AI red-teaming tests to enable deployment of safe, secure, and "
        "trustworthy systems.")
EO = ("Safe, Secure, and Trustworthy Development and Use of Artificial Intelligence",
      "Artificial intelligence (AI) holds extraordinary potential for both promise and peril.")


def fr(title: str, abstract: str, doc_type: str = "Notice") -> Item:
    return Item(id="t:1", source_id="t", guid="1", url="", title=title, summary=abstract,
                published=None, kind="federal_register", extra={"type": doc_type})


def test_a_document_citing_the_order_for_other_duties_is_not_about_it():
    sig = classify(fr(*PIA), DEBATE)
    assert not sig.relevant and not sig.topics


def test_a_citation_with_what_the_debate_is_about_fires():
    sig = classify(fr(*NIST), DEBATE)
    assert sig.relevant
    hit = next(t for t in sig.topics if t.topic == "reporting_requirements")
    assert "red teaming" in hit.cues  # explain shows what made the citation count


def test_the_order_itself_fires_by_its_title():
    sig = classify(fr(*EO, doc_type="Presidential Document"), DEBATE)
    assert sig.relevant and "reporting_requirements" in {t.topic for t in sig.topics}


def test_news_of_the_revocation_names_the_order_as_news_does():
    sig = classify(Item(
        id="n:1", source_id="n", guid="1", url="", kind="feed", published=None,
        title="Trump rescinds Biden's executive order on AI safety",
        summary="The order had required developers of powerful models to share test results."),
        DEBATE)
    assert sig.relevant and sig.stance == "open"


BASE = "id: d\ntopics:\n  t:\n    weight: 0.6\n    groups:\n      - [model weight]\n"


def _refused(tmp_path, extra: str) -> str:
    """Return the error a small definition with `extra` lines is refused with."""
    path = tmp_path / "d.yaml"
    path.write_text(BASE + extra)
    with pytest.raises(ConfigError) as info:
        load_debate(str(path))
    return str(info.value)


def test_cited_with_needs_instruments(tmp_path):
    error = _refused(tmp_path, "    cited_with: [red team]\n")
    assert "key 'cited_with'" in error and "no instruments" in error


def test_cited_with_on_a_small_definition(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text(BASE + "      - [ban]\n    instruments: [entity:docket=NTIA-2023-0009]\n"
                    "    cited_with: [open weight]\n")
    debate = load_debate(str(path))
    body = "Comments in docket NTIA-2023-0009 on spectrum."
    assert not classify(Item(id="a", source_id="a", guid="a", url="", title="Spectrum",
                             summary=body, published=None, kind="feed"), debate).topics
    sig = classify(Item(id="b", source_id="b", guid="b", url="", title="Comments",
                        summary=body + " Open-weight models.", published=None, kind="feed"),
                   debate)
    assert sig.relevant and sig.topics[0].cues == ("entity:docket=NTIA-2023-0009", "open weight")
    titled = classify(Item(id="c", source_id="c", guid="c", url="", published=None,
                           title="Docket NTIA-2023-0009", summary="", kind="feed"), debate)
    assert titled.relevant and titled.topics[0].cues == ("entity:docket=NTIA-2023-0009",)


def test_a_topic_leans_when_no_side_is_named(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text("id: d\ntopics:\n  laws:\n    weight: 0.8\n    leans: restrict\n"
                    "    groups:\n      - [frontier model safety bill]\n"
                    "stance:\n  open: [veto]\n")
    debate = load_debate(str(path))
    title = "Illinois Legislature Advances Landmark AI Frontier Model Safety Bill to Governor"
    sig = classify(Item(id="a", source_id="a", guid="a", url="", title=title, summary="",
                        published=None, kind="feed"), debate)
    assert (sig.stance, sig.stance_cues) == (
        "restrict", ("restrict: about laws, and no side named",))
    vetoed = classify(Item(id="b", source_id="b", guid="b", url="", published=None,
                           kind="feed", title="Governor to veto frontier model safety bill",
                           summary=""), debate)
    assert vetoed.stance == "open"  # a side named wins over the lean


def test_leans_must_be_a_stance(tmp_path):
    error = _refused(tmp_path, "    leans: sideways\n")
    assert "key 'leans'" in error and "restrict, open, neutral" in error


@pytest.mark.parametrize(("title", "stance"), [
    # real headlines (dev2.csv, dev3.csv; their sources are in the label set's README)
    ("Banning Open Source AI Would Be A Mistake", "open"),
    ("2023 AI Safety Executive Order Revoked and What Lies Ahead for AI", "open"),
    ("Nvidia snaps back at Biden's 'innovation-killing' AI chip export restrictions", "open"),
    ("Anthropic is endorsing SB 53", "restrict"),
])
def test_verdicts_reversals_and_support_read_from_the_headline(title, stance):
    sig = classify(Item(id="h", source_id="h", guid="h", url="", title=title, summary="",
                        published=None, kind="feed"), DEBATE)
    assert sig.stance == stance, sig.stance_cues


@pytest.mark.parametrize(("title", "summary", "stance"), [
    # real items (dev6.csv, dev7.csv, dev8.csv; sources in the label set's README)
    ("Bipartisan AGs Urge Congress To Shut Down Federal AI Preemption", "", "restrict"),
    ("China Denounces U.S. AI Export Restrictions",
     "Beijing criticizes Washington's tightened export controls on artificial intelligence, "
     "citing disruptions to global trade.", "open"),
    # the veto is of another bill: a verdict is read in the cue's own clause
    ("SF's Anthropic Backs California AI Safety Bill After Newsom Vetoed 1st Attempt",
     "San Francisco-based chatbot maker Anthropic said Monday that it is backing landmark "
     "artificial intelligence legislation in California, one year after the first attempt to "
     "regulate the burgeoning industry ended in a veto by Gov. Gavin Newsom.", "restrict"),
])
def test_reversal_verbs_and_clauses(title, summary, stance):
    sig = classify(Item(id="h", source_id="h", guid="h", url="", title=title, summary=summary,
                        published=None, kind="feed"), DEBATE)
    assert sig.relevant and sig.stance == stance, sig.stance_cues
