"""An instrument named in the title fires its topic; cited only in the text, it needs one of
the topic's `cited_with` cues beside it (the Federal Register cites EO 14110 in dozens of
documents a year about other duties). Real titles and abstracts: tests/data/labelset/dev.csv,
tests/data/labels.csv and data/sample/http/federalregister/ai-notices.json."""

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


def test_cited_with_needs_instruments(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text(BASE + "    cited_with: [red team]\n")
    with pytest.raises(ConfigError) as info:
        load_debate(str(path))
    assert "key 'cited_with'" in str(info.value) and "no instruments" in str(info.value)


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
