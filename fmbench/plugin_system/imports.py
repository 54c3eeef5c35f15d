"""Importing a user's object by ``"module:Name"``, with the current directory importable.

The working folder is put on ``sys.path`` for the import and taken off again: modules the
user's module imports at its top come from there, and nothing else changes for the process.

Model configs name the user's own code this way (``python_class``, ``torch_module``); the
errors say which module or name is missing and where it was looked for.

Example:
    >>> import_object("os.path:join", source="<doc>")("a", "b")
    'a/b'
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from fmbench.errors import ConfigError, ModelError

__all__ = ["import_object"]


def import_object(import_path: Any, *, source: str, key: str = "import_path") -> Any:
    """Import ``"module:Name"`` (``Name`` may be dotted) for the model config ``source``."""
    if not isinstance(import_path, str) or import_path.count(":") != 1:
        raise ConfigError(
            f"model config {source}: {key} must be 'module:Name', got {import_path!r}"
        )
    module_name, name = import_path.split(":")
    cwd = os.getcwd()
    added = cwd not in sys.path
    if added:  # for this import only: the working folder does not stay importable for good
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise ModelError(
                f"model config {source}: cannot import module {module_name!r} (not found from "
                f"{cwd} or the installed packages)"
            ) from None
        raise ModelError(f"model module {module_name!r} failed to import: {exc}") from exc
    except Exception as exc:
        raise ModelError(
            f"model module {module_name!r} failed to import: {type(exc).__name__}: {exc}"
        ) from exc
    finally:
        if added and cwd in sys.path:
            sys.path.remove(cwd)
    obj: Any = module
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise ModelError(f"model config {source}: module {module_name!r} has no {name!r}")
    return obj
