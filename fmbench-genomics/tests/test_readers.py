"""Readers: real h5ad and VCF files, FASTA, variable-length sequences, clear errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from fmbench_genomics.baselines import KmerBaseline
from fmbench_genomics.expression import load_h5ad
from fmbench_genomics.sequences import load_fasta, read_fasta, reverse_complement
from fmbench_genomics.vcf import load_vcf, read_vcf

from fmbench.data.dataset import is_sparse, load_sequence_folder
from fmbench.data.locate import load_dataset
from fmbench.errors import DataError


def test_real_pbmc_h5ad_loads_old_layout_and_keeps_raw_sparse(real_h5ad: Path) -> None:
    path = real_h5ad
    ds = load_h5ad(path, label_key="bulk_labels", layer="raw")
    assert ds.n_samples == 700
    assert is_sparse(ds.X)
    assert ds.X.shape == (700, 765)
    assert ds.info["n_classes"] == 10
    assert ds.info["expression_values"] == "normalized"
    assert set(ds.metadata["cell_type_rarity"]) == {"rare", "uncommon", "common"}
    assert np.all(ds.metadata["library_size"] > 0)
    batch = ds.take(np.array([5, 1, 3]))
    assert is_sparse(batch)
    assert batch.shape == (3, 765)
    dense = load_h5ad(path, label_key="bulk_labels")
    assert isinstance(dense.X, np.ndarray)
    assert dense.X.shape == (700, 765)


def test_h5ad_without_the_label_column_names_file_and_columns(real_h5ad: Path) -> None:
    path = real_h5ad
    with pytest.raises(DataError, match=r"10x_pbmc68k_reduced\.h5ad.*'cell_type'.*bulk_labels"):
        load_h5ad(path, label_key="cell_type")


def test_h5ad_written_here_with_sparse_counts(tmp_path: Path) -> None:
    anndata = pytest.importorskip("anndata")
    import pandas as pd
    import scipy.sparse as sp

    counts = sp.random(30, 12, density=0.3, format="csr", random_state=0)
    counts.data = np.ceil(counts.data * 10).astype(np.float32)
    obs = pd.DataFrame({"cell_type": ["a", "b", "c"] * 10}, index=[f"c{i}" for i in range(30)])
    anndata.AnnData(X=counts, obs=obs).write_h5ad(tmp_path / "mine.h5ad")
    ds = load_h5ad(tmp_path / "mine.h5ad")
    assert is_sparse(ds.X)
    assert ds.info["expression_values"] == "counts"
    np.testing.assert_allclose(ds.metadata["library_size"], np.asarray(counts.sum(axis=1)).ravel())
    assert len(ds.content_sha256) == 64


def test_not_an_h5ad_file_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("anndata")
    bad = tmp_path / "broken.h5ad"
    bad.write_text("not hdf5")
    with pytest.raises(DataError, match=r"broken\.h5ad: not a readable \.h5ad file"):
        load_h5ad(bad)


def test_real_1kg_vcf_plain_gzip_loads_as_samples_by_variants(real_vcf: Path) -> None:
    g = read_vcf(real_vcf)
    assert g.dosage.shape == (629, 381)
    assert set(np.unique(g.dosage)) <= {-1, 0, 1, 2}
    assert g.samples[0] == "HG00098"
    assert 0.3 < (g.dosage >= 0).mean() < 0.9  # the pilot has many missing calls


def test_real_vcf_with_labels_becomes_a_dataset(tmp_path: Path, real_vcf: Path) -> None:
    g = read_vcf(real_vcf)
    table = tmp_path / "labels.tsv"
    table.write_text(
        "sample\tgroup\n"
        + "".join(f"{s}\t{'x' if i % 2 else 'y'}\n" for i, s in enumerate(g.samples[:100]))
    )
    ds = load_vcf(real_vcf, labels=str(table), label_key="group")
    assert ds.X.shape == (100, 381)
    assert ds.info["samples_without_label"] == 529


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1\t100\t.\tA\tG\n", r"line 1: data before the '#CHROM' header"),
        (
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n1\t100\t.\tA\tG\t.\t.\t.\tGT\n",
            r"line 2: 9 tab-separated fields, expected 10",
        ),
        (
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n1\tx\t.\tA\tG\t.\t.\t.\tGT\t0/1\n",
            r"line 2: POS 'x' is not a number",
        ),
        (
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n1\t5\t.\tA\tG\t.\t.\t.\tGT\tA/T\n",
            r"line 2: genotype 'A/T' is not allele indices",
        ),
        ("##fileformat=VCFv4.2\n", r"no '#CHROM' header line"),
    ],
)
def test_unparsable_vcf_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.vcf.gz"
    path.write_bytes(gzip.compress(text.encode()))
    with pytest.raises(DataError, match=r"bad\.vcf\.gz: " + message):
        read_vcf(path)


def test_fasta_multiline_records_and_fields(tmp_path: Path) -> None:
    path = tmp_path / "x.fa"
    path.write_text(">a label=1 gc=0.5\nACGT\nacgg\n\n>b label=0\nNNAC\n")
    records = list(read_fasta(path))
    assert [r.sequence for r in records] == ["ACGTACGG", "NNAC"]
    assert records[0].fields == {"label": "1", "gc": "0.5"}
    assert records[1].line == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ACGT\n>a label=1\nACGT\n", r"line 1: sequence data before the first '>'"),
        (">a label=1\nACGT\nACXZ\n", r"line 3: characters 'XZ' are not DNA"),
        (">a label=1\n>b label=0\nACGT\n", r"line 1: record 'a' has no sequence"),
        (">\nACGT\n", r"line 1: empty FASTA header"),
        ("", r"no FASTA records"),
    ],
)
def test_malformed_fasta_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.fa"
    path.write_text(text)
    with pytest.raises(DataError, match=r"bad\.fa: " + message):
        list(read_fasta(path))


def test_fasta_record_without_label(tmp_path: Path) -> None:
    path = tmp_path / "nolabel.fa"
    path.write_text(">a label=1\nACGT\n>b\nACGT\n")
    with pytest.raises(DataError, match=r"nolabel\.fa: line 3: record 'b' has no 'label=\.\.\.'"):
        load_fasta(path)


def test_fasta_folder_gives_predefined_split_and_variable_lengths(tmp_path: Path) -> None:
    (tmp_path / "train.fa").write_text(">a label=x\nACGTA\n>b label=y\nAC\n")
    (tmp_path / "test.fa.gz").write_bytes(gzip.compress(b">c label=y\nACGTACGTAC\n"))
    ds = load_fasta(tmp_path)
    assert ds.split.tolist() == ["train", "train", "test"]
    assert [len(s) for s in ds.X] == [5, 2, 10]
    assert ds.info["class_names"] == ["x", "y"]
    assert ds.y.tolist() == [0, 1, 1]


def test_variable_length_tsv_sequences_reach_the_kmer_baseline(tmp_path: Path) -> None:
    rows = ["ACGT", "ACGTACGTACGTAAAA", "A", "GGGGCCCCNNNNACGTAC" * 20]
    (tmp_path / "train.tsv").write_text(
        "sequence\tlabel\n" + "".join(f"{s}\t{i % 2}\n" for i, s in enumerate(rows))
    )
    ds = load_sequence_folder(tmp_path)
    batch = ds.take(np.arange(4))
    features = KmerBaseline(k=3).encode_sequences(batch)
    assert features.shape == (4, 64)
    assert np.allclose(features[[0, 1, 3]].sum(axis=1), 1.0)
    assert features[2].sum() == 0


def test_reverse_complement_iupac() -> None:
    assert reverse_complement("ACGTRYN") == "NRYACGT"
    assert reverse_complement(reverse_complement("AACCGGTTRYKM")) == "AACCGGTTRYKM"


def test_paths_go_to_the_right_reader(registry, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "seqs.fa").write_text(">a label=1\nACGT\n>b label=0\nTTGA\n")
    ds, spec = load_dataset(registry, str(tmp_path / "seqs.fa"))
    assert spec is None
    assert ds.info["format"] == "fasta"
    vcf_dir = tmp_path / "v"
    vcf_dir.mkdir()
    (vcf_dir / "x.vcf").write_text(
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\n"
        "1\t5\t.\tA\tG\t.\t.\t.\tGT\t0/1\t./.\n"
    )
    with pytest.raises(DataError, match=r"x\.vcf: no sample labels; put a samples\.tsv"):
        load_dataset(registry, str(vcf_dir))
