"""ROI time series and functional connectivity (numpy only).

Functional connectivity here is the Pearson correlation between every pair of ROI time
series, Fisher z-transformed (``arctanh``), keeping the upper triangle: ``R * (R - 1) / 2``
features per subject.

Example:
    >>> import numpy as np
    >>> ts = np.random.default_rng(0).standard_normal((4, 50))
    >>> fisher_z_connectivity(ts).shape
    (6,)
"""

from __future__ import annotations

import numpy as np

__all__ = ["constant_rois", "fisher_z_connectivity", "roi_timeseries", "upper_triangle_size"]

#: Correlations are clipped to this magnitude before arctanh, so identical series stay finite.
_MAX_R = 0.999999


def upper_triangle_size(n_rois: int) -> int:
    """How many connectivity features ``n_rois`` regions give."""
    return n_rois * (n_rois - 1) // 2


def roi_timeseries(data: np.ndarray, atlas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean signal of each labelled region at every time point.

    Args:
        data: a 4-D image (x, y, z, time).
        atlas: a 3-D integer label image of the same spatial shape; 0 is background.

    Returns:
        ``(timeseries, labels)``: (n_rois, time) and the region labels in that order.

    Example:
        >>> import numpy as np
        >>> data = np.arange(16, dtype=float).reshape(2, 2, 1, 4)
        >>> atlas = np.array([[[1], [1]], [[2], [0]]])
        >>> roi_timeseries(data, atlas)[0][:, 0]
        array([2., 8.])
    """
    labels = np.unique(atlas)
    labels = labels[labels != 0]
    flat = data.reshape(-1, data.shape[-1])
    flat_atlas = atlas.reshape(-1)
    series = np.stack([flat[flat_atlas == label].mean(axis=0) for label in labels])
    return series, labels


def fisher_z_connectivity(timeseries: np.ndarray) -> np.ndarray:
    """Upper-triangle Fisher-z correlations of (..., n_rois, time) series.

    A region with a constant series has no defined correlation; its entries are 0 (no
    coupling), and :func:`constant_rois` tells the caller which regions those were.
    """
    ts = np.asarray(timeseries, dtype=np.float64)
    centred = ts - ts.mean(axis=-1, keepdims=True)
    norm = np.sqrt(np.sum(centred**2, axis=-1, keepdims=True))
    safe = np.where(norm > 0, norm, 1.0)
    unit = np.where(norm > 0, centred / safe, 0.0)
    corr = unit @ np.swapaxes(unit, -1, -2)
    rows, cols = np.triu_indices(ts.shape[-2], k=1)
    upper = corr[..., rows, cols]
    return np.arctanh(np.clip(upper, -_MAX_R, _MAX_R))


def constant_rois(timeseries: np.ndarray) -> np.ndarray:
    """Indices of regions whose series is constant (their correlations are undefined)."""
    ts = np.asarray(timeseries, dtype=np.float64)
    return np.flatnonzero(np.ptp(ts, axis=-1) == 0)
