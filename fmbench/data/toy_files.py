"""Helpers for writing toy datasets: deterministic, atomic, with a small manifest.

Example:
    >>> import numpy as np, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_array_dataset(folder, X=np.zeros((3, 2)), y=np.array([0, 1, 0]),
    ...                     metadata={"subject_id": ["a", "b", "c"]}, info={"modality": "tabular"})
    >>> sorted(p.name for p in folder.iterdir())
    ['X.npy', 'info.json', 'metadata.csv', 'y.npy']
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fmbench.io import atomic_write_bytes, atomic_write_text

__all__ = ["save_npy", "write_array_dataset", "write_csv"]


def save_npy(path: Path, array: np.ndarray) -> None:
    """``np.save`` atomically."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    atomic_write_bytes(path, buffer.getvalue())


def write_csv(path: Path, columns: Mapping[str, Sequence[Any]], *, delimiter: str = ",") -> None:
    """Write columns as a CSV table atomically (floats with 6 significant digits)."""
    names = list(columns)
    n = len(next(iter(columns.values()))) if columns else 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(names)
    for i in range(n):
        row = []
        for name in names:
            value = columns[name][i]
            if isinstance(value, (float, np.floating)):
                row.append(f"{float(value):.6g}")
            else:
                row.append(str(value))
        writer.writerow(row)
    atomic_write_text(path, buffer.getvalue())


def write_array_dataset(
    folder: Path,
    *,
    X: np.ndarray,
    y: np.ndarray,
    metadata: Mapping[str, Sequence[Any]] | None = None,
    info: Mapping[str, Any] | None = None,
) -> None:
    """Write an array folder: ``X.npy``, ``y.npy``, ``metadata.csv``, ``info.json``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_npy(folder / "X.npy", X)
    save_npy(folder / "y.npy", y)
    if metadata:
        write_csv(folder / "metadata.csv", metadata)
    full_info = {
        **dict(info or {}),
        "n_samples": int(X.shape[0]),
        "shape": [int(s) for s in X.shape],
        "dtype": str(X.dtype),
    }
    atomic_write_text(folder / "info.json", json.dumps(full_info, indent=2, sort_keys=True) + "\n")
