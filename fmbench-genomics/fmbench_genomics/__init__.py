"""fmbench-genomics: single-cell expression, DNA sequence and variant benchmarks for fmbench.

Installing the package registers everything through the ``fmbench`` entry point
(:mod:`fmbench_genomics.plugin`); nothing here needs importing by hand.

Example:
    >>> import fmbench_genomics
    >>> fmbench_genomics.__version__
    '0.1.0'
"""

from __future__ import annotations

from fmbench_genomics._version import __version__

__all__ = ["__version__"]
