"""A benchmark record's statistics: an interval for every metric (overall and per stratum;
each metric's method from :mod:`fmbench.statistics.metric_intervals`), the worst group and its
gap to the best (descriptive: no test), and calibration curves.

The resampling unit is the benchmark's ``bootstrap.unit`` when it names one (``"sample"``
forces single samples), else the split's ``group_by`` column (subjects resampled as clusters),
else the subject column of a within-/cross-session split (``subject_by``), else the sample.
The resamples come from their own random stream, derived from the run seed and the
benchmark id (and the stratum), so adding a benchmark changes no other interval.

Example:
    >>> from fmbench.plugin_system.specs import BenchmarkSpec, MetricsDeclaration, SplitSpec
    >>> bm = BenchmarkSpec(name="BM-X", summary="x", task="classification", dataset="D",
    ...                    metrics=MetricsDeclaration(primary="AUROC"),
    ...                    split=SplitSpec(method="kfold", group_by="subject_id"))
    >>> bootstrap_unit(bm)
    'subject_id'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fmbench.data.dataset import Dataset
from fmbench.errors import DataError
from fmbench.evaluation.protocols import Predictions
from fmbench.plugin_system.registry import Registry
from fmbench.plugin_system.specs import BenchmarkSpec, MetricSpec
from fmbench.statistics.bootstrap import DEFAULT_RESAMPLES, IntervalResult, rng_seed
from fmbench.statistics.metric_intervals import COVERS, metric_intervals

__all__ = ["add_statistics", "bootstrap_unit", "group_gaps", "sample_units"]


def bootstrap_unit(benchmark: BenchmarkSpec) -> str | None:
    """The metadata column resampled as a cluster, or None for a sample bootstrap."""
    unit = benchmark.bootstrap.unit
    if unit == "sample":
        return None
    return unit or benchmark.split.group_by or benchmark.split.subjects


def sample_units(
    benchmark: BenchmarkSpec, dataset: Dataset, indices: np.ndarray
) -> np.ndarray | None:
    """Each test sample's unit label (strings), or None for a sample bootstrap."""
    column = bootstrap_unit(benchmark)
    if column is None:
        return None
    if column not in dataset.metadata:
        raise DataError(
            f"benchmark {benchmark.name}: the bootstrap resamples {column!r}, but dataset "
            f"{dataset.dataset_id} has no such metadata column; set bootstrap.unit to a column "
            "it has, or to 'sample'"
        )
    return np.asarray([str(v) for v in np.asarray(dataset.metadata[column])[indices]])


def _intervals_block(
    results: dict[str, IntervalResult],
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """``(intervals, reasons for the null ones, reasons the degenerate ones are flagged)``."""
    intervals: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    degenerate: dict[str, str] = {}
    for name, res in results.items():
        intervals[name] = None if res.interval is None else list(res.interval)
        if res.reason:
            reasons[name] = res.reason
        if res.degenerate:
            degenerate[name] = res.degenerate
    return intervals, reasons, degenerate


def _method_block(results: dict[str, IntervalResult]) -> dict[str, Any]:
    """The per-metric part of ``interval_method``: methods, resamples used, design effects."""
    methods = {name: res.method for name, res in results.items()}
    distinct = sorted(set(methods.values()))
    block: dict[str, Any] = {
        "method": distinct[0] if len(distinct) == 1 else "per metric",
        "methods": methods,
    }
    block["n_used"] = {name: res.n_used for name, res in results.items() if res.n_resamples}
    effects = {n: r.design_effect for n, r in results.items() if r.design_effect is not None}
    if effects:
        block["design_effect"] = effects
    return block


def group_gaps(
    stratified: dict[str, dict[str, Any]], specs: dict[str, MetricSpec]
) -> dict[str, dict[str, Any]]:
    """Per column and metric: the worst group, the best group and the gap between them.

    Descriptive only: the extremes are picked on the data, so the gap is biased upwards and
    carries no interval or test here (the clinical block tests equal rates across groups).

    Example:
        >>> from fmbench.plugin_system.specs import MetricSpec
        >>> spec = MetricSpec(name="Accuracy", summary="a", compute="m:f")
        >>> strat = {"site": {"A": {"Accuracy": 0.9, "N": 10}, "B": {"Accuracy": 0.7, "N": 12}}}
        >>> group_gaps(strat, {"Accuracy": spec})["site"]["Accuracy"]["worst_group"]
        'B'
    """
    out: dict[str, dict[str, Any]] = {}
    for column, groups in stratified.items():
        per_metric: dict[str, Any] = {}
        for name, spec in specs.items():
            scored = [
                (g, e[name])
                for g, e in groups.items()
                if not e.get("suppressed") and e.get(name) is not None
            ]
            if len(scored) < 2:
                continue
            sign = 1.0 if spec.direction == "higher" else -1.0
            worst = min(scored, key=lambda ge: sign * ge[1])
            best = max(scored, key=lambda ge: sign * ge[1])
            per_metric[name] = {
                "worst_group": worst[0],
                "worst": worst[1],
                "best_group": best[0],
                "best": best[1],
                "gap": round(abs(best[1] - worst[1]), 6),
            }
        if per_metric:
            out[column] = per_metric
    return out


def add_statistics(
    registry: Registry,
    benchmark: BenchmarkSpec,
    dataset: Dataset,
    predictions: Predictions,
    names: Sequence[str],
    record: dict[str, Any],
    *,
    seed: int,
    n_resamples: int | None = None,
) -> np.ndarray | None:
    """Add intervals, their method, stratified intervals, group gaps and calibration curves
    to a benchmark ``record`` (in place); returns each test sample's bootstrap unit."""
    n_resamples = n_resamples or benchmark.bootstrap.n_resamples or DEFAULT_RESAMPLES
    confidence = benchmark.bootstrap.confidence
    specs = {n: registry.get(MetricSpec, n) for n in names}
    units = sample_units(benchmark, dataset, predictions.indices)
    results = metric_intervals(
        specs,
        predictions,
        seed=rng_seed(seed, benchmark.name),
        n_resamples=n_resamples,
        confidence=confidence,
        units=units,
    )
    intervals, reasons, degenerate = _intervals_block(results)
    record["intervals"] = intervals
    if reasons:
        record["intervals_undefined"] = reasons
    if degenerate:
        record["intervals_degenerate"] = degenerate
    methods = _method_block(results)
    record["interval_method"] = {
        "method": methods.pop("method"),
        "unit": bootstrap_unit(benchmark) or "sample",
        "n_units": len(np.unique(units)) if units is not None else len(predictions.y_true),
        "n_resamples": n_resamples,
        "confidence": confidence,
        **methods,
        "covers": COVERS,
    }
    stratified = record.get("stratified") or {}
    if stratified:
        from fmbench.evaluation.scoring import strata

        for column, groups in stratified.items():
            found = strata(dataset, column, predictions.indices, benchmark.stratification)
            if isinstance(found, str):
                continue
            labels, _ = found
            for group, entry in groups.items():
                if entry.get("suppressed"):
                    continue
                mask = labels == group
                sub = metric_intervals(
                    specs,
                    predictions.subset(mask),
                    seed=rng_seed(seed, benchmark.name, f"bootstrap/{column}/{group}"),
                    n_resamples=n_resamples,
                    confidence=confidence,
                    units=None if units is None else units[mask],
                )
                group_intervals, group_reasons, group_degenerate = _intervals_block(sub)
                entry["intervals"] = group_intervals
                if group_reasons:
                    entry["intervals_undefined"] = group_reasons
                if group_degenerate:
                    entry["intervals_degenerate"] = group_degenerate
        gaps = group_gaps(stratified, specs)
        if gaps:
            record["stratified_gaps"] = gaps
    if predictions.proba is not None and benchmark.task == "classification":
        from fmbench.statistics.calibration import reliability_curve

        curve = reliability_curve(predictions.y_true, predictions.proba)
        record["calibration"] = {"bins": 15, **curve}
    return units
