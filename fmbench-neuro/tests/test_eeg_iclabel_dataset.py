"""DS-NEURO-EEG-ICLABEL: the simulated recordings, the ICA in ICLabel's conventions, the
labelling of components by their dominant source, and the generator's determinism."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from fmbench_neuro.eeg.iclabel_features import N_FEATURES
from fmbench_neuro.eeg.montage import CHANNELS_32, electrode_xyz
from fmbench_neuro.toy.eeg_ica import (
    CLASS_NAMES,
    DOMINANT_SHARE,
    Decomposition,
    SimulatedRecording,
    Source,
    decompose,
    generate_eeg_iclabel,
    label_components,
    simulate_recording,
    sphere_potential,
)

from fmbench.data.dataset import load_array_folder


def test_sphere_potential_is_dipolar() -> None:
    xyz = electrode_xyz(CHANNELS_32)
    at = {name: i for i, name in enumerate(CHANNELS_32)}
    radial = sphere_potential(xyz, np.array([0.0, 0.0, 0.7]), np.array([0.0, 0.0, 1.0]))
    assert int(np.argmax(radial)) == at["Cz"]  # a radial dipole under Cz peaks at Cz
    left_right = sphere_potential(xyz, np.zeros(3), np.array([1.0, 0.0, 0.0]))
    np.testing.assert_allclose(left_right, 3 * xyz[:, 0])  # the centred-dipole solution
    assert left_right[at["T8"]] == pytest.approx(-left_right[at["T7"]])


def test_a_recording_is_the_sum_of_its_sources_and_background() -> None:
    recording = simulate_recording(np.random.default_rng(0), duration=12.0)
    kinds = [s.kind for s in recording.sources]
    assert kinds.count("brain") >= 8 and kinds.count("eye") == 2 and kinds.count("muscle") >= 1
    assert set(kinds) <= set(CLASS_NAMES) - {"other"}
    rebuilt = recording.background + sum(
        np.outer(s.topography, s.activity) for s in recording.sources
    )
    np.testing.assert_allclose(recording.data, rebuilt)
    for source in recording.sources:  # average-referenced maps, band-passed activity
        assert abs(source.topography.sum()) < 1e-9
        spectrum = np.abs(np.fft.rfft(source.activity)) ** 2
        freqs = np.fft.rfftfreq(len(source.activity), 1 / recording.sfreq)
        assert spectrum[freqs < 0.3].sum() < 0.01 * spectrum.sum()


def test_ica_activations_are_in_iclabel_units() -> None:
    recording = simulate_recording(np.random.default_rng(1), duration=20.0)
    found = decompose(recording.data, 6, seed=0)
    assert found.unmixing.shape == (6, 32) and found.mixing.shape == (32, 6)
    np.testing.assert_allclose(found.unmixing @ found.mixing, np.eye(6), atol=1e-8)
    # unit-variance sources times the data's standard deviation (MNE and mne-icalabel)
    np.testing.assert_allclose(found.activations.std(axis=1), recording.data.std(), rtol=1e-6)


def _toy(topographies: np.ndarray, activities: np.ndarray, kinds: list[str]) -> SimulatedRecording:
    sources = tuple(
        Source(kind=k, name=f"{k}{i}", topography=t, activity=a)
        for i, (k, t, a) in enumerate(zip(kinds, topographies.T, activities, strict=True))
    )
    data = topographies @ activities
    return SimulatedRecording(
        ch_names=("a", "b", "c"),
        sfreq=100.0,
        sources=sources,
        background=np.zeros_like(data),
        data=data,
    )


def test_components_take_the_class_of_their_dominant_source() -> None:
    rng = np.random.default_rng(2)
    activities = rng.standard_normal((3, 5000))
    topographies = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 3.0]])
    recording = _toy(topographies, activities, ["eye", "muscle", "brain"])
    exact = np.linalg.inv(topographies)
    unmixing = np.vstack([exact[2], exact[0], exact[0] + exact[1], exact[1] + 0.5 * exact[0]])
    decomposition = Decomposition(
        unmixing=unmixing, mixing=np.linalg.pinv(unmixing), activations=unmixing @ recording.data
    )
    found = label_components(recording, decomposition)
    assert [CLASS_NAMES[i] for i in found.labels] == ["brain", "eye", "other", "muscle"]
    assert found.best_kind[:2] == ("brain", "eye")
    np.testing.assert_allclose(found.best_share[:2], 1.0)
    assert found.best_share[2] == pytest.approx(0.5, abs=0.05)  # an even mixture: 'other'
    assert found.best_share[3] == pytest.approx(0.8, abs=0.05)
    assert found.best_share[3] > DOMINANT_SHARE


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_the_generator_is_deterministic(tmp_path: Path) -> None:
    generate_eeg_iclabel(tmp_path / "a", seed=7, n_recordings=2)
    generate_eeg_iclabel(tmp_path / "b", seed=7, n_recordings=2)
    generate_eeg_iclabel(tmp_path / "c", seed=8, n_recordings=2)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a")["X.npy"] != _digest(tmp_path / "c")["X.npy"]
    dataset = load_array_folder(tmp_path / "a")
    assert dataset.X.shape[1] == N_FEATURES
    assert set(dataset.metadata["recording_id"]) == {"rec-000", "rec-001"}
    names = [CLASS_NAMES[int(i)] for i in dataset.y]
    assert names == [str(c) for c in dataset.metadata["ic_class"]]


def test_the_registered_dataset_has_every_class(toy_root: Path) -> None:
    folder = toy_root / "neuro" / "eeg_iclabel"
    dataset = load_array_folder(folder)
    info = json.loads((folder / "info.json").read_text())
    assert info["class_names"] == list(CLASS_NAMES) and info["n_classes"] == 7
    counts = np.bincount(dataset.y, minlength=7)
    assert counts.min() >= 5, dict(zip(CLASS_NAMES, counts.tolist(), strict=True))
    shares = np.asarray(dataset.metadata["best_share"], dtype=float)
    other = dataset.y == CLASS_NAMES.index("other")
    assert (shares[other] < DOMINANT_SHARE).all() and (shares[~other] >= DOMINANT_SHARE).all()
    assert np.isfinite(dataset.X).all()
