"""Synthetic, correctly signed eval documents for tests and the leaderboard benchmark.

They have the layout ``fmbench run`` writes (see :func:`fmbench.running.suite_run.build_document`) but
made-up numbers; they are never committed as results.

Example:
    >>> from fmbench.results.eval_file import verify_digest
    >>> doc = synthetic_eval("model-a", 0.8, interval=(0.75, 0.85))
    >>> verify_digest(doc), doc["benchmarks"][0]["primary_metric"]["value"]
    (True, 0.8)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fmbench.results.eval_file import SCHEMA_VERSION, dump_yaml, with_digest

__all__ = ["synthetic_eval", "write_synthetic"]


def synthetic_eval(
    model_id: str,
    value: float,
    *,
    benchmark_id: str = "BM-TOY-CLASS",
    benchmark_version: str = "1.0.0",
    primary: str = "AUROC",
    direction: str = "higher",
    interval: tuple[float, float] | None = None,
    date: str = "2025-01-01",
    started_at: str | None = None,
    run: int = 0,
    baseline: bool = False,
    extra_metrics: Mapping[str, float | None] | None = None,
    stratified: Mapping[str, Any] | None = None,
    robustness: Mapping[str, Any] | None = None,
    dataset_id: str = "DS-TOY-FMRI-CLASS",
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A signed eval document with one completed benchmark record."""
    metrics: dict[str, Any] = {primary: value, **(extra_metrics or {})}
    record: dict[str, Any] = {
        "benchmark_id": benchmark_id,
        "benchmark_version": benchmark_version,
        "dataset_id": dataset_id,
        "task": "classification" if direction == "higher" else "regression",
        "protocol": "zero_shot",
        "status": "Completed",
        "primary_metric": {"name": primary, "direction": direction, "value": value},
        "metrics": metrics,
        "chance": {primary: 0.5} if primary == "AUROC" else {},
        "resources": {"wall_time_s": 1.0, "samples_per_s": 2000.0, "peak_rss_mb": 150.0},
    }
    if interval is not None:
        record["intervals"] = {primary: [interval[0], interval[1]]}
        record["interval_method"] = "bootstrap percentile, 1000 resamples"
    if stratified is not None:
        record["stratified"] = dict(stratified)
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "eval_id": f"SUITE-TOY-CLASS-{model_id}-{date.replace('-', '')}-{run:06d}",
        "benchmark_id": benchmark_id,
        "model_ids": {"candidate": model_id},
        "dataset_id": dataset_id,
        "run_metadata": {
            "date": date,
            "runner": "fmbench",
            "fmbench_version": "0.1.0",
            "suite_id": "SUITE-TOY-CLASS",
            "suite_version": "1.0.0",
            "seed": 42,
        },
        "metrics": dict(metrics.items()),
        "status": "Completed",
        "model": {
            "model_id": model_id,
            "type": "python_class",
            "class": "example.Model",
            "baseline": baseline,
        },
        "benchmarks": [record],
        "provenance": {"fmbench_version": "0.1.0", "seed": 42},
        "resources": {"wall_time_s": 1.0, "peak_rss_mb": 150.0},
    }
    if started_at is not None:
        doc["run_metadata"]["started_at"] = started_at
    if robustness is not None:
        doc["robustness"] = dict(robustness)
    for key, value_ in (overrides or {}).items():
        doc[key] = value_
    return with_digest(doc)


def write_synthetic(path: Path, doc: Mapping[str, Any]) -> Path:
    """Write a document as YAML (as ``fmbench run`` would)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_yaml(dict(doc)), encoding="utf-8")
    return path
