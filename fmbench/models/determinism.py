"""``run --check-determinism``: give the model the same sample twice and measure the difference.

For each completed benchmark, a seeded sample of its test samples (64 by default) goes
through the model twice, by the method its protocol uses (``predict_proba`` / ``predict`` for
``zero_shot``, the embedding method otherwise). The report gives the largest absolute
difference between the two outputs and, where the outputs are predictions, between the
metrics computed from them. Zero means the model is deterministic on that sample.

Example:
    >>> import numpy as np
    >>> max_abs_diff(np.array([1.0, 2.0]), np.array([1.0, 2.5]))
    0.5
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fmbench.capabilities import PredictsProba
from fmbench.errors import MetricUndefined
from fmbench.evaluation.protocols import Predictions
from fmbench.models.handle import ModelHandle
from fmbench.plugin_system.registry import Registry
from fmbench.plugin_system.specs import MetricSpec
from fmbench.statistics.bootstrap import rng_seed

__all__ = ["DEFAULT_DETERMINISM_SAMPLES", "check_determinism", "max_abs_diff"]

DEFAULT_DETERMINISM_SAMPLES = 64


def max_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Largest absolute difference (inf when the shapes differ)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)))


def _outputs(
    model: ModelHandle, dataset: Any, indices: np.ndarray, how: str, n_classes: int, batch: int
) -> np.ndarray:
    parts = []
    for _, X in dataset.batches(indices, batch):
        if how == "predict_proba":
            parts.append(model.predict_proba(X, n_classes))
        elif how == "predict":
            parts.append(model.predict(X))
        else:
            parts.append(model.embed(X))
    return np.concatenate(parts)


def _metric_diff(
    registry: Registry, names: Sequence[str], y: np.ndarray, task: str, how: str,
    first: np.ndarray, second: np.ndarray,
) -> float | None:  # fmt: skip
    from fmbench.evaluation.scoring import score_one

    if how == "embed":
        return None
    largest: float | None = None
    runs = []
    for out in (first, second):
        p = Predictions(indices=np.arange(len(y)), y_true=y, fold=np.zeros(len(y), int))
        if how == "predict_proba":
            p.proba, p.labels = out, out.argmax(axis=1)
        elif task == "classification":
            p.labels = out.reshape(len(y), -1)[:, 0].round().astype(int)
        else:
            p.values = out.reshape(y.shape) if out.size == y.size else out
        runs.append(p)
    for name in names:
        spec = registry.get(MetricSpec, name)
        try:
            a, b = score_one(spec, runs[0]), score_one(spec, runs[1])
        except MetricUndefined:
            continue
        diff = abs(a - b)
        largest = diff if largest is None else max(largest, diff)
    return largest


def check_determinism(
    registry: Registry,
    outcomes: Sequence[Any],
    model: ModelHandle,
    *,
    seed: int,
    n_samples: int = DEFAULT_DETERMINISM_SAMPLES,
    batch_size: int = 256,
) -> dict[str, Any]:
    """Evaluate a sample of each completed benchmark twice; the largest differences."""
    per_benchmark: dict[str, Any] = {}
    for outcome in outcomes:
        if not outcome.ok or outcome.dataset is None or outcome.predictions is None:
            continue
        record, dataset = outcome.record, outcome.dataset
        pool = np.asarray(outcome.predictions.indices)
        rng = np.random.default_rng(rng_seed(seed, outcome.benchmark.name, "determinism"))
        chosen = np.sort(rng.choice(pool, size=min(n_samples, len(pool)), replace=False))
        if record.get("protocol") == "zero_shot":
            how = (
                "predict_proba"
                if record["task"] == "classification" and model.has(PredictsProba)
                else "predict"
            )
        else:
            how = "embed"
        n_classes = int(dataset.info.get("n_classes", 0))
        first = _outputs(model, dataset, chosen, how, n_classes, batch_size)
        second = _outputs(model, dataset, chosen, how, n_classes, batch_size)
        y = np.asarray(dataset.y)[chosen]
        names = list(record.get("metrics", {}))
        per_benchmark[outcome.benchmark.name] = {
            "method": how,
            "n_samples": len(chosen),
            "max_abs_diff": max_abs_diff(first, second),
            "max_metric_diff": _metric_diff(registry, names, y, record["task"], how, first, second),
        }
    diffs = [v["max_abs_diff"] for v in per_benchmark.values()]
    metric_diffs = [
        v["max_metric_diff"] for v in per_benchmark.values() if v["max_metric_diff"] is not None
    ]
    return {
        "max_abs_diff": max(diffs) if diffs else None,
        "max_metric_diff": max(metric_diffs) if metric_diffs else None,
        "n_samples": n_samples,
        "deterministic": bool(diffs) and max(diffs) == 0.0,
        "benchmarks": per_benchmark,
    }
