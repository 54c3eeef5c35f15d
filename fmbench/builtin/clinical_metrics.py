"""Built-in clinical operating-point metrics, registered through the metric hook.

Binary tasks: the positive class is 1, called positive when its probability is at least 0.5.
Multi-class tasks: the macro average of one-vs-rest values over the classes. Benchmarks that
need another threshold, other fixed points or a Youden threshold declare a ``clinical:`` block
(see ``docs/clinical.md``); these metrics are for ``metrics.secondary`` lists and leaderboards.
"""

from __future__ import annotations

from collections.abc import Iterator

from fmbench.plugin_system.hookspecs import hookimpl
from fmbench.plugin_system.specs import MetricSpec

_C = "fmbench.evaluation.operating_points:"

_RATES = (
    ("Sensitivity", "sensitivity", "true-positive rate (recall) at threshold 0.5"),
    ("Specificity", "specificity", "true-negative rate at threshold 0.5"),
    ("PPV", "ppv", "positive predictive value (precision) at threshold 0.5"),
    ("NPV", "npv", "negative predictive value at threshold 0.5"),
)
_POINTS = (
    ("SensitivityAtSpecificity90", "sensitivity_at_specificity_90", "sensitivity", 90),
    ("SensitivityAtSpecificity95", "sensitivity_at_specificity_95", "sensitivity", 95),
    ("SpecificityAtSensitivity90", "specificity_at_sensitivity_90", "specificity", 90),
    ("SpecificityAtSensitivity95", "specificity_at_sensitivity_95", "specificity", 95),
)


@hookimpl
def fmbench_metrics() -> Iterator[MetricSpec]:
    for name, function, summary in _RATES:
        yield MetricSpec(
            name=name,
            summary=summary + " (multi-class: macro one-vs-rest)",
            task="classification",
            needs="proba",
            compute=_C + function,
            weighted=_C + "weighted_" + function,
            range=(0.0, 1.0),
        )
    for name, function, what, percent in _POINTS:
        other = "specificity" if what == "sensitivity" else "sensitivity"
        yield MetricSpec(
            name=name,
            summary=f"highest {what} on the ROC curve where {other} >= {percent}% "
            "(multi-class: macro one-vs-rest)",
            task="classification",
            needs="proba",
            compute=_C + function,
            weighted=_C + "weighted_" + function,
            range=(0.0, 1.0),
        )
