"""Built-in metrics agree with scikit-learn and refuse to invent values."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from fmbench.builtin import metric_functions as m
from fmbench.errors import MetricUndefined


@pytest.fixture
def binary():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    p1 = np.clip(0.3 * y + rng.random(300) * 0.7, 0, 1)
    return y, np.column_stack([1 - p1, p1])


def test_binary_metrics_match_sklearn(binary):
    y, proba = binary
    pred = proba.argmax(axis=1)
    assert m.auroc(y, proba) == pytest.approx(skm.roc_auc_score(y, proba[:, 1]))
    assert m.accuracy(y, pred) == pytest.approx(skm.accuracy_score(y, pred))
    assert m.balanced_accuracy(y, pred) == pytest.approx(skm.balanced_accuracy_score(y, pred))
    assert m.macro_f1(y, pred) == pytest.approx(skm.f1_score(y, pred, average="macro"))


def test_multiclass_auroc_is_macro_ovr():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 4, 400)
    proba = rng.dirichlet(np.ones(4), 400)
    assert m.auroc(y, proba) == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr", average="macro")
    )


def test_regression_metrics_match_sklearn():
    rng = np.random.default_rng(3)
    y = rng.standard_normal(100)
    pred = y + rng.standard_normal(100) * 0.5
    assert m.mse(y, pred) == pytest.approx(skm.mean_squared_error(y, pred))
    assert m.mae(y, pred) == pytest.approx(skm.mean_absolute_error(y, pred))
    assert m.r2(y, pred) == pytest.approx(skm.r2_score(y, pred))
    assert m.pearson_r(y, pred) == pytest.approx(np.corrcoef(y, pred)[0, 1])


def test_undefined_cases_raise_instead_of_zero():
    with pytest.raises(MetricUndefined, match="only one class"):
        m.auroc(np.zeros(5, int), np.full((5, 2), 0.5))
    with pytest.raises(MetricUndefined, match="constant"):
        m.r2(np.ones(5), np.arange(5.0))
    with pytest.raises(MetricUndefined, match="constant"):
        m.pearson_r(np.arange(5.0), np.ones(5))


def test_chance_levels():
    y = np.array([0, 0, 0, 1])
    assert m.majority_rate(y) == 0.75
    assert m.uniform_rate(y) == 0.5
    assert m.majority_macro_f1(y) == pytest.approx(
        skm.f1_score(y, np.zeros(4, int), average="macro")
    )


def test_rank_auroc_and_numpy_f1_match_sklearn_with_ties_and_missing_classes():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 500)
    score = np.round(rng.random(500) + 0.3 * y, 1)  # many ties
    proba = np.column_stack([1 - score / 2, score / 2])
    assert m.auroc(y, proba) == pytest.approx(skm.roc_auc_score(y, proba[:, 1]))
    y3 = rng.integers(0, 4, 300)
    pred3 = np.where(rng.random(300) < 0.5, y3, 0)  # class 3 partly never predicted
    assert m.macro_f1(y3, pred3) == pytest.approx(
        skm.f1_score(y3, pred3, average="macro", zero_division=0.0)
    )
    pred_extra = np.where(rng.random(300) < 0.1, 5, y3)  # a class only predicted: an error
    assert m.macro_f1(y3, pred_extra) == pytest.approx(  # of the true class, not a class
        skm.f1_score(y3, pred_extra, labels=np.unique(y3), average="macro", zero_division=0.0)
    )


def test_macro_f1_of_a_label_defined_stratum_is_over_its_own_classes():
    """Issue #19.10: in a stratum made of the common classes, a few cells called a rare class
    used to add rare classes with F1 0 to the mean (F1 0.590 at accuracy 0.979)."""
    y = np.repeat([0, 1, 2, 3], 50)  # the "common" stratum: classes 0-3 of 8
    pred = y.copy()
    pred[::25] = 7  # 8 of 200 cells called a rare class
    value = m.macro_f1(y, pred)
    assert value == pytest.approx(
        skm.f1_score(y, pred, labels=[0, 1, 2, 3], average="macro", zero_division=0.0)
    )
    assert value > 0.97  # before: the mean took class 7's F1 of 0 as a fifth class (0.78)
    W = np.ones((1, len(y)))
    assert m.weighted_macro_f1(y, pred, W)[0] == pytest.approx(value)
