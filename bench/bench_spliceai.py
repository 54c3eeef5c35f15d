"""SpliceAI-10k embedding throughput through the torch_module and onnx adapters.

Usage::

    fmbench download-weights --model configs/model_spliceai.yaml        # once (pip, PyPI)
    fmbench download-weights --model configs/model_spliceai_onnx.yaml
    python bench/bench_spliceai.py --n 64 --length 300 --threads 1
    python bench/bench_spliceai.py --n 64 --length 300                 # torch's default threads

Embeds ``--n`` random DNA sequences of ``--length`` nt (seeded) with each config, best of
``--repeat`` passes, and prints sequences per second and the largest difference between the
two adapters' embeddings. The weights come from the cache ($FMBENCH_DATA); nothing is fetched.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = {
    "torch_module": ROOT / "configs" / "model_spliceai.yaml",
    "onnx": ROOT / "configs" / "model_spliceai_onnx.yaml",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--length", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    args = parser.parse_args()

    import onnxruntime
    import torch

    from fmbench.models import load_model, read_model_config
    from fmbench.registry import build_registry

    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    sequences = np.array(
        ["".join(rng.choice(list("ACGT"), size=args.length)) for _ in range(args.n)], dtype=object
    )
    registry = build_registry()
    print(
        f"{platform.machine()}, Python {platform.python_version()}, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), onnxruntime {onnxruntime.__version__}; "
        f"{args.n} sequences of {args.length} nt, best of {args.repeat}"
    )
    print("| adapter | batch size | sequences/s |")
    print("|---|---|---|")
    embeddings = {}
    for name, path in CONFIGS.items():
        handle = load_model(registry, read_model_config(path))
        best = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            embeddings[name] = handle.embed(sequences)
            best = min(best, time.perf_counter() - started)
        batch = handle.describe().get("batch_size")
        print(f"| {name} | {batch} | {args.n / best:.1f} |")
    difference = np.abs(embeddings["torch_module"] - embeddings["onnx"]).max()
    print(f"largest |torch_module - onnx| embedding difference: {difference:.2e}")


if __name__ == "__main__":
    main()
