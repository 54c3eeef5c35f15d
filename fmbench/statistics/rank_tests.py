"""Rank tests for comparing k models over N independent blocks (data sets): the Friedman
test and the Nemenyi all-pairs post-hoc, both with exact permutation null distributions.

Each block ranks the models (1 = best; tied models share the mean of their ranks). Under the
null hypothesis the models are exchangeable within every block, so each block's ranking is
equally likely to be any permutation of itself. Both tests use that distribution directly:
enumerated completely when there are at most :data:`EXACT_LIMIT` arrangements (block 1 held
fixed, which changes nothing because the statistics do not depend on the models' order),
otherwise drawn at random (:data:`MONTE_CARLO_DRAWS` draws, p-values with the +1 correction).
So the p-values hold for any number of blocks and with ties, where the usual chi-square and
studentized-range approximations (Demšar 2006) need many blocks.

* **Friedman**: the statistic is the tie-corrected chi-square of Friedman (as
  ``scipy.stats.friedmanchisquare``); its p-value is the permutation tail probability.
* **Nemenyi**: all k(k-1)/2 pairs by the difference of their mean ranks, against the
  permutation distribution of the *largest* such difference (the range of the mean ranks).
  This single-step adjustment controls the family-wise error rate over all pairs (it is the
  exact form of Nemenyi's studentized-range test). The critical difference (CD) is the
  smallest difference of mean ranks it calls significant.

With few blocks no outcome can be significant: the smallest possible Friedman p-value is
``(k!) ** -(N - 1)`` (every block ranks the models the same way) and the smallest possible
Nemenyi p-value ``(k (k - 1)) ** -(N - 1)`` (the same best and worst model everywhere). The
tests are reported as ``None`` with that reason when it exceeds alpha.

Example:
    >>> ranks = block_ranks(np.array([[0.9, 0.8, 0.7]] * 4), higher_is_better=True)
    >>> friedman_test(ranks, alpha=0.05).p_value  # 4 blocks, identical rankings: 1 / 6**3
    0.00463
    >>> holm([0.01, 0.04, 0.03])
    [0.03, 0.06, 0.06]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import attrs
import numpy as np

__all__ = [
    "EXACT_LIMIT",
    "MONTE_CARLO_DRAWS",
    "FriedmanResult",
    "NemenyiResult",
    "PairTest",
    "block_ranks",
    "friedman_test",
    "holm",
    "nemenyi_test",
    "permutation_null",
    "smallest_friedman_p",
    "smallest_nemenyi_p",
]

#: Enumerate the permutation distribution completely up to this many arrangements.
EXACT_LIMIT = 200_000
#: Otherwise draw this many random arrangements (seeded).
MONTE_CARLO_DRAWS = 20_000
_CHUNK = 2_000


def block_ranks(scores: np.ndarray, *, higher_is_better: bool | Sequence[bool]) -> np.ndarray:
    """Rank the models (columns) within each block (row): 1 = best, ties get mean ranks.

    Example:
        >>> block_ranks(np.array([[0.9, 0.7, 0.9]]), higher_is_better=True).tolist()
        [[1.5, 3.0, 1.5]]
    """
    values = np.asarray(scores, dtype=float)
    if values.ndim != 2:
        raise ValueError("scores must be a (blocks, models) array")
    higher = np.broadcast_to(np.asarray(higher_is_better, dtype=bool), (values.shape[0],))
    out = np.empty_like(values)
    for row, (block, up) in enumerate(zip(values, higher, strict=True)):
        key = -block if up else block
        out[row] = _mid_ranks(key)
    return out


def _mid_ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values), dtype=float)
    ranks[order] = np.arange(1, len(values) + 1, dtype=float)
    for value in np.unique(values):
        tied = values == value
        if tied.sum() > 1:
            ranks[tied] = ranks[tied].mean()
    return ranks


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (family-wise error over the given tests)."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for position, index in enumerate(order):
        running = max(running, min(1.0, (m - position) * p[index]))
        adjusted[index] = running
    return [round(float(v), 6) for v in adjusted]


def smallest_friedman_p(n_models: int, n_blocks: int) -> float:
    """The smallest p-value the exact Friedman test can give (every block ranks alike)."""
    return float(math.factorial(n_models) ** -(n_blocks - 1)) if n_blocks > 0 else 1.0


def smallest_nemenyi_p(n_models: int, n_blocks: int) -> float:
    """The smallest adjusted p-value the exact Nemenyi test can give to a pair."""
    return float((n_models * (n_models - 1)) ** -(n_blocks - 1)) if n_blocks > 0 else 1.0


@attrs.frozen(kw_only=True)
class PermutationNull:
    """The null distribution of both statistics on the same arrangements of the blocks.

    ``sum_squares`` holds the sum over models of the squared rank sums (the Friedman
    statistic up to constants), ``ranges`` the largest minus the smallest mean rank.
    ``exact`` says whether every arrangement was enumerated (else random draws).
    """

    sum_squares: np.ndarray
    ranges: np.ndarray
    exact: bool

    @property
    def size(self) -> int:
        return len(self.ranges)

    def tail(self, values: np.ndarray, observed: float) -> float:
        """P(statistic >= observed) under the null (+1 correction for random draws)."""
        hits = int(np.sum(values >= observed - 1e-9))
        if self.exact:
            return hits / self.size
        return (1 + hits) / (self.size + 1)

    @property
    def method(self) -> str:
        if self.exact:
            return f"exact permutation distribution ({self.size} arrangements)"
        return f"Monte Carlo permutation distribution ({self.size} random arrangements)"


def permutation_null(
    ranks: np.ndarray, *, seed: int = 0, draws: int = MONTE_CARLO_DRAWS
) -> PermutationNull:
    """Both statistics on every arrangement of the blocks' ranks (or on ``draws`` random
    ones when there are more than :data:`EXACT_LIMIT`)."""
    ranks = np.asarray(ranks, dtype=float)
    n_blocks, k = ranks.shape
    # ranks are multiples of 1/2: work with twice the rank sums, exact in floating point
    doubled = 2 * ranks
    count = math.factorial(k) ** (n_blocks - 1)
    sums_of_squares: list[np.ndarray] = []
    ranges: list[np.ndarray] = []
    if count <= EXACT_LIMIT:
        perms = np.array(list(itertools.permutations(range(k))))
        # arrangements: block 0 fixed, every permutation of every other block
        index = np.indices((len(perms),) * (n_blocks - 1)).reshape(n_blocks - 1, -1).T
        for start in range(0, len(index), _CHUNK * 10):
            part = index[start : start + _CHUNK * 10]
            totals = np.broadcast_to(doubled[0], (len(part), k)).copy()
            for block in range(1, n_blocks):
                totals += doubled[block][perms[part[:, block - 1]]]
            sums_of_squares.append(np.sum(totals**2, axis=1))
            ranges.append((totals.max(axis=1) - totals.min(axis=1)) / (2 * n_blocks))
        exact = True
    else:
        rng = np.random.default_rng(np.random.SeedSequence([seed, n_blocks, k]))
        done = 0
        while done < draws:
            size = min(_CHUNK, draws - done)
            order = np.argsort(rng.random((size, n_blocks, k)), axis=2)
            shuffled = np.take_along_axis(np.broadcast_to(doubled, (size, n_blocks, k)), order, 2)
            totals = shuffled.sum(axis=1)
            sums_of_squares.append(np.sum(totals**2, axis=1))
            ranges.append((totals.max(axis=1) - totals.min(axis=1)) / (2 * n_blocks))
            done += size
        exact = False
    return PermutationNull(
        sum_squares=np.concatenate(sums_of_squares), ranges=np.concatenate(ranges), exact=exact
    )


@attrs.frozen(kw_only=True)
class FriedmanResult:
    """The Friedman test; ``p_value`` is None with ``reason`` when it could not be run."""

    n_blocks: int
    n_models: int
    alpha: float
    smallest_possible_p: float
    statistic: float | None = None
    p_value: float | None = None
    method: str | None = None
    reason: str | None = None

    @property
    def rejects(self) -> bool:
        return self.p_value is not None and self.p_value <= self.alpha


@attrs.frozen(kw_only=True)
class PairTest:
    """One pair of the post-hoc: mean ranks, their difference and the adjusted p-value."""

    a: str
    b: str
    mean_rank_a: float
    mean_rank_b: float
    p_adjusted: float
    different: bool

    @property
    def difference(self) -> float:
        return round(self.mean_rank_b - self.mean_rank_a, 6)


@attrs.frozen(kw_only=True)
class NemenyiResult:
    """The all-pairs post-hoc; ``critical_difference`` is None when no difference could be
    significant with these blocks, ``pairs`` empty with ``reason`` when it was not run."""

    alpha: float
    smallest_possible_p: float
    critical_difference: float | None = None
    pairs: tuple[PairTest, ...] = ()
    method: str | None = None
    reason: str | None = None


def _statistic(ranks: np.ndarray) -> float:
    """Friedman's chi-square with the correction for ties (as scipy's friedmanchisquare)."""
    n_blocks, k = ranks.shape
    sums = ranks.sum(axis=0)
    chi2 = 12.0 / (n_blocks * k * (k + 1)) * float(np.sum(sums**2)) - 3.0 * n_blocks * (k + 1)
    ties = 0.0
    for block in ranks:
        _, counts = np.unique(block, return_counts=True)
        ties += float(np.sum(counts**3 - counts))
    correction = 1.0 - ties / (n_blocks * k * (k * k - 1))
    return chi2 / correction if correction > 0 else 0.0


def friedman_test(
    ranks: np.ndarray,
    *,
    alpha: float = 0.05,
    seed: int = 0,
    null: PermutationNull | None = None,
) -> FriedmanResult:
    """Friedman's test of "all models rank alike in expectation" over the blocks (rows)."""
    ranks = np.asarray(ranks, dtype=float)
    n_blocks, k = ranks.shape
    smallest = smallest_friedman_p(k, n_blocks)
    base = {"n_blocks": n_blocks, "n_models": k, "alpha": alpha, "smallest_possible_p": smallest}
    if k < 3:
        return FriedmanResult(**base, reason="needs three or more models (two: use the paired "
                              "comparison)")  # fmt: skip
    if smallest > alpha:
        return FriedmanResult(
            **base,
            reason=(
                f"{n_blocks} block(s) of {k} models: even identical rankings in every block "
                f"give p = {smallest:.3g} > alpha = {alpha:g}, so no outcome could be "
                f"significant; compare on at least {minimum_blocks(k, alpha)} independent data "
                "sets"
            ),
        )
    if null is None:
        null = permutation_null(ranks, seed=seed)
    observed = float(np.sum((2 * ranks.sum(axis=0)) ** 2))
    p_value = null.tail(null.sum_squares, observed)
    return FriedmanResult(
        **base,
        statistic=round(_statistic(ranks), 6),
        p_value=round(p_value, 6),
        method=null.method,
    )


def minimum_blocks(n_models: int, alpha: float) -> int:
    """The fewest blocks with which the exact Friedman test can reach ``alpha`` at all.

    Example:
        >>> minimum_blocks(3, 0.05), minimum_blocks(5, 0.05)
        (3, 2)
    """
    n = 1
    while smallest_friedman_p(n_models, n) > alpha:
        n += 1
    return n


def nemenyi_test(
    ranks: np.ndarray,
    names: Sequence[str],
    *,
    alpha: float = 0.05,
    seed: int = 0,
    null: PermutationNull | None = None,
) -> NemenyiResult:
    """All pairs of models by their mean ranks, adjusted for the k(k-1)/2 comparisons."""
    ranks = np.asarray(ranks, dtype=float)
    n_blocks, k = ranks.shape
    smallest = smallest_nemenyi_p(k, n_blocks)
    if null is None:
        null = permutation_null(ranks, seed=seed)
    mean = ranks.mean(axis=0)
    pairs = []
    for i, j in itertools.combinations(range(k), 2):
        p = round(null.tail(null.ranges, abs(mean[i] - mean[j])), 6)
        pairs.append(
            PairTest(
                a=names[i],
                b=names[j],
                mean_rank_a=round(float(mean[i]), 6),
                mean_rank_b=round(float(mean[j]), 6),
                p_adjusted=p,
                different=p <= alpha,
            )
        )
    support = np.unique(np.round(null.ranges, 9))
    significant = [c for c in support if null.tail(null.ranges, c) <= alpha]
    cd = round(float(min(significant)), 6) if significant else None
    return NemenyiResult(
        alpha=alpha, smallest_possible_p=smallest, critical_difference=cd, pairs=tuple(pairs),
        method=f"Nemenyi (range of mean ranks), {null.method}",
        reason=None if cd is not None else (
            f"{n_blocks} block(s) of {k} models: no difference of mean ranks can reach "
            f"alpha = {alpha:g} (smallest possible adjusted p = {smallest:.3g})"
        ),
    )  # fmt: skip
