"""Properties that hold for any input (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.classify import classify, fold, variants
from monitor.classify.extract import extract
from monitor.cluster import noise_from
from monitor.config import load_debate
from monitor.parse.common import canonical_url, parse_date_text
from monitor.parse.html import html_to_text
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


@given(st.text(max_size=500))
def test_html_to_text_never_leaves_tags(text):
    out = html_to_text(f"<p>{text}</p><script>x()</script>")
    assert "<script" not in out and "x()" not in out


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
    value = parse_date_text(text)
    assert value is None or value.endswith("+00:00")
