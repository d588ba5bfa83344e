"""Untrusted text made safe for where it goes: one function per medium, used by every output.

Everything a source sends (titles, summaries, URLs, error messages that quote a page) is
hostile until it passes through here:

- ``stored``: what parsers keep. NUL and the other C0 controls but tab and newline are
  dropped, so no database row carries them.
- ``url``: an http(s) URL with no white space or control characters, else "".
- ``terminal``: for a terminal. C0/C1 controls (ESC starts colour, cursor, OSC 8 links,
  OSC 52 clipboard writes), DEL and bidirectional overrides and isolates are shown visibly
  escaped (``\\x1b``, ``\\u202e``), never sent raw. The CLI escapes rich markup on top.
- ``plain``: one line of text for a plain-text or Markdown document: the same escapes.
- ``xml``: characters XML 1.0 forbids dropped, and the controls and bidi overrides it allows
  escaped as for a terminal (so a reader shows them, not obeys them).
- ``ical``: one line of iCalendar property text, escaped as above (the calendar library
  folds lines and escapes commas and semicolons).
- ``json_text``: a JSON document for a terminal: the same characters as ``\\uXXXX`` escapes,
  which JSON reads back as the very same characters.
- ``log_value``: a logfmt value: controls escaped, quoted when it holds a space, quote or =.
- ``markdown`` / ``markdown_url``: link text with Markdown's special characters escaped, and
  a link target that cannot close the link early (``()<>[]`` and spaces percent-encoded).
- ``slack``: one line of Slack mrkdwn: controls escaped, and ``& < >`` as Slack's entities
  (so a title cannot open a link, a mention or a ``<!channel>`` ping).
HTML is escaped by the templates' autoescape and cleaned by nh3 (``outputs.render``).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

# C0 controls except tab and newline, DEL, C1 controls.
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f"
# Bidirectional embeddings, overrides and isolates; line and paragraph separators; the BOM
# and interlinear annotation characters in the middle of text.
_FORMAT = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff\ufff9-\ufffb"
_UNSAFE = re.compile(f"[{_CONTROL}{_FORMAT}]")
_UNSAFE_LINE = re.compile(f"[\t\n{_CONTROL}{_FORMAT}]")
_STORED_DROP = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")
_URL_BREAKERS = {c: quote(c) for c in "()<>[] \"'`"}


def _visible(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in "\t\n":
        return " "
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def stored(text: str | None) -> str:
    """Return text fit to store: NUL and the C0 controls but tab, CR and newline dropped."""
    if not text:
        return ""
    return _STORED_DROP.sub("", text)


def url(value: Any) -> str:
    """Return the URL when it is http(s) with a host and no white space or controls, else ""."""
    text = str(value or "").strip()
    if not text or _UNSAFE_LINE.search(text) or any(ch.isspace() for ch in text):
        return ""
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return text


def terminal(value: Any, *, one_line: bool = True) -> str:
    """Return text for a terminal: controls and bidi overrides shown escaped, never raw.

    With ``one_line`` (the default), tabs and newlines become spaces too, so a title cannot
    fake rows of a table. Without it, tabs and line ends stay (CRLF, as CSV and iCalendar
    end lines, becomes a plain newline)."""
    text = str(value if value is not None else "")
    if one_line:
        return _UNSAFE_LINE.sub(_visible, text)
    return _UNSAFE.sub(_visible, text.replace("\r\n", "\n"))


def plain(value: Any) -> str:
    """Return one line of untrusted text for a plain-text document: controls escaped."""
    return " ".join(terminal(value).split())


def xml(value: Any) -> str:
    """Return text that is a legal XML 1.0 character sequence (escaping < & is the caller's)."""
    text = _NOT_XML.sub("", str(value if value is not None else ""))
    return _UNSAFE.sub(_visible, text)


def ical(value: Any) -> str:
    """Return one line of iCalendar property text: controls and bidi overrides escaped."""
    return plain(value)


def markdown(value: Any) -> str:
    """Return one line of Markdown text: controls escaped, Markdown's special characters too."""
    return _MD_SPECIAL.sub(r"\\\1", plain(value))


def markdown_url(value: Any) -> str:
    """Return an http(s) URL fit for a Markdown link target, or "" (no link then)."""
    text = url(value)
    return "".join(_URL_BREAKERS.get(c, c) for c in text)


def slack(value: Any) -> str:
    """Return one line of Slack mrkdwn text: controls escaped, ``& < >`` as entities."""
    return plain(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def json_text(document: str) -> str:
    """Return a JSON document with every unsafe character written as a \\u escape."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", document)


def log_value(value: Any) -> str:
    """Return a logfmt value: one line, controls escaped, quoted when needed."""
    text = terminal(value)
    if text == "" or any(c in text for c in ' "='):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text
