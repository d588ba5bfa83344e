"""The `alerts:` section: rules over what just arrived, the targets they send to (email
through the `smtp:` settings, a JSON webhook), quiet hours and a rate limit.

    alerts:
      quiet_hours: "22:00-07:00"       # optional; held messages go out when they end
      timezone: America/New_York       # of the quiet hours (default: the daemon's, else UTC)
      max_per_hour: 20                 # per target; the rest wait for the next run
      max_age: 3d                      # older items are not news (a backfill sends nothing)
      targets:
        desk: {email: [analyst@example.org]}
        slack: {webhook: "https://hooks.slack.com/services/..."}
      rules:
        - {id: binding, authority: proposed, to: [desk, slack]}
        - {id: loud-event, noise: 60, to: [slack]}
        - {id: loud-debate, level: loud, to: [desk]}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..safe import url as safe_url
from ..types import (
    AUTHORITIES,
    LEVEL_ORDER,
    AlertRule,
    AlertSettings,
    AlertTarget,
    Debate,
    SmtpSettings,
)
from .mail import check_address
from .periods import check_timezone, parse_duration
from .yamlmap import Place, is_number

_KEYS = ("max_age", "max_per_hour", "quiet_hours", "rules", "targets", "timezone")
_RULE_KEYS = ("authority", "id", "instrument", "level", "noise", "sources", "to", "topics")
_STATES = ("pending", "in_force", "ended")
_TARGET_KEYS = ("email", "webhook")
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _strings(raw: Any, place: Place, key: str) -> tuple[str, ...]:
    values = [raw] if isinstance(raw, str) else raw if raw is not None else []
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise place.error("must be a name or a list of names", key)
    return tuple(values)


def _target(target_id: Any, raw: Any, top: Place, smtp: SmtpSettings | None) -> AlertTarget:
    place = top.at("alerts", "targets", target_id, entry=f"alerts.targets.{target_id}")
    if not isinstance(target_id, str) or not _ID.match(target_id):
        raise top.at("alerts", entry="alerts").error(
            f"target name {target_id!r} must be letters, digits, '-', '_' or '.'", "targets")
    if not isinstance(raw, Mapping) or not raw:
        raise place.error("must be a mapping with email and/or webhook")
    place.check_keys(raw, _TARGET_KEYS)
    email = tuple(check_address(a, place, "email") for a in _strings(raw.get("email"), place,
                                                                          "email"))
    if email and smtp is None:
        raise place.error("sends email but sources.yaml has no smtp: section", "email")
    webhook = raw.get("webhook")
    if webhook is not None and not safe_url(webhook):
        raise place.error(f"{webhook!r} is not an http(s) URL", "webhook")
    return AlertTarget(id=target_id, email=email, webhook=webhook)


def _rule(raw: Any, index: int, top: Place, targets: set[str], debate: Debate | None
          ) -> AlertRule:
    place = top.at("alerts", "rules", index, entry=f"alerts.rules[{index}]")
    if not isinstance(raw, Mapping):
        raise place.error("must be a mapping with id, to and what to watch")
    place.check_keys(raw, _RULE_KEYS)
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        raise place.error("id is required: letters, digits, '-', '_' or '.'", "id")
    place = top.at("alerts", "rules", index, entry=f"alerts.rules.{rule_id}")
    to = _strings(raw.get("to"), place, "to")
    if not to:
        raise place.error("to must name at least one target", "to")
    for name in to:
        if name not in targets:
            raise place.error(f"unknown target {name!r} (targets: {', '.join(sorted(targets))})",
                              "to")
    authority = raw.get("authority")
    if authority is not None and authority not in AUTHORITIES:
        raise place.error(f"authority must be one of {', '.join(AUTHORITIES)}", "authority")
    topics = _strings(raw.get("topics"), place, "topics")
    known = {t.id for t in debate.topics} if debate else set()
    for topic in topics:
        if debate is not None and topic not in known:
            raise place.error(f"unknown topic {topic!r} (topics: {', '.join(sorted(known))})",
                              "topics")
    noise, level = raw.get("noise"), raw.get("level")
    if noise is not None and (not is_number(noise) or not 0 <= noise <= 100):
        raise place.error("noise must be a number from 0 to 100", "noise")
    if level is not None and level not in LEVEL_ORDER[1:]:
        raise place.error(f"level must be one of {', '.join(LEVEL_ORDER[1:])}", "level")
    if noise is not None and level is not None:
        raise place.error("a rule watches an event's noise or the debate's level, not both",
                          "level")
    if level is not None and (authority or topics or raw.get("sources")):
        raise place.error("a level rule takes no authority, topics or sources", "level")
    if noise is not None and (authority or raw.get("sources")):
        raise place.error("an event rule takes topics, not authority or sources", "noise")
    states = _strings(raw.get("instrument"), place, "instrument")
    bad = [s for s in states if s not in _STATES]
    if bad:
        raise place.error(f"instrument states are {', '.join(_STATES)}, not {bad[0]!r}",
                          "instrument")
    if states and (noise is not None or level is not None or authority or topics
                   or raw.get("sources")):
        raise place.error("an instrument rule takes only the states it watches", "instrument")
    return AlertRule(id=rule_id, to=to, authority=authority, topics=topics,
                     sources=_strings(raw.get("sources"), place, "sources"),
                     noise=float(noise) if noise is not None else None, level=level,
                     instrument=states)


def read_alerts(raw: Any, top: Place, smtp: SmtpSettings | None, debate: Debate | None,
                timezone: str = "UTC") -> AlertSettings | None:
    """Return the settings of the `alerts:` section, or None when there is none."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise top.error("must be a mapping with targets and rules", "alerts")
    place = top.at("alerts", entry="alerts")
    place.check_keys(raw, _KEYS)
    targets_raw = raw.get("targets")
    if not isinstance(targets_raw, Mapping) or not targets_raw:
        raise place.error("targets is required: a mapping of names to email/webhook", "targets")
    targets = tuple(_target(k, v, top, smtp) for k, v in targets_raw.items())
    rules_raw = raw.get("rules")
    if not isinstance(rules_raw, list) or not rules_raw:
        raise place.error("rules is required: a list of rules", "rules")
    rules = tuple(_rule(r, i, top, {t.id for t in targets}, debate)
                  for i, r in enumerate(rules_raw))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise place.error(f"two rules are named {rule.id!r}", "rules")
        seen.add(rule.id)
    quiet = raw.get("quiet_hours")
    start = end = None
    if quiet is not None:
        m = _HOURS.match(str(quiet).replace(" ", ""))
        if not m or m.group(1, 2) == m.group(3, 4):
            raise place.error("quiet_hours must be like \"22:00-07:00\" (start-end, 24 h)",
                              "quiet_hours")
        start, end = f"{m.group(1)}:{m.group(2)}", f"{m.group(3)}:{m.group(4)}"
    try:
        zone = check_timezone(raw.get("timezone", timezone))
    except ValueError as e:
        raise place.error(str(e), "timezone") from e
    per_hour = raw.get("max_per_hour", 20)
    if not is_number(per_hour, whole=True) or per_hour < 1:
        raise place.error("max_per_hour must be a whole number of 1 or more", "max_per_hour")
    try:
        max_age = parse_duration(raw.get("max_age", "3d"))
    except ValueError as e:
        raise place.error(str(e), "max_age") from e
    if max_age < 60:
        raise place.error("max_age must be at least one minute", "max_age")
    return AlertSettings(rules=rules, targets=targets, quiet_start=start, quiet_end=end,
                         timezone=zone, max_per_hour=int(per_hour), max_age=int(max_age))
