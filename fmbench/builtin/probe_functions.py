"""Implementations of the generic, modality-agnostic probes for any array dataset.

Axis 1 is the "channel" axis (EEG channels, ROIs, genes, features); every probe treats each
sample independently, so results do not depend on batch boundaries.

- ``noise``: additive Gaussian noise; level = noise RMS / signal RMS, measured per sample and
  channel, so SNR = -20·log10(level) dB (0.1 is 20 dB; 0 is no noise).
- ``masking``: each element set to 0 with probability ``level``.
- ``dropout``: each whole channel (index along axis 1) set to 0 with probability ``level``.

Example:
    >>> import numpy as np
    >>> x = np.ones((2, 3, 4))
    >>> rng = np.random.default_rng(0)
    >>> np.array_equal(noise(x, 0.0, rng, {}), x)
    True
    >>> float(dropout(x, 1.0, rng, {}).sum())
    0.0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["dropout", "masking", "noise", "snr_db_of_level"]


def snr_db_of_level(level: float) -> float:
    """The SNR in dB that a ``noise`` level stands for."""
    return float("inf") if level == 0 else float(-20 * np.log10(level))


def _as_3d(x: np.ndarray) -> np.ndarray:
    """View (n, c, ...) as (n, c, rest); 2-D input (n, f) as (n, f, 1)."""
    if x.ndim == 2:
        return x.reshape(x.shape[0], x.shape[1], 1)
    return x.reshape(x.shape[0], x.shape[1], -1)


def noise(
    x: np.ndarray, level: float, rng: np.random.Generator, info: Mapping[str, Any]
) -> np.ndarray:
    """Gaussian noise scaled to each sample's and channel's own RMS.

    For 2-D input (samples x features) the power is measured per sample over all features.
    Computed in float32 for float32 input (float64 otherwise), with one noise buffer, so a
    batch needs about two more copies of itself, not ten.
    """
    if level == 0:
        return np.array(x, copy=True)
    work = np.result_type(np.asarray(x).dtype, np.float32)
    data = np.asarray(x, dtype=work)
    flat = data.reshape(data.shape[0], -1, 1) if data.ndim == 2 else _as_3d(data)
    axis = 1 if data.ndim == 2 else 2
    rms = np.sqrt(np.mean(np.square(flat, dtype=np.float64), axis=axis, keepdims=True))
    scale = (np.maximum(rms, 1e-12) * level).astype(work)
    out = rng.standard_normal(flat.shape, dtype=work)
    out *= scale
    out += flat
    return out.reshape(x.shape)


def masking(
    x: np.ndarray, level: float, rng: np.random.Generator, info: Mapping[str, Any]
) -> np.ndarray:
    """Set each element to 0 with probability ``level``."""
    out = np.array(x, copy=True)
    if level == 0:
        return out
    out[rng.random(x.shape, dtype=np.float32) < level] = 0
    return out


def dropout(
    x: np.ndarray, level: float, rng: np.random.Generator, info: Mapping[str, Any]
) -> np.ndarray:
    """Set whole channels (indices along axis 1) to 0, each with probability ``level``."""
    out = np.array(x, copy=True)
    if level == 0:
        return out
    dropped = rng.random(x.shape[:2]) < level
    out[dropped] = 0
    return out
