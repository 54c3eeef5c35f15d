"""The metric layer's guard against NaN and infinite inputs.

A NaN score would otherwise flow through ranks and thresholds into a number that looks valid
(AUROC 0.528 from one NaN row; 0.5 from an all-NaN column), so every built-in metric, its
weighted bootstrap form and the operating-point functions call :func:`require_finite` first.

Example:
    >>> import numpy as np
    >>> require_finite(np.array([0.2, 0.9]), "AUROC scores")
    >>> require_finite(np.array([0.2, np.nan, 0.9]), "AUROC scores")
    Traceback (most recent call last):
    ...
    fmbench.errors.NonFiniteError: AUROC scores: 1 of 3 rows hold NaN or infinite values (first: row 1); metrics need finite numbers: fix the model's output or drop those rows
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fmbench.errors import NonFiniteError

__all__ = ["require_finite"]


def require_finite(values: Any, what: str) -> None:
    """Raise :class:`~fmbench.errors.NonFiniteError` when a numeric array holds NaN or inf.

    Integer, boolean and non-numeric arrays (string labels) pass unchecked: they cannot hold
    NaN.
    """
    array = np.asarray(values)
    if array.dtype.kind not in "fc" or array.size == 0:
        return
    finite = np.isfinite(array)
    if finite.all():
        return
    bad = ~finite.reshape(len(array), -1).all(axis=1) if array.ndim else ~finite.reshape(1)
    count = int(bad.sum())
    first = int(np.argmax(bad))
    raise NonFiniteError(
        f"{what}: {count} of {len(bad)} rows hold NaN or infinite values (first: row {first}); "
        "metrics need finite numbers: fix the model's output or drop those rows"
    )
