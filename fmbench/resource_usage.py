"""Resource usage of this process, as recorded in eval.yaml's ``resources`` blocks.

Example:
    >>> peak = peak_rss_mb()
    >>> peak is None or peak > 0
    True
"""

from __future__ import annotations

import sys

__all__ = ["peak_rss_mb"]


def peak_rss_mb() -> float | None:
    """Peak resident memory of this process so far, in MiB (None where unknown)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)
