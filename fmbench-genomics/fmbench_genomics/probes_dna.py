"""Robustness probes for DNA sequences (a batch is a list or object array of strings).

Each returns a new object array with one sequence per input sequence and never modifies its
input (strings are immutable; the container is new). Sequence lengths may change only under
``indels``.

- ``snp_noise``: each A/C/G/T base is replaced by one of the three other bases with
  probability ``level`` (other characters, such as N, are left alone).
- ``reverse_complement``: a fraction ``level`` of the sequences (each independently with
  probability ``level``) is replaced by its reverse complement. A model of double-stranded
  DNA should not care: the curve measures that invariance.
- ``indels``: at each position, with probability ``level / 2`` the base is deleted, and with
  probability ``level / 2`` a random base is inserted after it.

Example:
    >>> import numpy as np
    >>> out = reverse_complement(["AACG"], 1.0, np.random.default_rng(0), {})
    >>> out.tolist()
    ['CGTT']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fmbench_genomics.sequences import reverse_complement as _revcomp

__all__ = ["indels", "reverse_complement", "snp_noise"]

_BASES = np.frombuffer(b"ACGT", dtype=np.uint8)
_CODE = np.full(256, -1, dtype=np.int64)
for _i, _b in enumerate(b"ACGT"):
    _CODE[_b] = _i
    _CODE[_b + 32] = _i  # lower case


def _as_list(x: Sequence[str] | np.ndarray) -> list[str]:
    return [str(s) for s in x]


def _out(items: list[str]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def snp_noise(
    x: Sequence[str] | np.ndarray, level: float, rng: np.random.Generator, info: Mapping[str, Any]
) -> np.ndarray:
    """Substitute each A/C/G/T base with probability ``level`` by a different base."""
    sequences = _as_list(x)
    if level == 0:
        return _out(sequences)
    result = []
    for seq in sequences:
        raw = np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8).copy()
        codes = _CODE[raw]
        hit = (codes >= 0) & (rng.random(len(raw)) < level)
        shift = rng.integers(1, 4, size=int(hit.sum()))
        raw[hit] = _BASES[(codes[hit] + shift) % 4]
        result.append(raw.tobytes().decode("ascii"))
    return _out(result)


def reverse_complement(
    x: Sequence[str] | np.ndarray, level: float, rng: np.random.Generator, info: Mapping[str, Any]
) -> np.ndarray:
    """Reverse-complement each sequence with probability ``level``."""
    sequences = _as_list(x)
    if level == 0:
        return _out(sequences)
    flip = rng.random(len(sequences)) < level
    return _out([_revcomp(s) if f else s for s, f in zip(sequences, flip, strict=True)])


def indels(
    x: Sequence[str] | np.ndarray, level: float, rng: np.random.Generator, info: Mapping[str, Any]
) -> np.ndarray:
    """Delete (probability ``level/2``) or insert after (``level/2``) at each position."""
    sequences = _as_list(x)
    if level == 0:
        return _out(sequences)
    result = []
    for seq in sequences:
        draw = rng.random(len(seq))
        inserted = rng.integers(0, 4, size=len(seq))
        parts = []
        for base, d, ins in zip(seq, draw, inserted, strict=True):
            if d < level / 2:
                continue  # deletion
            parts.append(base)
            if d < level:
                parts.append("ACGT"[ins])
        result.append("".join(parts))
    return _out(result)
