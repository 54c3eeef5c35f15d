"""The robustness gate (#19.7) and the summary over the declared probes (#19.8)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from fmbench.data.dataset import Dataset
from fmbench.evaluation.protocols import Predictions
from fmbench.evaluation.scoring import score_one
from fmbench.models.config import ModelConfig
from fmbench.models.handle import ModelHandle
from fmbench.plugin_system.registry import build_registry
from fmbench.plugin_system.specs import MetricSpec, ProbeEntry
from fmbench.robustness.engine import evaluate_probes, plan_probes
from fmbench.robustness.signal_gate import (
    SIGNAL_ALPHA,
    permutation_scheme,
    permute_labels,
    signal_test,
)

REGISTRY = build_registry(external=False)


class SignalModel:
    """Uses the signal: P(class 1) rises with the mean of channel 0."""

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        score = np.asarray(X, dtype=float)[:, 0].reshape(len(X), -1).mean(axis=1)
        p1 = 1.0 / (1.0 + np.exp(-3.0 * score))
        return np.column_stack([1 - p1, p1])


def make_dataset(n: int = 120) -> Dataset:
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], n // 2)
    X = rng.standard_normal((n, 4, 32)).astype(np.float32)
    X[:, 0, :] += np.where(y == 1, 0.6, -0.6)[:, None].astype(np.float32)
    info = {"modality": "eeg", "task": "classification", "n_classes": 2}
    return Dataset(dataset_id="toy-signal", X=X, y=y, info=info)


def handle(model: Any) -> ModelHandle:
    return ModelHandle(model=model, config=ModelConfig(model_id="m", type="python_class"))


def clean_predictions(model: ModelHandle, dataset: Dataset) -> Predictions:
    indices = np.arange(dataset.n_samples)
    proba = model.predict_proba(dataset.X, 2)
    return Predictions(
        indices=indices, y_true=dataset.y, fold=np.zeros(len(indices), int), proba=proba,
        labels=proba.argmax(axis=1),
    )  # fmt: skip


AUROC: MetricSpec = REGISTRY.get(MetricSpec, "AUROC")


def _predictions(y: np.ndarray, p1: np.ndarray) -> Predictions:
    return Predictions(
        indices=np.arange(len(y)),
        y_true=y,
        fold=np.zeros(len(y), int),
        proba=np.column_stack([1 - p1, p1]),
        labels=(p1 > 0.5).astype(int),
    )


def _auroc(pred: Predictions) -> float:
    return score_one(AUROC, pred)


def _fingerprint(rng: np.random.Generator, subjects: int = 20, windows: int = 5) -> Any:
    """One label per subject; the score is a subject offset unrelated to the label."""
    labels = np.repeat([0, 1], subjects // 2)
    offset = rng.standard_normal(subjects)
    y = np.repeat(labels, windows)
    units = np.repeat([f"s{i}" for i in range(subjects)], windows)
    score = np.repeat(offset, windows) + 0.1 * rng.standard_normal(subjects * windows)
    return y, units, 1 / (1 + np.exp(-score))


# --- permutation schemes -------------------------------------------------------------------


def test_subject_level_labels_are_permuted_across_clusters() -> None:
    y = np.repeat([0, 0, 1, 1, 0, 1], [3, 2, 4, 1, 2, 3])
    units = np.repeat(["a", "b", "c", "d", "e", "f"], [3, 2, 4, 1, 2, 3])
    assert permutation_scheme(y, units) == "across clusters"
    seen = set()
    for seed in range(50):
        out = permute_labels(y, units, np.random.default_rng(seed))
        for u in np.unique(units):
            assert len(set(out[units == u].tolist())) == 1  # a subject keeps one label
        # three subjects of each label, whatever their sizes
        assert sorted(out[np.unique(units, return_index=True)[1]].tolist()) == [0, 0, 0, 1, 1, 1]
        seen.add(tuple(out.tolist()))
    assert len(seen) > 5


def test_window_level_labels_are_shuffled_within_clusters() -> None:
    y = np.array([0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 1])
    units = np.array(["a", "a", "a", "b", "b", "b", "c", "c", "c", "d", "d"])
    assert permutation_scheme(y, units).startswith("within clusters")
    compositions = {tuple(sorted(y[units == u].tolist())) for u in "abc"}
    for seed in range(50):
        out = permute_labels(y, units, np.random.default_rng(seed))
        # a, b, c (size 3) may swap whole label sets; d (size 2) keeps its own
        assert {tuple(sorted(out[units == u].tolist())) for u in "abc"} == compositions
        assert sorted(out[units == "d"].tolist()) == [0, 1]


def test_without_units_single_samples_are_permuted() -> None:
    y = np.array([0, 1, 0, 1, 1])
    assert permutation_scheme(y, None) == "samples"
    assert permutation_scheme(y, np.array(list("abcde"))) == "samples"  # one sample per unit
    assert sorted(permute_labels(y, None, np.random.default_rng(0)).tolist()) == [0, 0, 1, 1, 1]


def test_sample_permutations_pass_a_subject_fingerprint_cluster_permutations_do_not() -> None:
    """A model that recognises subjects but knows nothing of the label: the sample-level
    null (fmbench <= 0.1) calls it a signal far too often; the cluster null holds its level."""
    rng = np.random.default_rng(2024)
    by_sample = by_subject = 0
    n = 200
    for seed in range(n):
        y, units, p1 = _fingerprint(rng)
        pred = _predictions(y, p1)
        clean = _auroc(pred)
        by_sample += signal_test(AUROC, pred, clean, 0.5, seed).passed
        by_subject += signal_test(
            AUROC, pred, clean, 0.5, seed, units=units, unit_name="subject_id"
        ).passed
    assert by_sample / n > 0.15
    assert by_subject / n <= 0.09


def test_too_few_clusters_say_so() -> None:
    y = np.repeat([0, 0, 1, 1], 5)
    units = np.repeat(["a", "b", "c", "d"], 5)
    p1 = np.repeat([0.2, 0.3, 0.7, 0.8], 5)  # perfect separation of 4 subjects
    pred = _predictions(y, p1)
    result = signal_test(AUROC, pred, 1.0, 0.5, 0, units=units, unit_name="subject_id")
    assert not result.passed
    assert "4 subject_ids allow only 6 distinct relabellings" in result.reason
    assert "more subject_ids are needed" in result.reason
    # by samples (the old null) the same 20 windows looked like overwhelming evidence
    assert signal_test(AUROC, pred, 1.0, 0.5, 0).passed


# --- the block: null with the p-value, never 0 ---------------------------------------------


def _block(model: Any, dataset: Dataset, probes: list[str], **kw: Any) -> dict[str, Any]:
    h = handle(model)
    plans = plan_probes(REGISTRY, [ProbeEntry(name=p) for p in probes], dataset.info)
    return evaluate_probes(
        REGISTRY, plans, dataset=dataset, predictions=clean_predictions(h, dataset),
        model=h, task="classification", primary_metric="AUROC", seed=3, batch_size=32, **kw,
    )  # fmt: skip


class WeakModel:
    """A real but weak signal: P(class 1) follows channel 0 only faintly."""

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        score = np.asarray(X, dtype=float)[:, 0].mean(axis=-1)
        p1 = 1.0 / (1.0 + np.exp(-0.3 * score))
        return np.column_stack([1 - p1, p1])


def _weak_dataset() -> Dataset:
    rng = np.random.default_rng(5)
    y = np.repeat([0, 1], 5)
    X = rng.standard_normal((10, 4, 16)).astype(np.float32)
    X[:, 0] += np.where(y == 1, 0.15, -0.15)[:, None].astype(np.float32)
    return Dataset(
        dataset_id="weak", X=X, y=y,
        info={"modality": "eeg", "task": "classification", "n_classes": 2},
    )  # fmt: skip


def test_not_enough_evidence_is_null_with_the_p_value_never_zero() -> None:
    block = _block(WeakModel(), _weak_dataset(), ["noise", "masking"])
    assert block["primary_metric"]["clean"] > block["primary_metric"]["chance"]
    gate = block["signal_test"]
    assert gate["passed"] is False
    assert gate["p_value"] >= SIGNAL_ALPHA
    assert gate["permuted"] == "samples" and gate["unit"] == "sample"
    assert block["robustness_score"] is None
    reason = block["robustness_score_reason"]
    assert f"p = {gate['p_value']:.3f}" in reason
    for probe in block["probes"].values():
        assert probe["performance"]["relative_rAUC"] is None
        assert probe["performance"]["values"]  # the curves are still reported


def test_the_engine_permutes_the_units_it_is_given() -> None:
    dataset = make_dataset(n=120)
    units = np.repeat([f"s{i:02d}" for i in range(24)], 5)  # 24 subjects of one label each
    block = _block(SignalModel(), dataset, ["noise"], units=units, unit_name="subject_id")
    assert block["signal_test"]["permuted"] == "across clusters"
    assert block["signal_test"]["unit"] == "subject_id"
    assert block["signal_test"]["n_units"] == 24
    assert block["signal_test"]["passed"] is True
    assert block["severity_axis"] == "rank"
    assert 0 < block["robustness_score"] <= 1


class BreaksOnZeros:
    """Uses the signal, and raises when a whole channel is zero (as after channel dropout)."""

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if np.any(np.all(X == 0, axis=-1)):
            raise ValueError("a channel is flat")
        return SignalModel().predict_proba(X)


def test_a_model_that_fails_under_a_probe_gets_no_summary_score() -> None:
    block = _block(BreaksOnZeros(), make_dataset(), ["noise", "dropout"])
    assert block["status"] == "Partial"
    assert block["failed_probes"] == ["dropout"]
    noise = block["probes"]["noise"]["performance"]["relative_rAUC"]
    assert noise is not None and noise > 0.9  # the old summary: the noise-only value
    assert block["robustness_score"] is None
    assert block["robustness_score_reason"].startswith("probe dropout failed")
    assert "noise, dropout" in block["robustness_score_reason"]


def test_a_clear_signal_passes() -> None:
    y = np.repeat([0, 1], 30)
    p1 = np.where(y == 1, 0.8, 0.2) + np.random.default_rng(0).normal(0, 0.05, 60)
    pred = _predictions(y, np.clip(p1, 0, 1))
    result = signal_test(AUROC, pred, _auroc(pred), 0.5, 1)
    assert result.passed and result.p_value == pytest.approx(1 / 200)
    assert result.to_dict()["n_permutations"] == 199


def test_a_suite_benchmark_permutes_its_declared_resampling_unit() -> None:
    from fmbench.plugin_system.specs import (
        BenchmarkSpec,
        BootstrapSpec,
        MetricsDeclaration,
        SplitSpec,
        SuiteEntry,
        SuiteSpec,
    )
    from fmbench.robustness.engine import run_declared_probes
    from fmbench.running.suite_run import BenchmarkOutcome, RunOptions

    dataset = make_dataset(n=120)
    # window-level labels inside 12 subjects: permuted within subjects
    dataset.metadata["subject_id"] = np.array([f"s{i % 12}" for i in range(120)])
    dataset.metadata["site"] = np.array([f"site{i % 3}" for i in range(120)])
    h = handle(SignalModel())

    def benchmark(name: str, **kw: Any) -> BenchmarkSpec:
        return BenchmarkSpec(
            name=name, summary=name, task="classification", dataset="x", protocol="zero_shot",
            metrics=MetricsDeclaration(primary="AUROC"), **kw,
        )  # fmt: skip

    grouped = benchmark("BM-G", split=SplitSpec(method="none", group_by="subject_id"))
    by_site = benchmark("BM-S", bootstrap=BootstrapSpec(unit="site"))
    plain = benchmark("BM-P")
    bms = (grouped, by_site, plain)
    suite = SuiteSpec(
        name="SUITE-X", summary="x", benchmarks=tuple(SuiteEntry(benchmark=b.name) for b in bms),
        probes=(ProbeEntry(name="noise", levels=(0.0, 0.5)),),
    )  # fmt: skip
    outcomes = [
        BenchmarkOutcome(
            benchmark=bm,
            record={"status": "Completed", "protocol": "zero_shot"},
            dataset=dataset,
            predictions=clean_predictions(h, dataset),
        )
        for bm in bms
    ]
    blocks = run_declared_probes(
        REGISTRY, suite, [(SuiteEntry(benchmark=b.name), b) for b in bms], h,
        RunOptions(progress=False), outcomes,
    )  # fmt: skip
    gates = {name: block["signal_test"] for name, block in blocks.items()}
    assert (gates["BM-G"]["unit"], gates["BM-G"]["n_units"]) == ("subject_id", 12)
    assert gates["BM-G"]["permuted"].startswith("within clusters")
    assert (gates["BM-S"]["unit"], gates["BM-S"]["n_units"]) == ("site", 3)
    assert (gates["BM-P"]["unit"], gates["BM-P"]["permuted"]) == ("sample", "samples")
