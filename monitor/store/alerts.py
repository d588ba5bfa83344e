"""Alerts: what just arrived (as the rules see it), the alert log (one row per target and
thing: never sent twice; a failed delivery stays owed and is retried), and its read side."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlite_utils import Database

from ..types import Alert, Arrival, LoggedAlert
from ..types.times import iso
from .copies import KEY_SQL
from .sql import day, fields, moment, moment_or_day, moment_or_none, write

_ARRIVALS = f"""
SELECT items.id, {KEY_SQL} AS k, items.title, items.url, items.source_id, signals.authority,
       signals.topics, items.earliest, json_extract(items.extra, '$.filed_at'),
       json_extract(items.extra, '$.citation'), json_extract(items.extra, '$.publication_date')
FROM items JOIN signals ON signals.item_id = items.id AND signals.debate = ?
WHERE signals.relevant = 1 AND items.earliest >= ?
  AND (items.published IS NULL OR items.published >= ? OR
       json_extract(items.extra, '$.filed_at') IS NOT NULL)
ORDER BY items.earliest, items.id
"""


def item_arrivals(db: Database, debate: str, since: datetime) -> list[Arrival]:
    """Return the relevant items first public at or after ``since`` (and, when dated, not
    published before it: a backfilled old document is not news), one per document."""
    out: dict[str, Arrival] = {}
    for (iid, key, title, url, source, authority, topics, earliest, filed, citation,
         publishes) in db.execute(_ARRIVALS, [debate, iso(since), iso(since)]).fetchall():
        thing = f"doc:{key}" if key else f"item:{iid}"
        draft = bool(filed) and not citation
        out.setdefault(thing, Arrival(
            key=thing, kind="item", title=title, url=url, source_id=source,
            authority=authority, topics=tuple(json.loads(topics or "[]")),
            earliest=moment_or_none(earliest),
            publishes=day(str(publishes)) if draft and publishes else None))
    return list(out.values())


def instrument_arrivals(db: Database, debate: str, since: datetime) -> list[Arrival]:
    """Return the instruments whose life cycle changed at or after ``since``: one arrival
    per change (a revival after a withdrawal is a new one), linked to its latest evidence."""
    out = []
    for iid, state, status, when, title, history in db.execute(
            "SELECT s.instrument, s.state, s.status, s.since, i.title, i.history "
            "FROM instrument_states s JOIN instruments i "
            "ON i.debate = s.debate AND i.id = s.instrument "
            "WHERE s.debate = ? AND s.recorded_at >= ? AND s.state != 'untracked' "
            "ORDER BY s.id", [debate, iso(since)]).fetchall():
        steps = json.loads(history or "[]")
        url = next((str(st.get("url") or "") for st in reversed(steps)
                    if isinstance(st, dict) and st.get("url")), "")
        out.append(Arrival(key=f"instrument:{iid}:{state}:{when}", kind="instrument",
                           title=f"{title}: {status}", url=url, state=state,
                           earliest=moment_or_day(when)))
    return out


def save_alerts(db: Database, alerts: Sequence[Alert], fired_at: datetime) -> int:
    """Log alerts not logged yet for their (target, thing), as pending; return how many are
    new (call inside a transaction)."""
    if not alerts:
        return 0
    before = db.execute("SELECT count(*) FROM alert_log").fetchone()[0]
    rows = []
    for a in alerts:
        row = fields(a)
        detail = {k: iso(row.pop(k)) for k in ("earliest", "publishes")}
        rows.append({**row, "detail": json.dumps(detail), "fired_at": iso(fired_at),
                     "status": "pending", "attempts": 0})
    write(db, "alert_log", rows, verb="INSERT OR IGNORE")
    return int(db.execute("SELECT count(*) FROM alert_log").fetchone()[0] - before)


def _alert(row: dict[str, Any]) -> Alert:
    detail = json.loads(row.get("detail") or "{}")
    return Alert(rule=row["rule"], target=row["target"], key=row["key"], kind=row["kind"],
                 title=row["title"], url=row["url"] or "", why=row["why"] or "",
                 earliest=moment_or_day(detail.get("earliest")),
                 publishes=day(detail["publishes"]) if detail.get("publishes") else None)


def owed_alerts(db: Database) -> list[Alert]:
    """Return the alerts not sent yet (pending or failed), oldest first."""
    return [_alert(r) for r in db.table("alert_log").rows_where(
        "status != 'sent'", order_by="fired_at, rowid")]


def mark_sent(db: Database, alert: Alert, at: datetime) -> None:
    """Record that an alert reached its target."""
    db.execute("UPDATE alert_log SET status = 'sent', sent_at = ?, last_attempt = ?, "
               "attempts = attempts + 1, last_error = NULL WHERE target = ? AND key = ?",
               [iso(at), iso(at), alert.target, alert.key])


def mark_failed(db: Database, alert: Alert, at: datetime, error: str) -> None:
    """Record a failed delivery: the alert stays owed and is retried on the next run."""
    db.execute("UPDATE alert_log SET status = 'failed', last_attempt = ?, "
               "attempts = attempts + 1, last_error = ? WHERE target = ? AND key = ?",
               [iso(at), error[:500], alert.target, alert.key])


def sent_since(db: Database, target: str, since: datetime) -> int:
    """Return how many alerts reached a target since a moment (the rate limit's count)."""
    return int(db.execute("SELECT count(*) FROM alert_log WHERE target = ? AND "
                          "status = 'sent' AND sent_at >= ?", [target, iso(since)]).fetchone()[0])


def alert_log(db: Database, since: date | datetime | None = None) -> list[LoggedAlert]:
    """Return logged alerts fired since a moment or a day (all when None), newest first."""
    where, args = ("fired_at >= ?", [iso(since)]) if since else (None, [])
    return [LoggedAlert(alert=_alert(r), fired_at=moment(r["fired_at"]), status=r["status"],
                        attempts=r["attempts"] or 0,
                        last_attempt=moment_or_none(r["last_attempt"]),
                        last_error=r["last_error"], sent_at=moment_or_none(r["sent_at"]))
            for r in db.table("alert_log").rows_where(where, args,
                                                      order_by="fired_at DESC, rowid DESC")]


def target_health(db: Database) -> list[dict[str, Any]]:
    """Return, per target with alerts owed, how many failed, the last attempt (a datetime)
    and error."""
    return [{"target": r[0], "owed": r[1], "failed": r[2], "last_attempt": moment_or_none(r[3]),
             "last_error": r[4]} for r in db.execute(
        "SELECT target, count(*), sum(status = 'failed'), max(last_attempt), "
        "(SELECT last_error FROM alert_log b WHERE b.target = a.target AND "
        " b.status = 'failed' ORDER BY b.last_attempt DESC LIMIT 1) "
        "FROM alert_log a WHERE status != 'sent' GROUP BY target ORDER BY target")]
