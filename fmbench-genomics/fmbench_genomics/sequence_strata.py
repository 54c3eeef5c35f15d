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
    """Add ``length`` and ``gc`` columns that ``metadata`` lacks; return the names added.

    ``gc`` is counted over all sequences at once (one byte array, cumulative counts), which
    gives exactly :func:`gc_fraction` of each sequence.
    """
    added = []
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    if "length" not in metadata:
        metadata["length"] = lengths.astype(float)
        added.append("length")
    if "gc" not in metadata:
        metadata["gc"] = _gc_fractions(sequences, lengths)
        added.append("gc")
    return tuple(added)


def _gc_fractions(sequences: Sequence[str], lengths: np.ndarray) -> np.ndarray:
    # one byte per character ("?" for any non-ASCII one, which is no base either)
    data = np.frombuffer("".join(sequences).encode("ascii", errors="replace"), dtype=np.uint8)
    ends = np.cumsum(lengths)
    starts = ends - lengths

    def per_sequence(mask: np.ndarray) -> np.ndarray:
        running = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
        return running[ends] - running[starts]

    gc = per_sequence((data == ord("G")) | (data == ord("C")))
    called = gc + per_sequence((data == ord("A")) | (data == ord("T")))
    return np.where(called > 0, gc / np.maximum(called, 1), np.nan)
