"""The robustness gate and score, simulated: before (fmbench <= 0.1) and after (#19.7, 19.8).

Each replicate draws a small dataset, scores a model on it (clean), runs the generic probes
(noise, masking, dropout; their default grids) through the real engine
(:func:`fmbench.robustness.engine.evaluate_probes`) and reads the robustness block. The same
curves are then scored by both rules:

* **before**: label permutations of single samples; a model that fails the gate scores
  **0**; each chance-relative point clipped to [0, 1]; levels mapped *linearly* to [0, 1].
* **after** (what the engine writes now): permutations respect the benchmark's resampling
  unit (:mod:`fmbench.robustness.signal_gate`); failing the gate gives **null** with the
  p-value; chance-relative points are not clipped, only each probe's rAUC is (to [0, 1]);
  levels are rank-spaced.

Models:

* ``signal``: true AUROC 0.8 (binormal: channel 0 of a sample carries ``+-delta``; the model
  is the logistic of its mean), independent samples;
* ``chance``: fmbench's ``DummyClassifier`` (pseudo-random outputs seeded by each input row:
  it ignores the signal, and a perturbed input gets fresh random outputs);
* ``fingerprint``: 20 subjects x 5 windows, one label per subject, the model reads a subject
  offset that has nothing to do with the label (a subject fingerprint, no diagnostic signal);
* ``clustered signal``: the same clusters, but the subject offset now carries the label
  (true subject-level AUROC about 0.8), to show the cluster permutations keep their power.

Usage::

    python bench/sim_robustness_gate.py [--reps 1000] [--seed 0]

It prints the tables quoted in docs/robustness.md (about 10 minutes for 1000 replicates on
the 2-core VM). Nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from fmbench.data.dataset import Dataset
from fmbench.evaluation.protocols import Predictions
from fmbench.models.config import ModelConfig
from fmbench.models.dummy import DummyClassifier
from fmbench.models.handle import ModelHandle
from fmbench.plugin_system.registry import build_registry
from fmbench.plugin_system.specs import MetricSpec, ProbeEntry
from fmbench.robustness.engine import evaluate_probes, plan_probes
from fmbench.robustness.signal_gate import signal_test

PROBES = ("noise", "masking", "dropout")
#: AUROC 0.8 for a binormal score: d' = sqrt(2) * Phi^-1(0.8) = 1.190; the model averages
#: 16 time points of unit noise, so the offset is d' / 2 * sqrt(1/16) = 0.1488.
DELTA = 0.1488
TIMES = 16
CHANNELS = 8


class RandomPerCall:
    """Ignores its input entirely: fresh pseudo-random probabilities on every call."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = np.random.default_rng(seed)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p1 = self.rng.random(len(X))
        return np.column_stack([1 - p1, p1])


class MeanOfChannel:
    """Logistic of the mean of one channel: uses whatever that channel carries."""

    def __init__(self, channel: int = 0) -> None:
        self.channel = channel

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        score = np.asarray(X, dtype=float)[:, self.channel].mean(axis=-1)
        p1 = 1.0 / (1.0 + np.exp(-3.0 * score))
        return np.column_stack([1 - p1, p1])


def _handle(model: Any) -> ModelHandle:
    return ModelHandle(model=model, config=ModelConfig(model_id="sim", type="python_class"))


def independent_data(n: int, rng: np.random.Generator, delta: float) -> tuple[Dataset, None]:
    y = np.repeat([0, 1], n // 2)
    X = rng.standard_normal((n, CHANNELS, TIMES))
    X[:, 0] += np.where(y == 1, delta, -delta)[:, None]
    info = {"modality": "eeg", "task": "classification", "n_classes": 2}
    return Dataset(dataset_id="sim", X=X.astype(np.float32), y=y, info=info), None


def clustered_data(
    rng: np.random.Generator, subject_signal: float, subjects: int = 20, windows: int = 5
) -> tuple[Dataset, np.ndarray]:
    """One label per subject; channel 0 = subject offset (+ label effect) + window noise."""
    labels = np.repeat([0, 1], subjects // 2)
    offset = rng.standard_normal(subjects) + subject_signal * np.where(labels == 1, 1, -1)
    y = np.repeat(labels, windows)
    units = np.repeat([f"s{i:02d}" for i in range(subjects)], windows)
    X = 0.5 * rng.standard_normal((subjects * windows, CHANNELS, TIMES))
    X[:, 0] += np.repeat(offset, windows)[:, None]
    info = {"modality": "eeg", "task": "classification", "n_classes": 2}
    return Dataset(dataset_id="sim", X=X.astype(np.float32), y=y, info=info), units


def clipped_score(block: dict[str, Any], passed: bool, axis: str) -> float | None:
    """Points clipped to [0, 1] (fmbench <= 0.1) on a ``linear`` or ``rank`` level axis."""
    if not passed:
        return None
    clean = block["primary_metric"]["clean"]
    chance = block["primary_metric"]["chance"]
    scores = []
    for probe in block["probes"].values():
        levels = np.asarray(probe["levels"], dtype=float)
        if axis == "linear":
            t = (levels - levels[0]) / (levels[-1] - levels[0])
        else:
            t = np.arange(len(levels)) / (len(levels) - 1)
        values = np.asarray(probe["performance"]["values"], dtype=float)
        relative = np.clip((values - chance) / (clean - chance), 0.0, 1.0)
        scores.append(float(np.trapezoid(relative, t)))
    return float(np.mean(scores))


def run_case(
    make: Callable[[np.random.Generator], tuple[Dataset, np.ndarray | None]],
    model: Any,
    reps: int,
    seed: int,
) -> dict[str, Any]:
    registry = build_registry(external=False)
    auroc: MetricSpec = registry.get(MetricSpec, "AUROC")
    h = _handle(model)
    old_pass, new_pass, olds, clipped, news, new_zero = [], [], [], [], [], 0
    for rep in range(reps):
        rng = np.random.default_rng([seed, rep])
        dataset, units = make(rng)
        idx = np.arange(dataset.n_samples)
        proba = h.predict_proba(dataset.X, 2)
        clean = Predictions(
            indices=idx, y_true=dataset.y, fold=np.zeros(len(idx), int), proba=proba,
            labels=proba.argmax(axis=1),
        )  # fmt: skip
        plans = plan_probes(registry, [ProbeEntry(name=p) for p in PROBES], dataset.info)
        block = evaluate_probes(
            registry, plans, dataset=dataset, predictions=clean, model=h,
            task="classification", primary_metric="AUROC", seed=rep, batch_size=256,
            units=units, unit_name="subject_id",
        )  # fmt: skip
        pm = block["primary_metric"]
        before = signal_test(auroc, clean, pm["clean"], pm["chance"], rep)  # samples
        old_pass.append(before.passed)
        olds.append(clipped_score(block, before.passed, "linear") or 0.0)
        new_pass.append(block["signal_test"]["passed"])
        clipped.append(clipped_score(block, block["signal_test"]["passed"], "rank"))
        score = block["robustness_score"]
        news.append(score)
        new_zero += int(score == 0.0)
    return {
        "old_pass": np.asarray(old_pass),
        "new_pass": np.asarray(new_pass),
        "old": np.asarray(olds),
        "new": news,
        "clipped": clipped,
        "new_zero": new_zero,
    }


def _q(values: list[float] | np.ndarray) -> str:
    if len(values) == 0:
        return "-"
    q = np.quantile(np.asarray(values, dtype=float), [0.0, 0.5, 0.95, 1.0])
    return f"{q[0]:.2f} / {q[1]:.2f} / {q[2]:.2f} / {q[3]:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(
        f"# sim_robustness_gate: {args.reps} replicates, seed {args.seed}, probes "
        f"{', '.join(PROBES)}; Python {platform.python_version()}, {platform.machine()}"
    )
    cases: list[tuple[str, Callable[..., Any], Any]] = [
        *[
            (f"signal AUROC 0.8, n={n}", lambda r, n=n: independent_data(n, r, DELTA),
             MeanOfChannel())
            for n in (10, 20, 30)
        ],
        *[
            (f"input ignored (random per call), n={n}",
             lambda r, n=n: independent_data(n, r, 0.0), RandomPerCall())
            for n in (10, 30, 100)
        ],
        *[
            (f"chance (DummyClassifier), n={n}", lambda r, n=n: independent_data(n, r, 0.0),
             DummyClassifier(random_seed=7))
            for n in (30, 100)
        ],
        ("fingerprint, 20 subjects x 5", lambda r: clustered_data(r, 0.0), MeanOfChannel()),
        ("clustered signal, 20 x 5", lambda r: clustered_data(r, 0.6), MeanOfChannel()),
    ]  # fmt: skip
    print()
    print(
        "| case | gate passed: before | after | score 0: before | null: after "
        "| score if passed (min / median / 95% / max): before | after, points clipped "
        "| after |"
    )
    print("|---|---:|---:|---:|---:|---|---|---|")
    for name, make, model in cases:
        res = run_case(make, model, args.reps, args.seed)
        new_scores = [s for s in res["new"] if s is not None]
        clipped = [s for s in res["clipped"] if s is not None]
        n_null = sum(s is None for s in res["new"])
        old_passed = res["old"][res["old_pass"]]
        print(
            f"| {name} | {res['old_pass'].mean():.3f} | {res['new_pass'].mean():.3f} "
            f"| {(res['old'] == 0).mean():.3f} | {n_null / args.reps:.3f} "
            f"| {_q(old_passed)} | {_q(clipped)} | {_q(new_scores)} |"
        )
        if res["new_zero"]:
            print(f"|   (after: {res['new_zero']} replicates scored exactly 0) |")
        sys.stdout.flush()
    print()
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
