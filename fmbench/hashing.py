"""Hashes that must be the same everywhere: canonical JSON digests and seed words.

Every content hash fmbench records (eval digests, definition hashes, journal keys, cache keys,
preprocessing descriptions) is the SHA-256 of the same canonical JSON, and every random stream
that is named (a benchmark's bootstrap, a probe at a level) is keyed by the same 64-bit words,
so two parts of the code never disagree about what "the same" means.

Example:
    >>> json_sha256({"b": 1, "a": [1.0, "x"]}) == json_sha256({"a": [1.0, "x"], "b": 1})
    True
    >>> canonical_json({"b": 1, "a": "é"})
    b'{"a":"\\xc3\\xa9","b":1}'
    >>> word64("noise") == word64("noise"), word64(0.1) == word64(0.10)
    (True, True)
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical_json", "json_sha256", "word64"]


def canonical_json(data: Any) -> bytes:
    """JSON with sorted keys and no spaces, UTF-8; objects it cannot encode are ``str()``-ed.

    NaN and infinity are written as JSON's extensions (``NaN``, ``Infinity``), as Python reads
    them back, so a document holding them still has a digest.
    """
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=True, default=str
    ).encode("utf-8")


def json_sha256(data: Any) -> str:
    """The SHA-256 (hex) of :func:`canonical_json`: key order and formatting do not matter."""
    return hashlib.sha256(canonical_json(data)).hexdigest()


def word64(value: Any) -> int:
    """A 64-bit word that names ``value`` in a seed (the same in every process, unlike
    ``hash()``): numbers by their float ``repr`` (``0.1`` and ``0.10`` agree), else by text."""
    text = repr(float(value)) if isinstance(value, (int, float)) else str(value)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")
