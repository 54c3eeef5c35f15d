"""ECE and Brier against slow references and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss

from fmbench.statistics.calibration import brier, ece, reliability_curve


def _slow_ece(y: np.ndarray, proba: np.ndarray, bins: int = 15) -> float:
    total = 0.0
    confidence, predicted = proba.max(axis=1), proba.argmax(axis=1)
    for i in range(bins):
        lo, hi = i / bins, (i + 1) / bins
        inside = [
            j for j in range(len(y))
            if (lo < confidence[j] <= hi) or (i == 0 and confidence[j] == 0)
        ]  # fmt: skip
        if inside:
            acc = np.mean([predicted[j] == y[j] for j in inside])
            conf = np.mean([confidence[j] for j in inside])
            total += len(inside) / len(y) * abs(acc - conf)
    return total


@pytest.mark.parametrize("k", [2, 4])
def test_ece_matches_a_slow_reference(k: int) -> None:
    rng = np.random.default_rng(k)
    y = rng.integers(0, k, 500)
    proba = rng.dirichlet(np.ones(k) * 0.5, 500)
    assert ece(y, proba) == pytest.approx(_slow_ece(y, proba), abs=1e-12)


def test_brier_matches_sklearn() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    p1 = rng.random(300)
    assert brier(y, np.c_[1 - p1, p1]) == pytest.approx(brier_score_loss(y, p1))
    y3 = rng.integers(0, 3, 300)
    p3 = rng.dirichlet(np.ones(3), 300)
    assert brier(y3, p3) == pytest.approx(brier_score_loss(y3, p3, labels=[0, 1, 2]))


def test_perfectly_calibrated_and_confident() -> None:
    y = np.array([0, 1, 1, 0])
    proba = np.eye(2)[y]
    assert ece(y, proba) == 0.0
    assert brier(y, proba) == 0.0
    curve = reliability_curve(y, proba)
    assert curve["count"] == [4]
    assert curve["accuracy"] == [1.0]
