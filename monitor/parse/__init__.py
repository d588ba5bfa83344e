"""parse(source, fetched) -> Parsed: dispatch on the source's kind. Parsers get bytes, not URLs.

Whatever a parser read is normalised here, once, for every kind: URLs are http(s) or dropped
and no stored text carries NUL or another C0 control (``safe.stored``, ``safe.url``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .. import safe
from ..types import Fetched, Item, Parsed, Source
from . import congress_gov, federal_register, feed, html, reginfo, regulations_gov

Parser = Callable[[Source, bytes, dict[str, str], str], Parsed]

PARSERS: dict[str, Parser] = {
    "federal_register": federal_register.parse,
    "feed": feed.parse,
    "html": html.parse,
    "regulations_gov": regulations_gov.parse,
    "reginfo": reginfo.parse,
    "congress_gov": congress_gov.parse,
}


def parse(source: Source, fetched: Fetched) -> Parsed:
    """Return the items (and next page) in one fetched body; raise ParseError when unreadable."""
    parsed = PARSERS[source.kind](source, fetched.body, fetched.headers, fetched.url)
    items = tuple(_normalised(item) for item in parsed.items)
    next_url = safe.url(parsed.next_url) or None if parsed.next_url else None
    if next_url == parsed.next_url and all(a is b for a, b in zip(items, parsed.items,
                                                                  strict=True)):
        return parsed
    return replace(parsed, items=items, next_url=next_url)


def problems(source: Source) -> list[str]:
    """Return what is wrong with a source's options that only its parser can tell (CSS
    selectors): the checks `init` and `doctor` make before any fetch."""
    return html.selector_problems(source) if source.kind == "html" else []


def _clean(key: str, value: Any) -> Any:
    if isinstance(value, str):
        return safe.url(value) if key.endswith("_url") else safe.stored(value)
    if isinstance(value, list):
        return [_clean(key, v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(str(k), v) for k, v in value.items()}
    return value


def _normalised(item: Item) -> Item:
    """Return the item with safe URLs and text (the same object when it was safe already)."""
    extra = {k: _clean(k, v) for k, v in item.extra.items()}
    fields = {"url": safe.url(item.url), "title": safe.stored(item.title),
              "summary": safe.stored(item.summary), "guid": safe.stored(item.guid)}
    if extra == item.extra and all(getattr(item, k) == v for k, v in fields.items()):
        return item
    return replace(item, extra=extra, **fields)
