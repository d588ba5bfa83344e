"""What an item becomes for clustering: its content tokens, title key, keys and dates."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache
from itertools import repeat
from sys import intern
from urllib.parse import urlsplit

from ..text import fold, stem
from ..types import Entity, Item, Member, Signal
from .dates import aware

_PRIMARY_KINDS = ("fr_doc", "fr_citation")
_SECONDARY_KINDS = ("docket", "rin")
_REFERENCE_ORDER = ("fr_doc", "fr_citation", "docket", "rin", "bill", "executive_order")
_SPECIFIC = {"fr_doc", "fr_citation", "docket", "rin", "bill", "executive_order", "eccn"}
_STOP = frozenset([
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in",
    "into", "is", "it", "its", "of", "on", "or", "that", "the", "their", "this", "to", "was",
    "were", "will", "with", "new", "says", "said", "after", "over", "about", "us", "u", "s",
    "more", "than", "how", "what", "why", "who", "not", "no", "can", "could", "may", "would",
    "should", "amp",
])


_STEMS: dict[str, str | None] = {}  # token -> its stem, None for a stop word or a short one
_UNSEEN = ""


def tokens(text: str) -> tuple[str, ...]:
    """Return the content tokens of a text: lower-case stems without stop words."""
    words = fold(text).split()
    stems = list(map(_STEMS.get, words, repeat(_UNSEEN, len(words))))
    if _UNSEEN in stems:
        for k, seen in enumerate(stems):
            if seen is _UNSEEN:
                t = words[k]
                stems[k] = None if t in _STOP or (len(t) <= 2 and not t.isdigit()) else stem(t)
                if len(_STEMS) < 500_000:
                    _STEMS[t] = stems[k]
    return tuple(filter(None, stems))


@lru_cache(maxsize=65_536)
def title_key(title: str) -> str:
    """Return a title's content tokens joined by spaces (what title likeness compares)."""
    return " ".join(tokens(title))


def _kind(item: Item, signal: Signal, role: str) -> str:
    official = item.official
    subtype = (official.subtype or "").lower()
    doc_type = (official.kind_of_document or "").lower()
    action = (official.action or "").lower()
    if "executive order" in subtype:
        return "executive_order"
    if subtype:
        return subtype.replace(" ", "_")
    if doc_type == "rule":
        return "interim_final_rule" if "interim" in action else "rule"
    if doc_type:
        return doc_type.replace(" ", "_")
    if role == "agency":
        return "press_release"
    return "commentary" if signal.authority == "commentary" else "news"


def _outlet(item: Item) -> str:
    url = item.url
    if url.startswith(("https://", "http://")) and url.isascii() and url.isprintable() \
            and not any(c in url for c in "@[\\ "):
        netloc = url.split("//", 1)[1]
        for end in "/?#":
            netloc = netloc.split(end, 1)[0]
        host = netloc.split(":", 1)[0].lower()  # what urlsplit's hostname would say
    else:
        host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or item.source_id


def _not_future(value: str | None, fallback: datetime) -> datetime:
    """Return an item's ISO time read once, as an aware datetime, or ``fallback`` when it is
    missing, unreadable or later than ``fallback``."""
    if value:
        try:
            return min(aware(value), fallback)
        except ValueError:
            pass
    return fallback


# Members repeat a few values (sources, outlets, kinds, topic lists): one copy of each, for
# the 100,000s of members a large timeline build holds at once.
_SHARED: dict[tuple[str, ...], tuple[str, ...]] = {}


def _reference(own: list[Entity], cited: list[Entity]) -> str | None:
    """Return the one key an item without keys of its own cites: of the likeliest kind, the
    first cited (else the first own) entity."""
    first: dict[str, Entity] = {}
    for e in (*sorted(cited, key=lambda e: e.start), *own):
        first.setdefault(e.kind, e)
    for kind in _REFERENCE_ORDER:
        if kind in first:
            return f"{kind}:{first[kind].value}"
    return None


def member_of(item: Item, signal: Signal, *, weight: float, role: str,
              fetched_at: datetime | None, now: datetime) -> Member:
    """Return what clustering needs of one relevant item and its signal.

    An item without a date takes its fetch time; a date in the future is taken as now.
    """
    fetched = fetched_at or now
    published = _not_future(item.published, min(fetched, now) if item.published is None
                            else now)
    own = [e for e in signal.entities if e.start < 0]
    cited = [e for e in signal.entities if e.start >= 0]
    primary = [f"{e.kind}:{e.value}" for e in own if e.kind in _PRIMARY_KINDS]
    eo = item.official.executive_order_number
    if eo:
        primary.append(f"executive_order:{eo}")
    secondary = [f"{e.kind}:{e.value}" for e in own if e.kind in _SECONDARY_KINDS]
    reference = None if primary else _reference(own, cited)
    official = None
    if item.kind == "federal_register":
        official = item.official.signing_date or item.official.publication_date
    text = f"{item.title} {item.summary[:400]}"
    digest = hashlib.sha1(" ".join(tokens(f"{item.title} {item.summary[:2000]}"))
                          .encode()).hexdigest()
    topics = tuple(t.topic for t in signal.topics)
    return Member(
        item_id=item.id, source_id=intern(item.source_id), title=item.title, text=text,
        url=item.url, published=published, authority=intern(signal.authority),
        topics=_SHARED.setdefault(topics, topics), stance=intern(signal.stance), weight=weight,
        outlet=intern(_outlet(item)), primary=tuple(dict.fromkeys(primary)),
        secondary=tuple(dict.fromkeys(secondary)), reference=reference,
        specific=tuple(sorted({f"{e.kind}:{e.value}" for e in signal.entities
                               if e.kind in _SPECIFIC})),
        content_hash=digest, kind=intern(_kind(item, signal, role)), official_date=official,
        draft=item.official.draft,
        earliest=_not_future(item.earliest, fetched) if item.earliest else None)
