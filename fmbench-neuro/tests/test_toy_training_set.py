"""The EEG baseline's training set is a registered toy dataset (other simulated subjects than
the robustness test set), so ``baseline_eeg_bandpower_lr`` runs by name after
``fmbench generate-toy-data``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from fmbench.plugin_system.specs import DatasetSpec, ModelSpec

from .conftest import CONFIGS


def test_the_training_set_is_registered_where_the_baseline_reads_it(registry) -> None:
    spec = registry.get(DatasetSpec, "DS-NEURO-EEG-ROBUSTNESS-TRAIN")
    assert spec.data_kind == "synthetic" and spec.n_samples == 100
    config = yaml.safe_load((CONFIGS / "eeg_bandpower_classifier.yaml").read_text())
    assert config["train_data"] == f"toy_data/{spec.toy_path}"
    assert registry.has(ModelSpec, "baseline_eeg_bandpower_lr")


def test_the_training_set_has_other_subjects_than_the_test_set(tmp_path: Path) -> None:
    from fmbench_neuro.toy.eeg import generate_eeg_robustness, generate_eeg_robustness_train

    generate_eeg_robustness(tmp_path / "test", seed=42)
    generate_eeg_robustness_train(tmp_path / "train", seed=42)
    generate_eeg_robustness_train(tmp_path / "again", seed=42)
    test, train = np.load(tmp_path / "test" / "X.npy"), np.load(tmp_path / "train" / "X.npy")
    assert train.shape == test.shape == (100, 16, 500)
    assert not np.allclose(train, test)
    assert np.array_equal(train, np.load(tmp_path / "again" / "X.npy"))
    assert set(np.load(tmp_path / "train" / "y.npy").tolist()) == {0, 1}
