"""Comment deadlines and effective dates as an iCalendar file.  [icalendar]

Every text property passes ``safe.ical`` (no raw control or bidi override) and every link
``safe.url`` (http(s) only)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import icalendar

from .. import safe
from ..types import Deadline, times


def to_ics(deadlines: Sequence[Deadline], debate: str, debate_title: str,
           now: datetime) -> bytes:
    """Return an iCalendar file with one all-day event per deadline (UIDs stable across runs):
    the document's link, the regulations.gov docket to comment on, and, for a deadline made
    moot by a later rescission, that event (status CANCELLED, "(moot)" in the summary)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//monitor//regulatory signals//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", safe.ical(f"{debate_title}: deadlines"))
    for d in deadlines:
        event = icalendar.Event()
        what = "Comments due" if d.kind == "comment_deadline" else "Takes effect"
        moot = f"Moot: {safe.ical(d.ended)}" if d.ended else ""
        day = times.day(d.day)
        event.add("uid", f"{d.kind}-{day}-{d.event or d.item_id}@{debate}.monitor")
        title = safe.ical(d.title)
        event.add("summary", (f"(moot) {what}" if moot else what) + f": {title}"[:250])
        event.add("dtstart", d.day)
        event.add("dtend", d.day + timedelta(days=1))
        event.add("dtstamp", now)
        url = safe.url(d.url)
        if url:
            event.add("url", url)
        lines = [f"{what} on {day}. {title}"]
        if moot:
            lines.append(f"{moot} (a later event ended the instrument before this date)")
            event.add("status", "CANCELLED")
        if url:
            lines.append(f"Document: {url}")
        for docket, link in d.docket_urls:
            verb = "Comment on" if d.kind == "comment_deadline" else "Docket"
            lines.append(f"{verb} docket {safe.ical(docket)}: {safe.url(link)}")
        event.add("description", "\n".join(lines))
        event.add("categories", [d.kind])
        cal.add_component(event)
    return bytes(cal.to_ical())
