"""Properties that hold for any input (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.classify import classify, fold, variants
from monitor.classify.extract import extract
from monitor.cluster import noise_from
from monitor.config import load_debate
from monitor.parse.common import canonical_url, iso_utc
from monitor.text import html_to_text, parse_date
from monitor.types import Item

DEBATE = load_debate("open-weights")
urls = st.builds(
    lambda scheme, host, port, path, query, frag: f"{scheme}://{host}{port}{path}{query}{frag}",
    st.sampled_from(["http", "https", "HTTPS"]),
    st.sampled_from(["www.ntia.gov", "Example.ORG", "127.0.0.1"]),
    st.sampled_from(["", ":80", ":443", ":8080"]),
    st.text(alphabet="abc/-_.%", max_size=20).map(lambda p: "/" + p),
    st.lists(st.tuples(st.sampled_from(["utm_source", "id", "page", "fbclid", "q"]),
                       st.text(alphabet="xyz19 ", max_size=5)), max_size=4).map(
        lambda kv: ("?" + "&".join(f"{k}={v}" for k, v in kv)) if kv else ""),
    st.sampled_from(["", "#top", "#"]),
)


@given(st.one_of(urls, st.text(max_size=40).map(lambda t: "https://" + t)))
def test_outlet_is_the_links_host(url):
    from urllib.parse import urlsplit

    from monitor.cluster import _outlet

    item = Item(id="x:1", source_id="src", guid="1", url=url, title="t", summary="",
                published=None, kind="feed")
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return  # not a URL urlsplit can read (and not one canonical_url would store)
    assert _outlet(item) == (host.removeprefix("www.") or "src")


@given(urls)
def test_canonical_url_is_idempotent_and_drops_tracking(url):
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert "utm_" not in once and "fbclid" not in once and "#" not in once


@settings(max_examples=200)
@given(st.text(max_size=3000))
def test_text_never_breaks_the_classifier(text):
    sig = classify(Item(id="x:1", source_id="x", guid="1", url="", title=text[:200],
                        summary=text, published=None, kind="feed"), DEBATE)
    assert 0.0 <= sig.relevance <= 1.0
    for e in extract(text):
        assert e.value and (e.start < 0 or 0 <= e.start <= e.end <= len(text))


# Pieces of the sentences entities come from, to be shuffled with noise.
ENTITY_PIECES = [
    "10^26", "10**25", "1e26", "2.5E+25", "3 x 10^25", "10²⁶", "1026", "1020", "10 to the 26th",
    " integer or floating-point operations", " operations per second", " FLOP", " ops",
    "100 septillion", "89 FR 14059", "90 Fed. Reg. 4544", "FR Doc. 2024-20529",
    "Document Number: 2025-00636", "NTIA-2023-0009", "RIN 0694-AJ55", "EO 14110", "E.O. 14148",
    "Executive Order No. 14179", "ECCN 4E091", " export controls", "3A090.a", "H.R. 8315",
    "S. 321", "SB 53", "SB53", "AB 1018", "Senate Bill 1047", "Comments must be received",
    "comments are due", "submit comments", "comment period closes", " on or before ",
    " by ", "March 27, 2024", "effective", " takes effect ", "January 13, 2025", ". ", ", ",
    " ", "-", "\u2019s", "\u2014", "\u0130",
    "Submit comments by March 27, 2024", "Submit written comments on or before May 1, 2025",
    "Comments must be received on or before March 27, 2024",
    "The deadline for submitting comments is October 11, 2024",
    "The comment period closes on April 3, 2025", "This rule is effective January 13, 2025",
    "The rule takes effect on May 15, 2025",
]


@settings(max_examples=300)
@given(st.lists(st.one_of(st.sampled_from(ENTITY_PIECES), st.text(max_size=8)), max_size=30))
def test_gating_never_loses_an_entity(pieces):
    """classify() passes extract() the gates its scan of the folded text opened; extract finds
    exactly what it finds with every gate open."""
    from monitor.classify import _scan, compile_debate
    from monitor.text import fold_lowered as _folded

    text = "".join(pieces)
    lowered = text.lower()
    _, _, gates = _scan(compile_debate(DEBATE), _folded(lowered), lowered)
    assert extract(text, None, lowered, gates) == extract(text)


@given(st.text(max_size=500))
def test_html_to_text_never_leaves_tags(text):
    out = html_to_text(f"<p>{text}</p><script>x()</script>")
    assert "<script" not in out and "x()" not in out


# Text as news feeds write it: ASCII, the Unicode punctuation folded on the fast path,
# letters beyond ASCII, other symbols, and anything at all.
news_text = st.one_of(
    st.text(alphabet=st.sampled_from(list("aZ09 -.,'\"_\t\n") + [
        "\u2019", "\u201c", "\u201d", "\u2013", "\u2014", "\u2011", "\u00a0", "\u2026",
        "\u00bb", "\u00b7", "\u2022", "\u20ac", "\u00e9", "\u0130", "\u00c2", "\u2212"]),
        max_size=80),
    st.text(max_size=80))


@settings(max_examples=500)
@given(news_text)
def test_fold_is_lower_case_words_between_single_spaces(text):
    """The fast fold agrees with its definition: lower-cased, every character that is not a
    letter or a digit a space, runs of spaces one space, a space at either end."""
    spaced = "".join(c if c.isalnum() else " " for c in text.lower())
    assert fold(text) == " " + " ".join(spaced.split()) + " "


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz -", min_size=1, max_size=40))
def test_every_phrase_matches_itself(phrase):
    if fold(phrase).strip():
        assert any(v in fold(phrase) for v in variants(phrase))


@given(st.floats(min_value=0, max_value=1e6), st.lists(st.floats(min_value=0, max_value=1e6),
                                                         max_size=60))
def test_noise_stays_in_range(raw, peers):
    noise, pct = noise_from(raw, peers)
    assert 0 <= noise <= 100 and 0 <= pct <= 1


@given(st.text(max_size=60))
def test_dates_parse_or_are_none(text):
    value = iso_utc(parse_date(text))
    assert value is None or value.endswith("+00:00")


# Pieces of text the debate's phrases are made of, mixed with news-like noise.
PHRASE_PIECES = [" ban ", " state ai ban ", " open weight models ", " export controls ",
                 " ai ", " not ", " restrict ", "10", " executive order ", " ntia ",
                 " \u00e9t\u00e9 ", " \u65e5\u672c ", "\u0130"]


@settings(max_examples=200)
@given(st.lists(st.one_of(st.sampled_from(PHRASE_PIECES), news_text), max_size=12))
def test_scan_finds_every_phrase_where_it_stands(pieces):
    """The automaton reports each occurrence of each phrase (overlapping and nested ones too),
    at the character offsets where it stands in the folded text, however non-ASCII it is."""
    from monitor.classify import compile_debate, occurrences

    folded = fold("".join(pieces))
    matcher = compile_debate(DEBATE)
    hits = occurrences(matcher, folded)
    # in the order stance reads them: by where they end, a longer one first
    assert [(end, start) for _, start, end in hits] == sorted(
        (end, start) for _, start, end in hits)
    found = sorted((start, end, index) for index, start, end in hits)
    expected = []
    for index, phrase in enumerate(matcher.phrases):
        at = folded.find(phrase)
        while at != -1:
            expected.append((at, at + len(phrase), index))
            at = folded.find(phrase, at + 1)
    assert found == sorted(expected)


@settings(max_examples=200)
@given(st.lists(st.one_of(st.sampled_from(PHRASE_PIECES + [
    " open source ", " should not ", " the ", " ban open ", " urge "]), news_text), max_size=40))
def test_the_stance_models_word_scan_finds_what_splitting_finds(pieces):
    """classify finds the stance model's words and word pairs with an automaton over the start
    of the text (scan.Words); it must find exactly those of them that splitting the start into
    words and pairs finds (leaning.words, what the model is fitted on), a word cut off at the
    end of the start included."""
    from monitor.classify import compile_debate
    from monitor.classify.leaning import READS, words

    matcher = compile_debate(DEBATE)
    assert matcher.leaning is not None and matcher.lean_words is not None
    folded = fold("".join(pieces))
    for cut in (READS, len(folded) // 2, len(folded) - 1):
        start = folded[:min(cut, READS)]  # what classify hands the scan
        assert matcher.lean_words.found(start) == (
            words(folded[:cut]) & matcher.leaning.words.keys())
