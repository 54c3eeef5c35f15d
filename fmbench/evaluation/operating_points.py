"""Clinical operating points: sensitivity, specificity, PPV, NPV, fixed-specificity points,
the Youden threshold, prevalence-adjusted predictive values and net benefit.

Every quantity comes in two forms: a plain one (one value from all samples) and a weighted one
that scores many bootstrap resamples at once (``W``: ``(n_resamples, n_samples)`` counts, see
:mod:`fmbench.statistics.bootstrap`), NaN where undefined. A sample is called positive when its score
(the probability of the positive class) is **at or above** the threshold.

Conventions:

- sensitivity = TP / (TP + FN), specificity = TN / (TN + FP), PPV = TP / (TP + FP),
  NPV = TN / (TN + FN); undefined (never 0) when the denominator is empty;
- sensitivity at specificity ``s`` is read off the ROC curve: the highest sensitivity over the
  thresholds whose specificity is at least ``s`` (no interpolation); specificity at
  sensitivity ``s`` likewise;
- the Youden threshold maximises sensitivity + specificity - 1 over the observed scores (the
  smallest such score on ties); it is chosen on training predictions only;
- net benefit at threshold probability ``pt`` is ``TP/n - FP/n * pt / (1 - pt)``.

Example:
    >>> import numpy as np
    >>> y = np.array([0, 0, 0, 1, 1])
    >>> proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.4, 0.6], [0.2, 0.8]])
    >>> sensitivity(y, proba), specificity(y, proba)
    (1.0, 0.6666666666666666)
    >>> sensitivity_at_specificity(y == 1, proba[:, 1], 0.9)  # all 3 negatives below 0.8
    0.5
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from fmbench.errors import MetricUndefined
from fmbench.evaluation.finite import require_finite
from fmbench.plugin_system.specs import DEFAULT_DECISION_THRESHOLDS

__all__ = [
    "DEFAULT_DECISION_THRESHOLDS",
    "RATES",
    "binary_view",
    "net_benefit",
    "prevalence_adjusted",
    "rates_at",
    "sensitivity",
    "sensitivity_at_specificity",
    "specificity",
    "specificity_at_sensitivity",
    "threshold_for_specificity",
    "treat_all_net_benefit",
    "weighted_net_benefit",
    "weighted_rates",
    "youden_threshold",
]

#: The operating-point rates, in the order reports show them.
RATES = ("sensitivity", "specificity", "ppv", "npv")
_EPS = 1e-9


def _safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def binary_view(
    y_true: np.ndarray, proba: np.ndarray, positive: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """``(is_positive, score)`` of one class against the rest.

    Example:
        >>> pos, score = binary_view(np.array([0, 2]), np.array([[.5, .2, .3], [.1, .1, .8]]), 2)
        >>> pos.tolist(), score.tolist()
        ([False, True], [0.3, 0.8])
    """
    p = np.asarray(proba, dtype=float)
    require_finite(y_true, "labels")
    require_finite(p, "probabilities")
    if p.ndim != 2 or p.shape[0] != len(y_true):
        raise MetricUndefined(f"probabilities of shape {p.shape} do not match {len(y_true)} labels")
    if not 0 <= positive < p.shape[1]:
        raise MetricUndefined(f"class {positive} has no probability column ({p.shape[1]} classes)")
    return np.asarray(y_true).astype(int) == positive, p[:, positive]


# --- confusion counts and the four rates -------------------------------------------------


def weighted_rates(
    positive: np.ndarray, called: np.ndarray, W: np.ndarray
) -> dict[str, np.ndarray]:
    """Sensitivity, specificity, PPV and NPV of every resample, from fixed calls.

    ``called`` says which samples the rule calls positive (a fixed threshold, or per-sample
    thresholds chosen on training data); only the counts change between resamples.

    Example:
        >>> r = weighted_rates(np.array([1, 1, 0, 0], bool), np.array([1, 0, 0, 1], bool),
        ...                    np.ones((1, 4)))
        >>> {k: float(v[0]) for k, v in r.items()}
        {'sensitivity': 0.5, 'specificity': 0.5, 'ppv': 0.5, 'npv': 0.5}
    """
    pos = np.asarray(positive, dtype=bool)
    call = np.asarray(called, dtype=bool)
    cells = np.column_stack([pos & call, ~pos & call, pos & ~call, ~pos & ~call]).astype(float)
    tp, fp, fn, tn = (W @ cells).T
    return {
        "sensitivity": _safe_divide(tp, tp + fn),
        "specificity": _safe_divide(tn, tn + fp),
        "ppv": _safe_divide(tp, tp + fp),
        "npv": _safe_divide(tn, tn + fn),
    }


_UNDEFINED = {
    "sensitivity": "no positive samples (TP + FN = 0)",
    "specificity": "no negative samples (TN + FP = 0)",
    "ppv": "no sample is called positive (TP + FP = 0)",
    "npv": "no sample is called negative (TN + FN = 0)",
}


def rates_at(
    positive: np.ndarray, score: np.ndarray, threshold: float | np.ndarray
) -> dict[str, float | None]:
    """The four rates when samples with ``score >= threshold`` are called positive (None when
    undefined).

    Example:
        >>> rates_at(np.array([1, 0, 0], bool), np.array([0.7, 0.6, 0.2]), 0.5)["ppv"]
        0.5
    """
    require_finite(score, "scores")
    called = np.asarray(score) >= np.asarray(threshold)
    values = weighted_rates(positive, called, np.ones((1, len(called))))
    return {k: (float(v[0]) if np.isfinite(v[0]) else None) for k, v in values.items()}


def _rate_metric(name: str, threshold: float = 0.5) -> Callable[[np.ndarray, np.ndarray], float]:
    def compute(y_true: np.ndarray, proba: np.ndarray) -> float:
        values = []
        for c in _classes(proba):
            pos, score = binary_view(y_true, proba, c)
            value = rates_at(pos, score, threshold)[name]
            if value is not None:
                values.append(value)
            elif np.asarray(proba).shape[1] == 2:
                raise MetricUndefined(f"{name} is undefined: {_UNDEFINED[name]}")
        if not values:
            raise MetricUndefined(f"{name} is undefined for every class: {_UNDEFINED[name]}")
        return float(np.mean(values))

    return compute


def _rate_weighted(
    name: str, threshold: float = 0.5
) -> Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    def weighted(y_true: np.ndarray, proba: np.ndarray, W: np.ndarray) -> np.ndarray:
        per_class = []
        for c in _classes(proba):
            pos, score = binary_view(y_true, proba, c)
            per_class.append(weighted_rates(pos, score >= threshold, W)[name])
        return _macro(per_class)

    return weighted


def _classes(proba: np.ndarray) -> list[int]:
    """Binary: the positive class 1 only; multi-class: every class (one-vs-rest)."""
    k = np.asarray(proba).shape[1]
    return [1] if k == 2 else list(range(k))


def _macro(per_class: Sequence[np.ndarray]) -> np.ndarray:
    """Mean over the classes where each resample is defined (NaN where none is)."""
    stacked = np.vstack(per_class)
    defined = np.isfinite(stacked)
    total = np.where(defined, stacked, 0.0).sum(axis=0)
    return _safe_divide(total, defined.sum(axis=0).astype(float))


#: Registered metrics (binary: class 1 at threshold 0.5; multi-class: macro one-vs-rest).
sensitivity = _rate_metric("sensitivity")
specificity = _rate_metric("specificity")
ppv = _rate_metric("ppv")
npv = _rate_metric("npv")
weighted_sensitivity = _rate_weighted("sensitivity")
weighted_specificity = _rate_weighted("specificity")
weighted_ppv = _rate_weighted("ppv")
weighted_npv = _rate_weighted("npv")


# --- the ROC curve: fixed-specificity and fixed-sensitivity points ---------------------------


def _roc_steps(
    positive: np.ndarray, score: np.ndarray, W: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sensitivity and specificity of every resample at every candidate threshold.

    The candidates are the distinct scores in increasing order, then +inf (nothing called
    positive). Returns ``(thresholds (m+1,), sens (b, m+1), spec (b, m+1))``.
    """
    require_finite(score, "scores")
    order = np.argsort(score, kind="mergesort")
    sorted_score = score[order]
    values, starts = np.unique(sorted_score, return_index=True)
    pos_sorted = np.asarray(positive, dtype=bool)[order]
    Ws = W[:, order]
    cum_pos = np.zeros((W.shape[0], len(order) + 1))
    cum_neg = np.zeros((W.shape[0], len(order) + 1))
    np.cumsum(Ws * pos_sorted, axis=1, out=cum_pos[:, 1:])
    np.cumsum(Ws * ~pos_sorted, axis=1, out=cum_neg[:, 1:])
    at = np.append(starts, len(order))  # samples scored below each candidate
    p_total, n_total = cum_pos[:, -1:], cum_neg[:, -1:]
    sens = _safe_divide(p_total - cum_pos[:, at], p_total)
    spec = _safe_divide(cum_neg[:, at], n_total)
    return np.append(values, np.inf), sens, spec


def _at_specificity(
    positive: np.ndarray, score: np.ndarray, W: np.ndarray, target: float
) -> tuple[np.ndarray, np.ndarray]:
    thresholds, sens, spec = _roc_steps(positive, score, W)
    ok = spec >= target - _EPS  # non-decreasing along thresholds; true at +inf
    first = np.argmax(ok, axis=1)
    rows = np.arange(W.shape[0])
    value = np.where(ok[rows, first], sens[rows, first], np.nan)
    return value, thresholds[first]


def _at_sensitivity(
    positive: np.ndarray, score: np.ndarray, W: np.ndarray, target: float
) -> tuple[np.ndarray, np.ndarray]:
    thresholds, sens, spec = _roc_steps(positive, score, W)
    ok = sens >= target - _EPS  # non-increasing along thresholds; true at the lowest score
    last = ok.shape[1] - 1 - np.argmax(ok[:, ::-1], axis=1)
    rows = np.arange(W.shape[0])
    value = np.where(ok[rows, last], spec[rows, last], np.nan)
    return value, thresholds[last]


def weighted_sensitivity_at_specificity(
    positive: np.ndarray, score: np.ndarray, W: np.ndarray, target: float
) -> np.ndarray:
    """Sensitivity at specificity >= ``target`` of every resample (NaN without both classes)."""
    return _at_specificity(positive, score, W, target)[0]


def weighted_specificity_at_sensitivity(
    positive: np.ndarray, score: np.ndarray, W: np.ndarray, target: float
) -> np.ndarray:
    """Specificity at sensitivity >= ``target`` of every resample."""
    return _at_sensitivity(positive, score, W, target)[0]


def _need_both(positive: np.ndarray) -> None:
    if positive.all() or not positive.any():
        raise MetricUndefined("needs both positive and negative samples")


def sensitivity_at_specificity(positive: np.ndarray, score: np.ndarray, target: float) -> float:
    """The highest sensitivity among thresholds with specificity >= ``target``.

    Example:
        >>> pos = np.array([0, 0, 0, 0, 1, 1], bool)
        >>> sensitivity_at_specificity(pos, np.array([.1, .2, .3, .9, .4, .8]), 0.75)
        1.0
    """
    positive = np.asarray(positive, dtype=bool)
    _need_both(positive)
    value = weighted_sensitivity_at_specificity(
        positive, np.asarray(score, float), np.ones((1, len(positive))), target
    )
    return float(value[0])


def specificity_at_sensitivity(positive: np.ndarray, score: np.ndarray, target: float) -> float:
    """The highest specificity among thresholds with sensitivity >= ``target``."""
    positive = np.asarray(positive, dtype=bool)
    _need_both(positive)
    value = weighted_specificity_at_sensitivity(
        positive, np.asarray(score, float), np.ones((1, len(positive))), target
    )
    return float(value[0])


def threshold_for_specificity(positive: np.ndarray, score: np.ndarray, target: float) -> float:
    """The lowest threshold whose specificity is at least ``target`` (inf: none below it).

    Example:
        >>> threshold_for_specificity(np.array([0, 0, 1], bool), np.array([.1, .5, .7]), 0.5)
        0.5
    """
    positive = np.asarray(positive, dtype=bool)
    _need_both(positive)
    return float(
        _at_specificity(positive, np.asarray(score, float), np.ones((1, len(positive))), target)[1][
            0
        ]
    )


def threshold_for_sensitivity(positive: np.ndarray, score: np.ndarray, target: float) -> float:
    """The highest threshold whose sensitivity is at least ``target``."""
    positive = np.asarray(positive, dtype=bool)
    _need_both(positive)
    return float(
        _at_sensitivity(positive, np.asarray(score, float), np.ones((1, len(positive))), target)[1][
            0
        ]
    )


def youden_threshold(positive: np.ndarray, score: np.ndarray) -> float:
    """The score maximising sensitivity + specificity - 1 (the smallest on ties).

    Example:
        >>> youden_threshold(np.array([0, 0, 1, 1], bool), np.array([.1, .6, .4, .9]))
        0.4
    """
    positive = np.asarray(positive, dtype=bool)
    _need_both(positive)
    thresholds, sens, spec = _roc_steps(
        positive, np.asarray(score, float), np.ones((1, len(positive)))
    )
    j = sens[0, :-1] + spec[0, :-1] - 1
    return float(thresholds[int(np.argmax(np.round(j, 12)))])


def _registered_point(
    kind: str, target: float
) -> tuple[
    Callable[[np.ndarray, np.ndarray], float],
    Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
]:
    at = (
        weighted_sensitivity_at_specificity
        if kind == "sens"
        else weighted_specificity_at_sensitivity
    )

    def weighted(y_true: np.ndarray, proba: np.ndarray, W: np.ndarray) -> np.ndarray:
        return _macro([at(*binary_view(y_true, proba, c), W, target) for c in _classes(proba)])

    def compute(y_true: np.ndarray, proba: np.ndarray) -> float:
        usable = [c for c in _classes(proba) if 0 < np.sum(np.asarray(y_true) == c) < len(y_true)]
        if not usable:
            raise MetricUndefined("needs both positive and negative samples")
        value = weighted(y_true, proba, np.ones((1, len(y_true))))[0]
        return float(value)

    return compute, weighted


sensitivity_at_specificity_90, weighted_sensitivity_at_specificity_90 = _registered_point(
    "sens", 0.90
)
sensitivity_at_specificity_95, weighted_sensitivity_at_specificity_95 = _registered_point(
    "sens", 0.95
)
specificity_at_sensitivity_90, weighted_specificity_at_sensitivity_90 = _registered_point(
    "spec", 0.90
)
specificity_at_sensitivity_95, weighted_specificity_at_sensitivity_95 = _registered_point(
    "spec", 0.95
)


# --- prevalence and net benefit ---------------------------------------------------------------


def prevalence_adjusted(
    sens: np.ndarray | float, spec: np.ndarray | float, prevalence: float
) -> tuple[np.ndarray, np.ndarray]:
    """PPV and NPV at another prevalence, from sensitivity and specificity (Bayes' rule).

    Example:
        >>> ppv_, npv_ = prevalence_adjusted(0.9, 0.8, 0.01)
        >>> round(float(ppv_), 4), round(float(npv_), 4)
        (0.0435, 0.9987)
    """
    se, sp, p = np.asarray(sens, float), np.asarray(spec, float), float(prevalence)
    ppv_ = _safe_divide(se * p, se * p + (1 - sp) * (1 - p))
    npv_ = _safe_divide(sp * (1 - p), sp * (1 - p) + (1 - se) * p)
    return ppv_, npv_


def weighted_net_benefit(
    positive: np.ndarray, score: np.ndarray, W: np.ndarray, thresholds: Sequence[float]
) -> np.ndarray:
    """Net benefit of the model at each threshold probability, for every resample: (b, k).

    Example:
        >>> nb = weighted_net_benefit(np.array([1, 0], bool), np.array([.9, .6]), np.ones((1, 2)),
        ...                           [0.5])
        >>> float(nb[0, 0])
        0.0
    """
    pt = np.asarray(thresholds, dtype=float)
    require_finite(score, "scores")
    called = np.asarray(score, float)[:, None] >= pt[None, :]
    pos = np.asarray(positive, dtype=bool)[:, None]
    n = W.sum(axis=1)[:, None]
    tp = W @ (called & pos).astype(float)
    fp = W @ (called & ~pos).astype(float)
    return _safe_divide(tp - fp * (pt / (1 - pt))[None, :], n)


def net_benefit(positive: np.ndarray, score: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """Net benefit of the model at each threshold probability."""
    return weighted_net_benefit(positive, score, np.ones((1, len(positive))), thresholds)[0]


def treat_all_net_benefit(prevalence: float, thresholds: Sequence[float]) -> np.ndarray:
    """Net benefit of calling everybody positive: ``prev - (1 - prev) * pt / (1 - pt)``.

    Example:
        >>> treat_all_net_benefit(0.2, [0.1, 0.5]).round(6).tolist()
        [0.111111, -0.6]
    """
    pt = np.asarray(thresholds, dtype=float)
    return prevalence - (1 - prevalence) * pt / (1 - pt)
