"""Text every stage reads the same way: fold, stem, html_to_text, parse_date. Standard
library only (a foundation module), one copy of each.

``fold`` and ``stem`` decide what the classifier's cues match and what clustering compares;
``html_to_text`` is how HTML from a source becomes the plain text stored and classified;
``parse_date`` and ``parse_day`` read every date a source or a text writes (ISO 8601,
RFC 2822, "July 30, 2024").
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

# --- fold ---------------------------------------------------------------------------------
# Folding is most of what classify() does to every character, so it stays in C: ASCII
# punctuation becomes spaces with bytes.translate (about a nanosecond a character), the
# Unicode punctuation news text uses (dashes, curly quotes, no-break space, ellipsis, bullet,
# guillemets) is overwritten in place where bytes.find lands on it, and runs of spaces are
# squeezed with one regex pass (a bytes.replace loop takes two to four passes: ", " leaves
# two spaces, a dash between spaces five). Only text with other non-ASCII symbols takes the
# careful path.
_ASCII = bytes(c if chr(c).isalnum() or c >= 0x80 else 0x20 for c in range(256))
_E2_80_MARKS = frozenset(b"\x90\x91\x92\x93\x94\x95\x98\x99\x9c\x9d\xa2\xa6")  # U+2010..
_C2_MARKS = frozenset(b"\xa0\xab\xb7\xbb")  # U+00A0 no-break space, U+00AB, U+00B7, U+00BB
_NOT_WORD = re.compile(r"[\W_]+")
_SPACES = re.compile(rb"  +")


def fold(text: str) -> str:
    """Return text as ' word word word ', lower-case, punctuation and hyphens as spaces."""
    return fold_lowered(text.lower())


def fold_lowered(lowered: str) -> str:
    """Return lower-cased text as ' word word ': every character that is not a letter or a
    digit is a space, and every run of spaces one space (``fold`` of text already lowered)."""
    if lowered.isascii():
        raw = lowered.encode().translate(_ASCII)
    else:
        spaced = bytearray(lowered.encode("utf-8", "replace").translate(_ASCII))
        for lead, marks in ((b"\xe2\x80", _E2_80_MARKS), (b"\xc2", _C2_MARKS)):
            width = len(lead) + 1
            at = spaced.find(lead)
            while at != -1:
                if at + width <= len(spaced) and spaced[at + width - 1] in marks:
                    spaced[at:at + width] = b" " * width
                at = spaced.find(lead, at + 1)
        raw = bytes(spaced)
        if not raw.isascii():  # letters or symbols beyond ASCII: the careful path
            words = _NOT_WORD.sub(" ", raw.decode("utf-8", "replace")).split()
            return " " + " ".join(words) + " "
    return " " + _SPACES.sub(b" ", raw).strip(b" ").decode() + " "


# --- stem ---------------------------------------------------------------------------------

def stem(token: str) -> str:
    """Return a lower-case word's singular: policies -> policy, processes -> process,
    models -> model; words in -ss, -us, -is and short words as they are."""
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 4 and token.endswith("sses"):
        return token[:-2]
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


# --- html_to_text -------------------------------------------------------------------------
MAX_TEXT = 100_000  # characters kept of one text
# Elements whose content is never text, and comments (an unclosed one runs to the end, as
# in a browser). Then every tag: "<" and a name, "/", "!" or "?", up to its ">" (quoted
# attribute values may hold ">"); a "<" not starting a tag ("a < b") is text.
_HIDDEN = re.compile(r"<(script|style|noscript|template)\b[^>]*>.*?(?:</\1\s*>|\Z)"
                     r"|<!--.*?(?:-->|\Z)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*>|<[!?][^>]*>")


def html_to_text(value: object, squeeze: bool = True) -> str:
    """Return the plain text of an HTML fragment (or of plain text): tags and hidden
    elements gone, entities decoded, whitespace folded to single spaces; '' for None.

    ``squeeze=False`` leaves the whitespace as it is: for the classifier, whose ``fold``
    squeezes it anyway, and which reads every item (checking text that is already clean for
    runs of spaces would cost it a tenth of its time)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if "<" in text:
        text = _TAG.sub(" ", _HIDDEN.sub(" ", text[: MAX_TEXT * 4]))
    if "&" in text:
        text = html.unescape(text)
    if squeeze and ("  " in text or not text.isprintable() or text[:1] == " "
                    or text[-1:] == " "):
        text = " ".join(text.split())
    return text[:MAX_TEXT]


# --- parse_date ---------------------------------------------------------------------------
_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%b. %d, %Y", "%d %B %Y", "%d %b %Y", "%m/%d/%Y",
            "%Y-%m-%d", "%B %d %Y", "%b %d %Y", "%A, %B %d, %Y", "%a, %d %b %Y")
_EMBEDDED = re.compile(r"([A-Z][a-z]+\.? \d{1,2}, \d{4}|\d{4}-\d{2}-\d{2})")
_COMMA = re.compile(r"\s*,[\s,]*")
_SEPT = re.compile(r"\bSept\b")


def parse_date(text: str | None) -> datetime | None:
    """Return the moment an ISO 8601, RFC 2822 or written date ("July 30, 2024",
    "Sept. 5, 2024", "30 July 2024", "07/30/2024") names, in UTC (a date alone is its
    midnight UTC; a time without zone is UTC), or None when the text holds no date."""
    value = _read(text)
    if value is None:
        return None
    try:
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC)
    except (ValueError, OverflowError):  # out of range once moved to UTC
        return None


def parse_day(text: str | None) -> date | None:
    """Return the calendar day a date names, as written (a comment deadline
    "2024-03-27T23:59:00-05:00" is the 27th, not the UTC 28th), or None."""
    value = _read(text)
    return value.date() if value is not None else None


def _read(text: str | None) -> datetime | None:
    """Return the date or time a text writes, with its own zone or none."""
    if not isinstance(text, str) or not text:
        return None
    text = " ".join(text.split())
    # Each reader tried only where it can succeed: a failed try costs an exception, and
    # the classifier reads every date a text mentions ("comments due March 27, 2024").
    if text[:1].isdigit():
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            pass
    if ":" in text:  # RFC 2822 always has a time
        try:
            return parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    written = _SEPT.sub("Sep", _COMMA.sub(", ", text)).rstrip(", ")
    for fmt in _FORMATS:
        try:
            return datetime.strptime(written, fmt)
        except ValueError:
            continue
    m = _EMBEDDED.search(written)
    if m and m.group(1) != written:
        return _read(m.group(1))
    return None
