"""The label set that measures generalization: its shape, and the frozen test part."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest

SET = Path(__file__).resolve().parent / "data" / "labelset"
# The test part was drawn at random (seed 12) before any tuning and is frozen: a change to it
# must be a deliberate, documented re-draw, never a fix that makes the figures look better.
TEST_SHA256 = "d58f384e6f898b0a786a52d0fb7ca4996b81bf84ab7a3c72c6151985a95e843c"
TOPICS = {"compute_thresholds", "weight_export_controls", "reporting_requirements",
          "open_weight_restrictions", "national_security", "licensing", "state_frontier_laws",
          "foreign_regimes"}


def rows(name: str) -> list[dict[str, str]]:
    with open(SET / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_test_part_is_frozen() -> None:
    assert hashlib.sha256((SET / "test.csv").read_bytes()).hexdigest() == TEST_SHA256


def test_sizes_and_no_overlap() -> None:
    dev, test = rows("dev"), rows("test")
    assert len(test) >= 200
    assert len(dev) + len(test) >= 600
    titles = [r["title"].strip().lower() for r in dev + test]
    assert len(titles) == len(set(titles))
    assert sum(r["relevant"] == "1" for r in test) >= 25


def test_dev2_is_new_and_split_in_two() -> None:
    # dev2: items gathered after the split to measure stance out of sample (README part 5);
    # none repeats a dev or test title; part 2a was for changing, 2b and 2c for measuring.
    fold = lambda text: " ".join(text.lower().replace("\u2019", "'").split())  # noqa: E731
    seen = {fold(r["title"]) for r in rows("dev") + rows("test")}
    new = rows("dev2")
    assert len(new) >= 50
    assert not seen & {fold(r["title"]) for r in new}
    assert {r["part"] for r in new} == {"2a", "2b", "2c"}


# The measuring halves of dev3 (README part 6: 3b), dev4 (part 7: 4b), dev5 (part 8: 5b),
# dev6 (part 9: 6b), dev7 (part 10: 7b), dev8 (part 11: 8b), dev9 (part 12: 9b) and dev10
# (part 13: 10b), dev11 (part 14: 11b), dev12 (part 15: 12b), dev13 (part 16: 13b), dev14
# (part 17: 14b) and dev15 (part 18: 15b) measure rules changed on their other halves: their
# labelled rows are frozen too.
MEASURING = {"dev3": ("3b", "89e97d53e3ef6620932b7742bea2b533e7f98b3d9f89661e1b8eb299aa17c947"),
             "dev4": ("4b", "6e3dc94b103446db31426367a7ab34c7ab3e951a700fecdd83ca6b0ae2467b84"),
             "dev5": ("5b", "af74b68af8a713a7b85a0c7bdd04ed7d08f7bd02e254a30febb58cdc01a3a342"),
             "dev6": ("6b", "1bbf4f540b1e3614cacac86a3d313f10d008b3f36059d17d38856ce4f49e54e2"),
             "dev7": ("7b", "e250bf6e1aefc9005d7c1b44c45b353c5756dcf32b7fe82a57c46eb749a98ec8"),
             "dev8": ("8b", "01d7df1d9dcab71446504cde64acaf7ed71491ae50ff5952b21910599011e018"),
             "dev9": ("9b", "c4984f9803da9cab2ea7a219ef649cf3cce88d1760d3fc12bc61026a3abf268a"),
             "dev10": ("10b", "6f15de31ee880d4458a42ba510260131c6cac34ccca7dc02fc241e12afcbf6b2"),
             "dev11": ("11b", "7476e4e8e71af95e3c8d3c2f49d1258492cca8f4e6bd3ee80278f28b23754d3b"),
             "dev12": ("12b", "b553598d900e25f71df2a8d953fea78175bf0faa3c161f7ee7c9e71bc582ed9c"),
             "dev13": ("13b", "89338e9921edb86da484a812e9db8be202a2532723edd956fb240aec455a5205"),
             "dev14": ("14b", "28a131de4dbd94059b132caeaed46f1244b38d7d420ff88b790ef1c9788a24c7"),
             "dev15": ("15b", "f9ef668631f847e71e9c9e6c1cc92a57e2c31e3b57e3fe5a9f26380de5bf4cd6")}
BEFORE = {"dev3": [], "dev4": ["dev3"], "dev5": ["dev3", "dev4"],
          "dev6": ["dev3", "dev4", "dev5"], "dev7": ["dev3", "dev4", "dev5", "dev6"],
          "dev8": ["dev3", "dev4", "dev5", "dev6", "dev7"],
          "dev9": ["dev3", "dev4", "dev5", "dev6", "dev7", "dev8"],
          "dev10": ["dev3", "dev4", "dev5", "dev6", "dev7", "dev8", "dev9"],
          "dev11": ["dev3", "dev4", "dev5", "dev6", "dev7", "dev8", "dev9", "dev10"],
          "dev12": ["dev3", "dev4", "dev5", "dev6", "dev7", "dev8", "dev9", "dev10", "dev11"],
          "dev13": [*(f"dev{i}" for i in range(3, 13))],
          "dev14": [*(f"dev{i}" for i in range(3, 14))],
          "dev15": [*(f"dev{i}" for i in range(3, 15))]}


@pytest.mark.parametrize("name", sorted(MEASURING))
def test_new_parts_are_new_split_and_their_measuring_half_frozen(name: str) -> None:
    fold = lambda text: " ".join(text.lower().replace("\u2019", "'").split())  # noqa: E731
    earlier = ["dev", "dev2", "test", *BEFORE[name]]
    seen = {fold(r["title"]) for part in earlier for r in rows(part)}
    new = rows(name)
    assert len(new) >= 100 and not seen & {fold(r["title"]) for r in new}
    half, digest = MEASURING[name]
    assert {r["part"] for r in new} == {half[:-1] + "a", half}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for r in new:
        if r["part"] == half:
            writer.writerow([r["title"], r["relevant"], r["summary"], r["topics"], r["stance"]])
    assert hashlib.sha256(buf.getvalue().encode()).hexdigest() == digest


@pytest.mark.parametrize("name", ["dev", "dev2", "dev3", "dev4", "dev5", "dev6", "dev7", "dev8",
                                  "dev9", "dev10", "dev11", "dev12", "dev13", "dev14", "dev15",
                                  "test"])
def test_rows_follow_the_rules(name: str) -> None:
    for row in rows(name):
        assert row["relevant"] in {"0", "1"}, row["title"]
        topics = {t for t in row["topics"].split(";") if t}
        assert topics <= TOPICS, row["title"]
        if row["relevant"] == "1":
            assert topics and row["stance"] in {"restrict", "open", "neutral"}, row["title"]
        else:
            assert not topics and not row["stance"], row["title"]
        assert row["url"].startswith("http"), row["title"]
        assert row["source_kind"] in {"federal_register", "feed", "html"}, row["title"]
