"""The researcher workflow of the earlier README, exactly as written, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def sh(args: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def test_researcher_workflow(tmp_path: Path):
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs/model_dummy_classifier.yaml").write_bytes(
        (ROOT / "configs/model_dummy_classifier.yaml").read_bytes()
    )
    py = [sys.executable, "-m", "fmbench"]
    sh([*py, "generate-toy-data"], tmp_path)
    assert (tmp_path / "toy_data/neuro/fmri_classification/X.npy").exists()
    run = sh(
        [
            *py,
            "run",
            "--suite",
            "SUITE-TOY-CLASS",
            "--model",
            "configs/model_dummy_classifier.yaml",
            "--out",
            "results/my_first_run",
        ],
        tmp_path,
    )
    assert "AUROC" in run.stdout
    report = (tmp_path / "results/my_first_run/report.md").read_text()
    assert "BM-TOY-CLASS" in report and "Stratified performance" in report
    assert "SUITE-TOY-CLASS" in sh([*py, "list-suites"], tmp_path).stdout
    assert "BM-TOY-CLASS" in sh([*py, "list-benchmarks"], tmp_path).stdout
    console_script = Path(sys.executable).with_name("fmbench")  # installed by pip
    assert "fmbench.builtin" in sh([str(console_script), "plugins", "list"], tmp_path).stdout

    # wrap your own model: my_model.py + my_config.yaml in the current directory
    (tmp_path / "my_model.py").write_text(
        "import numpy as np\n\n"
        "class MyModelWrapper:\n"
        "    def predict(self, X):\n"
        "        return (np.asarray(X)[:, :10].sum(axis=1) > 0).astype(int)\n\n"
        "    def predict_proba(self, X):\n"
        "        p = 1 / (1 + np.exp(-np.asarray(X)[:, :10].sum(axis=1) / 3))\n"
        "        return np.column_stack([1 - p, p])\n"
    )
    (tmp_path / "my_config.yaml").write_text(
        'model_id: my_awesome_model\ntype: python_class\nimport_path: "my_model:MyModelWrapper"\n'
    )
    mine = sh(
        [
            *py,
            "run",
            "--suite",
            "SUITE-TOY-CLASS",
            "--model",
            "my_config.yaml",
            "--out",
            "results/",
        ],
        tmp_path,
    )
    doc = yaml.safe_load((tmp_path / "results/eval.yaml").read_text())
    assert doc["model_ids"]["candidate"] == "my_awesome_model"
    assert doc["metrics"]["AUROC"] > 0.8, mine.stdout
    assert sh([*py, "validate", "results/eval.yaml"], tmp_path).returncode == 0


def test_bad_input_exits_non_zero_without_traceback(tmp_path: Path):
    result = sh(
        [
            sys.executable,
            "-m",
            "fmbench",
            "run",
            "--suite",
            "NOPE",
            "--model",
            "m.yaml",
            "--out",
            "o",
        ],
        tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("Error: unknown suite 'NOPE'")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
