"""YAML with line numbers, and the checks every section of a YAML file shares.  [yaml]

`load_yaml` parses a file once and keeps the line of every key; a `Place` is a spot in that
file (a key path and the entry it names), so each check can raise a ConfigError that names the
file, the line, the entry and the key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError

Lines = Mapping[tuple[Any, ...], int]


def _node_lines(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
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


@dataclass(frozen=True)
class Place:
    """A value's place in a YAML file: its key path, and the entry and key prefix errors name."""

    file: str
    lines: Lines
    path: tuple[Any, ...] = ()
    entry: str | None = None
    prefix: str = ""  # printed before a key: "digest." names daemon.digest.cron 'digest.cron'

    def at(self, *keys: Any, entry: str | None = None, prefix: str = "") -> Place:
        """Return the place of a value below this one, named ``entry`` in errors."""
        return replace(self, path=(*self.path, *keys), entry=entry, prefix=prefix)

    def error(self, message: str, key: str | None = None) -> ConfigError:
        """Return a ConfigError at ``key`` below this place (at the place itself without one)."""
        line = self.lines.get((*self.path, key)) if key is not None else None
        return ConfigError(message, file=self.file, entry=self.entry,
                           key=None if key is None else self.prefix + key,
                           line=line or self.lines.get(self.path))

    def check_keys(self, raw: Mapping[Any, Any], known: Sequence[str],
                   what: str = "key") -> None:
        """Raise a ConfigError at the first key of ``raw`` not in ``known``."""
        unknown = sorted(set(map(str, raw)) - set(known))
        if unknown:
            raise self.error(f"unknown {what} (known: {', '.join(known)})", unknown[0])


def is_number(value: Any, *, whole: bool = False) -> bool:
    """Return whether a YAML value is a number (a whole one with ``whole``); booleans are not."""
    kinds: tuple[type, ...] = (int,) if whole else (int, float)
    return isinstance(value, kinds) and not isinstance(value, bool)
