"""Shared checks of the neuro probes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fmbench.errors import DataError

__all__ = ["sampling_freq"]


def sampling_freq(info: Mapping[str, Any], probe: str) -> float:
    """The data's own sampling rate from ``info``; a clear error when it is missing."""
    value = info.get("sampling_freq")
    if value is None:
        raise DataError(
            f"probe {probe!r} needs the data's sampling rate, but the dataset's info has no "
            "'sampling_freq'; add it to info.json (in Hz)"
        )
    fs = float(value)
    if fs <= 0:
        raise DataError(f"probe {probe!r}: sampling_freq must be positive, got {value!r}")
    return fs
