"""Small helpers for per-sample metadata columns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["class_order", "parse_column", "rarity_column"]


def parse_column(values: Sequence[Any]) -> np.ndarray:
    """A float array when every non-empty value is a number, else an object array of strings.

    Example:
        >>> parse_column(["1", "", "2.5"]).tolist()
        [1.0, nan, 2.5]
    """
    numbers = []
    for value in values:
        text = str(value).strip()
        if text == "" or text.lower() == "nan":
            numbers.append(np.nan)
            continue
        try:
            numbers.append(float(text))
        except ValueError:
            return np.array([str(v) for v in values], dtype=object)
    return np.array(numbers, dtype=float)


def class_order(labels: Sequence[str]) -> list[str]:
    """Distinct labels, numbers first in numeric order, then text in sorted order.

    Example:
        >>> class_order(["b", "10", "2", "a"])
        ['2', '10', 'a', 'b']
    """

    def key(v: str) -> tuple[bool, int, str]:
        digit = v.lstrip("-").isdigit()
        return (not digit, int(v) if digit else 0, v)

    return sorted(set(labels), key=key)


#: Rarity groups of a class by its share of all samples: (upper bound, group name).
RARITY_GROUPS = ((0.05, "rare"), (0.15, "uncommon"), (1.01, "common"))


def rarity_column(y: np.ndarray) -> np.ndarray:
    """For each sample, how common its class is: rare (< 5 %), uncommon (< 15 %), common.

    Example:
        >>> rarity_column(np.array([0] * 19 + [1])).tolist()[-2:]
        ['common', 'uncommon']
    """
    y = np.asarray(y).astype(int)
    share = np.bincount(y) / len(y)
    names = []
    for s in share:
        names.append(next(name for bound, name in RARITY_GROUPS if s < bound))
    return np.array([names[c] for c in y], dtype=object)
