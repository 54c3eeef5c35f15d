"""Built-in metrics, registered through the metric hook (implementations in metric_functions).

Classification: AUROC, accuracy, balanced accuracy, macro F1; regression: MSE, MAE, R2, Pearson r.
"""

from __future__ import annotations

from collections.abc import Iterator

from fmbench.hookspecs import hookimpl
from fmbench.specs import MetricSpec

_M = "fmbench.builtin.metric_functions:"


@hookimpl
def fmbench_metrics() -> Iterator[MetricSpec]:
    yield MetricSpec(
        name="AUROC",
        summary="area under the ROC curve (macro one-vs-rest for k>2)",
        task="classification",
        needs="proba",
        compute=_M + "auroc",
        range=(0.0, 1.0),
        chance=0.5,
    )
    yield MetricSpec(
        name="Accuracy",
        summary="fraction of correctly predicted labels",
        task="classification",
        needs="label",
        compute=_M + "accuracy",
        range=(0.0, 1.0),
        chance=_M + "majority_rate",
    )
    yield MetricSpec(
        name="BalancedAccuracy",
        summary="mean per-class recall",
        task="classification",
        needs="label",
        compute=_M + "balanced_accuracy",
        range=(0.0, 1.0),
        chance=_M + "uniform_rate",
    )
    yield MetricSpec(
        name="F1-Score",
        summary="macro-averaged F1 over classes",
        task="classification",
        needs="label",
        compute=_M + "macro_f1",
        range=(0.0, 1.0),
        chance=_M + "majority_macro_f1",
    )
    yield MetricSpec(
        name="MSE",
        summary="mean squared error",
        task="regression",
        needs="value",
        compute=_M + "mse",
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
        range=(float("-inf"), 1.0),
        chance=0.0,
    )
    yield MetricSpec(
        name="PearsonR",
        summary="Pearson correlation of targets and predictions",
        task="regression",
        needs="value",
        compute=_M + "pearson_r",
        range=(-1.0, 1.0),
        chance=0.0,
    )
