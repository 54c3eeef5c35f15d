"""The cca_phenotype protocol: held-out canonical correlation through a suite, and controls."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from fmbench_neuro.analysis.cca_protocol import cca_phenotype, fit_cca

from fmbench.cli import cli
from fmbench.data.dataset import Dataset
from fmbench.errors import ConfigError, DataError
from fmbench.evaluation.protocols import EvalContext
from fmbench.evaluation.splits import Fold
from fmbench.plugin_system.specs import BenchmarkSpec, ProtocolSpec

from .conftest import CONFIGS

SUITE = "SUITE-NEURO-CCA-001"
BENCHMARK = "BM-FMRI-CCA-PHENOTYPE"


class _Embedder:
    def __init__(self, x: np.ndarray) -> None:
        self.x = x
        self.model_id = "fixed-embeddings"

    def require(self, needs: Any, what: str) -> None:
        pass

    def embed(self, batch: np.ndarray) -> np.ndarray:
        return self.x[np.asarray(batch, dtype=int)]


def _context(registry: Any, emb: np.ndarray, metadata: dict[str, Any], **options: Any) -> Any:
    n = len(emb)
    dataset = Dataset(
        dataset_id="synthetic", X=np.arange(n), y=np.zeros(n, dtype=int), metadata=metadata
    )
    order = np.random.default_rng(0).permutation(n)
    folds = [
        Fold(train=np.sort(np.setdiff1d(order, part)), test=np.sort(part))
        for part in np.array_split(order, 4)
    ]
    benchmark = registry.get(BenchmarkSpec, BENCHMARK)
    return EvalContext(
        benchmark=benchmark,
        dataset=dataset,
        model=_Embedder(emb),  # type: ignore[arg-type]
        folds=folds,
        seed=0,
        batch_size=64,
        options={"covariates": ["age", "site"], "n_permutations": 99, **options},
    )


def _planted(n: int = 200, coupled: bool = True) -> tuple[np.ndarray, dict[str, Any]]:
    rng = np.random.default_rng(3)
    age = rng.normal(60, 10, n)
    emb = rng.standard_normal((n, 30))
    if coupled:
        emb[:, 5] += (age - 60) / 5
    site = rng.choice(["A", "B"], n).astype(object)
    return emb, {"subject_id": np.array([f"s{i}" for i in range(n)]), "age": age, "site": site}


def test_fit_cca_finds_a_planted_pair_out_of_sample() -> None:
    rng = np.random.default_rng(1)
    z = rng.standard_normal(400)
    x = np.column_stack([z + 0.5 * rng.standard_normal(400), rng.standard_normal((400, 9))])
    y = np.column_stack([z + 0.5 * rng.standard_normal(400), rng.standard_normal(400)])
    fit = fit_cca(x[:300], y[:300], n_pca=5)
    u_train, v_train = fit.project(x[:300], y[:300])
    assert np.std(u_train, ddof=1) == pytest.approx(1.0)  # unit variance on the fitting rows
    assert np.corrcoef(u_train, v_train)[0, 1] == pytest.approx(fit.correlation)
    u, v = fit.project(x[300:], y[300:])
    assert np.corrcoef(u, v)[0, 1] > 0.6


def test_protocol_gives_held_out_variates_and_the_permutation_test(registry) -> None:
    emb, meta = _planted()
    predictions = cca_phenotype(_context(registry, emb, meta))
    assert predictions.values is not None
    assert len(predictions.indices) == len(emb)
    assert set(predictions.fold.tolist()) == {0, 1, 2, 3}
    held_out = np.corrcoef(predictions.values, predictions.y_true)[0, 1]
    assert held_out > 0.7
    notes = predictions.notes["protocol"]
    test = notes["permutation_test"]
    assert test["p_values"][0] < 0.05
    assert notes["covariate_columns"] == ["age", "site=B"]
    assert abs(test["covariate_loadings"][0]["age"]) > 0.9  # the coupled covariate is age
    assert len(notes["folds"]) == 4


def test_protocol_without_coupling_is_not_significant(registry) -> None:
    emb, meta = _planted(coupled=False)
    predictions = cca_phenotype(_context(registry, emb, meta))
    held_out = np.corrcoef(predictions.values, predictions.y_true)[0, 1]  # type: ignore[arg-type]
    assert held_out < 0.3
    assert predictions.notes["protocol"]["permutation_test"]["p_values"][0] > 0.05


def test_protocol_option_errors(registry) -> None:
    emb, meta = _planted(60)
    with pytest.raises(ConfigError, match="needs covariates"):
        cca_phenotype(_context(registry, emb, meta, covariates=[]))
    with pytest.raises(ConfigError, match="n_permutations=0"):
        cca_phenotype(_context(registry, emb, meta, n_permutations=0))
    with pytest.raises(DataError, match="'height' is not in the metadata"):
        cca_phenotype(_context(registry, emb, meta, covariates=["height"]))


def test_protocol_is_registered_with_its_own_targets(registry) -> None:
    spec = registry.get(ProtocolSpec, "cca_phenotype")
    assert spec.targets == "protocol"
    assert registry.get(ProtocolSpec, "linear_probe").targets == "dataset"
    with pytest.raises(ValueError, match="targets must be one of dataset, protocol"):
        ProtocolSpec(name="x", summary="y", evaluate="a.b:c", targets="labels")
    bm = registry.get(BenchmarkSpec, BENCHMARK)
    assert bm.task == "regression" and bm.metrics.primary == "PearsonR"
    assert bm.split.group_by == "subject_id"
    assert "not a clinical" in bm.clinical_relevance


def _run(tmp_path: Path, out: str, *extra: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        cli,
        [
            "run",
            "--suite",
            SUITE,
            "--model",
            str(CONFIGS / "fmri_connectivity.yaml"),
            "--out",
            str(tmp_path / out),
            "--no-progress",
            "--no-cache",
            "--n-resamples",
            "200",
            *extra,
        ],
        obj={},
    )
    assert result.exit_code == 0, result.output
    document = yaml.safe_load((tmp_path / out / "eval.yaml").read_text(encoding="utf-8"))
    (record,) = [b for b in document["benchmarks"] if b["benchmark_id"] == BENCHMARK]
    return record  # type: ignore[no-any-return]


def test_suite_end_to_end_finds_the_toy_covariate_effects(
    tmp_path: Path, toy_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    record = _run(tmp_path, "real", "--data-root", str(toy_root))
    assert record["status"] == "Completed"
    assert record["protocol"] == "cca_phenotype"
    assert record["primary_metric"]["value"] > 0.5  # held-out canonical correlation
    assert record["intervals"]["PearsonR"][0] > 0.3
    details = record["protocol_details"]
    assert details["permutation_test"]["p_values"][0] < 0.05
    assert details["covariates"] == ["age", "diagnosis"]
    assert all(f["test_correlation"] > 0.3 for f in details["folds"])


def test_shuffled_covariate_control_finds_nothing(
    tmp_path: Path, toy_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same suite on a copy whose covariate rows are shuffled against the fMRI data."""
    monkeypatch.chdir(tmp_path)
    source = toy_root / "neuro" / "fmri_connectivity"
    folder = tmp_path / "shuffled"
    shutil.copytree(source, folder)
    with (folder / "metadata.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    order = np.random.default_rng(7).permutation(len(rows))
    shuffled = [dict(row) for row in rows]
    for row, j in zip(shuffled, order, strict=True):
        row["age"], row["diagnosis"] = rows[j]["age"], rows[j]["diagnosis"]
    with (folder / "metadata.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(shuffled)
    (folder / "manifest.json").unlink(missing_ok=True)  # the copy is no longer the toy data
    record = _run(tmp_path, "control", "--dataset", str(folder))
    assert record["status"] == "Completed", record
    assert abs(record["primary_metric"]["value"]) < 0.25
    assert record["protocol_details"]["permutation_test"]["p_values"][0] > 0.05


def test_a_dataset_targets_protocol_still_gets_the_task_check(
    tmp_path: Path, toy_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a protocol with targets="protocol" skips the label-task check: linear_probe on
    this benchmark would regress the diagnosis labels, and is refused with the reason."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli,
        [
            "run",
            "--suite",
            SUITE,
            "--model",
            str(CONFIGS / "fmri_connectivity.yaml"),
            "--out",
            str(tmp_path / "out"),
            "--no-progress",
            "--no-cache",
            "--data-root",
            str(toy_root),
            "--protocol",
            "linear_probe",
        ],
        obj={},
    )
    document = yaml.safe_load((tmp_path / "out" / "eval.yaml").read_text(encoding="utf-8"))
    (record,) = document["benchmarks"]
    assert record["status"] != "Completed", result.output
    assert "holds classification targets" in str(record), record
