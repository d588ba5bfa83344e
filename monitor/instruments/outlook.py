"""The outlook: what restriction is in force, what is pending, the direction of travel and a
forecast, each statement naming the procedural signal it rests on.

The direction rule: over the ``DIRECTION_MONTHS`` months before ``as_of`` (from the first of
that month), every change of state of a directed instrument is one action. A restricting
instrument proposed, introduced or put in force tightens; one ended loosens. An opening
instrument (one that revokes, rescinds or protects open release) put in force loosens; one
ended tightens. More tightening than loosening actions is ``tightening``, fewer is
``loosening``, as many is ``steady``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from statistics import median

from ..types import Forecast, Instrument, Month, Outlook, State, Travel, times

DIRECTION_MONTHS = 24
CAVEAT = "Based on current signals. Events may develop differently."
DIRECTION_RULE = (f"Over the {DIRECTION_MONTHS} months before as_of, each change of state of "
                  "a directed instrument is one action: a restricting instrument proposed or "
                  "put in force tightens, ended loosens; an opening instrument put in force "
                  "loosens, ended tightens. More tightening than loosening is tightening, "
                  "fewer is loosening, as many is steady.")
_EFFECT = {("restrict", "pending"): 1, ("restrict", "in_force"): 1, ("restrict", "ended"): -1,
           ("open", "in_force"): -1, ("open", "ended"): 1}
_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def outlook(instruments: list[Instrument], as_of: date) -> Outlook:
    """Return the outlook of the instruments as of a day."""
    in_force = tuple(i for i in instruments if i.state == "in_force" and
                     i.direction == "restrict")
    pending = tuple(i for i in instruments if i.state == "pending")
    start = _months_before(as_of, DIRECTION_MONTHS)
    value, basis = _direction(instruments, start, as_of)
    headline = _headline(in_force, pending, value, start, len(basis))
    return Outlook(headline=headline, as_of=as_of, in_force=in_force,
                   pending=pending, direction=value, direction_since=start,
                   direction_basis=tuple(basis), direction_rule=DIRECTION_RULE,
                   forecast=(*forecast(instruments, as_of),
                             Forecast(CAVEAT, "caveat", "")))


def transitions(inst: Instrument) -> list[tuple[date | None, State, str]]:
    """Return the instrument's changes of state as (date, state, status)."""
    out: list[tuple[date | None, State, str]] = []
    state: State | None = None
    for step in inst.history:
        if step.applied and step.state != state:
            out.append((step.date, step.state, step.status))
            state = step.state
    return out


def _direction(instruments: list[Instrument], start: date, end: date
               ) -> tuple[Travel, list[str]]:
    score, basis = 0, []
    for inst in instruments:
        for day, state, status in transitions(inst):
            effect = _EFFECT.get((inst.direction, state), 0)
            if effect and day is not None and start <= day <= end:
                score += effect
                word = "tightening" if effect > 0 else "loosening"
                basis.append(f"{day}: {inst.title} ({_label(inst)}) {status} ({word})")
    basis.sort()
    return ("tightening" if score > 0 else "loosening" if score < 0 else "steady"), basis


def _headline(in_force: tuple[Instrument, ...], pending: tuple[Instrument, ...], value: str,
              start: date, actions: int) -> str:
    if in_force:
        first = f"{_count(len(in_force), 'restricting instrument').capitalize()} " \
                f"{'is' if len(in_force) == 1 else 'are'} in force ({_labels(in_force)})"
    else:
        first = "No restriction on open-weight models is in force"
    restricting = [i for i in pending if i.direction == "restrict"]
    second = (f"{_count(len(restricting), 'restricting instrument')} "
              f"{'is' if len(restricting) == 1 else 'are'} pending"
              + (f" ({_labels(restricting)})" if restricting else ""))
    third = (f"the direction since {start.strftime('%B %Y')} is {value} "
             f"({_count(actions, 'action')})")
    return f"{first}; {second}; {third}."


def forecast(instruments: list[Instrument], as_of: date) -> list[Forecast]:
    """Return what comes next, from procedural facts only: open comment periods, the Unified
    Agenda's projected actions, proposed rules with no final rule (with the proposed-to-final
    lag measured in the data), rules under OIRA review, bill actions."""
    lags = _lags(instruments)
    lag = int(median(lags)) if lags else 0  # once: every pending rule is set against it
    out: list[Forecast] = []
    for inst in instruments:
        if inst.state == "ended":
            continue
        if inst.due and inst.due >= as_of and "comment" in inst.status.lower():
            out.append(Forecast(f"Comments on {inst.title} ({_label(inst)}) close on "
                                f"{inst.due}.", f"open comment period, {inst.id}", inst.due))
        out.extend(_projected(inst, as_of))
        if inst.state != "pending":
            continue
        status = inst.status.lower()
        if "oira review" in status and "concluded" not in status:
            out.append(Forecast(f"{inst.title} ({_label(inst)}) has been under OIRA review "
                                f"since {times.day(inst.since)}; publication or withdrawal follows "
                                "review.", f"OIRA EO 12866 review record, {inst.id}",
                                "when review concludes"))
        elif inst.kind == "rule" and "proposed" in status:
            horizon: str | date
            if lags and inst.since is not None:
                due = inst.since + timedelta(days=lag)
                when = "overdue" if due < as_of else f"around {due}"
                note = (f"; in this database proposed rules became final after a median of "
                        f"{lag} days ({_count(len(lags), 'rule')}), so a final rule would "
                        f"come {when}")
                horizon = due
            else:
                note = "; no proposed-to-final lag can be measured in this database yet"
                horizon = "unknown"
            out.append(Forecast(f"{inst.title} ({_label(inst)}) was proposed on "
                                f"{times.day(inst.since)} and has no final rule{note}.",
                                f"proposed rule without a final rule, {inst.id}", horizon))
        elif inst.kind == "bill":
            out.append(Forecast(f"{inst.title} last moved on {times.day(inst.since)} "
                                f"({inst.status}); no later action is recorded.",
                                f"bill actions, {inst.id}", "this Congress"))
    return out


def _projected(inst: Instrument, as_of: date) -> list[Forecast]:
    """Return what the latest Unified Agenda edition projects for the instrument: each
    action and its month, or that the month has passed with no such action recorded."""
    out = []
    month = Month(as_of.year, as_of.month)
    for edition, action, when in inst.projected:
        shown = f"{when.month:02d}/{when.year:04d}" + (
            f" (day {when.day:02d})" if isinstance(when, date) else "")
        if Month(when.year, when.month) >= month:
            statement = (f"The Unified Agenda ({edition}) projects {_article(action)} for "
                         f"{inst.title} ({_label(inst)}) in {shown}.")
        else:
            statement = (f"The Unified Agenda ({edition}) projected {_article(action)} for "
                         f"{inst.title} ({_label(inst)}) in {shown}; that month has passed "
                         f"and the instrument is still {inst.state.replace('_', ' ')} "
                         f"({inst.status}).")
        out.append(Forecast(statement, f"Unified Agenda, {edition}, {inst.id}", when))
    return out


def _article(action: str) -> str:
    """Return "a final action", "an NPRM": the agenda's action read as a noun phrase."""
    words = " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in action.split())
    return ("an " if words[:1].lower() in "aeiou" or words.startswith(("NPRM", "SNPRM"))
            else "a ") + words


def _lags(instruments: list[Instrument]) -> list[int]:
    """Return the days from proposed rule to final rule of every rule that made the trip."""
    lags = []
    for inst in instruments:
        if inst.kind != "rule":
            continue
        proposed = next((d for d, s, st in transitions(inst) if s == "pending" and
                         "proposed" in st), None)
        final = next((d for d, s, _ in transitions(inst) if s == "in_force"), None)
        if proposed and final and final >= proposed:
            lags.append((final - proposed).days)
    return lags


def _labels(instruments: Sequence[Instrument], most: int = 3) -> str:
    """Return the labels of the first few instruments, and how many more there are."""
    shown = ", ".join(_label(i) for i in instruments[:most])
    more = len(instruments) - most
    return shown + (f" and {more} more" if more > 0 else "")


def _label(inst: Instrument) -> str:
    return inst.identifiers[0] if inst.identifiers else inst.id


def _count(n: int, noun: str) -> str:
    word = _NUMBERS[n] if n < len(_NUMBERS) else str(n)
    return f"{word} {noun}{'' if n == 1 else 's'}"


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)
