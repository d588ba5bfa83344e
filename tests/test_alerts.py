"""Alerts: the rules (table-driven), quiet hours, the `alerts:` section, and delivery to a
real SMTP server (aiosmtpd) and a real webhook (pytest-httpserver) on loopback, through
`monitor run` and the daemon: once per target, a failing target retried, quiet hours held.

The public-inspection entry served is the real AI Diffusion rule's (FR Doc 2025-00636, from
the bundled sample's copy of public-inspection-documents/current.json), with its filed_at
and publication_date moved to now, so that it is news to the rules.
"""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from werkzeug.wrappers import Request, Response

from monitor import alerts, store
from monitor.cli import cli
from monitor.config import load_config
from monitor.errors import ConfigError
from monitor.fetch import make_client
from monitor.pipeline.alerting import send_alerts
from monitor.schedule import Daemon
from monitor.types import Alert, AlertRule, AlertSettings, AlertTarget, Arrival

FIXTURE = Path(__file__).parent / "fixtures" / "alerts" / "ai-diffusion-public-inspection.json"


# --- rules ---------------------------------------------------------------------------------

ITEM = Arrival(key="doc:fr:2025-00636", kind="item", title="Framework for AI Diffusion",
               source_id="fr-pi", authority="proposed", topics=("weight_export_controls",))
EVENT = Arrival(key="event:ev-1", kind="event", title="e", authority="final", noise=72.0,
                topics=("compute_thresholds",))
LEVEL = Arrival(key="level:2026-11-29", kind="level", title="l", level="loud")


@pytest.mark.parametrize("rule,arrival,fires", [
    pytest.param(AlertRule("r", ("t",), authority="proposed"), ITEM, True, id="authority-equal"),
    pytest.param(AlertRule("r", ("t",), authority="final"), ITEM, False, id="authority-below"),
    pytest.param(AlertRule("r", ("t",), authority="official"), ITEM, True, id="authority-above"),
    pytest.param(AlertRule("r", ("t",), topics=("weight_export_controls", "x")), ITEM, True,
                 id="topic-any"),
    pytest.param(AlertRule("r", ("t",), topics=("compute_thresholds",)), ITEM, False,
                 id="topic-none"),
    pytest.param(AlertRule("r", ("t",), sources=("news",)), ITEM, False, id="other-source"),
    pytest.param(AlertRule("r", ("t",)), ITEM, True, id="any-relevant-item"),
    pytest.param(AlertRule("r", ("t",)), EVENT, False, id="item-rule-not-on-events"),
    pytest.param(AlertRule("r", ("t",), noise=70), EVENT, True, id="noise-reached"),
    pytest.param(AlertRule("r", ("t",), noise=80), EVENT, False, id="noise-not-reached"),
    pytest.param(AlertRule("r", ("t",), noise=60, topics=("x",)), EVENT, False,
                 id="noise-other-topic"),
    pytest.param(AlertRule("r", ("t",), level="loud"), LEVEL, True, id="level-reached"),
    pytest.param(AlertRule("r", ("t",), level="elevated"), LEVEL, True, id="level-above"),
    pytest.param(AlertRule("r", ("t",), level="surge"), LEVEL, False, id="level-below"),
])
def test_rule_matches(rule, arrival, fires):
    assert (alerts.matches(rule, arrival) is not None) is fires


def test_one_alert_per_target_and_thing():
    settings = AlertSettings(
        rules=(AlertRule("a", ("t1", "t2"), authority="official"),
               AlertRule("b", ("t1",), topics=("weight_export_controls",))),
        targets=(AlertTarget("t1", webhook="http://x"), AlertTarget("t2", webhook="http://y")))
    fired = alerts.evaluate(settings, [ITEM, ITEM])
    assert [(a.rule, a.target) for a in fired] == [("a", "t1"), ("a", "t2")]


@pytest.mark.parametrize("start,end,at,held_until", [
    ("22:00", "07:00", "23:30", "2026-11-30T07:00"),
    ("22:00", "07:00", "03:00", "2026-11-29T07:00"),
    ("22:00", "07:00", "07:00", None),
    ("22:00", "07:00", "12:00", None),
    ("12:00", "14:00", "13:59", "2026-11-29T14:00"),
    ("12:00", "14:00", "11:59", None),
])
def test_quiet_hours(start, end, at, held_until):
    settings = AlertSettings(rules=(), targets=(), quiet_start=start, quiet_end=end,
                             timezone="America/New_York")
    from zoneinfo import ZoneInfo
    now = datetime.fromisoformat(f"2026-11-29T{at}").replace(tzinfo=ZoneInfo("America/New_York"))
    ends = alerts.quiet_until(settings, now.astimezone(UTC))
    assert (ends.strftime("%Y-%m-%dT%H:%M") if ends else None) == held_until


def test_webhook_body_is_slack_text_and_escapes_the_title():
    alert = alerts.evaluate(AlertSettings(rules=(AlertRule("r", ("t",)),),
                                          targets=(AlertTarget("t", webhook="http://x"),)),
                            [Arrival(key="k", kind="item", title="<!channel> & <x|y>",
                                     url="https://example.org/d", authority="news")])[0]
    body = alerts.webhook_body(alert)
    assert "<!channel>" not in body["text"]
    assert body["text"].startswith("*<https://example.org/d|&lt;!channel&gt; &amp; &lt;x|y&gt;>*")


# --- the alerts: section -------------------------------------------------------------------

def write_sources(tmp: Path, body: str) -> Path:
    path = tmp / "sources.yaml"
    path.write_text("sources: []\n" + body)
    return path


@pytest.mark.parametrize("body,message", [
    ("alerts: {targets: {t: {webhook: 'http://127.0.0.1/h'}}, rules: [{id: r, to: [u]}]}\n",
     "unknown target 'u'"),
    ("alerts: {targets: {t: {email: [a@b.org]}}, rules: [{id: r, to: [t]}]}\n",
     "no smtp: section"),
    ("alerts: {targets: {t: {webhook: 'ftp://x'}}, rules: [{id: r, to: [t]}]}\n",
     "not an http(s) URL"),
    ("alerts: {targets: {t: {webhook: 'http://x.org'}}, rules: [{id: r, to: [t], "
     "authority: binding}]}\n", "authority must be one of"),
    ("alerts: {targets: {t: {webhook: 'http://x.org'}}, rules: [{id: r, to: [t], "
     "topics: [nope]}]}\n", "unknown topic 'nope'"),
    ("alerts: {targets: {t: {webhook: 'http://x.org'}}, rules: [{id: r, to: [t], "
     "level: deafening}]}\n", "level must be one of"),
    ("alerts: {quiet_hours: '7-22', targets: {t: {webhook: 'http://x.org'}}, "
     "rules: [{id: r, to: [t]}]}\n", "quiet_hours must be like"),
    ("alerts: {targets: {t: {webhook: 'http://x.org'}}, rules: [{id: r, to: [t]}, "
     "{id: r, to: [t]}]}\n", "two rules are named 'r'"),
])
def test_bad_alerts_section_is_refused(tmp_path, body, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(write_sources(tmp_path, body))


# --- delivery on loopback ------------------------------------------------------------------

class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(envelope.original_content)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inbox():
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield box, controller.port
    finally:
        controller.stop()


class Hook:
    """A webhook receiver that can be told to fail."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.status = 200

    def __call__(self, request: Request) -> Response:
        if self.status != 200:
            return Response("down for maintenance", status=self.status)
        self.bodies.append(json.loads(request.get_data()))
        return Response("ok")


@pytest.fixture
def setup(tmp_path, httpserver, inbox):
    box, port = inbox
    doc = json.loads(FIXTURE.read_text())
    now = datetime.now(UTC)
    doc["filed_at"] = (now - timedelta(hours=2)).isoformat()
    doc["publication_date"] = (now + timedelta(days=3)).date().isoformat()
    httpserver.expect_request("/public-inspection-documents/current.json").respond_with_json(
        {"count": 1, "results": [doc]})
    hook = Hook()
    httpserver.expect_request("/hook", method="POST").respond_with_handler(hook)
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"""
sources:
  - id: fr-public-inspection
    kind: federal_register
    url: "{httpserver.url_for('/public-inspection-documents/current.json')}"
    interval: 1h
    options: {{endpoint: public_inspection}}
smtp: {{host: 127.0.0.1, port: {port}, security: none, from: monitor@example.org}}
alerts:
  targets:
    desk: {{email: [analyst@example.org]}}
    chat: {{webhook: "{httpserver.url_for('/hook')}"}}
  rules:
    - {{id: binding, authority: proposed, to: [desk, chat]}}
""")
    return tmp_path / "m.db", sources, box, hook, doc


def cli_run(db: Path, sources: Path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(db), "--sources", str(sources), *args])


def test_run_alerts_at_once_by_email_and_webhook_and_never_twice(setup):
    db, sources, box, hook, doc = setup
    result = cli_run(db, sources, "run")
    assert result.exit_code == 0, result.output
    assert len(box.messages) == 1 and len(hook.bodies) == 1
    mail = message_from_bytes(box.messages[0], policy=policy.default)
    assert mail["Subject"] == "[monitor] binding: Framework for Artificial Intelligence Diffusion"
    text = mail.get_body(("plain",)).get_content()
    assert f"on public inspection, publishes on {doc['publication_date']}" in text
    body = hook.bodies[0]
    assert body["alert"]["key"] == "doc:fr:2025-00636"
    assert body["alert"]["publishes"] == doc["publication_date"]
    assert "Framework for Artificial Intelligence Diffusion" in body["text"]
    # a second run, and a daemon started afresh on the same database: nothing sent again
    assert cli_run(db, sources, "run", "--force").exit_code == 0
    config = load_config(sources)
    with make_client(config.settings) as client:
        Daemon(config, store.open_db(db), client).run_once()
    assert len(box.messages) == 1 and len(hook.bodies) == 1
    listed = json.loads(cli_run(db, sources, "alerts", "--json").output)["alerts"]
    assert sorted((a["target"], a["status"]) for a in listed) == [
        ("chat.webhook", "sent"), ("desk.email", "sent")]


def test_failing_target_is_retried_and_shown_and_not_marked_sent(setup):
    db, sources, box, hook, _ = setup
    hook.status = 503
    result = cli_run(db, sources, "run")
    assert result.exit_code == 0, result.output
    assert len(box.messages) == 1 and hook.bodies == []
    listed = json.loads(cli_run(db, sources, "alerts", "--json").output)["alerts"]
    failed = [a for a in listed if a["target"] == "chat.webhook"][0]
    assert failed["status"] == "failed" and failed["sent_at"] is None
    assert "HTTP 503" in failed["last_error"]
    health = json.loads(cli_run(db, sources, "sources", "--json").output)["alert_targets"]
    assert health[0]["target"] == "chat.webhook" and health[0]["failed"] == 1
    assert "alerts chat.webhook" in cli_run(db, sources, "sources").output
    assert "alerts chat.webhook" in cli_run(db, sources, "doctor").output
    hook.status = 200
    assert cli_run(db, sources, "run", "--force").exit_code == 0
    assert len(hook.bodies) == 1 and len(box.messages) == 1
    listed = json.loads(cli_run(db, sources, "alerts", "--json").output)["alerts"]
    assert {a["status"] for a in listed} == {"sent"}
    assert json.loads(cli_run(db, sources, "sources", "--json").output)["alert_targets"] == []


def test_quiet_hours_hold_alerts_until_they_end(setup):
    db, sources, box, hook, _ = setup
    now = datetime.now(UTC).replace(microsecond=0)
    start = (now - timedelta(hours=1)).strftime("%H:%M")
    end = (now + timedelta(hours=1)).strftime("%H:%M")
    sources.write_text(sources.read_text().replace(
        "alerts:\n", f"alerts:\n  quiet_hours: \"{start}-{end}\"\n  timezone: UTC\n"))
    assert cli_run(db, sources, "run").exit_code == 0
    assert box.messages == [] and hook.bodies == []
    listed = json.loads(cli_run(db, sources, "alerts", "--json").output)["alerts"]
    assert {a["status"] for a in listed} == {"pending"}
    config = load_config(sources)
    with make_client(config.settings) as client:
        done = send_alerts(store.open_db(db), config, client, now + timedelta(hours=2))
    assert (done.sent, done.held) == (2, 0)
    assert len(box.messages) == 1 and len(hook.bodies) == 1


def test_rate_limit_holds_the_rest_for_a_later_run(setup):
    db, sources, box, hook, _ = setup
    sources.write_text(sources.read_text().replace("alerts:\n", "alerts:\n  max_per_hour: 1\n"))
    assert cli_run(db, sources, "run").exit_code == 0
    assert len(box.messages) == 1 and len(hook.bodies) == 1
    database = store.open_db(db)
    first = store.alerts.owed_alerts(database) or None
    assert first is None  # both channels got their one alert of the hour
    another = Alert(rule="binding", target="desk.email", key="doc:fr:2025-00637",
                    kind="item", title="Public Briefing on Framework for AI Diffusion", url="",
                    why="authority final (at least proposed)")
    with database.conn:
        store.alerts.save_alerts(database, [another], datetime.now(UTC))
    config = load_config(sources)
    with make_client(config.settings) as client:
        done = send_alerts(database, config, client)
        assert (done.sent, done.held) == (0, 1) and len(box.messages) == 1
        done = send_alerts(database, config, client, datetime.now(UTC) + timedelta(hours=2))
    assert (done.sent, done.held) == (1, 0) and len(box.messages) == 2


def test_alerts_test_sends_a_sample_and_reports_a_failure(setup):
    db, sources, box, hook, _ = setup
    result = cli_run(db, sources, "alerts", "--test", "binding")
    assert result.exit_code == 0, result.output
    assert "desk.email: sent" in result.output and "chat.webhook: sent" in result.output
    assert len(box.messages) == 1 and hook.bodies[0]["alert"]["rule"] == "binding"
    hook.status = 500
    result = cli_run(db, sources, "alerts", "--test", "binding")
    assert result.exit_code == 1 and "chat.webhook: FAILED" in result.output
    result = cli_run(db, sources, "alerts", "--test", "nope")
    assert result.exit_code == 2 and "no rule 'nope'" in result.output


def test_digest_marks_a_document_on_public_inspection(setup):
    db, sources, _, _, doc = setup
    assert cli_run(db, sources, "run").exit_code == 0
    for fmt in ("text", "md", "html"):
        result = cli_run(db, sources, "digest", "--since", "7d", "--format", fmt)
        assert result.exit_code == 0, result.output
        assert f"on public inspection, publishes on {doc['publication_date']}" in result.output


def test_alerts_table_and_a_bad_section_at_init(setup, tmp_path):
    db, sources, _, hook, doc = setup
    hook.status = 502
    assert cli_run(db, sources, "run").exit_code == 0
    out = cli_run(db, sources, "alerts", "--since", "7d").output
    assert "binding" in out and "desk.email" in out and "sent" in out
    assert "chat.webhook" in out and "failed x1 (webhook http://localhost:" in out
    assert "answered HTTP 502: down for maintenance" in out
    assert f"on public inspection, publishes on {doc['publication_date']}" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text(sources.read_text().replace("to: [desk, chat]", "to: [desk, pager]"))
    result = cli_run(db, bad, "init")
    assert result.exit_code == 2 and "unknown target 'pager'" in result.output


def test_the_daemons_digest_job_also_ends_with_alerts(setup, tmp_path):
    db, sources, box, hook, _ = setup
    quiet = sources.read_text()
    now = datetime.now(UTC)
    sources.write_text(quiet.replace("alerts:\n", "alerts:\n  quiet_hours: \"{}-{}\"\n  "
                                     "timezone: UTC\n".format(
                                         (now - timedelta(hours=1)).strftime("%H:%M"),
                                         (now + timedelta(hours=1)).strftime("%H:%M"))))
    assert cli_run(db, sources, "run").exit_code == 0
    assert box.messages == [] and hook.bodies == []
    # the quiet hours are over; the digest job (mailing its digest to smtp.to) runs first
    sources.write_text(quiet.replace("from: monitor@example.org}",
                                     "from: monitor@example.org, to: [desk@example.org]}"))
    config = load_config(sources)
    with make_client(config.settings) as client:
        Daemon(config, store.open_db(db), client).send_digest()
    subjects = [message_from_bytes(m, policy=policy.default)["Subject"] for m in box.messages]
    assert len(subjects) == 2 and subjects[1].startswith("[monitor] binding: ")
    assert len(hook.bodies) == 1


# --- instruments changing state ------------------------------------------------------------

INSTRUMENT = Arrival(key="instrument:eo:14110:ended:2025-01-20", kind="instrument",
                     title="EO 14110: revoked by EO 14148", state="ended")


@pytest.mark.parametrize("rule,fires", [
    pytest.param(AlertRule("r", ("t",), instrument=("ended",)), True, id="state-watched"),
    pytest.param(AlertRule("r", ("t",), instrument=("in_force", "pending")), False,
                 id="state-not-watched"),
    pytest.param(AlertRule("r", ("t",)), False, id="item-rule-not-on-instruments"),
])
def test_instrument_rule_matches(rule, fires):
    assert (alerts.matches(rule, INSTRUMENT) is not None) is fires


@pytest.mark.parametrize("rule,message", [
    ("{id: r, to: [t], instrument: [gone]}", "instrument states are pending, in_force, ended"),
    ("{id: r, to: [t], instrument: [ended], noise: 50}", "takes only the states it watches"),
])
def test_bad_instrument_rule_is_refused(tmp_path, rule, message):
    body = f"alerts: {{targets: {{t: {{webhook: 'http://x.org'}}}}, rules: [{rule}]}}\n"
    with pytest.raises(ConfigError, match=message):
        load_config(write_sources(tmp_path, body))


def test_an_instrument_that_ended_alerts_once(tmp_path, httpserver):
    out = tmp_path / "demo"
    assert CliRunner().invoke(cli, ["demo", "--out", str(out)]).exit_code == 0
    hook = Hook()
    httpserver.expect_request("/hook", method="POST").respond_with_handler(hook)
    sources = out / "sources.yaml"
    sources.write_text(sources.read_text() + f"""
alerts:
  targets:
    chat: {{webhook: "{httpserver.url_for('/hook')}"}}
  rules:
    - {{id: ended, instrument: [ended], to: [chat]}}
""")
    config = load_config(sources)
    db = store.open_db(out / "monitor.db")
    with make_client(config.settings) as client:
        first = send_alerts(db, config, client)
        again = send_alerts(db, config, client)
    keys = sorted(b["alert"]["key"] for b in hook.bodies)
    assert first.sent == len(keys) >= 2 and again.fired == again.sent == 0
    assert all(k.startswith("instrument:") and ":ended:" in k for k in keys)
    assert any("revoked" in b["text"] for b in hook.bodies)  # EO 14110, by EO 14148
