"""Commands about the classifier: classify, explain, eval against labels, and train."""

from __future__ import annotations

import json
from math import prod
from typing import TYPE_CHECKING, Any

import click

from .. import store
from ..errors import ConfigError
from ..types import Entity, Signal
from .context import (
    EXIT_USAGE,
    Context,
    Failure,
    echo,
    echo_json,
    errors,
    json_option,
    pass_ctx,
)

if TYPE_CHECKING:
    from ..evaluate import Label, Score, StanceScore, Training


@click.command()
@click.option("--all", "everything", is_flag=True,
              help="Re-apply the debate definition to every stored item.")
@pass_ctx
def classify(ctx: Context, everything: bool) -> None:
    """Classify stored items against the debate definition.

    Without --all, only items that have no signal yet are classified (run does this
    too). With --all, every item is classified again, e.g. after editing the debate
    definition; the classifier version is recorded with each signal.

    Example: monitor classify --all
    """
    from .. import pipeline
    from ..classify import version

    with errors():
        config = ctx.config()
        with store.writer_lock(ctx.db_path):
            db = ctx.db()
            assert config.debate is not None
            count = (pipeline.classify_all if everything else pipeline.catch_up)(db, config)
            pipeline.build_timeline(db, config)
        debate = config.debate
        relevant = store.count_signals(db, debate.id, relevant=True)
        total = store.count_signals(db, debate.id)
    echo(f"classified {count} items against {debate.id} "
               f"(classifier {version(debate)}); {relevant} of {total} relevant")


def _override(bias: float, contributions: tuple[tuple[str, float], ...], relevant: bool,
              threshold: float, rule: float = 0.0) -> str:
    """Return why the verdict or the relevance is not the score's own ("" when it is).
    rule: the definition's own rule, 1 - product of (1 - weight) over the topics fired."""
    from ..classify.model import TITLE, sigmoid

    scored = sigmoid(bias + sum(w for _, w in contributions)) >= threshold
    if rule >= threshold:
        return (f"relevance is the rules' own ({rule:.3f}, from the topics below): the rules "
                "find it relevant, and the weights only add items the rules miss")
    if relevant and not scored and any(f == TITLE for f, _ in contributions):
        return "relevant whatever the score: its title names an instrument of the debate"
    if scored and not relevant:
        return ("held under the threshold: no policy evidence (no topic, stance cue, "
                "threshold, docket, RIN, executive order, ECCN or bill)")
    return ""


def _rule(sig: Signal, weights: dict[str, float]) -> float:
    """The definition's own rule: 1 - the product of (1 - weight) over the topics fired."""
    return round(1 - prod(1 - weights[t.topic] for t in sig.topics), 4)


def _entity_json(e: Entity) -> dict[str, Any]:
    """Return an entity with where in the text it was found."""
    return {"kind": e.kind, "value": e.value, "text": e.text, "start": e.start, "end": e.end}


@click.command()
@click.argument("item_id")
@json_option
@pass_ctx
def explain(ctx: Context, item_id: str, as_json: bool) -> None:
    """Show why an item is (or is not) relevant: every cue, stance, authority and entity.

    The item is classified afresh with the current debate definition; the stored
    signal's version is shown beside it.

    Example: monitor explain fr-ntia:2024-03763
    """
    from ..explain import explain as explain_item

    with errors():
        config = ctx.config()
        found = explain_item(ctx.db(create=False), config, item_id)
    if found is None:
        raise Failure(f"no item {item_id!r} in {ctx.db_path} (ids are shown by "
                      "`monitor signals`)", EXIT_USAGE)
    item, sig, stored, weights = found.item, found.signal, found.stored, found.weights
    if as_json:
        echo_json(json.dumps({
            "item": {"id": item.id, "title": item.title, "url": item.url,
                     "source": item.source_id, "published": item.published},
            "debate": found.debate.id, "version": sig.version,
            "stored_version": stored.version if stored else None,
            "relevance": sig.relevance, "threshold": sig.threshold, "relevant": sig.relevant,
            "topics": [{"topic": t.topic, "weight": weights[t.topic], "cues": list(t.cues)}
                       for t in sig.topics],
            "bias": found.bias,
            "contributions": [{"feature": f, "weight": w} for f, w in found.contributions],
            "note": _override(found.bias, found.contributions, sig.relevant, sig.threshold,
                              _rule(sig, weights)) if found.bias is not None else "",
            "stance": sig.stance, "stance_cues": list(sig.stance_cues),
            "authority": sig.authority, "authority_reason": sig.authority_reason,
            "entities": [_entity_json(e) for e in sig.entities]}, indent=2))
        return
    verdict = "relevant" if sig.relevant else "not relevant"
    echo(f"{item.id}  {item.title}")
    echo(f"  {item.url or '(no link)'}  {item.published or 'undated'}  "
               f"source {item.source_id}")
    echo(f"relevance {sig.relevance:.3f} (threshold {sig.threshold}): {verdict}")
    if found.bias is not None:
        total = found.bias + sum(w for _, w in found.contributions)
        echo(f"  score {total:+.3f} = bias {found.bias:+.3f} + the features below; "
             "relevance = 1 / (1 + e^-score)")
        for feature, weight in found.contributions:
            echo(f"  {weight:+8.3f}  {feature}")
        note = _override(found.bias, found.contributions, sig.relevant, sig.threshold,
                         _rule(sig, weights))
        if note:
            echo(f"  {note}")
    elif not sig.topics:
        echo("  no topic fired: every topic needs a cue from each of its groups")
    for t in sig.topics:
        echo(f"  topic {t.topic} (weight {weights[t.topic]}): {', '.join(t.cues)}")
    echo(f"stance {sig.stance}" + (f": {', '.join(sig.stance_cues)}"
                                          if sig.stance_cues else ""))
    echo(f"authority {sig.authority}: {sig.authority_reason}")
    if sig.entities:
        echo("entities:")
        for e in sig.entities:
            where = f" [{e.start}:{e.end}]" if e.start >= 0 else ""
            echo(f"  {e.kind:<17} {e.value:<24} from {e.text!r}{where}")
    if stored and stored.version != sig.version:
        echo(f"(stored signal is from classifier {stored.version}; "
                   "`monitor classify --all` brings it up to date)")


@click.command("eval")
@click.argument("labels", type=click.Path(dir_okay=False))
@click.option("--part", "parts", multiple=True, metavar="P",
              help="Measure only the rows whose `part` column is P (repeatable), e.g. the "
                   "held-out half of a label set's part: --part 4b.")
@json_option
@pass_ctx
def eval_cmd(ctx: Context, labels: str, parts: tuple[str, ...], as_json: bool) -> None:
    """Measure the debate definition on labelled items: precision, recall, F1.

    LABELS.csv has a header row; title and relevant (1 or 0) are required, summary,
    topics (ids separated by ';'), stance (restrict, open, neutral) and source_kind are
    optional. Prints the scores for relevance and for each topic in the labels, the misses
    by title, and, for rows with a stance, its accuracy, macro F1 and confusion table.

    Example: monitor eval tests/data/labels.csv
    """
    from ..evaluate import evaluate, load_labels, select

    with errors():
        config = ctx.config()
        assert config.debate is not None
        labelled = select(load_labels(labels), parts, file=labels)
        known = {t.id for t in config.debate.topics}
        unknown = sorted({t for lab in labelled for t in lab.topics} - known)
        if unknown:
            raise ConfigError(f"topics not in the debate '{config.debate.id}': "
                              f"{', '.join(unknown)}; known: {', '.join(sorted(known))}",
                              file=labels, key="topics")
        report = evaluate(labelled, config.debate)
    if as_json:
        echo_json(json.dumps(report.as_dict(), indent=2))
        return
    echo(f"{report.items} labelled items, debate {report.debate} "
               f"(classifier {report.version})")
    echo(f"{'':<26} {'precision':>9} {'recall':>7} {'f1':>6}   tp  fp  fn")

    def line(name: str, sc: Score) -> None:
        echo(f"{name:<26} {sc.precision:>9.3f} {sc.recall:>7.3f} {sc.f1:>6.3f} "
                   f"{sc.tp:>4} {sc.fp:>3} {sc.fn:>3}")

    line("relevance", report.relevance)
    for name, sc in sorted(report.topics.items()):
        line(f"  {name}", sc)
    for title in report.relevance.false_positives:
        echo(f"false positive: {title}")
    for title in report.relevance.false_negatives:
        echo(f"false negative: {title}")
    if report.stance is not None:
        _stance_table(report.stance)


def _stance_table(st: StanceScore) -> None:
    found = "" if st.found is None else (
        f"; on the {st.found} it found relevant: accuracy {st.found_accuracy:.3f}")
    echo(f"stance on {st.items} labelled items: accuracy {st.accuracy:.3f}, "
         f"macro F1 {st.macro_f1:.3f}{found}")
    predicted = ("restrict", "open", "neutral", "unknown")
    corner = "labelled / predicted"
    echo(f"{corner:<22}" + "".join(f"{p:>10}" for p in predicted)
         + f"{'precision':>11}{'recall':>8}{'f1':>7}")
    per = st.per_class()
    for label in ("restrict", "open", "neutral"):
        row = st.confusion.get(label, {})
        c = per[label]
        echo(f"{label:<22}" + "".join(f"{row.get(p, 0):>10}" for p in predicted)
             + f"{c['precision']:>11.3f}{c['recall']:>8.3f}{c['f1']:>7.3f}")
    for title, labelled, got in st.misses:
        echo(f"stance miss: {labelled} read as {got}: {title}")


@click.command("train")
@click.argument("labels", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--skip-part", "skip", multiple=True, metavar="P",
              help="Leave out the rows whose `part` column is P (repeatable): a held-out half "
                   "such as 4b, kept for measuring.")
@click.option("--out", default=None, type=click.Path(dir_okay=False),
              help="Write the relevance weights here instead of beside the debate definition.")
@click.option("--stance-out", default=None, type=click.Path(dir_okay=False),
              help="Write the stance model here instead of beside the debate definition.")
@click.option("--only", type=click.Choice(["relevance", "stance"]), default=None,
              help="Fit only the relevance weights or only the stance model (default: both; "
                   "the stance model only when some rows carry a stance).")
@click.option("--cv", "folds", default=5, show_default=True, type=int,
              help="Folds of cross-validation that pick the boundary and report held-out "
                   "figures (0: none; the boundary stays the debate's threshold).")
@json_option
@pass_ctx
def train(ctx: Context, labels: tuple[str, ...], skip: tuple[str, ...], out: str | None,
          stance_out: str | None, only: str | None, folds: int, as_json: bool) -> None:
    """Fit the relevance weights and the stance model to labelled items; write them beside
    the debate.

    Each LABELS.csv is read as for `eval` (title and relevant required); several files are
    one training set. The relevance weights
    are a linear model over the debate's own features (the rule's verdict, cue groups, cues,
    topics, instruments, entities, source kind, document type) and the words of the
    labelled text, written as plain JSON to <debate>.weights.json (or --out). The stance
    model weighs every word and word pair of the rows that carry a stance (restrict, open,
    neutral), written to <debate>.stance.json (or --stance-out); classify uses it for
    relevant items whose Federal Register action does not settle their stance. With --cv K
    (default 5), K-fold cross-validation picks the relevance boundary with the best F1 and
    prints the held-out precision, recall and stance accuracy. Then measure on labels you
    did not train on: `monitor eval`. Never train on the frozen test part.

    Example: monitor train tests/data/labelset/dev.csv
    """
    from pathlib import Path

    from ..classify import forget, leaning
    from ..classify.model import dump, weights_path
    from ..evaluate import load_labels, select, train_stance
    from ..evaluate import train as fit_weights

    def write(target: Path | None, text: str, option: str) -> Path:
        if target is None:
            raise ConfigError(f"the debate has no file to write beside; give {option}",
                              key="debate")
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as e:
            raise ConfigError(f"cannot write: {e.strerror or e}", file=str(target)) from e
        return target

    with errors():
        config = ctx.config()
        debate = config.debate
        assert debate is not None
        rows = select([row for file in labels for row in load_labels(file)], skip=skip,
                      file=", ".join(labels))
        name = "+".join(Path(f).name for f in labels) + (
            f" (less parts {', '.join(skip)})" if skip else "")
        done = stance = None
        if only != "stance":
            done = fit_weights(rows, debate, trained_on=name, folds=folds)
        if only == "stance" or (only is None and any(r.stance for r in rows)):
            stance = train_stance(rows, debate, trained_on=name, folds=folds)
        wrote = stance_wrote = None
        if done is not None:
            wrote = write(Path(out) if out else weights_path(debate.path),
                          dump(done.weights), "--out")
        if stance is not None:
            stance_wrote = write(Path(stance_out) if stance_out else
                                 leaning.path_beside(debate.path), leaning.dump(stance.model),
                                 "--stance-out")
        forget()
    if as_json:
        out_json: dict[str, object] = {"items": len(rows),
                                       "relevant": sum(r.relevant for r in rows)}
        if done is not None:
            out_json.update({"wrote": str(wrote), **done.as_dict()})
        if stance is not None:
            out_json["stance"] = {"wrote": str(stance_wrote), **stance.as_dict()}
        echo_json(json.dumps(out_json, indent=2))
        return
    if done is not None:
        _say_relevance(done, rows, debate.threshold)
    if stance is not None:
        echo(f"stance model: {stance.items} labelled rows with a stance, "
             f"{len(stance.model.words)} word weights")
        scv = stance.cross_validated
        if scv is not None:
            echo(f"{stance.folds}-fold cross-validation: stance accuracy {scv.accuracy:.3f} "
                 f"macro F1 {scv.macro_f1:.3f}")
            for title, labelled, got in scv.misses:
                echo(f"held-out stance miss: {labelled} read as {got}: {title}")
    for path in (wrote, stance_wrote):
        if path is not None:
            echo(f"wrote {path}")


def _say_relevance(done: Training, rows: list[Label], threshold: float) -> None:
    weights = done.weights
    echo(f"trained on {len(rows)} labelled items "
         f"({sum(r.relevant for r in rows)} relevant): {len(weights.features)} feature and "
         f"{len(weights.words)} word weights, bias {weights.bias:.3f}")
    cv = done.cross_validated
    if cv is not None:
        echo(f"{done.folds}-fold cross-validation: boundary {done.boundary:.2f} (made the "
             f"threshold {threshold}): precision {cv.precision:.3f} recall "
             f"{cv.recall:.3f} f1 {cv.f1:.3f} (tp {cv.tp} fp {cv.fp} fn {cv.fn})")
        for title in cv.false_positives:
            echo(f"held-out false positive: {title}")
        for title in cv.false_negatives:
            echo(f"held-out false negative: {title}")
