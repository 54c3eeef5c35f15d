"""Sequence layouts people use: per-class FASTA, split folders, Genomic Benchmarks, tables.

Each layout is read into the same dataset (sorted class names, train/test marks, ids,
length and GC computed when no column gives them); each way a folder can be wrong is one
line that names the file.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from fmbench_genomics.sequence_datasets import load_sequences
from fmbench_genomics.sequence_layouts import detect_layout
from fmbench_genomics.sequence_strata import add_sequence_strata, gc_fraction
from fmbench_genomics.sequences import load_fasta

from fmbench.data.locate import load_dataset
from fmbench.errors import DataError


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)


def _gb_folder(root: Path) -> None:
    """The layout genomic_benchmarks unpacks: <split>/<class>/<id>.txt, no newline."""
    for split, ids in (("train", ("0", "1", "10", "2")), ("test", ("0", "1"))):
        for label, seq in (("positive", "GGCCGCGA"), ("negative", "ATATTANA")):  # 4-8 bases
            for i in ids:
                _write(root / split / label / f"{i}.txt", seq[: 4 + int(i) % 5])


def test_per_class_fasta_files_every_suffix(tmp_path: Path) -> None:
    _write(tmp_path / "train_promoter.fa", ">p1 tissue=liver\nGGCC\nGC\n>p2\nGCGCAT\n")
    _write(tmp_path / "train_non_promoter.fasta.gz", ">n1\nATAT\n>n2\nATTAGC\n")
    _write(tmp_path / "test_promoter.fa.gz", ">p3\nggcA\n")
    _write(tmp_path / "test_non_promoter.fasta", ">n3 label=non_promoter\nATNN\n")
    _write(tmp_path / "README.md", "not read")
    ds = load_sequences(tmp_path)
    assert ds.info["layout"] == "fasta-per-class"
    assert ds.info["class_names"] == ["non_promoter", "promoter"]
    assert ds.metadata["sequence_id"].tolist() == ["n1", "n2", "p1", "p2", "n3", "p3"]
    assert ds.y.tolist() == [0, 0, 1, 1, 0, 1]
    assert ds.split is not None
    assert ds.split.tolist() == ["train"] * 4 + ["test"] * 2
    assert ds.X.tolist()[:3] == ["ATAT", "ATTAGC", "GGCCGC"]
    assert ds.X[5] == "GGCA"  # read in upper case
    assert ds.metadata["tissue"].tolist() == ["", "", "liver", "", "", ""]
    assert ds.metadata["length"].tolist() == [4, 6, 6, 6, 4, 4]
    assert ds.metadata["gc"].tolist() == [0.0, 2 / 6, 1.0, 4 / 6, 0.0, 0.75]
    assert ds.info["computed_metadata"] == ["length", "gc"]


def test_split_folders_of_class_fasta_files(tmp_path: Path) -> None:
    for split in ("train", "test"):
        _write(tmp_path / split / "promoter.fa", f">{split}-p\nGGCCGCTA\n")
        _write(tmp_path / split / "nonpromoter.fa.gz", f">{split}-n\nATTA\n")
    ds = load_sequences(tmp_path)
    assert ds.info["layout"] == "split-folders-fasta"
    assert ds.info["class_names"] == ["nonpromoter", "promoter"]
    assert ds.metadata["sequence_id"].tolist() == ["train-n", "train-p", "test-n", "test-p"]
    assert ds.split is not None
    assert ds.split.tolist() == ["train", "train", "test", "test"]


def test_genomic_benchmarks_folders_one_sequence_per_file(tmp_path: Path) -> None:
    _gb_folder(tmp_path)
    layout = detect_layout(tmp_path)
    assert layout.name == "split-folders-texts"
    ds = load_sequences(tmp_path)
    assert ds.info["class_names"] == ["negative", "positive"]
    assert ds.info["format"] == "text files"
    assert ds.metadata["sequence_id"].tolist()[:4] == [
        "train/negative/0", "train/negative/1", "train/negative/2", "train/negative/10",
    ]  # fmt: skip
    assert ds.n_samples == 12
    assert ds.split is not None
    assert ds.split.tolist() == ["train"] * 8 + ["test"] * 4
    assert ds.X[2] == "ATATTA"  # 2.txt: 4 + 2 % 5 bases
    assert ds.metadata["gc"].tolist()[8:10] == [0.0, 0.0]  # ATAT / ATATT: no G or C
    assert ds.metadata["gc"].tolist()[4:8] == [1.0] * 4  # GGCC, GGCCG, ...
    assert np.isnan(gc_fraction("NNNN"))  # no base called: NaN, "out of range" in strata


def test_tables_win_over_fasta_files_beside_them(tmp_path: Path) -> None:
    _write(tmp_path / "train.tsv", "sequence\tlabel\tgc\nacgt\tb\t0.9\nGGCC\ta\t0.1\n")
    _write(tmp_path / "test.tsv", "sequence\tlabel\tgc\nAATT\ta\t0.2\n")
    for name in ("train_a.fa", "train_b.fa", "test_a.fa", "test_b.fa"):
        _write(tmp_path / name, ">x\nACGT\n")
    ds = load_sequences(tmp_path)
    assert ds.info["layout"] == "tables"
    assert ds.info["ignored"] == ["test_a.fa", "test_b.fa", "train_a.fa", "train_b.fa"]
    assert ds.X.tolist() == ["ACGT", "GGCC", "AATT"]
    assert ds.metadata["gc"].tolist() == [0.9, 0.1, 0.2]  # the column wins over computing
    assert ds.metadata["length"].tolist() == [4, 4, 4]
    assert ds.info["computed_metadata"] == ["length"]
    assert ds.split is not None
    assert ds.split.tolist() == ["train", "train", "test"]


def test_tables_without_gc_get_it_computed(tmp_path: Path) -> None:
    _write(tmp_path / "train.tsv", "seq\tlabel\nGGCA\t1\nATTA\t0\n")
    ds = load_sequences(tmp_path)
    assert ds.metadata["gc"].tolist() == [0.75, 0.0]
    assert ds.info["computed_metadata"] == ["length", "gc"]


def test_tables_of_other_sequences_are_left_alone(tmp_path: Path) -> None:
    _write(tmp_path / "train.tsv", "seq\tlabel\nMKV*\t1\nQQ\t0\n")
    _write(tmp_path / "info.json", '{"modality": "protein"}')
    ds = load_sequences(tmp_path)
    assert ds.X.tolist() == ["MKV*", "QQ"]
    assert "gc" not in ds.metadata


def test_labelled_fasta_keeps_its_header_gc_and_old_name(tmp_path: Path) -> None:
    _write(tmp_path / "train.fa", ">a label=x gc=0.5\nGGGG\n>b label=y\nATAT\n")
    _write(tmp_path / "test.fa", ">c label=y split=test\nACGT\n")
    ds = load_fasta(tmp_path)
    assert ds.info["layout"] == "fasta-per-split"
    assert np.isnan(ds.metadata["gc"][1])  # a given column is kept as given, gaps and all
    assert ds.metadata["gc"][0] == 0.5
    assert "split" not in ds.metadata


def test_gc_of_all_sequences_at_once_equals_gc_of_each() -> None:
    rng = np.random.default_rng(0)
    sequences = ["".join(rng.choice(list("ACGTNRY-"), size=n)) for n in rng.integers(0, 40, 300)]
    sequences += ["", "NNN", "é", "GCé"]
    metadata: dict[str, np.ndarray] = {}
    add_sequence_strata(metadata, sequences)
    expected = [gc_fraction(s) for s in sequences]
    np.testing.assert_array_equal(metadata["gc"], expected)  # bit for bit, NaN where NaN
    assert metadata["length"].tolist() == [len(s) for s in sequences]


def test_same_folder_same_dataset(tmp_path: Path) -> None:
    _gb_folder(tmp_path)
    assert load_sequences(tmp_path).content_sha256 == load_sequences(tmp_path).content_sha256


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"train_a.fa": "", "test_a.fa": ">x\nAC\n"}, r"train_a\.fa: no FASTA records"),
        ({"train/a/0.txt": "AC", "train/b/.keep": "", "test/a/0.txt": "A", "test/b/0.txt": "A"}, r"train/b: empty class folder"),
        ({"train/a/0.txt": "", "test/a/0.txt": "A"}, r"0\.txt: empty file"),
        ({"train/a/0.txt": "ACXT", "test/a/0.txt": "A"}, r"0\.txt: characters 'X' are not DNA"),
        ({"train/a/0.fa": ">x\nA\n"}, r"0\.fa: not a \.txt file"),
        ({"train_a.fa": ">x\nAC\n", "valid_a.fa": ">y\nAC\n"}, r"valid_a\.fa: unknown split 'valid'"),
        ({"train/a.fa": ">x\nAC\n", "valid/a.fa": ">y\nAC\n"}, r"valid: unknown split folder 'valid'"),
        ({"train.fa": ">x label=1\nAC\n", "train_a.fa": ">y\nAC\n"}, r"mixed layouts: train\.fa .* train_a\.fa"),
        ({"train_a.fa": ">x\nAC\n", "test/a.fa": ">y\nAC\n"}, r"mixed layouts: FASTA files train_a\.fa beside"),
        ({"train/a.fa": ">x\nAC\n", "test/a/0.txt": "AC"}, r"mixed layouts: train/ holds <class>\.fa"),
        ({"train_a.fa": ">x\nAC\n", "test_a.fa": ">x\nGG\n"}, r"test_a\.fa: line 1: sequence id 'x' repeats \(first in .*train_a\.fa: line 1\)"),
        ({"train_a.fa": ">x\nAC\n>y\nA!\n"}, r"train_a\.fa: line 4: characters '!' are not DNA"),
        ({"train_a.fa": ">x\nAC\n", "train_b.fa": ">y\nAC\n", "test_a.fa": ">z\nAC\n"}, r"train_b\.fa: class 'b' has train sequences but no test ones"),
        ({"train_a.fa": ">x\nAC\n", "train_a.fa.gz": ">y\nAC\n"}, r"train_a\.fa and train_a\.fa\.gz both hold class 'a'"),
        ({"train_a.fa": ">x label=b\nAC\n"}, r"train_a\.fa: line 1: record 'x' says label=b but the file name gives class 'a'"),
        ({"train.fa": ">x label=a split=test\nAC\n"}, r"train\.fa: line 1: record 'x' says split=test inside a train file"),
        ({"train.tsv": "seq\tlabel\nAC\t1\n", "test_a.fa": ">x\nAC\n"}, r"ambiguous: the tables \(train\.tsv\) give the train split but test_a\.fa would give the test split"),
        ({"train.tsv": "seq\tlabel\nAC\t1\nAZ\t0\n"}, r"train\.tsv: line 3: characters 'Z' are not DNA"),
        ({"test.tsv": "seq\tlabel\nAC\t1\n\t0\n"}, r"test\.tsv: line 3: empty sequence"),
        ({"a.fa": ">x label=1\nAC\n", "b.fa": ">y label=0\nAC\n"}, r"2 FASTA files \(a\.fa, b\.fa\) but none says its split"),
        ({"notes.md": "x"}, r"no sequences found"),
    ],
)  # fmt: skip
def test_each_bad_folder_is_one_line_naming_the_file(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    for name, text in files.items():
        _write(tmp_path / name, text)
    with pytest.raises(DataError, match=message) as caught:
        load_sequences(tmp_path)
    assert "\n" not in str(caught.value)


def test_every_layout_goes_to_the_dna_reader(registry, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _gb_folder(tmp_path / "gb")
    _write(tmp_path / "split" / "train" / "a.fa", ">x\nAC\n")
    _write(tmp_path / "split" / "test" / "a.fa", ">y\nAC\n")
    _write(tmp_path / "mixed" / "train.tsv", "seq\tlabel\nAC\t1\nGG\t0\n")
    _write(tmp_path / "mixed" / "notes.fa", ">x\nAC\n")
    for name, layout in (("gb", "split-folders-texts"), ("split", "split-folders-fasta"),
                         ("mixed", "tables")):  # fmt: skip
        ds, spec = load_dataset(registry, str(tmp_path / name))
        assert spec is None
        assert ds.info["layout"] == layout
        assert "gc" in ds.metadata
