"""Which robustness scores a leaderboard may compare: those over the same probes and levels.

A robustness score is the mean chance-relative rAUC over a run's declared probes, each on its
own grid of levels (docs/robustness.md): a score over {noise} and one over {noise, dropout},
or over two noise grids, measure different things. So each board labels the distinct probe
sets of its rows (``A`` for the set most rows use, then ``B``, ...), every robustness cell
names its set, the page lists the sets, and only scores of one set are compared (the HTML
table sorts the robustness column over set ``A`` alone).

The set of a run is its probes with their levels and the severity axis the file says it used
(files of fmbench ≤ 0.1 mapped levels linearly and scored a chance-level model 0: they form
their own sets).

Example:
    >>> block = {"severity_axis": "rank", "probes": {
    ...     "noise": {"levels": [0, 0.1, 1]}, "dropout": {"levels": [0, 0.5]}}}
    >>> probe_set(block)
    'dropout (0, 0.5); noise (0, 0.1, 1); rank axis'
    >>> set_labels(["x", "y", "y", None, "x", "y"])
    {'y': 'A', 'x': 'B'}
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["LEGACY_AXIS", "is_legacy_gate_zero", "probe_set", "set_labels"]

#: How a set without ``severity_axis`` (fmbench ≤ 0.1) is named.
LEGACY_AXIS = "linear axis (fmbench ≤ 0.1)"


def _level(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)[:20]
    return f"{float(value):g}"


def probe_set(block: Mapping[str, Any]) -> str | None:
    """The probes, levels and axis of a robustness block as one line, or None without probes."""
    probes = block.get("probes")
    if not isinstance(probes, Mapping) or not probes:
        return None
    parts = []
    for name in sorted(probes, key=str):
        record = probes[name]
        levels = record.get("levels") if isinstance(record, Mapping) else None
        grid = ", ".join(_level(v) for v in levels[:50]) if isinstance(levels, list) else "?"
        parts.append(f"{str(name)[:100]} ({grid})")
    axis = block.get("severity_axis")
    parts.append(f"{str(axis)[:20]} axis" if axis else LEGACY_AXIS)
    return "; ".join(parts)


def is_legacy_gate_zero(block: Mapping[str, Any], value: Any, note: Any) -> bool:
    """Is ``value`` a 0 that fmbench ≤ 0.1's signal gate wrote for "no evidence of signal"?

    Those files (no ``severity_axis``) scored a model that failed the gate 0 and said why in
    a note; the leaderboard shows such a 0 as null (not evidence), as fmbench now writes it.

    Example:
        >>> is_legacy_gate_zero({}, 0.0, "does not beat a label-permutation null")
        True
        >>> is_legacy_gate_zero({"severity_axis": "rank"}, 0.0, "a note")
        False
    """
    return "severity_axis" not in block and value == 0 and bool(note)


def set_labels(sets: Iterable[str | None]) -> dict[str, str]:
    """Letters for the distinct sets: ``A`` for the most frequent, ties to the first seen.

    ``sets`` is in board order (best row first); None (no robustness block) is skipped.
    """
    counts: dict[str, int] = {}
    first: dict[str, int] = {}
    for i, value in enumerate(sets):
        if value is None:
            continue
        counts[value] = counts.get(value, 0) + 1
        first.setdefault(value, i)
    ordered = sorted(counts, key=lambda v: (-counts[v], first[v]))
    return {value: _letter(i) for i, value in enumerate(ordered)}


def _letter(i: int) -> str:
    letters = string.ascii_uppercase
    return letters[i] if i < len(letters) else f"S{i + 1}"
