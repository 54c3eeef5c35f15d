"""Can a model config's ``import_path`` be imported? Checked without running the model's code.

``fmbench validate model.yaml`` uses this: the module is looked up the way ``fmbench run``
imports it (the current directory first, then the installed packages) with
:func:`importlib.util.find_spec`, and the name is looked for in the module's source with
:mod:`ast`, so validating a config never executes the module itself. (A dotted module name
imports its parent packages, as any lookup of a submodule does.) When the source cannot tell
(a compiled module, ``from x import *``, a module ``__getattr__``), the name is not checked.

Example:
    >>> import_path_problem("os.path:join", source="m.yaml") is None
    True
    >>> import_path_problem("os.path:jion", source="m.yaml")
    "model config m.yaml: import_path 'os.path:jion': module 'os.path' defines no 'jion' (did you mean 'join'?)"
"""

from __future__ import annotations

import ast
import importlib.util
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fmbench.errors import suggest

__all__ = ["import_path_problem"]


def _top_level_names(body: Iterable[ast.stmt]) -> tuple[set[str], bool]:
    """Names a module's top level binds, and whether it may bind others unseen."""
    names: set[str] = set()
    open_ended = False
    for node in body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
            if node.name == "__getattr__":
                open_ended = True
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    open_ended = True
                else:
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            inner: list[ast.stmt] = [*node.body, *getattr(node, "orelse", [])]
            inner += getattr(node, "finalbody", [])
            for handler in getattr(node, "handlers", []):
                inner += handler.body
            more, unseen = _top_level_names(inner)
            names |= more
            open_ended = open_ended or unseen
        else:  # globals() tricks, exec, ...: cannot be read off the source
            if any(isinstance(n, ast.Name) and n.id in {"globals", "exec"} for n in ast.walk(node)):
                open_ended = True
    return names, open_ended


def _local_modules(folder: str) -> list[str]:
    try:
        entries = os.listdir(folder)
    except OSError:
        return []
    return sorted(
        name.removesuffix(".py") for name in entries if name.endswith(".py") or "." not in name
    )


def import_path_problem(import_path: Any, *, source: str) -> str | None:
    """Why ``import_path`` ("module:Name") cannot be imported, or None when it can."""
    where = f"model config {source}: import_path {import_path!r}"
    if not isinstance(import_path, str) or import_path.count(":") != 1:
        return f"{where} must be 'module:Name' (e.g. 'my_model:MyModelWrapper')"
    module_name, name = import_path.split(":")
    if not module_name or not name:
        return f"{where} must be 'module:Name' (e.g. 'my_model:MyModelWrapper')"
    cwd = os.getcwd()
    added = cwd not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        spec = importlib.util.find_spec(module_name)
    except ModuleNotFoundError as exc:  # a parent package is missing
        spec, missing = None, exc.name or module_name
    except Exception as exc:  # a parent package failed to import
        first = str(exc).splitlines()[0] if str(exc) else ""
        return f"{where}: importing its package failed: {type(exc).__name__}: {first}"
    else:
        missing = module_name
    finally:
        if added and cwd in sys.path:
            sys.path.remove(cwd)
    if spec is None:
        hint = suggest(missing, _local_modules(cwd)) if "." not in missing else ""
        return (
            f"{where}: cannot import module {missing!r} (not found from {cwd} or the installed "
            f"packages){hint}"
        )
    first = name.split(".")[0]
    loaded = sys.modules.get(module_name)
    if loaded is not None:
        if hasattr(loaded, first):
            return None
        return f"{where}: module {module_name!r} defines no {first!r}{suggest(first, dir(loaded))}"
    origin = spec.origin
    if not origin or not origin.endswith(".py"):
        return None  # compiled or namespace: only an import could tell
    try:
        tree = ast.parse(Path(origin).read_bytes(), filename=origin)
    except SyntaxError as exc:
        return f"{where}: {origin} has a syntax error at line {exc.lineno}: {exc.msg}"
    except (OSError, ValueError):
        return None
    names, open_ended = _top_level_names(tree.body)
    if first in names or open_ended:
        return None
    return f"{where}: module {module_name!r} defines no {first!r}{suggest(first, sorted(names))}"
