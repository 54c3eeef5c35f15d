"""Which interval each metric gets, and flags for intervals that cannot be trusted.

- **Closed forms that hold at the boundary** (:mod:`fmbench.statistics.score_intervals`), for
  the built-in metrics that have one: ``Accuracy`` and, on binary tasks, ``Sensitivity``,
  ``Specificity``, ``PPV``, ``NPV`` (Clopper-Pearson); binary ``AUROC`` (Newcombe score, scaled
  to the DeLong variance where larger); ``BalancedAccuracy`` (MOVER from Clopper-Pearson
  recalls).
  With clustered samples they use a design effect and Student's t (see that module).
- **Half-sampling** (:mod:`fmbench.statistics.subsampling`) for metrics declared
  ``resampling="subsample"`` (silhouettes, ARI).
- **Percentile bootstrap** (:mod:`fmbench.statistics.bootstrap`) for everything else (macro
  F1, multi-class AUROC, R², Pearson r, calibration, plugin metrics).

Every interval covers the variation of the *test* samples (or units) given the fitted
models: it does not include what would change if the model were trained again (another
training set, seed or fold assignment).

An interval is flagged ``degenerate`` when it has zero width, or when fewer than 90 % of the
resamples defined the metric (the interval then describes only the resamples that happened to
hold, e.g., both classes).

Example:
    >>> import numpy as np
    >>> from fmbench.plugin_system.registry import build_registry
    >>> from fmbench.evaluation.protocols import Predictions
    >>> y = np.array([0, 1] * 25)
    >>> pred = Predictions(indices=np.arange(50), y_true=y, fold=np.zeros(50, int),
    ...                    proba=np.c_[1 - y, y] * 0.8 + 0.1, labels=y)
    >>> registry = build_registry(external=False)
    >>> specs = {n: registry.get(MetricSpec, n) for n in ("AUROC", "Accuracy", "F1-Score")}
    >>> res = metric_intervals(specs, pred, seed=0, n_resamples=200)
    >>> res["AUROC"].method, res["AUROC"].interval[1], res["AUROC"].interval[0] < 1
    ('newcombe score', 1.0, True)
    >>> res["F1-Score"].method, res["F1-Score"].interval, res["F1-Score"].degenerate
    ('percentile bootstrap', (1.0, 1.0), 'zero width at 1')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from fmbench.errors import MetricUndefined
from fmbench.evaluation.protocols import Predictions
from fmbench.plugin_system.specs import MetricSpec
from fmbench.statistics.bootstrap import (
    DEFAULT_CONFIDENCE,
    DEFAULT_RESAMPLES,
    IntervalResult,
    bootstrap_intervals,
)
from fmbench.statistics.score_intervals import (
    auroc_interval,
    balanced_accuracy_interval,
    proportion_interval,
)
from fmbench.statistics.subsampling import half_sample_intervals

__all__ = [
    "COVERS",
    "METHOD_TEXT",
    "MIN_DEFINED_SHARE",
    "closed_form",
    "flag_degenerate",
    "metric_intervals",
]

#: What every interval in a record covers (written into eval.yaml's ``interval_method``).
COVERS = (
    "variation of the test samples (resampling units) given the fitted models; "
    "not training-set variation or model refits"
)
#: Readable descriptions of the method names used in ``interval_method.methods``.
METHOD_TEXT = {
    "clopper-pearson": "Clopper-Pearson interval (Korn-Graubard with clusters)",
    "newcombe score": "Newcombe's score interval for the Mann-Whitney AUC (DeLong-scaled)",
    "mover-clopper-pearson": "MOVER from Clopper-Pearson intervals of the per-class recalls",
    "percentile bootstrap": "percentile bootstrap",
    "half-sampling": "half-sampling without replacement (m = n/2)",
}
#: A resampled interval is flagged when fewer resamples than this share defined the metric.
MIN_DEFINED_SHARE = 0.9

_F = "fmbench.builtin.metric_functions:"
_O = "fmbench.evaluation.operating_points:"
#: ``form(y_true, metric input, units or None, confidence) -> ScoreInterval | reason | None``
ClosedForm = Callable[[np.ndarray, Any, Any, float], Any]


def _binary(score: Any) -> bool:
    array = np.asarray(score)
    return array.ndim == 2 and array.shape[1] == 2


def _auroc(y: np.ndarray, proba: Any, units: np.ndarray | None, conf: float) -> Any:
    if not _binary(proba):
        return None  # macro one-vs-rest: bootstrap
    return auroc_interval(np.asarray(y) == 1, np.asarray(proba)[:, 1], units, conf)


def _accuracy(y: np.ndarray, labels: Any, units: np.ndarray | None, conf: float) -> Any:
    return proportion_interval(np.asarray(y) == np.asarray(labels), units, conf)


def _balanced(y: np.ndarray, labels: Any, units: np.ndarray | None, conf: float) -> Any:
    return balanced_accuracy_interval(y, labels, units, conf)


def _rate(rate: str) -> ClosedForm:
    """Sensitivity, specificity, PPV or NPV at threshold 0.5 (binary: a proportion)."""

    def interval(y: np.ndarray, proba: Any, units: np.ndarray | None, conf: float) -> Any:
        if not _binary(proba):
            return None  # macro one-vs-rest: bootstrap
        positive = np.asarray(y) == 1
        called = np.asarray(proba)[:, 1] >= 0.5
        counted, success = {
            "sensitivity": (positive, called),
            "specificity": (~positive, ~called),
            "ppv": (called, positive),
            "npv": (~called, ~positive),
        }[rate]
        if not counted.any():
            return f"no samples to count for {rate}"
        return proportion_interval(
            success[counted], None if units is None else np.asarray(units)[counted], conf
        )

    return interval


#: Closed forms by the metric's ``compute`` reference (so a renamed copy keeps its form).
CLOSED_FORMS: dict[str, ClosedForm] = {
    _F + "auroc": _auroc,
    _F + "accuracy": _accuracy,
    _F + "balanced_accuracy": _balanced,
    **{_O + rate: _rate(rate) for rate in ("sensitivity", "specificity", "ppv", "npv")},
}


def closed_form(
    spec: MetricSpec,
    predictions: Predictions,
    units: np.ndarray | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> IntervalResult | None:
    """The metric's closed-form interval, or None when it has none (then it is resampled)."""
    from fmbench.evaluation.scoring import metric_input

    form = CLOSED_FORMS.get(spec.compute) if isinstance(spec.compute, str) else None
    if form is None:
        return None
    try:
        score = metric_input(spec, predictions)
    except MetricUndefined as exc:
        return IntervalResult(interval=None, n_used=0, n_resamples=0, reason=str(exc))
    if units is not None and len(np.unique(np.asarray(units).astype(str))) == len(units):
        units = None  # one sample per unit: the samples are the units
    found = form(np.asarray(predictions.y_true), score, units, confidence)
    if found is None:
        return None
    if isinstance(found, str):
        return IntervalResult(interval=None, n_used=0, n_resamples=0, reason=found)
    return IntervalResult(
        interval=found.interval,
        n_used=0,
        n_resamples=0,
        method=found.method,
        design_effect=found.design_effect if found.clusters is not None else None,
    )


def flag_degenerate(result: IntervalResult) -> IntervalResult:
    """Set ``degenerate`` when the interval has zero width or too few resamples defined it."""
    if result.interval is None:
        return result
    lo, hi = result.interval
    if hi - lo <= 0:
        result.degenerate = f"zero width at {lo:g}"
    elif result.n_resamples and result.n_used < MIN_DEFINED_SHARE * result.n_resamples:
        result.degenerate = (
            f"only {result.n_used} of {result.n_resamples} resamples defined the metric"
        )
    return result


def metric_intervals(
    specs: Mapping[str, MetricSpec],
    predictions: Predictions,
    *,
    seed: np.random.SeedSequence | int,
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    units: np.ndarray | None = None,
) -> dict[str, IntervalResult]:
    """Each metric's interval by its method (see the module docstring), flagged where
    degenerate, in the order of ``specs``."""
    out: dict[str, IntervalResult] = {}
    resampled: dict[str, MetricSpec] = {}
    halved: dict[str, MetricSpec] = {}
    for name, spec in specs.items():
        found = closed_form(spec, predictions, units, confidence)
        if found is not None:
            out[name] = found
        elif spec.resampling == "subsample":
            halved[name] = spec
        else:
            resampled[name] = spec
    if resampled:
        out.update(
            bootstrap_intervals(
                resampled,
                predictions,
                seed=seed,
                n_resamples=n_resamples,
                confidence=confidence,
                units=units,
            )
        )
    if halved:
        out.update(
            half_sample_intervals(
                halved,
                predictions,
                seed=seed,
                n_resamples=n_resamples,
                confidence=confidence,
                units=units,
            )
        )
    return {name: flag_degenerate(out[name]) for name in specs}
