"""Reading DNA sequence layouts: Genomic Benchmarks folders of one-sequence files vs FASTA.

Run: .venv/bin/python bench/bench_sequence_layouts.py [--per-class 10000] [--length 251]
     [--repeat 3]

Writes the same sequences (2 splits x 2 classes x --per-class, --length bp each) as
- ``train/<class>/<id>.txt`` files, one sequence each (the layout genomic_benchmarks unpacks);
- ``train_<class>.fa`` per-class FASTA files (4 files);
and reports the median wall and CPU time (warm page cache) of
- ``fmbench.data.locate.find_reader`` choosing the reader for the folder (it looks one file deep);
- ``load_sequences`` on each layout (listing, reading, DNA check, length and GC strata);
- for reference, the loop genomic_benchmarks' own torch dataset runs over the same files
  (``Path.iterdir`` + ``open().read()`` per file, no checks).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from fmbench_genomics.sequence_datasets import load_sequences

from fmbench.data.locate import find_reader
from fmbench.plugin_system.registry import build_registry


def median_seconds(function: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time of this process (user + system) of a call."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def write_layouts(root: Path, per_class: int, length: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    texts, fasta = root / "texts", root / "fasta"
    fasta.mkdir(parents=True)
    bases = np.frombuffer(b"ACGT", dtype=np.uint8)
    for split in ("train", "test"):
        for label in ("positive", "negative"):
            codes = bases[rng.integers(0, 4, size=(per_class, length))]
            sequences = [row.tobytes().decode() for row in codes]
            folder = texts / split / label
            folder.mkdir(parents=True)
            for i, sequence in enumerate(sequences):
                (folder / f"{i}.txt").write_text(sequence)
            (fasta / f"{split}_{label}.fa").write_text(
                "".join(f">{split}-{label}-{i}\n{s}\n" for i, s in enumerate(sequences))
            )
    return texts, fasta


def reference_loop(folder: Path) -> list[tuple[str, int]]:
    """What genomic_benchmarks' GenomicClfDataset does: iterdir, then read each file."""
    out = []
    for split in ("train", "test"):
        for i, class_dir in enumerate(sorted((folder / split).iterdir())):
            for path in class_dir.iterdir():
                with open(path) as handle:
                    out.append((handle.read(), i))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-class", type=int, default=10_000)
    parser.add_argument("--length", type=int, default=251)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n_files = 4 * args.per_class
    registry = build_registry()
    with tempfile.TemporaryDirectory() as tmp:
        texts, fasta = write_layouts(Path(tmp), args.per_class, args.length)
        load_sequences(texts)  # warm the page cache
        rows = [
            ("find_reader on the .txt folder", lambda: find_reader(registry, texts)),
            ("load_sequences, train/<class>/<id>.txt", lambda: load_sequences(texts)),
            ("load_sequences, train_<class>.fa (4 files)", lambda: load_sequences(fasta)),
            ("reference: genomic_benchmarks' own read loop", lambda: reference_loop(texts)),
        ]
        print(f"{n_files:,} sequences of {args.length} bp; median of {args.repeat} warm runs\n")
        print("| step | wall time (s) | CPU time (s) | sequences/s (wall) |")
        print("|---|---:|---:|---:|")
        for name, function in rows:
            seconds, cpu = median_seconds(function, args.repeat)
            rate = f"{n_files / seconds:,.0f}" if "find_reader" not in name else "-"
            print(f"| {name} | {seconds:.3f} | {cpu:.3f} | {rate} |")


if __name__ == "__main__":
    main()
