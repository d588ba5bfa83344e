"""sources.yaml and the debate definition, validated before anything runs.

`load_config` reads sources.yaml once (`yamlmap`: data and the line of every key), then hands
each section to the module that owns it: `settings:` to `settings` (the registry of tunables
with help text), `sources:` to `sources`, `debate:` to `debate` (which reads debates/*.yaml),
`smtp:` to `mail`, `daemon:` and `digest:` to `daemon`, `alerts:` to `alerts`; durations,
periods, crontab lines and time zones are read by `periods`. Every check raises a
ConfigError naming the file, the line, the entry and the key, so a bad value stops `monitor
init` rather than a later command. The result is one frozen Config, passed explicitly to
every stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..errors import ConfigError
from .alerts import read_alerts
from .daemon import check_digest, daemon_settings, read_daemon
from .debate import DEBATES_DIR, DEFAULT_DEBATE, ENTITY_KINDS, debate_path, load_debate
from .mail import check_address, read_smtp, smtp_settings
from .periods import check_cron, check_timezone, parse_duration, parse_interval, parse_since
from .settings import SETTING_HELP, Config, Settings, read_settings
from .sources import (
    FR_DOCUMENTS_URL,
    FR_FIELDS,
    FR_PUBLIC_INSPECTION_URL,
    api_key,
    default_role,
    missing_key,
    read_sources,
)
from .yamlmap import Place, load_yaml

__all__ = [
    "DEBATES_DIR", "DEFAULT_DEBATE", "ENTITY_KINDS", "FR_DOCUMENTS_URL", "FR_FIELDS",
    "FR_PUBLIC_INSPECTION_URL", "SETTING_HELP", "Config", "Settings", "api_key", "check_address",
    "missing_key",
    "check_cron", "check_timezone", "daemon_settings", "debate_path", "default_role",
    "load_config", "load_debate", "load_yaml", "parse_duration", "parse_interval",
    "parse_since", "smtp_settings",
]

_SECTIONS = ("alerts", "daemon", "debate", "digest", "settings", "smtp", "sources")


def load_config(path: str | Path, *, base_url: str | None = None) -> Config:
    """Return the validated sources.yaml; raise ConfigError naming file, entry, key and line.

    ``base_url`` replaces the ``{base}`` placeholder in source URLs (the demo's loopback server).
    """
    file = str(path)
    data, lines = load_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError("the top level must be a mapping with a 'sources' list", file=file,
                          line=1)
    top = Place(file, lines)
    top.check_keys(data, _SECTIONS, "section")
    settings = read_settings(data.get("settings"), top)
    sources = read_sources(data.get("sources"), top, base_url)
    debate = load_debate(_debate_ref(data.get("debate", DEFAULT_DEBATE), top))
    smtp = read_smtp(data.get("smtp"), top)
    daemon = read_daemon(data.get("daemon"), top, smtp)
    check_digest(data.get("digest"), top)
    alerts = read_alerts(data.get("alerts"), top, smtp, debate, daemon.timezone)
    extra = {k: v for k, v in data.items() if k not in ("settings", "sources", "debate")}
    return Config(path=file, settings=settings, sources=sources, debate=debate, extra=extra,
                  smtp=smtp, daemon=daemon, alerts=alerts)


def _debate_ref(ref: object, top: Place) -> str:
    """Return the `debate:` value: a shipped debate's name, or a YAML file beside sources.yaml."""
    if not isinstance(ref, str) or not ref:
        raise top.error("must name a shipped debate or a YAML file", "debate")
    if ref.endswith((".yaml", ".yml")) and not Path(ref).is_absolute():
        return str(Path(top.file).parent / ref)
    return ref
