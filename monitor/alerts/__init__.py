"""Alerts, pure: which rules fire on what just arrived, when quiet hours end, and the
messages (an email's subject and text, a webhook's Slack-compatible JSON body).

``evaluate`` turns arrivals (items, event scores, the debate's Noise Level of a day) into
alerts, one per (target, thing): a thing is one document, one event or one day, so copies
of a document or two rules firing on it never reach a target twice. Storage, delivery and
the clock are the sequencer's (pipeline/alerting.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from .. import safe
from ..types import (
    LEVEL_ORDER,
    Alert,
    AlertRule,
    AlertSettings,
    Arrival,
    authority_rank,
    times,
)

__all__ = ["evaluate", "matches", "message", "quiet_until", "sample", "webhook_body"]


def matches(rule: AlertRule, arrival: Arrival) -> str | None:
    """Return why the rule fires on the arrival (one line), or None when it does not."""
    if rule.kind != arrival.kind:
        return None
    why: list[str] = []
    if rule.kind == "level":
        assert rule.level is not None
        level = arrival.level or "normal"
        if LEVEL_ORDER.index(level) < LEVEL_ORDER.index(rule.level):
            return None
        return f"the debate's Noise Level is {level} (rule: at least {rule.level})"
    if rule.kind == "instrument":
        if arrival.state not in rule.instrument:
            return None
        return f"an instrument is now {arrival.state} (rule: {', '.join(rule.instrument)})"
    if rule.kind == "event":
        assert rule.noise is not None
        if arrival.noise is None or arrival.noise < rule.noise:
            return None
        why.append(f"noise {arrival.noise:.0f} ≥ {rule.noise:.0f}")
    if rule.authority is not None:
        if authority_rank(arrival.authority or "") > authority_rank(rule.authority):
            return None
        why.append(f"authority {arrival.authority} (at least {rule.authority})")
    if rule.topics:
        hit = [t for t in rule.topics if t in arrival.topics]
        if not hit:
            return None
        why.append("topics " + ", ".join(hit))
    if rule.sources:
        if arrival.source_id not in rule.sources:
            return None
        why.append(f"source {arrival.source_id}")
    if rule.kind == "item" and not why:
        why.append("a relevant item")
    return "; ".join(why)


def evaluate(settings: AlertSettings, arrivals: Iterable[Arrival]) -> list[Alert]:
    """Return the alerts the rules fire on the arrivals: one per target and thing (the first
    rule, in the order of the section, that sends it there)."""
    seen: set[tuple[str, str]] = set()
    alerts: list[Alert] = []
    for arrival in arrivals:
        for rule in settings.rules:
            why = matches(rule, arrival)
            if why is None:
                continue
            for target in rule.to:
                if (target, arrival.key) in seen:
                    continue
                seen.add((target, arrival.key))
                alerts.append(Alert(rule=rule.id, target=target, key=arrival.key,
                                    kind=arrival.kind, title=arrival.title, url=arrival.url,
                                    why=why, earliest=arrival.earliest,
                                    publishes=arrival.publishes))
    return alerts


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_until(settings: AlertSettings, now: datetime) -> datetime | None:
    """Return when the quiet hours around ``now`` end (aware, UTC offset of the zone), or
    None when ``now`` is not in quiet hours."""
    if not settings.quiet_start or not settings.quiet_end:
        return None
    zone = ZoneInfo(settings.timezone)
    local = now.astimezone(zone)
    start, end = _clock(settings.quiet_start), _clock(settings.quiet_end)
    t = local.time()
    inside = start <= t < end if start < end else t >= start or t < end
    if not inside:
        return None
    ends = datetime.combine(local.date(), end, zone)
    if ends <= local:
        ends = datetime.combine(local.date() + timedelta(days=1), end, zone)
    return ends


def _when(alert: Alert) -> str:
    parts = []
    if alert.earliest:
        parts.append(f"first public {times.moment_or_day(alert.earliest)} UTC")
    if alert.publishes:
        parts.append(f"on public inspection, publishes on {times.day(alert.publishes)}")
    return "; ".join(parts)


def message(alert: Alert) -> tuple[str, str]:
    """Return an email's subject and plain text for one alert."""
    subject = f"[monitor] {alert.rule}: {safe.plain(alert.title)[:150]}"
    lines = [safe.plain(alert.title), "", f"Why: {safe.plain(alert.why)} (rule {alert.rule})"]
    if _when(alert):
        lines.append(f"When: {_when(alert)}")
    if safe.url(alert.url):
        lines.append(f"Link: {safe.url(alert.url)}")
    lines += ["", f"({alert.kind} {safe.plain(alert.key)}; sent once to {alert.target})"]
    return subject, "\n".join(lines) + "\n"


def webhook_body(alert: Alert) -> dict[str, object]:
    """Return the JSON body of a webhook call: Slack's ``text`` (mrkdwn), and the alert's
    fields for other receivers."""
    link = safe.url(alert.url)
    title = safe.slack(alert.title)
    head = f"*<{link}|{title}>*" if link and "|" not in link else f"*{title}*"
    text = f"{head}\n{safe.slack(alert.why)} (rule `{safe.slack(alert.rule)}`)"
    if _when(alert):
        text += f"\n{safe.slack(_when(alert))}"
    return {"text": text, "alert": {
        "rule": alert.rule, "kind": alert.kind, "key": alert.key, "title": alert.title,
        "url": link, "why": alert.why, "earliest": times.iso(alert.earliest),
        "publishes": times.iso(alert.publishes)}}


def sample(settings: AlertSettings, rule_id: str, now: datetime) -> list[Alert]:
    """Return a test alert of a rule for each of its targets (``alerts --test``); an
    unknown rule gives none."""
    rule = settings.rule(rule_id)
    if rule is None:
        return []
    return [Alert(rule=rule.id, target=t, key=f"test:{times.iso(now)}", kind=rule.kind,
                  title=f"Test alert of rule {rule.id}", url="",
                  why="a test sent by `monitor alerts --test`", earliest=now)
            for t in rule.to]
