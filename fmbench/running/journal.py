"""The run journal and the run lock: finished work survives a crash; two runs never interleave.

Each finished unit of work (one benchmark, one probe of a benchmark...) is written atomically to
``<out>/.fmbench/journal/<unit>.json`` (plus an ``.npz`` of its arrays when it has any), keyed
by a fingerprint of everything that determines it, with the parts of that fingerprint so that a
changed unit can be told apart and the change named. ``run --resume`` replays finished units
whose fingerprint still matches and runs only the rest. ``<out>/.fmbench/run.json`` says which
run the folder holds (suite, model, options), so that ``--resume`` never continues another one.

The lock is a file beside the folder, ``.<out>.fmbench-lock``, not inside it: a run swaps its
finished folder into place as a whole (:mod:`fmbench.running.output_folder`), and a lock inside the folder
would move with it.

Example:
    >>> import tempfile, pathlib
    >>> journal = RunJournal(pathlib.Path(tempfile.mkdtemp()))
    >>> journal.save("BM-X", "abc", {"status": "Completed"})
    >>> journal.load("BM-X", "abc")
    {'status': 'Completed'}
    >>> journal.load("BM-X", "other") is None
    True
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from fmbench.errors import ResultsError
from fmbench.hashing import json_sha256
from fmbench.io import atomic_write_bytes, atomic_write_text

__all__ = ["RunJournal", "RunLock", "fingerprint", "lock_path"]

_SAFE = re.compile(r"[^A-Za-z0-9_.\-]")


def fingerprint(*parts: Any) -> str:
    """A stable SHA-256 of JSON-able parts (what determines a unit's result)."""
    return json_sha256(list(parts))


class RunJournal:
    """Finished units of one output folder."""

    def __init__(self, out_dir: Path) -> None:
        self.folder = Path(out_dir) / ".fmbench" / "journal"

    def _path(self, unit: str, suffix: str) -> Path:
        return self.folder / f"{_SAFE.sub('_', unit)}{suffix}"

    def save(
        self,
        unit: str,
        key: str,
        record: Mapping[str, Any],
        arrays: Mapping[str, np.ndarray] | None = None,
        *,
        parts: Mapping[str, Any] | None = None,
    ) -> None:
        """Record a finished unit (arrays first, so a record never points at missing arrays).

        ``parts``: what the key was computed from, kept so that a later run can say what
        changed (see :func:`fmbench.running.resume.change_reason`).
        """
        if arrays:
            buffer = io.BytesIO()
            np.savez(buffer, **{k: np.asarray(v) for k, v in arrays.items()})  # type: ignore[arg-type]
            atomic_write_bytes(self._path(unit, ".npz"), buffer.getvalue())
        entry = {"unit": unit, "key": key, "has_arrays": bool(arrays), "record": record}
        if parts is not None:
            entry["parts"] = parts
        atomic_write_text(self._path(unit, ".json"), json.dumps(entry, default=str))

    def entry(self, unit: str) -> dict[str, Any] | None:
        """The journal entry of a finished unit (``key``, ``record``, ``parts``...), whatever
        its key; None when there is none or it cannot be read."""
        path = self._path(unit, ".json")
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        if not isinstance(entry, dict) or not isinstance(entry.get("record"), dict):
            return None
        return entry

    def load(self, unit: str, key: str) -> dict[str, Any] | None:
        """The record of a finished unit with the same key, else None."""
        entry = self.entry(unit)
        if entry is None or entry.get("key") != key:
            return None
        record: dict[str, Any] = entry["record"]
        return record

    @property
    def _run_path(self) -> Path:
        return self.folder.parent / "run.json"

    def save_run(self, identity: Mapping[str, Any]) -> None:
        """Say which run the folder holds (its suite, model and options)."""
        atomic_write_text(self._run_path, json.dumps(dict(identity), sort_keys=True, default=str))

    def run_identity(self) -> dict[str, Any] | None:
        """What :meth:`save_run` recorded, or None (no run yet, or an older fmbench's)."""
        try:
            data = json.loads(self._run_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        return data if isinstance(data, dict) else None

    def load_arrays(self, unit: str) -> dict[str, np.ndarray]:
        with np.load(self._path(unit, ".npz"), allow_pickle=False) as data:
            return {k: data[k] for k in data.files}

    def finished(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.json"))

    def clear(self) -> None:
        if self.folder.is_dir():
            for path in self.folder.iterdir():
                path.unlink()
        self._run_path.unlink(missing_ok=True)


def lock_path(out_dir: Path) -> Path:
    """The lock file of an output folder: ``.<name>.fmbench-lock`` beside it."""
    out_dir = Path(os.path.abspath(out_dir))
    return out_dir.parent / f".{out_dir.name}.fmbench-lock"


class RunLock:
    """An exclusive lock on an output folder; a second run into it is refused, not interleaved.

    The lock is :class:`filelock.FileLock` (``fcntl.flock`` on Unix, ``msvcrt.locking`` on
    Windows), so it holds on every platform and is released by the system when the process
    ends, however it ends. The file also says which process holds it (``pid N``), where the
    platform lets another process read it.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.path = lock_path(self.out_dir)
        self._lock: Any = None

    def _holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip() or "another process"
        except (OSError, UnicodeDecodeError):  # Windows: the locked file cannot be read
            return "another process"

    def __enter__(self) -> RunLock:
        import filelock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(self.path), timeout=0)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise ResultsError(
                f"{self.out_dir} is in use by another fmbench run ({self._holder()}); wait for "
                "it to finish or choose another --out"
            ) from None
        try:
            with open(self.path, "r+", encoding="utf-8") as handle:
                handle.truncate()
                handle.write(f"pid {os.getpid()}")
        except OSError:  # Windows: the locked region cannot be written through another handle
            pass
        self._lock = lock
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None
