"""Cost of the preprocessing recipes on one batch of realistic size (no model is run).

Usage::

    python bench/bench_recipes.py                 # prints a Markdown table
    python bench/bench_recipes.py --repeat 5

For each recipe: the batch (what a model of that family reads), the best wall time of
``--repeat`` calls on it, the samples per second that gives, and the peak memory the call
allocates through numpy (``tracemalloc``), which is bounded by the batch.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def _dna(rng: np.random.Generator, n: int, length: int) -> list[str]:
    bases = np.array(list("ACGT"))
    return ["".join(bases[rng.integers(0, 4, size=length)]) for _ in range(n)]


def _cases(folder: Path, rng: np.random.Generator) -> list[tuple[str, str, Any, Any, dict]]:
    from fmbench.adapters.recipes.dna import (
        HyenaDNARecipe,
        NucleotideTransformerRecipe,
        nucleotide_transformer_vocabulary,
    )
    from fmbench.adapters.recipes.eeg import BENDRRecipe, LaBraMRecipe
    from fmbench.adapters.recipes.fmri import BrainLMRecipe
    from fmbench.adapters.recipes.single_cell import GeneformerRecipe, ScGPTRecipe

    genes = [f"ENSG{i:011d}" for i in range(20_000)]
    # about 2,000 detected genes per cell, counts skewed as in droplet data
    counts = rng.poisson(rng.gamma(0.3, 1.0, size=20_000)[None, :] * 0.4, size=(256, 20_000))
    channels = ["Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T7", "C3", "Cz", "C4", "T8",
                "P7", "P3", "Pz", "P4", "P8", "O1", "O2"]  # fmt: skip
    eeg_info = {"ch_names": channels, "sampling_freq": 250.0, "unit": "uV"}
    coords = np.column_stack([np.arange(424), rng.normal(size=(424, 3))])
    np.savetxt(folder / "A424_Coordinates.dat", coords)
    return [
        (
            "nucleotide_transformer",
            "256 sequences of 6,000 bp",
            NucleotideTransformerRecipe(vocab=nucleotide_transformer_vocabulary()),
            _dna(rng, 256, 6000),
            {},
        ),
        (
            "hyenadna",
            "64 sequences of 32,768 bp",
            HyenaDNARecipe(max_length=32768),
            _dna(rng, 64, 32768),
            {},
        ),
        (
            "geneformer",
            "256 cells x 20,000 genes",
            GeneformerRecipe(
                token_dictionary={"<pad>": 0, **{g: i + 2 for i, g in enumerate(genes)}},
                gene_medians=dict.fromkeys(genes, 1.5),
            ),
            counts,
            {"gene_names": genes},
        ),
        (
            "scgpt",
            "256 cells x 20,000 genes",
            ScGPTRecipe(vocab={"<pad>": 0, "<cls>": 1, **{g: i + 2 for i, g in enumerate(genes)}}),
            counts,
            {"gene_names": genes},
        ),
        (
            "bendr",
            "32 windows, 19 channels x 60 s at 250 Hz",
            BENDRRecipe(data_range=(-500.0, 500.0)),
            rng.normal(scale=20.0, size=(32, 19, 15_000)),
            eeg_info,
        ),
        (
            "labram",
            "64 windows, 19 channels x 10 s at 250 Hz",
            LaBraMRecipe(),
            rng.normal(scale=20.0, size=(64, 19, 2_500)),
            eeg_info,
        ),
        (
            "brainlm",
            "64 recordings, 424 parcels x 490 time points",
            BrainLMRecipe(coordinates=coords[:, 1:]),
            rng.normal(size=(64, 424, 490)),
            {},
        ),
    ]


def measure(call: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """(best seconds, peak MiB allocated during one call)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    call()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    print(f"Python {sys.version.split()[0]}, {platform.machine()}, numpy {np.__version__}")
    print()
    print("| recipe | batch | best s | samples/s | peak MiB |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, batch_text, recipe, batch, info in _cases(Path(tmp), rng):
            seconds, peak = measure(lambda r=recipe, b=batch, i=info: r(b, i), args.repeat)
            rate = len(batch) / seconds
            print(f"| {name} | {batch_text} | {seconds:.3f} | {rate:,.0f} | {peak:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
