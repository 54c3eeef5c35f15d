"""ICLabel's features (fmbench_neuro.eeg.iclabel_features) and the spherical 10-10 montage:
properties on signals whose answer is known, and equality with mne-icalabel's own code."""

from __future__ import annotations

import warnings
from inspect import signature
from typing import Any

import numpy as np
import pytest
from fmbench_neuro.eeg.iclabel_features import (
    N_FEATURES,
    autocorrelation_feature,
    iclabel_features,
    spectrum_feature,
    split_rows,
    topography_images,
)
from fmbench_neuro.eeg.montage import CHANNELS_32, electrode_xyz, polar_coordinates
from fmbench_neuro.toy.eeg_ica import simulate_recording

FS = 250.0


def test_montage_follows_the_10_10_rules() -> None:
    xyz = electrode_xyz(CHANNELS_32)
    np.testing.assert_allclose(np.linalg.norm(xyz, axis=1), 1.0)
    theta, radius = polar_coordinates(CHANNELS_32)
    at = dict(zip(CHANNELS_32, zip(theta, radius, strict=True), strict=True))
    assert at["Cz"][1] == 0.0
    # the outer ring 92 degrees from the vertex; midline rows 23 degrees apart
    for name in ("Fp1", "F7", "T7", "P7", "O1", "Oz", "O2", "T8"):
        assert at[name][1] == pytest.approx(92 / 180)
    assert [at[n][1] * 180 for n in ("Fz", "Pz")] == pytest.approx([46.0, 46.0])
    assert at["T7"][0] == pytest.approx(-90.0) and at["T8"][0] == pytest.approx(90.0)
    # left-right mirror pairs; C3 half-way from Cz to T7 on the coronal arc
    for left, right in (("F3", "F4"), ("FC5", "FC6"), ("CP1", "CP2"), ("PO3", "PO4")):
        assert at[left][0] == pytest.approx(-at[right][0])
        assert at[left][1] == pytest.approx(at[right][1])
    assert at["C3"][1] == pytest.approx(at["T7"][1] / 2)
    np.testing.assert_allclose(electrode_xyz(["T3", "T6"]), electrode_xyz(["T7", "P8"]))
    with pytest.raises(ValueError, match="no position in the 10-10 rules"):
        electrode_xyz(["F11"])
    with pytest.raises(ValueError, match="not a 10-10 electrode name"):
        electrode_xyz(["EKG"])
    with pytest.raises(ValueError, match="share one position"):
        electrode_xyz(["T3", "T7"])


def test_topography_peaks_where_the_map_peaks_and_is_scaled_like_iclabel() -> None:
    theta, radius = polar_coordinates(CHANNELS_32)
    maps = np.zeros((32, 3))
    maps[CHANNELS_32.index("Fz"), 0] = 1.0
    maps[CHANNELS_32.index("Oz"), 1] = -2.0
    maps[:, 2] = electrode_xyz(CHANNELS_32)[:, 0]  # a left-right gradient
    images = topography_images(maps, theta, radius)
    assert images.shape == (3, 32, 32) and images.dtype == np.float32
    np.testing.assert_allclose(np.abs(images).reshape(3, -1).max(axis=1), 0.99, rtol=1e-6)
    # EEGLAB's grid: first axis runs from the back to the nose, second from left to right
    front_peak = np.unravel_index(np.argmax(images[0]), (32, 32))
    back_trough = np.unravel_index(np.argmin(images[1]), (32, 32))
    assert front_peak[0] > 20 and 12 <= front_peak[1] <= 19
    assert back_trough[0] < 11 and 12 <= back_trough[1] <= 19
    assert images[2][16, 2] < 0 < images[2][16, 29]
    assert images[:, 0, 0].tolist() == [0.0, 0.0, 0.0]  # outside the head disc
    with pytest.raises(ValueError, match="must agree"):
        topography_images(maps[:5], theta, radius)


def test_spectrum_feature_of_known_signals() -> None:
    t = np.arange(int(30 * FS)) / FS
    rng = np.random.default_rng(1)
    alpha = np.sin(2 * np.pi * 10 * t) + 0.1 * rng.standard_normal(len(t))
    mains = np.sin(2 * np.pi * 50 * t) + 0.1 * rng.standard_normal(len(t))
    psd = spectrum_feature(np.vstack([alpha, mains]) * 20, FS)
    assert psd.shape == (2, 100)
    assert int(np.argmax(psd[0])) == 9  # bin k is k + 1 Hz
    assert int(np.argmax(psd[1])) == 49
    np.testing.assert_allclose(np.abs(psd).max(axis=1), 0.99, rtol=1e-6)


def test_a_notch_dip_at_the_mains_frequency_is_filled_in() -> None:
    from scipy.signal import filtfilt, iirnotch

    rng = np.random.default_rng(2)
    noise = rng.standard_normal(int(30 * FS)) * 30
    b, a = iirnotch(50.0, 5.0, fs=FS)
    notched = filtfilt(b, a, noise)
    psd = spectrum_feature(np.vstack([noise, notched]), FS)
    # without the fill-in the notch would sit far below its neighbours
    assert abs(psd[1, 49] - psd[1, [48, 50]].mean()) < 1e-6


def test_autocorrelation_feature_of_known_signals() -> None:
    t = np.arange(int(30 * FS)) / FS
    rng = np.random.default_rng(3)
    sine = np.sin(2 * np.pi * 10 * t)
    white = rng.standard_normal(len(t))
    ac = autocorrelation_feature(np.vstack([sine, white]) * 10, FS)
    assert ac.shape == (2, 100)  # lags 10 ms .. 1 s
    # a 10 Hz sine correlates fully with itself every 100 ms, anti every 50 ms
    assert ac[0, 9] == pytest.approx(0.99, abs=0.02)
    assert ac[0, 4] == pytest.approx(-0.99, abs=0.02)
    assert np.abs(ac[1]).max() < 0.1  # white noise: nothing beyond lag 0
    with pytest.raises(ValueError, match="needs more than 5 s"):
        autocorrelation_feature(np.ones((1, int(4 * FS))), FS)


def test_rows_round_trip_and_bad_shapes() -> None:
    rng = np.random.default_rng(4)
    theta, radius = polar_coordinates(CHANNELS_32)
    features = iclabel_features(
        rng.standard_normal((32, 4)), rng.standard_normal((4, int(10 * FS))), FS, theta, radius
    )
    rows = features.rows()
    assert rows.shape == (4, N_FEATURES) and rows.dtype == np.float32
    back = split_rows(rows)
    np.testing.assert_array_equal(back.topo, features.topo)
    np.testing.assert_array_equal(back.psd, features.psd)
    np.testing.assert_array_equal(back.autocorr, features.autocorr)
    with pytest.raises(ValueError, match=r"shape \(n, 1224\)"):
        split_rows(rows[:, :-1])
    with pytest.raises(ValueError, match="do not match"):
        iclabel_features(
            rng.standard_normal((32, 4)), rng.standard_normal((3, 2500)), FS, theta, radius
        )


def test_features_equal_mne_icalabels_on_an_mne_ica(mne_icalabel: Any) -> None:
    """The same recording and MNE ICA through mne-icalabel 0.10's get_iclabel_features and
    through this port: equal to float32 precision, electrode coordinates included."""
    import mne
    from mne_icalabel.iclabel._utils import _mne_to_eeglab_locs
    from mne_icalabel.iclabel.features import (
        _compute_ica_activations,
        _retrieve_eeglab_icawinv,
        get_iclabel_features,
    )

    recording = simulate_recording(np.random.default_rng(5), duration=20.0)
    raw = mne.io.RawArray(
        recording.data * 1e-6, mne.create_info(list(CHANNELS_32), FS, "eeg"), verbose=False
    )
    positions = dict(zip(CHANNELS_32, electrode_xyz(CHANNELS_32) * 0.095, strict=True))
    raw.set_montage(mne.channels.make_dig_montage(ch_pos=positions, coord_frame="head"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MNE's and mne-icalabel's filter/reference advice
        seed = {
            "rng" if "rng" in signature(mne.preprocessing.ICA).parameters else "random_state": 0
        }
        ica = mne.preprocessing.ICA(n_components=8, method="fastica", max_iter=500, **seed)
        ica.fit(raw, verbose=False)
        topo, psd, autocorr = get_iclabel_features(raw, ica)
    radius_ref, theta_ref = _mne_to_eeglab_locs(raw, ica.ch_names)
    theta, radius = polar_coordinates(CHANNELS_32)
    np.testing.assert_allclose(radius, radius_ref.ravel(), atol=1e-12)
    np.testing.assert_allclose(theta, theta_ref.ravel(), atol=1e-9)
    mixing, _ = _retrieve_eeglab_icawinv(ica)
    activations = _compute_ica_activations(raw, ica)
    ours = iclabel_features(mixing, activations, FS, theta, radius)
    np.testing.assert_allclose(ours.topo, topo[:, :, 0, :].transpose(2, 0, 1), atol=1e-6)
    np.testing.assert_allclose(ours.psd, psd[0, :, 0, :].T, atol=1e-6)
    np.testing.assert_allclose(ours.autocorr, autocorr[0, :, 0, :].T, atol=1e-6)
