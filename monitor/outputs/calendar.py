"""Comment deadlines and effective dates as an iCalendar file.  [icalendar]

Every text property passes ``safe.ical`` (no raw control or bidi override) and every link
``safe.url`` (http(s) only)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import icalendar

from .. import safe
from ..types import Deadline


def to_ics(deadlines: Sequence[Deadline], debate: str, debate_title: str,
           now: datetime) -> bytes:
    """Return an iCalendar file with one all-day event per deadline (UIDs stable across runs)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//monitor//regulatory signals//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", safe.ical(f"{debate_title}: deadlines"))
    for d in deadlines:
        event = icalendar.Event()
        what = "Comments due" if d.kind == "comment_deadline" else "Takes effect"
        event.add("uid", f"{d.kind}-{d.day}-{d.event or d.item_id}@{debate}.monitor")
        title = safe.ical(d.title)
        event.add("summary", f"{what}: {title}"[:250])
        day = date.fromisoformat(d.day)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("dtstamp", now)
        url = safe.url(d.url)
        if url:
            event.add("url", url)
        event.add("description", f"{what} on {d.day}. {title}" + (f"\n{url}" if url else ""))
        event.add("categories", [d.kind])
        cal.add_component(event)
    return bytes(cal.to_ical())
