"""The fitted stance model (classify/leaning.py): fitting, its file, `monitor train --only
stance`, its use by classify (every relevant item, the rules' verdict one of its features),
and the label parts that `train --skip-part` and `eval --part` select."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.classify import classify, forget, stance_words
from monitor.classify.leaning import dump, fit, load, path_beside
from monitor.cli import cli
from monitor.config import load_debate
from monitor.errors import ConfigError
from monitor.types import Item

SHIPPED = Path(load_debate("open-weights").path)
SET = Path(__file__).resolve().parent / "data" / "labelset"

EXAMPLES = [
    ({"ban", "open", "models"}, "restrict"), ({"ban", "weights"}, "restrict"),
    ({"defend", "open", "models"}, "open"), ({"defend", "release"}, "open"),
    ({"comment", "open", "models"}, "neutral"), ({"comment", "weights"}, "neutral"),
]


def test_fit_learns_and_is_deterministic():
    model = fit(EXAMPLES, min_count=1)
    assert model == fit(EXAMPLES, min_count=1)
    side, chance, pull = model.decide({"ban", "models"})
    assert side == "restrict" and chance > 0.4 and pull[0] == "ban"
    assert model.decide({"defend"})[0] == "open"
    assert model.decide({"comment"})[0] == "neutral"


def test_the_file_round_trips_and_bad_files_are_named(tmp_path):
    debate = tmp_path / "d.yaml"
    model = fit(EXAMPLES, min_count=1, trained_on="x.csv")
    target = path_beside(str(debate))
    assert target == tmp_path / "d.stance.json"
    target.write_text(dump(model))
    forget()
    read = load(str(debate))
    assert read is not None and read.trained_on == "x.csv" and read.digest
    assert read.decide({"ban"})[0] == "restrict"
    target.write_text('{"format": 9}')
    forget()
    with pytest.raises(ConfigError) as caught:
        load(str(debate))
    assert str(target) in str(caught.value) and "format must be 1" in str(caught.value)
    target.write_text('{"format": 1, "sides": ["restrict", "open", "neutral"], '
                      '"bias": [0, 0], "words": {}}')
    forget()
    with pytest.raises(ConfigError) as caught:
        load(str(debate))
    assert "not a stance model" in str(caught.value)
    forget()


@pytest.fixture()
def setup(tmp_path):
    debate = tmp_path / "mine.yaml"
    shutil.copy(SHIPPED, debate)
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"debate: {debate}\nsources: []\n")
    yield tmp_path, ["--db", str(tmp_path / "m.db"), "--sources", str(sources)]
    forget()


def test_train_only_stance_writes_the_model_that_classify_uses(setup):
    tmp_path, base = setup
    runner = CliRunner()
    result = runner.invoke(cli, [*base, "train", str(SET / "dev2.csv"), "--only", "stance",
                                 "--cv", "3", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert "features" not in data and not (tmp_path / "mine.weights.json").exists()
    stance = data["stance"]
    assert stance["wrote"] == str(tmp_path / "mine.stance.json") and stance["folds"] == 3
    assert stance["items"] == stance["cross_validated"]["items"] == 54
    assert (tmp_path / "mine.stance.json").is_file()
    forget()
    debate = load_debate(str(tmp_path / "mine.yaml"))
    # a relevant item whose words name no side: the model decides, and says so
    quiet = classify(Item(id="q", source_id="q", guid="q", url="", published=None,
                          kind="feed", title="California Returns: SB 53 and frontier AI models",
                          summary=""), debate)
    assert quiet.relevant and quiet.stance_cues[0].startswith(
        f"{quiet.stance}: the fitted stance model (")
    assert ".s" in quiet.version
    # a side the rules read in the item's own words is one feature the model weighs, shown
    # with the cues the rules read
    sided = classify(Item(id="s", source_id="s", guid="s", url="", published=None,
                          kind="feed", title="Export Controls on Open-Source Models Will Not "
                          "Win the AI Race", summary=""), debate)
    assert sided.stance == "open"
    assert "the rules read open" in sided.stance_cues[0]
    assert "open: not 'export control'" in sided.stance_cues[1:]
    result = runner.invoke(cli, [*base, "train", str(SET / "dev2.csv"), "--only", "stance"])
    assert result.exit_code == 0 and "cross-validation: stance accuracy" in result.output


def test_train_only_stance_needs_rows_with_a_stance(setup):
    _, base = setup
    result = CliRunner().invoke(cli, [*base, "train", str(SET.parent / "labels.csv"),
                                      "--only", "stance"])
    assert result.exit_code == 2 and "no labelled row has a stance" in result.output


def test_parts_select_the_rows_and_a_misspelt_part_is_an_error(setup):
    _, base = setup
    runner = CliRunner()
    result = runner.invoke(cli, [*base, "eval", str(SET / "dev2.csv"), "--part", "2b",
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["items"] == 23
    bad = runner.invoke(cli, [*base, "eval", str(SET / "dev2.csv"), "--part", "2x"])
    assert bad.exit_code == 2 and "no row is in part '2x'" in bad.output
    assert "2a, 2b, 2c" in bad.output
    bad = runner.invoke(cli, [*base, "train", str(SET / "dev2.csv"), "--skip-part", "4b",
                              "--only", "stance", "--cv", "0"])
    assert bad.exit_code == 2 and "no row is in part '4b'" in bad.output
    good = runner.invoke(cli, [*base, "train", str(SET / "dev2.csv"), str(SET / "dev3.csv"),
                               "--skip-part", "3b", "--only", "stance", "--cv", "0",
                               "--json"])
    assert good.exit_code == 0, good.output
    assert json.loads(good.output)["stance"]["items"] == 54 + 54  # dev2 and dev3's 3a


def _item(title: str) -> Item:
    return Item(id="t", source_id="t", guid="t", url="", published=None, kind="feed",
                title=title, summary="")


def test_the_rules_verdict_is_a_feature_the_model_weighs(tmp_path):
    """The model reads the rules' verdict (stance.reading) beside the words, in train and in
    classify alike: a model that knows only that feature follows the rules' negation."""
    debate_path = tmp_path / "mine.yaml"
    shutil.copy(SHIPPED, debate_path)  # the rules alone: no weights beside the copy
    forget()
    debate = load_debate(str(debate_path))
    item = _item("Coalition urges NTIA not to restrict open-weight AI models")
    words = stance_words(item, debate)
    assert "rules:open" in words and "restrict" in words
    assert not any(w.startswith("rules:") and w != "rules:open" for w in words)
    # a relevant item naming no side: the rules' default verdict, marked as one
    quiet = stance_words(_item("What the RAISE Act asks of frontier model developers"), debate)
    assert {w for w in quiet if w.startswith("rules:")} == {"rules:restrict:default"}
    # the model's file: only the rules' verdicts weigh, against a bias for restrict
    path_beside(str(debate_path)).write_text(json.dumps({
        "format": 1, "sides": ["restrict", "open", "neutral"], "trained_on": "test",
        "bias": [0.5, 0.0, 0.0],
        "words": {"rules:open": [0.0, 2.0, 0.0], "rules:restrict": [2.0, 0.0, 0.0],
                  "restrict": [0.3, 0.0, 0.0]}}))
    forget()
    debate = load_debate(str(debate_path))
    signal = classify(item, debate)
    assert signal.relevant and signal.stance == "open"
    assert signal.stance_cues[0].startswith("open: the fitted stance model (")
    assert "the rules read open" in signal.stance_cues[0]
    assert "open: not 'restrict'" in signal.stance_cues  # the cues the rules read follow
    signal = classify(_item("Senators urge Commerce to restrict open-weight AI models"), debate)
    assert signal.stance == "restrict" and "the rules read restrict" in signal.stance_cues[0]
    forget()
