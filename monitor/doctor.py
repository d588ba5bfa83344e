"""`monitor doctor`: checks an installation, one result per check."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from . import store
from .config import Config, load_config, missing_key, smtp_settings
from .errors import DeliveryError, MonitorError, SourceError
from .fetch import fetch, make_client
from .outputs import mail
from .parse import parse, problems
from .types import times


@dataclass(frozen=True)
class Check:
    """One check's outcome: ok, warn, skip or fail, and what it found."""

    name: str
    status: str
    detail: str


def run_checks(sources_path: str, db_path: str, *, network: bool = False,
               smtp: bool = False) -> list[Check]:
    """Return the result of every check; none raises."""
    out: list[Check] = []
    config: Config | None = None
    try:
        config = load_config(sources_path)
        out.append(Check("configuration", "ok", f"{sources_path}: {len(config.sources)} "
                         "sources"))
    except MonitorError as e:
        out.append(Check("configuration", "fail", str(e)))
    if config is not None and config.debate is not None:
        d = config.debate
        out.append(Check("debate definition", "ok", f"{d.id} v{d.version} ({d.path}): "
                         f"{len(d.topics)} topics, threshold {d.threshold}"))
    out.extend(_database(db_path))
    if config is not None:
        try:
            from .schedule import check_schedule

            settings = check_schedule(config)
            out.append(Check("daemon schedule", "ok", f"time zone {settings.timezone}; "
                             + (f"digest at '{settings.digest_cron}'" if settings.digest_cron
                                else "no digest job")))
            out.extend(Check(f"source {s.id}", "fail", problem) for s in config.sources
                       for problem in problems(s))
        except MonitorError as e:
            out.append(Check("daemon schedule", "fail", str(e)))
        out.append(_smtp(config, connect=smtp))
        missing = [s.id for s in config.sources if missing_key(s)]
        if missing:
            out.append(Check("api keys", "warn", f"skipped for a missing key: "
                             f"{', '.join(missing)}"))
        if network:
            out.extend(_network(config))
    return out


def _database(db_path: str) -> list[Check]:
    path = Path(db_path)
    if not path.exists():
        return [Check("database", "fail", f"{db_path} does not exist (monitor init creates "
                      "it)")]
    try:
        db = store.open_db(path, migrate=False)
        pending = store.pending_migrations(db)
        applied = store.schema_version(db)
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
        integrity = store.integrity_check(db)
    except (MonitorError, sqlite3.DatabaseError) as e:
        return [Check("database", "fail", f"{db_path}: {e}")]
    return [
        Check("database schema", "fail" if pending else "ok",
              f"version {applied}" + (f"; pending: {', '.join(pending)} (run monitor init)"
                                      if pending else " (current)")),
        Check("database integrity", "ok" if integrity == "ok" else "fail", integrity),
        Check("database journal", "ok" if mode == "wal" else "warn", f"journal_mode={mode}"),
        *_alert_targets(db),
    ]


def _alert_targets(db: store.Database) -> list[Check]:
    """Return a warning per alert target whose last delivery failed (retried next run)."""
    if "alert_log" not in db.table_names():
        return []
    return [Check(f"alerts {h['target']}", "warn",
                  f"{h['failed']} alert(s) failed, {h['owed']} owed (retried on the next run); "
                  f"last error at {times.iso(h['last_attempt'])}: {h['last_error']}")
            for h in store.alerts.target_health(db) if h["failed"]]


def _smtp(config: Config, connect: bool) -> Check:
    if "smtp" not in config.extra:
        return Check("smtp", "skip", "no smtp section: digests are not mailed")
    try:
        s = smtp_settings(config)
    except MonitorError as e:
        return Check("smtp", "fail", str(e))
    if s.user and not os.environ.get("MONITOR_SMTP_PASSWORD"):
        return Check("smtp", "fail", f"user {s.user!r} set but MONITOR_SMTP_PASSWORD is not")
    if not connect:
        return Check("smtp", "ok", f"{s.host}:{s.port} ({s.security}); not connected "
                     "(--smtp connects)")
    try:
        mail.reach(s)
    except DeliveryError as e:
        return Check("smtp", "fail", str(e))
    return Check("smtp", "ok", f"connected to {s.host}:{s.port} ({s.security})")


def _network(config: Config) -> list[Check]:
    out = []
    with make_client(config.settings) as client:
        for source in config.sources:
            if not source.enabled or missing_key(source):
                out.append(Check(f"source {source.id}", "skip", "disabled or no key"))
                continue
            try:  # fetched and parsed as a run would: a page its selectors miss fails here
                got = fetch(client, source, None, config.settings, conditional=False,
                            sleep=lambda _s: None)
                if got is None:
                    out.append(Check(f"source {source.id}", "ok", "HTTP 304"))
                    continue
                parsed = parse(source, got)
                out.append(Check(f"source {source.id}", "ok", f"HTTP {got.status}, "
                                 f"{len(got.body)} bytes, {len(parsed.items)} items"))
            except SourceError as e:
                out.append(Check(f"source {source.id}", "fail", e.reason))
    return out
