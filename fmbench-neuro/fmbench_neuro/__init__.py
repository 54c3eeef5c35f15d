"""fmbench-neuro: EEG, MRI and fMRI benchmarks for fmbench.

Importing this package imports nothing heavy; readers, probes and baselines live in
submodules that the plugin references lazily as ``"module:attr"`` strings.

Example:
    >>> import fmbench_neuro
    >>> fmbench_neuro.__version__
    '0.1.0'
"""

from __future__ import annotations

from fmbench_neuro._version import __version__

__all__ = ["__version__"]
