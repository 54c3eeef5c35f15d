"""From predictions to metric values: overall and per stratum, undefined ones null with a reason.

Example:
    >>> import numpy as np
    >>> from fmbench.plugin_system.registry import build_registry
    >>> from fmbench.evaluation.protocols import Predictions
    >>> registry = build_registry(external=False)
    >>> p = Predictions(indices=np.arange(4), y_true=np.array([0, 0, 0, 0]),
    ...                 fold=np.zeros(4, int), labels=np.array([0, 0, 1, 0]),
    ...                 proba=np.array([[.9, .1], [.8, .2], [.3, .7], [.6, .4]]))
    >>> values, undefined = score_metrics(registry, ["AUROC", "Accuracy"], p)
    >>> values["AUROC"], values["Accuracy"]
    (None, 0.75)
    >>> undefined["AUROC"]
    'only one class (0) is present in y_true'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fmbench.data.dataset import Dataset
from fmbench.errors import MetricUndefined
from fmbench.evaluation.finite import require_finite
from fmbench.evaluation.protocols import Predictions
from fmbench.plugin_system.registry import Registry
from fmbench.plugin_system.specs import BenchmarkSpec, MetricSpec, Stratification, resolve

__all__ = ["chance_level", "metric_input", "score_metrics", "stratified_metrics"]


def metric_input(spec: MetricSpec, predictions: Predictions) -> Any:
    """The array a metric needs from the predictions, or raise MetricUndefined (NonFiniteError
    when the labels or that array hold NaN or inf, for plugin metrics too)."""
    score = _metric_input(spec, predictions)
    require_finite(predictions.y_true, f"{spec.name}: the true labels")
    require_finite(score, f"{spec.name}: the predicted {spec.needs}s")
    return score


def _metric_input(spec: MetricSpec, predictions: Predictions) -> Any:
    if spec.needs == "proba":
        if predictions.proba is None:
            raise MetricUndefined(
                predictions.notes.get(spec.name)
                or "the model gives no probabilities (no predict_proba)"
            )
        return predictions.proba
    if spec.needs == "label":
        if predictions.labels is None:
            raise MetricUndefined("no predicted labels")
        return predictions.labels
    if predictions.values is None:
        raise MetricUndefined("no predicted values")
    return predictions.values


def _round(value: float) -> float:
    return float(round(float(value), 6))


def score_one(spec: MetricSpec, predictions: Predictions) -> float:
    """One metric's value; raises MetricUndefined with the reason when it has none."""
    if len(predictions.y_true) == 0:
        raise MetricUndefined("no samples")
    score = metric_input(spec, predictions)
    value = resolve(spec.compute)(predictions.y_true, score)
    if value is None or not np.isfinite(value):
        raise MetricUndefined(f"{spec.name} is not finite on these predictions")
    return _round(value)


def score_metrics(
    registry: Registry, names: Sequence[str], predictions: Predictions
) -> tuple[dict[str, float | None], dict[str, str]]:
    """Values of the named metrics (None when undefined) and the reasons for each None."""
    values: dict[str, float | None] = {}
    undefined: dict[str, str] = {}
    for name in names:
        spec = registry.get(MetricSpec, name)
        try:
            values[name] = score_one(spec, predictions)
        except MetricUndefined as exc:
            values[name] = None
            undefined[name] = str(exc)
    return values, undefined


def chance_level(spec: MetricSpec, y_true: np.ndarray) -> float | None:
    """The score of a model that ignores its input, when the metric declares one."""
    if spec.chance is None:
        return None
    if isinstance(spec.chance, (int, float)):
        return float(spec.chance)
    try:
        return _round(resolve(spec.chance)(np.asarray(y_true)))
    except MetricUndefined:
        return None


def _bin_labels(edges: Sequence[float]) -> list[str]:
    return [f"{edges[i]:g}-{edges[i + 1]:g}" for i in range(len(edges) - 1)]


def strata(
    dataset: Dataset, column: str, indices: np.ndarray, strat: Stratification
) -> tuple[np.ndarray, list[str]] | str:
    """Group labels of the test samples for one column, or a reason why there are none."""
    if column not in dataset.metadata:
        return f"the dataset has no {column!r} column"
    values = np.asarray(dataset.metadata[column])[indices]
    if column in strat.bins:
        edges = list(strat.bins[column])
        if values.dtype.kind not in "fiu":
            return f"{column!r} is not numeric, so it cannot be binned"
        labels = _bin_labels(edges)
        # right-closed bins except the first, like the earlier project's age groups
        idx = np.digitize(values.astype(float), edges[1:-1], right=True)
        inside = (values >= edges[0]) & (values <= edges[-1])
        groups = np.where(
            inside, np.array(labels, dtype=object)[np.clip(idx, 0, len(labels) - 1)], "out of range"
        )
        return groups.astype(object), [*labels, "out of range"]
    if values.dtype.kind in "fiu":
        unique = np.unique(values[~np.isnan(values.astype(float))])
        if len(unique) > 12:
            return f"{column!r} is continuous; declare bins for it under stratification.bins"
        text = np.array(
            [f"{v:g}" if np.isfinite(v) else "missing" for v in values.astype(float)], dtype=object
        )
        return text, sorted(set(text.tolist()))
    text = np.array([str(v) if str(v) != "" else "missing" for v in values], dtype=object)
    return text, sorted(set(text.tolist()))


def stratified_metrics(
    registry: Registry,
    benchmark: BenchmarkSpec,
    dataset: Dataset,
    predictions: Predictions,
    names: Sequence[str],
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Per column and group: metric values and N; small groups are suppressed.

    Returns ``(stratified, skipped)``: ``skipped`` maps columns that could not be used to the
    reason.
    """
    strat = benchmark.stratification
    result: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    for column in strat.columns:
        found = strata(dataset, column, predictions.indices, strat)
        if isinstance(found, str):
            skipped[column] = found
            continue
        groups, order = found
        per_group: dict[str, Any] = {}
        for group in order:
            mask = groups == group
            n = int(mask.sum())
            if n == 0:
                continue
            if n < strat.min_group_size:
                per_group[group] = {
                    "N": n,
                    "suppressed": True,
                    "reason": f"fewer than {strat.min_group_size} samples",
                }
                continue
            values, undefined = score_metrics(registry, names, predictions.subset(mask))
            entry: dict[str, Any] = {**values, "N": n}
            if undefined:
                entry["undefined"] = undefined
            per_group[group] = entry
        result[column] = per_group
    return result, skipped
