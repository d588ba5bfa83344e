from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import FR_DOCUMENTS_URL, SETTING_HELP, load_config, parse_interval
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
