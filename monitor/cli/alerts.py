"""`monitor alerts`: what fired, for whom and why; `--test RULE` sends a sample."""

from __future__ import annotations

import json

import click

from ..errors import ConfigError
from ..store import alerts as alert_store
from ..types import LoggedAlert, times
from .context import (
    EXIT_OK,
    EXIT_SOURCES_FAILED,
    Context,
    echo,
    echo_json,
    errors,
    now,
    pass_ctx,
    period_start,
)


@click.command()
@click.option("--since", default="1d", show_default=True,
              help="Period: 7d, 48h, 12w, a date, or 'all'.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option("--test", "test_rule", metavar="RULE", default=None,
              help="Send a sample alert of this rule to its targets now (nothing logged).")
@pass_ctx
def alerts(ctx: Context, since: str, as_json: bool, test_rule: str | None) -> int:
    """Show the alerts that fired: when, which rule, to which target, why, and whether they
    were sent, are held (quiet hours, rate limit) or failed (retried on the next run).

    Alerts are evaluated at the end of every `run` and daemon job from the `alerts:`
    section of sources.yaml.

    Example: monitor alerts --since 7d
    """
    if test_rule is not None:
        return _test(ctx, test_rule, as_json)
    start = period_start(since)
    with errors():
        rows = alert_store.alert_log(ctx.db(), start)
    if as_json:
        echo_json(json.dumps({"since": times.iso(start), "alerts": [logged_json(r) for r in rows]},
                             indent=2))
        return EXIT_OK
    if not rows:
        echo(f"no alerts fired since {times.iso(start) or 'the start'}")
    for r in rows:
        a = r.alert
        state = r.status if r.status != "failed" else f"failed x{r.attempts} ({r.last_error})"
        echo(f"{(times.iso(r.fired_at) or '')[:16]}  {a.rule:<16} {a.target:<20} {state}")
        echo(f"    {a.title}")
        echo(f"    why: {a.why}; {a.key}")
        if a.publishes:
            echo(f"    on public inspection, publishes on {times.iso(a.publishes)}")
    return EXIT_OK


def logged_json(r: LoggedAlert) -> dict[str, object]:
    """Return a logged alert as JSON: the log's columns, then the alert's detail."""
    a = r.alert
    return {"target": a.target, "key": a.key, "rule": a.rule, "kind": a.kind, "title": a.title,
            "url": a.url, "why": a.why, "fired_at": times.iso(r.fired_at), "status": r.status,
            "attempts": r.attempts, "last_attempt": times.iso(r.last_attempt),
            "last_error": r.last_error, "sent_at": times.iso(r.sent_at),
            "earliest": times.iso(a.earliest), "publishes": times.iso(a.publishes)}


def _test(ctx: Context, rule: str, as_json: bool) -> int:
    from ..fetch import make_client
    from ..pipeline.alerting import send_test

    with errors():
        config = ctx.config()
        settings = config.alerts
        if settings is None:
            raise ConfigError("no alerts: section", file=config.path, key="alerts")
        if settings.rule(rule) is None:
            known = ", ".join(r.id for r in settings.rules)
            raise ConfigError(f"no rule {rule!r} (rules: {known})", file=config.path,
                              entry="alerts", key="rules")
        with make_client(config.settings) as client:
            results = send_test(config, client, rule, now())
    if as_json:
        echo_json(json.dumps([{"target": t, "error": e} for t, e in results], indent=2))
    else:
        for target, error in results:
            echo(f"{target}: " + (f"FAILED: {error}" if error else "sent"))
    return EXIT_SOURCES_FAILED if any(e for _, e in results) else EXIT_OK
