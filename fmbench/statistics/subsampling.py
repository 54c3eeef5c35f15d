"""Half-sampling intervals for metrics that compare samples with each other.

A bootstrap resample repeats samples. For a silhouette a repeated cell sits at distance 0 from
its copy, and for a pair-counting index (ARI) a cell and its copy form a pair that always
agrees, so resampled values drift upwards (a silhouette of -0.0019 had a bootstrap mean of
+0.0048). Half-sampling draws ``m = n/2`` units *without* replacement instead (an m-out-of-n
subsample, Politis & Romano): no sample appears twice, and for a smooth statistic the spread
of half-sample values around their mean matches the spread of the full-sample estimate
(``Var(m of n) ≈ σ²(1/m - 1/n) = σ²/n`` at ``m = n/2``). The interval is the *basic* one
centred at the point estimate, ``[θ - q_hi, θ - q_lo]`` with ``q`` the quantiles of the
half-sample deviations from their mean, so the effect of the smaller sample on the metric's
level cancels. Units (subjects, donors) are drawn whole, as in the cluster bootstrap.

Example:
    >>> w = np.concatenate(list(half_sample_weights(6, 4, 0)))
    >>> w.shape, w.sum(axis=1).tolist(), bool(w.max() == 1)
    ((4, 6), [3.0, 3.0, 3.0, 3.0], True)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from fmbench.errors import MetricUndefined
from fmbench.evaluation.protocols import Predictions
from fmbench.plugin_system.specs import MetricSpec
from fmbench.statistics.bootstrap import (
    CHUNK_CELLS,
    IntervalResult,
    metric_scorer,
    unit_codes,
)

__all__ = ["HALF_SAMPLING", "half_sample_intervals", "half_sample_weights"]

HALF_SAMPLING = "half-sampling"
#: Marks the half-sampling stream, so it never shares draws with the bootstrap's.
_STREAM = 0x48414C46


def half_sample_weights(
    n_samples: int,
    n_resamples: int,
    seed: np.random.SeedSequence | int,
    *,
    codes: np.ndarray | None = None,
    n_units: int | None = None,
) -> Iterator[np.ndarray]:
    """Chunks of 0/1 weights, each row keeping half of the units (rounded down), drawn
    without replacement; a sample's weight is its unit's."""
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    units = n_samples if codes is None else int(n_units if n_units is not None else codes.max() + 1)
    keep = units // 2
    chunk = max(1, min(n_resamples, CHUNK_CELLS // max(n_samples, 1)))
    rng = np.random.default_rng(
        np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, _STREAM))
    )
    done = 0
    while done < n_resamples:
        size = min(chunk, n_resamples - done)
        mask = rng.permuted(np.tile(np.arange(units) < keep, (size, 1)), axis=1)
        weights = mask if codes is None else mask[:, codes]
        yield weights.astype(np.float64)
        done += size


def half_sample_intervals(
    specs: Mapping[str, MetricSpec],
    predictions: Predictions,
    *,
    seed: np.random.SeedSequence | int,
    n_resamples: int,
    confidence: float,
    units: np.ndarray | None = None,
) -> dict[str, IntervalResult]:
    """Basic half-sampling intervals of the named metrics (undefined half-samples skipped and
    counted in ``n_used``)."""
    from fmbench.evaluation.scoring import metric_input

    out: dict[str, IntervalResult] = {}
    n = len(predictions.y_true)
    codes, n_units = unit_codes(units, n)
    alpha = (1 - confidence) / 2
    for name, spec in specs.items():
        try:
            score = metric_input(spec, predictions)
        except MetricUndefined as exc:
            out[name] = _undefined(str(exc), n_resamples)
            continue
        if n_units < 4:
            out[name] = _undefined(
                f"half-sampling needs at least 4 units; got {n_units}", n_resamples
            )
            continue
        scorer = metric_scorer(spec)
        y = predictions.y_true
        with np.errstate(invalid="ignore", divide="ignore"):
            point = float(np.asarray(scorer(y, score, np.ones((1, n))))[0])
            values = np.concatenate(
                [
                    np.asarray(scorer(y, score, W), dtype=float)
                    for W in half_sample_weights(n, n_resamples, seed, codes=codes, n_units=n_units)
                ]
            )
        finite = values[np.isfinite(values)]
        if not np.isfinite(point) or len(finite) == 0:
            out[name] = _undefined(f"{name} is undefined in every half-sample", n_resamples)
            continue
        deviations = finite - finite.mean()
        q_lo, q_hi = np.percentile(deviations, [100 * alpha, 100 * (1 - alpha)])
        out[name] = IntervalResult(
            interval=(round(point - float(q_hi), 6), round(point - float(q_lo), 6)),
            n_used=len(finite),
            n_resamples=n_resamples,
            method=HALF_SAMPLING,
        )
    return out


def _undefined(reason: str, n_resamples: int) -> IntervalResult:
    return IntervalResult(
        interval=None, n_used=0, n_resamples=n_resamples, reason=reason, method=HALF_SAMPLING
    )
