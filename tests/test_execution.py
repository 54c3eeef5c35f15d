"""Executors give the same results in the same order; the journal and the lock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fmbench.errors import ConfigError, ResultsError
from fmbench.running.execution import run_units
from fmbench.running.journal import RunJournal, RunLock, fingerprint


def square(x: int) -> int:
    return x * x


def test_processes_match_inprocess_and_keep_order():
    payloads = list(range(7))
    seen: list[int] = []
    a = run_units(square, payloads, executor="inprocess")
    b = run_units(
        square, payloads, executor="processes", jobs=2, on_done=lambda i, r: seen.append(i)
    )
    assert a == b == [x * x for x in payloads]
    assert sorted(seen) == payloads


def test_unknown_executor_and_missing_scheduler():
    with pytest.raises(ConfigError, match="unknown executor 'slurm'"):
        run_units(square, [1], executor="slurm")
    with pytest.raises(ConfigError, match="--scheduler"):
        run_units(square, [1, 2], executor="dask")


def test_journal_round_trip_with_arrays(tmp_path: Path):
    journal = RunJournal(tmp_path)
    key = fingerprint("BM-X", {"seed": 1})
    journal.save("BM-X", key, {"metrics": {"AUROC": 0.7}}, {"proba": np.eye(3)})
    assert journal.load("BM-X", key) == {"metrics": {"AUROC": 0.7}}
    assert np.array_equal(journal.load_arrays("BM-X")["proba"], np.eye(3))
    assert journal.load("BM-X", fingerprint("BM-X", {"seed": 2})) is None
    assert journal.finished() == ["BM-X"]


def test_journal_ignores_a_torn_entry(tmp_path: Path):
    journal = RunJournal(tmp_path)
    journal.folder.mkdir(parents=True)
    (journal.folder / "BM-X.json").write_text('{"unit": "BM-X", "key": "k", "rec')
    assert journal.load("BM-X", "k") is None


def test_lock_refuses_a_second_run(tmp_path: Path):
    with RunLock(tmp_path):
        holder = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from fmbench.running.journal import RunLock\n"
                "from pathlib import Path\n"
                "try:\n    RunLock(Path(sys.argv[1])).__enter__()\nexcept Exception as e:\n"
                "    print(e); sys.exit(1)",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            env={**os.environ},
            timeout=60,
        )
        assert holder.returncode == 1
        assert "in use by another fmbench run (pid" in holder.stdout
    with RunLock(tmp_path):  # released: can be taken again
        pass


def test_lock_in_process_is_exclusive(tmp_path: Path):
    with RunLock(tmp_path), pytest.raises(ResultsError, match="in use"), RunLock(tmp_path):
        pass


def test_lock_holds_without_fcntl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Issue #21 item 5: where there is no fcntl (Windows) there was no lock at all. The lock
    is filelock's platform lock now; it needs no `import fcntl` of its own."""
    import filelock

    monkeypatch.setitem(sys.modules, "fcntl", None)  # `import fcntl` fails, as on Windows
    out = tmp_path / "out"
    with RunLock(out) as held:
        with pytest.raises(ResultsError, match="in use by another fmbench run"):
            RunLock(out).__enter__()
        assert isinstance(held._lock, filelock.FileLock)
