"""The metric layer refuses NaN and infinite inputs (issue #19, defect 9): every built-in metric,
its weighted bootstrap form, the operating-point functions, and any metric scored through
fmbench (plugin metrics too) raise NonFiniteError instead of returning a plausible number."""

from __future__ import annotations

import numpy as np
import pytest

from fmbench.errors import DataError, NonFiniteError
from fmbench.evaluation import operating_points as op
from fmbench.evaluation.protocols import Predictions
from fmbench.plugin_system.registry import build_registry
from fmbench.plugin_system.specs import MetricSpec, resolve


@pytest.fixture(scope="module")
def registry():  # type: ignore[no-untyped-def]
    return build_registry(external=False)


def _inputs(needs: str, task: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    if task == "regression":
        y = rng.normal(size=40)
        return y, y + rng.normal(scale=0.5, size=40)
    y = np.tile([0, 1], 20)
    p1 = np.clip(0.4 * y + 0.6 * rng.random(40), 0, 1)
    if needs == "proba":
        return y, np.c_[1 - p1, p1]
    return y, (p1 > 0.5).astype(float)


def _poisoned(score: np.ndarray, kind: str) -> np.ndarray:
    bad = np.array(score, dtype=float, copy=True)
    if kind == "one NaN row":
        bad[3] = np.nan
    elif kind == "an infinite value":
        bad.reshape(len(bad), -1)[5, -1] = np.inf
    else:  # the whole (last) column NaN
        bad.reshape(len(bad), -1)[:, -1] = np.nan
    return bad


BUILTIN = ["AUROC", "Accuracy", "BalancedAccuracy", "F1-Score", "MSE", "MAE", "R2", "PearsonR",
           "ECE", "Brier", "Sensitivity", "Specificity", "PPV", "NPV",
           "SensitivityAtSpecificity90", "SpecificityAtSensitivity95"]  # fmt: skip


@pytest.mark.parametrize("kind", ["one NaN row", "an infinite value", "an all-NaN column"])
@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_metrics_and_weighted_forms_refuse_non_finite_scores(registry, name, kind) -> None:  # type: ignore[no-untyped-def]
    spec = registry.get(MetricSpec, name)
    y, score = _inputs(spec.needs, spec.task)
    bad = _poisoned(score, kind)
    with pytest.raises(NonFiniteError, match="NaN or infinite"):
        resolve(spec.compute)(y, bad)
    assert spec.weighted is not None
    with pytest.raises(NonFiniteError, match="NaN or infinite"):
        resolve(spec.weighted)(y, bad, np.ones((3, len(y))))


def test_nan_labels_are_refused_too(registry) -> None:  # type: ignore[no-untyped-def]
    y, score = _inputs("proba", "classification")
    y_nan = y.astype(float)
    y_nan[0] = np.nan
    for name in ("AUROC", "Accuracy", "Brier"):
        spec = registry.get(MetricSpec, name)
        s = score if spec.needs == "proba" else score.argmax(axis=1)
        with pytest.raises(NonFiniteError, match="labels"):
            resolve(spec.compute)(y_nan, s)


def test_operating_point_functions_refuse_nan_scores() -> None:
    pos = np.array([0, 0, 1, 1], bool)
    score = np.array([0.1, np.nan, 0.7, 0.9])
    for call in (
        lambda: op.youden_threshold(pos, score),
        lambda: op.threshold_for_specificity(pos, score, 0.9),
        lambda: op.sensitivity_at_specificity(pos, score, 0.9),
        lambda: op.rates_at(pos, score, 0.5),
        lambda: op.net_benefit(pos, score, [0.2]),
    ):
        with pytest.raises(NonFiniteError):
            call()


def test_the_error_is_a_one_line_data_error_naming_the_rows() -> None:
    from fmbench.builtin.metric_functions import auroc

    proba = np.full((10, 2), 0.5)
    proba[[2, 7], 1] = np.nan
    with pytest.raises(DataError) as err:
        auroc(np.tile([0, 1], 5), proba)
    message = str(err.value)
    assert "\n" not in message
    assert "2 of 10 rows" in message and "first: row 2" in message
    assert isinstance(err.value, ValueError)  # what numpy/scikit-learn users catch


def test_scoring_layer_protects_plugin_metrics(registry) -> None:  # type: ignore[no-untyped-def]
    """A plugin metric that would happily average NaN never sees it."""
    import attrs

    from fmbench.evaluation.scoring import score_metrics
    from fmbench.statistics.bootstrap import bootstrap_intervals

    lenient = attrs.evolve(
        registry.get(MetricSpec, "Accuracy"), name="Lenient", compute="numpy:nanmean", weighted=None
    )
    proba = np.full((6, 2), 0.5)
    proba[0] = np.nan
    pred = Predictions(indices=np.arange(6), y_true=np.array([0, 1] * 3), fold=np.zeros(6, int),
                       labels=np.array([0.0, 1, 0, 1, np.nan, 1]), proba=proba)  # fmt: skip
    with pytest.raises(NonFiniteError, match="Lenient: the predicted labels"):
        bootstrap_intervals({"Lenient": lenient}, pred, seed=0, n_resamples=5)

    class OneRegistry:
        def get(self, kind: str, name: str):  # type: ignore[no-untyped-def]
            return lenient

    with pytest.raises(NonFiniteError):
        score_metrics(OneRegistry(), ["Lenient"], pred)  # type: ignore[arg-type]
