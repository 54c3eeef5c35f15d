"""A run killed at any moment leaves either no eval.yaml, the old one, or the new one: never half."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fmbench.results.eval_file import read_eval, verify_digest

ROOT = Path(__file__).resolve().parents[1]


def _start(cwd: Path, toy_root: Path, out: str, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FMBENCH_TOY_DATA": str(toy_root), "FMBENCH_NO_PLUGINS": "1"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fmbench",
            "run",
            "--suite",
            "SUITE-TOY-CLASS",
            "--model",
            str(ROOT / "configs/model_dummy_classifier.yaml"),
            "--out",
            out,
            "--no-progress",
            *extra,
        ],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("delay", [0.3, 0.7, 1.0, 1.3, 1.6])
def test_kill_at_random_points(tmp_path: Path, toy_root: Path, delay: float):
    # a finished earlier run, then an --overwrite run killed after `delay` seconds
    first = _start(tmp_path, toy_root, "out")
    assert first.wait(timeout=120) == 0
    old = (tmp_path / "out/eval.yaml").read_bytes()
    proc = _start(tmp_path, toy_root, "out", "--overwrite", "--seed", "7")
    time.sleep(delay)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    doc = read_eval(tmp_path / "out/eval.yaml")
    assert verify_digest(doc)
    now = (tmp_path / "out/eval.yaml").read_bytes()
    assert now == old or doc["provenance"]["seed"] == 7
    leftovers = [p.name for p in (tmp_path / "out").iterdir() if p.name.endswith(".tmp")]
    # a killed writer may leave its hidden temporary file, never a damaged result
    assert all(name.startswith(".") for name in leftovers)
