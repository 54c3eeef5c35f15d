"""Built-in metrics, registered through the metric hook.

Classification: AUROC, accuracy, balanced accuracy, macro F1 (implementations in
:mod:`fmbench.builtin.metric_functions`), and the calibration metrics ECE and Brier (from
:mod:`fmbench.statistics.calibration`); regression: MSE, MAE, R2, Pearson r. Each has a vectorised
bootstrap form (``weighted``, in :mod:`fmbench.statistics.bootstrap`) and raises MetricUndefined instead of
returning 0.
"""

from __future__ import annotations

from collections.abc import Iterator

from fmbench.plugin_system.hookspecs import hookimpl
from fmbench.plugin_system.specs import MetricSpec

_M = "fmbench.builtin.metric_functions:"
_C = "fmbench.statistics.calibration:"


@hookimpl
def fmbench_metrics() -> Iterator[MetricSpec]:
    yield MetricSpec(
        name="AUROC",
        summary="area under the ROC curve (macro one-vs-rest for k>2)",
        task="classification",
        needs="proba",
        compute=_M + "auroc",
        weighted=_M + "weighted_auroc",
        range=(0.0, 1.0),
        chance=0.5,
    )
    yield MetricSpec(
        name="Accuracy",
        summary="fraction of correctly predicted labels",
        task="classification",
        needs="label",
        compute=_M + "accuracy",
        weighted=_M + "weighted_accuracy",
        range=(0.0, 1.0),
        chance=_M + "majority_rate",
    )
    yield MetricSpec(
        name="BalancedAccuracy",
        summary="mean per-class recall",
        task="classification",
        needs="label",
        compute=_M + "balanced_accuracy",
        weighted=_M + "weighted_balanced_accuracy",
        range=(0.0, 1.0),
        chance=_M + "uniform_rate",
    )
    yield MetricSpec(
        name="F1-Score",
        summary="macro-averaged F1 over classes",
        task="classification",
        needs="label",
        compute=_M + "macro_f1",
        weighted=_M + "weighted_macro_f1",
        range=(0.0, 1.0),
        chance=_M + "majority_macro_f1",
    )
    yield MetricSpec(
        name="MSE",
        summary="mean squared error",
        task="regression",
        needs="value",
        compute=_M + "mse",
        weighted=_M + "weighted_mse",
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
        weighted=_M + "weighted_mae",
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
        weighted=_M + "weighted_r2",
        range=(float("-inf"), 1.0),
        chance=0.0,
    )
    yield MetricSpec(
        name="PearsonR",
        summary="Pearson correlation of targets and predictions",
        task="regression",
        needs="value",
        compute=_M + "pearson_r",
        weighted=_M + "weighted_pearson_r",
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
