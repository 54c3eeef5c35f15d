"""A benchmark record's ``clinical`` block: operating points, fixed-specificity points, the
Youden threshold, prevalence-adjusted PPV/NPV, the decision curve and subgroup gaps, each with
an interval.

Sensitivity, specificity, PPV and NPV at a threshold fixed before scoring the test samples
(declared, or chosen on training data) are proportions: they get Clopper-Pearson intervals,
which hold at 0 and 1 (:mod:`fmbench.statistics.score_intervals`; with a design effect over
the resampling units when samples are clustered). Quantities re-read from the test ROC curve
(fixed-specificity points), macro averages, prevalence-adjusted values and the decision curve
get percentile-bootstrap intervals. Each entry names its ``method``.

Subgroup gaps report the observed range between the best and the worst group and a chi-square
test that the rate is equal in every group of the column (Rao-Scott corrected when clustered),
Holm-adjusted across all the columns and rates of the block; ``flagged`` is that test's
verdict (:mod:`fmbench.statistics.homogeneity`), never an interval of the range.

Thresholds are never chosen on test data. The declared threshold is fixed in advance; the
Youden threshold and the training-split thresholds of the fixed points are chosen per fold on
that fold's *training* predictions (:class:`fmbench.evaluation.protocols.TrainingPredictions`) and applied
to the fold's test samples. Without a training split (split ``none``) those entries are null
with the reason.

Bootstrap intervals resample the benchmark's resampling unit (subjects move together), with
its number of resamples and confidence, from the run seed on the benchmark's own ``clinical``
stream. The thresholds chosen on training data are held fixed while the test samples are
resampled.

Example:
    >>> import numpy as np
    >>> from fmbench.evaluation.protocols import Predictions
    >>> from fmbench.plugin_system.specs import ClinicalSpec
    >>> y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> p1 = np.array([.1, .2, .3, .6, .4, .7, .8, .9])
    >>> pred = Predictions(indices=np.arange(8), y_true=y, fold=np.zeros(8, int),
    ...                    proba=np.c_[1 - p1, p1])
    >>> block = clinical_block(ClinicalSpec(), pred, seed=np.random.SeedSequence(0),
    ...                        n_resamples=200)
    >>> block["operating_point"]["sensitivity"]["value"]
    0.75
    >>> block["youden"]["reason"]
    'youden not requested'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from fmbench.errors import MetricUndefined
from fmbench.evaluation.operating_points import (
    RATES,
    binary_view,
    prevalence_adjusted,
    threshold_for_sensitivity,
    threshold_for_specificity,
    treat_all_net_benefit,
    weighted_net_benefit,
    weighted_rates,
    weighted_sensitivity_at_specificity,
    weighted_specificity_at_sensitivity,
    youden_threshold,
)
from fmbench.evaluation.protocols import Predictions
from fmbench.plugin_system.specs import BenchmarkSpec, ClinicalSpec
from fmbench.statistics.bootstrap import (
    DEFAULT_CONFIDENCE,
    percentile_interval,
    resample_weights,
    rng_seed,
    unit_codes,
)
from fmbench.statistics.homogeneity import holm, homogeneity_test
from fmbench.statistics.metric_intervals import MIN_DEFINED_SHARE
from fmbench.statistics.score_intervals import proportion_interval

__all__ = ["add_clinical", "clinical_block"]

Quantity = Callable[[np.ndarray], np.ndarray]


def _macro(arrays: list[np.ndarray]) -> np.ndarray:
    stacked = np.stack(arrays)
    defined = np.isfinite(stacked)
    count = defined.sum(axis=0)
    total = np.where(defined, stacked, 0.0).sum(axis=0)
    out = np.full(total.shape, np.nan)
    np.divide(total, count, out=out, where=count > 0)
    return out


class _Collector:
    """Quantities ``f(W) -> (b,)`` or ``(b, k)``, evaluated on all samples and on resamples."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.quantities: dict[str, Quantity] = {}

    def add(self, key: str, fn: Quantity) -> str:
        self.quantities[key] = fn
        return key

    def evaluate(
        self,
        seed: np.random.SeedSequence | int,
        n_resamples: int,
        units: np.ndarray | None,
    ) -> dict[str, dict[str, Any]]:
        ones = np.ones((1, self.n))
        codes, n_units = unit_codes(units, self.n)
        with np.errstate(invalid="ignore", divide="ignore"):
            points = {k: np.asarray(f(ones))[0] for k, f in self.quantities.items()}
            parts: dict[str, list[np.ndarray]] = {k: [] for k in self.quantities}
            for W in resample_weights(self.n, n_resamples, seed, codes=codes, n_units=n_units):
                for key, fn in self.quantities.items():
                    parts[key].append(np.asarray(fn(W), dtype=float))
        out: dict[str, dict[str, Any]] = {}
        for key, point in points.items():
            dist = np.concatenate(parts[key])
            out[key] = {"point": point, "dist": dist}
        return out


def _entry(point: float, dist: np.ndarray, confidence: float, reason: str) -> dict[str, Any]:
    if not np.isfinite(point):
        return {"value": None, "reason": reason}
    finite = dist[np.isfinite(dist)]
    entry: dict[str, Any] = {"value": round(float(point), 6) + 0.0}
    if len(finite) == 0:
        entry["interval"] = None
        entry["interval_reason"] = "undefined in every resample"
        return entry
    lo, hi = percentile_interval(finite, confidence)
    entry["interval"] = [lo, hi]
    entry["method"] = "percentile bootstrap"
    if len(finite) < len(dist):
        entry["n_used"] = len(finite)
    if hi - lo <= 0:
        entry["interval_degenerate"] = f"zero width at {lo:g}"
    elif len(finite) < MIN_DEFINED_SHARE * len(dist):
        entry["interval_degenerate"] = f"only {len(finite)} of {len(dist)} resamples defined it"
    return entry


def _proportion_entry(
    success: np.ndarray,
    counted: np.ndarray,
    units: np.ndarray | None,
    confidence: float,
    reason: str,
) -> dict[str, Any]:
    """A rate at fixed calls: the fraction of ``success`` among the ``counted`` samples, with
    its Clopper-Pearson interval."""
    if not counted.any():
        return {"value": None, "reason": reason}
    value = float(np.mean(success[counted]))
    if units is not None and len(np.unique(units)) == len(units):
        units = None  # one sample per unit: the samples are the units
    found = proportion_interval(
        success[counted], None if units is None else units[counted], confidence
    )
    entry: dict[str, Any] = {"value": round(value, 6) + 0.0}
    if isinstance(found, str):
        entry["interval"] = None
        entry["interval_reason"] = found
        return entry
    entry["interval"] = list(found.interval)
    entry["method"] = found.method
    if found.clusters is not None:
        entry["design_effect"] = found.design_effect
    return entry


_REASONS = {
    "sensitivity": "no positive test samples",
    "specificity": "no negative test samples",
    "ppv": "no test sample is called positive",
    "npv": "no test sample is called negative",
}


def _pick(fn: Callable[[np.ndarray], dict[str, np.ndarray]], rate: str) -> Quantity:
    """One rate of a function that returns all four."""
    return lambda W: fn(W)[rate]


def _rate_masks(pos: np.ndarray, called: np.ndarray, rate: str) -> tuple[np.ndarray, np.ndarray]:
    """``(success, counted)`` of a rate: e.g. sensitivity counts the positives, and a success
    is a positive called positive."""
    return {
        "sensitivity": (called, pos),
        "specificity": (~called, ~pos),
        "ppv": (pos, called),
        "npv": (~pos, ~called),
    }[rate]


class _Builder:
    """Collects the block's quantities, then fills in values and intervals."""

    def __init__(self, n: int, confidence: float, units: np.ndarray | None = None) -> None:
        self.collector = _Collector(n)
        self.confidence = confidence
        self.units = None if units is None else np.asarray(units).astype(str)
        self.slots: list[tuple[dict[str, Any], str, str, str]] = []
        self.results: dict[str, dict[str, Any]] = {}

    def scalar(self, target: dict[str, Any], name: str, fn: Quantity, reason: str) -> None:
        key = self.collector.add(f"q{len(self.collector.quantities)}", fn)
        target[name] = None
        self.slots.append((target, name, key, reason))

    def proportion(
        self, target: dict[str, Any], rate: str, pos: np.ndarray, called: np.ndarray
    ) -> None:
        """A rate at fixed calls: a proportion with a Clopper-Pearson interval (no resampling)."""
        success, counted = _rate_masks(np.asarray(pos, bool), np.asarray(called, bool), rate)
        target[rate] = _proportion_entry(
            success, counted, self.units, self.confidence, _REASONS[rate]
        )

    def rates(
        self, target: dict[str, Any], pos: np.ndarray, called: np.ndarray,
        rates: tuple[str, ...] = RATES,
    ) -> None:  # fmt: skip
        for rate in rates:
            self.proportion(target, rate, pos, called)

    def finish(
        self, seed: np.random.SeedSequence | int, n_resamples: int, units: np.ndarray | None
    ) -> None:
        self.results = self.collector.evaluate(seed, n_resamples, units)
        for target, name, key, reason in self.slots:
            res = self.results[key]
            target[name] = _entry(float(res["point"]), res["dist"], self.confidence, reason)


def _fold_thresholds(
    predictions: Predictions,
    positive_class: int,
    choose: Callable[[np.ndarray, np.ndarray], float],
) -> tuple[np.ndarray, list[float]] | str:
    """Each test sample's threshold, chosen on its fold's training predictions."""
    training = predictions.training
    if training is None:
        return "no training-split predictions"
    per_sample = np.full(len(predictions.y_true), np.nan)
    chosen: list[float] = []
    for fold in np.unique(predictions.fold):
        rows = training.fold == fold
        if not rows.any():
            return f"fold {int(fold)} has no training predictions"
        try:
            pos, score = binary_view(training.y_true[rows], training.proba[rows], positive_class)
            threshold = choose(pos, score)
        except MetricUndefined as exc:
            return f"fold {int(fold)}: its training predictions cannot set a threshold ({exc})"
        chosen.append(round(threshold, 6) if np.isfinite(threshold) else threshold)
        per_sample[predictions.fold == fold] = threshold
    return per_sample, chosen


def _thresholded(
    builder: _Builder,
    predictions: Predictions,
    pos: np.ndarray,
    score: np.ndarray,
    positive_class: int,
    choose: Callable[[np.ndarray, np.ndarray], float],
    rates: tuple[str, ...] = RATES,
) -> dict[str, Any]:
    found = _fold_thresholds(predictions, positive_class, choose)
    if isinstance(found, str):
        return {"value": None, "reason": found}
    per_sample, chosen = found
    called = score >= per_sample
    entry: dict[str, Any] = {
        "thresholds": [float(t) if np.isfinite(t) else None for t in chosen],
    }
    builder.rates(entry, pos, called, rates)
    return entry


def _training_reason(benchmark_split: str, predictions: Predictions, what: str) -> str:
    if benchmark_split == "none":
        return (
            f"split 'none' has no training split, and the {what} threshold is never chosen "
            "on test data"
        )
    return "the protocol gave no training-split predictions to choose a threshold on"


def clinical_block(
    spec: ClinicalSpec,
    predictions: Predictions,
    *,
    seed: np.random.SeedSequence | int,
    n_resamples: int,
    confidence: float = DEFAULT_CONFIDENCE,
    units: np.ndarray | None = None,
    groups: Mapping[str, tuple[np.ndarray, list[str]]] | None = None,
    split_method: str = "kfold",
) -> dict[str, Any]:
    """The ``clinical`` block of one benchmark record (see the module docstring).

    ``groups`` maps each stratification column to ``(group label of each test sample, groups
    large enough to report)``.
    """
    if predictions.proba is None:
        return {"status": "undefined", "reason": "the model gives no probabilities"}
    proba = np.asarray(predictions.proba, dtype=float)
    k = proba.shape[1]
    c = spec.positive_class
    if c >= k:
        return {
            "status": "undefined",
            "reason": f"positive_class {c} is not a class of this task ({k} classes)",
        }
    y = np.asarray(predictions.y_true)
    pos, score = binary_view(y, proba, c)
    builder = _Builder(len(y), confidence, units)
    block: dict[str, Any] = {
        "positive_class": c,
        "threshold": spec.threshold,
        "rule": f"called positive when P(class {c}) >= threshold",
    }
    called = score >= spec.threshold
    block["operating_point"] = {}
    builder.rates(block["operating_point"], pos, called)
    training_ok = spec.needs_training_predictions and predictions.training is not None
    for key, targets, at, choose_for, other in (
        ("fixed_specificity", spec.fixed_specificity, weighted_sensitivity_at_specificity,
         threshold_for_specificity, "sensitivity"),
        ("fixed_sensitivity", spec.fixed_sensitivity, weighted_specificity_at_sensitivity,
         threshold_for_sensitivity, "specificity"),
    ):  # fmt: skip
        if not targets:
            continue
        block[key] = {}
        for target in targets:
            point: dict[str, Any] = {}
            builder.scalar(
                point, other,
                lambda W, t=target, f=at: f(pos, score, W, t),  # type: ignore[misc]
                "needs positive and negative test samples",
            )  # fmt: skip
            if training_ok:
                point["training_threshold"] = _thresholded(
                    builder, predictions, pos, score, c,
                    lambda p, s, t=target, f=choose_for: f(p, s, t),  # type: ignore[misc]
                    ("sensitivity", "specificity"),
                )  # fmt: skip
            else:
                point["training_threshold"] = {
                    "value": None,
                    "reason": _training_reason(split_method, predictions, "operating"),
                }
            block[key][f"{target:g}"] = point
    if spec.youden:
        if training_ok:
            block["youden"] = _thresholded(builder, predictions, pos, score, c, youden_threshold)
        else:
            block["youden"] = {
                "value": None,
                "reason": _training_reason(split_method, predictions, "Youden"),
            }
    else:
        block["youden"] = {"value": None, "reason": "youden not requested"}
    if spec.prevalences:
        block["prevalence"] = {}
        for name, prevalence in spec.prevalences.items():
            entry: dict[str, Any] = {"prevalence": prevalence}
            for index, rate in enumerate(("ppv", "npv")):
                builder.scalar(
                    entry, rate,
                    lambda W, p=prevalence, i=index: _adjusted(pos, called, W, p)[i],  # type: ignore[misc]
                    "sensitivity or specificity is undefined",
                )  # fmt: skip
            block["prevalence"][str(name)] = entry
    curve_key = None
    if spec.decision_curve:
        grid = list(spec.decision_curve)
        curve_key = builder.collector.add(
            "decision_curve", lambda W: weighted_net_benefit(pos, score, W, grid)
        )
    if k > 2:
        _per_class(builder, block, y, proba, spec.threshold)
    if groups and spec.subgroup_gaps:
        block["subgroup_gaps"], block["subgroup_gap_test"] = _subgroup_gaps(
            pos, called, groups, units, 1 - confidence
        )
    builder.finish(seed, n_resamples, units)
    if curve_key is not None:
        block["decision_curve"] = _curve_table(
            builder, curve_key, list(spec.decision_curve), pos, confidence
        )
    return block


def _adjusted(
    pos: np.ndarray, called: np.ndarray, W: np.ndarray, prevalence: float
) -> tuple[np.ndarray, np.ndarray]:
    r = weighted_rates(pos, called, W)
    return prevalence_adjusted(r["sensitivity"], r["specificity"], prevalence)


def _curve_table(
    builder: _Builder, key: str, grid: list[float], pos: np.ndarray, confidence: float
) -> dict[str, Any]:
    import warnings

    point, dist = builder.results[key]["point"], builder.results[key]["dist"]
    alpha = (1 - confidence) / 2
    with warnings.catch_warnings():  # a threshold undefined in every resample gives NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        lo = np.nanpercentile(dist, 100 * alpha, axis=0)
        hi = np.nanpercentile(dist, 100 * (1 - alpha), axis=0)
    prevalence = float(np.mean(pos))
    return {
        "thresholds": [round(t, 6) for t in grid],
        "net_benefit": [_r(v) for v in point],
        "net_benefit_low": [_r(v) for v in lo],
        "net_benefit_high": [_r(v) for v in hi],
        "treat_all": [_r(v) for v in treat_all_net_benefit(prevalence, grid)],
        "treat_none": [0.0] * len(grid),
        "prevalence": round(prevalence, 6),
    }


def _r(value: float) -> float | None:
    return round(float(value), 6) + 0.0 if np.isfinite(value) else None  # + 0.0: no -0.0


def _per_class(
    builder: _Builder, block: dict[str, Any], y: np.ndarray, proba: np.ndarray, threshold: float
) -> None:
    """Multi-class: one-vs-rest rates per class and their macro averages."""
    per_class: dict[str, Any] = {}
    fns: dict[str, list[Callable[[np.ndarray], np.ndarray]]] = {r: [] for r in RATES}
    for c in range(proba.shape[1]):
        pos_c, score_c = binary_view(y, proba, c)
        called_c = score_c >= threshold
        per_class[str(c)] = {}

        def rates_c(W: np.ndarray, p: np.ndarray = pos_c, k: np.ndarray = called_c) -> Any:
            return weighted_rates(p, k, W)

        builder.rates(per_class[str(c)], pos_c, called_c)
        for rate in RATES:
            fns[rate].append(lambda W, f=rates_c, r=rate: f(W)[r])  # type: ignore[misc]
    block["per_class"] = per_class
    block["macro"] = {}
    for rate in RATES:
        builder.scalar(
            block["macro"], rate,
            lambda W, fs=fns[rate]: _macro([f(W) for f in fs]),  # type: ignore[misc]
            f"{rate} is undefined for every class",
        )  # fmt: skip


def _subgroup_gaps(
    pos: np.ndarray,
    called: np.ndarray,
    groups: Mapping[str, tuple[np.ndarray, list[str]]],
    units: np.ndarray | None,
    alpha: float,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Per column and rate (sensitivity, specificity at the declared threshold): the best and
    the worst group, their observed gap, and a homogeneity test over all the column's
    reported groups; ``flagged`` when the Holm-adjusted p-value over every test of the block
    is below ``alpha``. Returns ``(gaps, what the flag means)``."""
    out: dict[str, Any] = {}
    tests: list[tuple[dict[str, Any], float]] = []
    unit_labels = None if units is None else np.asarray(units).astype(str)
    clustered = unit_labels is not None and len(np.unique(unit_labels)) < len(unit_labels)
    for column, (labels, names) in groups.items():
        per_rate: dict[str, Any] = {}
        reported = np.isin(labels, names)
        for rate in ("sensitivity", "specificity"):
            success, counted = _rate_masks(pos, called, rate)
            values = {}
            for name in names:
                mask = counted & (labels == name)
                if mask.any():
                    values[name] = float(np.mean(success[mask]))
            if len(values) < 2:
                per_rate[rate] = {
                    "value": None,
                    "reason": f"fewer than two groups have a defined {rate}",
                }
                continue
            best = max(values, key=lambda g: (values[g], g))
            worst = min(values, key=lambda g: (values[g], g))
            entry: dict[str, Any] = {
                "best_group": best,
                "best": round(values[best], 6),
                "worst_group": worst,
                "worst": round(values[worst], 6),
                "gap": {"value": round(values[best] - values[worst], 6) + 0.0},
            }
            rows = counted & reported
            found = homogeneity_test(
                success[rows],
                labels[rows],
                unit_labels[rows] if clustered and unit_labels is not None else None,
            )
            if isinstance(found, str):
                entry["test"] = {"p_value": None, "reason": found}
                entry["flagged"] = False
            else:
                entry["test"] = {
                    "statistic": round(found.statistic, 6),
                    "df": found.df,
                    "p_value": float(f"{found.p_value:.6g}"),
                }
                if clustered:
                    entry["test"]["rao_scott"] = round(found.correction, 4)
                tests.append((entry, found.p_value))
            per_rate[rate] = entry
        out[column] = per_rate
    adjusted = holm([p for _, p in tests])
    for (entry, _), p_holm in zip(tests, adjusted, strict=True):
        entry["test"]["p_holm"] = float(f"{p_holm:.6g}")
        entry["flagged"] = bool(p_holm < alpha)
    meaning = {
        "test": "chi-square test that the rate is equal in every reported group of the column"
        + (" (Rao-Scott corrected for clustered samples)" if clustered else ""),
        "correction": f"Holm over the {len(tests)} tests of this block (columns x rates)",
        "alpha": round(alpha, 6),
        "flagged": "the rate differs between the groups of that column (Holm-adjusted "
        "p < alpha); the gap is the observed best-minus-worst range, which is biased upwards "
        "with many groups and is not itself tested",
    }
    return out, meaning


def add_clinical(
    benchmark: BenchmarkSpec,
    dataset: Any,
    predictions: Predictions,
    record: dict[str, Any],
    *,
    seed: int,
    n_resamples: int | None,
    units: np.ndarray | None,
) -> None:
    """Add the ``clinical`` block to a completed classification ``record`` (in place), when
    the benchmark declares one."""
    spec = benchmark.clinical
    if spec is None or benchmark.task != "classification":
        return
    from fmbench.evaluation.scoring import strata
    from fmbench.statistics.bootstrap import DEFAULT_RESAMPLES

    groups: dict[str, tuple[np.ndarray, list[str]]] = {}
    for column, entries in (record.get("stratified") or {}).items():
        found = strata(dataset, column, predictions.indices, benchmark.stratification)
        if isinstance(found, str):
            continue
        labels, _ = found
        kept = [g for g, e in entries.items() if not e.get("suppressed")]
        groups[column] = (labels, kept)
    n = n_resamples or benchmark.bootstrap.n_resamples or DEFAULT_RESAMPLES
    block = clinical_block(
        spec,
        predictions,
        seed=rng_seed(seed, benchmark.name, "clinical"),
        n_resamples=n,
        confidence=benchmark.bootstrap.confidence,
        units=units,
        groups=groups,
        split_method=benchmark.split.method,
    )
    if predictions.training is not None and "status" not in block:
        block["training_predictions"] = predictions.training.method
    record["clinical"] = block
