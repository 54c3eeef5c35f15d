"""The labels table of a recordings folder: one row per file, with subject, label, covariates.

``labels.csv`` has the columns ``file`` (a file name inside the folder), ``subject`` and
``label``; every other column is a covariate (age, sex, site, ...) carried into the metadata.

Example:
    >>> encode_labels(["normal", "abnormal", "normal"])
    (array([1, 0, 1]), ['abnormal', 'normal'])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs
import numpy as np

from fmbench.data.dataset import read_table
from fmbench.errors import DataError

__all__ = ["LabelsTable", "encode_labels", "read_labels_table"]

REQUIRED = ("file", "subject", "label")


@attrs.frozen
class LabelsTable:
    """Rows of a labels table, in the table's order."""

    path: Path
    files: list[str]
    subjects: list[str]
    labels: list[str]
    covariates: dict[str, list[str]]


def read_labels_table(path: Path, found_files: Sequence[str]) -> LabelsTable:
    """Read ``path`` and check it names exactly the recordings in ``found_files``.

    Raises:
        DataError: naming the table and the files that do not match, and how to fix it.
    """
    if not path.is_file():
        raise DataError(
            f"{path}: no labels table; a recordings folder needs {path.name} with the columns "
            f"{', '.join(REQUIRED)} (one row per file)"
        )
    header, rows = read_table(path)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(header) or 'none'}"
        )
    files = [str(row["file"]).strip() for row in rows]
    duplicates = sorted({f for f in files if files.count(f) > 1})
    if duplicates:
        raise DataError(f"{path}: file(s) listed more than once: {', '.join(duplicates)}")
    found = set(found_files)
    absent = [f for f in files if f not in found]
    if absent:
        raise DataError(
            f"{path}: lists file(s) not in {path.parent}: {', '.join(absent[:5])}"
            f"{' ...' if len(absent) > 5 else ''}; fix the 'file' column or add the recordings"
        )
    unlisted = sorted(found - set(files))
    if unlisted:
        raise DataError(
            f"{path}: no row for recording(s) {', '.join(unlisted[:5])}"
            f"{' ...' if len(unlisted) > 5 else ''}; add them to the table or move them out"
        )
    empty = [f for f, row in zip(files, rows, strict=True) if not str(row["label"]).strip()]
    if empty:
        raise DataError(f"{path}: empty label for {', '.join(empty[:5])}")
    covariates = {c: [row[c] for row in rows] for c in header if c not in REQUIRED}
    return LabelsTable(
        path=path,
        files=files,
        subjects=[str(row["subject"]) for row in rows],
        labels=[str(row["label"]).strip() for row in rows],
        covariates=covariates,
    )


def _sort_key(value: str) -> tuple[int, float, str]:
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def encode_labels(labels: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Class indices 0..k-1 (numbers in numeric order, names alphabetically) and class names."""
    classes = sorted(set(labels), key=_sort_key)
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index[v] for v in labels], dtype=np.int64), classes


def covariate_column(values: Sequence[str]) -> np.ndarray:
    """A covariate as floats when every non-empty cell is a number, else as strings."""
    try:
        return np.array([float(v) if str(v).strip() else np.nan for v in values], dtype=float)
    except ValueError:
        return np.array([str(v) for v in values], dtype=object)
