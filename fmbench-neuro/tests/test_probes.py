"""Probe properties: identity at level 0, shapes kept, input untouched, determinism, and each
probe does what its unit says (50 Hz peak, SNR achieved, fraction moved, seconds shifted...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from fmbench_neuro.probes import eeg, mri

from fmbench.errors import DataError
from fmbench.plugin_system.specs import ProbeSpec, resolve

FS = 200.0
INFO = {"sampling_freq": FS, "modality": "eeg"}


def eeg_batch(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(400) / FS
    x = rng.standard_normal((6, 8, 400)) + 2 * np.sin(2 * np.pi * 10 * t)
    return x.astype(np.float32)


def volume_batch() -> np.ndarray:
    grid = np.stack(np.meshgrid(*(np.linspace(-1, 1, 12),) * 3, indexing="ij"))
    head = (np.sum(grid**2, axis=0) < 0.8).astype(float)
    return np.stack([head * (500 + 50 * i) + head * grid[0] * 100 for i in range(3)]).astype(
        np.float32
    )


def series_batch() -> np.ndarray:
    rng = np.random.default_rng(5)
    return (rng.standard_normal((4, 10, 120)) + 100).astype(np.float32)


CASES: list[tuple[str, np.ndarray, dict[str, Any]]] = [
    ("line_noise", eeg_batch(), INFO),
    ("line_noise_60", eeg_batch(), INFO),
    ("permutation", eeg_batch(), INFO),
    ("shift", eeg_batch(), INFO),
    ("bias_field", volume_batch(), {}),
    ("contrast", volume_batch(), {}),
    ("motion", volume_batch(), {"voxel_size_mm": 2.0}),
    ("motion", series_batch(), {}),
    ("thermal_noise", volume_batch(), {}),
    ("thermal_noise", series_batch(), {}),
    ("roi_dropout", series_batch(), {}),
]


@pytest.mark.parametrize(("name", "x", "info"), CASES, ids=[f"{c[0]}-{c[1].ndim}d" for c in CASES])
def test_probe_contract(registry, name: str, x: np.ndarray, info: dict[str, Any]) -> None:
    spec = registry.get(ProbeSpec, name)
    perturb: Callable[..., np.ndarray] = resolve(spec.perturb)
    frozen = x.copy()
    frozen.setflags(write=False)  # a probe must never write into its input
    identity = perturb(frozen, spec.levels[0], np.random.default_rng(0), info)
    assert np.array_equal(identity, x)
    for level in spec.levels[1:]:
        out = perturb(frozen, level, np.random.default_rng(1), info)
        again = perturb(frozen, level, np.random.default_rng(1), info)
        assert out.shape == x.shape
        assert np.all(np.isfinite(out))
        assert not np.array_equal(out, x), f"{name} at {level} changed nothing"
        np.testing.assert_array_equal(out, again)
    np.testing.assert_array_equal(frozen, x)


def spectrum_peak(x: np.ndarray) -> float:
    freqs = np.fft.rfftfreq(x.shape[-1], d=1 / FS)
    power = np.mean(np.abs(np.fft.rfft(x, axis=-1)) ** 2, axis=(0, 1))
    power[freqs < 1] = 0
    return float(freqs[np.argmax(power)])


@pytest.mark.parametrize(("probe", "info", "hz"), [
    (eeg.line_noise, INFO, 50.0),
    (eeg.line_noise, {**INFO, "mains_hz": 60}, 60.0),
    (eeg.line_noise_60, INFO, 60.0),
])  # fmt: skip
def test_line_noise_peak_and_level(
    probe: Callable[..., np.ndarray], info: dict[str, Any], hz: float
) -> None:
    x = eeg_batch().astype(np.float64)
    assert spectrum_peak(x) == pytest.approx(10.0)
    out = probe(x, 1.0, np.random.default_rng(0), info)
    assert spectrum_peak(out) == pytest.approx(hz)
    added = out - x
    ratio = np.sqrt(np.mean(added**2, axis=2)) / np.sqrt(np.mean(x**2, axis=2))
    np.testing.assert_allclose(ratio, 1.0, rtol=1e-6)  # level = interference/signal RMS
    # a phase of its own per sample
    phases = np.angle(np.fft.rfft(added[:, 0], axis=-1)[:, int(hz * 400 / FS)])
    assert len(np.unique(np.round(phases, 3))) == x.shape[0]


def test_line_noise_needs_the_sampling_rate() -> None:
    with pytest.raises(DataError, match="sampling_freq"):
        eeg.line_noise(eeg_batch(), 0.1, np.random.default_rng(0), {})
    with pytest.raises(DataError, match="Nyquist"):
        eeg.line_noise(eeg_batch(), 0.1, np.random.default_rng(0), {"sampling_freq": 100.0})


@pytest.mark.parametrize("level", [0.125, 0.25, 0.5, 1.0])
def test_permutation_moves_the_stated_fraction(level: float) -> None:
    x = np.arange(8)[None, :, None] * np.ones((5, 8, 3))
    out = eeg.permutation(x, level, np.random.default_rng(0), INFO)
    for sample in out:
        moved = int(np.sum(sample[:, 0] != np.arange(8)))
        assert moved == eeg.n_permuted(8, level)
        assert sorted(sample[:, 0]) == list(range(8))  # the same channels, reordered


def test_shift_is_a_circular_shift_in_seconds() -> None:
    x = eeg_batch()
    out = eeg.shift(x, 0.25, np.random.default_rng(0), INFO)
    steps = round(0.25 * FS)
    for i in range(len(x)):
        assert np.array_equal(out[i], np.roll(x[i], steps, axis=-1)) or np.array_equal(
            out[i], np.roll(x[i], -steps, axis=-1)
        )


def test_thermal_noise_reaches_the_temporal_snr() -> None:
    x = series_batch().astype(np.float64)
    out = mri.thermal_noise(x, 0.5, np.random.default_rng(0), {})
    achieved = (out - x).std(axis=2) / x.std(axis=2)
    assert np.mean(achieved) == pytest.approx(0.5, rel=0.05)


def test_thermal_noise_on_volumes_is_rician() -> None:
    x = volume_batch().astype(np.float64)
    out = mri.thermal_noise(x, 0.1, np.random.default_rng(0), {})
    background = out[x == 0]
    assert background.min() >= 0
    assert background.mean() > 0
    foreground = x[0][x[0] > 0]
    sigma = 0.1 * foreground.mean()
    bright = x[0] > 0.9 * x[0].max()
    assert np.std(out[0][bright] - x[0][bright]) == pytest.approx(sigma, rel=0.15)


def test_roi_dropout_flattens_the_stated_fraction() -> None:
    x = series_batch()
    out = mri.roi_dropout(x, 0.3, np.random.default_rng(0), {})
    flat = np.ptp(out, axis=2) == 0
    assert np.all(flat.sum(axis=1) == 3)
    np.testing.assert_allclose(out.mean(axis=2), x.mean(axis=2), rtol=1e-5)


def test_motion_trace_mean_fd() -> None:
    fd, position = mri.motion_trace(200, 0.3, np.random.default_rng(0))
    assert fd[0] == 0
    assert fd[1:].mean() == pytest.approx(0.3)
    np.testing.assert_allclose(np.abs(np.diff(position)), fd[1:])


def test_rigid_motion_moves_the_centre_of_mass() -> None:
    x = volume_batch().astype(np.float64)
    out = mri.motion(x, 4.0, np.random.default_rng(0), {"voxel_size_mm": 2.0})
    grid = np.stack(np.meshgrid(*(np.arange(12),) * 3, indexing="ij")).reshape(3, -1)

    def centre(v: np.ndarray) -> np.ndarray:
        return grid @ v.ravel() / v.sum()

    moved = np.linalg.norm(centre(out[0]) - centre(x[0]))
    assert 1.0 < moved < 3.0  # 4 mm at 2 mm voxels: about 2 voxels
    assert out[0].sum() == pytest.approx(x[0].sum(), rel=0.05)  # rigid: mass kept


def test_bias_field_is_smooth_and_multiplicative() -> None:
    x = volume_batch().astype(np.float64)
    out = mri.bias_field(x, 0.2, np.random.default_rng(0), {})
    inside = x[0] > 0
    log_ratio = np.log(out[0][inside] / x[0][inside])
    assert log_ratio.std() == pytest.approx(0.2, rel=0.35)
    assert np.all(out[0][~inside] == 0)


def test_contrast_keeps_the_range_and_order() -> None:
    x = volume_batch().astype(np.float64)
    out = mri.contrast(x, 0.4, np.random.default_rng(0), {})
    for a, b in zip(x, out, strict=True):
        assert b.min() == pytest.approx(a.min())
        assert b.max() == pytest.approx(a.max())
        order = np.argsort(a.ravel(), kind="stable")
        assert np.all(np.diff(b.ravel()[order]) >= -1e-9)


def test_volume_probes_refuse_other_layouts() -> None:
    with pytest.raises(DataError, match="bias_field"):
        mri.bias_field(np.ones((2, 3, 4)), 0.1, np.random.default_rng(0), {})
    with pytest.raises(DataError, match="roi_dropout"):
        mri.roi_dropout(np.ones((2, 3)), 0.1, np.random.default_rng(0), {})
