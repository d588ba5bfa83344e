from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config import (
    FR_DOCUMENTS_URL,
    SETTING_HELP,
    check_cron,
    daemon_settings,
    load_config,
    parse_duration,
    parse_interval,
    parse_since,
    smtp_settings,
)
from monitor.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "sources.yaml"
    p.write_text(text)
    return p


def test_shipped_sources_yaml_loads():
    config = load_config(ROOT / "sources.yaml")
    ids = [s.id for s in config.sources]
    assert {"fr-ntia", "fr-bis", "fr-executive-orders", "fr-term", "fr-public-inspection",
            "ntia-rss", "whitehouse-actions", "ntia-newsroom", "regs-ntia-2023-0009",
            "regs-bis-2024-0047"} <= set(ids)
    kinds = {s.kind for s in config.sources}
    assert kinds == {"federal_register", "feed", "html", "regulations_gov"}
    regs = config.source("regs-bis-2024-0047")
    assert regs.api_key_env == "REGULATIONS_GOV_API_KEY"
    assert ("filter[docketId]", "BIS-2024-0047") in regs.query


def test_federal_register_defaults():
    config = load_config(ROOT / "sources.yaml")
    fr = config.source("fr-bis")
    assert fr.url == FR_DOCUMENTS_URL
    q = list(fr.query)
    assert ("conditions[type][]", "RULE") in q and ("conditions[type][]", "PRORULE") in q
    assert ("order", "newest") in q and ("per_page", "200") in q
    assert ("fields[]", "comments_close_on") in q and ("fields[]", "docket_ids") in q
    pi = config.source("fr-public-inspection")
    assert pi.url.endswith("public-inspection-documents/current.json")
    assert pi.query == ()


@pytest.mark.parametrize(("value", "seconds"), [
    ("30m", 1800), ("6h", 21600), ("1d", 86400), ("1w", 604800), (3600, 3600), ("90s", 90),
    ("1.5h", 5400),
])
def test_parse_interval(value, seconds):
    assert parse_interval(value) == seconds


@pytest.mark.parametrize("value", ["soon", "5s", 0, "-1h", "1y", True])
def test_parse_interval_refuses(value):
    with pytest.raises(ValueError):
        parse_interval(value)


BAD = {
    "unknown kind": ("sources:\n  - id: a\n    kind: atom\n    url: http://x/\n",
                     "entry #1 (a), key 'kind'", 3),
    "missing url": ("sources:\n  - id: a\n    kind: feed\n", "key 'url'", 2),
    "bad interval": ("sources:\n  - id: a\n    kind: feed\n    url: http://x/\n"
                     "    interval: often\n", "key 'interval'", 5),
    "duplicate id": ("sources:\n  - id: a\n    kind: feed\n    url: http://x/\n"
                     "  - id: a\n    kind: feed\n    url: http://y/\n",
                     "entry #2 (a), key 'id'", 5),
    "unknown key": ("sources:\n  - id: a\n    kind: feed\n    url: http://x/\n    colour: red\n",
                    "key 'colour'", 5),
    "not http": ("sources:\n  - id: a\n    kind: feed\n    url: ftp://x/\n", "key 'url'", 4),
    "bad id": ("sources:\n  - id: 'A B'\n    kind: feed\n    url: http://x/\n", "key 'id'", 2),
    "html without item": ("sources:\n  - id: a\n    kind: html\n    url: http://x/\n",
                          "key 'options'", 2),
    "unknown option": ("sources:\n  - id: a\n    kind: feed\n    url: http://x/\n"
                       "    options: {item: x}\n", "unknown option 'item'", 5),
    "bad per_page": ("sources:\n  - id: a\n    kind: federal_register\n"
                     "    options: {per_page: 5000}\n", "per_page", 4),
    "unknown setting": ("settings:\n  speed: 3\nsources: []\n", "key 'speed'", 2),
    "wrong setting type": ("settings:\n  timeout: fast\nsources: []\n", "key 'timeout'", 2),
    "too many redirects": ("settings:\n  max_redirects: 9\nsources: []\n",
                           "key 'max_redirects'", 2),
    "sources not a list": ("sources: {a: 1}\n", "key 'sources'", 1),
    "unknown section": ("sourcez: []\n", "key 'sourcez'", 1),
    "syntax error": ("sources:\n  - id: a\n    kind: [feed\n", "YAML syntax error", None),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_config_names_file_entry_key_and_line(tmp_path, case):
    text, expected, line = BAD[case]
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    assert expected in message
    if line is not None:
        assert info.value.line == line
        assert f"{path}:{line}" in message


def test_syntax_error_has_a_line(tmp_path):
    path = write(tmp_path, "sources:\n  - id: a\n    kind: [feed\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.line is not None and info.value.line >= 3


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")


def test_base_placeholder_and_query_lists(tmp_path):
    path = write(tmp_path, "sources:\n  - id: a\n    kind: federal_register\n"
                 "    url: '{base}/fr.json'\n    query:\n      conditions[type][]: [RULE, NOTICE]\n"
                 "      per_page: 50\n")
    config = load_config(path, base_url="http://127.0.0.1:9")
    src = config.sources[0]
    assert src.url == "http://127.0.0.1:9/fr.json"
    assert src.host == "127.0.0.1:9"
    assert ("conditions[type][]", "NOTICE") in src.query
    assert ("per_page", "50") in src.query and ("per_page", "200") not in src.query


def test_every_setting_has_help():
    assert all(SETTING_HELP.values())
    assert "max_body_bytes" in SETTING_HELP


# --- every section is validated at load --------------------------------------------------------

SMTP = "smtp:\n  host: 127.0.0.1\n  from: monitor@example.org\n  to: [analyst@example.org]\n"

BAD_SECTIONS = {
    "digest failing_after": ("sources: []\ndigest:\n  failing_after: often\n",
                             "entry digest, key 'failing_after'", 3),
    "digest unknown key": ("sources: []\ndigest:\n  failing_afer: 1d\n",
                           "entry digest, key 'failing_afer'", 3),
    "daemon cron": ("sources: []\ndaemon:\n  digest:\n    cron: every morning\n    send: false\n",
                    "entry daemon, key 'digest.cron'", 4),
    "daemon cron out of range": ("sources: []\ndaemon:\n  digest:\n    cron: '0 24 * * *'\n"
                                 "    send: false\n", "key 'digest.cron'", 4),
    "daemon timezone": ("sources: []\ndaemon:\n  timezone: Mars/Olympus_Mons\n",
                        "entry daemon, key 'timezone'", 3),
    "daemon timezone a directory": ("sources: []\ndaemon:\n  timezone: America\n",
                                    "key 'timezone'", 3),
    "daemon jitter": ("sources: []\ndaemon:\n  jitter: a while\n", "key 'jitter'", 3),
    "daemon digest period": ("sources: []\ndaemon:\n  digest:\n    cron: '0 7 * * 1-5'\n"
                             "    since: fortnight\n    send: false\n",
                             "entry daemon, key 'digest.since'", 5),
    "daemon digest format": ("sources: []\ndaemon:\n  digest:\n    cron: '0 7 * * 1-5'\n"
                             "    format: pdf\n    send: false\n", "key 'digest.format'", 5),
    "daemon digest mailed without smtp": ("sources: []\ndaemon:\n  digest:\n"
                                          "    cron: '0 7 * * 1-5'\n    send: true\n",
                                          "key 'digest.send'", 5),
    "smtp port": (f"sources: []\n{SMTP}  port: 99999\n", "entry smtp, key 'port'", 6),
    "smtp security": (f"sources: []\n{SMTP}  security: carrier-pigeon\n",
                      "entry smtp, key 'security'", 6),
    "smtp address": ("sources: []\nsmtp:\n  host: 127.0.0.1\n  from: monitor@example.org\n"
                     "  to: [analyst]\n", "entry smtp, key 'to'", 5),
    "source cron out of range": ("sources:\n  - id: a\n    kind: feed\n    url: http://x/\n"
                                 "    cron: '0 7 * * 7'\n", "entry #1 (a), key 'cron'", 5),
    "noise section": ("sources: []\nnoise:\n  window: 28\n", "key 'noise'", 2),
}


@pytest.mark.parametrize("case", list(BAD_SECTIONS), ids=list(BAD_SECTIONS))
def test_every_section_is_validated_at_load(tmp_path, case):
    text, expected, line = BAD_SECTIONS[case]
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert f"{path}:{line}" in message and info.value.line == line
    assert expected in message


def test_sections_read_at_load(tmp_path):
    path = write(tmp_path, f"sources: []\n{SMTP}daemon:\n  timezone: America/New_York\n"
                 "  misfire_grace_time: 10m\n  digest: {cron: '0 7 * * 1-5', since: 7d}\n"
                 "digest:\n  failing_after: 2d\n")
    config = load_config(path)
    assert smtp_settings(config).to == ("analyst@example.org",)
    assert smtp_settings(config).port == 587
    settings = daemon_settings(config)
    assert settings.timezone == "America/New_York" and settings.misfire_grace_time == 600
    assert settings.digest_cron == "0 7 * * 1-5" and settings.digest_since == "7d"
    assert settings.digest_send


def test_no_smtp_section_fails_only_when_mail_is_sent(tmp_path):
    config = load_config(write(tmp_path, "sources: []\n"))
    assert daemon_settings(config).digest_cron is None
    with pytest.raises(ConfigError, match="no smtp section"):
        smtp_settings(config)


@pytest.mark.parametrize(("value", "seconds"), [
    ("10s", 10), ("30m", 1800), (0, 0), (2.5, 2.5), ("1.5h", 5400), ("1w", 604800),
])
def test_parse_duration(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(("value", "days"), [("48h", 2), ("30d", 30), ("12w", 84), ("1y", 365)])
def test_parse_since(value, days):
    now = datetime(2026, 11, 2, 12, 0)
    assert parse_since(value, now) == now - timedelta(days=days)
    assert parse_since("all", now) is None
    assert parse_since("2024-01-31", now) == date(2024, 1, 31)
    with pytest.raises(ValueError, match="is not a period"):
        parse_since("30m", now)


@pytest.mark.parametrize("line", ["0 7 * * 1-5", "*/15 * * * *", "5 */6 * * *",
                                  "0 0 1,15 jan-jun mon", "59 23 31 12 0-6"])
def test_check_cron_accepts(line):
    assert check_cron(line) == line


@pytest.mark.parametrize("line", ["every morning", "0 7 * *", "60 * * * *", "0 24 * * *",
                                  "0 0 0 * *", "0 0 * 13 *", "0 0 * * 7", "*/90 * * * *", 7])
def test_check_cron_refuses(line):
    with pytest.raises(ValueError):
        check_cron(line)


@pytest.mark.parametrize("query, message", [
    ("{per_page: 1}", "query per_page 1 must be one whole number from 2 to 1000"),
    ("{per_page: 5000}", "query per_page 5000 must be one whole number"),
    ("{per_page: lots}", "query per_page lots must be one whole number"),
])
def test_per_page_is_checked_in_the_query_too(tmp_path, query, message):
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - id: fr\n    kind: federal_register\n"
                    f"    query: {query}\n")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_per_page_in_the_query_is_the_figure_backfill_uses(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - {id: fr, kind: federal_register, query: {per_page: 50}}\n"
                    "  - {id: both, kind: federal_register, query: {per_page: 50},"
                    " options: {per_page: 60}}\n")
    with pytest.raises(ConfigError, match="set it in one place"):
        load_config(path)
    path.write_text("sources:\n  - {id: fr, kind: federal_register, query: {per_page: 50}}\n")
    source = load_config(path).sources[0]
    assert source.options["per_page"] == 50 and ("per_page", "50") in source.query


def test_init_checks_css_selectors_as_the_parser_will(tmp_path):
    from click.testing import CliRunner

    from monitor.cli import cli

    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - {id: news, kind: html, url: 'https://example.org/',"
                    " options: {item: 'div..broken', title: 'h2'}}\n")
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "m.db"), "--sources", str(path),
                                      "init"])
    assert result.exit_code == 2
    assert "source 'news'" in result.output and "options.item" in result.output
    assert "Traceback" not in result.output
