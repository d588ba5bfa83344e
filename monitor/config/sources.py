"""The `sources:` list: one Source per entry, Federal Register defaults, and API keys."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from ..types import KINDS, ROLES, Source
from .periods import check_cron, parse_interval
from .yamlmap import Place, is_number

FR_DOCUMENTS_URL = "https://www.federalregister.gov/api/v1/documents.json"
FR_PUBLIC_INSPECTION_URL = (
    "https://www.federalregister.gov/api/v1/public-inspection-documents/current.json"
)
# The fields the pipeline keeps from a Federal Register search (sources.md A.3).
FR_FIELDS = (
    "title", "type", "subtype", "abstract", "action", "dates", "document_number", "html_url",
    "pdf_url", "publication_date", "signing_date", "agencies", "excerpts", "comments_close_on",
    "effective_on", "docket_ids", "regulation_id_numbers", "citation", "executive_order_number",
    "raw_text_url",  # the text of a document with an empty abstract (pipeline/fulltext.py)
)

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SOURCE_KEYS = ("api_key_env", "cron", "enabled", "id", "interval", "kind", "options", "query",
                "role", "url", "weight")
_OPTION_KEYS: dict[str, set[str]] = {
    "federal_register": {"endpoint", "per_page", "max_pages", "fields"},
    "feed": set(),
    "html": {"item", "title", "link", "date", "summary"},
    "regulations_gov": set(),
    "reginfo": set(),
    "congress_gov": set(),
}


def default_role(kind: str) -> str:
    """Return the role a source of this kind has unless sources.yaml says otherwise."""
    return "agency" if kind in ("federal_register", "regulations_gov", "reginfo",
                                "congress_gov") else "news"


def api_key(source: Source) -> str | None:
    """Return the source's API key from the environment, or None when it is not set."""
    return os.environ.get(source.api_key_env) or None if source.api_key_env else None


def missing_key(source: Source) -> str | None:
    """Return the environment variable holding the source's API key when it is unset, else
    None (also for sources that need no key): such a source is skipped with a notice."""
    if source.api_key_env and not api_key(source):
        return source.api_key_env
    return None


def read_sources(raw: Any, top: Place, base_url: str | None) -> tuple[Source, ...]:
    """Return the Sources of the `sources:` list; ids are unique."""
    raw = raw or []
    if not isinstance(raw, list):
        raise top.error("must be a list of sources", "sources")
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(raw):
        src = read_source(entry, top.at("sources", i, entry=f"#{i + 1}"), base_url)
        if src.id in seen:
            raise top.at("sources", i, entry=f"#{i + 1} ({src.id})").error(
                f"duplicate id (first used by entry #{seen[src.id] + 1})", "id")
        seen[src.id] = i
        sources.append(src)
    return tuple(sources)


def read_source(raw: Any, place: Place, base_url: str | None) -> Source:
    """Return the Source of one entry of `sources:` (``place`` names it by number)."""
    if not isinstance(raw, Mapping):
        raise place.error("each source must be a mapping with at least id and kind")
    sid = raw.get("id")
    if not isinstance(sid, str) or not _ID_RE.match(sid):
        raise place.error("id is required: lowercase letters, digits, '-' or '_'" if sid is None
                          else f"id {sid!r} is not valid: use lowercase letters, digits, '-' "
                          "or '_'", "id")
    place = place.at(entry=f"{place.entry} ({sid})")
    place.check_keys(raw, _SOURCE_KEYS)
    kind = raw.get("kind")
    if kind not in KINDS:
        raise place.error(f"unknown kind {kind!r} (one of: {', '.join(KINDS)})", "kind")
    options = raw.get("options") or {}
    if not isinstance(options, Mapping):
        raise place.error("must be a mapping", "options")
    bad = sorted(set(map(str, options)) - _OPTION_KEYS[kind])
    if bad:
        allowed = ", ".join(sorted(_OPTION_KEYS[kind])) or "none"
        raise place.error(f"unknown option '{bad[0]}' for kind {kind} (allowed: {allowed})",
                          "options")
    url = _url(raw.get("url"), kind, options, place, base_url)
    if kind == "html" and not options.get("item"):
        raise place.error("html sources need options.item (a CSS selector for one entry)",
                          "options")
    try:
        interval = parse_interval(raw.get("interval", "1h"))
    except ValueError as e:
        raise place.error(str(e), "interval") from e
    try:
        query = _query_pairs(raw.get("query"))
    except ValueError as e:
        raise place.error(str(e), "query") from e
    options = _per_page(options, query, place)
    if kind == "federal_register" and options.get("endpoint", "documents") == "documents":
        query = _fr_defaults(query, options)
    weight = raw.get("weight", 1.0)
    if not is_number(weight) or weight < 0:
        raise place.error("weight must be a number >= 0", "weight")
    key_env = raw.get("api_key_env")
    if key_env is not None and (not isinstance(key_env, str) or not key_env):
        raise place.error("must be the name of an environment variable", "api_key_env")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise place.error("must be true or false", "enabled")
    role = raw.get("role", default_role(kind))
    if role not in ROLES:
        raise place.error(f"role must be one of: {', '.join(ROLES)}", "role")
    cron = None
    if raw.get("cron") is not None:
        try:
            cron = check_cron(raw["cron"])
        except ValueError as e:
            raise place.error(str(e), "cron") from e
    return Source(id=sid, kind=kind, url=url, interval=interval, query=query,
                  options=dict(options), weight=float(weight), api_key_env=key_env,
                  enabled=enabled, role=role, cron=cron)


def _per_page(options: Mapping[str, Any], query: tuple[tuple[str, str], ...],
              place: Place) -> Mapping[str, Any]:
    """Return the options with per_page checked wherever it is set (options or query).

    Outside 2..1000 the API silently answers 20 per page (sources.md A.2), and backfill
    plans its windows on the figure, so a bad or conflicting one is refused here."""
    per_page = options.get("per_page", 200)
    if not is_number(per_page, whole=True) or not 2 <= per_page <= 1000:
        raise place.error("per_page must be a whole number from 2 to 1000", "options")
    asked = [v for k, v in query if k == "per_page"]
    if not asked:
        return options
    if len(asked) > 1 or not asked[0].strip().isdigit() or not 2 <= int(asked[0]) <= 1000:
        raise place.error(f"query per_page {', '.join(asked)} must be one whole number from "
                          "2 to 1000", "query")
    if "per_page" in options and int(options["per_page"]) != int(asked[0]):
        raise place.error(f"per_page is {asked[0]} in query but {options['per_page']} in "
                          "options: set it in one place", "query")
    return {**options, "per_page": int(asked[0])}


def _url(url: Any, kind: str, options: Mapping[str, Any], place: Place,
         base_url: str | None) -> str:
    """Return the entry's http(s) URL: as written, or the Federal Register endpoint's."""
    if url is None and kind == "federal_register":
        endpoint = options.get("endpoint", "documents")
        if endpoint not in ("documents", "public_inspection"):
            raise place.error("endpoint must be 'documents' or 'public_inspection'", "options")
        url = FR_DOCUMENTS_URL if endpoint == "documents" else FR_PUBLIC_INSPECTION_URL
    if not isinstance(url, str) or not url.strip():
        raise place.error("url is required for this kind", "url")
    if base_url is not None:
        url = url.replace("{base}", base_url)
    if not re.match(r"^https?://[^/\s]+", url):
        raise place.error(f"'{url}' is not an http(s) URL", "url")
    return url.strip()


def _query_pairs(value: Any) -> tuple[tuple[str, str], ...]:
    """Return a source's query as (parameter, value) pairs, lists spread out."""
    if value is None:
        return ()
    if isinstance(value, str):
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
    """Return the query with order=newest, a safe per_page and the kept fields[] unless set."""
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

