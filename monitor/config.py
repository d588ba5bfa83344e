"""Settings (one registry with help text) and sources.yaml, validated before anything runs."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError
from .types import (
    AUTHORITIES,
    KINDS,
    ROLES,
    AuthorityRule,
    DaemonSettings,
    Debate,
    SmtpSettings,
    Source,
    Topic,
)

FR_DOCUMENTS_URL = "https://www.federalregister.gov/api/v1/documents.json"
FR_PUBLIC_INSPECTION_URL = (
    "https://www.federalregister.gov/api/v1/public-inspection-documents/current.json"
)
# The fields the pipeline keeps from a Federal Register search (sources.md A.3).
FR_FIELDS = (
    "title", "type", "subtype", "abstract", "action", "dates", "document_number", "html_url",
    "pdf_url", "publication_date", "signing_date", "agencies", "excerpts", "comments_close_on",
    "effective_on", "docket_ids", "regulation_id_numbers", "citation", "executive_order_number",
)


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """Every tunable of the pipeline, with its default and help text (sources.yaml `settings:`)."""

    user_agent: str = _setting(
        "monitor/0.1 (regulatory-signal monitor for the open-weight AI debate)",
        "User-Agent sent with every request; `contact` is appended when set.",
    )
    contact: str = _setting("", "An address or URL for site operators, added to the User-Agent.")
    timeout: float = _setting(30.0, "Seconds to wait for a response or between body chunks.")
    connect_timeout: float = _setting(10.0, "Seconds to wait for a connection.")
    max_body_bytes: int = _setting(10_000_000, "Largest body read (after decompression).")
    max_redirects: int = _setting(5, "Redirects followed per request (at most 5).")
    retries: int = _setting(3, "Attempts per request for transient errors (connect, 5xx, 429).")
    retry_backoff: float = _setting(1.0, "First retry delay in seconds; doubles each attempt.")
    max_retry_after: float = _setting(
        120.0, "Longest Retry-After honoured within a run; longer ones defer to a later run."
    )
    concurrency: int = _setting(16, "Sources fetched at once, overall.")
    per_host: int = _setting(2, "Sources fetched at once from one host.")
    max_pages: int = _setting(20, "Pages followed per Federal Register query in one run.")
    parse_processes: int = _setting(
        -1, "Worker processes that parse bodies when 8 or more sources are due (-1: one per "
        "CPU; 0: parse in the fetching threads).")
    failure_backoff: int = _setting(900, "Seconds before retrying a failed source; doubles.")
    failure_backoff_max: int = _setting(172_800, "Longest wait before retrying a failed source.")

    def user_agent_header(self) -> str:
        """Return the User-Agent string, with the contact appended when set."""
        return f"{self.user_agent} {self.contact}".strip() if self.contact else self.user_agent


SETTING_HELP = {f.name: f.metadata["help"] for f in fields(Settings)}


@dataclass(frozen=True)
class Config:
    """A loaded sources.yaml: its settings, sources, and where it came from."""

    path: str
    settings: Settings
    sources: tuple[Source, ...]
    debate: Debate | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # sections later stages read

    def roles(self) -> dict[str, str]:
        """Return each source's role (agency, news, commentary) by source id."""
        return {s.id: s.role for s in self.sources}

    def source(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        known = ", ".join(s.id for s in self.sources)
        raise ConfigError(f"unknown source '{source_id}' (known: {known})", file=self.path)


# --- YAML with line numbers -------------------------------------------------------------

def _node_lines(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[(*path, key)] = key_node.start_mark.line + 1
            _node_lines(value_node, (*path, key), out)
            out[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _node_lines(child, (*path, i), out)


def load_yaml(path: str | Path) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Return the parsed YAML document and a map from key path to line number."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise ConfigError("file not found", file=name) from e
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read: {e}", file=name) from e
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:  # parse once: the node tree gives the lines, the same tree gives the data
        loader = loader_class(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e)
        raise ConfigError(
            f"YAML syntax error: {problem}", file=name, line=mark.line + 1 if mark else None
        ) from e
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _node_lines(node, (), lines)
    return data, lines


# --- sources.yaml -----------------------------------------------------------------------

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_INTERVAL_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SOURCE_KEYS = {"id", "kind", "url", "query", "interval", "options", "weight", "api_key_env",
                "enabled", "role", "cron"}
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*/,\-?]+$")


def check_cron(value: Any) -> str:
    """Return a five-field crontab line ("0 7 * * 1-5"); raise ValueError."""
    if not isinstance(value, str):
        raise ValueError("must be a crontab line like '0 7 * * 1-5'")
    fields = value.split()
    if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
        raise ValueError(f"{value!r} is not a crontab line (minute hour day month weekday, "
                         "e.g. '0 7 * * 1-5')")
    return " ".join(fields)
_OPTION_KEYS: dict[str, set[str]] = {
    "federal_register": {"endpoint", "per_page", "max_pages", "fields"},
    "feed": set(),
    "html": {"item", "title", "link", "date", "summary"},
    "regulations_gov": set(),
}
_TOP_KEYS = {"settings", "sources", "debate", "noise", "digest", "smtp", "daemon"}


_SINCE_RE = re.compile(r"^\s*(\d+)\s*([hdwy])\s*$")


def parse_since(value: str, now: datetime) -> str | None:
    """Return the ISO start of a period given as 30d, 12w, 1y, 48h, a date, or 'all' (None)."""
    text = value.strip().lower()
    if text == "all":
        return None
    m = _SINCE_RE.match(text)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        delta = {"h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n),
                 "y": timedelta(days=365 * n)}[unit]
        return (now - delta).isoformat()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"{value!r} is not a period like 7d, 12w, 1y, 48h, a date "
                         "(2024-01-31) or 'all'") from None


def parse_interval(value: Any) -> int:
    """Return an interval in seconds from 3600, "15m", "6h", "1d" or "1w"; raise ValueError."""
    if isinstance(value, bool):
        raise ValueError("not a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _INTERVAL_RE.match(str(value))
        if not m:
            raise ValueError(f"'{value}' is not a duration like 30m, 6h or 1d")
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if seconds < 60:
        raise ValueError(f"'{value}' is shorter than one minute")
    return int(seconds)


def _query_pairs(value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        from urllib.parse import parse_qsl

        return tuple(parse_qsl(value, keep_blank_values=True))
    if not isinstance(value, Mapping):
        raise ValueError("must be a mapping of parameter to value (or list of values)")
    pairs: list[tuple[str, str]] = []
    for k, v in value.items():
        for one in v if isinstance(v, list) else [v]:
            if isinstance(one, Mapping | list):
                raise ValueError(f"parameter '{k}' must be a string, number or list of them")
            pairs.append((str(k), str(one)))
    return tuple(pairs)


def _fr_defaults(query: tuple[tuple[str, str], ...],
                 options: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Add order=newest, a safe per_page and the kept fields[] unless the query sets them."""
    keys = {k for k, _ in query}
    extra: list[tuple[str, str]] = []
    if "order" not in keys:
        extra.append(("order", "newest"))
    if "per_page" not in keys:
        # per_page outside 2..1000 silently becomes 20 (sources.md A.2); 200 x 50 = 10,000.
        extra.append(("per_page", str(options.get("per_page", 200))))
    if "fields[]" not in keys:
        extra.extend(("fields[]", f) for f in options.get("fields", FR_FIELDS))
    return query + tuple(extra)


def _source(raw: Any, index: int, file: str, lines: dict[tuple[Any, ...], int],
            base_url: str | None) -> Source:
    where = ("sources", index)
    entry = f"#{index + 1}"

    def fail(message: str, key: str | None = None) -> ConfigError:
        line = lines.get((*where, key)) if key else None
        return ConfigError(message, file=file, entry=entry, key=key,
                           line=line or lines.get(where))

    if not isinstance(raw, Mapping):
        raise fail("each source must be a mapping with at least id and kind")
    sid = raw.get("id")
    if not isinstance(sid, str) or not _ID_RE.match(sid):
        raise fail("id is required: lowercase letters, digits, '-' or '_'", "id")
    entry = f"#{index + 1} ({sid})"
    unknown = sorted(set(map(str, raw)) - _SOURCE_KEYS)
    if unknown:
        raise fail(f"unknown key (known: {', '.join(sorted(_SOURCE_KEYS))})", unknown[0])
    kind = raw.get("kind")
    if kind not in KINDS:
        raise fail(f"unknown kind {kind!r} (one of: {', '.join(KINDS)})", "kind")
    options = raw.get("options") or {}
    if not isinstance(options, Mapping):
        raise fail("must be a mapping", "options")
    bad = sorted(set(map(str, options)) - _OPTION_KEYS[kind])
    if bad:
        allowed = ", ".join(sorted(_OPTION_KEYS[kind])) or "none"
        raise fail(f"unknown option '{bad[0]}' for kind {kind} (allowed: {allowed})", "options")
    url = raw.get("url")
    if url is None and kind == "federal_register":
        endpoint = options.get("endpoint", "documents")
        if endpoint not in ("documents", "public_inspection"):
            raise fail("endpoint must be 'documents' or 'public_inspection'", "options")
        url = FR_DOCUMENTS_URL if endpoint == "documents" else FR_PUBLIC_INSPECTION_URL
    if not isinstance(url, str) or not url.strip():
        raise fail("url is required for this kind", "url")
    if base_url is not None:
        url = url.replace("{base}", base_url)
    if not re.match(r"^https?://[^/\s]+", url):
        raise fail(f"'{url}' is not an http(s) URL", "url")
    if kind == "html" and not options.get("item"):
        raise fail("html sources need options.item (a CSS selector for one entry)", "options")
    try:
        interval = parse_interval(raw.get("interval", "1h"))
    except ValueError as e:
        raise fail(str(e), "interval") from e
    try:
        query = _query_pairs(raw.get("query"))
    except ValueError as e:
        raise fail(str(e), "query") from e
    per_page = options.get("per_page", 200)
    if isinstance(per_page, bool) or not isinstance(per_page, int) or not 2 <= per_page <= 1000:
        # Outside 2..1000 the API silently answers 20 per page (sources.md A.2).
        raise fail("per_page must be a whole number from 2 to 1000", "options")
    if kind == "federal_register" and options.get("endpoint", "documents") == "documents":
        query = _fr_defaults(query, options)
    weight = raw.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
        raise fail("weight must be a number >= 0", "weight")
    key_env = raw.get("api_key_env")
    if key_env is not None and (not isinstance(key_env, str) or not key_env):
        raise fail("must be the name of an environment variable", "api_key_env")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise fail("must be true or false", "enabled")
    role = raw.get("role", default_role(kind))
    if role not in ROLES:
        raise fail(f"role must be one of: {', '.join(ROLES)}", "role")
    cron = None
    if raw.get("cron") is not None:
        try:
            cron = check_cron(raw["cron"])
        except ValueError as e:
            raise fail(str(e), "cron") from e
    return Source(id=sid, kind=kind, url=url.strip(), interval=interval, query=query,
                  options=dict(options), weight=float(weight), api_key_env=key_env,
                  enabled=enabled, role=role, cron=cron)


def default_role(kind: str) -> str:
    """Return the role a source of this kind has unless sources.yaml says otherwise."""
    return "agency" if kind in ("federal_register", "regulations_gov") else "news"


def _settings(raw: Any, file: str, lines: dict[tuple[Any, ...], int]) -> Settings:
    if raw is None:
        return Settings()
    if not isinstance(raw, Mapping):
        raise ConfigError("must be a mapping", file=file, key="settings",
                          line=lines.get(("settings",)))
    defaults = Settings()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        line = lines.get(("settings", key))
        if key not in SETTING_HELP:
            raise ConfigError(f"unknown setting (known: {', '.join(SETTING_HELP)})",
                              file=file, entry="settings", key=str(key), line=line)
        want = type(getattr(defaults, key))
        ok = isinstance(value, want) or (want is float and isinstance(value, int))
        if not ok or isinstance(value, bool):
            raise ConfigError(f"must be a {want.__name__}", file=file, entry="settings",
                              key=key, line=line)
        if want in (int, float) and value < 0 and key != "parse_processes":
            raise ConfigError("must not be negative", file=file, entry="settings", key=key,
                              line=line)
        values[key] = want(value)
    settings = replace(defaults, **values)
    if settings.max_redirects > 5:
        raise ConfigError("at most 5 redirects are followed", file=file, entry="settings",
                          key="max_redirects", line=lines.get(("settings", "max_redirects")))
    if settings.concurrency < 1 or settings.per_host < 1:
        raise ConfigError("concurrency and per_host must be at least 1", file=file,
                          entry="settings")
    return settings


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
    unknown = sorted(set(map(str, data)) - _TOP_KEYS)
    if unknown:
        raise ConfigError(f"unknown section (known: {', '.join(sorted(_TOP_KEYS))})",
                          file=file, key=unknown[0], line=lines.get((unknown[0],)))
    settings = _settings(data.get("settings"), file, lines)
    raw_sources = data.get("sources") or []
    if not isinstance(raw_sources, list):
        raise ConfigError("must be a list of sources", file=file, key="sources",
                          line=lines.get(("sources",)))
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_sources):
        src = _source(raw, i, file, lines, base_url)
        if src.id in seen:
            raise ConfigError(f"duplicate id (first used by entry #{seen[src.id] + 1})",
                              file=file, entry=f"#{i + 1} ({src.id})", key="id",
                              line=lines.get(("sources", i, "id")))
        seen[src.id] = i
        sources.append(src)
    debate_ref = data.get("debate", DEFAULT_DEBATE)
    if not isinstance(debate_ref, str) or not debate_ref:
        raise ConfigError("must name a shipped debate or a YAML file", file=file, key="debate",
                          line=lines.get(("debate",)))
    if debate_ref.endswith((".yaml", ".yml")) and not Path(debate_ref).is_absolute():
        debate_ref = str(Path(file).parent / debate_ref)
    debate = load_debate(debate_ref)
    extra = {k: v for k, v in data.items() if k not in ("settings", "sources", "debate")}
    return Config(path=file, settings=settings, sources=tuple(sources), debate=debate,
                  extra=extra)


def api_key(source: Source) -> str | None:
    """Return the source's API key from the environment, or None when it is not set."""
    return os.environ.get(source.api_key_env) or None if source.api_key_env else None


# --- the debate definition ---------------------------------------------------------------

DEBATES_DIR = Path(__file__).resolve().parent / "debates"
DEFAULT_DEBATE = "open-weights"
ENTITY_KINDS = ("threshold", "fr_citation", "fr_doc", "docket", "rin", "executive_order",
                "eccn", "bill", "comment_deadline", "effective_date")
_DEBATE_KEYS = {"id", "title", "version", "threshold", "max_chars", "cues", "topics", "stance",
                "authority"}
_TOPIC_KEYS = {"label", "weight", "groups", "exclude", "instruments"}
_AUTHORITY_KEYS = {"fr_types", "action", "text", "roles"}
_RULE_KEYS = {"match", "authority", "why"}


def debate_path(ref: str) -> Path:
    """Return the file of a shipped debate name, or ``ref`` itself when it is a path."""
    if ref.endswith((".yaml", ".yml")) or "/" in ref:
        return Path(ref)
    return DEBATES_DIR / f"{ref}.yaml"


def _check_cue(cue: Any, fail: Any, key: str | None) -> str:
    if not isinstance(cue, str | int | float) or isinstance(cue, bool) or not str(cue).strip():
        raise fail("every cue must be a non-empty string", key)
    cue = str(cue).strip()
    if cue.startswith("re:"):
        try:
            re.compile(cue[3:])
        except re.error as e:
            raise fail(f"bad regular expression {cue[3:]!r}: {e}", key) from e
    elif cue.startswith("entity:"):
        kind = cue[7:].split("=", 1)[0]
        if kind not in ENTITY_KINDS:
            raise fail(f"unknown entity kind {kind!r} (one of: {', '.join(ENTITY_KINDS)})", key)
    return cue


def load_debate(ref: str) -> Debate:
    """Return the validated debate definition; raise ConfigError naming file, topic and key."""
    path = debate_path(ref)
    file = str(path)
    if not path.is_file():
        shipped = ", ".join(sorted(p.stem for p in DEBATES_DIR.glob("*.yaml")))
        raise ConfigError(f"no debate definition here (shipped: {shipped})", file=file)
    data, lines = load_yaml(path)
    if not isinstance(data, Mapping):
        raise ConfigError("a debate definition is a mapping", file=file, line=1)

    def fail_at(where: tuple[Any, ...], entry: str | None = None) -> Any:
        def fail(message: str, key: str | None = None) -> ConfigError:
            line = lines.get((*where, key)) if key else None
            return ConfigError(message, file=file, entry=entry, key=key,
                               line=line or lines.get(where))
        return fail

    top = fail_at(())
    unknown = sorted(set(map(str, data)) - _DEBATE_KEYS)
    if unknown:
        raise top(f"unknown key (known: {', '.join(sorted(_DEBATE_KEYS))})", unknown[0])
    for key in ("id", "topics"):
        if not data.get(key):
            raise top("is required", key)
    threshold = data.get("threshold", 0.5)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) \
            or not 0 < threshold <= 1:
        raise top("must be a number in (0, 1]", "threshold")
    version = data.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int):
        raise top("must be a whole number", "version")
    max_chars = data.get("max_chars", 20000)
    if isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 100:
        raise top("must be a whole number of at least 100", "max_chars")

    shared: dict[str, list[str]] = {}
    cues_raw = data.get("cues") or {}
    if not isinstance(cues_raw, Mapping):
        raise top("must map names to lists of cues", "cues")
    for name, values in cues_raw.items():
        fail = fail_at(("cues", name), f"cues.{name}")
        if not isinstance(values, list) or not values:
            raise fail("must be a non-empty list of cues")
        shared[str(name)] = [_check_cue(v, fail, None) for v in values]

    def expand(values: Any, fail: Any, key: str) -> tuple[str, ...]:
        if not isinstance(values, list):
            raise fail("must be a list of cues", key)
        out: list[str] = []
        for v in values:
            if isinstance(v, str) and v.startswith("@"):
                if v[1:] not in shared:
                    raise fail(f"unknown shared cue list {v!r} (known: "
                               f"{', '.join('@' + k for k in shared) or 'none'})", key)
                out.extend(shared[v[1:]])
            else:
                out.append(_check_cue(v, fail, key))
        return tuple(dict.fromkeys(out))

    topics_raw = data["topics"]
    if not isinstance(topics_raw, Mapping):
        raise top("must map topic ids to topics", "topics")
    topics: list[Topic] = []
    for tid, raw in topics_raw.items():
        fail = fail_at(("topics", tid), f"topic {tid}")
        if not isinstance(raw, Mapping):
            raise fail("a topic is a mapping with label, weight and groups")
        unknown = sorted(set(map(str, raw)) - _TOPIC_KEYS)
        if unknown:
            raise fail(f"unknown key (known: {', '.join(sorted(_TOPIC_KEYS))})", unknown[0])
        weight = raw.get("weight", 0.5)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 1:
            raise fail("must be a number in (0, 1]", "weight")
        groups_raw = raw.get("groups")
        if not isinstance(groups_raw, list) or not groups_raw:
            raise fail("needs at least one cue group", "groups")
        groups = []
        for group in groups_raw:
            cues = expand(group, fail, "groups")
            if not cues:
                raise fail("a cue group is empty", "groups")
            groups.append(cues)
        topics.append(Topic(
            id=str(tid), label=str(raw.get("label") or tid), weight=float(weight),
            groups=tuple(groups), exclude=expand(raw.get("exclude") or [], fail, "exclude"),
            instruments=expand(raw.get("instruments") or [], fail, "instruments")))

    stance_raw = data.get("stance") or {}
    sfail = fail_at(("stance",), "stance")
    if not isinstance(stance_raw, Mapping):
        raise sfail("must map restrict / open / neutral to cue lists")
    bad = sorted(set(map(str, stance_raw)) - {"restrict", "open", "neutral"})
    if bad:
        raise sfail("stances are restrict, open and neutral", bad[0])
    stance = tuple((str(k), expand(v, sfail, str(k))) for k, v in stance_raw.items())

    auth = data.get("authority") or {}
    afail = fail_at(("authority",), "authority")
    if not isinstance(auth, Mapping):
        raise afail("must be a mapping")
    unknown = sorted(set(map(str, auth)) - _AUTHORITY_KEYS)
    if unknown:
        raise afail(f"unknown key (known: {', '.join(sorted(_AUTHORITY_KEYS))})", unknown[0])

    def level(value: Any, fail: Any, key: str) -> str:
        if value not in AUTHORITIES:
            raise fail(f"authority must be one of: {', '.join(AUTHORITIES)}", key)
        return str(value)

    def rules(key: str) -> tuple[AuthorityRule, ...]:
        raw_rules = auth.get(key) or []
        if not isinstance(raw_rules, list):
            raise afail("must be a list of rules", key)
        out = []
        for i, r in enumerate(raw_rules):
            rfail = fail_at(("authority", key, i), f"authority.{key} #{i + 1}")
            if not isinstance(r, Mapping):
                raise rfail("a rule is a mapping with match, authority and why")
            unknown = sorted(set(map(str, r)) - _RULE_KEYS)
            if unknown:
                raise rfail("unknown key (known: match, authority, why)", unknown[0])
            out.append(AuthorityRule(match=expand(r.get("match"), rfail, "match"),
                                     authority=level(r.get("authority"), rfail, "authority"),
                                     why=str(r.get("why") or "")))
        return tuple(out)

    fr_types = auth.get("fr_types") or {}
    roles = auth.get("roles") or {"agency": "official", "news": "news",
                                  "commentary": "commentary"}
    if not isinstance(fr_types, Mapping) or not isinstance(roles, Mapping):
        raise afail("fr_types and roles map names to authorities")
    for role in roles:
        if role not in ROLES:
            raise afail(f"unknown role {role!r} (one of: {', '.join(ROLES)})", "roles")
    fingerprint = hashlib.sha1(json.dumps(data, sort_keys=True, default=str)
                               .encode()).hexdigest()[:10]
    return Debate(
        id=str(data["id"]), title=str(data.get("title") or data["id"]), version=version,
        threshold=float(threshold), topics=tuple(topics), stance=stance,
        fr_types=tuple((str(k), level(v, afail, "fr_types")) for k, v in fr_types.items()),
        action_rules=rules("action"), text_rules=rules("text"),
        roles=tuple((str(k), level(v, afail, "roles")) for k, v in roles.items()),
        max_chars=max_chars, fingerprint=fingerprint, path=file)


# --- mail -----------------------------------------------------------------------------------

_SMTP_KEYS = {"host", "port", "security", "user", "from", "to", "timeout"}
_ADDRESS = re.compile(r"^[^@\s<>,;\r\n]+@[^@\s<>,;\r\n]+\.[^@\s<>,;\r\n]+$")


def check_address(address: str, file: str = "", key: str = "to") -> str:
    """Return the address if it is one plain mailbox (user@host.tld); raise ConfigError."""
    text = str(address).strip()
    if not _ADDRESS.match(text):
        raise ConfigError(f"{text!r} is not an email address like analyst@example.org",
                          file=file or None, entry="smtp" if file else None, key=key)
    return text


def smtp_settings(config: Config) -> SmtpSettings:
    """Return the validated `smtp:` section of sources.yaml; raise ConfigError when absent."""
    raw = config.extra.get("smtp")
    file = config.path
    if not isinstance(raw, Mapping):
        raise ConfigError("no smtp section: add host, port, security, from and to to send "
                          "digests", file=file, key="smtp")
    unknown = sorted(set(map(str, raw)) - _SMTP_KEYS)
    if unknown:
        raise ConfigError(f"unknown key (known: {', '.join(sorted(_SMTP_KEYS))})", file=file,
                          entry="smtp", key=unknown[0])
    host = raw.get("host")
    if not isinstance(host, str) or not host.strip():
        raise ConfigError("host is required", file=file, entry="smtp", key="host")
    security = raw.get("security", "starttls")
    if security not in ("starttls", "tls", "none"):
        raise ConfigError("security must be starttls, tls or none", file=file, entry="smtp",
                          key="security")
    port = raw.get("port", 465 if security == "tls" else 587)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError("port must be a number from 1 to 65535", file=file, entry="smtp",
                          key="port")
    sender = check_address(str(raw.get("from") or ""), file, "from")
    to = raw.get("to") or []
    to = [to] if isinstance(to, str) else to
    if not isinstance(to, list):
        raise ConfigError("to must be an address or a list of them", file=file, entry="smtp",
                          key="to")
    timeout = raw.get("timeout", 30)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError("timeout must be a positive number of seconds", file=file,
                          entry="smtp", key="timeout")
    user = raw.get("user")
    return SmtpSettings(host=host.strip(), port=port, security=security,
                        user=str(user) if user else None, sender=sender,
                        to=tuple(check_address(a, file) for a in to), timeout=float(timeout))


# --- the daemon -------------------------------------------------------------------------------

_DAEMON_KEYS = {"timezone", "misfire_grace_time", "jitter", "digest"}
_DIGEST_KEYS = {"cron", "since", "send", "out", "format", "skip_empty"}


def daemon_settings(config: Config) -> DaemonSettings:
    """Return the validated `daemon:` section of sources.yaml (defaults when absent)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    raw = config.extra.get("daemon") or {}
    file = config.path

    def fail(message: str, key: str) -> ConfigError:
        return ConfigError(message, file=file, entry="daemon", key=key)

    if not isinstance(raw, Mapping):
        raise fail("must be a mapping", "daemon")
    unknown = sorted(set(map(str, raw)) - _DAEMON_KEYS)
    if unknown:
        raise fail(f"unknown key (known: {', '.join(sorted(_DAEMON_KEYS))})", unknown[0])
    tz = str(raw.get("timezone", "UTC"))
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise fail(f"unknown time zone {tz!r} (e.g. UTC, America/New_York)", "timezone") from e
    values: dict[str, Any] = {"timezone": tz}
    for key, default in (("misfire_grace_time", 300), ("jitter", 30)):
        value = raw.get(key, default)
        try:
            values[key] = int(value) if isinstance(value, int) and not isinstance(
                value, bool) else int(_seconds(value))
        except ValueError as e:
            raise fail(str(e), key) from e
    digest = raw.get("digest")
    if digest is not None:
        if not isinstance(digest, Mapping):
            raise fail("must be a mapping with at least cron", "digest")
        unknown = sorted(set(map(str, digest)) - _DIGEST_KEYS)
        if unknown:
            raise fail(f"unknown digest key (known: {', '.join(sorted(_DIGEST_KEYS))})",
                       f"digest.{unknown[0]}")
        try:
            values["digest_cron"] = check_cron(digest.get("cron"))
        except ValueError as e:
            raise fail(str(e), "digest.cron") from e
        since = str(digest.get("since", "1d"))
        try:
            parse_since(since, datetime.now())
        except ValueError as e:
            raise fail(str(e), "digest.since") from e
        fmt = digest.get("format", "html")
        if fmt not in ("md", "html", "text"):
            raise fail("format must be md, html or text", "digest.format")
        values.update(digest_since=since, digest_send=bool(digest.get("send", True)),
                      digest_out=digest.get("out"), digest_format=fmt,
                      skip_empty=bool(digest.get("skip_empty", False)))
        if values["digest_send"]:
            smtp_settings(config)  # mail settings must be right before the daemon starts
    return DaemonSettings(**values)


def _seconds(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("not a duration")
    if isinstance(value, int | float):
        return float(value)
    m = _INTERVAL_RE.match(str(value))
    if not m:
        raise ValueError(f"{value!r} is not a duration like 30s, 10m or 1h")
    return float(m.group(1)) * _UNITS[m.group(2)]
