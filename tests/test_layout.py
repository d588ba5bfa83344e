"""The layout rules of STYLE.md, held by reading the imports of every module."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "monitor"
# A stage imports only types, errors, config and its own package; never another stage,
# never storage.
STAGES = {"fetch", "parse", "classify", "cluster", "outputs"}
FOUNDATION = {"types", "errors", "config"}
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
    "ahocorasick": {"classify"},
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
