"""The `daemon:` section (time zone, grace, jitter, the digest job) and the `digest:` section."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..types import DaemonSettings, SmtpSettings
from .periods import check_cron, check_timezone, parse_duration, parse_interval, parse_since
from .settings import Config
from .yamlmap import Place

_DAEMON_KEYS = ("digest", "jitter", "misfire_grace_time", "timezone")
_DIGEST_JOB_KEYS = ("cron", "format", "out", "send", "since", "skip_empty")
_DIGEST_KEYS = ("failing_after",)
_FORMATS = ("md", "html", "text")


def daemon_settings(config: Config) -> DaemonSettings:
    """Return the `daemon:` section of sources.yaml, validated at load (defaults when absent)."""
    return config.daemon


def read_daemon(raw: Any, top: Place, smtp: SmtpSettings | None) -> DaemonSettings:
    """Return the settings of the `daemon:` section; a digest it mails needs ``smtp``."""
    raw = raw or {}
    if not isinstance(raw, Mapping):
        raise top.at(entry="daemon").error("must be a mapping", "daemon")
    place = top.at("daemon", entry="daemon")
    place.check_keys(raw, _DAEMON_KEYS)
    try:
        values: dict[str, Any] = {"timezone": check_timezone(raw.get("timezone", "UTC"))}
    except ValueError as e:
        raise place.error(str(e), "timezone") from e
    for key, default in (("misfire_grace_time", 300), ("jitter", 30)):
        try:
            values[key] = int(parse_duration(raw.get(key, default)))
        except ValueError as e:
            raise place.error(str(e), key) from e
        if values[key] < 0:
            raise place.error("must not be negative", key)
    if raw.get("digest") is not None:
        values.update(_digest_job(raw["digest"], place, smtp))
    return DaemonSettings(**values)


def _digest_job(raw: Any, daemon: Place, smtp: SmtpSettings | None) -> dict[str, Any]:
    """Return the DaemonSettings fields of `daemon.digest` (cron, since, send, out, ...)."""
    if not isinstance(raw, Mapping):
        raise daemon.error("must be a mapping with at least cron", "digest")
    place = daemon.at("digest", entry="daemon", prefix="digest.")
    place.check_keys(raw, _DIGEST_JOB_KEYS, "digest key")
    try:
        cron = check_cron(raw.get("cron"))
    except ValueError as e:
        raise place.error(str(e), "cron") from e
    since = str(raw.get("since", "1d"))
    try:
        parse_since(since, datetime.now())
    except ValueError as e:
        raise place.error(str(e), "since") from e
    fmt = raw.get("format", "html")
    if fmt not in _FORMATS:
        raise place.error("format must be md, html or text", "format")
    out = raw.get("out")
    if out is not None and not isinstance(out, str):
        raise place.error("must be the path of a file", "out")
    send, skip_empty = raw.get("send", True), raw.get("skip_empty", False)
    for key, value in (("send", send), ("skip_empty", skip_empty)):
        if not isinstance(value, bool):
            raise place.error("must be true or false", key)
    if send and smtp is None:  # mail settings must be right before the daemon starts
        raise place.error("no smtp section: add host, port, security, from and to to send "
                          "digests (or send: false)", "send")
    return {"digest_cron": cron, "digest_since": since, "digest_send": send,
            "digest_out": out, "digest_format": fmt, "skip_empty": skip_empty}


def check_digest(raw: Any, top: Place) -> None:
    """Raise a ConfigError unless the `digest:` section is right (failing_after a duration)."""
    if raw is None:
        return
    if not isinstance(raw, Mapping):
        raise top.error("must be a mapping", "digest")
    place = top.at("digest", entry="digest")
    place.check_keys(raw, _DIGEST_KEYS)
    if "failing_after" in raw:
        try:
            parse_interval(raw["failing_after"])
        except ValueError as e:
            raise place.error(str(e), "failing_after") from e
