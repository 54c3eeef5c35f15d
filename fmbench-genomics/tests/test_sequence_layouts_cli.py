"""`fmbench run --suite SUITE-DNA-CLASS --dataset FOLDER` on the sequence layouts people use.

The folders are written here (two classes, train and test, 200-300 bp); the k-mer baseline
must learn them, every benchmark must get its length and GC strata from the sequences, and
the eval.yaml must validate.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from fmbench.cli import cli

from .conftest import CONFIGS

KMER = CONFIGS / "kmer.yaml"
CLASSES = {"promoter": 0.50, "background": 0.42}  # GC content of each class
SIZES = {"train": 40, "test": 30}  # per class


def _sequences(seed: int) -> dict[tuple[str, str], list[str]]:
    rng = np.random.default_rng(seed)
    out: dict[tuple[str, str], list[str]] = {}
    for split, n in SIZES.items():
        for label, gc in CLASSES.items():
            p = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
            out[split, label] = [
                "".join(rng.choice(list("ACGT"), size=int(rng.integers(200, 300)), p=p))
                for _ in range(n)
            ]
    return out


def _fasta(sequences: list[str], prefix: str) -> str:
    return "".join(f">{prefix}{i}\n{s[:120]}\n{s[120:]}\n" for i, s in enumerate(sequences))


def write_per_class_fasta(root: Path) -> Path:
    for (split, label), seqs in _sequences(1).items():
        (root / f"{split}_{label}.fa").parent.mkdir(parents=True, exist_ok=True)
        (root / f"{split}_{label}.fa").write_text(_fasta(seqs, f"{split}-{label}-"))
    return root


def write_genomic_benchmarks(root: Path) -> Path:
    for (split, label), seqs in _sequences(2).items():
        folder = root / split / label
        folder.mkdir(parents=True)
        for i, seq in enumerate(seqs):
            (folder / f"{i}.txt").write_text(seq)
    return root


def write_tables_and_fasta(root: Path) -> Path:
    root.mkdir(parents=True)
    for split in SIZES:
        rows = [
            f"{seq}\t{label}\n"
            for (s, label), seqs in _sequences(3).items()
            if s == split
            for seq in seqs
        ]
        (root / f"{split}.tsv").write_text("sequence\tlabel\n" + "".join(rows))
    for name in ("promoters_hg38.fa", "background_hg38.fa", "extra_a.fa", "extra_b.fa"):
        (root / name).write_text(">x\nACGT\n")  # sources kept beside the tables: not read
    return root


def _run(folder: Path, out: Path) -> tuple[int, str, dict[str, Any]]:
    result = CliRunner().invoke(
        cli,
        [
            "run", "--suite", "SUITE-DNA-CLASS", "--model", str(KMER), "--dataset", str(folder),
            "--out", str(out), "--no-progress", "--n-resamples", "200",
        ],
        obj={},
    )  # fmt: skip
    document = (
        yaml.safe_load((out / "eval.yaml").read_text()) if (out / "eval.yaml").is_file() else {}
    )
    return result.exit_code, result.output, document


def _check_document(document: dict[str, Any]) -> None:
    assert document["status"] == "Completed"
    assert [r["benchmark_id"] for r in document["benchmarks"]] == [
        "BM-DNA-PROMOTER", "BM-DNA-ENHANCER",
    ]  # fmt: skip
    for record in document["benchmarks"]:
        assert record["metrics"]["AUROC"] > 0.7, record["metrics"]
        assert record["data"]["n_test"] == 60
        assert "stratification_skipped" not in record
    promoter, enhancer = document["benchmarks"]
    assert set(promoter["stratified"]) == {"length"}
    assert set(enhancer["stratified"]) == {"length", "gc"}
    # the benchmark's declared edges, applied to lengths and GC computed from the sequences
    assert set(enhancer["stratified"]["gc"]) <= {"0-0.44", "0.44-0.48", "0.48-1", "out of range"}
    assert sum(g["N"] for g in enhancer["stratified"]["gc"].values()) == 60


def test_per_class_fasta_folder_runs_the_dna_suite(tmp_path: Path) -> None:
    folder = write_per_class_fasta(tmp_path / "promoters")
    code, output, document = _run(folder, tmp_path / "out")
    assert code == 0, output
    _check_document(document)
    checked = CliRunner().invoke(cli, ["validate", str(tmp_path / "out" / "eval.yaml")], obj={})
    assert checked.exit_code == 0, checked.output
    assert "OK (eval)" in checked.output


@pytest.mark.parametrize("write", [write_genomic_benchmarks, write_tables_and_fasta])
def test_other_layouts_run_the_dna_suite(tmp_path: Path, write) -> None:  # type: ignore[no-untyped-def]
    folder = write(tmp_path / "data")
    code, output, document = _run(folder, tmp_path / "out")
    assert code == 0, output
    _check_document(document)


def test_an_ambiguous_folder_fails_in_one_line_naming_the_files(tmp_path: Path) -> None:
    folder = write_per_class_fasta(tmp_path / "data")
    (folder / "train.tsv").write_text("sequence\tlabel\nACGT\t1\n")
    code, output, document = _run(folder, tmp_path / "out")
    assert code == 1
    assert "Traceback" not in output
    errors = {r["error"] for r in document["benchmarks"]}
    assert len(errors) == 1
    (error,) = errors
    assert "\n" not in error
    assert "ambiguous: the tables (train.tsv) give the train split" in error
    assert "test_background.fa, test_promoter.fa would give the test split" in error


def test_per_class_fasta_folder_in_a_subprocess(tmp_path: Path) -> None:
    write_per_class_fasta(tmp_path / "promoters")
    env = {**os.environ, "FMBENCH_NO_PLUGINS": ""}
    fmbench = [sys.executable, "-m", "fmbench"]
    done = subprocess.run(
        [
            *fmbench, "run", "--suite", "SUITE-DNA-CLASS", "--model", str(KMER),
            "--dataset", "promoters", "--out", "results/dna", "--no-progress",
            "--n-resamples", "200",
        ],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "BM-DNA-ENHANCER: AUROC = " in done.stdout
    _check_document(yaml.safe_load((tmp_path / "results/dna/eval.yaml").read_text()))
    checked = subprocess.run(
        [*fmbench, "validate", "results/dna/eval.yaml"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
