"""scripts/baserate: its counting on a few real Federal Register rows, and that the judged
lists of tests/data/year cover every document the shipped classifier flags."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.config import load_debate

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "baserate" / "fr-2025.csv"
YEAR = ROOT / "tests" / "data" / "year"

_spec = importlib.util.spec_from_file_location("baserate", ROOT / "scripts" / "baserate.py")
assert _spec and _spec.loader
baserate = importlib.util.module_from_spec(_spec)
sys.modules["baserate"] = baserate
_spec.loader.exec_module(baserate)

J = baserate.Judgement


@pytest.fixture(scope="module")
def debate():
    return load_debate("open-weights")


@pytest.fixture(scope="module")
def docs():
    return baserate.load_year(FIXTURE)


def test_the_word_test_for_ai():
    doc = baserate.Document
    assert baserate.mentions_ai(doc("1", "", "Framework for Artificial Intelligence Diffusion", ""))
    assert baserate.mentions_ai(doc("2", "", "x", "controls on AI model weights"))
    assert baserate.mentions_ai(doc("3", "", "Dual-Use Foundation Models", ""))
    assert not baserate.mentions_ai(doc("4", "", "MACPAC Nominations", "said the aide"))


def test_counts_on_real_rows(docs, debate):
    judged = {"2025-00636": J(True, "IFR"), "2025-05936": J(False, "DOE lands"),
              "2025-01901": J(True, "EO 14148"), "2025-02305": J(False, "broad RFI"),
              "2024-31543": J(False, "FDA devices"), "2025-00637": J(False, "as if not")}
    res = baserate.measure(docs, debate, judged, ["2025-00637", "2025-02305"])
    assert res.documents == 8
    # all but the MACPAC nominations and EO 14148 (empty abstract, no AI word in its title);
    # the Aleutian Islands "AI" counts: the word test is plain
    assert res.ai_mentioning == 6
    # the DOE lands request cites EO 14179 without what the debate is about: not flagged
    flagged = [d.number for d, _ in res.flagged]
    assert flagged == ["2025-00636", "2025-00637"]
    assert (res.judged_relevant, [d.number for d in res.judged_not]) == (1, ["2025-00637"])
    assert res.precision == 0.5
    assert res.unjudged == []
    # known: the judged relevant (00636, 01901); 00637 and 02305 are judged 0
    assert res.known == 2
    assert [(d.number, why) for d, why in res.missed] == [("2025-01901", "EO 14148")]
    # AI-mentioning, not flagged, judged: the FDA guidance, the Action Plan RFI, DOE lands
    assert (res.ai_judged, res.ai_relevant_missed) == (3, [])


def test_a_judged_relevant_ai_document_not_flagged_is_a_miss(docs, debate):
    res = baserate.measure(docs, debate, {"2024-31543": J(True, "as if relevant")})
    assert [d.number for d in res.ai_relevant_missed] == ["2024-31543"]
    assert [d.number for d, _ in res.missed] == ["2024-31543"]
    assert res.precision is None  # nothing flagged is judged
    assert "precision over the year - (none judged)" in "\n".join(baserate.report(res))


def test_the_command_prints_json(tmp_path):
    judged = tmp_path / "judged-2025.csv"
    judged.write_text("document_number,relevant,reason\n2025-00636,1,IFR\n"
                      "2025-00637,0,as if not\n2025-05936,0,DOE lands\n")
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "baserate.py"),
                          str(FIXTURE), "--judged", str(judged), "--json"],
                         capture_output=True, text=True, check=True).stdout
    figures = json.loads(out)
    assert (figures["documents"], figures["ai_mentioning"], figures["flagged"]) == (8, 6, 2)
    assert (figures["flagged_judged"], figures["precision"]) == (2, 0.5)
    assert figures["unjudged"] == []
    assert figures["false_positives"][0]["document_number"] == "2025-00637"


@pytest.mark.parametrize("text, message", [
    ("document_number,relevant\n2025-00636,1\n", "needs the columns"),
    ("document_number,relevant,reason\n2025-00636,yes,IFR\n", "relevant must be 1 or 0"),
    ("document_number,relevant,reason\n2025-00636,1,a\n2025-00636,0,b\n", "judged twice"),
])
def test_a_bad_judged_list_is_named(tmp_path, text, message):
    judged = tmp_path / "judged.csv"
    judged.write_text(text)
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "baserate.py"), str(FIXTURE),
                          "--judged", str(judged)], capture_output=True, text=True)
    assert run.returncode == 2
    assert str(judged) in run.stderr and message in run.stderr


def test_a_missing_year_file_is_named(tmp_path):
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "baserate.py"),
                          str(tmp_path / "fr-2025.csv.gz")], capture_output=True, text=True)
    assert run.returncode == 2 and "fr-2025.csv.gz" in run.stderr and "cannot read" in run.stderr


@pytest.mark.parametrize("year", ["2023", "2024", "2025"])
def test_every_flagged_document_of_the_year_is_judged(year, debate):
    """A change that flags new documents must judge them (tests/data/year/README.md):
    run scripts/baserate tests/data/year/fr-YEAR.csv.gz, judge what it lists as not yet
    judged, add the rows to judged-YEAR.csv."""
    docs = baserate.load_year(YEAR / f"fr-{year}.csv.gz")
    judged = baserate.load_judged(YEAR / f"judged-{year}.csv")
    res = baserate.measure(docs, debate, judged)
    assert [d.number for d, _ in res.unjudged] == []
    # and every judged row is a document of that year file (no mistyped number)
    assert set(judged) <= {d.number for d in docs}


def test_source_text_is_shown_safely(tmp_path, debate):
    year = tmp_path / "fr-2025.csv"
    year.write_text("document_number,title,abstract,url\n"
                    "2025-00636,\"Framework for Artificial Intelligence Diffusion\x1b[2J\","
                    "\"controls on AI model weights\",javascript:alert(1)\n")
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "baserate.py"), str(year)],
                         capture_output=True, text=True, check=True)
    assert "\x1b" not in run.stdout and "\\x1b[2J" in run.stdout
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "baserate.py"), str(year),
                          "--json"], capture_output=True, text=True, check=True).stdout
    assert "\x1b" not in out and json.loads(out)["flagged_documents"][0]["url"] == ""
