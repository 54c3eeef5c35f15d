"""Implementations of the built-in metrics: classification (AUROC, accuracy, balanced accuracy, macro F1) and
regression (MSE, MAE, R2, Pearson r). Each raises MetricUndefined instead of returning 0.

Example:
    >>> import numpy as np
    >>> accuracy(np.array([0, 1, 1]), np.array([0, 1, 0]))
    0.6666666666666666
"""

from __future__ import annotations

import numpy as np

from fmbench.errors import MetricUndefined
from fmbench.evaluation.finite import require_finite

__all__ = [
    "accuracy", "auroc", "balanced_accuracy", "macro_f1", "mae", "mse", "pearson_r", "r2",
]  # fmt: skip


def _classes_present(y_true: np.ndarray) -> np.ndarray:
    present = np.unique(y_true)
    if len(present) < 2:
        only = ", ".join(str(c) for c in present)
        raise MetricUndefined(f"only one class ({only}) is present in y_true")
    return present


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given their average rank (as scipy's rankdata)."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - counts + 1 + ends) / 2.0)[inverse]


def _binary_auroc(positive: np.ndarray, score: np.ndarray) -> float:
    """Mann-Whitney U / (n_pos * n_neg): the probability a positive outranks a negative."""
    ranks = _average_ranks(score)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def auroc(y_true: np.ndarray, proba: np.ndarray) -> float:
    """Area under the ROC curve; multi-class: macro one-vs-rest over the classes present.

    Computed from ranks with numpy (equal to scikit-learn's ``roc_auc_score``; tested).
    """
    y_true = np.asarray(y_true)
    require_finite(y_true, "AUROC labels")
    proba = np.asarray(proba, dtype=float)
    require_finite(proba, "AUROC scores")
    present = _classes_present(y_true)
    if proba.shape[1] == 2:
        return _binary_auroc(y_true == 1, proba[:, 1])
    return float(np.mean([_binary_auroc(y_true == c, proba[:, int(c)]) for c in present]))


def _labels(y_true: np.ndarray, y_pred: np.ndarray, metric: str) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    require_finite(y_true, f"{metric} labels")
    require_finite(y_pred, f"{metric} predicted labels")
    return y_true, y_pred


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of correct labels."""
    y_true, y_pred = _labels(y_true, y_pred, "Accuracy")
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean recall over the classes present in y_true."""
    y_true, y_pred = _labels(y_true, y_pred, "balanced accuracy")
    present = np.unique(y_true)
    return float(np.mean([np.mean(y_pred[y_true == c] == c) for c in present]))


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Unweighted mean F1 over the classes present in y_true or predicted (0 for a class with
    no true and no predicted sample cannot occur; a class never predicted scores 0)."""
    y_true, y_pred = _labels(y_true, y_pred, "macro F1")
    scores = []
    for c in np.union1d(y_true, y_pred):
        tp = np.sum((y_true == c) & (y_pred == c))
        denominator = np.sum(y_true == c) + np.sum(y_pred == c)
        scores.append(2.0 * tp / denominator if denominator else 0.0)
    return float(np.mean(scores))


def _regression_pair(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float).reshape(y_true.shape)
    require_finite(y_true, "regression targets")
    require_finite(y_pred, "regression predictions")
    return y_true, y_pred


def mse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean squared error (averaged over outputs)."""
    y_true, y_pred = _regression_pair(y_true, y_pred)
    return float(np.mean((y_true - y_pred) ** 2))


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error (averaged over outputs)."""
    y_true, y_pred = _regression_pair(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination, averaged uniformly over outputs."""
    y_true, y_pred = _regression_pair(y_true, y_pred)
    y2 = y_true.reshape(len(y_true), -1)
    p2 = y_pred.reshape(len(y_pred), -1)
    total = np.sum((y2 - y2.mean(axis=0)) ** 2, axis=0)
    if np.any(total == 0):
        raise MetricUndefined("R2 is undefined when the targets are constant")
    return float(np.mean(1 - np.sum((y2 - p2) ** 2, axis=0) / total))


def pearson_r(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Pearson correlation of targets and predictions (all outputs pooled)."""
    y_true, y_pred = _regression_pair(y_true, y_pred)
    a, b = y_true.ravel(), y_pred.ravel()
    if len(a) < 3:
        raise MetricUndefined("Pearson r needs at least 3 samples")
    if np.std(a) == 0 or np.std(b) == 0:
        raise MetricUndefined("Pearson r is undefined when targets or predictions are constant")
    return float(np.corrcoef(a, b)[0, 1])


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
