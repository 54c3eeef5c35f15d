"""Every neuro benchmark end to end on its toy data, with its baseline beating chance; folds
grouped by subject; the CLI from a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from fmbench.data.locate import load_dataset
from fmbench.evaluation.splits import make_folds
from fmbench.models.config import read_model_config
from fmbench.plugin_system.specs import BenchmarkSpec, SuiteSpec
from fmbench.running.suite_run import RunOptions, run_suite

from .conftest import CONFIGS

# suite and the baseline config that must beat chance on it
CASES = [
    ("SUITE-NEURO-CLASS-001", "fmri_connectivity.yaml"),
    ("SUITE-NEURO-EEG-001", "eeg_bandpower.yaml"),
    ("SUITE-NEURO-SMRI-001", "smri_regional.yaml"),
    ("SUITE-NEURO-RECON-001", "roi_reconstruction.yaml"),
]


@pytest.fixture(scope="module")
def baseline_runs(
    registry, toy_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Each suite run once with its baseline (the runs are the slow part)."""
    runs = {}
    for suite_id, config in CASES:
        out = tmp_path_factory.mktemp(suite_id)
        options = RunOptions(data_root=str(toy_root), progress=False)
        suite = registry.get(SuiteSpec, suite_id)
        runs[suite_id] = run_suite(
            registry, suite, read_model_config(CONFIGS / config), out, options
        )
    return runs


@pytest.mark.parametrize(("suite_id", "config"), CASES)
def test_baseline_beats_chance(baseline_runs: dict[str, Any], suite_id: str, config: str) -> None:
    result = baseline_runs[suite_id]
    assert result.document.to_dict()["status"] == "Completed", result.document.to_dict()[
        "benchmarks"
    ]
    assert result.document.to_dict()["model"]["baseline"] is True
    for record in result.document.to_dict()["benchmarks"]:
        primary = record["primary_metric"]
        chance = record["chance"][primary["name"]]
        value = primary["value"]
        if primary["direction"] == "higher":
            assert value > chance + 0.15, (record["benchmark_id"], value, chance)
        else:
            assert value < 0.9 * chance, (record["benchmark_id"], value, chance)
        assert record["stratified"], "stratified metrics are missing"
    assert (result.out_dir / "eval.yaml").is_file()
    assert (result.out_dir / "report.md").is_file()


def test_fmri_strata_are_the_acquisition_facts(baseline_runs: dict[str, Any]) -> None:
    record = baseline_runs["SUITE-NEURO-CLASS-001"].document.to_dict()["benchmarks"][0]
    strata = record["stratified"]
    for column in ("scanner", "site", "field_strength", "acquisition_type", "preprocessing",
                   "parcellation"):  # fmt: skip
        assert len(strata[column]) >= 3, column
    assert set(strata["field_strength"]) == {"1.5T", "3T", "7T"}


def test_brain_mae_scored_per_region_and_age(baseline_runs: dict[str, Any]) -> None:
    record = baseline_runs["SUITE-NEURO-RECON-001"].document.to_dict()["benchmarks"][0]
    assert len(record["stratified"]["region"]) == 24
    ages = record["stratified"]["age"]
    # coupling falls with age in the generator, so the young are reconstructed better
    assert ages["20-40"]["MSE"] < ages["60-86"]["MSE"]


@pytest.mark.parametrize(
    "benchmark",
    ["BM-EEG-ABNORMAL", "BM-BRAIN-MAE", "BM-FMRI-GRANULAR", "BM-SMRI-AD"],
)
def test_grouped_folds_never_share_a_subject(registry, toy_root: Path, benchmark: str) -> None:
    bm = registry.get(BenchmarkSpec, benchmark)
    dataset, _ = load_dataset(registry, bm.dataset, root=toy_root)
    folds = make_folds(dataset, bm.split, seed=42, task=bm.task)
    subjects = np.asarray(dataset.metadata["subject_id"])
    assert len(folds) == bm.split.folds
    tested = np.concatenate([f.test for f in folds])
    assert sorted(tested) == list(range(dataset.n_samples))
    for fold in folds:
        assert not set(subjects[fold.train]) & set(subjects[fold.test])


def test_toy_data_facts(registry, toy_root: Path) -> None:
    rob, _ = load_dataset(registry, "DS-NEURO-EEG-ROBUSTNESS", root=toy_root)
    assert rob.X.shape == (100, 16, 500)
    assert rob.X.dtype == np.float32
    assert rob.info["sampling_freq"] == 200
    assert rob.info["n_classes"] == 2
    assert len(rob.info["ch_names"]) == 16
    eeg, _ = load_dataset(registry, "DS-NEURO-EEG-ABNORMAL", root=toy_root)
    assert eeg.info["sampling_freq"] == 128
    assert len(eeg.info["ch_names"]) == eeg.X.shape[1]
    per_subject = np.unique(eeg.metadata["subject_id"], return_counts=True)[1]
    assert per_subject.min() > 1  # several windows per subject


def test_toy_data_is_deterministic(registry, tmp_path: Path) -> None:
    from fmbench.data.generate_toy import generate_all

    for root in (tmp_path / "a", tmp_path / "b"):
        list(generate_all(registry, root, seed=7, only=["DS-NEURO-EEG-ROBUSTNESS"]))
    a = np.load(tmp_path / "a/neuro/robustness/X.npy")
    b = np.load(tmp_path / "b/neuro/robustness/X.npy")
    assert np.array_equal(a, b)


def test_robustness_suite_runs_the_eeg_probes(registry, toy_root: Path, tmp_path: Path) -> None:
    pytest.importorskip(
        "fmbench.robustness.engine", reason="the core's robustness engine is not installed"
    )
    from fmbench_neuro.toy.eeg import generate_eeg_robustness

    from fmbench.models.config import parse_model_config

    generate_eeg_robustness(tmp_path / "train", seed=7)  # other subjects than the test set
    config = parse_model_config(
        {"model_id": "baseline_bandpower_lr", "type": "eeg_bandpower",
         "train_data": str(tmp_path / "train")}, source="<test>",
    )  # fmt: skip
    suite = registry.get(SuiteSpec, "SUITE-ROBUSTNESS-NEURO")
    options = RunOptions(data_root=str(toy_root), progress=False)
    document = run_suite(registry, suite, config, tmp_path / "o", options).document.to_dict()
    assert document["benchmarks"][0]["metrics"]["AUROC"] > 0.8
    block = document["robustness"]["BM-EEG-ROBUSTNESS"]
    assert block["status"] == "Completed", block
    assert set(block["probes"]) == {"dropout", "noise", "line_noise", "permutation", "shift"}


def test_cli_run_in_a_subprocess(tmp_path: Path) -> None:
    fmbench = [sys.executable, "-m", "fmbench"]
    subprocess.run([*fmbench, "generate-toy-data", "--only", "DS-NEURO-EEG-ABNORMAL"],
                   cwd=tmp_path, check=True, capture_output=True)  # fmt: skip
    out = subprocess.run(
        [*fmbench, "run", "--suite", "SUITE-NEURO-EEG-001", "--model",
         str(CONFIGS / "eeg_bandpower.yaml"), "--out", "results/eeg", "--no-progress"],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    document = yaml.safe_load((tmp_path / "results/eeg/eval.yaml").read_text())
    assert document["benchmark_id"] == "BM-EEG-ABNORMAL"
    assert document["metrics"]["AUROC"] > 0.65
    assert document["model"]["baseline"] is True
    check = subprocess.run([*fmbench, "validate", "results/eeg/eval.yaml"], cwd=tmp_path,
                           capture_output=True, text=True)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr


def test_cli_bad_recording_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "recs"
    folder.mkdir()
    (folder / "x.edf").write_bytes(b"0       garbage")
    (folder / "labels.csv").write_text("file,subject,label\nx.edf,s1,normal\n")
    out = subprocess.run(
        [sys.executable, "-m", "fmbench", "run", "--suite", "SUITE-NEURO-EEG-001", "--model",
         str(CONFIGS / "eeg_bandpower.yaml"), "--dataset", str(folder), "--out", "r",
         "--no-progress"],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    document = yaml.safe_load((tmp_path / "r/eval.yaml").read_text())
    error = document["benchmarks"][0]["error"]
    assert "x.edf: not a readable EDF file" in error
    assert "Traceback" not in out.stderr
