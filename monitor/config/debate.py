"""The debate definition (debates/*.yaml): topics, shared cues, stance and authority rules.

`load_debate` reads the file and hands each part to one step: the header numbers, the shared
cue lists, the topics, the stance cues and the authority rules; `@name` in any cue list stands
for a shared list.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..types import AUTHORITIES, ROLES, AuthorityRule, Debate, Topic
from .yamlmap import Place, is_number, load_yaml

DEBATES_DIR = Path(__file__).resolve().parent.parent / "debates"
DEFAULT_DEBATE = "open-weights"
ENTITY_KINDS = ("threshold", "fr_citation", "fr_doc", "docket", "rin", "executive_order",
                "eccn", "bill", "comment_deadline", "effective_date")
_DEBATE_KEYS = ("authority", "cues", "id", "max_chars", "stance", "threshold", "title",
                "topics", "version")
_TOPIC_KEYS = ("cited_with", "exclude", "groups", "instruments", "label", "leans", "weight")
_AUTHORITY_KEYS = ("action", "fr_types", "roles", "text")
_RULE_KEYS = ("match", "authority", "why")
_STANCES = ("restrict", "open", "neutral")
_DEFAULT_ROLES = {"agency": "official", "news": "news", "commentary": "commentary"}

Shared = Mapping[str, list[str]]  # shared cue lists by name, each cue checked
Levels = tuple[tuple[str, str], ...]  # (name, authority) pairs


def debate_path(ref: str) -> Path:
    """Return the file of a shipped debate name, or ``ref`` itself when it is a path."""
    if ref.endswith((".yaml", ".yml")) or "/" in ref:
        return Path(ref)
    return DEBATES_DIR / f"{ref}.yaml"


def load_debate(ref: str) -> Debate:
    """Return the validated debate definition; raise ConfigError naming file, topic and key."""
    data, top = _read(ref)
    threshold, version, max_chars = _header(data, top)
    shared = _shared_cues(data.get("cues") or {}, top)
    topics = _topics(data["topics"], shared, top)
    stance = _stance(data.get("stance") or {}, shared, top.at("stance", entry="stance"))
    fr_types, action_rules, text_rules, roles = _authority(
        data.get("authority") or {}, shared, top.at("authority", entry="authority"))
    fingerprint = hashlib.sha1(json.dumps(data, sort_keys=True, default=str)
                               .encode()).hexdigest()[:10]
    return Debate(
        id=str(data["id"]), title=str(data.get("title") or data["id"]), version=version,
        threshold=threshold, topics=topics, stance=stance, fr_types=fr_types,
        action_rules=action_rules, text_rules=text_rules, roles=roles, max_chars=max_chars,
        fingerprint=fingerprint, path=top.file)


def _read(ref: str) -> tuple[Mapping[str, Any], Place]:
    """Return the definition's top-level mapping and its place (the whole file)."""
    path = debate_path(ref)
    file = str(path)
    if not path.is_file():
        shipped = ", ".join(sorted(p.stem for p in DEBATES_DIR.glob("*.yaml")))
        raise ConfigError(f"no debate definition here (shipped: {shipped})", file=file)
    data, lines = load_yaml(path)
    if not isinstance(data, Mapping):
        raise ConfigError("a debate definition is a mapping", file=file, line=1)
    return data, Place(file, lines)


def _header(data: Mapping[str, Any], top: Place) -> tuple[float, int, int]:
    """Return the threshold, version and max_chars, once the top-level keys are checked."""
    top.check_keys(data, _DEBATE_KEYS)
    for key in ("id", "topics"):
        if not data.get(key):
            raise top.error("is required", key)
    threshold = data.get("threshold", 0.5)
    if not is_number(threshold) or not 0 < threshold <= 1:
        raise top.error("must be a number in (0, 1]", "threshold")
    version = data.get("version", 1)
    if not is_number(version, whole=True):
        raise top.error("must be a whole number", "version")
    max_chars = data.get("max_chars", 20000)
    if not is_number(max_chars, whole=True) or max_chars < 100:
        raise top.error("must be a whole number of at least 100", "max_chars")
    return float(threshold), version, max_chars


def _shared_cues(raw: Any, top: Place) -> dict[str, list[str]]:
    """Return the `cues:` lists by name."""
    if not isinstance(raw, Mapping):
        raise top.error("must map names to lists of cues", "cues")
    shared: dict[str, list[str]] = {}
    for name, values in raw.items():
        place = top.at("cues", name, entry=f"cues.{name}")
        if not isinstance(values, list) or not values:
            raise place.error("must be a non-empty list of cues")
        shared[str(name)] = [_check_cue(v, place, None) for v in values]
    return shared


def _check_cue(cue: Any, place: Place, key: str | None) -> str:
    """Return one cue, stripped: a phrase, `re:` a regular expression or `entity:` a kind."""
    if not isinstance(cue, str | int | float) or isinstance(cue, bool) or not str(cue).strip():
        raise place.error("every cue must be a non-empty string", key)
    cue = str(cue).strip()
    if cue.startswith("re:"):
        try:
            re.compile(cue[3:])
        except re.error as e:
            raise place.error(f"bad regular expression {cue[3:]!r}: {e}", key) from e
    elif cue.startswith("entity:"):
        kind = cue[7:].split("=", 1)[0]
        if kind not in ENTITY_KINDS:
            raise place.error(f"unknown entity kind {kind!r} (one of: "
                              f"{', '.join(ENTITY_KINDS)})", key)
    return cue


def _expand(values: Any, shared: Shared, place: Place, key: str) -> tuple[str, ...]:
    """Return a cue list with each `@name` replaced by that shared list, duplicates dropped."""
    if not isinstance(values, list):
        raise place.error("must be a list of cues", key)
    out: list[str] = []
    for v in values:
        if isinstance(v, str) and v.startswith("@"):
            if v[1:] not in shared:
                raise place.error(f"unknown shared cue list {v!r} (known: "
                                  f"{', '.join('@' + k for k in shared) or 'none'})", key)
            out.extend(shared[v[1:]])
        else:
            out.append(_check_cue(v, place, key))
    return tuple(dict.fromkeys(out))


def _topics(raw: Any, shared: Shared, top: Place) -> tuple[Topic, ...]:
    """Return the `topics:` in the order written."""
    if not isinstance(raw, Mapping):
        raise top.error("must map topic ids to topics", "topics")
    return tuple(_topic(str(tid), value, shared, top.at("topics", tid, entry=f"topic {tid}"))
                 for tid, value in raw.items())


def _topic(tid: str, raw: Any, shared: Shared, place: Place) -> Topic:
    """Return one topic: its label, weight, cue groups, exclusions, instruments and the cues
    an instrument cited in the text needs beside it."""
    if not isinstance(raw, Mapping):
        raise place.error("a topic is a mapping with label, weight and groups")
    place.check_keys(raw, _TOPIC_KEYS)
    weight = raw.get("weight", 0.5)
    if not is_number(weight) or not 0 < weight <= 1:
        raise place.error("must be a number in (0, 1]", "weight")
    groups_raw = raw.get("groups")
    if not isinstance(groups_raw, list) or not groups_raw:
        raise place.error("needs at least one cue group", "groups")
    groups = []
    for group in groups_raw:
        cues = _expand(group, shared, place, "groups")
        if not cues:
            raise place.error("a cue group is empty", "groups")
        groups.append(cues)
    leans = str(raw.get("leans") or "")
    if leans and leans not in _STANCES:
        raise place.error(f"must be one of {', '.join(_STANCES)}", "leans")
    if raw.get("cited_with") and not raw.get("instruments"):
        raise place.error("names the cues an instrument cited in the text needs, but the "
                          "topic has no instruments", "cited_with")
    return Topic(
        id=tid, label=str(raw.get("label") or tid), weight=float(weight), groups=tuple(groups),
        exclude=_expand(raw.get("exclude") or [], shared, place, "exclude"),
        instruments=_expand(raw.get("instruments") or [], shared, place, "instruments"),
        cited_with=_expand(raw.get("cited_with") or [], shared, place, "cited_with"),
        leans=leans)


def _stance(raw: Any, shared: Shared, place: Place) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Return the cue list of each stance written (restrict, open, neutral)."""
    if not isinstance(raw, Mapping):
        raise place.error("must map restrict / open / neutral to cue lists")
    bad = sorted(set(map(str, raw)) - set(_STANCES))
    if bad:
        raise place.error("stances are restrict, open and neutral", bad[0])
    return tuple((str(k), _expand(v, shared, place, str(k))) for k, v in raw.items())


def _level(value: Any, place: Place, key: str) -> str:
    """Return an authority level (official, news, ...)."""
    if value not in AUTHORITIES:
        raise place.error(f"authority must be one of: {', '.join(AUTHORITIES)}", key)
    return str(value)


def _authority(auth: Any, shared: Shared,
               place: Place) -> tuple[Levels, tuple[AuthorityRule, ...],
                                      tuple[AuthorityRule, ...], Levels]:
    """Return the authority of each FR type, the action and text rules, and each role's."""
    if not isinstance(auth, Mapping):
        raise place.error("must be a mapping")
    place.check_keys(auth, _AUTHORITY_KEYS)
    fr_types = auth.get("fr_types") or {}
    roles = auth.get("roles") or _DEFAULT_ROLES
    if not isinstance(fr_types, Mapping) or not isinstance(roles, Mapping):
        raise place.error("fr_types and roles map names to authorities")
    for role in roles:
        if role not in ROLES:
            raise place.error(f"unknown role {role!r} (one of: {', '.join(ROLES)})", "roles")
    return (tuple((str(k), _level(v, place, "fr_types")) for k, v in fr_types.items()),
            _rules(auth, "action", shared, place), _rules(auth, "text", shared, place),
            tuple((str(k), _level(v, place, "roles")) for k, v in roles.items()))


def _rules(auth: Mapping[str, Any], key: str, shared: Shared,
           place: Place) -> tuple[AuthorityRule, ...]:
    """Return the `authority.action` or `authority.text` rules, in order."""
    raw_rules = auth.get(key) or []
    if not isinstance(raw_rules, list):
        raise place.error("must be a list of rules", key)
    out = []
    for i, r in enumerate(raw_rules):
        rule = place.at(key, i, entry=f"authority.{key} #{i + 1}")
        if not isinstance(r, Mapping):
            raise rule.error("a rule is a mapping with match, authority and why")
        rule.check_keys(r, _RULE_KEYS)
        out.append(AuthorityRule(match=_expand(r.get("match"), shared, rule, "match"),
                                 authority=_level(r.get("authority"), rule, "authority"),
                                 why=str(r.get("why") or "")))
    return tuple(out)
