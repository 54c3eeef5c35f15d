"""Runs with intervals, kept predictions, compare and the determinism check, through the CLI
(CliRunner) and one subprocess; the linear probe on toy data beats chance, shuffled labels
do not; grouped folds never share a subject."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from fmbench.cli import cli

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "configs" / "model_raw_features.yaml"

NOISY_MODEL = '''
import numpy as np

class RandomFeatures:
    """Embeddings unrelated to the input: a planted worse model."""
    def embed(self, X):
        rng = np.random.default_rng(abs(hash(np.asarray(X).tobytes())) % 2**32)
        return rng.normal(size=(len(X), 8))

class Restless:
    """A different answer every call: not deterministic."""
    def __init__(self):
        self.rng = np.random.default_rng(0)
    def embed(self, X):
        X = np.asarray(X, dtype=float)
        return X.reshape(len(X), -1) + self.rng.normal(scale=1e-3, size=(len(X), X[0].size))
'''


def invoke(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=True)


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("toy")
    result = invoke("generate-toy-data", "--output-dir", str(root), "--only", "DS-TOY-FMRI-CLASS")
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    (folder / "planted_models.py").write_text(NOISY_MODEL)
    for name, cls in (("random", "RandomFeatures"), ("restless", "Restless")):
        (folder / f"{name}.yaml").write_text(
            f"model_id: {name}\ntype: python_class\nimport_path: 'planted_models:{cls}'\n"
        )
    return folder


def run(toy: Path, out: Path, model: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    result = invoke(
        "run", "--suite", "SUITE-TOY-PROBE", "--model", str(model), "--out", str(out),
        "--data-root", str(toy), "--no-progress", "--n-resamples", "300", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, (result.output, result.exception)
    return yaml.safe_load((out / "eval.yaml").read_text())


@pytest.fixture(scope="module")
def raw_run(toy: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("raw") / "run"
    run(toy, out, RAW, "--check-determinism")
    return out


def test_probe_beats_chance_with_intervals(raw_run: Path) -> None:
    doc = yaml.safe_load((raw_run / "eval.yaml").read_text())
    record = doc["benchmarks"][0]
    assert doc["model"]["baseline"] is True
    assert record["metrics"]["AUROC"] > 0.8
    lo, hi = record["intervals"]["AUROC"]
    assert 0.5 < lo <= record["metrics"]["AUROC"] <= hi
    method = record["interval_method"]
    assert method["unit"] == "subject_id"
    assert method["n_resamples"] == 300
    # binary AUROC has a closed form now (issue #19); resampled metrics count their resamples
    assert method["methods"]["AUROC"] == "newcombe score"
    assert method["methods"]["Accuracy"] == "clopper-pearson"
    assert method["methods"]["F1-Score"] == "percentile bootstrap"
    assert method["n_used"]["F1-Score"] == 300
    assert "AUROC" not in method["n_used"]
    assert "refits" in method["covers"]
    assert set(record["intervals"]) == set(record["metrics"])
    assert "ECE" in record["metrics"]
    assert "Brier" in record["metrics"]
    site = record["stratified"]["site"]
    assert all(len(entry["intervals"]["AUROC"]) == 2 for entry in site.values())
    gaps = record["stratified_gaps"]["site"]["AUROC"]
    assert gaps["worst_group"] == "SiteC"  # the noisy site
    assert gaps["gap"] == pytest.approx(gaps["best"] - gaps["worst"], abs=1e-6)


def test_shuffled_labels_stay_at_chance(toy: Path, tmp_path: Path) -> None:
    data = tmp_path / "shuffled"
    shutil.copytree(toy / "neuro" / "fmri_classification", data)
    y = np.load(data / "y.npy")
    np.save(data / "y.npy", np.random.default_rng(0).permutation(y))
    result = invoke(
        "run", "--suite", "SUITE-TOY-PROBE", "--model", str(RAW), "--out", str(tmp_path / "o"),
        "--dataset", str(data), "--no-progress", "--n-resamples", "300",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    record = yaml.safe_load((tmp_path / "o" / "eval.yaml").read_text())["benchmarks"][0]
    lo, hi = record["intervals"]["AUROC"]
    assert lo < 0.5 < hi
    assert record["metrics"]["AUROC"] < 0.65


def test_grouped_folds_never_share_a_subject(toy: Path) -> None:
    from fmbench.data.dataset import Dataset, load_array_folder
    from fmbench.evaluation.splits import make_folds
    from fmbench.plugin_system.specs import SplitSpec

    dataset = load_array_folder(toy / "neuro" / "fmri_classification")
    split = SplitSpec(method="kfold", folds=5, group_by="subject_id")
    # the toy data, and the same data with 4 samples per subject
    repeated = Dataset(
        dataset_id="rep", X=np.repeat(dataset.X, 4, axis=0), y=np.repeat(dataset.y, 4),
        metadata={"subject_id": np.repeat(np.asarray(dataset.metadata["subject_id"]), 4)},
    )  # fmt: skip
    for ds in (dataset, repeated):
        subjects = np.asarray(ds.metadata["subject_id"]).astype(str)
        folds = make_folds(ds, split, seed=3)
        assert len(folds) == 5
        for fold in folds:
            assert not set(subjects[fold.train]) & set(subjects[fold.test])
        tested = np.sort(np.concatenate([f.test for f in folds]))
        assert np.array_equal(tested, np.arange(ds.n_samples))


def test_predictions_are_kept_with_their_hash(raw_run: Path) -> None:
    from fmbench.results.predictions import load_predictions

    doc = yaml.safe_load((raw_run / "eval.yaml").read_text())
    stored = load_predictions(raw_run / "predictions.npz")["BM-TOY-CLASS-PROBE"]
    assert stored.sha256 == doc["benchmarks"][0]["predictions_sha256"]
    assert stored.predictions.proba.shape == (200, 2)
    assert stored.units is not None
    assert len(set(stored.units.tolist())) == 200
    with np.load(raw_run / "predictions.npz", allow_pickle=False) as data:
        assert "BM-TOY-CLASS-PROBE/indices" in data.files


def test_report_shows_intervals_and_reliability_plot(raw_run: Path) -> None:
    report = (raw_run / "report.md").read_text()
    assert "plots/BM-TOY-CLASS-PROBE_reliability.png" in report
    assert (raw_run / "plots" / "BM-TOY-CLASS-PROBE_reliability.png").read_bytes()[:4] == (
        b"\x89PNG"
    )
    assert "Worst group / gap" in report
    import re

    assert re.search(r"\| AUROC \| 0\.\d{3} \[0\.\d{3}, 0\.\d{3}\] \|", report)


def test_determinism_check(raw_run: Path, toy: Path, models: Path, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    doc = yaml.safe_load((raw_run / "eval.yaml").read_text())
    assert doc["determinism"]["max_abs_diff"] == 0.0
    assert doc["determinism"]["n_samples"] == 64
    monkeypatch.chdir(models)
    restless = run(toy, tmp_path / "r", models / "restless.yaml", "--check-determinism",
                   "--determinism-samples", "10")  # fmt: skip
    det = restless["determinism"]
    assert det["n_samples"] == 10
    assert det["max_abs_diff"] > 0
    assert det["deterministic"] is False


def test_compare_self_and_planted_difference(raw_run: Path, toy: Path, models: Path,
                                              tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    same = invoke("compare", str(raw_run), str(raw_run), "--json", "--n-resamples", "300")
    assert same.exit_code == 0, same.output
    entry = json.loads(same.output)["benchmarks"]["BM-TOY-CLASS-PROBE"]
    assert entry["difference"] == 0.0
    assert entry["interval"] == [0.0, 0.0]
    assert entry["p_value"] == 1.0
    assert entry["unit"] == "cluster"
    monkeypatch.chdir(models)
    run(toy, tmp_path / "random", models / "random.yaml")
    planted = invoke("compare", str(raw_run), str(tmp_path / "random"), "--json")
    assert planted.exit_code == 0, planted.output
    entry = json.loads(planted.output)["benchmarks"]["BM-TOY-CLASS-PROBE"]
    assert entry["difference"] < -0.2
    assert entry["interval"][1] < 0
    assert entry["p_value"] < 0.01
    text = invoke("compare", str(raw_run), str(tmp_path / "random"))
    assert "B - A = -0." in text.output


def test_compare_refuses_different_samples(raw_run: Path, toy: Path, tmp_path: Path) -> None:
    data = tmp_path / "smaller"
    shutil.copytree(toy / "neuro" / "fmri_classification", data)
    for name in ("X.npy", "y.npy"):
        np.save(data / name, np.load(data / name)[:150])
    lines = (data / "metadata.csv").read_text().splitlines()
    (data / "metadata.csv").write_text("\n".join(lines[:151]) + "\n")
    result = invoke(
        "run", "--suite", "SUITE-TOY-PROBE", "--model", str(RAW), "--out", str(tmp_path / "o"),
        "--dataset", str(data), "--no-progress", "--n-resamples", "100",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    compared = invoke("compare", str(raw_run), str(tmp_path / "o"))
    assert compared.exit_code == 1
    assert "scored different samples" in compared.output
    assert "Traceback" not in compared.output


def test_compare_detects_edited_predictions(raw_run: Path, tmp_path: Path) -> None:
    from fmbench.results.predictions import load_predictions, save_predictions

    copy = tmp_path / "copy"
    shutil.copytree(raw_run, copy)
    stored = load_predictions(copy / "predictions.npz")["BM-TOY-CLASS-PROBE"]
    stored.predictions.proba = stored.predictions.proba[:, ::-1].copy()
    save_predictions(copy / "predictions.npz", {"BM-TOY-CLASS-PROBE": (stored.predictions, None)})
    result = invoke("compare", str(raw_run), str(copy))
    assert result.exit_code == 1
    assert "do not match eval.yaml" in result.output


def test_compare_subprocess(raw_run: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "fmbench", "compare", str(raw_run), str(raw_run),
         "--n-resamples", "200"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "B - A = +0.0000 [+0.0000, +0.0000]" in proc.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "fmbench", "compare", str(raw_run), str(raw_run / "eval.yaml"),
         "--n-resamples", "100"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert missing.returncode == 0, missing.stderr
