"""Item.official: the typed fields of an official document, built when the Item is made
(parsed from the real fixtures, read back from the store, or replaced)."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from monitor import store
from monitor.parse import parse
from monitor.types import Fetched, Item, Official, Source
from monitor.types.official import NONE, official_of

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FR_URL = "https://www.federalregister.gov/api/v1/documents.json"


def parsed(kind: str, path: Path, url: str) -> dict[str, Item]:
    source = Source(id="s", kind=kind, url=url, interval=3600)
    fetched = Fetched(source_id="s", url=url, status=200, headers={}, body=path.read_bytes(),
                      elapsed_ms=1)
    return {i.guid: i for i in parse(source, fetched).items}


@pytest.fixture(scope="module")
def fr() -> dict[str, Item]:
    return parsed("federal_register", FIXTURES / "instruments" / "fr-documents.json", FR_URL)


def test_an_executive_order_is_typed(fr):
    eo = fr["2023-24283"].official  # EO 14110, as the Federal Register API serves it
    assert eo.type == "Presidential Document"
    assert eo.executive_order_number == "14110"  # an integer in the API's JSON
    assert eo.signing_date == date(2023, 10, 30)
    assert eo.citation == "88 FR 75191"
    assert eo.disposition_notes == "Revoked by: EO 14148, January 20, 2025"
    assert not eo.draft


def test_a_rule_is_typed(fr):
    rule = fr["2025-00636"].official  # the AI diffusion interim final rule
    assert (rule.document_number, rule.type) == ("2025-00636", "Rule")
    assert rule.regulation_id_numbers == ("0694-AJ90",)
    assert rule.docket_ids == ("Docket No. 250107-0007", "BIS-2025-0001")
    assert (rule.effective_on, rule.comments_close_on) == (date(2025, 1, 13), date(2025, 5, 15))
    assert isinstance(rule.agencies, tuple) and rule.agencies


def test_a_public_inspection_copy_is_a_draft():
    items = parsed("federal_register", FIXTURES / "federal_register" / "public-inspection.json",
                   "https://www.federalregister.gov/api/v1/public-inspection-documents/current.json")
    pi = items["2025-00636"].official
    assert pi.filed_at == datetime(2025, 1, 10, 13, 45, tzinfo=UTC)
    assert pi.publication_date == date(2025, 1, 15)
    assert pi.citation is None and pi.draft


def test_reginfo_and_congress_fields_are_typed():
    review = parsed("reginfo", FIXTURES / "instruments" / "eo-rules-under-review.xml",
                    "https://www.reginfo.gov/public/do/XMLViewFileAction?f=EO_RULES_UNDER_REVIEW.xml")
    first = next(iter(review.values())).official
    assert first.rin and first.stage and isinstance(first.date_received, date)
    actions = parsed("congress_gov", FIXTURES / "instruments" / "congress-s286-actions.json",
                     "https://api.congress.gov/v3/bill/119/s/286/actions")
    action = next(iter(actions.values())).official
    assert action.bill == "S. 286" and action.action_text
    assert isinstance(action.action_date, date)


def test_news_has_no_official_fields():
    item = Item(id="n:1", source_id="n", guid="1", url="", title="t", summary="",
                published=None, kind="feed", extra={"feed_title": "News", "tags": ["AI"]})
    assert item.official is NONE
    assert item.official == Official()


def test_read_back_from_the_store_is_the_same_record(memdb, fr):
    items = list(fr.values())
    store.save_items(memdb, items, "2026-01-01T00:00:00+00:00")
    for item in items:
        back = store.get_item(memdb, item.id)
        assert back is not None and back.official == item.official


def test_official_is_derived_not_a_field(fr):
    item = fr["2025-00636"]
    assert "official" not in asdict(item) and "_official" not in asdict(item)
    assert replace(item, extra={}).official is NONE  # rebuilt from the new extra
    assert replace(item, title="x").official == item.official


@pytest.mark.parametrize(("extra", "expected"), [
    pytest.param({"executive_order_number": 14110}, Official(executive_order_number="14110"),
                 id="number-as-text"),
    pytest.param({"executive_order_number": 0, "citation": ""}, NONE, id="empty-is-none"),
    pytest.param({"type": ["Rule"], "action": {"x": 1}, "citation": True}, NONE,
                 id="wrong-shapes-dropped"),
    pytest.param({"docket_ids": " NTIA-2023-0009 "}, Official(docket_ids=("NTIA-2023-0009",)),
                 id="lone-string-list"),
    pytest.param({"regulation_id_numbers": ["0694-AJ55", None, " ", 7]},
                 Official(regulation_id_numbers=("0694-AJ55", "7")), id="list-cleaned"),
    pytest.param({"comments_close_on": "not a date", "effective_on": 20240101}, NONE,
                 id="bad-dates-none"),
    pytest.param({"documentType": "Proposed Rule"}, Official(document_type="Proposed Rule"),
                 id="regulations-gov-type"),
    pytest.param({"disposition_notes": ["x"]}, NONE, id="notes-must-be-text"),
])
def test_official_of(extra, expected):
    assert official_of(extra) == expected


def test_kind_of_document_prefers_the_federal_register_type():
    assert Official(type="Rule", document_type="Notice").kind_of_document == "Rule"
    assert Official(document_type="Notice").kind_of_document == "Notice"
    assert NONE.kind_of_document is None
