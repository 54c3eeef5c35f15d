"""The core's layout: no import cycles (lazy imports included), light modules stay light.

Every ``import`` and ``from ... import`` statement anywhere in a module counts, also inside
functions (a lazy import is still a dependency); only imports under ``if TYPE_CHECKING:`` are
left out, since they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import fmbench

PACKAGE = Path(fmbench.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            named = (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
                isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
            )
            if named:
                for child in node.body:
                    lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def import_graph() -> dict[str, set[str]]:
    """module -> the fmbench modules it imports (at any depth of its code)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _type_checking_lines(tree)
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in skipped:
                continue
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets.append(node.module)
                targets += [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets += [a.name for a in node.names]
            for target in targets:
                if target in modules and target != name and target != "fmbench":
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_checker_finds_a_planted_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycles_among_the_cores_modules() -> None:
    assert cycles(import_graph()) == []


def test_the_core_is_grouped_into_subpackages() -> None:
    top = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert top == [
        "__init__", "__main__", "_version", "api", "cache_folder", "capabilities", "debugging", "errors", "hashing", "io",
        "progress",
        "resource_usage", "testing", "testing_http", "testing_wheels",
    ]  # fmt: skip
    for package in (
        "plugin_system", "data", "models", "evaluation", "statistics", "robustness", "results",
        "running", "reporting", "leaderboard", "adapters", "cli", "builtin",
    ):  # fmt: skip
        assert (PACKAGE / package / "__init__.py").is_file(), package


def test_records_and_hooks_import_nothing_heavy() -> None:
    """What plugins and listings import stays free of numpy, YAML and the run."""
    graph = import_graph()
    light = ["fmbench.plugin_system.specs", "fmbench.plugin_system.hookspecs",
             "fmbench.capabilities", "fmbench.results.records"]  # fmt: skip
    for module in light:
        reached: set[str] = set()
        todo = [module]
        while todo:
            for nxt in graph[todo.pop()]:
                if nxt not in reached:
                    reached.add(nxt)
                    todo.append(nxt)
        heavy = {m for m in reached if m.startswith(("fmbench.running", "fmbench.data.dataset"))}
        assert not heavy, (module, heavy)


def test_one_raw_features_class() -> None:
    from fmbench.builtin.adapters import RawFeatures
    from fmbench.testing import RawFeatures as ForPlugins

    assert ForPlugins is RawFeatures


def test_importing_a_users_module_leaves_sys_path_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from fmbench.plugin_system.imports import import_object

    (tmp_path / "users_model_module.py").write_text("class M:\n    pass\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    before = list(sys.path)
    assert import_object("users_model_module:M", source="<test>").__name__ == "M"
    assert sys.path == before
