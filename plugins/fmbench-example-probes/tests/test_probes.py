"""Tests of fmbench-example-probes, run in a fresh virtual environment with the wheel installed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fmbench_example_probes.probes import clip, gain

from fmbench.testing import assert_valid_plugin


def test_plugin_contract() -> None:
    check = assert_valid_plugin("fmbench-example-probes")
    assert sorted(check.probes) == ["acme_clip", "acme_gain"]


def test_gain_scales() -> None:
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(gain(x, 0.25, np.random.default_rng(0), {}), x * 1.25)


def test_clip_limits_each_sample_to_its_own_peak() -> None:
    x = np.array([[[1.0, -10.0, 5.0]], [[0.1, 0.2, -0.4]]])
    out = clip(x, 0.5, np.random.default_rng(0), {})
    assert out.shape == x.shape
    np.testing.assert_allclose(out[0, 0], [1.0, -5.0, 5.0])
    np.testing.assert_allclose(out[1, 0], [0.1, 0.2, -0.2])


def fmbench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fmbench", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def test_listed_by_the_installed_fmbench(tmp_path: Path) -> None:
    done = fmbench("list-probes", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert rows["acme_gain"]["provider"] == "fmbench-example-probes"
    assert rows["acme_clip"]["perturb"] == "fmbench_example_probes.probes:clip"
    done = fmbench("plugins", "list", cwd=tmp_path)
    assert "fmbench-example-probes 0.1.0  [loaded]" in done.stdout


def test_runs_in_run_robustness(tmp_path: Path) -> None:
    if "run-robustness" not in fmbench("--help", cwd=tmp_path).stdout:
        pytest.skip("this fmbench has no run-robustness command")
    assert fmbench("generate-toy-data", "--output-dir", "toy", cwd=tmp_path).returncode == 0
    (tmp_path / "model.yaml").write_text(
        "model_id: dummy\ntype: python_class\n"
        'import_path: "fmbench.models.dummy:DummyClassifier"\ninit_kwargs: {random_seed: 1}\n'
    )
    done = fmbench(
        "run-robustness", "--model", "model.yaml", "--data", "toy/neuro/fmri_classification",
        "--probes", "acme_gain,acme_clip", "--out", "out", "--no-progress",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "acme_gain: rAUC" in done.stdout
    assert "acme_clip: rAUC" in done.stdout
    assert "acme_clip" in (tmp_path / "out" / "eval.yaml").read_text()
