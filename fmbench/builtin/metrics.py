"""Built-in metrics: classification (AUROC, accuracy, balanced accuracy, macro F1, and the
calibration metrics ECE and Brier from :mod:`fmbench.calibration`) and regression (MSE, MAE,
R2, Pearson r). Each has a vectorised bootstrap form (``weighted``, in
:mod:`fmbench.bootstrap`) and raises MetricUndefined instead of returning 0.

Example:
    >>> import numpy as np
    >>> accuracy(np.array([0, 1, 1]), np.array([0, 1, 0]))
    0.6666666666666666
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from fmbench.errors import MetricUndefined
from fmbench.hookspecs import hookimpl
from fmbench.specs import MetricSpec

__all__ = [
    "accuracy", "auroc", "balanced_accuracy", "macro_f1", "mae", "mse", "pearson_r", "r2",
]  # fmt: skip


def _classes_present(y_true: np.ndarray) -> np.ndarray:
    present = np.unique(y_true)
    if len(present) < 2:
        only = ", ".join(str(c) for c in present)
        raise MetricUndefined(f"only one class ({only}) is present in y_true")
    return present


def auroc(y_true: np.ndarray, proba: np.ndarray) -> float:
    """Area under the ROC curve; multi-class: macro one-vs-rest over the classes present."""
    from sklearn.metrics import roc_auc_score

    present = _classes_present(y_true)
    proba = np.asarray(proba, dtype=float)
    if proba.shape[1] == 2:
        return float(roc_auc_score(y_true, proba[:, 1]))
    scores = [roc_auc_score(y_true == c, proba[:, int(c)]) for c in present]
    return float(np.mean(scores))


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of correct labels."""
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean recall over the classes present in y_true."""
    present = np.unique(y_true)
    return float(np.mean([np.mean(y_pred[y_true == c] == c) for c in present]))


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Unweighted mean F1 over the classes present in y_true or predicted."""
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, average="macro", zero_division=0.0))


def _regression_pair(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float).reshape(y_true.shape)
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


_M = "fmbench.builtin.metrics:"
_B = "fmbench.bootstrap:"
_C = "fmbench.calibration:"


@hookimpl
def fmbench_metrics() -> Iterator[MetricSpec]:
    yield MetricSpec(
        name="AUROC",
        summary="area under the ROC curve (macro one-vs-rest for k>2)",
        task="classification",
        needs="proba",
        compute=_M + "auroc",
        weighted=_B + "weighted_auroc",
        range=(0.0, 1.0),
        chance=0.5,
    )
    yield MetricSpec(
        name="Accuracy",
        summary="fraction of correctly predicted labels",
        task="classification",
        needs="label",
        compute=_M + "accuracy",
        weighted=_B + "weighted_accuracy",
        range=(0.0, 1.0),
        chance=_M + "majority_rate",
    )
    yield MetricSpec(
        name="BalancedAccuracy",
        summary="mean per-class recall",
        task="classification",
        needs="label",
        compute=_M + "balanced_accuracy",
        weighted=_B + "weighted_balanced_accuracy",
        range=(0.0, 1.0),
        chance=_M + "uniform_rate",
    )
    yield MetricSpec(
        name="F1-Score",
        summary="macro-averaged F1 over classes",
        task="classification",
        needs="label",
        compute=_M + "macro_f1",
        weighted=_B + "weighted_macro_f1",
        range=(0.0, 1.0),
        chance=_M + "majority_macro_f1",
    )
    yield MetricSpec(
        name="MSE",
        summary="mean squared error",
        task="regression",
        needs="value",
        compute=_M + "mse",
        weighted=_B + "weighted_mse",
        direction="lower",
        range=(0.0, float("inf")),
        chance=_M + "mean_predictor_mse",
    )
    yield MetricSpec(
        name="MAE",
        summary="mean absolute error",
        task="regression",
        needs="value",
        compute=_M + "mae",
        weighted=_B + "weighted_mae",
        direction="lower",
        range=(0.0, float("inf")),
        chance=_M + "median_predictor_mae",
    )
    yield MetricSpec(
        name="R2",
        summary="coefficient of determination",
        task="regression",
        needs="value",
        compute=_M + "r2",
        weighted=_B + "weighted_r2",
        range=(float("-inf"), 1.0),
        chance=0.0,
    )
    yield MetricSpec(
        name="PearsonR",
        summary="Pearson correlation of targets and predictions",
        task="regression",
        needs="value",
        compute=_M + "pearson_r",
        weighted=_B + "weighted_pearson_r",
        range=(-1.0, 1.0),
        chance=0.0,
    )
    yield MetricSpec(
        name="ECE",
        summary="expected calibration error: top label, 15 equal-width confidence bins",
        task="classification",
        needs="proba",
        compute=_C + "ece",
        weighted=_C + "weighted_ece",
        direction="lower",
        range=(0.0, 1.0),
    )
    yield MetricSpec(
        name="Brier",
        summary="Brier score: squared error of the probabilities (binary: of the positive class)",
        task="classification",
        needs="proba",
        compute=_C + "brier",
        weighted=_C + "weighted_brier",
        direction="lower",
        range=(0.0, 2.0),
    )
