"""Where fmbench keeps what it can recompute: the user's cache folder.

``$FMBENCH_CACHE`` when set, else the platform's cache folder (``$XDG_CACHE_HOME/fmbench`` or
``~/.cache/fmbench`` on Linux). The embedding cache and the start-up cache live under it.

Example:
    >>> import os
    >>> os.environ["FMBENCH_CACHE"] = "/tmp/fmbench-cache"
    >>> str(default_cache_dir())
    '/tmp/fmbench-cache'
    >>> del os.environ["FMBENCH_CACHE"]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["CACHE_ENV", "default_cache_dir"]

#: Environment variable naming the cache folder (overridden by ``--cache-dir`` where a command
#: has that option).
CACHE_ENV = "FMBENCH_CACHE"


def default_cache_dir() -> Path:
    """``$FMBENCH_CACHE``, else the user's cache folder (``~/.cache/fmbench`` on Linux)."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "fmbench"
