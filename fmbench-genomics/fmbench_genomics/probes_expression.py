"""Robustness probes for expression matrices (cells x genes; dense arrays or scipy.sparse).

Each acts on every cell on its own (so results do not depend on batch boundaries), returns
a new matrix of the same shape and type, and never modifies its input. Integer counts stay
integers of the same dtype; zeros stay zeros (only ``gene_dropout`` adds zeros).

- ``gene_dropout``: each non-zero value becomes 0 with probability ``level`` (extra dropout
  zeros, as from lower capture efficiency).
- ``library_downsampling``: binomial thinning: each read is kept with probability
  ``1 - level``, so ``level`` is the fraction of the library removed. Needs integer counts.
- ``expression_noise``: each value is multiplied by a log-normal factor ``exp(N(0, level))``
  (integer counts are rounded back to integers).
- ``batch_shift``: every gene is multiplied by one factor ``exp(N(0, level))`` shared by all
  cells, as a new batch or technology would; the factors depend only on ``level`` and
  ``info['seed']`` (default 0), not on the batch of cells, so all cells see the same shift.

Example:
    >>> import numpy as np
    >>> x = np.array([[5, 0, 3]])
    >>> library_downsampling(x, 0.0, np.random.default_rng(0), {}).tolist()
    [[5, 0, 3]]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from fmbench.data.dataset import is_sparse
from fmbench.errors import DataError

__all__ = ["batch_shift", "expression_noise", "gene_dropout", "library_downsampling"]


def _is_integer(values: np.ndarray) -> bool:
    return values.dtype.kind in "iu"


def _on_values(x: Any, change: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Any:
    """Apply ``change(values, gene_index)`` to the stored (non-zero) values; new object out."""
    if is_sparse(x):
        out = x.tocsr(copy=True)
        out.data = change(out.data.copy(), out.indices)
        out.eliminate_zeros()
        return out
    arr = np.asarray(x)
    out = np.array(arr, copy=True)
    rows, cols = np.nonzero(arr)
    out[rows, cols] = change(arr[rows, cols].copy(), cols)
    return out


def _cast_like(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    if _is_integer(old):
        return np.rint(new).astype(old.dtype)
    return new.astype(old.dtype, copy=False)


def _check_2d(x: Any, probe: str) -> None:
    if len(x.shape) != 2:
        raise DataError(f"probe {probe} needs a cells x genes matrix, got shape {x.shape}")


def gene_dropout(x: Any, level: float, rng: np.random.Generator, info: Mapping[str, Any]) -> Any:
    """Set each non-zero value to 0 with probability ``level``."""
    _check_2d(x, "gene_dropout")

    def change(values: np.ndarray, genes: np.ndarray) -> np.ndarray:
        if level == 0:
            return values
        values[rng.random(len(values)) < level] = 0
        return values

    return _on_values(x, change)


def library_downsampling(
    x: Any, level: float, rng: np.random.Generator, info: Mapping[str, Any]
) -> Any:
    """Keep each read with probability ``1 - level`` (binomial thinning of integer counts)."""
    _check_2d(x, "library_downsampling")
    values = x.data if is_sparse(x) else np.asarray(x)
    whole = _is_integer(values) or (
        values.dtype.kind == "f" and np.all(values >= 0) and np.all(values == np.round(values))
    )
    if not whole or (values.size and values.min() < 0):
        raise DataError(
            "probe library_downsampling needs raw integer counts; this dataset holds "
            "normalised values (use expression_noise or gene_dropout instead)"
        )

    def change(vals: np.ndarray, genes: np.ndarray) -> np.ndarray:
        if level == 0:
            return vals
        kept = rng.binomial(vals.astype(np.int64), 1.0 - level)
        return kept.astype(vals.dtype)

    return _on_values(x, change)


def expression_noise(
    x: Any, level: float, rng: np.random.Generator, info: Mapping[str, Any]
) -> Any:
    """Multiply each value by ``exp(N(0, level))``."""
    _check_2d(x, "expression_noise")

    def change(vals: np.ndarray, genes: np.ndarray) -> np.ndarray:
        if level == 0:
            return vals
        factor = np.exp(rng.normal(0.0, level, size=len(vals)))
        return _cast_like(vals * factor, vals)

    return _on_values(x, change)


def batch_shift(x: Any, level: float, rng: np.random.Generator, info: Mapping[str, Any]) -> Any:
    """Multiply every gene by a factor ``exp(N(0, level))`` shared by all cells."""
    _check_2d(x, "batch_shift")
    n_genes = x.shape[1]
    seed = int(info.get("seed", 0) or 0)
    factors = np.exp(
        np.random.default_rng([seed, round(level * 1_000_000)]).normal(0.0, level, n_genes)
    )

    def change(vals: np.ndarray, genes: np.ndarray) -> np.ndarray:
        if level == 0:
            return vals
        return _cast_like(vals * factors[genes], vals)

    return _on_values(x, change)
