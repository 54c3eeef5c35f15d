"""The robustness gate: does the clean model show a signal it could lose under perturbation?

A robustness score measures how much of a model's margin over chance survives a
perturbation. A model without a margin has nothing to lose, and a model that ignores its
input never changes its outputs: a chance-relative score would call either of them robust.
So before any score is given, the clean score must beat the metric's chance level *and* a
label-permutation null, one-sided at :data:`SIGNAL_ALPHA`. When it does not, the evidence is
missing: the score is ``null`` with this test's p-value and reason, never 0 (0 would claim
that the model lost all its signal) and never a number (it would call a chance model robust).

**Permutations respect the benchmark's resampling unit** (``bootstrap.unit``, else the split's
``group_by``; ``units`` here). Samples of one subject are not independent: permuting single
samples keeps each subject's outputs together but scatters its labels, so a model that merely
recognises subjects (a fingerprint, no diagnostic signal) beats the sample-level null far too
often. The scheme that keeps the null valid depends on the labels:

- labels constant within every cluster (a diagnosis per subject): the clusters' labels are
  permuted *across clusters*. Under the null, clusters are independent draws and a cluster's
  label is independent of its outputs, so the cluster labels are exchangeable; the within-
  cluster dependence of the outputs is kept as it is. Clusters of different sizes may swap
  labels (a label is one value per cluster).
- labels that vary within some cluster (sleep stages, events): labels are shuffled *within
  each cluster*, and clusters of equal size also swap their whole label vectors (within- and
  whole-block exchangeability, Winkler et al. 2014, NeuroImage 92:381). Each cluster keeps its
  label composition unless it swaps as a whole, so a model that only recognises subjects gains
  nothing from it. The within-cluster part assumes a cluster's samples are exchangeable (for
  strongly autocorrelated windows it is only approximately so).

With few clusters there are few distinct relabellings: when even the best of them cannot reach
``p < SIGNAL_ALPHA``, the reason says so (more clusters are needed, not a better model).

Example:
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1, 0, 0, 1, 1])
    >>> units = np.array(["a", "a", "b", "b", "c", "c", "d", "d"])
    >>> permutation_scheme(y, units)
    'across clusters'
    >>> permute_labels(y, units, np.random.default_rng(0)).reshape(4, 2)[:, 0].tolist() == (
    ...     permute_labels(y, units, np.random.default_rng(0)).reshape(4, 2)[:, 1].tolist())
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np

from fmbench.errors import MetricUndefined
from fmbench.evaluation.protocols import Predictions
from fmbench.evaluation.scoring import metric_input
from fmbench.hashing import word64
from fmbench.plugin_system.specs import MetricSpec, resolve

__all__ = [
    "N_PERMUTATIONS",
    "SIGNAL_ALPHA",
    "SignalTest",
    "permutation_scheme",
    "permute_labels",
    "signal_test",
]

#: Label permutations used to decide whether the clean score beats chance.
N_PERMUTATIONS = 199
#: The clean score must beat the permutation null at this one-sided level.
SIGNAL_ALPHA = 0.05

#: The gate's stream key (the same word as fmbench <= 0.1 used, so sample-level verdicts are
#: unchanged).
_GATE_KEY = word64("signal")

SAMPLES = "samples"
ACROSS = "across clusters"
WITHIN = "within clusters (equal-size clusters also swapped whole)"


@attrs.frozen(kw_only=True)
class SignalTest:
    """The gate's verdict: ``passed``, its permutation p-value and, when it failed, why.

    Example:
        >>> SignalTest(passed=False, reason="no chance level").to_dict()["reason"]
        'no chance level'
    """

    passed: bool
    reason: str | None = None
    p_value: float | None = None
    n_permutations: int = 0
    alpha: float = SIGNAL_ALPHA
    scheme: str | None = None
    unit: str | None = None
    n_units: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``signal_test`` entry of a robustness block."""
        out: dict[str, Any] = {
            "passed": self.passed,
            "p_value": self.p_value,
            "alpha": self.alpha,
            "n_permutations": self.n_permutations,
            "permuted": self.scheme,
            "unit": self.unit or "sample",
        }
        if self.n_units is not None:
            out["n_units"] = self.n_units
        if self.reason is not None:
            out["reason"] = self.reason
        return out


def permutation_scheme(y: np.ndarray, units: np.ndarray | None) -> str:
    """Which permutations keep the null valid for these labels and clusters (module docstring).

    Example:
        >>> permutation_scheme(np.array([0, 1, 0, 1]), np.array(["a", "a", "b", "b"]))[:15]
        'within clusters'
        >>> permutation_scheme(np.array([0, 1]), None)
        'samples'
    """
    if units is None or len(np.unique(units)) == len(units):
        return SAMPLES
    codes = np.unique(units, return_inverse=True)[1]
    first = np.zeros(codes.max() + 1, dtype=int)
    first[codes[::-1]] = np.arange(len(codes))[::-1]  # index of each cluster's first sample
    constant = bool(np.all(np.asarray(y)[first][codes] == np.asarray(y)))
    return ACROSS if constant else WITHIN


def permute_labels(y: np.ndarray, units: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    """One relabelling of ``y`` under the scheme :func:`permutation_scheme` picks.

    Example:
        >>> y = np.array([0, 1, 1, 0, 1, 0])
        >>> units = np.array(["a", "a", "a", "b", "b", "b"])
        >>> sorted(permute_labels(y, units, np.random.default_rng(1))[:3].tolist())  # keeps a's mix
        [0, 1, 1]
    """
    y = np.asarray(y)
    scheme = permutation_scheme(y, units)
    if scheme == SAMPLES:
        return y[rng.permutation(len(y))]
    assert units is not None
    codes = np.unique(units, return_inverse=True)[1]
    n_clusters = int(codes.max()) + 1
    if scheme == ACROSS:
        first = np.zeros(n_clusters, dtype=int)
        first[codes[::-1]] = np.arange(len(codes))[::-1]
        cluster_labels = y[first]
        return cluster_labels[rng.permutation(n_clusters)][codes]
    members = [np.flatnonzero(codes == c) for c in range(n_clusters)]
    sizes = np.array([len(m) for m in members])
    source = np.arange(n_clusters)
    for size in np.unique(sizes):  # whole clusters of equal size swap label vectors
        same = np.flatnonzero(sizes == size)
        source[same] = same[rng.permutation(len(same))]
    out = np.empty_like(y)
    for c in range(n_clusters):
        out[members[c]] = y[members[source[c]]][rng.permutation(sizes[c])]
    return out


def _distinct_relabellings(y: np.ndarray, units: np.ndarray | None) -> float:
    """How many different label assignments the across-cluster scheme can produce."""
    if permutation_scheme(y, units) != ACROSS:
        return math.inf
    assert units is not None
    codes = np.unique(units, return_inverse=True)[1]
    first = np.zeros(int(codes.max()) + 1, dtype=int)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    counts = np.unique(np.asarray(y)[first], return_counts=True)[1]
    total = math.lgamma(int(counts.sum()) + 1) - sum(math.lgamma(int(c) + 1) for c in counts)
    return math.exp(total)


def signal_test(
    spec: MetricSpec,
    predictions: Predictions,
    clean: float | None,
    chance: float | None,
    seed: int,
    *,
    units: np.ndarray | None = None,
    unit_name: str | None = None,
    n_permutations: int = N_PERMUTATIONS,
    alpha: float = SIGNAL_ALPHA,
) -> SignalTest:
    """Does the clean score beat chance and a label-permutation null (p < ``alpha``)?

    ``units`` are the test samples' resampling units (None: samples are independent). The
    permutations draw from their own stream of ``seed``, so the verdict is reproducible and
    does not depend on the probes.

    Example:
        >>> from fmbench.plugin_system.registry import build_registry
        >>> auroc = build_registry(external=False).get(MetricSpec, "AUROC")
        >>> y = np.repeat([0, 1], 20)
        >>> p = Predictions(indices=np.arange(40), y_true=y, fold=np.zeros(40, int),
        ...                 proba=np.column_stack([1 - y * 0.8, y * 0.8 + 0.1]))
        >>> signal_test(auroc, p, clean=1.0, chance=0.5, seed=0).passed
        True
    """
    unit = unit_name if units is not None else None
    n_units = len(np.unique(units)) if units is not None else None
    y = np.asarray(predictions.y_true)
    scheme = permutation_scheme(y, units)

    def verdict(reason: str | None, p: float | None = None, valid: int = 0) -> SignalTest:
        return SignalTest(
            passed=reason is None,
            reason=reason,
            p_value=None if p is None else round(p, 6),
            n_permutations=valid,
            alpha=alpha,
            scheme=scheme,
            unit=unit,
            n_units=n_units,
        )

    if clean is None:
        return verdict(f"the clean {spec.name} is undefined")
    if chance is None:
        return verdict(f"metric {spec.name} declares no chance level, so no chance-relative score")
    sign = 1.0 if spec.direction == "higher" else -1.0
    if sign * (clean - chance) <= 0:
        return verdict(
            f"the clean {spec.name} ({clean:.4f}) does not beat chance ({chance:.4f}): the "
            "model shows no signal, so there is nothing to be robust with",
            p=1.0,
        )
    score = metric_input(spec, predictions)
    compute: Callable[..., float] = resolve(spec.compute)
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(_GATE_KEY,)))
    as_good = valid = 0
    for _ in range(n_permutations):
        try:
            value = compute(permute_labels(y, units, rng), score)
        except MetricUndefined:
            continue
        valid += 1
        as_good += int(sign * (float(value) - clean) >= 0)
    p = (1 + as_good) / (1 + valid)
    if p < alpha:
        return verdict(None, p, valid)
    name = unit_name or "cluster"
    over = f" over {n_units} {name}s" if scheme != SAMPLES else ""
    reason = (
        f"no evidence that the clean {spec.name} ({clean:.4f}) beats chance: label-permutation "
        f"p = {p:.3f} >= {alpha:g} ({valid} permutations{over}), so a robustness score would "
        "measure noise"
    )
    distinct = _distinct_relabellings(y, units)
    if 1.0 / distinct >= alpha:
        reason += (
            f"; {n_units} {name}s allow only {distinct:.0f} distinct relabellings, so p cannot "
            f"fall below {1.0 / distinct:.3f}: more {name}s are needed"
        )
    return verdict(reason, p, valid)
