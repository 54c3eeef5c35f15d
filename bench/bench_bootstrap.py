"""Time 1000 bootstrap resamples of AUROC (and the other metrics) on 100,000 samples, and the
intervals a run computes (``metric_intervals``: closed forms where they exist, the bootstrap
for the rest).

Run: ``python bench/bench_bootstrap.py`` (numbers go to docs/performance.md).
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np

from fmbench.evaluation.protocols import Predictions
from fmbench.plugin_system.registry import build_registry
from fmbench.plugin_system.specs import MetricSpec
from fmbench.statistics.bootstrap import bootstrap_intervals, rng_seed
from fmbench.statistics.metric_intervals import metric_intervals


def main(n: int = 100_000, n_resamples: int = 1000) -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    p1 = np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1)
    proba = np.column_stack([1 - p1, p1])
    pred = Predictions(
        indices=np.arange(n), y_true=y, fold=np.zeros(n, int), proba=proba,
        labels=proba.argmax(axis=1),
    )  # fmt: skip
    registry = build_registry(external=False)
    print(f"{platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}")
    for names in (["AUROC"], ["AUROC", "Accuracy", "BalancedAccuracy", "F1-Score", "ECE", "Brier"]):
        specs = {name: registry.get(MetricSpec, name) for name in names}
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            res = bootstrap_intervals(
                specs, pred, seed=rng_seed(42, "BENCH"), n_resamples=n_resamples
            )
            best = min(best, time.perf_counter() - t0)
        print(
            f"{n_resamples} resamples x {n} samples, {', '.join(names)}: {best:.2f} s "
            f"(best of 3); AUROC interval {res['AUROC'].interval}"
        )
    six = ["AUROC", "Accuracy", "BalancedAccuracy", "F1-Score", "ECE", "Brier"]
    six_specs = {name: registry.get(MetricSpec, name) for name in six}
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        res = metric_intervals(six_specs, pred, seed=rng_seed(42, "BENCH"), n_resamples=n_resamples)
        best = min(best, time.perf_counter() - t0)
    methods = ", ".join(f"{k} {v.method}" for k, v in res.items())
    print(
        f"metric_intervals (what a run computes), six metrics: {best:.2f} s (best of 3); {methods}"
    )
    units = rng.integers(0, n // 20, n)
    specs = {"AUROC": registry.get(MetricSpec, "AUROC")}
    t0 = time.perf_counter()
    bootstrap_intervals(specs, pred, seed=1, n_resamples=n_resamples, units=units)
    print(f"cluster bootstrap ({n // 20} subjects), AUROC: {time.perf_counter() - t0:.2f} s")
    t0 = time.perf_counter()
    metric_intervals(six_specs, pred, seed=1, n_resamples=n_resamples, units=units)
    print(
        f"metric_intervals over {n // 20} subjects, six metrics: {time.perf_counter() - t0:.2f} s"
    )


if __name__ == "__main__":
    main()
