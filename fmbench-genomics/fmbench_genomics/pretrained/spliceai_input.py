"""The input of the SpliceAI encoder: DNA strings to one-hot arrays with a query mask.

:func:`encode_batch` is the ``preprocess`` step of the SpliceAI model configs (both the
``torch_module`` and the ``onnx`` one); it needs NumPy only, so the ONNX path runs without
torch. Each sequence becomes rows of five channels:

- channels 1-4: A, C, G, T one-hot (lower case is upper-cased). ``N`` and every other letter
  (IUPAC ambiguity codes, ``U``, ``-``) are all zeros, the way SpliceAI's own encoding gives
  ``N``: its code maps A, C, G, T and N only;
- channel 5: 1 on the sequence's own positions, 0 on the padding that brings shorter
  sequences of a batch to the length of the longest (pooling reads this mask).

The model adds SpliceAI's flanking context itself (5,000 ``N`` on each side, as the SpliceAI
README does for a custom sequence), so the embedding of a sequence does not depend on the other
sequences of its batch.

Example:
    >>> x = encode_batch(["ACGTN", "gt"])
    >>> x.shape, x.dtype.name
    ((2, 5, 5), 'float32')
    >>> x[0].tolist()[4], x[1].tolist()[0], x[1].tolist()[2]
    ([0.0, 0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0, 0.0])
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["N_CHANNELS", "encode_batch", "one_hot"]

#: A, C, G, T and the query mask.
N_CHANNELS = 5

_CODES = np.full(256, 4, dtype=np.int64)  # 4: all zeros (N and anything else)
for _code, _base in enumerate("ACGT"):
    _CODES[ord(_base)] = _code
    _CODES[ord(_base.lower())] = _code
_TABLE = np.vstack([np.eye(4, dtype=np.float32), np.zeros((1, 4), dtype=np.float32)])


def one_hot(sequence: str) -> np.ndarray:
    """``(len(sequence), 4)`` float32 one-hot in A, C, G, T order; other letters all zeros.

    Example:
        >>> one_hot("aCn").tolist()
        [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    """
    codes = _CODES[np.frombuffer(str(sequence).encode("ascii", "replace"), dtype=np.uint8)]
    return _TABLE[codes]


def encode_batch(sequences: Iterable[str]) -> np.ndarray:
    """``(n, longest, 5)`` float32: one-hot A, C, G, T plus the mask of each sequence's positions.

    Raises:
        ValueError: an item is not a string (say numbers given to a DNA encoder).
    """
    items = list(sequences)
    bad = [type(s).__name__ for s in items if not isinstance(s, str)]
    if bad:
        raise ValueError(
            f"SpliceAI encodes DNA strings; got {bad[0]} items (is the dataset a DNA one?)"
        )
    longest = max((len(s) for s in items), default=0)
    out = np.zeros((len(items), longest, N_CHANNELS), dtype=np.float32)
    for row, sequence in enumerate(items):
        out[row, : len(sequence), :4] = one_hot(sequence)
        out[row, : len(sequence), 4] = 1.0
    return out
