"""The layout rules, checked from the source: the facade is the only door, no cycles, small modules.

Imports are read from each module's AST (imports inside functions included), so a lazy import
cannot slip past.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers import REPO

PACKAGES = ("bot", "retrieval")
# What front ends may import from the library: the facade, the records, errors, settings, vocabulary,
# and the evaluation package's own entry (for `newsbot eval`).
BOT_MAY_IMPORT = {
    "retrieval",
    "retrieval.engine",
    "retrieval.types",
    "retrieval.errors",
    "retrieval.settings",
    "retrieval.text",
    "retrieval.evaluation",
}
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Project modules imported by `name` (anywhere in the file), as dotted names."""
    found: set[str] = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            # `from pkg import module` imports a module too
            found.update(f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES)
    return {m for m in found if m.split(".")[0] in PACKAGES}


def _resolve(target: str) -> str:
    """The project module an import names (an imported attribute resolves to its module)."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target


def test_bot_reaches_retrieval_only_through_the_engine():
    offending = {
        f"{name} imports {target}"
        for name, path in MODULES.items()
        if name.startswith("bot")
        for target in _imports(name, path)
        if target.startswith("retrieval") and target not in BOT_MAY_IMPORT
    }
    assert not offending, sorted(offending)


def test_retrieval_never_imports_bot():
    offending = [
        f"{name} imports {t}"
        for name, path in MODULES.items()
        if name.startswith("retrieval")
        for t in _imports(name, path)
        if t.startswith("bot")
    ]
    assert not offending


def test_no_import_cycle_among_project_modules():
    graph = {name: {_resolve(t) for t in _imports(name, path)} - {"", name} for name, path in MODULES.items()}
    # A package's __init__ importing its own submodules is how a package exposes them, not a cycle.
    for name in graph:
        graph[name] = {t for t in graph[name] if not (MODULES[name].name == "__init__.py" and t.startswith(name + "."))}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            assert cycle is None, " -> ".join(cycle)


def test_no_module_over_500_lines():
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long


def test_the_checks_see_lazy_imports():
    # A guard for the guard: bot/cli/ask.py is known to import retrieval.engine.
    assert "retrieval.engine" in _imports("bot.cli.ask", MODULES["bot.cli.ask"])


def test_pyproject_lists_every_package():
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    packages = {name for name, path in MODULES.items() if path.name == "__init__.py"}
    assert set(config["packages"]) == packages | set(config["package-dir"]), "add new packages to pyproject.toml"
