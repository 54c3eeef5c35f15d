"""Bootstrap confidence intervals, vectorised over resamples.

A resample is a vector of integer weights (how often each test sample is drawn). Many
resamples form a weight matrix ``W`` of shape ``(n_resamples, n_samples)``; every built-in
metric has a *weighted* form ``weighted(y_true, y_score, W) -> (n_resamples,)`` that scores all
resamples at once (matrix products, one sort per class for AUROC), with NaN where the metric is
undefined in a resample. Resamples are generated in chunks to bound memory; there is no Python
loop over resamples (a metric from a plugin that has no weighted form falls back to a loop).

Cluster bootstrap: when the samples belong to units (subjects, donors), the units are drawn
with replacement and each sample gets its unit's count, so correlated samples move together.

Example:
    >>> import numpy as np
    >>> from fmbench.plugin_system.registry import build_registry
    >>> from fmbench.evaluation.protocols import Predictions
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 200)
    >>> p1 = np.clip(0.3 * y + 0.7 * rng.random(200), 0, 1)
    >>> pred = Predictions(indices=np.arange(200), y_true=y, fold=np.zeros(200, int),
    ...                    proba=np.c_[1 - p1, p1], labels=(p1 > 0.5).astype(int))
    >>> spec = build_registry(external=False).get(MetricSpec, "Accuracy")
    >>> res = bootstrap_intervals({"Accuracy": spec}, pred, seed=rng_seed(42, "BM-X"))
    >>> lo, hi = res["Accuracy"].interval
    >>> point = float(np.mean(pred.labels == y))
    >>> lo < point < hi, res["Accuracy"].n_used
    (True, 1000)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs
import numpy as np

from fmbench.errors import MetricUndefined
from fmbench.evaluation.protocols import Predictions
from fmbench.hashing import word64
from fmbench.plugin_system.specs import MetricSpec, resolve

__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_RESAMPLES",
    "IntervalResult",
    "bootstrap_distribution",
    "bootstrap_intervals",
    "bootstrap_threads",
    "percentile_interval",
    "resample_weights",
    "rng_seed",
    "unit_codes",
]

DEFAULT_RESAMPLES = 1000
DEFAULT_CONFIDENCE = 0.95
#: Weight-matrix cells generated at once (bounds memory: 4M cells are about 32 MB as float64).
CHUNK_CELLS = 4_000_000


def rng_seed(seed: int, benchmark_id: str, stream: str = "bootstrap") -> np.random.SeedSequence:
    """The seed sequence of one benchmark's bootstrap: its own stream from the run seed.

    Example:
        >>> a = np.random.default_rng(rng_seed(42, "BM-A")).integers(1000)
        >>> b = np.random.default_rng(rng_seed(42, "BM-A")).integers(1000)
        >>> bool(a == b)
        True
    """
    return np.random.SeedSequence(
        entropy=int(seed), spawn_key=(word64(benchmark_id), word64(stream))
    )


def unit_codes(units: np.ndarray | None, n: int) -> tuple[np.ndarray | None, int]:
    """Integer code of each sample's unit (None: each sample is its own unit) and the count."""
    if units is None:
        return None, n
    _, codes = np.unique(np.asarray(units).astype(str), return_inverse=True)
    return codes.reshape(-1), int(codes.max()) + 1 if len(codes) else 0


def _chunk_sizes(n_samples: int, n_resamples: int) -> list[int]:
    chunk = max(1, min(n_resamples, CHUNK_CELLS // max(n_samples, 1)))
    sizes = [chunk] * (n_resamples // chunk)
    if n_resamples % chunk:
        sizes.append(n_resamples % chunk)
    return sizes


def _as_seed_sequence(seed: np.random.SeedSequence | int) -> np.random.SeedSequence:
    return seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)


def _chunk_weights(
    seed: np.random.SeedSequence, number: int, size: int, n_units: int, codes: np.ndarray | None
) -> np.ndarray:
    # each chunk has its own child stream, so chunks can be drawn in any order (or threads)
    child = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, number))
    rng = np.random.default_rng(child)
    draws = rng.integers(0, n_units, size=(size, n_units))
    draws += (np.arange(size) * n_units)[:, None]
    counts = np.bincount(draws.ravel(), minlength=size * n_units).reshape(size, n_units)
    weights = counts if codes is None else counts[:, codes]
    return weights.astype(np.float64)


def resample_weights(
    n_samples: int,
    n_resamples: int,
    seed: np.random.SeedSequence | int,
    *,
    codes: np.ndarray | None = None,
    n_units: int | None = None,
) -> Iterator[np.ndarray]:
    """Chunks of bootstrap weights, each ``(chunk, n_samples)`` float64.

    Units (``codes``: each sample's unit index) are drawn with replacement; a sample's weight
    is how often its unit was drawn. The chunking depends only on the sizes, so the same seed
    gives the same resamples wherever they are used (intervals, paired comparisons, tests).

    Example:
        >>> w = np.concatenate(list(resample_weights(5, 3, 0)))
        >>> w.shape, w.sum(axis=1).tolist()
        ((3, 5), [5.0, 5.0, 5.0])
    """
    seq = _as_seed_sequence(seed)
    units = n_samples if codes is None else int(n_units if n_units is not None else codes.max() + 1)
    for number, size in enumerate(_chunk_sizes(n_samples, n_resamples)):
        yield _chunk_weights(seq, number, size, units, codes)


# --- weighted forms of the built-in metrics: (y_true, y_score, W (b, n)) -> (b,) -----------


# --- intervals ------------------------------------------------------------------------------


@attrs.define(kw_only=True)
class IntervalResult:
    """One metric's interval: ``interval`` is None with ``reason`` when undefined.

    ``method`` names how it was made (see :mod:`fmbench.statistics.metric_intervals`);
    ``design_effect`` is set for closed forms on clustered samples; ``degenerate`` says why an
    interval cannot be trusted (zero width, or too few resamples defined the metric).
    """

    interval: tuple[float, float] | None
    n_used: int
    n_resamples: int
    reason: str | None = None
    distribution: np.ndarray | None = attrs.field(default=None, repr=False)
    method: str = "percentile bootstrap"
    design_effect: float | None = None
    degenerate: str | None = None


def percentile_interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """The equal-tailed percentile interval of the finite ``values``."""
    alpha = (1 - confidence) / 2
    lo, hi = np.percentile(values, [100 * alpha, 100 * (1 - alpha)])
    return float(round(float(lo), 6)), float(round(float(hi), 6))


def _loop_fallback(spec: MetricSpec) -> Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """A plugin metric without a weighted form: score each resample (a Python loop)."""
    compute = resolve(spec.compute)

    def weighted(y: np.ndarray, s: np.ndarray, W: np.ndarray) -> np.ndarray:
        out = np.full(W.shape[0], np.nan)
        for row in range(W.shape[0]):
            idx = np.repeat(np.arange(W.shape[1]), W[row].astype(int))
            with contextlib.suppress(MetricUndefined):
                out[row] = float(compute(y[idx], s[idx]))
        return out

    return weighted


def metric_scorer(spec: MetricSpec) -> Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """The vectorised scorer of a metric (its ``weighted`` form, else a loop over resamples)."""
    if spec.weighted is not None:
        fn: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray] = resolve(spec.weighted)
        return fn
    return _loop_fallback(spec)


def bootstrap_distribution(
    specs: Mapping[str, MetricSpec],
    predictions: Predictions,
    *,
    seed: np.random.SeedSequence | int,
    n_resamples: int = DEFAULT_RESAMPLES,
    units: np.ndarray | None = None,
) -> dict[str, np.ndarray | str]:
    """Each metric's value on every resample (NaN where undefined), or the reason it has none."""
    from fmbench.evaluation.scoring import metric_input

    inputs: dict[str, Any] = {}
    result: dict[str, np.ndarray | str] = {}
    for name, spec in specs.items():
        try:
            inputs[name] = (metric_scorer(spec), metric_input(spec, predictions))
        except MetricUndefined as exc:
            result[name] = str(exc)
    if not inputs:
        return result
    n = len(predictions.y_true)
    if n == 0:
        return dict.fromkeys(specs, "no samples")
    codes, n_units = unit_codes(units, n)
    seq = _as_seed_sequence(seed)
    y = predictions.y_true

    def score_chunk(number: int, size: int) -> dict[str, np.ndarray]:
        W = _chunk_weights(seq, number, size, n_units, codes)
        with np.errstate(invalid="ignore", divide="ignore"):
            return {
                name: np.asarray(scorer(y, score, W), dtype=float)
                for name, (scorer, score) in inputs.items()
            }

    sizes = _chunk_sizes(n, n_resamples)
    workers = min(len(sizes), bootstrap_threads())
    if workers > 1:  # numpy releases the GIL in the heavy parts: use the machine's cores
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers) as pool:
            chunks = list(pool.map(score_chunk, range(len(sizes)), sizes))
    else:
        chunks = [score_chunk(number, size) for number, size in enumerate(sizes)]
    for name in inputs:
        result[name] = np.concatenate([chunk[name] for chunk in chunks])
    return result


def bootstrap_threads() -> int:
    """Threads used to score resample chunks (``FMBENCH_BOOTSTRAP_THREADS``, else the CPUs
    this process may use, at most 8)."""
    import os

    configured = os.environ.get("FMBENCH_BOOTSTRAP_THREADS")
    if configured and configured.isdigit() and int(configured) > 0:
        return int(configured)
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        available = os.cpu_count() or 1
    return max(1, min(8, available))


def bootstrap_intervals(
    specs: Mapping[str, MetricSpec],
    predictions: Predictions,
    *,
    seed: np.random.SeedSequence | int,
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    units: np.ndarray | None = None,
    keep_distribution: bool = False,
) -> dict[str, IntervalResult]:
    """Percentile intervals of the named metrics; resamples where a metric is undefined are
    skipped and counted (``n_used``)."""
    dists = bootstrap_distribution(
        specs, predictions, seed=seed, n_resamples=n_resamples, units=units
    )
    out: dict[str, IntervalResult] = {}
    for name, dist in dists.items():
        if isinstance(dist, str):
            out[name] = IntervalResult(
                interval=None, n_used=0, n_resamples=n_resamples, reason=dist
            )
            continue
        finite = dist[np.isfinite(dist)]
        if len(finite) == 0:
            out[name] = IntervalResult(
                interval=None,
                n_used=0,
                n_resamples=n_resamples,
                reason=f"{name} is undefined in every resample",
            )
            continue
        out[name] = IntervalResult(
            interval=percentile_interval(finite, confidence),
            n_used=len(finite),
            n_resamples=n_resamples,
            distribution=dist if keep_distribution else None,
        )
    return out
