"""Cohen's kappa, written with numpy only.

Example:
    >>> import numpy as np
    >>> cohen_kappa(np.array([0, 1, 1, 0]), np.array([0, 1, 1, 0]))
    1.0
    >>> round(cohen_kappa(np.array([0, 1, 0, 1]), np.array([0, 0, 1, 1])), 6)
    0.0
"""

from __future__ import annotations

import numpy as np

import fmbench

__all__ = ["cohen_kappa"]


def cohen_kappa(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """``(p_observed - p_chance) / (1 - p_chance)`` over the labels in either array.

    Raises:
        fmbench.MetricUndefined: when chance agreement is 1 (one label everywhere), where
            kappa has no value; fmbench then reports it as null with this reason.
    """
    truth = np.asarray(y_true).astype(np.int64).ravel()
    pred = np.asarray(y_pred).astype(np.int64).ravel()
    if len(truth) == 0:
        raise fmbench.MetricUndefined("no samples")
    labels = np.union1d(truth, pred)
    t = np.searchsorted(labels, truth)
    p = np.searchsorted(labels, pred)
    table = np.zeros((len(labels), len(labels)))
    np.add.at(table, (t, p), 1.0)
    table /= table.sum()
    observed = float(np.trace(table))
    expected = float(table.sum(axis=1) @ table.sum(axis=0))
    if expected >= 1.0 - 1e-12:
        raise fmbench.MetricUndefined("kappa is undefined when one label is used everywhere")
    return (observed - expected) / (1.0 - expected)
