"""Throughput of the torch_module adapter by batch size, and the time the embedding cache saves.

Usage::

    python bench/bench_adapters.py                    # prints a Markdown table
    python bench/bench_adapters.py --threads 1 --repeat 5

Measures, on the CPU, with a tiny MLP encoder (100 -> 32 -> 16, 3.8k parameters) and a
4-layer BERT-like encoder run through torch_module (hidden 128, 10 tokens of 128 features):

1. samples per second of ``ModelHandle.embed`` at several adapter batch sizes (best of
   ``--repeat`` passes over ``--n`` random inputs; half as many for the BERT-like encoder);
2. a linear-probe benchmark (3 folds) on ``--n`` random samples of 1,280 features, run twice
   with the same cache folder: wall time, embedding time and cache time of the first run
   (cache miss: the model embeds every sample) and of the second (cache hit: read from disk),
   with the BERT-like encoder.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from fmbench.plugin_system.specs import SuiteSpec


def _handle(registry: Any, **settings: Any) -> Any:
    from fmbench.models.config import parse_model_config
    from fmbench.models.handle import load_model

    return load_model(registry, parse_model_config({"model_id": "bench", **settings}, source="<b>"))


def throughput(
    registry: Any, settings: dict[str, Any], n: int, sizes: list[int], repeat: int
) -> list[tuple[int, float]]:
    X = np.random.default_rng(0).normal(
        size=(n, 100 if "TinyEncoder" in settings["import_path"] else 1280)
    )
    rows = []
    for size in sizes:
        handle = _handle(registry, batch_size=size, **settings)
        handle.embed(X[: min(size, n)])  # warm-up
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            handle.embed(X)
            best = min(best, time.perf_counter() - start)
        rows.append((size, n / best))
    return rows


def cache_saving(folder: Path, settings: dict[str, Any], n: int) -> dict[str, Any]:
    from fmbench.adapters.tiny import probe_suite_plugin
    from fmbench.data.toy_files import write_array_dataset
    from fmbench.models.config import parse_model_config
    from fmbench.plugin_system.registry import build_registry
    from fmbench.running.suite_run import RunOptions, run_suite

    rng = np.random.default_rng(0)
    data = folder / "data"
    y = np.repeat([0, 1], n // 2)
    X = rng.normal(size=(n, 1280)) + 0.3 * y[:, None]
    write_array_dataset(data, X=X.astype(np.float32), y=y, info={"modality": "eeg"})
    registry = build_registry(
        external=False,
        extra_modules=(
            probe_suite_plugin(str(data), name="BENCH", split={"method": "kfold", "folds": 3}),
        ),
    )
    config = parse_model_config({"model_id": "bench", **settings}, source="<b>")
    options = RunOptions(progress=False, cache_dir=str(folder / "cache"), batch_size=64)
    out: dict[str, Any] = {}
    for name in ("first", "second"):
        start = time.perf_counter()
        result = run_suite(
            registry, registry.get(SuiteSpec, "SUITE-BENCH"), config, folder / name, options
        )
        record = result.outcomes[0].record
        assert record["status"] == "Completed", record
        phases = record["resources"]["phases_s"]
        out[name] = {
            "wall": time.perf_counter() - start,
            "embed": phases.get("embed", 0.0),
            "cache": phases.get("embed_cache", 0.0),
            "fit": phases.get("fit", 0.0),
            "status": record["resources"]["embedding_cache"]["status"],
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--n", type=int, default=2048)
    args = parser.parse_args()

    import torch

    from fmbench.adapters.tiny import save_tiny_encoder, tiny_bert_config
    from fmbench.adapters.tiny_bert import TinyBertEncoder
    from fmbench.plugin_system.registry import build_registry

    if args.threads:
        torch.set_num_threads(args.threads)
    registry = build_registry(external=False)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        mlp = save_tiny_encoder(folder / "mlp")
        torch.manual_seed(0)
        bert_kwargs = {**tiny_bert_config(hidden=128, layers=4), "num_attention_heads": 4}
        bert = TinyBertEncoder(**bert_kwargs).eval()
        from safetensors.torch import save_file

        save_file(
            {k: v.contiguous() for k, v in bert.state_dict().items()},
            str(folder / "bert.safetensors"),
        )
        mlp_settings = {
            "type": "torch_module",
            "import_path": "fmbench.adapters.tiny:TinyEncoder",
            "weights": str(mlp["safetensors"]),
        }
        bert_settings = {
            "type": "torch_module",
            "import_path": "fmbench.adapters.tiny_bert:TinyBertEncoder",
            "init_kwargs": bert_kwargs,
            "weights": str(folder / "bert.safetensors"),
        }
        sizes = [1, 8, 64, 512]
        print(
            f"machine: {platform.machine()}, Python {platform.python_version()}, torch {torch.__version__}, threads {torch.get_num_threads()}"
        )
        print()
        print("| model | parameters | batch size | samples/s |")
        print("|---|---|---|---|")
        for label, settings, n in (
            ("tiny MLP", mlp_settings, args.n),
            ("BERT-like, 4 layers, hidden 128, 10 tokens", bert_settings, args.n // 2),
        ):
            params = _handle(registry, **settings).describe()["n_parameters"]
            for size, rate in throughput(registry, settings, n, sizes, args.repeat):
                print(f"| {label} | {params:,} | {size} | {rate:,.0f} |")
        runs = cache_saving(folder / "cache_bench", {**bert_settings, "batch_size": 64}, args.n)
        print()
        print(
            f"| linear-probe run, {args.n} samples x 1280 features, BERT-like encoder "
            "| cache | wall s | embed s | cache read/write s | probe fit s |"
        )
        print("|---|---|---|---|---|---|")
        for name in ("first", "second"):
            r = runs[name]
            print(
                f"| {name} run | {r['status']} | {r['wall']:.2f} | {r['embed']:.2f} | "
                f"{r['cache']:.3f} | {r['fit']:.2f} |"
            )
        saved = runs["first"]["wall"] - runs["second"]["wall"]
        print(f"| saved | | {saved:.2f} ({saved / runs['first']['wall']:.0%}) | | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
