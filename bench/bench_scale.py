"""Scale benchmarks (issue: parallel runs, harness overhead, memory, linear growth).

Run: .venv/bin/python bench/bench_scale.py [--part jobs|overhead|memory|growth|all] [--quick]

- jobs:     wall time of a 4-benchmark suite with --jobs 1 and --jobs 2 (speed-up);
- overhead: fmbench on a 100,000-sample benchmark with a fast linear model against a
            hand-written script doing the same loading, prediction and metrics (bootstrap
            excluded: its phase is subtracted, the script computes no intervals);
- memory:   peak RSS of run-robustness over an EEG-shaped memory-mapped dataset
            (10,000 x 32 x 1,000 float32 = 1.3 GB) with 5 probes x 6 levels;
- growth:   wall time of run-robustness against samples, probes and levels.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

LINEAR_MODEL = '''
import numpy as np


class Linear:
    """A fast linear read-out: what a cheap model costs, so the harness dominates."""

    def __init__(self, n_features=100):
        self.w = np.random.default_rng(0).standard_normal(n_features)

    def predict_proba(self, X):
        X = np.asarray(X, dtype=np.float32).reshape(len(X), -1)
        z = X[:, : len(self.w)] @ self.w[: X.shape[1]]
        p = 1 / (1 + np.exp(-z / 10))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)

    def embed(self, X):
        return np.asarray(X, dtype=np.float32).reshape(len(X), -1)[:, :32]
'''


def _env(workdir: Path, plugins: bool = False) -> dict[str, str]:
    """Only the core's plugins, unless the part needs fmbench-neuro's EEG probes."""
    env = {**os.environ, "PYTHONPATH": str(workdir)}
    if not plugins:
        env["FMBENCH_NO_PLUGINS"] = "1"
    return env


def _write_model(workdir: Path, name: str = "model.yaml", n_features: int = 100) -> None:
    (workdir / "bench_linear.py").write_text(LINEAR_MODEL)
    (workdir / name).write_text(
        'model_id: linear\ntype: python_class\nimport_path: "bench_linear:Linear"\n'
        f"init_kwargs: {{n_features: {n_features}}}\n"
    )


def _write_array(folder: Path, n: int, shape: tuple[int, ...], seed: int = 0) -> None:
    """A memory-mapped array folder written in chunks (never the whole array in memory)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    X = np.lib.format.open_memmap(folder / "X.npy", mode="w+", dtype=np.float32, shape=(n, *shape))
    y = rng.integers(0, 2, n)
    for start in range(0, n, 500):
        stop = min(n, start + 500)
        X[start:stop] = rng.standard_normal((stop - start, *shape), dtype=np.float32)
        X[start:stop, :10] += (2 * y[start:stop] - 1).reshape(-1, *([1] * len(shape))) * 0.5
    X.flush()
    del X
    np.save(folder / "y.npy", y)
    subjects = [f"s{i // 4:05d}" for i in range(n)]
    sites = [("A", "B", "C")[i % 3] for i in range(n)]
    (folder / "metadata.csv").write_text(
        "subject_id,site\n" + "".join(f"{s},{t}\n" for s, t in zip(subjects, sites, strict=True))
    )
    info = {"modality": "eeg", "task": "classification", "n_classes": 2, "sampling_freq": 250.0}
    (folder / "info.json").write_text(json.dumps(info))


def _timed(
    args: list[str], cwd: Path, plugins: bool = False
) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=_env(cwd, plugins), capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{args} failed:\n{done.stderr}")
    return elapsed, done


def bench_jobs(workdir: Path, quick: bool) -> None:
    n = 4000 if quick else 20000
    for i in range(4):
        _write_array(workdir / f"data{i}", n, (100,), seed=i)
    # the core's linear-probe benchmark (5 folds grouped by subject) on four datasets
    suite = "suite_id: SUITE-SCALE\nname: scale\nbenchmarks:\n" + "".join(
        f"  - {{benchmark_id: BM-TOY-CLASS-PROBE, dataset: {workdir / f'data{i}'}}}\n"
        for i in range(4)
    )
    (workdir / "suite.yaml").write_text(suite)
    _write_model(workdir)
    rows = []
    for jobs in (1, 2):
        wall, _ = _timed(
            [PYTHON, "-m", "fmbench", "run", "--suite", "suite.yaml", "--model", "model.yaml",
             "--out", f"jobs{jobs}", "--no-progress", "--jobs", str(jobs), "--n-resamples", "200",
             "--overwrite", "--no-cache"],
            workdir,
        )  # fmt: skip
        rows.append((jobs, wall))
    print(f"\n### --jobs speed-up (4 benchmarks x {n} samples, linear probe, 5 grouped folds)\n")
    print("| jobs | wall time (s) | speed-up |\n|---|---|---|")
    for jobs, wall in rows:
        print(f"| {jobs} | {wall:.1f} | {rows[0][1] / wall:.2f}x |")


def _handwritten(folder: Path) -> float:
    """The same loading, prediction and metrics by hand (numpy + scikit-learn)."""
    start = time.perf_counter()
    sys.path.insert(0, str(folder.parent))
    from bench_linear import Linear  # type: ignore[import-not-found]
    from sklearn.metrics import (
        accuracy_score,
        balanced_accuracy_score,
        f1_score,
        roc_auc_score,
    )

    X = np.load(folder / "X.npy", mmap_mode="r")
    y = np.load(folder / "y.npy")
    sites = np.array(
        [line.split(",")[1] for line in (folder / "metadata.csv").read_text().split()[1:]]
    )
    model = Linear(100)
    proba = np.concatenate([model.predict_proba(X[i : i + 256]) for i in range(0, len(X), 256)])
    pred = proba.argmax(axis=1)
    results = {}
    for group in [None, *sorted(set(sites))]:
        m = slice(None) if group is None else sites == group
        results[group] = (
            roc_auc_score(y[m], proba[m, 1]), accuracy_score(y[m], pred[m]),
            balanced_accuracy_score(y[m], pred[m]), f1_score(y[m], pred[m], average="macro"),
        )  # fmt: skip
    return time.perf_counter() - start


def bench_overhead(workdir: Path, quick: bool) -> None:
    n = 20000 if quick else 100000
    folder = workdir / "big"
    _write_array(folder, n, (100,))
    _write_model(workdir)
    code = f"""
import sys, time, json
sys.path.insert(0, {str(workdir)!r})
t0 = time.perf_counter()
from pathlib import Path
from fmbench.plugin_system.definitions import parse_benchmark, parse_suite
from fmbench.models.config import read_model_config
from fmbench.plugin_system.registry import build_registry
from fmbench.running.suite_run import RunOptions, run_suite
from fmbench.plugin_system.specs import BenchmarkSpec
registry = build_registry(external=False)
bm = parse_benchmark({{"benchmark_id": "BM-OVERHEAD", "task": "classification", "dataset": "x",
    "metrics": {{"primary": "AUROC", "secondary": ["Accuracy", "BalancedAccuracy", "F1-Score"]}},
    "stratification": {{"columns": ["site"]}}, "bootstrap": {{"n_resamples": 100}}}}, source="bench")
registry.records[BenchmarkSpec]["BM-OVERHEAD"] = bm
registry.providers[BenchmarkSpec]["BM-OVERHEAD"] = "bench"
suite = parse_suite({{"suite_id": "S", "benchmarks": [{{"benchmark_id": "BM-OVERHEAD",
    "dataset": {str(folder)!r}}}]}}, source="bench")
result = run_suite(registry, suite, read_model_config({str(workdir / "model.yaml")!r}),
    Path({str(workdir / "ov")!r}), RunOptions(progress=False, overwrite=True, n_resamples=100,
    use_cache=False))
wall = time.perf_counter() - t0
phases = result.document.to_dict()["benchmarks"][0]["resources"]["phases_s"]
print(json.dumps({{"wall": wall, "phases": phases}}))
"""
    fm_times, hand_times = [], []
    for _ in range(3):
        done = subprocess.run(
            [PYTHON, "-c", code], capture_output=True, text=True, env=_env(workdir)
        )
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        data = json.loads(done.stdout.strip().splitlines()[-1])
        excluded = data["phases"].get("bootstrap", 0.0) + data["phases"].get("clinical", 0.0)
        fm_times.append(data["wall"] - excluded)
        hand = subprocess.run(
            [PYTHON, "-c", f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); "
             f"from bench_scale import _handwritten; from pathlib import Path; "
             f"print(_handwritten(Path({str(folder)!r})))"],
            capture_output=True, text=True, env=_env(workdir),
        )  # fmt: skip
        if hand.returncode != 0:
            raise SystemExit(hand.stderr)
        hand_times.append(float(hand.stdout.strip().splitlines()[-1]))
    fm, hw = float(np.median(fm_times)), float(np.median(hand_times))
    print(
        f"\n### Harness overhead ({n} samples x 100 features, linear model, 4 metrics, 1 "
        "stratification; median of 3; imports included on both sides, bootstrap excluded)\n"
    )
    print("| | wall time (s) |\n|---|---|")
    print(f"| hand-written script (numpy + scikit-learn) | {hw:.2f} |")
    print(f"| fmbench `run_suite` (bootstrap phase subtracted) | {fm:.2f} |")
    print(f"| ratio | {fm / hw:.2f}x |")


def _peak_rss_of(args: list[str], cwd: Path) -> tuple[float, float]:
    wrapper = (
        "import runpy, sys, time\n"
        f"sys.argv = {args!r}\n"
        "t0 = time.perf_counter()\n"
        "try:\n    runpy.run_module('fmbench', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('WALL', time.perf_counter() - t0)\n"
        # VmHWM: this process's own peak. ru_maxrss would also count the parent's peak, which
        # Linux carries across fork+exec (the parent just wrote the dataset).
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "print('PEAK', int(hwm.split()[1]) / 1024)\n"
    )
    done = subprocess.run([PYTHON, "-c", wrapper], cwd=cwd, env=_env(cwd, plugins=True),
                          capture_output=True, text=True)  # fmt: skip
    if "PEAK" not in done.stdout or "Error" in done.stderr:
        raise SystemExit(f"run-robustness failed: {done.stderr}")
    wall = float(next(x for x in done.stdout.splitlines() if x.startswith("WALL")).split()[1])
    peak = float(next(x for x in done.stdout.splitlines() if x.startswith("PEAK")).split()[1])
    return wall, peak


def bench_memory(workdir: Path, quick: bool) -> None:
    n = 1000 if quick else 10000
    folder = workdir / "eeg"
    _write_array(folder, n, (32, 1000))
    _write_model(workdir, n_features=32000)
    size_gb = n * 32 * 1000 * 4 / 1e9
    wall, peak = _peak_rss_of(
        ["fmbench", "run-robustness", "--model", "model.yaml", "--data", str(folder), "--out",
         "rob", "--overwrite", "--no-progress", "--probes", "noise,dropout,masking,permutation,shift",
         "--batch-size", "128"],
        workdir,
    )  # fmt: skip
    print(
        f"\n### Robustness memory ({n} x 32 x 1,000 float32 = {size_gb:.2f} GB memory-mapped, "
        "5 probes x 6 levels, batch 128)\n"
    )
    print(f"| wall time (s) | peak RSS (MiB) |\n|---|---|\n| {wall:.1f} | {peak:.0f} |")


def bench_growth(workdir: Path, quick: bool) -> None:
    base_n = 500 if quick else 2000
    _write_model(workdir, n_features=16 * 500)
    print("\n### Growth of run-robustness wall time (16 x 500 float32 per sample)\n")
    print("| samples | probes | levels per probe | wall time (s) |\n|---|---|---|---|")
    cases = [
        (base_n, "noise", 6), (2 * base_n, "noise", 6), (4 * base_n, "noise", 6),
        (base_n, "noise,dropout", 6), (base_n, "noise,dropout,masking,permutation", 6),
        (base_n, "noise", 3), (base_n, "noise", 12),
    ]  # fmt: skip
    for n, probes, levels in cases:
        folder = workdir / f"g{n}"
        if not folder.exists():
            _write_array(folder, n, (16, 500))
        grid = ",".join(f"{v:g}" for v in np.linspace(0, 0.5, levels))
        extra = [arg for p in probes.split(",") for arg in ("--levels", f"{p}={grid}")]
        wall, _ = _timed(
            [PYTHON, "-m", "fmbench", "run-robustness", "--model", "model.yaml", "--data",
             str(folder), "--out", "g", "--overwrite", "--no-progress", "--probes", probes, *extra],
            workdir, plugins=True,
        )  # fmt: skip
        print(f"| {n} | {len(probes.split(','))} | {levels} | {wall:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--part", default="all", choices=["jobs", "overhead", "memory", "growth", "all"]
    )
    parser.add_argument("--quick", action="store_true", help="Smaller sizes, for a smoke test.")
    args = parser.parse_args()
    parts = ["jobs", "overhead", "memory", "growth"] if args.part == "all" else [args.part]
    for part in parts:
        with tempfile.TemporaryDirectory() as tmp:
            {"jobs": bench_jobs, "overhead": bench_overhead, "memory": bench_memory,
             "growth": bench_growth}[part](Path(tmp), args.quick)  # fmt: skip


if __name__ == "__main__":
    main()
