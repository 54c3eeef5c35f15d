"""The probe functions: ``perturb(x, level, rng, info) -> new array of x's shape``.

Each returns a new array and never writes into ``x`` (fmbench passes read-only batches);
level 0 returns the input unchanged.

Example:
    >>> import numpy as np
    >>> x = np.array([[1.0, -4.0, 2.0]])
    >>> gain(x, 0.5, np.random.default_rng(0), {}).tolist()
    [[1.5, -6.0, 3.0]]
    >>> clip(x, 0.5, np.random.default_rng(0), {}).tolist()
    [[1.0, -2.0, 2.0]]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["clip", "gain"]


def gain(
    x: np.ndarray, level: float, rng: np.random.Generator, info: Mapping[str, Any]
) -> np.ndarray:
    """Multiply by ``1 + level`` (a mis-calibrated amplifier)."""
    return np.asarray(x) * (1.0 + level)


def clip(
    x: np.ndarray, level: float, rng: np.random.Generator, info: Mapping[str, Any]
) -> np.ndarray:
    """Clip each sample (and channel, for 3-D and larger input) at ``(1 - level)`` of its peak.

    The peak is the largest absolute value over the last axis (over the features, for 2-D
    input), so the probe treats each sample on its own and does not depend on the batch.
    """
    data = np.asarray(x)
    if level == 0:
        return data.copy()
    axis = -1
    peak = np.max(np.abs(data), axis=axis, keepdims=True)
    limit = (1.0 - level) * peak
    return np.clip(data, -limit, limit)
