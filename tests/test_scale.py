"""Executors give the same eval.yaml; a killed run resumes without redoing finished work; the lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from fmbench.cli import cli
from fmbench.results.eval_file import read_eval, strip_timing

MODEL = '''
import os, time
import numpy as np


class Scaled:
    """Uses the signal; logs each call so tests can see what was (re)computed."""

    def __init__(self, log="calls.log", delay=0.0):
        self.log, self.delay = log, delay

    def prepare(self, info):
        with open(self.log, "a") as f:
            f.write(f"prepare {info.get('benchmark_id')} {os.getpid()}\\n")
        time.sleep(self.delay)

    def predict_proba(self, X):
        score = np.asarray(X)[:, :10].sum(axis=1)
        p = 1 / (1 + np.exp(-score / 3))
        return np.column_stack([1 - p, p])

    def embed(self, X):
        return np.asarray(X)[:, :20]
'''


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toy_root: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FMBENCH_TOY_DATA", str(toy_root))
    monkeypatch.setenv("FMBENCH_NO_PLUGINS", "1")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    (tmp_path / "scaled_model.py").write_text(MODEL)
    (tmp_path / "model.yaml").write_text(
        'model_id: scaled\ntype: python_class\nimport_path: "scaled_model:Scaled"\n'
    )
    (tmp_path / "slow.yaml").write_text(
        'model_id: slow\ntype: python_class\nimport_path: "scaled_model:Scaled"\n'
        "init_kwargs: {delay: 3.0}\n"
    )
    folder = toy_root / "neuro/fmri_classification"
    (tmp_path / "suite.yaml").write_text(
        "suite_id: SUITE-SCALE\nname: four units\nbenchmarks:\n"
        "  - benchmark_id: BM-TOY-CLASS\n"
        "  - benchmark_id: BM-TOY-CLASS-PROBE\n"
        f"  - {{benchmark_id: BM-TOY-CLASS, dataset: {folder}}}\n"
        f"  - {{benchmark_id: BM-TOY-CLASS-PROBE, dataset: {folder}}}\n"
    )
    return tmp_path


def _run(out: str, *extra: str, model: str = "model.yaml"):
    return CliRunner().invoke(
        cli, ["run", "--suite", "suite.yaml", "--model", model, "--out", out, "--no-progress",
              "--n-resamples", "200", *extra], obj={},
    )  # fmt: skip


def _comparable(path: Path) -> dict:
    return strip_timing(read_eval(path))


def test_same_results_in_process_with_two_jobs_and_on_dask(workdir: Path):
    assert _run("a").exit_code == 0
    two = _run("b", "--jobs", "2")
    assert two.exit_code == 0, two.output
    reference = _comparable(workdir / "a/eval.yaml")
    assert _comparable(workdir / "b/eval.yaml") == reference
    assert (
        read_eval(workdir / "b/eval.yaml")["run_metadata"]["execution"]["executor"] == "processes"
    )

    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:  # fmt: skip
        on_dask = _run("c", "--executor", "dask", "--scheduler", cluster.scheduler_address)
    assert on_dask.exit_code == 0, on_dask.output
    assert _comparable(workdir / "c/eval.yaml") == reference
    assert (workdir / "a/predictions.npz").read_bytes() == (
        workdir / "c/predictions.npz"
    ).read_bytes()


def test_dask_without_scheduler_is_a_clear_error(workdir: Path):
    result = _run("d", "--executor", "dask")
    assert result.exit_code == 2
    assert "--scheduler" in result.output


def _subprocess(out: str, *extra: str, model: str = "model.yaml") -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "fmbench", "run", "--suite", "suite.yaml", "--model", model,
         "--out", out, "--no-progress", "--n-resamples", "200", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def _journaled(out: Path) -> list[str]:
    folder = out / ".fmbench/journal"
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def test_killed_run_resumes_without_redoing_finished_units(workdir: Path):
    proc = _subprocess("k", model="slow.yaml")
    deadline = time.monotonic() + 120
    while len(_journaled(workdir / "k")) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    finished = _journaled(workdir / "k")
    assert 2 <= len(finished) < 4
    assert not (workdir / "k/eval.yaml").exists()

    refused = _run("k", model="slow.yaml")
    assert refused.exit_code != 0
    assert "--resume" in refused.output

    (workdir / "calls.log").unlink()
    resumed = _run("k", "--resume", model="slow.yaml")
    assert resumed.exit_code == 0, resumed.output
    calls = (workdir / "calls.log").read_text().splitlines()
    assert len(calls) == 4 - len(finished)  # only the unfinished benchmarks met the model

    clean = _run("clean", model="slow.yaml")
    assert clean.exit_code == 0
    assert _comparable(workdir / "k/eval.yaml") == _comparable(workdir / "clean/eval.yaml")


def test_a_second_run_into_the_same_folder_is_refused(workdir: Path):
    first = _subprocess("busy", model="slow.yaml")
    deadline = time.monotonic() + 60
    while not (workdir / ".busy.fmbench-lock").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    second = _run("busy", "--overwrite")
    first.wait(timeout=120)
    assert second.exit_code != 0
    assert "in use by another fmbench run" in second.output
    assert first.returncode == 0
