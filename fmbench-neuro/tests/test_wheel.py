"""The package installs from a wheel into a fresh venv and appears in the CLI listings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1]
CORE = PACKAGE.parent


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv(tmp_path: Path) -> None:
    if os.environ.get("FMBENCH_SKIP_SLOW"):
        pytest.skip("FMBENCH_SKIP_SLOW is set")
    if not (CORE / "pyproject.toml").is_file():
        pytest.skip("the core source tree is not beside fmbench-neuro")
    wheels = tmp_path / "wheels"
    for source in (CORE, PACKAGE):
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
             "-w", str(wheels), str(source)],
            check=True, capture_output=True, cwd=tmp_path,
        )  # fmt: skip
    built = sorted(p.name for p in wheels.glob("*.whl"))
    assert any(n.startswith("fmbench_neuro-") for n in built), built
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *map(str, sorted(wheels.glob("*.whl")))],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    if install.returncode != 0 and "No matching distribution" in install.stderr:
        pytest.skip(f"dependencies not installable here: {install.stderr.strip()[-200:]}")
    assert install.returncode == 0, install.stderr
    fmbench = venv / "bin" / "fmbench"
    plugins = subprocess.run([str(fmbench), "plugins", "list"], capture_output=True, text=True,
                             cwd=tmp_path, check=True)  # fmt: skip
    assert "fmbench-neuro 0.1.0  [loaded]" in plugins.stdout, plugins.stdout
    benchmarks = subprocess.run([str(fmbench), "list-benchmarks"], capture_output=True,
                                text=True, cwd=tmp_path, check=True)  # fmt: skip
    for name in ("BM-FMRI-GRANULAR", "BM-EEG-ABNORMAL", "BM-SMRI-AD", "BM-BRAIN-MAE"):
        assert name in benchmarks.stdout
    suites = subprocess.run([str(fmbench), "list-suites"], capture_output=True, text=True,
                            cwd=tmp_path, check=True)  # fmt: skip
    assert "SUITE-NEURO-CLASS-001" in suites.stdout
    assert "SUITE-ROBUSTNESS-NEURO" in suites.stdout
    # the YAML package data made it into the wheel: a toy dataset generates and a suite runs
    subprocess.run([str(fmbench), "generate-toy-data", "--only", "DS-NEURO-EEG-ABNORMAL"],
                   cwd=tmp_path, check=True, capture_output=True)  # fmt: skip
    config = tmp_path / "bp.yaml"
    config.write_text("model_id: baseline_bp\ntype: eeg_bandpower\n")
    run = subprocess.run(
        [str(fmbench), "run", "--suite", "SUITE-NEURO-EEG-001", "--model", str(config), "--out",
         "res", "--no-progress"], cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
