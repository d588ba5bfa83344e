"""Frozen data of alerts: the `alerts:` section (rules, targets, quiet hours, rate limit),
what just arrived as the rules see it, an alert owed to one target, and an alert as the log
holds it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, TypeAlias

LEVEL_ORDER = ("quiet", "normal", "elevated", "loud", "surge")  # the debate's Noise Levels
AlertStatus: TypeAlias = Literal["pending", "sent", "failed"]  # a logged alert's delivery


@dataclass(frozen=True)
class AlertTarget:
    """Where an alert goes: email addresses (through the `smtp:` settings) and/or a
    webhook receiving a JSON body (Slack-compatible)."""

    id: str
    email: tuple[str, ...] = ()
    webhook: str | None = None


@dataclass(frozen=True)
class AlertRule:
    """One rule: what must arrive for it to fire, and the targets it sends to.

    An item rule (no ``noise``, ``level`` or ``instrument``) fires on an item whose authority
    is at least ``authority`` and that has one of ``topics`` (any topic when empty), from one
    of ``sources`` (any when empty). An event rule fires when an event's noise reaches
    ``noise``; a level rule when the debate's Noise Level reaches ``level``; an instrument
    rule when an instrument's life cycle moves into one of the states in ``instrument``
    (pending, in_force, ended).
    """

    id: str
    to: tuple[str, ...]
    authority: str | None = None
    topics: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    noise: float | None = None
    level: str | None = None
    instrument: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """Return what the rule watches: item, event, level or instrument."""
        if self.instrument:
            return "instrument"
        return "event" if self.noise is not None else "level" if self.level else "item"


@dataclass(frozen=True)
class AlertSettings:
    """The `alerts:` section of sources.yaml, validated."""

    rules: tuple[AlertRule, ...]
    targets: tuple[AlertTarget, ...]
    quiet_start: str | None = None  # "HH:MM" in ``timezone``: messages are held from here
    quiet_end: str | None = None  # ... until here
    timezone: str = "UTC"
    max_per_hour: int = 20  # per target; the rest wait for the next run
    max_age: int = 3 * 86400  # seconds: an item first public longer ago is not news

    def rule(self, rule_id: str) -> AlertRule | None:
        """Return the rule of that id, or None."""
        return next((r for r in self.rules if r.id == rule_id), None)

    def target(self, target_id: str) -> AlertTarget | None:
        """Return the target of that id, or None."""
        return next((t for t in self.targets if t.id == target_id), None)


@dataclass(frozen=True)
class Arrival:
    """Something that just arrived, as alert rules see it: an item, an event's score, or
    the debate's Noise Level of a day. ``key`` names the thing (one document, one event,
    one day), so the same thing is never sent twice to a target."""

    key: str
    kind: str  # item | event | level | instrument
    title: str
    url: str = ""
    source_id: str = ""
    authority: str = ""
    topics: tuple[str, ...] = ()
    noise: float | None = None
    level: str | None = None
    earliest: datetime | date | None = None  # first publicly knowable (aware, UTC); an
    # instrument's change of state: its date
    state: str | None = None  # an instrument's new life-cycle state
    publishes: date | None = None  # on public inspection: the scheduled publication date


@dataclass(frozen=True)
class Alert:
    """One alert owed to one target: which rule fired on what, and why."""

    rule: str
    target: str
    key: str
    kind: str
    title: str
    url: str
    why: str
    earliest: datetime | date | None = None  # as in Arrival
    publishes: date | None = None


@dataclass(frozen=True)
class LoggedAlert:
    """An alert as the alert log holds it: when it fired and how its delivery went."""

    alert: Alert
    fired_at: datetime  # aware, UTC
    status: AlertStatus
    attempts: int
    last_attempt: datetime | None
    last_error: str | None
    sent_at: datetime | None
