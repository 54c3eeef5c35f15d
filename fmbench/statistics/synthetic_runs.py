"""Run folders (eval.yaml + predictions.npz) made from chosen predictions: for tests and
benchmarks of ``compare`` and the leaderboard that need many models on many data sets
without running them all. Only the fields those read are written.

Example:
    >>> import tempfile
    >>> from fmbench.plugin_system.registry import build_registry
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 40)
    >>> run = write_run(Path(tempfile.mkdtemp()) / "m", build_registry(external=False), "m",
    ...                 [Scored(benchmark_id="BM-A", dataset_id="DS-A",
    ...                         predictions=binary_predictions(y, 1.0, rng))])
    >>> sorted(p.name for p in run.iterdir())
    ['eval.yaml', 'predictions.npz']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import numpy as np
import yaml

from fmbench.evaluation.protocols import Predictions
from fmbench.evaluation.scoring import score_one
from fmbench.plugin_system.registry import Registry
from fmbench.plugin_system.specs import MetricSpec
from fmbench.results.predictions import save_predictions

__all__ = ["Scored", "binary_predictions", "write_run"]


@attrs.frozen(kw_only=True)
class Scored:
    """One benchmark's predictions in a made-up run."""

    benchmark_id: str
    dataset_id: str
    predictions: Predictions
    metric: str = "AUROC"
    units: np.ndarray | None = None


def binary_predictions(
    y: np.ndarray, signal: float, rng: np.random.Generator, folds: np.ndarray | None = None
) -> Predictions:
    """Probabilities that separate the classes by ``signal`` (0: chance) plus noise."""
    score = 1 / (1 + np.exp(-(signal * (2 * y - 1) + rng.normal(size=len(y)))))
    return Predictions(
        indices=np.arange(len(y)), y_true=y,
        fold=np.arange(len(y)) % 5 if folds is None else folds,
        proba=np.column_stack([1 - score, score]), labels=(score > 0.5).astype(int),
    )  # fmt: skip


def write_run(
    folder: Path, registry: Registry, model: str, scored: list[Scored], *, seed: int = 42,
    started_at: str = "2026-01-01T00:00:00+00:00",
) -> Path:  # fmt: skip
    """A run folder as `fmbench run` leaves it, for the parts `compare` reads."""
    folder.mkdir(parents=True, exist_ok=True)
    hashes = save_predictions(
        folder / "predictions.npz", {s.benchmark_id: (s.predictions, s.units) for s in scored}
    )
    records: list[dict[str, Any]] = []
    for s in scored:
        spec = registry.get(MetricSpec, s.metric)
        records.append({
            "benchmark_id": s.benchmark_id, "benchmark_version": "1.0.0",
            "dataset_id": s.dataset_id, "status": "Completed",
            "primary_metric": {"name": s.metric, "direction": spec.direction},
            "metrics": {s.metric: score_one(spec, s.predictions)},
            "predictions_sha256": hashes[s.benchmark_id],
        })  # fmt: skip
    document = {
        "schema_version": "1.0", "eval_id": f"SUITE-X-{model}", "model_ids": {"candidate": model},
        "run_metadata": {"seed": seed, "started_at": started_at}, "benchmarks": records,
    }  # fmt: skip
    (folder / "eval.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return folder
