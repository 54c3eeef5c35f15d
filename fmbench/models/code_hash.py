"""What code a model runs: the SHA-256 of its module's source and of the local modules it imports.

A ``python_class`` wrapper is the user's own file, often importing helpers beside it. Its
results (and its cached embeddings) are only as fresh as that code, so both the embedding
cache's key and a resumed run's unit fingerprint include :func:`model_code_sha256`: one
entry per module, found by reading the ``import`` statements (never by running anything)
and following them, recursively, into modules that live in the same folder tree as the
model's own module. Installed packages are not read; their versions are recorded elsewhere.

Example:
    >>> hashes = module_sources_sha256("fmbench.models.embedding_cache")  # it imports fmbench.io, ...
    >>> "fmbench.io" in hashes, "numpy" in hashes, len(hashes["fmbench.models.embedding_cache"])
    (True, False, 64)
"""

from __future__ import annotations

import ast
import hashlib
import importlib.machinery
import os
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["model_code_sha256", "module_sources_sha256"]


#: The import statements of each source already read, by (content hash, module, package?).
_IMPORTS: dict[tuple[str, str, bool], tuple[str, ...]] = {}


def _installed_folders() -> list[str]:
    """Folders whose modules are installed, not the user's: the standard library and
    site-packages of this interpreter."""
    paths = sysconfig.get_paths()
    folders = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    return [os.path.realpath(f) for f in folders]


def _under(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # different drives
        return False


def _locate(name: str) -> str | None:
    """The source file of module ``name`` (loaded or not), without importing anything."""
    module = sys.modules.get(name)
    file = getattr(module, "__file__", None) if module is not None else None
    if file:
        return str(file)
    parent, _, last = name.rpartition(".")
    if parent:
        parent_module = sys.modules.get(parent)
        search = getattr(parent_module, "__path__", None)
        if search is None:
            parent_file = _locate(parent)
            if parent_file is None or Path(parent_file).name != "__init__.py":
                return None
            search = [str(Path(parent_file).parent)]
        spec = importlib.machinery.PathFinder.find_spec(name, list(search))
    else:
        spec = importlib.machinery.PathFinder.find_spec(last, sys.path)
    origin = spec.origin if spec is not None else None
    return origin if origin and origin.endswith(".py") else None


def _imported_names(name: str, source: str, is_package: bool) -> Iterator[str]:
    """Module names the source imports (``import a.b`` gives ``a`` and ``a.b``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                yield from (".".join(parts[: i + 1]) for i in range(len(parts)))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".") if package else []
                if node.level - 1 > len(base_parts):
                    continue
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if not base:
                continue
            parts = base.split(".")
            yield from (".".join(parts[: i + 1]) for i in range(len(parts)))
            for alias in node.names:
                if alias.name != "*":
                    yield f"{base}.{alias.name}"  # a submodule, or else just a name


def _root_of(name: str, file: str) -> str:
    """The folder tree the model's own code lives in: its top-level package's folder, or
    the folder of a top-level module (the user's project folder)."""
    top = name.split(".")[0]
    top_file = _locate(top) or file
    top_path = Path(os.path.realpath(top_file))
    root = str(top_path.parent)
    if top_path.name == "__init__.py" or any(_under(root, f) for f in _installed_folders()):
        # a package, or a module installed in site-packages: never all of site-packages
        return root if top_path.name == "__init__.py" else str(top_path)
    return root


def module_sources_sha256(name: str) -> dict[str, str]:
    """``{module: sha256 of its source}`` for module ``name`` and the local modules it imports.

    Local: the source lies in the folder tree of ``name``'s top-level package (or, for a
    top-level module, in its folder) and not in the standard library or site-packages.
    """
    file = _locate(name)
    if file is None:
        return {}
    root = _root_of(name, file)
    installed = _installed_folders()
    hashes: dict[str, str] = {}
    pending = [(name, file)]
    while pending:
        module, path = pending.pop()
        if module in hashes:
            continue
        try:
            data = Path(path).read_bytes()
        except OSError:
            continue
        sha = hashlib.sha256(data).hexdigest()
        hashes[module] = sha
        is_package = Path(path).name == "__init__.py"
        memo_key = (sha, module, is_package)
        if memo_key not in _IMPORTS:  # parsing is the slow part; a file's text decides it
            text = data.decode("utf-8", errors="replace")
            _IMPORTS[memo_key] = tuple(_imported_names(module, text, is_package))
        for imported in _IMPORTS[memo_key]:
            if imported in hashes:
                continue
            found = _locate(imported)
            if found is None:
                continue
            real = os.path.realpath(found)
            if _under(real, root) and not any(
                _under(real, folder) and not _under(root, folder) for folder in installed
            ):
                pending.append((imported, found))
    return dict(sorted(hashes.items()))


def model_code_sha256(model: Any) -> dict[str, str]:
    """The code a loaded model runs: its object's module and, when the config names one with
    ``import_path`` (``"module:Name"``), that module, each with the local modules they import.

    ``model`` is a :class:`~fmbench.models.handle.ModelHandle`.
    """
    names = [type(model.model).__module__]
    import_path = model.config.settings.get("import_path")
    if isinstance(import_path, str) and ":" in import_path:
        names.append(import_path.split(":")[0])
    hashes: dict[str, str] = {}
    for name in names:
        hashes.update(module_sources_sha256(name))
    return dict(sorted(hashes.items()))
