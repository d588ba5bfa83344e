"""Parser tests are data: tests/fixtures/<kind>/<name>.<ext> beside <name>.expected.json.

An expected file holds either the parsed items (and next page) or {"error": "<substring>"}.
Regenerate after a deliberate change with: UPDATE_FIXTURES=1 pytest tests/test_parse.py
(then read the diff).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import pytest

from monitor.errors import ParseError
from monitor.parse import parse
from monitor.types import Fetched, Source

FIXTURES = Path(__file__).resolve().parent / "fixtures"
KINDS = ("federal_register", "feed", "html")
URLS = {
    "federal_register": "https://www.federalregister.gov/api/v1/documents.json",
    "feed": "https://www.ntia.gov/rss.xml",
    "html": "https://www.ntia.gov/newsroom/press-releases?page=0",
}
OPTIONS = {"html": {"item": "div.views-row", "title": ".views-field-title a",
                    "link": ".views-field-title a", "date": ".views-field-created",
                    "summary": ".teaser"}}
TYPES = {".json": "application/json", ".xml": "application/rss+xml",
         ".atom": "application/atom+xml", ".html": "text/html; charset=utf-8"}


def cases() -> list[Path]:
    return sorted(p for kind in KINDS for p in (FIXTURES / kind).iterdir()
                  if not p.name.endswith(".expected.json"))


def run_parser(path: Path) -> dict:
    kind = path.parent.name
    source = Source(id="s", kind=kind, url=URLS[kind], interval=3600,
                    options=OPTIONS.get(kind, {}))
    fetched = Fetched(source_id="s", url=URLS[kind], status=200,
                      headers={"content-type": TYPES[path.suffix]}, body=path.read_bytes(),
                      elapsed_ms=1)
    try:
        parsed = parse(source, fetched)
    except ParseError as e:
        return {"error": e.reason}
    return {"items": [asdict(i) for i in parsed.items], "next_url": parsed.next_url,
            "total": parsed.total, "notes": list(parsed.notes)}


@pytest.mark.parametrize("path", cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(path: Path):
    expected_path = path.with_name(path.stem + ".expected.json")
    got = run_parser(path)
    if os.environ.get("UPDATE_FIXTURES"):
        expected_path.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n")
    expected = json.loads(expected_path.read_text())
    if "error" in expected:
        assert "error" in got, f"expected a parse error, got {got}"
        assert expected["error"] in got["error"]
    else:
        assert got == expected


def test_every_kind_has_fixtures():
    for kind in KINDS:
        assert list((FIXTURES / kind).glob("*.expected.json")), kind
