"""A content-keyed cache of work every command repeats while it starts: parsed definition
files and plugins' requirements on the core.

Every command builds the registry, which parses each installed package's definition files
(YAML) and reads each plugin's requirement on the core (with ``packaging``). Importing PyYAML
and ``packaging`` and parsing some 70 files took about a fifth of ``fmbench plugins list``.
This cache keeps the outcome as JSON, under the SHA-256 of *everything that decides it*
(the files' names and texts and the PyYAML version; the requirement lines, the core's version
and the interpreter and platform that markers read), so an entry cannot go stale: different
inputs are a different key, and an unchanged key can only give the same answer.

- Entries are files ``<cache>/startup/<kind>/<key>.json`` in the user's cache folder
  (:func:`fmbench.cache_folder.default_cache_dir`), each written atomically.
- An answer is kept only if JSON gives it back exactly (:func:`json_exact`); anything else
  (a date, a non-text key, NaN) is recomputed every time.
- A missing, unreadable or corrupt entry is recomputed; a cache folder that cannot be written
  only means no saving. ``FMBENCH_NO_STARTUP_CACHE=1`` turns the cache off.
- At most :data:`MAX_ENTRIES` entries per kind are kept; the oldest go first.

Example:
    >>> import os, tempfile
    >>> os.environ["FMBENCH_CACHE"] = tempfile.mkdtemp()
    >>> calls = []
    >>> def parse():
    ...     calls.append(1)
    ...     return {"suite_id": "SUITE-X", "benchmarks": ["BM-X"]}
    >>> cached("example", {"text": "suite_id: SUITE-X"}, parse)
    {'suite_id': 'SUITE-X', 'benchmarks': ['BM-X']}
    >>> cached("example", {"text": "suite_id: SUITE-X"}, parse)  # read back, not recomputed
    {'suite_id': 'SUITE-X', 'benchmarks': ['BM-X']}
    >>> len(calls)
    1
    >>> del os.environ["FMBENCH_CACHE"]
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from fmbench.hashing import json_sha256

__all__ = ["DISABLE_ENV", "FORMAT", "MAX_ENTRIES", "cache_root", "cached", "json_exact"]

T = TypeVar("T")

#: Set to 1 to compute everything at every start (nothing read from or written to the cache).
DISABLE_ENV = "FMBENCH_NO_STARTUP_CACHE"
#: Part of every key: bumped when what an entry holds changes.
FORMAT = 1
#: Entries kept per kind; when a write passes this, the older half is removed.
MAX_ENTRIES = 256


def cache_root() -> Path | None:
    """``<cache>/startup``, or None when the cache is turned off."""
    if os.environ.get(DISABLE_ENV, "").strip().lower() in {"1", "true", "yes"}:
        return None
    from fmbench.cache_folder import default_cache_dir

    return default_cache_dir() / "startup"


def json_exact(value: Any) -> str | None:
    """``value`` as JSON text if reading that text gives ``value`` back exactly, else None.

    JSON keeps the types of ``str``, ``int``, ``float``, ``bool``, ``None``, lists and
    text-keyed dicts; a round trip that changes anything (a number key, a date, NaN) fails.

    Example:
        >>> json_exact({"a": [1, 2.0, True, None]})
        '{"a": [1, 2.0, true, null]}'
        >>> json_exact({1: "a"}) is None, json_exact(float("nan")) is None
        (True, True)
    """
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError):
        return None
    return text if json.loads(text) == value else None


def cached(kind: str, inputs: Any, compute: Callable[[], T]) -> T:
    """``compute()``'s answer for ``inputs``: from the cache when it holds one, else computed
    (and stored when JSON keeps it exactly).

    Args:
        kind: what is cached (a folder name, e.g. ``"definitions"``).
        inputs: JSON data holding everything the answer depends on.
        compute: makes the answer; what it raises propagates and nothing is stored.
    """
    root = cache_root()
    if root is None:
        return compute()
    key = json_sha256({"format": FORMAT, "kind": kind, "inputs": inputs})
    path = root / kind / f"{key}.json"
    with contextlib.suppress(OSError, ValueError):
        entry = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(entry, dict) and entry.get("key") == key and "value" in entry:
            value: T = entry["value"]
            return value
    value = compute()
    text = json_exact(value)
    if text is not None:
        _store(path, f'{{"key": "{key}", "value": {text}}}')
    return value


def _store(path: Path, text: str) -> None:
    """Write an entry atomically and keep the folder bounded; a failure is no saving, not an
    error (a read-only home, a full disk)."""
    from fmbench.io import atomic_write_text

    try:
        atomic_write_text(path, text)
        entries = [p for p in path.parent.iterdir() if p.suffix == ".json"]
        if len(entries) > MAX_ENTRIES:
            entries.sort(key=lambda p: p.stat().st_mtime)
            for old in entries[: len(entries) - MAX_ENTRIES // 2]:
                if old != path:
                    old.unlink(missing_ok=True)
    except OSError:
        return
