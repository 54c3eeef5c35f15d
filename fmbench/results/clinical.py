"""A benchmark's ``clinical`` block, typed (written by :mod:`fmbench.statistics.clinical_block`).

The block holds the rates at the declared threshold (``operating_point``), the points at a
fixed specificity or sensitivity, the Youden threshold, prevalence-adjusted PPV/NPV, the
decision curve and the subgroup gaps; each number is a :class:`ClinicalValue` (a value with
its interval and how it was made, or null with the reason). docs/clinical.md explains them.

Keys a record does not know are kept in ``extra`` and every key keeps its place, so
``ClinicalResult.from_dict(d).to_dict() == d`` (see :mod:`fmbench.results.blocks`).

Example:
    >>> block = ClinicalResult.from_dict({
    ...     "positive_class": 1, "threshold": 0.5,
    ...     "operating_point": {
    ...         "sensitivity": {"value": 0.85, "interval": [0.76, 0.91],
    ...                         "method": "clopper-pearson"},
    ...         "ppv": {"value": None, "reason": "no test sample is called positive"}},
    ...     "fixed_specificity": {"0.9": {"sensitivity": {"value": 0.7},
    ...                                   "training_threshold": {"value": None,
    ...                                                          "reason": "split 'none'"}}},
    ...     "youden": {"value": None, "reason": "youden not requested"}})
    >>> block.operating_point.sensitivity.interval
    (0.76, 0.91)
    >>> block.operating_point.ppv.reason
    'no test sample is called positive'
    >>> block.fixed_specificity["0.9"].sensitivity.value
    0.7
    >>> block.youden.reason
    'youden not requested'
    >>> ClinicalValue(value=None, reason="no positives").to_dict()
    {'value': None, 'reason': 'no positives'}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from fmbench.results.blocks import Block

__all__ = [
    "ClinicalRates",
    "ClinicalResult",
    "ClinicalValue",
    "DecisionCurve",
    "FixedPoint",
    "GapTest",
    "PrevalencePoint",
    "SubgroupGap",
    "SubgroupGapTest",
]


def _extra() -> Any:
    return attrs.field(factory=dict)


def _layout() -> Any:
    return attrs.field(default=(), eq=False, repr=False)


@attrs.frozen(kw_only=True)
class ClinicalValue(Block):
    """A clinical number with its interval, or null with the reason.

    Attributes:
        value: the point estimate (null when undefined on the test data, see ``reason``).
        interval: ``(low, high)`` at the benchmark's confidence (null: see
            ``interval_reason``).
        method: ``clopper-pearson`` (a rate at fixed calls) or ``percentile bootstrap``.
        reason: why ``value`` is null.
        interval_reason: why ``interval`` is null although there is a value.
        n_used: resamples that defined the value, when some did not.
        design_effect: the clustering design effect of a Clopper-Pearson interval.
        interval_degenerate: why the interval says little (zero width, few resamples).
    """

    ALWAYS: ClassVar[tuple[str, ...]] = ("value",)

    value: float | None = None
    interval: tuple[float, float] | None = None
    method: str | None = None
    reason: str | None = None
    interval_reason: str | None = None
    n_used: int | None = None
    design_effect: float | None = None
    interval_degenerate: str | None = None
    extra: Mapping[str, Any] = _extra()
    layout: tuple[str, ...] = _layout()


@attrs.frozen(kw_only=True)
class ClinicalRates(Block):
    """Sensitivity, specificity, PPV and NPV at one threshold (per fold when chosen on
    training data), or null with the reason when no threshold could be chosen.

    Attributes:
        thresholds: the threshold chosen on each fold's training predictions (Youden,
            training-split fixed points; absent for the declared threshold).
        sensitivity, specificity, ppv, npv: the rates (a fixed point's training threshold
            reports sensitivity and specificity only).
        value: null when the rates could not be computed (written beside ``reason``).
        reason: why there are no rates.
    """

    thresholds: tuple[float | None, ...] | None = None
    sensitivity: ClinicalValue | None = None
    specificity: ClinicalValue | None = None
    ppv: ClinicalValue | None = None
    npv: ClinicalValue | None = None
    value: float | None = None
    reason: str | None = None
    extra: Mapping[str, Any] = _extra()
    layout: tuple[str, ...] = _layout()


@attrs.frozen(kw_only=True)
class FixedPoint(Block):
    """One target of ``fixed_specificity`` (or ``fixed_sensitivity``): the other rate read
    from the test ROC curve, and the rates at the threshold chosen on training data.

    Attributes:
        sensitivity: at a fixed specificity, the sensitivity reached.
        specificity: at a fixed sensitivity, the specificity reached.
        training_threshold: both rates at the per-fold training-split threshold.
    """

    sensitivity: ClinicalValue | None = None
    specificity: ClinicalValue | None = None
    training_threshold: ClinicalRates | None = None
    extra: Mapping[str, Any] = _extra()
    layout: tuple[str, ...] = _layout()


@attrs.frozen(kw_only=True)
class PrevalencePoint(Block):
    """PPV and NPV adjusted to a declared prevalence (e.g. screening, specialist clinic)."""

    ALWAYS: ClassVar[tuple[str, ...]] = ("prevalence", "ppv", "npv")

    prevalence: float | None = None
    ppv: ClinicalValue | None = None
    npv: ClinicalValue | None = None
    extra: Mapping[str, Any] = _extra()
    layout: tuple[str, ...] = _layout()


@attrs.frozen(kw_only=True)
class DecisionCurve(Block):
    """Net benefit over a grid of threshold probabilities, with its interval and the
    treat-all / treat-none references."""

    thresholds: tuple[float, ...] | None = None
    net_benefit: tuple[float | None, ...] | None = None
    net_benefit_low: tuple[float | None, ...] | None = None
    net_benefit_high: tuple[float | None, ...] | None = None
    treat_all: tuple[float | None, ...] | None = None
    treat_none: tuple[float, ...] | None = None
    prevalence: float | None = None
    extra: Mapping[str, Any] = _extra()
    layout: tuple[str, ...] = _layout()


@attrs.frozen(kw_only=True)
class GapTest(Block):
    """The homogeneity test of one subgroup gap (null p-value with the reason when none)."""

    statistic: float | None = None
    df: int | None = None
    p_value: float | None = None
    rao_scott: float | None = None
    p_holm: float | None = None
    reason: str | None = None
    extra: Mapping[str, Any] = _extra()
    layout: tuple[str, ...] = _layout()


@attrs.frozen(kw_only=True)
class SubgroupGap(Block):
    """A rate's best and worst group in one stratification column, the observed gap and its
    test (``flagged``: the Holm-adjusted test rejects equal rates), or null with the reason."""

    best_group: str | None = None
    best: float | None = None
    worst_group: str | None = None
    worst: float | None = None
    gap: ClinicalValue | None = None
    test: GapTest | None = None
    flagged: bool | None = None
    value: float | None = None
    reason: str | None = None
    extra: Mapping[str, Any] = _extra()
    layout: tuple[str, ...] = _layout()


@attrs.frozen(kw_only=True)
class SubgroupGapTest(Block):
    """What a subgroup gap's ``flagged`` means: the test, its correction and alpha."""

    test: str | None = None
    correction: str | None = None
    alpha: float | None = None
    flagged: str | None = None
    extra: Mapping[str, Any] = _extra()
    layout: tuple[str, ...] = _layout()


@attrs.frozen(kw_only=True)
class ClinicalResult(Block):
    """A benchmark's ``clinical`` block.

    Attributes:
        status: ``undefined`` when no block could be made (see ``reason``).
        reason: why (the model gives no probabilities, the class does not exist...).
        positive_class: the class called positive.
        threshold: the declared threshold on P(positive class).
        rule: the calling rule in words.
        operating_point: the rates at the declared threshold.
        fixed_specificity: per target specificity (key ``f"{target:g}"``).
        fixed_sensitivity: per target sensitivity.
        youden: the rates at the Youden threshold chosen on training data.
        prevalence: per named prevalence, the adjusted PPV and NPV.
        per_class: multi-class: one-vs-rest rates per class (key: the class index).
        macro: multi-class: the rates' macro averages.
        subgroup_gaps: per stratification column and rate, the gap between groups.
        subgroup_gap_test: what ``flagged`` means in ``subgroup_gaps``.
        decision_curve: net benefit over threshold probabilities.
        training_predictions: how the training-split predictions were made.
    """

    status: str | None = None
    reason: str | None = None
    positive_class: int | None = None
    threshold: float | None = None
    rule: str | None = None
    operating_point: ClinicalRates | None = None
    fixed_specificity: Mapping[str, FixedPoint] | None = None
    fixed_sensitivity: Mapping[str, FixedPoint] | None = None
    youden: ClinicalRates | None = None
    prevalence: Mapping[str, PrevalencePoint] | None = None
    per_class: Mapping[str, ClinicalRates] | None = None
    macro: ClinicalRates | None = None
    subgroup_gaps: Mapping[str, Mapping[str, SubgroupGap]] | None = None
    subgroup_gap_test: SubgroupGapTest | None = None
    decision_curve: DecisionCurve | None = None
    training_predictions: str | None = None
    extra: Mapping[str, Any] = _extra()
    layout: tuple[str, ...] = _layout()

    @property
    def defined(self) -> bool:
        """False when the block says why it could not be made (``status: undefined``)."""
        return self.status != "undefined"
