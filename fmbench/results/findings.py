"""One thing a check found in a file: its severity and a one-line message.

Example:
    >>> Finding("error", "BM-X: AUROC = 1.2 is out of range [0, 1]").severity
    'error'
"""

from __future__ import annotations

import attrs

__all__ = ["Finding"]


@attrs.frozen
class Finding:
    """A finding of ``validate`` or the leaderboard's checks."""

    severity: str  # error | warning | info
    message: str
