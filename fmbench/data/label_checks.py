"""Class labels and a dataset's declared classes must agree, before anything uses them.

``info.json``'s ``n_classes`` (and ``class_names``) and the labels in ``y.npy`` are checked
together: a label outside ``0..n_classes-1``, an ``n_classes`` that is not a whole number, or
more classes than any benchmark could score (:data:`MAX_CLASSES`) is a one-line
:class:`~fmbench.errors.DataError` naming the file and the field, instead of an
``IndexError`` deep inside a metric (or a list of a billion class names).

Example:
    >>> import numpy as np
    >>> check_classes(np.array([0, 1, 1]), {"n_classes": 2}, info_file="info.json",
    ...               labels_file="y.npy")
    2
    >>> check_classes(np.array([0, 7]), {"n_classes": 2}, info_file="d/info.json",
    ...               labels_file="d/y.npy")
    Traceback (most recent call last):
    ...
    fmbench.errors.DataError: d/y.npy holds label 7, but d/info.json gives n_classes 2 (labels must be 0..1); correct n_classes or the labels
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fmbench.errors import DataError

__all__ = ["MAX_CLASSES", "check_classes"]

#: More classes than this is refused (each sample's scores would need a column per class).
MAX_CLASSES = 100_000


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    return None


def check_classes(
    y: np.ndarray, info: Mapping[str, Any], *, info_file: str, labels_file: str
) -> int:
    """Check labels against ``info``'s ``n_classes`` / ``class_names``; return the number of
    classes (``n_classes``, else the largest label + 1)."""
    labels = np.asarray(y)
    top = int(labels.max()) if labels.size else -1
    declared = info.get("n_classes")
    if declared is None:
        if top + 1 > MAX_CLASSES:
            raise DataError(
                f"{labels_file} holds label {top}, so {top + 1} classes, more than fmbench "
                f"supports ({MAX_CLASSES}); class labels must be 0..k-1"
            )
        n_classes = top + 1
    else:
        whole = _whole_number(declared)
        if whole is None or whole < 1:
            raise DataError(
                f"{info_file}: n_classes must be a whole number of classes (1 or more), got "
                f"{declared!r}"
            )
        if whole > MAX_CLASSES:
            raise DataError(
                f"{info_file}: n_classes {whole} is more than fmbench supports "
                f"({MAX_CLASSES}); give the number of classes the labels use"
            )
        if top >= whole:
            raise DataError(
                f"{labels_file} holds label {top}, but {info_file} gives n_classes {whole} "
                f"(labels must be 0..{whole - 1}); correct n_classes or the labels"
            )
        n_classes = whole
    names = info.get("class_names")
    if names is not None:
        if not isinstance(names, (list, tuple)) or isinstance(names, str):
            raise DataError(f"{info_file}: class_names must be a list of names, got {names!r}")
        if len(names) != n_classes:
            raise DataError(
                f"{info_file}: class_names has {len(names)} names for {n_classes} classes; "
                "give one name per class (0..n_classes-1)"
            )
    return n_classes
