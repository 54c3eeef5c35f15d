"""Coverage of fmbench's intervals, and the false-flag rate of its subgroup gaps, by simulation.

Every interval is computed by fmbench's own code (``metric_intervals``, the function that fills
``eval.yaml``; ``--percentile`` adds the plain percentile bootstrap of ``bootstrap_intervals``,
the method fmbench used before, for comparison), on data whose true value is known:

- AUROC: binormal scores with equal variances, ``AUC = Phi(d / sqrt(2))``, fixed class counts
  (``round(n * prevalence)`` positives);
- Accuracy: each sample right with probability ``p``;
- BalancedAccuracy (prevalence 0.1): sensitivity = specificity = the true value;
- clustered rows: 20 subjects x 5 windows with intervals over subjects; accuracy varies by
  subject (logit-normal, sd 1; the true value is the mean over subjects), AUROC scores carry a
  subject effect (sd 1) and the label is the subject's.

A replicate covers when ``lo <= truth <= hi``; "below" counts intervals entirely below the
truth, "above" entirely above. The subgroup rows give how often ``flagged`` is set when the
sensitivity (0.8) and specificity (0.9) are the same in every group (400 samples, equal group
sizes; the clustered row: 40 subjects x 10 samples, subjects differ, 4 groups of 10).

Run: ``.venv/bin/python bench/sim_coverage.py [--replicates 1000] [--percentile]``
(prints Markdown tables; the numbers in docs/statistics.md come from it).
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from statistics import NormalDist

import numpy as np

from fmbench.evaluation.protocols import Predictions
from fmbench.plugin_system.registry import build_registry
from fmbench.plugin_system.specs import ClinicalSpec
from fmbench.statistics.bootstrap import bootstrap_intervals
from fmbench.statistics.clinical_block import clinical_block
from fmbench.statistics.metric_intervals import metric_intervals

Draw = Callable[[np.random.Generator], tuple[Predictions, np.ndarray | None]]
SUBJECTS, WINDOWS = 20, 5


def _pred(
    y: np.ndarray, p1: np.ndarray | None = None, labels: np.ndarray | None = None
) -> Predictions:
    proba = None if p1 is None else np.c_[1 - p1, p1]
    return Predictions(
        indices=np.arange(len(y)), y_true=y, fold=np.zeros(len(y), int), proba=proba,
        labels=labels,
    )  # fmt: skip


def auroc_draw(n: int, prevalence: float, auc: float) -> Draw:
    shift = np.sqrt(2) * NormalDist().inv_cdf(auc)
    y = (np.arange(n) < round(n * prevalence)).astype(int)

    def draw(rng: np.random.Generator) -> tuple[Predictions, None]:
        score = rng.normal(size=n) + shift * y
        return _pred(y, p1=1 / (1 + np.exp(-score))), None

    return draw


def accuracy_draw(n: int, p: float) -> Draw:
    y = np.tile([0, 1], n // 2)

    def draw(rng: np.random.Generator) -> tuple[Predictions, None]:
        right = rng.random(n) < p
        return _pred(y, labels=np.where(right, y, 1 - y)), None

    return draw


def balanced_draw(n: int, prevalence: float, p: float) -> Draw:
    y = (np.arange(n) < round(n * prevalence)).astype(int)

    def draw(rng: np.random.Generator) -> tuple[Predictions, None]:
        right = rng.random(n) < p
        return _pred(y, labels=np.where(right, y, 1 - y)), None

    return draw


def _expit(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def clustered_accuracy(p: float) -> tuple[Draw, float]:
    """Subject accuracies logit-normal (sd 1) around a centre chosen so their mean is ``p``."""
    z = np.random.default_rng(0).normal(size=400_000)
    lo, hi = -10.0, 20.0
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _expit(mid + z).mean() < p else (lo, mid)
    centre = (lo + hi) / 2
    truth = float(_expit(centre + z).mean())
    units = np.repeat(np.arange(SUBJECTS), WINDOWS)
    y = np.tile([0, 1], SUBJECTS * WINDOWS // 2)

    def draw(rng: np.random.Generator) -> tuple[Predictions, np.ndarray]:
        right = rng.random(len(y)) < _expit(centre + rng.normal(size=SUBJECTS))[units]
        return _pred(y, labels=np.where(right, y, 1 - y)), units.astype(str)

    return draw, truth


def clustered_auroc(auc: float) -> Draw:
    shift = np.sqrt(2 * 2) * NormalDist().inv_cdf(auc)  # subject sd 1 + window sd 1
    units = np.repeat(np.arange(SUBJECTS), WINDOWS)
    y = (units % 2 == 0).astype(int)  # the subject's label

    def draw(rng: np.random.Generator) -> tuple[Predictions, np.ndarray]:
        score = shift * y + rng.normal(size=SUBJECTS)[units] + rng.normal(size=len(y))
        return _pred(y, p1=_expit(score)), units.astype(str)

    return draw


def coverage(
    metric: str, draw: Draw, truth: float, replicates: int, seed: int, method: str
) -> tuple[float, float, int, int]:
    """``(coverage, mean width, intervals below the truth, intervals above it)``."""
    spec = {metric: REGISTRY.get("metric", metric)}
    rng = np.random.default_rng(seed)
    covered = below = above = 0
    width = 0.0
    for number in range(replicates):
        pred, units = draw(rng)
        if method == "fmbench":
            res = metric_intervals(spec, pred, seed=number, n_resamples=1000, units=units)
        else:
            res = bootstrap_intervals(spec, pred, seed=number, n_resamples=1000, units=units)
        interval = res[metric].interval
        lo, hi = interval if interval is not None else (np.nan, np.nan)
        width += hi - lo
        if hi < truth:
            below += 1
        elif lo > truth:
            above += 1
        elif lo <= truth <= hi:
            covered += 1
    return covered / replicates, width / replicates, below, above


def coverage_rows(replicates: int, seed: int, methods: list[str]) -> list[list[str]]:
    cells: list[tuple[str, str, float, Draw]] = []
    for prevalence in (0.5, 0.1):
        for n in (50, 100):
            for auc in (0.8, 0.95, 0.99):
                cells.append(("AUROC", f"n={n}, prevalence {prevalence}", auc,
                              auroc_draw(n, prevalence, auc)))  # fmt: skip
    for n in (50, 100):
        for p in (0.8, 0.95, 0.99):
            cells.append(("Accuracy", f"n={n}", p, accuracy_draw(n, p)))
    for n in (50, 100):
        for p in (0.8, 0.95, 0.99):
            cells.append(("BalancedAccuracy", f"n={n}, prevalence 0.1", p,
                          balanced_draw(n, 0.1, p)))  # fmt: skip
    for value in (0.8, 0.95, 0.99):
        draw, truth = clustered_accuracy(value)
        cells.append(("Accuracy", f"{SUBJECTS} subjects x {WINDOWS}", truth, draw))
    for auc in (0.8, 0.95, 0.99):
        cells.append(("AUROC", f"{SUBJECTS} subjects x {WINDOWS}", auc, clustered_auroc(auc)))
    rows = []
    for number, (metric, design, truth, draw) in enumerate(cells):
        row = [metric, design, f"{truth:.3f}"]
        for method in methods:
            cov, width, below, above = coverage(metric, draw, truth, replicates, seed + number,
                                                method)  # fmt: skip
            row.append(f"{cov:.3f} (w {width:.3f}; {below}/{above})")
        rows.append(row)
        print("|", " | ".join(row), "|", flush=True)
    return rows


def false_flags(k: int, replicates: int, seed: int, clustered: bool = False) -> tuple[float, float]:
    """How often the sensitivity gap, and either gap, is flagged with equal groups."""
    rng = np.random.default_rng(seed)
    if clustered:
        subjects, per = 40, 10
        units = np.repeat(np.arange(subjects), per).astype(str)
        group = np.repeat([f"G{i}" for i in range(k)], subjects * per // k).astype(object)
    else:
        units = None
        group = np.repeat([f"G{i}" for i in range(k)], 400 // k).astype(object)
    n = len(group)
    y = np.tile([0, 1], n // 2)
    names = sorted(set(group.tolist()))
    sens = either = 0
    for _ in range(replicates):
        if clustered:
            offset = 1.2 * rng.normal(size=40)[np.repeat(np.arange(40), 10)]
            hit = rng.random(n) < _expit(np.where(y == 1, 1.4, 2.2) + offset)
        else:
            hit = rng.random(n) < np.where(y == 1, 0.8, 0.9)
        called = np.where(y == 1, hit, ~hit)
        pred = _pred(y, p1=np.where(called, 0.7, 0.3))
        block = clinical_block(ClinicalSpec(), pred, seed=0, n_resamples=2, units=units,
                               groups={"site": (group, names)})  # fmt: skip
        gaps = block["subgroup_gaps"]["site"]
        sens += bool(gaps["sensitivity"]["flagged"])
        either += bool(gaps["sensitivity"]["flagged"] or gaps["specificity"]["flagged"])
    return sens / replicates, either / replicates


REGISTRY = build_registry(external=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--percentile", action="store_true",
                        help="also the percentile bootstrap (1000 resamples), for comparison")  # fmt: skip
    args = parser.parse_args()
    methods = ["fmbench", *(["percentile"] if args.percentile else [])]
    print(f"{platform.machine()}, Python {platform.python_version()}; "
          f"{args.replicates} replicates per cell, seed {args.seed}\n")  # fmt: skip
    t0 = time.perf_counter()
    heads = {"fmbench": "fmbench interval", "percentile": "percentile bootstrap"}
    cols = [heads[m] + ": coverage (w mean width; below/above)" for m in methods]
    print("| Metric | Design | True value | " + " | ".join(cols) + " |")
    print("|---|---|---|" + "---|" * len(methods))
    rows = coverage_rows(args.replicates, args.seed, methods)
    fm = [float(r[3].split()[0]) for r in rows]
    print(f"\nlowest fmbench coverage: {min(fm):.3f} (nominal 0.95)")
    print("\n| Subgroup gap, equal rates in every group | sensitivity flagged | "
          "sensitivity or specificity flagged |")  # fmt: skip
    print("|---|---|---|")
    for k in (2, 4, 8):
        sens, either = false_flags(k, args.replicates, args.seed + 100 + k)
        print(f"| {k} groups x {400 // k} samples | {sens:.3f} | {either:.3f} |", flush=True)
    sens, either = false_flags(4, args.replicates, args.seed + 200, clustered=True)
    print(f"| 4 groups x 10 subjects x 10 samples (Rao-Scott) | {sens:.3f} | {either:.3f} |")
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
