"""The layout rules of STYLE.md, held by reading the imports of every module."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "monitor"
# A stage imports only types, errors, config and its own package; never another stage,
# never storage.
STAGES = {"fetch", "parse", "classify", "cluster", "outputs", "instruments", "alerts"}
FOUNDATION = {"types", "errors", "config", "safe", "text"}
# Only these combine stages (import more than one of them).
SEQUENCERS = {"pipeline", "report", "deliver", "schedule", "cli", "demo", "doctor", "explain",
              "evaluate"}
# Each third-party library lives in one module (or one stage package).
LIBRARIES = {
    "httpx": {"fetch"},
    "feedparser": {"parse.feed"},
    "bs4": {"parse.html"},
    "lxml": {"parse.html"},
    "sqlite_utils": {"store"},
    "yaml": {"config"},
    "click": {"cli"},
    "rich": {"cli"},
    "jinja2": {"outputs.render"},
    "apscheduler": {"schedule"},
    "rapidfuzz": {"cluster"},
    "ahocorasick_rs": {"classify"},
    "nh3": {"outputs.render"},
    "markupsafe": {"outputs.render"},
    "icalendar": {"outputs.calendar"},
}


def modules() -> dict[str, ast.Module]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).with_suffix("")
        name = ".".join(p for p in rel.parts if p != "__init__") or "__init__"
        out[name] = ast.parse(path.read_text(), str(path))
    return out


def runtime_imports(tree: ast.Module, name: str) -> set[str]:
    """Return absolute names imported outside `if TYPE_CHECKING:` blocks."""
    found: set[str] = set()
    package = name.split(".")[:-1] if name.count(".") else []
    if (PACKAGE / name.replace(".", "/") / "__init__.py").exists():
        package = name.split(".")

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(["monitor", *base, *([node.module] if node.module else [])])
                if node.module is None:
                    found.update(f"{mod}.{a.name}" for a in node.names)
                else:
                    found.add(mod)
                    found.update(f"{mod}.{a.name}" for a in node.names)
            elif node.module:
                found.add(node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def top(name: str) -> str:
    return name.split(".")[0]


def test_stages_import_only_foundation_and_themselves():
    for name, tree in modules().items():
        stage = top(name)
        if stage not in STAGES:
            continue
        for imported in runtime_imports(tree, name):
            if not imported.startswith("monitor."):
                continue
            target = imported.split(".")[1]
            assert target in FOUNDATION or target == stage or not (
                PACKAGE / target).exists() and not (PACKAGE / f"{target}.py").exists(), (
                f"{name} imports {imported}: a stage may import only types, errors, config")


def test_each_library_lives_in_one_module():
    for name, tree in modules().items():
        for imported in runtime_imports(tree, name):
            lib = top(imported)
            if lib in LIBRARIES:
                owners = LIBRARIES[lib]
                assert name in owners or top(name) in owners, (
                    f"{name} imports {lib}, which belongs to {sorted(owners)}")


def test_only_cli_exits():
    for name, tree in modules().items():
        if name == "cli":
            continue
        text = ast.unparse(tree)
        assert "sys.exit(" not in text, f"{name} calls sys.exit"


def test_only_sequencers_combine_stages():
    for name, tree in modules().items():
        used = {imported.split(".")[1] for imported in runtime_imports(tree, name)
                if imported.startswith("monitor.") and imported.split(".")[1] in STAGES}
        used.discard(top(name))
        if len(used) > 1:
            assert top(name) in SEQUENCERS, f"{name} combines the stages {sorted(used)}"


def _module_of(imported: str, known: set[str]) -> str | None:
    """Return the monitor module an imported name belongs to (the longest known prefix)."""
    parts = imported.split(".")[1:]
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts = parts[:-1]
    return None


def test_no_import_cycle():
    trees = modules()
    known = set(trees)
    graph = {name: {m for i in runtime_imports(tree, name) if i.startswith("monitor.")
                    for m in [_module_of(i, known)] if m and m != name}
             for name, tree in trees.items()}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            assert state.get(nxt) != 1, f"import cycle: {' -> '.join([*path, node, nxt])}"
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])


def test_no_module_is_imported_through_a_string():
    for name, tree in modules().items():
        text = ast.unparse(tree)
        assert "importlib" not in text and "__import__" not in text, name


def test_no_module_is_over_400_lines():
    for path in PACKAGE.rglob("*.py"):
        lines = len(path.read_text().splitlines())
        assert lines <= 400, f"{path.relative_to(PACKAGE)} has {lines} lines"


def test_foundation_imports_only_foundation():
    for name, tree in modules().items():
        if top(name) not in FOUNDATION:
            continue
        for imported in runtime_imports(tree, name):
            if imported.startswith("monitor."):
                target = imported.split(".")[1]
                assert target in FOUNDATION or not (PACKAGE / target).exists() and not (
                    PACKAGE / f"{target}.py").exists(), f"{name} imports {imported}"


def test_text_uses_only_the_standard_library():
    import sys

    tree = modules()["text"]
    for imported in runtime_imports(tree, "text"):
        assert top(imported) in sys.stdlib_module_names or top(imported) == "__future__", (
            f"monitor/text.py imports {imported}: it is the standard-library foundation")
