"""Compare two runs: per shared benchmark, the difference of the primary metric (B minus A)
with a paired bootstrap interval and a two-sided p-value.

Paired: both runs are scored on the *same* resamples (the same weights for the same
samples; subjects resampled as clusters when the predictions carry units), so what the two
runs share cancels out. Both runs must have scored the same samples with the same labels.

The p-value is the bootstrap's two-sided tail probability of a difference of the other sign,
``min(1, 2 * min(P(d* <= 0), P(d* >= 0)))`` with the usual +1 correction, so identical runs
give exactly 1 and the smallest possible value is ``2 / (n_resamples + 1)``.

Example:
    >>> p_value_two_sided(np.array([0.1, 0.2, 0.3, -0.1]))
    0.8
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from fmbench.errors import MetricUndefined, ResultsError
from fmbench.plugin_system.registry import Registry
from fmbench.plugin_system.specs import MetricSpec
from fmbench.results.eval_file import read_eval
from fmbench.results.predictions import PREDICTIONS_FILE, StoredPredictions, load_predictions
from fmbench.statistics.bootstrap import (
    DEFAULT_CONFIDENCE,
    DEFAULT_RESAMPLES,
    bootstrap_distribution,
    percentile_interval,
    rng_seed,
)

__all__ = ["compare_runs", "p_value_two_sided", "read_run"]


def p_value_two_sided(differences: np.ndarray) -> float:
    """Two-sided bootstrap p-value of "no difference" from resampled differences."""
    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    if len(d) == 0:
        return float("nan")
    low = (1 + np.sum(d <= 0)) / (len(d) + 1)
    high = (1 + np.sum(d >= 0)) / (len(d) + 1)
    return float(round(min(1.0, 2 * min(low, high)), 6))


def read_run(path: Path | str) -> tuple[dict[str, Any], dict[str, StoredPredictions], Path]:
    """A run folder (or its eval.yaml): the document and its checked predictions."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    eval_path = path / "eval.yaml" if path.is_dir() else path
    document = read_eval(eval_path)
    stored = load_predictions(folder / PREDICTIONS_FILE)
    for record in document.get("benchmarks", []):
        expected = record.get("predictions_sha256")
        found = stored.get(record.get("benchmark_id", ""))
        if expected and found is not None and found.sha256 != expected:
            raise ResultsError(
                f"{folder / PREDICTIONS_FILE}: the predictions of {record['benchmark_id']} do "
                f"not match eval.yaml (sha256 {found.sha256[:12]}… vs {expected[:12]}…); the "
                "file was changed or belongs to another run"
            )
    return document, stored, folder


def _same_samples(benchmark_id: str, a: StoredPredictions, b: StoredPredictions) -> None:
    pa, pb = a.predictions, b.predictions
    if pa.indices.shape != pb.indices.shape or not np.array_equal(pa.indices, pb.indices):
        raise ResultsError(
            f"benchmark {benchmark_id}: the runs scored different samples ({len(pa.indices)} "
            f"vs {len(pb.indices)} test samples, or other indices); compare runs made on the "
            "same dataset and split"
        )
    if not np.array_equal(pa.y_true, pb.y_true):
        changed = int(np.sum(np.asarray(pa.y_true) != np.asarray(pb.y_true)))
        raise ResultsError(
            f"benchmark {benchmark_id}: the runs have different labels for {changed} samples; "
            "compare runs made on the same dataset"
        )


def compare_runs(
    registry: Registry,
    run_a: Path | str,
    run_b: Path | str,
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int | None = None,
) -> dict[str, Any]:
    """Per shared benchmark: primary metric of A and B, B - A, paired interval, p-value."""
    doc_a, stored_a, folder_a = read_run(run_a)
    doc_b, stored_b, folder_b = read_run(run_b)
    records_a = {r["benchmark_id"]: r for r in doc_a.get("benchmarks", [])}
    records_b = {r["benchmark_id"]: r for r in doc_b.get("benchmarks", [])}
    shared = [b for b in records_a if b in records_b and b in stored_a and b in stored_b]
    if not shared:
        raise ResultsError(
            f"{folder_a} and {folder_b} share no completed benchmark with predictions "
            f"(A: {', '.join(sorted(records_a)) or 'none'}; "
            f"B: {', '.join(sorted(records_b)) or 'none'})"
        )
    if seed is None:
        seed = int(doc_a.get("run_metadata", {}).get("seed", 0))
    results: dict[str, Any] = {}
    for benchmark_id in shared:
        a, b = stored_a[benchmark_id], stored_b[benchmark_id]
        _same_samples(benchmark_id, a, b)
        name = records_a[benchmark_id]["primary_metric"]["name"]
        other = records_b[benchmark_id]["primary_metric"]["name"]
        if name != other:
            raise ResultsError(
                f"benchmark {benchmark_id}: the runs rank by different primary metrics "
                f"({name} vs {other})"
            )
        spec = registry.get(MetricSpec, name)
        units = (
            a.units
            if a.units is not None and b.units is not None and np.array_equal(a.units, b.units)
            else None
        )
        stream = rng_seed(seed, benchmark_id, "compare")
        dist_a, dist_b = (
            bootstrap_distribution(
                {name: spec}, side.predictions, seed=stream, n_resamples=n_resamples, units=units
            )[name]
            for side in (a, b)
        )
        from fmbench.evaluation.scoring import score_one

        entry: dict[str, Any] = {
            "metric": name,
            "direction": spec.direction,
            "unit": "sample" if units is None else "cluster",
            "n_units": len(np.unique(units)) if units is not None else len(a.predictions.y_true),
            "n_resamples": n_resamples,
            "confidence": confidence,
        }
        try:
            value_a, value_b = score_one(spec, a.predictions), score_one(spec, b.predictions)
        except MetricUndefined as exc:
            entry.update(a=None, b=None, difference=None, interval=None, p_value=None)
            entry["reason"] = str(exc)
            results[benchmark_id] = entry
            continue
        entry.update(a=value_a, b=value_b, difference=round(value_b - value_a, 6))
        if isinstance(dist_a, str) or isinstance(dist_b, str):
            entry.update(interval=None, p_value=None, n_used=0)
            entry["reason"] = dist_a if isinstance(dist_a, str) else str(dist_b)
        else:
            diffs = dist_b - dist_a
            finite = diffs[np.isfinite(diffs)]
            entry["n_used"] = len(finite)
            if len(finite) == 0:
                entry.update(interval=None, p_value=None)
                entry["reason"] = f"{name} is undefined in every resample"
            else:
                entry["interval"] = list(percentile_interval(finite, confidence))
                entry["p_value"] = p_value_two_sided(finite)
        results[benchmark_id] = entry
    return {
        "run_a": {"path": str(folder_a), "eval_id": doc_a.get("eval_id"),
                  "model": doc_a.get("model_ids", {}).get("candidate")},
        "run_b": {"path": str(folder_b), "eval_id": doc_b.get("eval_id"),
                  "model": doc_b.get("model_ids", {}).get("candidate")},
        "difference": "B - A",
        "benchmarks": results,
        "only_in_a": sorted(set(records_a) - set(shared)),
        "only_in_b": sorted(set(records_b) - set(shared)),
    }  # fmt: skip
