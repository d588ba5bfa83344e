"""monitor.text: the one fold, stem, html_to_text and parse_date every stage uses."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from monitor.text import MAX_TEXT, fold, fold_lowered, html_to_text, parse_date, parse_day, stem


@pytest.mark.parametrize(("word", "expected"), [
    pytest.param("policies", "policy", id="ies"),
    pytest.param("processes", "process", id="sses"),
    pytest.param("addresses", "address", id="sses-2"),
    pytest.param("models", "model", id="s"),
    pytest.param("weights", "weight", id="s-2"),
    pytest.param("process", "process", id="ss"),
    pytest.param("status", "status", id="us"),
    pytest.param("analysis", "analysis", id="is"),
    pytest.param("ties", "tie", id="short-ies-is-plain-s"),
    pytest.param("bus", "bus", id="short"),
    pytest.param("gas", "gas", id="three-letters"),
    pytest.param("model", "model", id="singular"),
])
def test_stem(word, expected):
    assert stem(word) == expected


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("Open-Weight Models", " open weight models ", id="hyphen"),
    pytest.param("U.S. export controls", " u s export controls ", id="dots"),
    pytest.param("model\u2019s \u201cweights\u201d \u2014 10\u00a0B", " model s weights 10 b ",
                 id="unicode-punctuation"),
    pytest.param("Caf\u00e9 r\u00e8gles_AI", " caf\u00e9 r\u00e8gles ai ", id="letters-kept"),
    pytest.param("", "  ", id="empty"),
])
def test_fold(text, expected):
    assert fold(text) == expected
    assert fold_lowered(text.lower()) == expected


@pytest.mark.parametrize(("html", "expected"), [
    pytest.param("<p>a</p><p>b</p>", "a b", id="blocks"),
    pytest.param("foo<b>bar</b>", "foo bar", id="inline-tag-is-a-space"),
    pytest.param("a &amp; b &nbsp; c &#8212; d", "a & b c \u2014 d", id="entities"),
    pytest.param("5 < 6 and 7 > 3", "5 < 6 and 7 > 3", id="lone-less-than-is-text"),
    pytest.param("x<y then z", "x<y then z", id="unclosed-is-text"),
    pytest.param('<a title="x>y" href=\'a>b\'>link</a> t', "link t", id="quoted-gt"),
    pytest.param("<!-- c --> t <script>x()</script> u <style>p{}</style>", "t u",
                 id="hidden-elements"),
    pytest.param("a <SCRIPT type='x'>bad()</SCRIPT > b <noscript>n</noscript>", "a b",
                 id="hidden-any-case"),
    pytest.param("keep <script>never closed", "keep", id="unclosed-script-runs-to-end"),
    pytest.param("keep <!-- never closed", "keep", id="unclosed-comment"),
    pytest.param("<![CDATA[x]]> y <?pi?> z", "y z", id="declarations"),
    pytest.param("<div>  many   spaces\n\n\ttab</div>", "many spaces tab", id="whitespace"),
    pytest.param("&lt;b&gt; is text", "<b> is text", id="escaped-tag-stays-text"),
    pytest.param("AT&T's plain text", "AT&T's plain text", id="plain"),
    pytest.param(None, "", id="none"),
    pytest.param(42, "42", id="number"),
])
def test_html_to_text(html, expected):
    assert html_to_text(html) == expected


def test_html_to_text_caps_its_output():
    assert len(html_to_text("word " * MAX_TEXT)) == MAX_TEXT


def test_plain_text_is_returned_as_is():
    text = "Commerce proposes reporting rules for dual-use foundation models."
    assert html_to_text(text) is text


UTC_NOON = datetime(2024, 7, 30, 12, 0, tzinfo=UTC)
MIDNIGHT = datetime(2024, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("2024-07-30", MIDNIGHT, id="iso-date"),
    pytest.param("2024-07-30T12:00:00Z", UTC_NOON, id="iso-z"),
    pytest.param("2024-07-30T08:00:00-04:00", UTC_NOON, id="iso-offset"),
    pytest.param("2024-07-30T12:00:00", UTC_NOON, id="iso-naive-is-utc"),
    pytest.param("Tue, 30 Jul 2024 12:00:00 GMT", UTC_NOON, id="rfc2822"),
    pytest.param("July 30, 2024", MIDNIGHT, id="written"),
    pytest.param("Jul. 30, 2024", MIDNIGHT, id="abbreviated"),
    pytest.param("Sept. 5, 2024", datetime(2024, 9, 5, tzinfo=UTC), id="sept"),
    pytest.param("September 5, 2024", datetime(2024, 9, 5, tzinfo=UTC), id="september"),
    pytest.param("July 30,2024", MIDNIGHT, id="comma-unspaced"),
    pytest.param("July 30 2024", MIDNIGHT, id="no-comma"),
    pytest.param("30 July 2024", MIDNIGHT, id="day-first"),
    pytest.param("07/30/2024", MIDNIGHT, id="us-numeric"),
    pytest.param("Tuesday, July 30, 2024", MIDNIGHT, id="weekday"),
    pytest.param("  July\n30,  2024 ", MIDNIGHT, id="whitespace"),
    pytest.param("Posted on July 30, 2024 by staff", MIDNIGHT, id="embedded"),
    pytest.param("no date here", None, id="none"),
    pytest.param("2024-02-30", None, id="impossible-day"),
    pytest.param("", None, id="empty"),
    pytest.param(None, None, id="missing"),
])
def test_parse_date(text, expected):
    assert parse_date(text) == expected


def test_parse_date_ignores_what_is_not_text():
    assert parse_date(20240730) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("2024-03-27", date(2024, 3, 27), id="iso"),
    pytest.param("2024-03-27T23:30:00-05:00", date(2024, 3, 27), id="its-own-day-not-utc"),
    pytest.param("March 27, 2024", date(2024, 3, 27), id="written"),
    pytest.param("someday", None, id="none"),
])
def test_parse_day(text, expected):
    assert parse_day(text) == expected


def test_html_to_text_can_leave_whitespace_alone():
    assert html_to_text("a  <b>b</b>\nc &amp; d", squeeze=False) == "a   b \nc & d"
    text = "title\n  summary"
    assert html_to_text(text, squeeze=False) is text


@pytest.mark.parametrize(("text", "day"), [
    pytest.param("Comments must be received by September 5, 2024.", "2024-09-05", id="september"),
    pytest.param("Comments must be received by Sept. 5, 2024.", "2024-09-05", id="sept"),
    pytest.param("Comments must be received by March 27, 2024.", "2024-03-27", id="march"),
])
def test_extract_reads_deadlines_through_parse_day(text, day):
    """extract's date reader was its own copy, and its "Sept" -> "Sep" turned "September"
    into "Sepember": a September deadline was lost."""
    from monitor.classify.extract import extract

    assert ("comment_deadline", day) in [(e.kind, e.value) for e in extract(text)]
