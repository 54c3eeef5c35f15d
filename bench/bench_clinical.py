"""Time the clinical block and the registered operating-point metrics' bootstrap.

Run: ``.venv/bin/python bench/bench_clinical.py``. Prints seconds per call.
"""

from __future__ import annotations

import time

import attrs
import numpy as np

from fmbench.evaluation.protocols import Predictions, TrainingPredictions
from fmbench.plugin_system.registry import build_registry
from fmbench.plugin_system.specs import ClinicalSpec, MetricSpec
from fmbench.statistics.bootstrap import bootstrap_intervals
from fmbench.statistics.clinical_block import clinical_block


def main() -> None:
    rng = np.random.default_rng(0)
    n = 5000
    y = rng.integers(0, 2, n)
    p1 = np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1)
    fold = rng.integers(0, 5, n)
    pred = Predictions(
        indices=np.arange(n), y_true=y, fold=fold, proba=np.c_[1 - p1, p1],
        training=TrainingPredictions(fold=fold, y_true=y, proba=np.c_[1 - p1, p1], method="b"),
    )  # fmt: skip
    groups = {"site": (np.array(["A", "B", "C"], dtype=object)[rng.integers(0, 3, n)],
                       ["A", "B", "C"])}  # fmt: skip
    spec = ClinicalSpec(
        fixed_specificity=[0.9, 0.95], fixed_sensitivity=[0.9],
        prevalences={"screening": 0.01, "specialist": 0.3},
        decision_curve=[round(0.01 * i, 2) for i in range(1, 100)], youden=True,
    )  # fmt: skip
    t0 = time.perf_counter()
    clinical_block(spec, pred, seed=0, n_resamples=1000, groups=groups)
    first = time.perf_counter() - t0  # includes importing scipy.stats (a run has it already)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        clinical_block(spec, pred, seed=0, n_resamples=1000, groups=groups)
        best = min(best, time.perf_counter() - t0)
    print(
        f"clinical block, n={n}, 1000 resamples: {best:.2f} s (best of 3; first call {first:.2f} s)"
    )
    registry = build_registry(external=False)
    for name in ("Sensitivity", "SensitivityAtSpecificity90"):
        metric = registry.get(MetricSpec, name)
        for label, m in (("weighted", metric), ("loop", attrs.evolve(metric, weighted=None))):
            t0 = time.perf_counter()
            bootstrap_intervals({name: m}, pred, seed=0, n_resamples=1000)
            print(f"{name} ({label}), n={n}, 1000 resamples: {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
