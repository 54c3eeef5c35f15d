"""Robustness engine: peak memory over a memory-mapped dataset, and probe throughput.

Writes an array folder whose ``X.npy`` is many times larger than one batch, then

1. runs the engine (clean outputs + every probe x level) over it with a light model, and
   reports the peak of traced allocations (``tracemalloc``: numpy buffers included, pages of
   the memory-mapped file excluded) next to the size of one batch and of the dataset;
2. runs the whole ``run-robustness`` path (loading, clean metrics, provenance hash, report)
   the same way;
3. times each registered probe's ``perturb`` on one batch at its strongest level (MB/s).

Usage::

    python bench/bench_robustness.py [--n-samples 1000] [--batch-size 64] [--keep DIR]

Timings are for information only; nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

from fmbench.data.dataset import load_array_folder
from fmbench.evaluation.protocols import Predictions
from fmbench.models.config import ModelConfig
from fmbench.models.handle import ModelHandle
from fmbench.plugin_system.registry import build_registry
from fmbench.plugin_system.specs import ProbeSpec, resolve
from fmbench.robustness.engine import evaluate_probes, perturb_batch, plan_probes, probe_rng


class ChannelMeanModel:
    """A light model that really uses the signal (mean of channel 0)."""

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        score = np.asarray(X[:, 0], dtype=np.float64).mean(axis=-1)
        p1 = 1.0 / (1.0 + np.exp(-3.0 * score))
        return np.column_stack([1 - p1, p1])


def write_dataset(folder: Path, n: int, channels: int, times: int) -> None:
    """An EEG-like array folder, written in pieces (never whole in memory)."""
    folder.mkdir(parents=True, exist_ok=True)
    X = np.lib.format.open_memmap(
        folder / "X.npy", mode="w+", dtype=np.float32, shape=(n, channels, times)
    )
    y = np.arange(n) % 2
    rng = np.random.default_rng(0)
    for start in range(0, n, 64):
        stop = min(n, start + 64)
        part = rng.standard_normal((stop - start, channels, times), dtype=np.float32)
        part[:, 0, :] += np.where(y[start:stop] == 1, 0.5, -0.5)[:, None].astype(np.float32)
        X[start:stop] = part
    X.flush()
    del X
    np.save(folder / "y.npy", y)
    (folder / "info.json").write_text(
        '{"modality": "eeg", "task": "classification", "n_classes": 2, "sampling_freq": 250}'
    )


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def engine_run(folder: Path, batch_size: int) -> dict[str, Any]:
    registry = build_registry()
    dataset = load_array_folder(folder)
    model = ModelHandle(
        model=ChannelMeanModel(), config=ModelConfig(model_id="bench", type="python_class")
    )
    plans = plan_probes(registry, None, dataset.info)
    tracemalloc.start()
    t0 = time.perf_counter()
    indices = np.arange(dataset.n_samples)
    proba = np.concatenate(
        [model.predict_proba(b, 2) for _, b in dataset.batches(indices, batch_size)]
    )
    clean = Predictions(
        indices=indices,
        y_true=dataset.y,
        fold=np.zeros(len(indices), int),
        proba=proba,
        labels=proba.argmax(axis=1),
    )
    block = evaluate_probes(
        registry,
        plans,
        dataset=dataset,
        predictions=clean,
        model=model,
        task="classification",
        primary_metric="AUROC",
        seed=42,
        batch_size=batch_size,
    )
    wall = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "probes": [p.name for p in plans],
        "levels": sum(len(p.levels) for p in plans),
        "traced_peak_mib": peak / 2**20,
        "wall_s": wall,
        "score": block["robustness_score"],
    }


def full_run(folder: Path, out: Path, batch_size: int, model_module: Path) -> dict[str, Any]:
    from fmbench.models.config import parse_model_config
    from fmbench.robustness.standalone import RobustnessOptions, run_robustness

    sys.path.insert(0, str(model_module.parent))
    config = parse_model_config(
        {
            "model_id": "bench",
            "type": "python_class",
            "import_path": "bench_robustness:ChannelMeanModel",
        },
        source="<bench>",
    )
    registry = build_registry()
    tracemalloc.start()
    t0 = time.perf_counter()
    run_robustness(
        registry,
        config,
        str(folder),
        out,
        RobustnessOptions(batch_size=batch_size, progress=False, overwrite=True),
    )
    wall = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"traced_peak_mib": peak / 2**20, "wall_s": wall}


def throughput(batch: np.ndarray, repeats: int = 5) -> dict[str, float]:
    registry = build_registry()
    info = {
        "modality": "eeg",
        "sampling_freq": 250.0,
        "ch_names": [f"C{i}" for i in range(batch.shape[1])],
    }
    rates = {}
    for spec in registry.all(ProbeSpec):
        if spec.modalities and "eeg" not in spec.modalities:
            continue
        if any(info.get(f) is None for f in spec.requires):
            continue
        perturb = resolve(spec.perturb)
        level = spec.levels[-1]
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            perturb_batch(perturb, spec.name, batch, level, probe_rng(0, spec.name, level), info)
            best = min(best, time.perf_counter() - t0)
        rates[spec.name] = batch.nbytes / 1e6 / best
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n-samples", default="500,2000", help="dataset sizes to compare (comma-separated)"
    )
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--times", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--keep", type=Path, default=None, help="write the data here and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="fmbench-bench-"))
    import sklearn.metrics  # noqa: F401  (imported before tracing: imports are not the engine)

    row = args.channels * args.times * 4
    print(
        f"machine: {platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}"
    )
    print(f"batch: {args.batch_size} samples = {args.batch_size * row / 2**20:.1f} MiB")
    rss0 = peak_rss_mib()
    sizes = [int(v) for v in args.n_samples.split(",")]
    for n in sizes:
        folder = root / f"data-{n}"
        write_dataset(folder, n, args.channels, args.times)
        engine = engine_run(folder, args.batch_size)
        print(
            f"dataset {n} x {args.channels} x {args.times} float32 = {n * row / 2**20:.0f} MiB "
            f"(memory-mapped): engine ({', '.join(engine['probes'])}; {engine['levels']} probe "
            f"levels) traced peak {engine['traced_peak_mib']:.1f} MiB, {engine['wall_s']:.1f} s, "
            f"robustness_score {engine['score']}"
        )
    full = full_run(folder, root / "out", args.batch_size, Path(__file__).resolve())
    print(
        f"run-robustness on the {sizes[-1]}-sample dataset (whole command path): traced peak "
        f"{full['traced_peak_mib']:.1f} MiB, {full['wall_s']:.1f} s"
    )
    print(
        f"process peak RSS {peak_rss_mib():.0f} MiB (before the runs {rss0:.0f} MiB; RSS also "
        "counts the file pages of the memory map, which the kernel can drop at any time)"
    )
    batch = np.asarray(load_array_folder(folder).X[: args.batch_size])
    for name, rate in throughput(batch).items():
        print(f"throughput {name}: {rate:.0f} MB/s")


if __name__ == "__main__":
    main()
