"""Deterministic toy datasets for the genomics benchmarks (written by ``generate-toy-data``).

- ``genomics/sc_celltype``: single-cell counts, 600 cells x 200 genes. Counts are negative
  binomial (gamma-Poisson) around per-gene means; six cell types of unequal frequency (the
  rarest about 3 %) each raise their own marker genes; three batches shift every gene by a
  batch factor and differ in sequencing depth; library sizes are log-normal.
- ``genomics/gene_expression_classification``: the earlier project's 200 x 50, 3-class table.
- ``genomics/dna_promoter``: variable-length sequences (150-300 bp), promoters carry a TATA box
  and a CCAAT box near their 3' end more often than background; ``train.tsv`` / ``test.tsv``.
- ``genomics/dna_enhancer``: variable-length sequences (200-500 bp) in ``train.fa`` /
  ``test.fa``; enhancers hold more transcription-factor motifs (AP-1, E-box, ETS, CTCF-like).
- ``genomics/variant_population``: a VCF of 150 samples x 400 biallelic variants from three
  populations drawn with the Balding-Nichols model (F_ST 0.01), 2 % missing calls, and
  ``samples.tsv`` with population and sex.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> generate_dna_promoter(folder, seed=1)
    >>> sorted(p.name for p in folder.iterdir())
    ['info.json', 'test.tsv', 'train.tsv']
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import numpy as np

from fmbench.data.toy_files import write_array_dataset
from fmbench.io import atomic_write_bytes, atomic_write_text
from fmbench_genomics.sequences import reverse_complement

__all__ = [
    "generate_dna_enhancer",
    "generate_dna_promoter",
    "generate_gene_expression_classification",
    "generate_sc_celltype",
    "generate_variant_population",
]

CELL_TYPES = ("T cell", "B cell", "Monocyte", "NK cell", "Dendritic", "Megakaryocyte")
CELL_TYPE_SHARE = (0.36, 0.24, 0.18, 0.11, 0.08, 0.03)
BATCHES = ("batch1", "batch2", "batch3")
BATCH_DEPTH = (1.0, 0.6, 1.5)


def generate_sc_celltype(folder: Path, seed: int = 42) -> None:
    """Write the toy single-cell count dataset (see the module docstring)."""
    rng = np.random.default_rng(seed)
    n_cells, n_genes, n_markers = 600, 200, 10
    genes = [f"GENE{i:03d}" for i in range(n_genes)]
    cell_type = rng.choice(len(CELL_TYPES), size=n_cells, p=CELL_TYPE_SHARE)
    batch = rng.choice(len(BATCHES), size=n_cells)
    # per-gene baseline expression shares (a few highly expressed genes, many low ones)
    base = rng.lognormal(mean=0.0, sigma=1.2, size=n_genes)
    log_mean = np.tile(np.log(base), (len(CELL_TYPES), 1))
    markers = rng.permutation(n_genes)[: len(CELL_TYPES) * n_markers]
    for t in range(len(CELL_TYPES)):
        mine = markers[t * n_markers : (t + 1) * n_markers]
        log_mean[t, mine] += rng.uniform(0.8, 1.6, size=n_markers)
    batch_effect = rng.normal(0.0, 0.35, size=(len(BATCHES), n_genes))
    shares = np.exp(log_mean[cell_type] + batch_effect[batch])
    shares /= shares.sum(axis=1, keepdims=True)
    depth = np.array(BATCH_DEPTH)[batch] * rng.lognormal(np.log(1500), 0.45, size=n_cells)
    mu = shares * depth[:, None]
    dispersion = 0.3  # NB variance = mu + dispersion * mu^2
    rate = rng.gamma(shape=1 / dispersion, scale=dispersion * mu)
    counts = rng.poisson(rate).astype(np.int32)
    write_array_dataset(
        folder,
        X=counts,
        y=cell_type.astype(np.int64),
        metadata={
            "cell_id": [f"cell{i:04d}" for i in range(n_cells)],
            "cell_type": [CELL_TYPES[t] for t in cell_type],
            "batch": [BATCHES[b] for b in batch],
            "library_size": counts.sum(axis=1).astype(int).tolist(),
            "n_genes": (counts > 0).sum(axis=1).astype(int).tolist(),
        },
        info={
            "dataset_id": "DS-TOY-SC-CELLTYPE",
            "modality": "single_cell",
            "task": "classification",
            "n_classes": len(CELL_TYPES),
            "class_names": list(CELL_TYPES),
            "gene_names": genes,
            "seed": seed,
            "description": "toy single-cell counts: negative binomial, 6 cell types with "
            "marker genes, 3 batches, log-normal library sizes",
        },
    )


def generate_gene_expression_classification(folder: Path, seed: int = 42) -> None:
    """The earlier project's toy expression table: 200 samples x 50 genes, 3 classes."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=200,
        n_features=50,
        n_informative=20,
        n_redundant=5,
        n_classes=3,
        random_state=seed,
    )
    write_array_dataset(
        folder,
        X=X.astype(np.float64),
        y=y.astype(np.int64),
        metadata={"sample_id": [f"s{i:03d}" for i in range(len(y))]},
        info={
            "dataset_id": "DS-TOY-GENE-EXPRESSION",
            "modality": "expression",
            "task": "classification",
            "n_classes": 3,
            "class_names": ["0", "1", "2"],
            "seed": seed,
            "description": "synthetic expression-like features (sklearn make_classification)",
        },
    )


_BASES = np.array(list("ACGT"))


def _background(rng: np.random.Generator, length: int, gc: float) -> list[str]:
    p = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
    return list(_BASES[rng.choice(4, size=length, p=p)])


def _plant(seq: list[str], motif: str, at: int) -> None:
    at = max(0, min(at, len(seq) - len(motif)))
    seq[at : at + len(motif)] = list(motif)


def _promoter_sequence(rng: np.random.Generator, positive: bool) -> str:
    length = int(rng.integers(150, 301))
    seq = _background(rng, length, gc=0.5 if positive else 0.44)
    if rng.random() < (0.75 if positive else 0.12):
        _plant(seq, "TATAAA", length - 30 + int(rng.integers(-4, 5)))
    if rng.random() < (0.55 if positive else 0.12):
        _plant(seq, "CCAAT", length - 80 + int(rng.integers(-10, 11)))
    return "".join(seq)


def _write_tsv(path: Path, rows: list[tuple[str, int]]) -> None:
    buffer = io.StringIO()
    buffer.write("sequence\tlabel\tlength\tgc\n")
    for seq, label in rows:
        gc = (seq.count("G") + seq.count("C")) / len(seq)
        buffer.write(f"{seq}\t{label}\t{len(seq)}\t{gc:.3f}\n")
    atomic_write_text(path, buffer.getvalue())


def generate_dna_promoter(folder: Path, seed: int = 42) -> None:
    """Promoter vs background sequences of 150-300 bp in ``train.tsv`` / ``test.tsv``."""
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for part, n in (("train", 400), ("test", 200)):
        labels = rng.permutation(np.repeat([0, 1], n // 2))
        rows = [(_promoter_sequence(rng, bool(label)), int(label)) for label in labels]
        _write_tsv(folder / f"{part}.tsv", rows)
    _write_info(folder, "DS-TOY-DNA-PROMOTER", seed, ["non-promoter", "promoter"])


_ENHANCER_MOTIFS = ("TGACTCA", "CACGTG", "GGAAGT", "CCGCGNGGNGGCAG")


def _enhancer_sequence(rng: np.random.Generator, positive: bool) -> str:
    length = int(rng.integers(200, 501))
    seq = _background(rng, length, gc=0.46)
    n_sites = int(rng.poisson(4.0 if positive else 0.6))
    for _ in range(n_sites):
        motif = _ENHANCER_MOTIFS[int(rng.integers(len(_ENHANCER_MOTIFS)))]
        motif = "".join(b if b != "N" else str(_BASES[rng.integers(4)]) for b in motif)
        if rng.random() < 0.5:  # either strand
            motif = reverse_complement(motif)
        _plant(seq, motif, int(rng.integers(0, length - len(motif))))
    return "".join(seq)


def generate_dna_enhancer(folder: Path, seed: int = 42) -> None:
    """Enhancer vs background sequences of 200-500 bp in ``train.fa`` / ``test.fa``."""
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    number = 0
    for part, n in (("train", 400), ("test", 200)):
        labels = rng.permutation(np.repeat([0, 1], n // 2))
        lines = []
        for label in labels:
            seq = _enhancer_sequence(rng, bool(label))
            gc = (seq.count("G") + seq.count("C")) / len(seq)
            name = "enhancer" if label else "background"
            lines.append(f">enh{number:05d} label={name} gc={gc:.3f}")
            lines.extend(seq[i : i + 70] for i in range(0, len(seq), 70))
            number += 1
        atomic_write_text(folder / f"{part}.fa", "\n".join(lines) + "\n")
    _write_info(folder, "DS-TOY-DNA-ENHANCER", seed, ["background", "enhancer"])


def _write_info(folder: Path, dataset_id: str, seed: int, class_names: list[str]) -> None:
    info = {
        "dataset_id": dataset_id,
        "modality": "dna",
        "task": "classification",
        "class_names": class_names,
        "seed": seed,
    }
    atomic_write_text(folder / "info.json", json.dumps(info, indent=2, sort_keys=True) + "\n")


POPULATIONS = ("POP_A", "POP_B", "POP_C")


def generate_variant_population(folder: Path, seed: int = 42) -> None:
    """A gzip VCF of three toy populations plus ``samples.tsv`` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    n_per, n_variants, fst, missing = 50, 400, 0.01, 0.02
    ancestral = np.clip(rng.beta(0.6, 0.6, size=n_variants), 0.05, 0.95)
    a = ancestral * (1 - fst) / fst
    b = (1 - ancestral) * (1 - fst) / fst
    freqs = np.stack([rng.beta(a, b) for _ in POPULATIONS])  # (pops, variants)
    population = np.repeat(np.arange(len(POPULATIONS)), n_per)
    order = rng.permutation(len(population))
    population = population[order]
    samples = [f"TOY{i:04d}" for i in range(len(population))]
    sex = rng.choice(["female", "male"], size=len(population))
    haplotypes = rng.random((len(population), n_variants, 2)) < freqs[population][:, :, None]
    is_missing = rng.random((len(population), n_variants)) < missing
    positions = np.sort(rng.choice(np.arange(10_000, 5_000_000), size=n_variants, replace=False))
    refs = rng.choice(list("ACGT"), size=n_variants)
    alts = [rng.choice([b for b in "ACGT" if b != r]) for r in refs]
    out = io.StringIO()
    out.write("##fileformat=VCFv4.2\n##source=fmbench-genomics toy generator\n")
    out.write("##contig=<ID=1,length=5000000>\n")
    out.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
    out.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(samples))
    out.write("\n")
    for v in range(n_variants):
        calls = []
        for s in range(len(samples)):
            if is_missing[s, v]:
                calls.append("./.")
            else:
                h = haplotypes[s, v]
                calls.append(f"{int(h[0])}|{int(h[1])}")
        out.write(
            f"1\t{positions[v]}\ttoy{v:04d}\t{refs[v]}\t{alts[v]}\t.\tPASS\t.\tGT\t"
            + "\t".join(calls)
            + "\n"
        )
    atomic_write_bytes(folder / "genotypes.vcf.gz", gzip.compress(out.getvalue().encode(), mtime=0))
    table = io.StringIO()
    table.write("sample\tpopulation\tsex\n")
    for name, pop, s in zip(samples, population, sex, strict=True):
        table.write(f"{name}\t{POPULATIONS[pop]}\t{s}\n")
    atomic_write_text(folder / "samples.tsv", table.getvalue())
