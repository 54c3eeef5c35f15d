"""Is a rate the same in every group? A chi-square test of homogeneity, and Holm's correction.

Picking the best and the worst group on the data and then bootstrapping their difference as
if the two had been named in advance is not a test: with the same true sensitivity in every
group that "gap" excluded zero in 4.5 % of datasets with 2 groups, 19.5 % with 4 and 50.5 %
with 8. The question "do the groups differ?" is answered here by Pearson's chi-square test of
equal proportions across all the groups of a column (``k - 1`` degrees of freedom), so the
number of groups is accounted for; across several columns and rates the p-values are
Holm-adjusted.

With clustered samples (several samples of a subject) the statistic is divided by the
Rao-Scott first-order correction ``δ = Σ_g (1 - n_g/n) d_g / (k - 1)``, where ``d_g`` is the
design effect of group ``g``'s proportion: its cluster-robust variance over the units,
computed around the pooled proportion (the null hypothesis), divided by the binomial variance
(at least 1; a group of one unit has ``d_g = n_g``). This assumes each unit lies in one group.

Example:
    >>> import numpy as np
    >>> groups = np.repeat(["A", "B"], 50)
    >>> same = homogeneity_test(np.tile([True, False], 50), groups)
    >>> round(same.p_value, 3), same.df
    (1.0, 1)
    >>> differ = homogeneity_test(np.r_[np.ones(50, bool), np.zeros(50, bool)], groups)
    >>> differ.p_value < 1e-10
    True
    >>> holm([0.01, 0.04, 0.03])
    [0.03, 0.06, 0.06]
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np

__all__ = ["HomogeneityTest", "holm", "homogeneity_test"]


@attrs.frozen(kw_only=True)
class HomogeneityTest:
    """The chi-square statistic (Rao-Scott corrected when clustered), its degrees of freedom,
    p-value and the correction factor (1 without clusters)."""

    statistic: float
    df: int
    p_value: float
    correction: float = 1.0


def _design_effect(success: np.ndarray, codes: np.ndarray, pooled: float) -> float:
    """Cluster-robust variance of a group's proportion around ``pooled`` over its binomial
    variance (at least 1)."""
    n = len(success)
    present, local = np.unique(codes, return_inverse=True)
    g = len(present)
    if g < 2:
        return float(n)
    residual = np.bincount(local, weights=success - pooled)
    robust = g / (g - 1) * float(np.sum(residual**2)) / n**2
    return max(1.0, robust / (pooled * (1 - pooled) / n))


def homogeneity_test(
    success: np.ndarray, groups: np.ndarray, units: np.ndarray | None = None
) -> HomogeneityTest | str:
    """Test that ``success`` (booleans over the samples counted) has the same rate in every
    group; returns the reason instead when fewer than two groups have samples."""
    from scipy.special import chdtrc  # scipy.stats.chi2.sf, without importing stats

    s = np.asarray(success, dtype=float).reshape(-1)
    names, group = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    sizes = np.bincount(group, minlength=len(names)).astype(float)
    keep = sizes > 0
    k = int(keep.sum())
    if k < 2:
        return "fewer than two groups have samples to compare"
    hits = np.bincount(group, weights=s, minlength=len(names))[keep]
    sizes = sizes[keep]
    n = float(sizes.sum())
    pooled = float(hits.sum() / n)
    if pooled in (0.0, 1.0):
        return HomogeneityTest(statistic=0.0, df=k - 1, p_value=1.0)
    statistic = float(np.sum((hits - sizes * pooled) ** 2 / (sizes * pooled * (1 - pooled))))
    correction = 1.0
    if units is not None:
        _, codes = np.unique(np.asarray(units).astype(str), return_inverse=True)
        kept_index = np.flatnonzero(keep)
        effects = [
            _design_effect(s[group == index], codes[group == index], pooled) for index in kept_index
        ]
        correction = max(1.0, float(np.sum((1 - sizes / n) * np.array(effects)) / (k - 1)))
    corrected = statistic / correction
    return HomogeneityTest(
        statistic=corrected,
        df=k - 1,
        p_value=float(chdtrc(k - 1, corrected)),
        correction=correction,
    )


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (in the input order, capped at 1)."""
    order = np.argsort(np.asarray(p_values, dtype=float), kind="stable")
    m = len(order)
    adjusted = np.empty(m)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * float(p_values[index])))
        adjusted[index] = running
    return [round(float(v), 12) for v in adjusted]
