"""What a split is made of: the :class:`Fold` record and the helpers every split method uses
(reading a metadata column as labels, whether labels can be stratified).

Example:
    >>> import numpy as np
    >>> can_stratify(np.array([0, 0, 1, 1]), 2), can_stratify(np.array([0, 0, 0, 1]), 2)
    (True, False)
"""

from __future__ import annotations

import attrs
import numpy as np

from fmbench.data.dataset import Dataset
from fmbench.errors import DataError

__all__ = ["Fold", "can_stratify", "metadata_labels"]


@attrs.frozen
class Fold:
    """Indices of one split: ``train`` may be empty (nothing is trained)."""

    train: np.ndarray
    test: np.ndarray


def metadata_labels(dataset: Dataset, column: str | None, role: str = "group") -> np.ndarray | None:
    """Each sample's value of a metadata ``column`` as a string (None when no column is named);
    a missing column is an error naming the split's ``role`` for it (group, subject, session)."""
    if column is None:
        return None
    if column not in dataset.metadata:
        raise DataError(
            f"dataset {dataset.dataset_id}: the split takes its {role}s from {column!r}, but the "
            f"metadata has no such column (columns: {', '.join(sorted(dataset.metadata)) or 'none'})"
        )
    return np.asarray([str(v) for v in dataset.metadata[column]], dtype=object)


def can_stratify(y: np.ndarray, k: int) -> bool:
    """True when integer labels have at least two classes of at least ``k`` samples each."""
    if y.dtype.kind not in "iub":
        return False
    counts = np.bincount(y.astype(int))
    counts = counts[counts > 0]
    return bool(len(counts) > 1 and counts.min() >= k)
