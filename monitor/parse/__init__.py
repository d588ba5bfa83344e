"""parse(source, fetched) -> Parsed: dispatch on the source's kind. Parsers get bytes, not URLs."""

from __future__ import annotations

from collections.abc import Callable

from ..types import Fetched, Parsed, Source
from . import federal_register, feed, html, regulations_gov

Parser = Callable[[Source, bytes, dict[str, str], str], Parsed]

PARSERS: dict[str, Parser] = {
    "federal_register": federal_register.parse,
    "feed": feed.parse,
    "html": html.parse,
    "regulations_gov": regulations_gov.parse,
}


def parse(source: Source, fetched: Fetched) -> Parsed:
    """Return the items (and next page) in one fetched body; raise ParseError when unreadable."""
    return PARSERS[source.kind](source, fetched.body, fetched.headers, fetched.url)
