"""EEG probes: mains interference, channel permutation, temporal shift.

Input is a batch (n_samples, n_channels, n_times); the sampling rate comes from the data's own
``info["sampling_freq"]``. Each sample is perturbed independently (its own phase, channels,
direction), so results do not depend on batch boundaries.

- ``line_noise`` -- a mains sinusoid at ``info.get("mains_hz", 50)`` Hz (``line_noise_60``
  uses 60 Hz), with a random phase per sample, added to every channel with an amplitude set
  per sample and channel: level = interference RMS / signal RMS (SIR = -20*log10(level) dB).
- ``permutation`` -- a fraction ``level`` of the channels (rounded; at least 2 when level > 0)
  swap places in a cycle, so every chosen channel really moves; the others stay.
- ``shift`` -- a circular shift in time by ``level`` seconds (rounded to samples), forwards or
  backwards at random per sample.

Example:
    >>> import numpy as np
    >>> x = np.random.default_rng(0).standard_normal((2, 4, 200))
    >>> info = {"sampling_freq": 100.0}
    >>> np.array_equal(shift(x, 0.0, np.random.default_rng(1), info), x)
    True
    >>> shift(x, 0.5, np.random.default_rng(1), info).shape
    (2, 4, 200)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fmbench.errors import DataError
from fmbench_neuro.probes._common import sampling_freq

__all__ = ["line_noise", "line_noise_60", "permutation", "shift"]


def _check_3d(x: np.ndarray, probe: str) -> None:
    if x.ndim != 3:
        raise DataError(
            f"probe {probe!r} expects (n_samples, n_channels, n_times) signals, got shape {x.shape}"
        )


def _line_noise(
    x: np.ndarray, level: float, rng: np.random.Generator, info: Mapping[str, Any], mains: float
) -> np.ndarray:
    if level == 0:
        return np.array(x, copy=True)
    _check_3d(x, "line_noise")
    fs = sampling_freq(info, "line_noise")
    if mains >= fs / 2:
        raise DataError(
            f"probe 'line_noise': {mains:g} Hz mains cannot be represented at "
            f"{fs:g} Hz sampling (Nyquist {fs / 2:g} Hz)"
        )
    data = np.asarray(x, dtype=np.float64)
    t = np.arange(x.shape[2]) / fs
    phase = rng.uniform(0, 2 * np.pi, size=(x.shape[0], 1, 1))
    wave = np.sin(2 * np.pi * mains * t[None, None, :] + phase)  # RMS 1/sqrt(2) over whole cycles
    wave = wave / np.sqrt(np.mean(wave**2, axis=2, keepdims=True))
    rms = np.sqrt(np.mean(data**2, axis=2, keepdims=True))
    out = data + level * rms * wave
    return out.astype(np.result_type(x.dtype, np.float32), copy=False)


def line_noise(
    x: np.ndarray, level: float, rng: np.random.Generator, info: Mapping[str, Any]
) -> np.ndarray:
    """Add mains interference at ``info["mains_hz"]`` (default 50 Hz); see the module doc."""
    return _line_noise(x, level, rng, info, float(info.get("mains_hz", 50.0)))


def line_noise_60(
    x: np.ndarray, level: float, rng: np.random.Generator, info: Mapping[str, Any]
) -> np.ndarray:
    """Add 60 Hz mains interference (the Americas); see the module doc."""
    return _line_noise(x, level, rng, info, 60.0)


def n_permuted(n_channels: int, level: float) -> int:
    """How many channels ``permutation`` moves at ``level`` (0, or between 2 and n)."""
    if level <= 0:
        return 0
    return int(min(n_channels, max(2, round(level * n_channels))))


def permutation(
    x: np.ndarray, level: float, rng: np.random.Generator, info: Mapping[str, Any]
) -> np.ndarray:
    """Move a fraction ``level`` of the channels (axis 1) to each other's places."""
    out = np.array(x, copy=True)
    k = n_permuted(x.shape[1], level)
    if k == 0:
        return out
    for i in range(x.shape[0]):
        chosen = rng.choice(x.shape[1], size=k, replace=False)
        out[i, chosen] = x[i, np.roll(chosen, 1)]
    return out


def shift(
    x: np.ndarray, level: float, rng: np.random.Generator, info: Mapping[str, Any]
) -> np.ndarray:
    """Circularly shift each sample in time by ``level`` seconds, in a random direction."""
    if level == 0:
        return np.array(x, copy=True)
    fs = sampling_freq(info, "shift")
    steps = round(level * fs)
    out = np.empty_like(x)
    signs = rng.choice([-1, 1], size=x.shape[0])
    for i in range(x.shape[0]):
        out[i] = np.roll(x[i], int(signs[i] * steps), axis=-1)
    return out
