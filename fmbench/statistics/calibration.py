"""Calibration of predicted probabilities: expected calibration error, Brier score, and the
reliability curve behind the report's diagram.

ECE uses 15 equal-width confidence bins on the top label: bin ``i`` holds the samples whose
top probability lies in ``(i/15, (i+1)/15]``; ECE is the sample-weighted mean gap between
accuracy and mean confidence over the bins. Brier is the mean squared distance between the
probability vector and the one-hot label, halved for two classes so that it equals the usual
binary Brier score (scikit-learn's ``brier_score_loss`` convention).

Example:
    >>> import numpy as np
    >>> proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    >>> round(brier(np.array([0, 1, 1]), proba), 4)
    0.1367
    >>> round(ece(np.array([0, 1, 1]), proba), 4)
    0.3
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fmbench.errors import MetricUndefined
from fmbench.evaluation.finite import require_finite

__all__ = ["ECE_BINS", "brier", "ece", "reliability_curve", "weighted_brier", "weighted_ece"]

#: Number of equal-width confidence bins of the expected calibration error.
ECE_BINS = 15


def _checked(y_true: np.ndarray, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    require_finite(y_true, "calibration labels")
    y = np.asarray(y_true).astype(int)
    p = np.asarray(proba, dtype=float)
    require_finite(p, "calibration probabilities")
    if p.ndim != 2 or p.shape[0] != len(y):
        raise MetricUndefined(f"probabilities of shape {p.shape} do not match {len(y)} labels")
    if len(y) and (y.min() < 0 or y.max() >= p.shape[1]):
        raise MetricUndefined("a label has no probability column")
    return y, p


def _bin_of(confidence: np.ndarray, n_bins: int = ECE_BINS) -> np.ndarray:
    inner = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    return np.searchsorted(inner, confidence, side="left")


def _brier_terms(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    onehot = np.zeros_like(p)
    onehot[np.arange(len(y)), y] = 1.0
    terms = ((p - onehot) ** 2).sum(axis=1)
    return terms / 2 if p.shape[1] == 2 else terms


def brier(y_true: np.ndarray, proba: np.ndarray) -> float:
    """Brier score (lower is better): binary as usual, multi-class summed over classes."""
    y, p = _checked(y_true, proba)
    if len(y) == 0:
        raise MetricUndefined("no samples")
    return float(_brier_terms(y, p).mean())


def _ece_terms(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(float)
    return _bin_of(confidence), correct, confidence


def ece(y_true: np.ndarray, proba: np.ndarray) -> float:
    """Expected calibration error (top label, 15 equal-width bins; lower is better)."""
    y, p = _checked(y_true, proba)
    if len(y) == 0:
        raise MetricUndefined("no samples")
    bins, correct, confidence = _ece_terms(y, p)
    gap = np.bincount(bins, weights=correct - confidence, minlength=ECE_BINS)
    return float(np.abs(gap).sum() / len(y))


def weighted_brier(y_true: np.ndarray, proba: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Brier score of every bootstrap resample (rows of ``W``)."""
    y, p = _checked(y_true, proba)
    total = W.sum(axis=1)
    out = np.full(W.shape[0], np.nan)
    np.divide(W @ _brier_terms(y, p), total, out=out, where=total > 0)
    return out


def weighted_ece(y_true: np.ndarray, proba: np.ndarray, W: np.ndarray) -> np.ndarray:
    """ECE of every bootstrap resample (rows of ``W``)."""
    y, p = _checked(y_true, proba)
    bins, correct, confidence = _ece_terms(y, p)
    onehot = (bins[:, None] == np.arange(ECE_BINS)[None, :]).astype(float)
    gap = W @ (onehot * (correct - confidence)[:, None])
    total = W.sum(axis=1)
    out = np.full(W.shape[0], np.nan)
    np.divide(np.abs(gap).sum(axis=1), total, out=out, where=total > 0)
    return out


def reliability_curve(y_true: np.ndarray, proba: np.ndarray) -> dict[str, Any]:
    """Per bin: mean confidence, accuracy and count (bins without samples are left out).

    Example:
        >>> curve = reliability_curve(np.array([0, 1]), np.array([[0.9, 0.1], [0.3, 0.7]]))
        >>> curve["count"]
        [1, 1]
    """
    y, p = _checked(y_true, proba)
    bins, correct, confidence = _ece_terms(y, p)
    count = np.bincount(bins, minlength=ECE_BINS)
    acc = np.bincount(bins, weights=correct, minlength=ECE_BINS)
    conf = np.bincount(bins, weights=confidence, minlength=ECE_BINS)
    used = count > 0
    edges = np.linspace(0.0, 1.0, ECE_BINS + 1)
    return {
        "lower": edges[:-1][used].round(6).tolist(),
        "upper": edges[1:][used].round(6).tolist(),
        "confidence": (conf[used] / count[used]).round(6).tolist(),
        "accuracy": (acc[used] / count[used]).round(6).tolist(),
        "count": count[used].astype(int).tolist(),
    }
