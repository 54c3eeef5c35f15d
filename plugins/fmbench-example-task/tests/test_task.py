"""Tests of fmbench-example-task, run in a fresh virtual environment with the wheel installed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from fmbench_example_task.data import generate, load
from fmbench_example_task.metrics import cohen_kappa

import fmbench
from fmbench.testing import assert_valid_plugin


def test_plugin_contract() -> None:
    check = assert_valid_plugin("fmbench-example-task")
    assert check.datasets == ["DS-ACME-EYES"]
    assert check.metrics == ["CohenKappa"]
    # the raw band powers carry the alpha effect: a linear probe beats chance clearly
    assert check.benchmarks["BM-ACME-EYES"] > 0.5
    assert check.records["suite"] == ["SUITE-ACME-EYES"]


@pytest.mark.parametrize(
    ("truth", "pred", "expected"),
    [
        ([0, 1, 0, 1], [0, 1, 0, 1], 1.0),
        ([0, 1, 0, 1], [1, 0, 1, 0], -1.0),
        ([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], 0.5),
    ],
)
def test_cohen_kappa(truth: list[int], pred: list[int], expected: float) -> None:
    assert cohen_kappa(np.array(truth), np.array(pred)) == pytest.approx(expected)


def test_cohen_kappa_is_undefined_for_one_label() -> None:
    with pytest.raises(fmbench.MetricUndefined, match="one label"):
        cohen_kappa(np.zeros(5), np.zeros(5))


def test_toy_data_is_deterministic(tmp_path: Path) -> None:
    generate(tmp_path / "a", seed=3)
    generate(tmp_path / "b", seed=3)
    first, second = load(tmp_path / "a"), load(tmp_path / "b")
    assert first.X.shape == (192, 4, 5)
    np.testing.assert_array_equal(first.X, second.X)
    assert first.content_sha256 == second.content_sha256
    assert sorted(first.metadata) == ["site", "subject_id"]


def fmbench_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fmbench", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def test_the_suite_runs_through_the_command_line(tmp_path: Path) -> None:
    done = fmbench_cli("generate-toy-data", "--output-dir", "toy", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "toy" / "acme" / "eyes" / "X.npy").is_file()
    (tmp_path / "model.yaml").write_text(
        "model_id: raw_band_powers\ntype: python_class\n"
        'import_path: "fmbench.testing:RawFeatures"\n'
    )
    done = fmbench_cli(
        "run", "--suite", "SUITE-ACME-EYES", "--model", "model.yaml", "--out", "out",
        "--data-root", "toy",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = yaml.safe_load((tmp_path / "out" / "eval.yaml").read_text())
    (record,) = document["benchmarks"]
    assert record["status"] == "Completed"
    assert record["primary_metric"]["name"] == "CohenKappa"
    assert record["metrics"]["CohenKappa"] > 0.5
    assert document["provenance"]["plugins"]["fmbench-example-task"] == "0.1.0"
    assert fmbench_cli("validate", "out/eval.yaml", cwd=tmp_path).returncode == 0
