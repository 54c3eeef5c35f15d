"""MRI and fMRI probes: intensity bias field, contrast change, rigid motion, thermal noise,
ROI dropout.

Two input layouts: **volumes** (n_samples, x, y, z) -- structural MRI, the last three axes are
space -- and **ROI time series** (n_samples, n_rois, n_times) -- fMRI after parcellation.

- ``bias_field`` (volumes): multiply by ``exp(level * B)``, ``B`` a smooth random field
  (second-order polynomial in x, y, z) with unit standard deviation over the non-zero voxels;
  level is the standard deviation of the log-intensity bias (0.1 is about +/-10 %).
- ``contrast`` (any layout): gamma change of each sample's min-max-scaled intensities,
  ``gamma = exp(+/-level)`` (sign at random per sample); level = |ln gamma|.
- ``motion``: volumes get a rigid transform -- a translation of ``level`` mm in a random
  direction plus a rotation of ``level / 50`` rad about a random axis through the centre
  (``level`` mm of displacement at 50 mm radius, the framewise-displacement convention), voxel
  size from ``info["voxel_size_mm"]`` (default 1 mm). ROI time series get motion artefacts
  from a simulated head-motion trace whose mean framewise displacement is ``level`` mm: a
  spike proportional to each frame's displacement and a drift proportional to the position,
  scaled by each region's own temporal standard deviation and a random per-region loading.
- ``thermal_noise``: volumes get Rician noise (complex Gaussian, magnitude) with sigma =
  ``level`` x the mean foreground intensity (image SNR = 1/level); ROI time series get
  Gaussian noise with standard deviation = ``level`` x each region's temporal standard
  deviation (the added noise has temporal SNR 1/level).
- ``roi_dropout`` (ROI time series): ``round(level * n_rois)`` regions (at least one when
  level > 0) per sample lose their
  signal and keep only their temporal mean, as when a region falls out of the field of view.

Example:
    >>> import numpy as np
    >>> vol = np.ones((2, 8, 8, 8))
    >>> rng = np.random.default_rng(0)
    >>> np.array_equal(bias_field(vol, 0.0, rng, {}), vol)
    True
    >>> roi_dropout(np.ones((1, 10, 5)), 0.3, rng, {}).shape
    (1, 10, 5)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fmbench.errors import DataError

__all__ = ["bias_field", "contrast", "motion", "roi_dropout", "thermal_noise"]

#: Head radius (mm) that turns rotation into displacement (Power et al. 2012).
HEAD_RADIUS_MM = 50.0


def _float_out(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    return out.astype(np.result_type(x.dtype, np.float32), copy=False)


def _need(x: np.ndarray, probe: str, ndim: tuple[int, ...], what: str) -> None:
    if x.ndim not in ndim:
        raise DataError(f"probe {probe!r} expects {what}, got an array of shape {x.shape}")


def _grid(shape: tuple[int, ...]) -> list[np.ndarray]:
    axes = [np.linspace(-1, 1, n) if n > 1 else np.zeros(1) for n in shape]
    return list(np.meshgrid(*axes, indexing="ij"))


def smooth_field(
    shape: tuple[int, int, int], rng: np.random.Generator, mask: np.ndarray | None = None
) -> np.ndarray:
    """A random second-order polynomial field, zero mean and unit std over ``mask``."""
    gx, gy, gz = _grid(shape)
    terms = [gx, gy, gz, gx * gy, gx * gz, gy * gz, gx**2, gy**2, gz**2]
    field = sum(c * t for c, t in zip(rng.standard_normal(len(terms)), terms, strict=True))
    field = np.asarray(field, dtype=np.float64)
    inside = field[mask] if mask is not None and mask.any() else field
    field -= inside.mean()
    std = inside.std()
    return field / std if std > 0 else field


def bias_field(
    x: np.ndarray, level: float, rng: np.random.Generator, info: Mapping[str, Any]
) -> np.ndarray:
    """Multiplicative smooth intensity bias (volumes); see the module doc."""
    if level == 0:
        return np.array(x, copy=True)
    _need(x, "bias_field", (4,), "volumes (n_samples, x, y, z)")
    out = np.asarray(x, dtype=np.float64).copy()
    for i in range(x.shape[0]):
        field = smooth_field((x.shape[1], x.shape[2], x.shape[3]), rng, mask=out[i] != 0)
        out[i] *= np.exp(level * field)
    return _float_out(x, out)


def contrast(
    x: np.ndarray, level: float, rng: np.random.Generator, info: Mapping[str, Any]
) -> np.ndarray:
    """Gamma change of each sample's intensities; see the module doc."""
    if level == 0:
        return np.array(x, copy=True)
    data = np.asarray(x, dtype=np.float64)
    flat = data.reshape(data.shape[0], -1)
    lo = flat.min(axis=1, keepdims=True)
    span = flat.max(axis=1, keepdims=True) - lo
    safe = np.where(span > 0, span, 1.0)
    gamma = np.exp(rng.choice([-1.0, 1.0], size=(data.shape[0], 1)) * level)
    out = lo + safe * ((flat - lo) / safe) ** gamma
    out = np.where(span > 0, out, flat)
    return _float_out(x, out.reshape(data.shape))


def _random_unit(rng: np.random.Generator) -> np.ndarray:
    v = rng.standard_normal(3)
    return v / np.linalg.norm(v)


def _rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def _move_volume(
    volume: np.ndarray, level: float, rng: np.random.Generator, voxel: np.ndarray
) -> np.ndarray:
    from scipy.ndimage import affine_transform

    rot = _rotation(_random_unit(rng), level / HEAD_RADIUS_MM)
    translation_vox = _random_unit(rng) * level / voxel
    centre = (np.array(volume.shape) - 1) / 2
    # scipy maps output coordinates o to input coordinates: matrix @ o + offset
    matrix = rot.T
    offset = centre - matrix @ centre - matrix @ translation_vox
    return np.asarray(affine_transform(volume, matrix, offset=offset, order=1, mode="nearest"))


def motion_trace(
    n_times: int, mean_fd: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Framewise displacement (mm, first frame 0) and signed position of a simulated trace."""
    steps = rng.exponential(mean_fd, size=n_times) * rng.choice([-1.0, 1.0], size=n_times)
    steps[0] = 0.0
    fd = np.abs(steps)
    if n_times > 1 and fd[1:].mean() > 0:  # hit the requested mean exactly
        scale = mean_fd / fd[1:].mean()
        fd, steps = fd * scale, steps * scale
    return fd, np.cumsum(steps)


def _move_series(series: np.ndarray, level: float, rng: np.random.Generator) -> np.ndarray:
    n_rois, n_times = series.shape
    fd, position = motion_trace(n_times, level, rng)
    std = series.std(axis=1, keepdims=True)
    spike_loading = rng.normal(1.0, 0.3, size=(n_rois, 1))
    drift_loading = rng.normal(0.0, 0.2, size=(n_rois, 1))
    return series + std * (spike_loading * fd[None, :] + drift_loading * position[None, :])


def motion(
    x: np.ndarray, level: float, rng: np.random.Generator, info: Mapping[str, Any]
) -> np.ndarray:
    """Rigid motion (volumes) or motion artefacts (ROI time series); see the module doc."""
    if level == 0:
        return np.array(x, copy=True)
    _need(x, "motion", (3, 4), "volumes (n, x, y, z) or ROI time series (n, rois, times)")
    data = np.asarray(x, dtype=np.float64)
    out = np.empty_like(data)
    if x.ndim == 4:
        voxel = np.broadcast_to(np.asarray(info.get("voxel_size_mm", 1.0), dtype=float), (3,))
        for i in range(x.shape[0]):
            out[i] = _move_volume(data[i], level, rng, voxel)
    else:
        for i in range(x.shape[0]):
            out[i] = _move_series(data[i], level, rng)
    return _float_out(x, out)


def thermal_noise(
    x: np.ndarray, level: float, rng: np.random.Generator, info: Mapping[str, Any]
) -> np.ndarray:
    """Rician noise (volumes) or temporal-SNR noise (ROI time series); see the module doc."""
    if level == 0:
        return np.array(x, copy=True)
    _need(x, "thermal_noise", (3, 4), "volumes (n, x, y, z) or ROI time series (n, rois, times)")
    data = np.asarray(x, dtype=np.float64)
    if x.ndim == 4:
        out = np.empty_like(data)
        for i in range(x.shape[0]):
            vol = data[i]
            foreground = vol[vol > 0.1 * vol.max()] if vol.max() > 0 else vol
            sigma = level * float(np.mean(np.abs(foreground))) if foreground.size else level
            real = vol + rng.normal(0, sigma, vol.shape)
            imag = rng.normal(0, sigma, vol.shape)
            out[i] = np.sqrt(real**2 + imag**2)
        return _float_out(x, out)
    std = data.std(axis=2, keepdims=True)
    return _float_out(x, data + rng.standard_normal(data.shape) * std * level)


def roi_dropout(
    x: np.ndarray, level: float, rng: np.random.Generator, info: Mapping[str, Any]
) -> np.ndarray:
    """Flatten ``round(level * n_rois)`` regions per sample to their mean; see the module doc."""
    out = np.array(x, copy=True)
    if level == 0:
        return out
    _need(x, "roi_dropout", (3,), "ROI time series (n_samples, n_rois, n_times)")
    k = min(x.shape[1], max(1, round(level * x.shape[1])))
    for i in range(x.shape[0]):
        chosen = rng.choice(x.shape[1], size=k, replace=False)
        out[i, chosen] = x[i, chosen].mean(axis=1, keepdims=True)
    return out
