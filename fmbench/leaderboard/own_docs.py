"""Is a path inside the source tree of an fmbench package (its tracked documentation)?

``fmbench build-leaderboard`` without arguments writes ``docs/leaderboards/index.md`` (the
earlier project's README asks for exactly that). Run inside a checkout of fmbench itself, that
default would rewrite a page the repository tracks; the command writes ``leaderboard/index.md``
instead (saying so) unless ``--output`` names the page on purpose.

A source tree is recognised by its layout: the nearest folder above the path that holds a
``pyproject.toml`` also holds an fmbench package (``fmbench/__init__.py``, or
``fmbench_<name>/__init__.py`` as the domain and example plugins do).

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = (root / "pyproject.toml").write_text("[project]\\n")
    >>> (root / "fmbench").mkdir(); _ = (root / "fmbench" / "__init__.py").write_text("")
    >>> fmbench_source_tree(root / "docs" / "leaderboards" / "index.md") == ("fmbench", root)
    True
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["fmbench_source_tree"]

_PACKAGE = re.compile(r"fmbench(_[a-z0-9_]+)?")


def fmbench_source_tree(path: Path | str) -> tuple[str, Path] | None:
    """``(package name, folder)`` of the fmbench source tree holding ``path``, or None.

    The nearest folder above ``path`` that has a ``pyproject.toml`` decides.
    """
    here = Path(os.path.abspath(path))
    for folder in here.parents:
        if not (folder / "pyproject.toml").is_file():
            continue
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return None
        for name in names:
            if _PACKAGE.fullmatch(name) and (folder / name / "__init__.py").is_file():
                return name, folder
        return None
    return None
