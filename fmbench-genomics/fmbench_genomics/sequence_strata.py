"""Length and GC content of DNA sequences: the strata of DNA benchmarks, from the sequences.

A benchmark stratifies by ``length`` and ``gc`` and declares the bin edges
(``stratification.bins`` in its YAML). When the data give no such column, the readers
compute them here, so the strata never depend on a file having the column:

- ``length``: the number of characters of the sequence (every IUPAC code and ``-`` counts);
- ``gc``: ``(G + C) / (A + C + G + T)``, the GC fraction of the called bases (``N`` and the
  other ambiguity codes count on neither side); ``NaN`` when no base is called, which
  stratification reports as ``out of range``.

Both are exact functions of the sequence (counts and one division), so the same sequences
give the same strata on every machine.

Example:
    >>> gc_fraction("GGCCAATN")
    0.5714285714285714
    >>> metadata = {}
    >>> add_sequence_strata(metadata, ["ACGG", "AT"])
    ('length', 'gc')
    >>> metadata["length"].tolist(), metadata["gc"].tolist()
    ([4.0, 2.0], [0.75, 0.0])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["STRATA_COLUMNS", "add_sequence_strata", "gc_fraction"]

#: The columns computed from sequences when the data do not give them.
STRATA_COLUMNS = ("length", "gc")


def gc_fraction(sequence: str) -> float:
    """GC fraction of the called bases of an upper-case sequence (NaN when none is called)."""
    gc = sequence.count("G") + sequence.count("C")
    called = gc + sequence.count("A") + sequence.count("T")
    return gc / called if called else float("nan")


def add_sequence_strata(
    metadata: dict[str, np.ndarray], sequences: Sequence[str]
) -> tuple[str, ...]:
    """Add ``length`` and ``gc`` columns that ``metadata`` lacks; return the names added."""
    added = []
    if "length" not in metadata:
        metadata["length"] = np.array([len(s) for s in sequences], dtype=float)
        added.append("length")
    if "gc" not in metadata:
        metadata["gc"] = np.array([gc_fraction(s) for s in sequences], dtype=float)
        added.append("gc")
    return tuple(added)
