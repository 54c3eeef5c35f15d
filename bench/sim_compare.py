"""How often does `fmbench compare` call two equally good models different?

Each repeat draws a data set (binary labels, a 4-dimensional class signal), trains a linear
probe (Fisher's discriminant, closed form) per fold of fmbench's own split (5 stratified
folds) and compares the predictions with fmbench's own paired bootstrap (AUROC, the check of
samples and folds, the p-value):

* **equal models, shared folds** (the null the test is for): two models that see the signal
  through independent noise of the same size, trained and tested on the same folds. The
  rate of p < 0.05 should stay near 0.05 (at most 0.06).
* **one model, two seeds** (the audit's case): the same probe on the same embeddings, run with
  two seeds, so the folds differ. `compare` now refuses the pair (the refusal rate must be 1);
  with `--allow-different-splits` the rate of p < 0.05 is what that flag gives.
* **one model, two seeds, shared folds**: the probe is deterministic, so the predictions are
  identical and p = 1 every time (the rate is 0).

Run: ``python bench/sim_compare.py [--repeats 1000] [--resamples 1000]`` (the numbers are in
docs/statistics.md). ``simulate`` is also run, smaller, by tests/test_compare_splits.py.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from typing import Any

import attrs
import numpy as np

from fmbench.data.dataset import Dataset
from fmbench.errors import ResultsError
from fmbench.evaluation.protocols import Predictions
from fmbench.evaluation.splits import make_folds
from fmbench.plugin_system.registry import build_registry
from fmbench.plugin_system.specs import MetricSpec, SplitSpec
from fmbench.results.predictions import StoredPredictions
from fmbench.statistics.bootstrap import rng_seed
from fmbench.statistics.compare import check_same_samples, paired_difference

ALPHA = 0.05


@attrs.frozen(kw_only=True)
class Rates:
    """What the simulation counted, as fractions of the repeats."""

    repeats: int
    n_samples: int
    n_resamples: int
    null_shared_folds: float  # p < alpha, equal models on the same folds
    # None when only the null was run:
    refused_different_folds: float | None  # compare refused one model's two seeds
    allowed_different_folds: float | None  # p < alpha, that pair with --allow-different-splits
    same_model_shared_folds: float | None  # p < alpha, one model, two seeds, the same folds


def _fit_lda(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """A linear probe in closed form (Fisher's discriminant): weights and offset."""
    mean_0, mean_1 = X[y == 0].mean(axis=0), X[y == 1].mean(axis=0)
    centred = np.concatenate([X[y == 0] - mean_0, X[y == 1] - mean_1])
    weights = np.linalg.solve(np.cov(centred, rowvar=False), mean_1 - mean_0)
    return weights, float(-weights @ (mean_0 + mean_1) / 2)


def _probe_predictions(X: np.ndarray, y: np.ndarray, fold_seed: int) -> Predictions:
    dataset = Dataset(dataset_id="sim", X=X, y=y, metadata={})
    folds = make_folds(dataset, SplitSpec(method="kfold", folds=5), seed=fold_seed)
    proba = np.zeros((len(y), 2))
    fold_of = np.zeros(len(y), dtype=int)
    for number, fold in enumerate(folds):
        weights, offset = _fit_lda(X[fold.train], y[fold.train])
        positive = 1 / (1 + np.exp(-(X[fold.test] @ weights + offset)))
        proba[fold.test] = np.column_stack([1 - positive, positive])
        fold_of[fold.test] = number
    return Predictions(indices=np.arange(len(y)), y_true=y, fold=fold_of, proba=proba,
                       labels=proba.argmax(axis=1))  # fmt: skip


def _stored(predictions: Predictions) -> StoredPredictions:
    return StoredPredictions(predictions=predictions, units=None, sha256="")


def simulate(
    repeats: int = 1000,
    n_samples: int = 200,
    n_resamples: int = 1000,
    seed: int = 2024,
    *,
    seeds_scenarios: bool = True,
) -> Rates:
    """Run the scenarios ``repeats`` times; deterministic for a seed. Without
    ``seeds_scenarios`` only the null (equal models, shared folds) is run: the data drawn, and
    so its rate, are the same either way."""
    spec = build_registry(external=False).get(MetricSpec, "AUROC")
    rng = np.random.default_rng(seed)
    null_hits = refused = allowed_hits = same_hits = 0
    for repeat in range(repeats):
        y = rng.integers(0, 2, n_samples)
        signal = 0.35 * (2 * y - 1)[:, None] + rng.normal(size=(n_samples, 4))
        view_a = signal + rng.normal(scale=1.0, size=signal.shape)
        view_b = signal + rng.normal(scale=1.0, size=signal.shape)
        seed_1, seed_2 = 2 * repeat + 1, 2 * repeat + 2
        stream = rng_seed(seed_1, "BM-SIM", "compare")
        cache: dict[Any, Any] = {}  # model A's resampled values, reused within a repeat

        def p_value(
            first: StoredPredictions,
            second: StoredPredictions,
            stream: np.random.SeedSequence = stream,
            cache: dict[Any, Any] = cache,
        ) -> float:
            entry = paired_difference(
                spec, first, second, seed=stream, n_resamples=n_resamples, cache=cache
            )
            return float(entry["p_value"])

        a = _stored(_probe_predictions(view_a, y, seed_1))
        b = _stored(_probe_predictions(view_b, y, seed_1))
        check_same_samples("BM-SIM", a, b)
        null_hits += p_value(a, b) < ALPHA
        if not seeds_scenarios:
            continue
        same_hits += p_value(a, _stored(_probe_predictions(view_a, y, seed_1))) < ALPHA
        other_seed = _stored(_probe_predictions(view_a, y, seed_2))
        try:
            check_same_samples("BM-SIM", a, other_seed)
        except ResultsError:
            refused += 1
        check_same_samples("BM-SIM", a, other_seed, allow_different_splits=True)
        allowed_hits += p_value(a, other_seed) < ALPHA
    return Rates(
        repeats=repeats, n_samples=n_samples, n_resamples=n_resamples,
        null_shared_folds=null_hits / repeats,
        refused_different_folds=refused / repeats if seeds_scenarios else None,
        allowed_different_folds=allowed_hits / repeats if seeds_scenarios else None,
        same_model_shared_folds=same_hits / repeats if seeds_scenarios else None,
    )  # fmt: skip


def _interval(rate: float, n: int) -> str:
    """A 95 % Wilson interval for a proportion (the simulation's own uncertainty)."""
    z = 1.959964
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return f"[{max(0.0, centre - half):.3f}, {min(1.0, centre + half):.3f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    print(f"{platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}")
    start = time.perf_counter()
    rates = simulate(args.repeats, args.samples, args.resamples, args.seed)
    n = rates.repeats
    print(f"{n} repeats, {rates.n_samples} samples, 5 folds, AUROC, {rates.n_resamples} "
          f"paired resamples, alpha {ALPHA} ({time.perf_counter() - start:.0f} s)")  # fmt: skip
    print("| scenario | rate | 95% interval of the rate |")
    print("|---|---:|---|")
    rows = (
        ("equal models, shared folds: p < 0.05", rates.null_shared_folds),
        ("one model, two seeds (different folds): refused", rates.refused_different_folds),
        ("the same, --allow-different-splits: p < 0.05", rates.allowed_different_folds),
        ("one model, two seeds, shared folds: p < 0.05", rates.same_model_shared_folds),
    )
    for name, rate in rows:
        if rate is not None:
            print(f"| {name} | {rate:.3f} | {_interval(rate, n)} |")


if __name__ == "__main__":
    main()
