"""Typed past storage (#10): one event-score type from clustering to the outputs, and rows the
store gives the read side carry aware UTC datetimes and dates, made text only at the edge."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner

from monitor import alerts, cluster, pipeline, report, store
from monitor.cli import cli
from monitor.cli.show import event_json, signal_json
from monitor.config import load_config
from monitor.types import (
    Alert,
    EventScore,
    Item,
    Signal,
    SourceRun,
    SourceState,
    TopicHit,
    times,
)

NOW = datetime(2024, 9, 20, 12, tzinfo=UTC)


def score(**changes) -> EventScore:
    base = EventScore(
        event_id="ev-1", computed_at=NOW, title="Reporting rule", date=date(2024, 9, 11),
        kind="proposed_rule", authority="proposed", topics=("reporting_requirements",),
        stance_mix=(("neutral", 1), ("restrict", 2)), items=3, outlets=2, echo=1,
        attention=1.25, peak_attention=2.5, velocity=0.5, raw=5.0, noise=61.3,
        percentile=0.75, reference_events=4,
        first_seen=datetime(2024, 9, 11, tzinfo=UTC),
        last_seen=datetime(2024, 9, 12, 9, tzinfo=UTC))
    return replace(base, **changes)


def test_a_score_reads_back_as_it_was_written(memdb):
    written = score()
    assert store.save_scores(memdb, [written], "d", {}) == 1
    read = store.latest_scores(memdb, "d")["ev-1"]
    assert read == written
    assert read.first_seen.tzinfo is not None and read.computed_at.utcoffset() == timedelta(0)
    assert isinstance(read.date, date) and not isinstance(read.date, datetime)
    # the columns hold ISO text, as before
    row = memdb.execute("SELECT computed_at, date, first_seen, stance_mix FROM event_scores"
                        ).fetchone()
    assert row == ("2024-09-20T12:00:00+00:00", "2024-09-11", "2024-09-11T00:00:00+00:00",
                   '{"neutral": 1, "restrict": 2}')


def test_an_unchanged_score_is_not_appended_again(memdb):
    first = score()
    store.save_scores(memdb, [first], "d", {})
    previous = store.latest_scores(memdb, "d")
    later = replace(first, computed_at=NOW + timedelta(hours=1), noise=61.5)
    assert store.save_scores(memdb, [later], "d", previous) == 0
    louder = replace(later, noise=70.0)
    assert store.save_scores(memdb, [louder], "d", previous) == 1
    assert store.latest_scores(memdb, "d")["ev-1"] == louder


def test_the_json_of_a_score_is_the_iso_text_it_was_stored_as():
    data = event_json(score())
    assert data["date"] == "2024-09-11"
    assert data["first_seen"] == "2024-09-11T00:00:00+00:00"
    assert data["last_seen"] == "2024-09-12T09:00:00+00:00"
    assert data["computed_at"] == "2024-09-20T12:00:00+00:00"
    assert data["stance_mix"] == {"neutral": 1, "restrict": 2}
    assert data["components"]["reference_events"] == 4
    json.dumps(data)  # nothing left that JSON cannot write


@pytest.mark.parametrize(("value", "iso", "day", "minute", "human"), [
    (datetime(2024, 3, 7, 9, 5, tzinfo=UTC), "2024-03-07T09:05:00+00:00", "2024-03-07",
     "2024-03-07 09:05", "March 7, 2024"),
    (date(2024, 12, 31), "2024-12-31", "2024-12-31", None, "December 31, 2024"),
])
def test_one_formatter_per_format(value, iso, day, minute, human):
    assert times.iso(value) == iso
    assert times.day(value) == day
    assert times.human_day(value) == human
    if minute:
        assert times.minute(value) == minute
    assert times.iso(None) is None and times.day(None) == "" and times.minute(None, "-") == "-"


def test_profile_and_rank_make_one_score_type():
    news = cluster.member_of(
        Item(id="n:1", source_id="n", guid="1", url="https://n.example/1",
             title="Open weights rule", summary="", published="2024-09-12T09:00:00+00:00",
             kind="feed"),
        _signal("n:1"), weight=1.0, role="news", fetched_at=datetime(2024, 9, 12, 10, tzinfo=UTC),
        now=NOW)
    unranked = cluster.profile("ev-1", [(news, "member")], NOW)
    assert isinstance(unranked, EventScore) and unranked.noise == 0.0
    assert unranked.computed_at == NOW and unranked.date == date(2024, 9, 12)
    assert unranked.first_seen == datetime(2024, 9, 12, 9, tzinfo=UTC) == unranked.last_seen
    (ranked,) = cluster.rank([unranked], [(date(2024, 9, 1), "ev-0", 0.1)])
    assert ranked.reference_events == 1 and ranked.noise > 0
    assert replace(ranked, noise=0.0, percentile=0.0, reference_events=0) == unranked


def _signal(item_id: str) -> Signal:
    return Signal(item_id=item_id, debate="d", version="t", relevance=0.9, relevant=True,
                  topics=(TopicHit("open_weight_restrictions", ("cue",)),), stance="restrict",
                  stance_cues=(), authority="news", authority_reason="", entities=())


@pytest.fixture
def clustered(memdb, tmp_path):
    """Two related news items stored, classified and clustered as a run does."""
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - id: news\n    kind: feed\n    url: http://y.test/\n")
    config = load_config(path)
    items = [Item(id=f"news:{i}", source_id="news", guid=str(i),
                  url=f"https://news.example/{i}", title=title, summary="",
                  published=published, kind="feed")
             for i, (title, published) in enumerate([
                 ("Commerce proposes reporting requirements for frontier AI models and "
                  "computing clusters", "2024-09-11T08:00:00+00:00"),
                 ("Commerce proposes reporting requirements for frontier AI models and "
                  "computing clusters, industry responds", "2024-09-12T09:30:00+00:00")])]
    run = SourceRun(source_id="news", status="ok", started=NOW)
    store.save_source_run(memdb, run, None, items, signals_for=pipeline._classifier(config))
    pipeline.build_timeline(memdb, config, now=NOW)
    return memdb, config


def test_rows_for_the_read_side_carry_datetimes(clustered):
    db, config = clustered
    signals = store.query_signals(db, config.debate.id)
    assert signals, "the sample items should be relevant"
    for s in signals:
        assert isinstance(s.published, datetime) and s.published.utcoffset() == timedelta(0)
    assert signal_json(signals[0])["published"] in ("2024-09-12T09:30:00+00:00",
                                                     "2024-09-11T08:00:00+00:00")
    (event,) = store.timeline(db, config.debate.id)
    assert event.first_seen == datetime(2024, 9, 11, 8, tzinfo=UTC)
    assert event.computed_at == NOW
    detail = store.get_event(db, config.debate.id, event.event_id)
    assert detail is not None and detail.latest == event and detail.history == (event,)
    assert store.timeline(db, config.debate.id, since=date(2024, 9, 12)) == []
    rep = report.build(db, config, None, NOW)
    assert rep.generated_at == NOW == rep.until and rep.since is None
    assert rep.events[0].score == event
    assert all(isinstance(day, date) for day, *_ in rep.daily)
    days = store.noise_days(db, config.debate.id, since=datetime(2024, 9, 12, tzinfo=UTC))
    assert [d for d, _, _ in days] == [date(2024, 9, 12)]


def test_the_cli_prints_the_stored_text(clustered, tmp_path):
    db, config = clustered
    (event,) = store.timeline(db, config.debate.id)
    path = tmp_path / "m.db"
    db.execute(f"VACUUM INTO '{path}'")
    result = CliRunner().invoke(cli, ["--db", str(path), "--sources", str(config.path),
                                      "event", event.event_id, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["event"]["first_seen"] == "2024-09-11T08:00:00+00:00"
    assert data["event"]["computed_at"] == "2024-09-20T12:00:00+00:00"
    result = CliRunner().invoke(cli, ["--db", str(path), "--sources", str(config.path),
                                      "event", event.event_id])
    assert result.exit_code == 0, result.output
    assert "2024-09-20 12:00" in result.output  # the noise history's computed time


def test_source_health_reads_back_datetimes(memdb):
    store.save_state(memdb, SourceState(
        source_id="ok", status="ok", last_attempt=datetime(2024, 9, 20, 11, tzinfo=UTC),
        last_success=datetime(2024, 9, 20, 11, tzinfo=UTC),
        next_attempt=datetime(2024, 9, 20, 12, tzinfo=UTC)))
    store.save_state(memdb, SourceState(
        source_id="down", status="failing", last_attempt=datetime(2024, 9, 20, 11, tzinfo=UTC),
        last_error="HTTP 503", error_count=4, next_attempt=datetime(2024, 9, 20, 15, tzinfo=UTC)))
    store.log_run(memdb, SourceRun(source_id="down", status="error", error="HTTP 503",
                                   started=datetime(2024, 9, 18, 6, 30, tzinfo=UTC)), 0)
    health = store.source_health(memdb)
    assert health["ok"].last_success == datetime(2024, 9, 20, 11, tzinfo=UTC)
    assert health["ok"].failing_since is None and health["ok"].error_count == 0
    down = health["down"]
    assert down.last_success is None and down.error_count == 4
    assert down.failing_since == datetime(2024, 9, 18, 6, 30, tzinfo=UTC)  # its first error
    assert down.next_attempt == datetime(2024, 9, 20, 15, tzinfo=UTC)


def test_the_alert_log_reads_back_datetimes(memdb):
    alert = Alert(rule="r", target="desk.email", key="doc:1", kind="item", title="T",
                  url="https://x.example/1", why="final",
                  earliest=datetime(2024, 9, 11, 8, tzinfo=UTC))
    assert store.alerts.save_alerts(memdb, [alert], datetime(2024, 9, 20, 12, tzinfo=UTC)) == 1
    store.alerts.mark_sent(memdb, alert, datetime(2024, 9, 20, 12, 0, 5, tzinfo=UTC))
    (logged,) = store.alerts.alert_log(memdb)
    assert logged.alert == alert and logged.status == "sent" and logged.attempts == 1
    assert logged.fired_at == datetime(2024, 9, 20, 12, tzinfo=UTC)
    assert logged.sent_at == logged.last_attempt == datetime(2024, 9, 20, 12, 0, 5, tzinfo=UTC)
    assert store.alerts.alert_log(memdb, date(2024, 9, 21)) == []


def test_source_state_keeps_datetimes_and_stores_iso_text(memdb):
    state = SourceState(source_id="s", status="failing", error_count=2,
                        last_attempt=datetime(2024, 9, 20, 11, tzinfo=UTC),
                        last_success=datetime(2024, 9, 19, 8, 30, tzinfo=UTC),
                        next_attempt=datetime(2024, 9, 20, 11, 20, tzinfo=UTC))
    store.save_state(memdb, state)
    back = store.get_states(memdb)["s"]
    assert back == state and back.next_attempt is not None and back.next_attempt.tzinfo
    row = memdb.execute("SELECT last_attempt, last_success, next_attempt FROM source_state"
                        ).fetchone()
    assert row == ("2024-09-20T11:00:00+00:00", "2024-09-19T08:30:00+00:00",
                   "2024-09-20T11:20:00+00:00")
    assert store.get_states(memdb)["s"].last_attempt == datetime(2024, 9, 20, 11, tzinfo=UTC)


def test_alert_times_are_typed_and_formatted_only_at_the_edge(memdb):
    moment = Alert(rule="r", target="t.webhook", key="doc:2", kind="item", title="T", url="",
                   why="final", earliest=datetime(2025, 1, 10, 13, 45, tzinfo=UTC),
                   publishes=date(2025, 1, 15))
    changed = Alert(rule="m", target="t.webhook", key="instrument:eo:14110:ended:2025-01-20",
                    kind="instrument", title="EO 14110: revoked", url="", why="ended",
                    earliest=date(2025, 1, 20))
    store.alerts.save_alerts(memdb, [moment, changed], datetime(2025, 1, 10, 14, tzinfo=UTC))
    details = [json.loads(d) for (d,) in memdb.execute(
        "SELECT detail FROM alert_log ORDER BY key")]
    assert details == [{"earliest": "2025-01-10T13:45:00+00:00", "publishes": "2025-01-15"},
                       {"earliest": "2025-01-20", "publishes": None}]
    back = {r.alert.key: r.alert for r in store.alerts.alert_log(memdb)}
    assert back == {"doc:2": moment, changed.key: changed}
    assert isinstance(back["doc:2"].earliest, datetime)
    assert type(back[changed.key].earliest) is date
    assert alerts.message(moment)[1].splitlines()[3] == (
        "When: first public 2025-01-10 13:45 UTC; on public inspection, publishes on 2025-01-15")
    assert "first public 2025-01-20 UTC" in alerts.message(changed)[1]
    body = alerts.webhook_body(moment)["alert"]
    assert (body["earliest"], body["publishes"]) == ("2025-01-10T13:45:00+00:00", "2025-01-15")


def test_backfill_windows_job_runs_and_fetch_log_read_back_typed(memdb):
    run = SourceRun(source_id="fr", status="ok", started=datetime(2024, 9, 20, 6, tzinfo=UTC))
    store.save_source_run(memdb, run, None, window=(date(2024, 1, 1), date(2024, 1, 9), "n"))
    assert store.done_windows(memdb, "fr") == {(date(2024, 1, 1), date(2024, 1, 9))}
    assert memdb.execute("SELECT start, end, done_at FROM backfill_windows").fetchone() == (
        "2024-01-01", "2024-01-09", "2024-09-20T06:00:00+00:00")
    (logged,) = store.get_fetch_log(memdb, "fr")
    assert logged["started"] == datetime(2024, 9, 20, 6, tzinfo=UTC)
    assert store.job_last_run(memdb, "digest") is None
    store.save_job_run(memdb, "digest", datetime(2024, 9, 20, 7, 30, tzinfo=UTC), "done")
    assert store.job_last_run(memdb, "digest") == datetime(2024, 9, 20, 7, 30, tzinfo=UTC)
    assert memdb.execute("SELECT last_run FROM job_runs").fetchone() == (
        "2024-09-20T07:30:00+00:00",)


def test_log_lines_and_alert_times_have_one_formatter_each():
    from monitor.types import times

    assert times.zulu(datetime(2024, 9, 20, 7, 30, 5, tzinfo=UTC)) == "2024-09-20T07:30:05Z"
    assert times.moment_or_day(datetime(2024, 9, 20, 7, 30, 5, tzinfo=UTC)) == "2024-09-20 07:30"
    assert times.moment_or_day(date(2024, 9, 20)) == "2024-09-20"


def test_a_period_is_a_moment_a_day_or_everything():
    from monitor.config import parse_since

    moment = parse_since("7d", NOW)
    assert moment == NOW - timedelta(days=7) and moment.tzinfo is not None
    day = parse_since("2024-09-12", NOW)
    assert type(day) is date and day == date(2024, 9, 12)
    assert parse_since("all", NOW) is None
    assert times.start_of(day) == datetime(2024, 9, 12, tzinfo=UTC)
    assert times.start_of(moment) is moment
    assert times.day_of(moment) == date(2024, 9, 13) and times.day_of(day) is day


def test_the_store_alone_makes_the_period_sql_text(clustered):
    db, config = clustered
    debate = config.debate.id
    # an item known only to its day (a date without a time) on the period's first day
    day_only = Item(id="news:day", source_id="news", guid="day", url="https://news.example/d",
                    title="Commerce finalises reporting requirements for frontier AI models "
                          "and computing clusters", summary="", published="2024-09-12",
                    kind="feed")
    store.save_source_run(db, SourceRun(source_id="news", status="ok", started=NOW), None,
                          [day_only], signals_for=pipeline._classifier(config))
    ids = {s.id for s in store.query_signals(db, debate, since=date(2024, 9, 12))}
    assert ids == {"news:1", "news:day"}  # a day period takes in what is dated to the day
    moment = datetime(2024, 9, 12, 9, 30, tzinfo=UTC)
    assert {s.id for s in store.query_signals(db, debate, since=moment)} == {"news:1"}
    later = moment + timedelta(seconds=1)
    assert store.query_signals(db, debate, since=later) == []
    assert len(store.query_signals(db, debate, since=None)) == 3
    rep = report.build(db, config, date(2024, 9, 12), NOW)
    assert rep.since == datetime(2024, 9, 12, tzinfo=UTC) and rep.since_arg == "2024-09-12"
    assert {s.id for s in rep.signals} == {"news:1", "news:day"}
    rep = report.build(db, config, moment, NOW)
    assert rep.since == moment and rep.since_arg == "2024-09-12"
    assert report.build(db, config, None, NOW).since_arg == "all"


def test_the_cli_shows_the_period_it_read(clustered, tmp_path):
    db, config = clustered
    path = tmp_path / "m.db"
    db.execute(f"VACUUM INTO '{path}'")
    base = ["--db", str(path), "--sources", str(config.path)]
    out = CliRunner().invoke(cli, [*base, "timeline", "--since", "2024-09-12", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["since"] == "2024-09-12"
    out = CliRunner().invoke(cli, [*base, "alerts", "--since", "2024-09-12", "--json"])
    assert json.loads(out.output) == {"since": "2024-09-12", "alerts": []}
    out = CliRunner().invoke(cli, [*base, "alerts", "--since", "all"])
    assert out.output.strip() == "no alerts fired since the start"


def test_members_read_their_times_once_into_datetimes():
    fetched = datetime(2024, 9, 12, 10, tzinfo=UTC)
    doc = Item(id="fr:1", source_id="fr", guid="1", url="https://fr.example/1",
               title="Executive order on open weights", summary="",
               published="2024-09-12T00:00:00+00:00", kind="federal_register",
               extra={"document_number": "2024-1", "publication_date": "2024-09-12",
                      "signing_date": "2024-09-10"},
               earliest="2024-09-11T08:00:00+00:00")
    m = cluster.member_of(doc, _signal("fr:1"), weight=1.0, role="agency",
                          fetched_at=fetched, now=NOW)
    assert m.published == datetime(2024, 9, 12, tzinfo=UTC)
    assert type(m.official_date) is date and m.official_date == date(2024, 9, 10)
    assert m.earliest == datetime(2024, 9, 11, 8, tzinfo=UTC)
    # an earliest moment after the fetch is taken as the fetch; no date: the fetch time
    late = replace(doc, id="fr:2", earliest="2024-09-30T00:00:00+00:00", published=None)
    m = cluster.member_of(late, _signal("fr:2"), weight=1.0, role="agency",
                          fetched_at=fetched, now=NOW)
    assert m.earliest == m.published == datetime(2024, 9, 12, 10, tzinfo=UTC)
    assert cluster.profile("e", [(m, "member")], NOW).date == date(2024, 9, 10)


def test_a_signal_is_stamped_with_a_datetime_stored_as_text(memdb):
    at = datetime(2024, 9, 20, 12, 0, 5, tzinfo=UTC)
    assert store.save_signals(memdb, [_signal("n:1")], at) == 1
    assert memdb.execute("SELECT classified_at FROM signals").fetchone() == (
        "2024-09-20T12:00:05+00:00",)
