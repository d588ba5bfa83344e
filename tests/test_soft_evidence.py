"""Relevance from fitted weights, stance read with negation, and eval's stance scores."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.classify import classify, compile_debate, forget
from monitor.classify.model import (
    dump,
    fit,
    load_weights,
    weights_path,
    words_of,
)
from monitor.cli import cli
from monitor.config import load_debate
from monitor.errors import ConfigError
from monitor.evaluate import evaluate, load_labels
from monitor.types import Item

DEBATE = load_debate("open-weights")
SHIPPED = Path(DEBATE.path)
SET = Path(__file__).resolve().parent / "data" / "labelset"


def item(title: str, summary: str = "", kind: str = "feed", **extra) -> Item:
    return Item(id="t:1", source_id="t", guid="1", url="", title=title, summary=summary,
                published=None, kind=kind, extra=extra)


# Real headlines and first sentences (tests/data/labelset), and the issue's own example.
@pytest.mark.parametrize(("title", "summary", "stance"), [
    ("Export Controls on Open-Source Models Will Not Win the AI Race", "", "open"),
    ("US Expands AI Export Controls to Model Weights, Not Just Chips",
     "The US has expanded export controls from just computer chips to now include AI model "
     "weights, which may be seen as important as missile software.", "restrict"),
    ("NTIA Report — Dual-Use Foundation Models with Widely Available Weights",
     "NTIA's open-weights report concluded that the federal government should monitor — but "
     "not currently restrict — the public release of advanced AI model weights.", "open"),
    ("There Is No General First Amendment Right to Distribute Machine-Learning Model Weights",
     "", "restrict"),
    ("Comment urging NTIA not to restrict open models", "", "open"),
    ("Governor Newsom vetoes California's frontier-AI safety bill SB 1047", "", "open"),
    ("Commerce opens comments on regulating certain influential AI models", "", "neutral"),
])
def test_stance_reads_negation(title, summary, stance):
    sig = classify(item(title, summary), DEBATE)
    assert sig.stance == stance, sig.stance_cues


# New items (tests/data/labelset/dev2.csv, part 2a): attribution, reversal verbs, scope.
@pytest.mark.parametrize(("title", "summary", "stance"), [
    ("Senate strips Cruz 10-year state AI ban from budget bill, 99-1",
     "The Senate voted 99-1 to strip a provision from the One Big Beautiful Bill that would "
     "have banned states from regulating artificial intelligence for 10 years.", "restrict"),
    ("Senate Votes 99-1 to Remove AI Moratorium, Reinstate State Oversight", "", "restrict"),
    ("Trump Executive Order Activates DOJ Task Force to Override State AI Laws", "", "open"),
    ("Open Source AI Regulation Risks Stifling Innovation, Warn Experts", "", "open"),
    ("California’s AI safety bill puts open source in the spotlight",
     "California’s SB-1047 would require safety testing and shutdown planning for "
     "sufficiently large AI models. Supporters say the bill is needed to reduce catastrophic "
     "risk, while critics argue it could chill research, slow innovation, and make open "
     "weight AI harder to release.", "neutral"),
    ("Comment urging NTIA not to restrict or ban open models", "", "open"),
])
def test_stance_reads_attribution_reversal_and_scope(title, summary, stance):
    sig = classify(item(title, summary), DEBATE)
    assert sig.stance == stance, sig.stance_cues


def test_one_phrase_one_vote():
    # "state AI ban" is one phrase (a ban on states), not also a "ban" voting the other way
    sig = classify(item("Senate strips Cruz 10-year state AI ban from budget bill"), DEBATE)
    assert "restrict: not 'state ai ban'" in sig.stance_cues
    assert not any(cue.endswith(": ban") or "'ban'" in cue for cue in sig.stance_cues)


def test_negated_cue_is_shown_as_such():
    sig = classify(item("Comment urging NTIA not to restrict open models"), DEBATE)
    assert "open: not 'restrict'" in sig.stance_cues


def test_a_relevant_proposed_rule_without_cues_restricts():
    sig = classify(item("Establishment of Reporting Requirements for the Development of "
                        "Advanced Artificial Intelligence Models and Computing Clusters",
                        type="Proposed Rule"), DEBATE)
    assert sig.relevant and sig.stance == "restrict"


def test_words_and_pairs():
    assert words_of(" urge ntia not to restrict ") == {
        "urge", "urge ntia", "ntia", "ntia not", "not", "not to", "to", "to restrict",
        "restrict"}


def test_fit_learns_and_is_deterministic():
    examples = [({"cue:open weight", "word:ban"}, True), ({"cue:ai"}, False),
                ({"cue:open weight"}, True), ({"cue:ai", "word:ban"}, False)] * 3
    one, two = fit(examples, epochs=300), fit(examples, epochs=300)
    assert one == two
    assert one.score(["cue:open weight"]) > 0.5 > one.score(["cue:ai"])
    assert one.features["cue:open weight"] > 0 > one.features["cue:ai"]


@pytest.fixture
def debate_copy(tmp_path):
    target = tmp_path / "copy.yaml"
    shutil.copy(SHIPPED, target)
    return target


def test_weights_beside_the_debate_decide_relevance(debate_copy):
    assert weights_path(str(debate_copy)) == debate_copy.with_name("copy.weights.json")
    without = load_debate(str(debate_copy))
    # the rules find it not relevant (no governance word), so the weights decide; it holds
    # policy evidence (a stance cue: "briefing")
    text = item("Open-weight models", "A briefing for reporters")
    rule = classify(text, without)
    assert not rule.relevant
    weights = fit([({"cue:open weight"}, True), (set(), False)] * 4, epochs=300)
    debate_copy.with_name("copy.weights.json").write_text(dump(weights))
    forget()  # weights are read once per definition; `monitor train` does this too
    fitted = load_debate(str(debate_copy))
    sig = classify(text, fitted)
    assert compile_debate(fitted).model is not None
    assert sig.version != rule.version and ".w" in sig.version
    assert sig.relevant and sig.relevance == round(weights.score(_names(text, fitted)), 4)


def test_weights_add_to_the_rules_and_never_take_away(debate_copy):
    """With fitted weights, an item the rules find relevant stays relevant at the rules'
    score, however low the weights score it; the weights only add items."""
    found = item("NTIA Solicits Comments on Open-Weight AI Models",
                 "NTIA is seeking comment on the risks and benefits of open model weights.")
    rule = classify(found, load_debate(str(debate_copy)))
    assert rule.relevant
    debate_copy.with_name("copy.weights.json").write_text(dump(fit(
        [({"rule:relevant", "cue:open weight"}, False), (set(), False), ({"cue:x"}, True)] * 4,
        epochs=300)))
    forget()
    fitted = load_debate(str(debate_copy))
    weights = compile_debate(fitted).model
    assert weights is not None and weights.score(_names(found, fitted)) < 0.5
    sig = classify(found, fitted)
    assert sig.relevant and sig.relevance == rule.relevance


def _names(text: Item, debate) -> list[str]:
    from monitor.classify import evidence
    return evidence(text, debate)[1]


def test_bad_weights_file_names_the_file(debate_copy):
    bad = debate_copy.with_name("copy.weights.json")
    bad.write_text("{not json")
    with pytest.raises(ConfigError) as caught:
        load_weights(str(debate_copy))
    assert str(bad) in str(caught.value)


def test_eval_reports_stance(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text(
        "title,relevant,summary,topics,stance\n"
        "Export Controls on Open-Source Models Will Not Win the AI Race,1,,"
        "weight_export_controls,open\n"
        "Senator Hawley Proposes Jail Time For People Who Download DeepSeek,1,,"
        "national_security,restrict\n"
        "NTIA Solicits Comments on Open-Weight AI Models,1,,open_weight_restrictions,neutral\n"
        "Development of a National Spectrum Strategy,0,,,\n", encoding="utf-8")
    report = evaluate(load_labels(path), DEBATE)
    assert report.stance is not None and report.stance.items == 3
    data = report.as_dict()["stance"]
    assert set(data) >= {"accuracy", "macro_f1", "per_class", "confusion"}
    assert set(data["per_class"]) == {"restrict", "open", "neutral"}
    assert 0.0 <= data["accuracy"] <= 1.0


def test_eval_rejects_a_bad_stance(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("title,relevant,stance\nx,1,angry\n")
    with pytest.raises(ConfigError) as caught:
        load_labels(path)
    assert "stance must be one of" in str(caught.value) and str(path) in str(caught.value)


def test_train_command_writes_weights_that_eval_uses(tmp_path):
    debate = tmp_path / "mine.yaml"
    shutil.copy(SHIPPED, debate)
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"debate: {debate}\nsources: []\n")
    labels = Path(__file__).resolve().parent / "data" / "labels.csv"
    runner = CliRunner()
    base = ["--db", str(tmp_path / "m.db"), "--sources", str(sources)]
    result = runner.invoke(cli, [*base, "train", str(labels)])
    assert result.exit_code == 0, result.output
    written = tmp_path / "mine.weights.json"
    assert written.is_file() and "wrote" in result.output
    data = json.loads(written.read_text())
    assert data["format"] == 1 and data["features"] and data["trained_on"] == "labels.csv"
    result = runner.invoke(cli, [*base, "eval", str(labels), "--json"])
    assert result.exit_code == 0, result.output
    assert ".w" in json.loads(result.output)["version"]


# Real titles and FR `action` texts: NTIA's open-weights RFC (2024-03763) and the AI
# Diffusion rule (2025-00636).
@pytest.mark.parametrize(("title", "action", "stance"), [
    ("Dual Use Foundation Artificial Intelligence Models With Widely Available Model Weights",
     "Notice; request for comment.", "neutral"),
    ("Framework for Artificial Intelligence Diffusion",
     "Interim final rule; request for comments.", "restrict"),
])
def test_a_relevant_official_document_is_read_by_its_action(title, action, stance):
    sig = classify(item(title, kind="federal_register", action=action,
                        document_number="2024-00001"), DEBATE, "agency")
    assert sig.relevant and sig.stance == stance, sig.stance_cues
    assert sig.stance_cues[0].startswith(f"{stance}: the document's action is")


def test_actions_that_open_restrict_or_ask():
    from monitor.classify.stance import _by_action
    assert _by_action("Final rule; rescission.") == ("open", "rescission")
    assert _by_action("Proposed rule.") == ("restrict", "proposed rule")
    assert _by_action("Notice of public briefing.") == ("neutral", "briefing")
    assert _by_action("Notice.") is None


def test_a_verdict_word_read_as_a_noun_is_no_verdict():
    sig = classify(item("New York A6453 (RAISE Act)",
                        "Enables state enforcement through penalties, prohibiting deployments "
                        "that pose critical harm risks."), DEBATE)
    assert sig.stance == "restrict", sig.stance_cues


def test_classify_scores_as_explain_does(debate_copy):
    """classify sums the weights without naming the features (model.Scorer); explain and
    train name them: both give the same relevance on the dev part."""
    from monitor.classify import evidence
    from monitor.config import default_role
    from monitor.evaluate import _item
    fitted = Path(__file__).parent / "fixtures" / "weights" / "dev.weights.json"
    debate_copy.with_name("copy.weights.json").write_bytes(fitted.read_bytes())
    forget()
    debate = load_debate(str(debate_copy))
    assert compile_debate(debate).model is not None
    for label in load_labels(SET / "dev.csv"):
        lab = _item(label)
        fast = classify(lab, debate, default_role(label.source_kind))
        named = evidence(lab, debate, default_role(label.source_kind))[0]
        assert abs(fast.relevance - named.relevance) <= 1e-4, label.title
        assert fast.relevant == named.relevant, label.title


def test_train_cross_validates_and_reports(tmp_path):
    debate = tmp_path / "mine.yaml"
    shutil.copy(SHIPPED, debate)
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"debate: {debate}\nsources: []\n")
    labels = Path(__file__).resolve().parent / "data" / "labels.csv"
    base = ["--db", str(tmp_path / "m.db"), "--sources", str(sources)]
    result = CliRunner().invoke(cli, [*base, "train", str(labels), "--cv", "3", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["folds"] == 3 and 0.2 <= data["boundary"] <= 0.7
    held = data["cross_validated"]
    assert held["tp"] + held["fn"] == sum(1 for r in load_labels(labels) if r.relevant)
    bad = CliRunner().invoke(cli, [*base, "train", str(labels), "--cv", "1"])
    assert bad.exit_code == 2 and "--cv must be 0 or 2 to" in bad.output


def test_a_title_naming_an_instrument_is_relevant_with_weights(debate_copy):
    """EO 14110 (2023-24283) comes from the API with an empty abstract: its title is the
    instrument, so the fitted model counts it relevant whatever the score."""
    from monitor.classify import evidence
    fitted = Path(__file__).parent / "fixtures" / "weights" / "dev.weights.json"
    debate_copy.with_name("copy.weights.json").write_bytes(fitted.read_bytes())
    forget()
    debate = load_debate(str(debate_copy))
    eo = item("Safe, Secure, and Trustworthy Development and Use of Artificial Intelligence",
              kind="federal_register", document_number="2023-24283",
              type="Presidential Document")
    signal, names, _, _ = evidence(eo, debate, "agency")
    assert "title:instrument" in names and signal.relevant
    mention = item("AI in Global Development Playbook",  # labelled 0 in dev.csv
                   "The United States Agency for International Development and the U.S. "
                   "Department of State, in coordination with the National Institute of "
                   "Standards and Technology (NIST), seek information to assist in carrying "
                   "out responsibilities under Executive Order 14110 on Safe, Secure, and "
                   "Trustworthy Development and Use of Artificial Intelligence",
                   kind="federal_register", document_number="2024-00001")
    assert "title:instrument" not in evidence(mention, debate, "agency")[1]


def test_explain_says_why_the_verdict_is_not_the_scores():
    from monitor.cli.analyse import _override
    assert "title names an instrument" in _override(-3.0, (("title:instrument", 1.0),),
                                                     True, 0.5)
    assert "no policy evidence" in _override(0.0, (("word:x", 2.0),), False, 0.5)
    assert _override(0.0, (("word:x", 2.0),), True, 0.5) == ""
    # the rules find it relevant: the relevance shown is the rules', whatever the score
    assert "the rules' own (0.900" in _override(-3.0, (("word:x", 1.0),), True, 0.5, 0.9)


def test_eval_reports_stance_on_the_items_it_found(tmp_path):
    """A missed item has no stance to read: `accuracy` counts it wrong, `found_accuracy`
    is the stance on the relevant items the classifier found (how far to trust a side it
    shows)."""
    path = tmp_path / "labels.csv"
    path.write_text(
        "title,relevant,summary,topics,stance\n"
        "Senator Hawley Proposes Jail Time For People Who Download DeepSeek,1,,"
        "national_security,restrict\n"
        "Unexpected AI Danger,1,Last week I asked people what scares them most about AI.,"
        "open_weight_restrictions,restrict\n", encoding="utf-8")
    report = evaluate(load_labels(path), DEBATE)
    st = report.stance
    assert st is not None and st.items == 2 and st.found == 1
    assert st.accuracy == 0.5 and st.found_accuracy == 1.0
    data = report.as_dict()["stance"]
    assert data["found_relevant"] == 1 and data["found_accuracy"] == 1.0
