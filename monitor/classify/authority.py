"""Authority: how binding an item is, from what an official document does, its type, an
agency's own words, or the source's role. Pure."""

from __future__ import annotations

from collections.abc import Callable

from ..types import AuthorityRule, Debate, Item


def _rule(rules: tuple[AuthorityRule, ...], cues: set[str]) -> AuthorityRule | None:
    for rule in rules:
        if any(m in cues for m in rule.match):
            return rule
    return None


def authority(item: Item, role: str, debate: Debate, fr_types: dict[str, str],
              roles: dict[str, str], cues: set[str],
              matched: Callable[[str], set[str]]) -> tuple[str, str]:
    """Return the item's authority and why: the Federal Register `action` first (its title
    when it has none), then the document type, then an agency's text (its cues), then the
    source's role. matched(text): the debate's cues found in a text."""
    official = item.official
    action = official.action
    doc_type = official.kind_of_document
    field = "action"
    if not action and doc_type is not None and doc_type in fr_types:
        action, field = item.title, "title"  # no action (a briefing notice): the title says
    if action:
        rule = _rule(debate.action_rules, matched(action))
        if rule:
            return rule.authority, f"Federal Register {field} '{action}': {rule.why}"
    if doc_type is not None and doc_type in fr_types:
        subtype = official.subtype
        label = f"{doc_type} ({subtype})" if subtype else doc_type
        return fr_types[doc_type], f"document type '{label}'"
    if role == "agency":
        rule = _rule(debate.text_rules, cues)
        if rule:
            hit = next(m for m in rule.match if m in cues)
            return rule.authority, f"agency source, text says '{hit}': {rule.why}"
    level = roles.get(role, "news")
    return level, f"source role '{role}'"
