"""Alerts at the end of every run and daemon job: rules over what just arrived, logged once
per target channel and thing, and delivered at once by email and/or webhook.

    arrivals (store.alerts, store.events, cluster.noise_levels)
    -> alerts.evaluate (pure) -> one row per channel (target.email, target.webhook) and
       thing in alert_log (never twice) -> outside quiet hours, within the rate limit,
       each owed alert delivered; a failure is logged on its row and retried next run.

An alert is marked sent only after its channel accepted it.
"""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .. import alerts, logs, store
from ..cluster import noise_levels
from ..config import Config
from ..errors import DeliveryError
from ..fetch import post_json
from ..outputs import mail
from ..store import alerts as alert_store
from ..types import Alert, AlertSettings, Arrival
from ..types.times import iso
from .clock import utcnow

if TYPE_CHECKING:  # types only: httpx lives in fetch.py, sqlite_utils in store.py
    import httpx
    from sqlite_utils import Database

log = logging.getLogger("monitor.alerts")
CHANNELS = ("email", "webhook")


@dataclass(frozen=True)
class AlertPass:
    """What one alert pass did."""

    fired: int  # alerts newly owed
    sent: int
    failed: int
    held: int  # owed and not sent: quiet hours, the rate limit, or a target that failed
    quiet_until: datetime | None = None
    errors: tuple[str, ...] = ()


def arrivals(db: Database, config: Config, settings: AlertSettings, now: datetime
             ) -> list[Arrival]:
    """Return what arrived within the section's ``max_age``: relevant items, events and the
    debate's Noise Level per day (each only when a rule watches it)."""
    debate = config.debate
    assert debate is not None
    oldest = now - timedelta(seconds=settings.max_age)
    kinds = {r.kind for r in settings.rules}
    found: list[Arrival] = []
    if "item" in kinds:
        found += alert_store.item_arrivals(db, debate.id, oldest)
    if "event" in kinds:
        for eid, score in sorted(store.latest_scores(db, debate.id).items()):
            if score.last_seen >= oldest:
                found.append(Arrival(
                    key=f"event:{eid}", kind="event", title=score.title,
                    authority=score.authority, topics=score.topics, noise=score.noise,
                    earliest=score.first_seen))
    if "instrument" in kinds:
        found += alert_store.instrument_arrivals(db, debate.id, oldest)
    if "level" in kinds:
        history = oldest - timedelta(days=60)
        for day in noise_levels(store.noise_days(db, debate.id, history)):
            if day.day >= oldest.date() and day.day <= now.date():
                found.append(Arrival(
                    key=f"level:{iso(day.day)}", kind="level", level=day.level,
                    title=f"The debate's Noise Level is {day.level} on {iso(day.day)} "
                          f"({day.relevant} of {day.total} items relevant)"))
    return found


def channels(alert: Alert, settings: AlertSettings) -> list[Alert]:
    """Return the alert once per channel of its target ("desk.email", "desk.webhook")."""
    target = settings.target(alert.target)
    if target is None:
        return []
    return [replace(alert, target=f"{target.id}.{c}") for c, on in
            (("email", bool(target.email)), ("webhook", bool(target.webhook))) if on]


Deliver = Callable[[Alert, Config, "httpx.Client"], None]


def deliver(alert: Alert, config: Config, client: httpx.Client) -> None:
    """Send one alert through its channel; raise DeliveryError saying what failed."""
    assert config.alerts is not None
    target_id, _, channel = alert.target.rpartition(".")
    target = config.alerts.target(target_id)
    if target is None or channel not in CHANNELS:
        raise DeliveryError(f"no target {alert.target!r} in the alerts: section any more")
    if channel == "webhook":
        assert target.webhook is not None
        post_json(client, target.webhook, alerts.webhook_body(alert))
        return
    if config.smtp is None:
        raise DeliveryError("alerts by email need the smtp: section")
    subject, text = alerts.message(alert)
    body = f"<pre style=\"font-family: sans-serif\">{html.escape(text)}</pre>"
    message = mail.build_message(config.smtp, target.email, subject, text, body)
    mail.send(config.smtp, message, target.email, os.environ.get("MONITOR_SMTP_PASSWORD"))


def send_alerts(db: Database, config: Config, client: httpx.Client,
                now: datetime | None = None, send: Deliver = deliver) -> AlertPass:
    """Fire the rules on what just arrived, log the new alerts and deliver every owed one
    (outside quiet hours, within the rate limit); return what happened."""
    settings = config.alerts
    if settings is None or config.debate is None:
        return AlertPass(0, 0, 0, 0)
    now = now or utcnow()
    fired = [c for a in alerts.evaluate(settings, arrivals(db, config, settings, now))
             for c in channels(a, settings)]
    with store.transaction(db):
        new = alert_store.save_alerts(db, fired, now)
    owed = alert_store.owed_alerts(db)
    ends = alerts.quiet_until(settings, now)
    if ends is not None:
        if owed:
            logs.event(log, "alerts", status="held", owed=len(owed), until=iso(ends))
        return AlertPass(new, 0, 0, len(owed), ends)
    hour_ago = now - timedelta(hours=1)
    budget: dict[str, int] = {}
    broken: set[str] = set()
    sent = failed = 0
    errors: list[str] = []
    for alert in owed:
        if alert.target in broken:
            continue
        if alert.target not in budget:
            budget[alert.target] = settings.max_per_hour - alert_store.sent_since(
                db, alert.target, hour_ago)
        if budget[alert.target] <= 0:
            continue
        try:
            send(alert, config, client)
        except DeliveryError as e:
            failed += 1
            broken.add(alert.target)
            errors.append(f"{alert.target}: {e}")
            with store.transaction(db):
                alert_store.mark_failed(db, alert, now, str(e))
            logs.event(log, "alert", status="failed", target=alert.target, key=alert.key,
                       error=str(e))
            continue
        sent += 1
        budget[alert.target] -= 1
        with store.transaction(db):
            alert_store.mark_sent(db, alert, now)
        logs.event(log, "alert", status="sent", target=alert.target, key=alert.key,
                   rule=alert.rule)
    return AlertPass(new, sent, failed, len(owed) - sent, None, tuple(errors))


def send_test(config: Config, client: httpx.Client, rule_id: str, now: datetime | None = None,
              send: Deliver = deliver) -> list[tuple[str, str | None]]:
    """Send a sample alert of a rule to each channel of its targets, logging nothing;
    return (channel, error or None) for each."""
    settings = config.alerts
    assert settings is not None
    results: list[tuple[str, str | None]] = []
    for alert in alerts.sample(settings, rule_id, now or utcnow()):
        for channel in channels(alert, settings):
            try:
                send(channel, config, client)
            except DeliveryError as e:
                results.append((channel.target, str(e)))
            else:
                results.append((channel.target, None))
    return results
