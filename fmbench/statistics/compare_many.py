"""Compare three or more runs: the Friedman test over data sets, the Nemenyi post-hoc, and
paired bootstrap comparisons per benchmark for every pair of runs on the same split.

**Blocks.** The Friedman test needs independent blocks in which every model has a score.
A block here is a *data set*: the benchmarks that every run completed with the same benchmark
version, data set and primary metric, grouped by their ``dataset_id``. Benchmarks on one data
set share their samples, so they are one block, not several: each model's block rank is the
mean of its ranks over that data set's benchmarks (ranked again, ties sharing their mean).
Each score is the benchmark's point value from ``eval.yaml`` (no bootstrap: resamples of one
data set are not independent blocks). Benchmarks left out are listed with the reason.

**Tests** (:mod:`fmbench.statistics.rank_tests`): Friedman with its exact permutation
distribution, so it holds for few blocks too; when even identical rankings in every block
could not reach ``alpha`` it is reported as ``None`` with that reason. Only when it rejects,
the Nemenyi post-hoc compares all pairs by mean ranks, single-step adjusted for the
k(k-1)/2 pairs (family-wise error rate at ``alpha``). Nemenyi rather than Wilcoxon-Holm
(Benavoli et al. 2016) because the blocks carry different metrics (AUROC on one data set,
macro-F1 or MAE on another): a signed-rank test would rank differences of incommensurable
metrics, while ranks are comparable across blocks. The price (Benavoli et al.'s point) is
that a pair's result depends on which other models are compared.

**Pairwise.** For every pair of runs and every benchmark both kept predictions for: the
paired bootstrap difference of :func:`fmbench.statistics.compare.paired_difference`, only
when both scored the same samples in the same folds (otherwise the pair is left out with the
reason, unless ``allow_different_splits``), with Holm's correction over all those tests.

Everything is conditional on the fitted models (see
:data:`fmbench.statistics.compare.CONDITIONAL_ON`).

Example:
    >>> cliques([("a", 1.0), ("b", 1.5), ("c", 3.0)], {("a", "c"), ("b", "c")})
    [['a', 'b']]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from fmbench.errors import ResultsError
from fmbench.plugin_system.registry import Registry
from fmbench.plugin_system.specs import MetricSpec
from fmbench.results.predictions import StoredPredictions
from fmbench.statistics.bootstrap import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, rng_seed
from fmbench.statistics.compare import (
    CONDITIONAL_ON,
    DIFFERENT_SPLITS_MEANING,
    check_same_samples,
    paired_difference,
    read_run,
)
from fmbench.statistics.rank_tests import (
    FriedmanResult,
    NemenyiResult,
    block_ranks,
    friedman_test,
    holm,
    nemenyi_test,
    permutation_null,
    smallest_nemenyi_p,
)

__all__ = ["Block", "ManyComparison", "RunInfo", "cliques", "compare_many"]

DEFAULT_ALPHA = 0.05


@attrs.frozen(kw_only=True)
class RunInfo:
    """One compared run: its label in the output (the model id, made unique), where it is."""

    label: str
    model: str
    eval_id: str | None
    path: str


@attrs.frozen(kw_only=True)
class Block:
    """One data set: its benchmarks and each model's rank in it (1 = best)."""

    dataset_id: str
    benchmarks: tuple[str, ...]
    ranks: tuple[float, ...]


@attrs.define(kw_only=True)
class ManyComparison:
    """The result of :func:`compare_many` (``to_dict`` gives the JSON)."""

    runs: list[RunInfo]
    alpha: float
    scores: dict[str, dict[str, float]]
    blocks: list[Block]
    left_out: dict[str, str]
    mean_ranks: dict[str, float]
    friedman: FriedmanResult
    posthoc: NemenyiResult
    pairwise: list[dict[str, Any]]
    pairwise_left_out: list[dict[str, str]]
    different_splits: bool = False

    def holm_floor(self) -> float | None:
        """The smallest Holm-adjusted p-value the pairwise tests could give: the number of
        tests times the bootstrap's smallest p-value, 2 / (resamples + 1)."""
        tested = [e for e in self.pairwise if e.get("p_value") is not None]
        if not tested:
            return None
        return min(1.0, len(tested) * 2 / (min(e["n_used"] for e in tested) + 1))

    def resamples_needed(self) -> int:
        """Resamples with which the smallest Holm-adjusted p-value reaches ``alpha``."""
        tested = sum(1 for e in self.pairwise if e.get("p_value") is not None)
        return max(100, math.ceil(2 * tested / self.alpha))

    @property
    def labels(self) -> list[str]:
        return [run.label for run in self.runs]

    def groups(self) -> list[list[str]]:
        """Groups of models no post-hoc test tells apart (all models, if none was run)."""
        ordered = sorted(self.mean_ranks.items(), key=lambda kv: (kv[1], kv[0]))
        if not self.posthoc.pairs:
            return [[name for name, _ in ordered]] if len(ordered) > 1 else []
        different = {(p.a, p.b) for p in self.posthoc.pairs if p.different}
        different |= {(b, a) for a, b in different}
        return cliques(ordered, different)

    def to_dict(self) -> dict[str, Any]:
        friedman = attrs.asdict(self.friedman)
        friedman["rejects"] = self.friedman.rejects
        posthoc = attrs.asdict(self.posthoc, recurse=False)
        posthoc["pairs"] = [
            {**attrs.asdict(p), "mean_rank_difference": p.difference} for p in self.posthoc.pairs
        ]
        posthoc["correction"] = (
            f"single-step (range of mean ranks): family-wise error rate at alpha over all "
            f"{len(self.runs) * (len(self.runs) - 1) // 2} pairs"
        )
        out: dict[str, Any] = {
            "runs": [attrs.asdict(r) for r in self.runs],
            "conditional_on": CONDITIONAL_ON,
            "alpha": self.alpha,
            "blocks": {
                "unit": "data set (benchmarks on one data set form one block)",
                "n_blocks": len(self.blocks),
                "datasets": [
                    {
                        "dataset_id": b.dataset_id,
                        "benchmarks": list(b.benchmarks),
                        "ranks": dict(zip(self.labels, b.ranks, strict=True)),
                    }
                    for b in self.blocks
                ],
                "left_out": self.left_out,
            },
            "scores": self.scores,
            "mean_ranks": self.mean_ranks,
            "friedman": friedman,
            "posthoc": posthoc,
            "groups": self.groups(),
            "pairwise": {
                "method": "paired bootstrap per benchmark (same samples and folds only)",
                "correction": f"Holm over the {len(self.pairwise)} tests with a p-value",
                "smallest_possible_p_holm": self.holm_floor(),
                "comparisons": self.pairwise,
                "left_out": self.pairwise_left_out,
            },
        }
        if self.different_splits:
            out["different_splits"] = DIFFERENT_SPLITS_MEANING
        return out

    def lines(self) -> list[str]:
        """The comparison as text (what ``fmbench compare`` prints)."""
        out = [f"{len(self.runs)} runs:"]
        out += [f"  {r.label}: {r.model} ({r.path})" for r in self.runs]
        out.append(f"Conditional on {CONDITIONAL_ON}.")
        blocks = "; ".join(f"{b.dataset_id}: {', '.join(b.benchmarks)}" for b in self.blocks)
        out.append(f"Blocks: {len(self.blocks)} data set(s) ({blocks or 'none'})")
        for benchmark_id, reason in self.left_out.items():
            out.append(f"  left out {benchmark_id}: {reason}")
        if self.mean_ranks:
            ranks = ", ".join(
                f"{name} {rank:.2f}"
                for name, rank in sorted(self.mean_ranks.items(), key=lambda kv: kv[1])
            )
            out.append(f"Mean ranks (1 = best): {ranks}")
        f = self.friedman
        if f.p_value is None:
            out.append(f"Friedman test: not run ({f.reason})")
        else:
            verdict = "rejects" if f.rejects else "does not reject"
            out.append(
                f"Friedman test: chi2 = {f.statistic:.4g}, p = {f.p_value:.4g} ({f.method}; "
                f"{f.n_blocks} blocks, {f.n_models} models; smallest possible p "
                f"{f.smallest_possible_p:.3g}): {verdict} 'all models rank alike' at alpha "
                f"{self.alpha:g}"
            )
            if f.n_blocks < 10:
                out.append(
                    f"  Only {f.n_blocks} blocks: the test detects only large, consistent "
                    "differences; not rejecting is not evidence that the models are equal."
                )
        p = self.posthoc
        if not p.pairs:
            out.append(f"Post-hoc: not run ({p.reason})")
        else:
            cd = f"{p.critical_difference:.3f}" if p.critical_difference is not None else "none"
            out.append(
                f"Post-hoc: {p.method}; adjusted for all {len(p.pairs)} pairs (family-wise "
                f"error rate {self.alpha:g}); critical difference of mean ranks {cd}"
            )
            for pair in p.pairs:
                word = "different" if pair.different else "not shown different"
                out.append(
                    f"  {pair.a} vs {pair.b}: mean ranks {pair.mean_rank_a:.2f} / "
                    f"{pair.mean_rank_b:.2f}, adjusted p = {pair.p_adjusted:.4g} ({word})"
                )
        out.append(
            f"Pairwise paired bootstrap per benchmark (same samples and folds only), Holm "
            f"over {len(self.pairwise)} tests:"
        )
        for e in self.pairwise:
            which = f"{e['benchmark_id']} {e['metric']}: {e['run_b']} - {e['run_a']}"
            if e.get("p_value") is None:
                out.append(f"  {which}: no test ({e['reason']})")
                continue
            lo, hi = e["interval"]
            level = round(100 * e["confidence"])
            split = " [different splits]" if e.get("split") == "different" else ""
            out.append(
                f"  {which} = {e['b']:.4f} - {e['a']:.4f} = {e['difference']:+.4f} "
                f"[{lo:+.4f}, {hi:+.4f}] ({level}%, not adjusted), p = {e['p_value']:.4g}, "
                f"Holm p = {e['p_holm']:.4g}{split}"
            )
        floor = self.holm_floor()
        if floor is not None and floor > self.alpha:
            out.append(
                f"  Note: with {len(self.pairwise)} tests and these resamples no Holm p can be "
                f"below {floor:.3g} > alpha {self.alpha:g}; pass --n-resamples "
                f"{self.resamples_needed()} or more to let these tests reach alpha."
            )
        for item in self.pairwise_left_out:
            out.append(f"  left out {item['benchmark_id']} {item['run_a']} vs {item['run_b']}: "
                       f"{item['reason']}")  # fmt: skip
        if self.different_splits:
            out.append(f"Different splits were allowed: {DIFFERENT_SPLITS_MEANING}.")
        return out


def cliques(
    ordered: Sequence[tuple[str, float]], different: Collection[tuple[str, str]]
) -> list[list[str]]:
    """Maximal runs of models (sorted by mean rank) in which no pair is ``different``,
    with two or more members: the bars of a critical-difference diagram."""
    names = [name for name, _ in ordered]
    found: list[tuple[int, int]] = []
    for start in range(len(names)):
        end = start
        while end + 1 < len(names) and not any(
            (names[i], names[end + 1]) in different for i in range(start, end + 1)
        ):
            end += 1
        if end > start and not any(s <= start and end <= e for s, e in found):
            found.append((start, end))
    return [names[s : e + 1] for s, e in found]


def _labels(documents: Sequence[dict[str, Any]]) -> list[str]:
    models = [str((d.get("model_ids") or {}).get("candidate") or "run") for d in documents]
    out = []
    for i, (model, doc) in enumerate(zip(models, documents, strict=True)):
        out.append(model if models.count(model) == 1 else f"{model} ({doc.get('eval_id', i)})")
    if len(set(out)) < len(out):  # the same run given twice
        out = [f"{label} #{i + 1}" for i, label in enumerate(out)]
    return out


def _completed(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        str(r["benchmark_id"]): r
        for r in document.get("benchmarks") or []
        if isinstance(r, dict) and r.get("status") == "Completed" and "benchmark_id" in r
    }


def _direction(registry: Registry, record: dict[str, Any]) -> tuple[str, str]:
    declared = record.get("primary_metric") or {}
    name = str(declared.get("name"))
    if registry.has(MetricSpec, name):
        return name, registry.get(MetricSpec, name).direction
    return name, str(declared.get("direction", "higher"))


def _benchmark_scores(
    registry: Registry, labels: list[str], records: list[dict[str, dict[str, Any]]]
) -> tuple[dict[str, tuple[str, str, dict[str, float]]], dict[str, str]]:
    """benchmark -> (dataset, direction, {label: value}) for the benchmarks every run can be
    ranked on; the others with the reason."""
    kept: dict[str, tuple[str, str, dict[str, float]]] = {}
    left_out: dict[str, str] = {}
    every = sorted(set().union(*records))
    for benchmark_id in every:
        missing = [label for label, r in zip(labels, records, strict=True) if benchmark_id not in r]
        if missing:
            left_out[benchmark_id] = f"not completed by {', '.join(missing)}"
            continue
        rows = [r[benchmark_id] for r in records]
        keys = {
            (str(row.get("benchmark_version")), str(row.get("dataset_id")), *_direction(registry, row))
            for row in rows
        }  # fmt: skip
        if len(keys) > 1:
            left_out[benchmark_id] = (
                "the runs differ in benchmark version, data set or primary metric ("
                + "; ".join(sorted(f"v{v} on {d}, {m} {o}" for v, d, m, o in keys))
                + ")"
            )
            continue
        _, dataset_id, metric, direction = keys.pop()
        values: dict[str, float] = {}
        for label, row in zip(labels, rows, strict=True):
            value = (row.get("metrics") or {}).get(metric)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                values.update({label: float(value)} if np.isfinite(value) else {})
        undefined = [label for label in labels if label not in values]
        if undefined:
            left_out[benchmark_id] = f"{metric} is undefined for {', '.join(undefined)}"
            continue
        kept[benchmark_id] = (dataset_id, direction, values)
    return kept, left_out


def _blocks(labels: list[str], scores: dict[str, tuple[str, str, dict[str, float]]]) -> list[Block]:
    by_dataset: dict[str, list[str]] = {}
    for benchmark_id, (dataset_id, _, _) in sorted(scores.items()):
        by_dataset.setdefault(dataset_id, []).append(benchmark_id)
    blocks = []
    for dataset_id, benchmarks in sorted(by_dataset.items()):
        per_benchmark = []
        for benchmark_id in benchmarks:
            _, direction, values = scores[benchmark_id]
            row = np.array([[values[label] for label in labels]])
            per_benchmark.append(block_ranks(row, higher_is_better=direction == "higher")[0])
        mean = np.mean(per_benchmark, axis=0)[None, :]
        ranks = block_ranks(mean, higher_is_better=False)[0]
        blocks.append(
            Block(dataset_id=dataset_id, benchmarks=tuple(benchmarks),
                  ranks=tuple(float(r) for r in ranks))
        )  # fmt: skip
    return blocks


def _pairwise(
    registry: Registry,
    labels: list[str],
    records: list[dict[str, dict[str, Any]]],
    stored: list[dict[str, StoredPredictions]],
    *,
    seed: int,
    n_resamples: int,
    confidence: float,
    allow_different_splits: bool,
) -> tuple[list[dict[str, Any]], list[dict[str, str]], bool]:
    entries: list[dict[str, Any]] = []
    left_out: list[dict[str, str]] = []
    cache: dict[Any, Any] = {}
    any_different = False
    for i, j in itertools.combinations(range(len(labels)), 2):
        shared = sorted(set(records[i]) & set(records[j]))
        for benchmark_id in shared:
            where = {"benchmark_id": benchmark_id, "run_a": labels[i], "run_b": labels[j]}
            if benchmark_id not in stored[i] or benchmark_id not in stored[j]:
                without = [labels[x] for x in (i, j) if benchmark_id not in stored[x]]
                left_out.append({**where, "reason": f"no kept predictions for "
                                 f"{', '.join(without)} (predictions.npz)"})  # fmt: skip
                continue
            metric_a, _ = _direction(registry, records[i][benchmark_id])
            metric_b, _ = _direction(registry, records[j][benchmark_id])
            if metric_a != metric_b or not registry.has(MetricSpec, metric_a):
                reason = (
                    f"different primary metrics ({metric_a} vs {metric_b})"
                    if metric_a != metric_b
                    else f"metric {metric_a} is not installed"
                )
                left_out.append({**where, "reason": reason})
                continue
            a, b = stored[i][benchmark_id], stored[j][benchmark_id]
            try:
                same = check_same_samples(
                    benchmark_id, a, b, allow_different_splits=allow_different_splits
                )
            except ResultsError as exc:
                left_out.append({**where, "reason": str(exc)})
                continue
            any_different |= not same
            result = paired_difference(
                registry.get(MetricSpec, metric_a), a, b,
                seed=rng_seed(seed, benchmark_id, "compare"), n_resamples=n_resamples,
                confidence=confidence, cache=cache,
            )  # fmt: skip
            entries.append({**where, **result, "split": "same" if same else "different"})
    tested = [e for e in entries if e.get("p_value") is not None]
    for entry, adjusted in zip(tested, holm([e["p_value"] for e in tested]), strict=True):
        entry["p_holm"] = adjusted
    return entries, left_out, any_different


def compare_many(
    registry: Registry,
    runs: Sequence[Path | str],
    *,
    alpha: float = DEFAULT_ALPHA,
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int | None = None,
    allow_different_splits: bool = False,
) -> ManyComparison:
    """Friedman + Nemenyi over data sets, and paired comparisons per benchmark; see the
    module docstring. Runs without ``predictions.npz`` take part in the rank tests only."""
    if len(runs) < 3:
        raise ResultsError(f"comparing many runs needs three or more, got {len(runs)}")
    read = [read_run(path, require_predictions=False) for path in runs]
    documents = [doc for doc, _, _ in read]
    labels = _labels(documents)
    infos = [
        RunInfo(label=label, model=str((doc.get("model_ids") or {}).get("candidate")),
                eval_id=doc.get("eval_id"), path=str(folder))
        for label, (doc, _, folder) in zip(labels, read, strict=True)
    ]  # fmt: skip
    records = [_completed(doc) for doc in documents]
    if seed is None:
        seed = int((documents[0].get("run_metadata") or {}).get("seed", 0) or 0)
    scores, left_out = _benchmark_scores(registry, labels, records)
    blocks = _blocks(labels, scores)
    k = len(labels)
    if blocks:
        ranks = np.array([b.ranks for b in blocks])
        mean_ranks = {
            label: round(float(v), 6) for label, v in zip(labels, ranks.mean(axis=0), strict=True)
        }
    else:
        ranks = np.zeros((0, k))
        mean_ranks = {}
    null = None
    friedman = friedman_test(ranks, alpha=alpha, seed=seed) if blocks else FriedmanResult(
        n_blocks=0, n_models=k, alpha=alpha, smallest_possible_p=1.0,
        reason="no benchmark that every run completed on the same data set and metric",
    )  # fmt: skip
    if friedman.rejects:
        null = permutation_null(ranks, seed=seed)
        posthoc = nemenyi_test(ranks, labels, alpha=alpha, seed=seed, null=null)
    else:
        why = (
            f"the Friedman test could not be run ({friedman.reason})"
            if friedman.p_value is None
            else f"the Friedman test did not reject at alpha {alpha:g} (p = "
            f"{friedman.p_value:.4g}); pairs are tested only after it does (Demšar 2006)"
        )
        posthoc = NemenyiResult(
            alpha=alpha, smallest_possible_p=smallest_nemenyi_p(k, len(blocks)), reason=why
        )
    pairwise, pairwise_left_out, different = _pairwise(
        registry, labels, records, [s for _, s, _ in read], seed=seed,
        n_resamples=n_resamples, confidence=confidence,
        allow_different_splits=allow_different_splits,
    )  # fmt: skip
    return ManyComparison(
        runs=infos,
        alpha=alpha,
        scores={bid: dict(values) for bid, (_, _, values) in sorted(scores.items())},
        blocks=blocks,
        left_out=left_out,
        mean_ranks=mean_ranks,
        friedman=friedman,
        posthoc=posthoc,
        pairwise=pairwise,
        pairwise_left_out=pairwise_left_out,
        different_splits=different,
    )
