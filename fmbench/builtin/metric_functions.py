"""Implementations of the built-in metrics: classification (AUROC, accuracy, balanced accuracy, macro F1) and
regression (MSE, MAE, R2, Pearson r). Each raises MetricUndefined instead of returning 0.

Each metric is written once, in its weighted form ``weighted_x(y_true, y_score, W)``, which
scores every row of ``W`` (bootstrap resample counts, shape ``(n_resamples, n_samples)``) at
once and gives NaN where a resample leaves it undefined; the point estimate ``x(y_true,
y_score)`` is that form with every sample counted once.

Example:
    >>> import numpy as np
    >>> accuracy(np.array([0, 1, 1]), np.array([0, 1, 0]))
    0.6666666666666666
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fmbench.errors import MetricUndefined
from fmbench.evaluation.finite import require_finite

__all__ = [
    "accuracy", "auroc", "balanced_accuracy", "macro_f1", "mae", "mse", "pearson_r", "r2",
    "weighted_accuracy", "weighted_auroc", "weighted_balanced_accuracy", "weighted_macro_f1",
    "weighted_mae", "weighted_mse", "weighted_pearson_r", "weighted_r2",
]  # fmt: skip


def _classes_present(y_true: np.ndarray) -> np.ndarray:
    present = np.unique(y_true)
    if len(present) < 2:
        only = ", ".join(str(c) for c in present)
        raise MetricUndefined(f"only one class ({only}) is present in y_true")
    return present


def _safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _binary_auroc(score: np.ndarray, positive: np.ndarray, W: np.ndarray) -> np.ndarray:
    # Mann-Whitney with weights: for each positive, the weight of the negatives scored below
    # it (ties count half), from one cumulative sum over the negatives in score order.
    neg_idx = np.flatnonzero(~positive)
    pos_idx = np.flatnonzero(positive)
    neg_idx = neg_idx[np.argsort(score[neg_idx], kind="mergesort")]
    neg_scores = score[neg_idx]
    below = np.searchsorted(neg_scores, score[pos_idx], side="left")
    upto = np.searchsorted(neg_scores, score[pos_idx], side="right")
    neg_cum = np.zeros((W.shape[0], len(neg_idx) + 1))
    np.cumsum(W[:, neg_idx], axis=1, out=neg_cum[:, 1:])
    pos_w = W[:, pos_idx]
    if np.array_equal(below, upto):  # no ties between the classes
        num = np.einsum("bp,bp->b", pos_w, neg_cum[:, below])
    else:
        num = np.einsum("bp,bp->b", pos_w, neg_cum[:, below] + neg_cum[:, upto]) / 2
    w_pos = pos_w.sum(axis=1)
    w_neg = neg_cum[:, -1]
    return _safe_divide(num, w_pos * w_neg)


def weighted_auroc(y_true: np.ndarray, proba: np.ndarray, W: np.ndarray) -> np.ndarray:
    """AUROC of every resample (binary, or macro one-vs-rest over the classes present)."""
    require_finite(y_true, "AUROC labels")
    y = np.asarray(y_true).astype(int)
    proba = np.asarray(proba, dtype=float)
    require_finite(proba, "AUROC scores")
    if proba.shape[1] == 2:
        return _binary_auroc(proba[:, 1], y == 1, W)
    per_class = []
    for c in np.unique(y):
        positive = y == c
        auc = _binary_auroc(proba[:, int(c)], positive, W)
        per_class.append(auc)
    stacked = np.vstack(per_class)  # (classes, b)
    present = np.isfinite(stacked)
    n_present = present.sum(axis=0)
    total = np.where(present, stacked, 0.0).sum(axis=0)
    return _safe_divide(total, n_present.astype(float))


def _checked_labels(y_true: np.ndarray, y_pred: np.ndarray, metric: str) -> None:
    require_finite(y_true, f"{metric} labels")
    require_finite(y_pred, f"{metric} predicted labels")


def _onehot(labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    return (np.asarray(labels)[:, None] == classes[None, :]).astype(np.float64)


def weighted_accuracy(y_true: np.ndarray, y_pred: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Accuracy of every resample."""
    _checked_labels(y_true, y_pred, "Accuracy")
    correct = (np.asarray(y_true) == np.asarray(y_pred)).astype(np.float64)
    return _safe_divide(W @ correct, W.sum(axis=1))


def weighted_balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Mean recall over the classes present in each resample."""
    _checked_labels(y_true, y_pred, "balanced accuracy")
    classes = np.unique(y_true)
    Y = _onehot(y_true, classes)
    correct = (np.asarray(y_true) == np.asarray(y_pred)).astype(np.float64)
    den = W @ Y
    recall = _safe_divide(W @ (Y * correct[:, None]), den)
    present = den > 0
    return _safe_divide(np.where(present, recall, 0.0).sum(axis=1), present.sum(axis=1) * 1.0)


def weighted_macro_f1(y_true: np.ndarray, y_pred: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Macro F1 over the classes present in each resample's labels (a prediction of another
    class is an error of the true class, not a class of its own)."""
    _checked_labels(y_true, y_pred, "macro F1")
    classes = np.union1d(np.unique(y_true), np.unique(y_pred))
    Y, P = _onehot(y_true, classes), _onehot(y_pred, classes)
    tp = W @ (Y * P)
    n_true = W @ Y
    den = n_true + W @ P
    used = n_true > 0
    f1 = np.where(used, _safe_divide(2 * tp, den), 0.0)
    f1 = np.nan_to_num(f1)
    return _safe_divide(f1.sum(axis=1), used.sum(axis=1) * 1.0)


def _per_sample_mean(values: np.ndarray, W: np.ndarray) -> np.ndarray:
    return _safe_divide(W @ values, W.sum(axis=1))


def _regression(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float).reshape(y.shape)
    require_finite(y, "regression targets")
    require_finite(p, "regression predictions")
    return y.reshape(len(y), -1), p.reshape(len(p), -1)


def weighted_mse(y_true: np.ndarray, y_pred: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Mean squared error of every resample."""
    y, p = _regression(y_true, y_pred)
    return _per_sample_mean(((y - p) ** 2).mean(axis=1), W)


def weighted_mae(y_true: np.ndarray, y_pred: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Mean absolute error of every resample."""
    y, p = _regression(y_true, y_pred)
    return _per_sample_mean(np.abs(y - p).mean(axis=1), W)


def weighted_r2(y_true: np.ndarray, y_pred: np.ndarray, W: np.ndarray) -> np.ndarray:
    """R2 of every resample (uniform average over outputs; NaN for constant targets)."""
    y, p = _regression(y_true, y_pred)
    yc = y - y.mean(axis=0)
    total_w = W.sum(axis=1)[:, None]
    mean = (W @ yc) / total_w
    ss_tot = W @ (yc**2) - total_w * mean**2
    ss_res = W @ ((y - p) ** 2)
    scale = W @ (yc**2)
    constant = ss_tot <= 1e-12 * np.maximum(scale, 1e-300)
    r2 = 1 - ss_res / np.where(constant, 1.0, ss_tot)
    r2[constant] = np.nan
    return r2.mean(axis=1)


def weighted_pearson_r(y_true: np.ndarray, y_pred: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Pearson r of every resample (all outputs pooled; NaN when constant)."""
    y, p = _regression(y_true, y_pred)
    if y.size < 3:
        return np.full(W.shape[0], np.nan)
    a, b = y - y.mean(), p - p.mean()
    moments = np.column_stack([a.sum(1), b.sum(1), (a * a).sum(1), (b * b).sum(1), (a * b).sum(1)])
    m = W @ moments / (W.sum(axis=1)[:, None] * y.shape[1])
    var_a = m[:, 2] - m[:, 0] ** 2
    var_b = m[:, 3] - m[:, 1] ** 2
    cov = m[:, 4] - m[:, 0] * m[:, 1]
    tiny_a = var_a <= 1e-12 * np.maximum(m[:, 2], 1e-300)
    tiny_b = var_b <= 1e-12 * np.maximum(m[:, 3], 1e-300)
    r = _safe_divide(cov, np.sqrt(np.clip(var_a, 0, None) * np.clip(var_b, 0, None)))
    r[tiny_a | tiny_b] = np.nan
    return r


# --- point estimates: the weighted forms above with every sample counted once -------------


def _once(
    weighted: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    y_true: np.ndarray,
    y_score: np.ndarray,
    undefined: str,
) -> float:
    """``weighted`` with unit weights: the metric of the data as it is."""
    value = float(weighted(y_true, y_score, np.ones((1, len(np.asarray(y_true)))))[0])
    if not np.isfinite(value):
        raise MetricUndefined(undefined)
    return value


def auroc(y_true: np.ndarray, proba: np.ndarray) -> float:
    """Area under the ROC curve; multi-class: macro one-vs-rest over the classes present.

    The Mann-Whitney statistic (ties count half): equal to scikit-learn's ``roc_auc_score``
    (tested).
    """
    y_true = np.asarray(y_true)
    require_finite(y_true, "AUROC labels")
    _classes_present(y_true)
    return _once(weighted_auroc, y_true, proba, "AUROC is undefined on these samples")


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of correct labels."""
    return _once(weighted_accuracy, y_true, y_pred, "accuracy needs at least one sample")


def balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean recall over the classes present in y_true."""
    return _once(
        weighted_balanced_accuracy, y_true, y_pred, "balanced accuracy needs at least one sample"
    )


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Unweighted mean F1 over the classes present in y_true (a class never predicted scores 0;
    predictions of a class absent from y_true count only as errors of the true classes, so a
    group of a label-defined stratum is scored on its own classes). Equal to scikit-learn's
    ``f1_score(y_true, y_pred, labels=np.unique(y_true), average="macro")``.

    Example:
        >>> import numpy as np
        >>> round(macro_f1(np.array([0, 0, 1, 1]), np.array([0, 0, 1, 2])), 4)  # no class 2 here
        0.8333
    """
    return _once(weighted_macro_f1, y_true, y_pred, "macro F1 needs at least one sample")


def mse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean squared error (averaged over outputs)."""
    return _once(weighted_mse, y_true, y_pred, "MSE needs at least one sample")


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error (averaged over outputs)."""
    return _once(weighted_mae, y_true, y_pred, "MAE needs at least one sample")


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination, averaged uniformly over outputs."""
    return _once(weighted_r2, y_true, y_pred, "R2 is undefined when the targets are constant")


def pearson_r(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Pearson correlation of targets and predictions (all outputs pooled)."""
    y_true, y_pred = _regression(y_true, y_pred)
    if y_true.size < 3:
        raise MetricUndefined("Pearson r needs at least 3 samples")
    return _once(
        weighted_pearson_r,
        y_true,
        y_pred,
        "Pearson r is undefined when targets or predictions are constant",
    )


# --- chance levels: the score of a model that ignores its input ---------------------------


def majority_rate(y_true: np.ndarray) -> float:
    """Accuracy of always predicting the most frequent class."""
    counts = np.bincount(np.asarray(y_true).astype(int))
    return float(counts.max() / counts.sum())


def uniform_rate(y_true: np.ndarray) -> float:
    """Balanced accuracy of any constant prediction: 1 / number of classes present."""
    return 1.0 / len(np.unique(y_true))


def majority_macro_f1(y_true: np.ndarray) -> float:
    """Macro F1 of always predicting the most frequent class."""
    y_true = np.asarray(y_true).astype(int)
    majority = np.bincount(y_true).argmax()
    return macro_f1(y_true, np.full_like(y_true, majority))


def mean_predictor_mse(y_true: np.ndarray) -> float:
    """MSE of always predicting the mean (the variance)."""
    y = np.asarray(y_true, dtype=float)
    return float(np.mean((y - y.mean(axis=0)) ** 2))


def median_predictor_mae(y_true: np.ndarray) -> float:
    """MAE of always predicting the median."""
    y = np.asarray(y_true, dtype=float)
    return float(np.mean(np.abs(y - np.median(y, axis=0))))
