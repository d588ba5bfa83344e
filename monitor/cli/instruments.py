"""Commands that answer the analyst's question: instruments (their life cycle) and outlook
(what is in force, what is pending, the direction of travel, a forecast)."""

from __future__ import annotations

import json
from typing import Any

import click

from .. import store
from ..types import Instrument, Outlook, times, when_text
from .context import Context, echo, echo_json, errors, now, pass_ctx


def instrument_json(inst: Instrument) -> dict[str, Any]:
    """Return an instrument with its evidence chain and the conflicts in it."""
    return {
        "id": inst.id, "kind": inst.kind, "title": inst.title,
        "identifiers": list(inst.identifiers), "state": inst.state, "status": inst.status,
        "direction": inst.direction, "since": times.day(inst.since),
        "due": times.iso(inst.due),
        "history": [{"date": times.day(s.date), "status": s.status, "item_id": s.item_id,
                     "url": s.url} for s in inst.history if s.applied],
        "conflicts": [{"date": times.day(s.date), "status": s.status, "item_id": s.item_id,
                       "url": s.url, "why": s.why} for s in inst.conflicts],
        "projected": [{"edition": e, "action": a, "date": when_text(d)}
                      for e, a, d in inst.projected],
    }


def outlook_json(o: Outlook) -> dict[str, Any]:
    """Return the outlook as the stable JSON document `outlook --json` prints."""
    return {
        "headline": o.headline, "as_of": times.iso(o.as_of),
        "in_force": [instrument_json(i) for i in o.in_force],
        "pending": [instrument_json(i) for i in o.pending],
        "direction": {"value": o.direction, "since": times.iso(o.direction_since),
                      "basis": list(o.direction_basis), "rule": o.direction_rule},
        "forecast": [{"statement": f.statement, "basis": f.basis,
                      "horizon": when_text(f.horizon)}
                     for f in o.forecast],
    }


@click.command()
@click.option("--state", type=click.Choice(["pending", "in_force", "ended"]), default=None,
              help="Only instruments in this state.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_ctx
def instruments(ctx: Context, state: str | None, as_json: bool) -> None:
    """List the instruments of the debate (executive orders, rules, bills, proceedings) with
    their life cycle: state (pending, in_force, ended), status, direction, since when, and
    the dated evidence behind every change; conflicting evidence is listed, not hidden.

    Example: monitor instruments --state ended --json
    """
    with errors():
        config = ctx.config()
        assert config.debate is not None
        rows = store.instruments.get_instruments(ctx.db(), config.debate.id, state)
    if as_json:
        echo_json(json.dumps([instrument_json(i) for i in rows], indent=2,
                             ensure_ascii=False))
        return
    if not rows:
        echo("no instruments" + (f" {state}" if state else "") + " (run `monitor run` first)")
    for inst in rows:
        label = inst.identifiers[0] if inst.identifiers else inst.id
        echo(f"{inst.state:<8}  {inst.direction:<8}  {label}  {inst.title}")
        echo(f"          {inst.status} (since {times.day(inst.since)})")
        for s in inst.history:
            mark = "  " if s.applied else "! "
            echo(f"          {mark}{times.day(s.date)}  {s.status}  {s.url}"
                 + (f"  [conflict: {s.why}]" if not s.applied else ""))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_ctx
def outlook(ctx: Context, as_json: bool) -> None:
    """Answer the question: is a restriction on open-weight models getting closer? Shows
    what restricting instruments are in force, what is pending, the direction of travel with
    its basis and rule, and a forecast whose every statement names its procedural signal.

    Example: monitor outlook --json
    """
    from ..instruments import outlook as build_outlook

    with errors():
        config = ctx.config()
        assert config.debate is not None
        rows = store.instruments.get_instruments(ctx.db(), config.debate.id)
    o = build_outlook(rows, now().date())
    if as_json:
        echo_json(json.dumps(outlook_json(o), indent=2, ensure_ascii=False))
        return
    echo(o.headline)
    echo(f"as of {times.day(o.as_of)}; direction {o.direction} since "
         f"{times.day(o.direction_since)}:")
    for line in o.direction_basis:
        echo(f"  {line}")
    echo("Forecast:")
    for f in o.forecast:
        echo(f"  - {f.statement}"
             + (f" [{f.basis}; {when_text(f.horizon)}]" if f.horizon else ""))
