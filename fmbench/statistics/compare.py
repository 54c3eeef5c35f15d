"""Compare two runs: per shared benchmark, the difference of the primary metric (B minus A)
with a paired bootstrap interval and a two-sided p-value.

Paired: both runs are scored on the *same* resamples (the same weights for the same
samples; subjects resampled as clusters when the predictions carry units), so what the two
runs share cancels out. Both runs must have scored the same samples with the same labels,
and put them in the same folds (the same split): otherwise each sample's two predictions
come from models trained on different data, and the difference mixes the models with the
split (two seeds of one model then differ at p < 0.05 in 16.5 % of repeats instead of
5 %: ``bench/sim_compare.py``). ``allow_different_splits=True`` compares anyway and says so.

The test is **conditional on the fitted models**: it asks whether these two sets of
predictions differ on the population the test samples come from; the variation from
training again (another seed, split or training set) is not in it (:data:`CONDITIONAL_ON`).

The p-value is the bootstrap's two-sided tail probability of a difference of the other sign,
``min(1, 2 * min(P(d* <= 0), P(d* >= 0)))`` with the usual +1 correction, so identical runs
give exactly 1 and the smallest possible value is ``2 / (n_resamples + 1)``.

Example:
    >>> p_value_two_sided(np.array([0.1, 0.2, 0.3, -0.1]))
    0.8
    >>> same_partition(np.array([0, 0, 1, 2]), np.array([2, 2, 0, 1]))
    True
"""

from __future__ import annotations

from collections.abc import MutableMapping
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

__all__ = [
    "CONDITIONAL_ON",
    "DIFFERENT_SPLITS_MEANING",
    "check_same_samples",
    "compare_runs",
    "fold_differences",
    "p_value_two_sided",
    "paired_difference",
    "read_run",
    "same_partition",
]

#: What every paired comparison is conditional on (in the CLI output and the JSON).
CONDITIONAL_ON = (
    "the fitted models: the test compares the predictions these runs made on these test "
    "samples; the variation from training again (another seed, split or training set) is "
    "not in it, so p < 0.05 says these fitted models differ, not that the model types would "
    "on a retraining"
)

#: What a comparison on different splits means (printed when it was allowed).
DIFFERENT_SPLITS_MEANING = (
    "the runs put the test samples in different folds, so each sample's two predictions "
    "come from models trained on different data: the difference and its p-value mix the "
    "models with the split (two seeds of one model reach p < 0.05 in 16.5 % of repeats "
    "instead of 5 %, bench/sim_compare.py); read the p-value as a description of these two "
    "sets of fitted models, not as a test of the models"
)


def p_value_two_sided(differences: np.ndarray) -> float:
    """Two-sided bootstrap p-value of "no difference" from resampled differences."""
    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    if len(d) == 0:
        return float("nan")
    low = (1 + np.sum(d <= 0)) / (len(d) + 1)
    high = (1 + np.sum(d >= 0)) / (len(d) + 1)
    return float(round(min(1.0, 2 * min(low, high)), 6))


def same_partition(fold_a: np.ndarray, fold_b: np.ndarray) -> bool:
    """True when two fold assignments group the samples identically (fold numbers may differ).

    Example:
        >>> same_partition(np.array([0, 1, 1]), np.array([0, 0, 1]))
        False
    """
    return fold_differences(fold_a, fold_b) == 0


def fold_differences(fold_a: np.ndarray, fold_b: np.ndarray) -> int:
    """How many samples sit in another fold: folds of ``a`` and ``b`` are paired greedily by
    the samples they share (largest first, each fold used once); the rest are counted.

    Example:
        >>> fold_differences(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]))
        2
    """
    a, b = np.asarray(fold_a), np.asarray(fold_b)
    if a.shape != b.shape:
        return max(len(a), len(b))
    if len(a) == 0:
        return 0
    _, codes_a = np.unique(a, return_inverse=True)
    _, codes_b = np.unique(b, return_inverse=True)
    table = np.zeros((codes_a.max() + 1, codes_b.max() + 1), dtype=np.int64)
    np.add.at(table, (codes_a.ravel(), codes_b.ravel()), 1)
    used_a: set[int] = set()
    used_b: set[int] = set()
    kept = 0
    for cell in np.argsort(-table, axis=None, kind="stable"):
        row, column = divmod(int(cell), table.shape[1])
        if table[row, column] == 0:
            break
        if row not in used_a and column not in used_b:
            used_a.add(row)
            used_b.add(column)
            kept += int(table[row, column])
    return int(len(a) - kept)


def read_run(
    path: Path | str, *, require_predictions: bool = True
) -> tuple[dict[str, Any], dict[str, StoredPredictions], Path]:
    """A run folder (or its eval.yaml): the document and its checked predictions (none, if
    the folder has no predictions file and ``require_predictions`` is false)."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    eval_path = path / "eval.yaml" if path.is_dir() else path
    document = read_eval(eval_path)
    if not require_predictions and not (folder / PREDICTIONS_FILE).exists():
        return document, {}, folder
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


def check_same_samples(
    benchmark_id: str,
    a: StoredPredictions,
    b: StoredPredictions,
    *,
    allow_different_splits: bool = False,
) -> bool:
    """Raise unless both runs scored the same samples with the same labels; return whether
    they used the same split (folds). Different folds raise too, unless allowed."""
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
    moved = fold_differences(pa.fold, pb.fold)
    if moved and not allow_different_splits:
        raise ResultsError(
            f"benchmark {benchmark_id}: the runs used different splits ({moved} of "
            f"{len(pa.fold)} test samples are in another fold, e.g. runs with different "
            "--seed), so each sample's two predictions come from models trained on different "
            "data; rerun one with the other's --seed, or pass --allow-different-splits to "
            "compare anyway (the test then mixes the models with the split)"
        )
    return moved == 0


def _distribution(
    spec: MetricSpec,
    side: StoredPredictions,
    units: np.ndarray | None,
    stream: np.random.SeedSequence,
    n_resamples: int,
    cache: MutableMapping[Any, Any] | None,
) -> np.ndarray | str:
    key = (id(side), spec.name, units is None, n_resamples, stream.entropy, stream.spawn_key)
    if cache is not None and key in cache and cache[key][0] is side:
        return cache[key][1]
    found = bootstrap_distribution(
        {spec.name: spec}, side.predictions, seed=stream, n_resamples=n_resamples, units=units
    )[spec.name]
    if cache is not None:  # the side is kept with its values, so its id is not reused
        cache[key] = (side, found)
    return found


def paired_difference(
    spec: MetricSpec,
    a: StoredPredictions,
    b: StoredPredictions,
    *,
    seed: np.random.SeedSequence,
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    cache: MutableMapping[Any, Any] | None = None,
) -> dict[str, Any]:
    """One metric of two runs' predictions of the same samples: A, B, B - A, the paired
    bootstrap interval of B - A and its two-sided p-value (None with a reason when undefined).

    Both sides are resampled with the same weights (``seed``); subjects are resampled as
    clusters when both carry the same units. ``cache`` (any dict) keeps each side's
    resampled values for reuse when one run is compared with several others.
    """
    from fmbench.evaluation.scoring import score_one

    units = (
        a.units
        if a.units is not None and b.units is not None and np.array_equal(a.units, b.units)
        else None
    )
    dist_a, dist_b = (_distribution(spec, side, units, seed, n_resamples, cache) for side in (a, b))
    entry: dict[str, Any] = {
        "metric": spec.name,
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
        return entry
    entry.update(a=value_a, b=value_b, difference=round(value_b - value_a, 6))
    if isinstance(dist_a, str) or isinstance(dist_b, str):
        entry.update(interval=None, p_value=None, n_used=0)
        entry["reason"] = dist_a if isinstance(dist_a, str) else str(dist_b)
        return entry
    diffs = dist_b - dist_a
    finite = diffs[np.isfinite(diffs)]
    entry["n_used"] = len(finite)
    if len(finite) == 0:
        entry.update(interval=None, p_value=None)
        entry["reason"] = f"{spec.name} is undefined in every resample"
    else:
        entry["interval"] = list(percentile_interval(finite, confidence))
        entry["p_value"] = p_value_two_sided(finite)
    return entry


def compare_runs(
    registry: Registry,
    run_a: Path | str,
    run_b: Path | str,
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int | None = None,
    allow_different_splits: bool = False,
) -> dict[str, Any]:
    """Per shared benchmark: primary metric of A and B, B - A, paired interval, p-value.

    Runs whose folds differ are refused unless ``allow_different_splits``; each benchmark's
    ``split`` then says ``same`` or ``different``, and the result carries
    ``conditional_on`` (and ``different_splits`` when any differ) in words.
    """
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
    any_different = False
    for benchmark_id in shared:
        a, b = stored_a[benchmark_id], stored_b[benchmark_id]
        same_split = check_same_samples(
            benchmark_id, a, b, allow_different_splits=allow_different_splits
        )
        any_different |= not same_split
        name = records_a[benchmark_id]["primary_metric"]["name"]
        other = records_b[benchmark_id]["primary_metric"]["name"]
        if name != other:
            raise ResultsError(
                f"benchmark {benchmark_id}: the runs rank by different primary metrics "
                f"({name} vs {other})"
            )
        spec = registry.get(MetricSpec, name)
        entry = paired_difference(
            spec, a, b, seed=rng_seed(seed, benchmark_id, "compare"),
            n_resamples=n_resamples, confidence=confidence,
        )  # fmt: skip
        entry["split"] = "same" if same_split else "different"
        results[benchmark_id] = entry
    out = {
        "run_a": {"path": str(folder_a), "eval_id": doc_a.get("eval_id"),
                  "model": doc_a.get("model_ids", {}).get("candidate")},
        "run_b": {"path": str(folder_b), "eval_id": doc_b.get("eval_id"),
                  "model": doc_b.get("model_ids", {}).get("candidate")},
        "difference": "B - A",
        "conditional_on": CONDITIONAL_ON,
        "benchmarks": results,
        "only_in_a": sorted(set(records_a) - set(shared)),
        "only_in_b": sorted(set(records_b) - set(shared)),
    }  # fmt: skip
    if any_different:
        out["different_splits"] = DIFFERENT_SPLITS_MEANING
    return out
