"""Array and sequence folders, toy data, dataset lookup."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fmbench.data.dataset import load_array_folder, load_sequence_folder, matches_reader
from fmbench.data.locate import load_dataset
from fmbench.errors import DataError, UnknownNameError


def test_toy_data_is_deterministic(core_registry, tmp_path: Path):
    from fmbench.data.generate_toy import generate_all

    list(generate_all(core_registry, tmp_path / "a", seed=42))
    list(generate_all(core_registry, tmp_path / "b", seed=42))
    for name in ("X.npy", "y.npy", "metadata.csv", "info.json"):
        a = (tmp_path / "a" / "neuro/fmri_classification" / name).read_bytes()
        b = (tmp_path / "b" / "neuro/fmri_classification" / name).read_bytes()
        assert a == b, name
    manifest = json.loads((tmp_path / "a/neuro/fmri_classification/manifest.json").read_text())
    assert manifest["seed"] == 42 and "X.npy" in manifest["files"]


def test_toy_data_has_learnable_signal(toy_root: Path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    ds = load_array_folder(toy_root / "neuro/fmri_classification")
    score = cross_val_score(LogisticRegression(max_iter=1000), np.asarray(ds.X), ds.y, cv=5).mean()
    assert score > 0.75
    shuffled = np.random.default_rng(0).permutation(ds.y)
    control = cross_val_score(
        LogisticRegression(max_iter=1000), np.asarray(ds.X), shuffled, cv=5
    ).mean()
    assert control < 0.65


def test_array_folder_is_memory_mapped(toy_root: Path):
    ds = load_array_folder(toy_root / "neuro/fmri_classification")
    assert isinstance(ds.X, np.memmap)
    assert ds.info["n_classes"] == 2 and ds.metadata["site"][0].startswith("Site")


def test_array_folder_errors(tmp_path: Path):
    with pytest.raises(DataError, match="missing X.npy"):
        load_array_folder(tmp_path)
    np.save(tmp_path / "X.npy", np.zeros((3, 2)))
    np.save(tmp_path / "y.npy", np.array([0, 1]))
    with pytest.raises(DataError, match="2 labels for 3 samples"):
        load_array_folder(tmp_path)
    np.save(tmp_path / "y.npy", np.array([0.5, 1, 0]))
    with pytest.raises(DataError, match="must be integers"):
        load_array_folder(tmp_path, task="classification")
    np.save(tmp_path / "X.npy", np.array([{"a": 1}] * 3, dtype=object), allow_pickle=True)
    np.save(tmp_path / "y.npy", np.array([0, 1, 0]))
    with pytest.raises(DataError, match="cannot read the arrays"):
        load_array_folder(tmp_path)


def test_metadata_rows_must_match(tmp_path: Path):
    np.save(tmp_path / "X.npy", np.zeros((3, 2)))
    np.save(tmp_path / "y.npy", np.array([0, 1, 0]))
    (tmp_path / "metadata.csv").write_text("site\nA\nB\n")
    with pytest.raises(DataError, match="metadata column 'site' has 2 rows for 3 samples"):
        load_array_folder(tmp_path)


def test_sequence_folder_with_variable_lengths(tmp_path: Path):
    (tmp_path / "train.tsv").write_text("seq\tlabel\nACGT\t0\nACGTACGTAA\t1\n")
    (tmp_path / "test.tsv").write_text("seq\tlabel\nA\t1\n")
    ds = load_sequence_folder(tmp_path)
    assert list(ds.X) == ["ACGT", "ACGTACGTAA", "A"]
    assert list(ds.split) == ["train", "train", "test"]
    assert ds.info["n_classes"] == 2


def test_sequence_folder_computes_length_when_no_column_gives_it(tmp_path: Path) -> None:
    (tmp_path / "train.tsv").write_text("seq\tlabel\nACGT\t0\nACGTACGTAA\t1\n")
    ds = load_sequence_folder(tmp_path)
    assert ds.metadata["length"].tolist() == [4.0, 10.0]
    assert ds.info["computed_metadata"] == ["length"]
    (tmp_path / "train.tsv").write_text("seq\tlabel\tlength\nACGT\t0\t7\nAC\t1\t9\n")
    given = load_sequence_folder(tmp_path)
    assert given.metadata["length"].tolist() == [7.0, 9.0]
    assert "computed_metadata" not in given.info


def test_reader_patterns_with_a_folder_look_inside(tmp_path: Path) -> None:
    (tmp_path / "train" / "promoter").mkdir(parents=True)
    assert not matches_reader(tmp_path, ("train/*/*.txt",))
    (tmp_path / "train" / "promoter" / "0.txt").write_text("ACGT")
    assert matches_reader(tmp_path, ("train/*/*.txt",))
    assert not matches_reader(tmp_path, ("test/*/*.txt", "*.fa"))
    assert not matches_reader(tmp_path / "train" / "promoter" / "0.txt", ("train/*/*.txt",))


def test_sequence_folder_needs_columns(tmp_path: Path):
    (tmp_path / "train.tsv").write_text("dna\ty\nACGT\t0\n")
    with pytest.raises(DataError, match="needs a 'seq'"):
        load_sequence_folder(tmp_path)


def test_lookup_by_id_path_and_errors(core_registry, toy_root: Path, tmp_path: Path):
    ds, spec = load_dataset(core_registry, "DS-TOY-FMRI-CLASS", root=toy_root)
    assert spec is not None and ds.dataset_id == "DS-TOY-FMRI-CLASS"
    ds2, spec2 = load_dataset(core_registry, str(toy_root / "neuro/fmri_classification"))
    assert spec2 is None and ds2.n_samples == ds.n_samples
    with pytest.raises(DataError, match="run `fmbench generate-toy-data`"):
        load_dataset(core_registry, "DS-TOY-FMRI-CLASS", root=tmp_path / "nothing")
    with pytest.raises(UnknownNameError, match="did you mean 'DS-TOY-FMRI-CLASS'"):
        load_dataset(core_registry, "DS-TOY-FMRI-CLAS")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(DataError, match="no installed reader understands it"):
        load_dataset(core_registry, str(tmp_path / "notes.txt"))


def test_content_hash_of_object_arrays_is_their_text_not_their_addresses():
    import numpy as np

    from fmbench.data.dataset import Dataset

    def build() -> Dataset:
        # fresh str objects each time, so an address-based hash would differ
        X = np.array(
            ["".join(["ACGT"[(i + j) % 4] for j in range(30)]) for i in range(5)], dtype=object
        )
        y = np.array([f"class-{i % 2}" for i in range(5)], dtype=object)
        return Dataset(dataset_id="seqs", X=X, y=y)

    first, second = build(), build()
    assert first.X[0] is not second.X[0]
    assert first.content_sha256 == second.content_sha256
    listed = Dataset(dataset_id="seqs", X=list(first.X), y=first.y)
    assert listed.content_sha256 == first.content_sha256  # a list and an object array agree
    changed = build()
    changed.X[2] = changed.X[2][:-1] + "N"
    assert (
        Dataset(dataset_id="seqs", X=changed.X, y=changed.y).content_sha256 != first.content_sha256
    )
