"""Coverage of the interval of MOABB's mean per-unit score (``paradigm_scores``).

Usage::

    python bench/bench_paradigm_intervals.py             # prints a Markdown table
    python bench/bench_paradigm_intervals.py --repeats 4000 --seed 1

Simulates per-unit scores (AUROC-like, in [0, 1]) of G subjects: each subject has a random
level around the true mean (sd 0.06) and 1 unit (within-session with one session, cross-
subject) or 1-3 units (several sessions) with noise (sd 0.05), clipped to [0, 1]; and skewed
per-subject scores (Beta(18, 2), mean 0.9, one unit per subject). For each design it counts
how often the nominal 95 % interval contains the true mean, for the interval fmbench reports
(:func:`fmbench.statistics.paradigm_scores.mean_interval`: t interval, cluster-robust standard
error, subjects as clusters) and, for comparison, a percentile bootstrap that resamples
subjects (1,000 resamples). The true mean of the clipped normal designs is computed by Monte
Carlo (10^6 draws).
"""

from __future__ import annotations

import argparse
import platform
import sys

import numpy as np

from fmbench.statistics.paradigm_scores import mean_interval


def _bootstrap(
    values: np.ndarray, codes: np.ndarray, rng: np.random.Generator
) -> tuple[float, float]:
    n = int(codes.max()) + 1
    draws = rng.integers(0, n, size=(1000, n))
    counts = np.stack([np.bincount(row, minlength=n) for row in draws])[:, codes]
    means = (counts @ values) / counts.sum(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def _design(name: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if name == "beta":
        return rng.beta(18, 2, n), np.arange(n)
    per = 1 if name == "one unit" else 3
    counts = rng.integers(1, per + 1, n)
    codes = np.repeat(np.arange(n), counts)
    level = rng.normal(0, 0.06, n)
    return np.clip(0.8 + level[codes] + rng.normal(0, 0.05, len(codes)), 0, 1), codes


def _truth(name: str, rng: np.random.Generator) -> float:
    if name == "beta":
        return 0.9
    draws = 0.8 + rng.normal(0, 0.06, 1_000_000) + rng.normal(0, 0.05, 1_000_000)
    return float(np.clip(draws, 0, 1).mean())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    print(f"# coverage of nominal 95 % intervals, {args.repeats} datasets per cell")
    print(f"# python {platform.python_version()}, {platform.machine()}, {sys.platform}\n")
    print("| design | subjects | t, cluster-robust (fmbench) | percentile bootstrap of subjects |")
    print("|---|---|---|---|")
    for name in ("one unit", "1-3 units", "beta"):
        truth = _truth(name, rng)
        for n in (5, 10, 20, 50):
            hits_t = hits_boot = 0
            for _ in range(args.repeats):
                values, codes = _design(name, n, rng)
                interval, _ = mean_interval(values, codes.astype(str), bounds=(0.0, 1.0))
                assert interval is not None
                hits_t += interval[0] <= truth <= interval[1]
                lo, hi = _bootstrap(values, codes, rng)
                hits_boot += lo <= truth <= hi
            print(
                f"| {name} | {n} | {hits_t / args.repeats:.3f} | {hits_boot / args.repeats:.3f} |"
            )


if __name__ == "__main__":
    main()
