"""Train/test splits without leakage: grouped K-fold, predefined, hold-out, none, and MOABB's
paradigms (within-session, cross-session, cross-subject; see :mod:`.paradigms`).

When a benchmark names a ``group_by`` column (subject, donor, site), no group ever appears
on both sides of a split (checked, a predefined split included). Folds are stratified by
label where the data allow it.

Example:
    >>> import numpy as np
    >>> from fmbench.data.dataset import Dataset
    >>> from fmbench.plugin_system.specs import SplitSpec
    >>> ds = Dataset(dataset_id="d", X=np.zeros((8, 2)), y=np.array([0, 1] * 4),
    ...              metadata={"subject": np.array(list("aabbccdd"), dtype=object)})
    >>> folds = make_folds(ds, SplitSpec(method="kfold", folds=2, group_by="subject"), seed=0)
    >>> len(folds)
    2
"""

from __future__ import annotations

import attrs
import numpy as np

from fmbench.data.dataset import Dataset
from fmbench.errors import DataError
from fmbench.plugin_system.specs import SplitSpec

__all__ = ["Fold", "can_stratify", "make_folds", "metadata_labels"]


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


def make_folds(
    dataset: Dataset, split: SplitSpec, *, seed: int, task: str = "classification"
) -> list[Fold]:
    """Split sample indices as the benchmark declares; deterministic for a seed.

    The folds are checked before they are returned: a ``group_by`` value on both sides of a
    fold (a predefined split included), or a paradigm fold that crosses its subject or
    session, is a :class:`DataError`.
    """
    from fmbench.evaluation import paradigms

    if split.method in ("within_session", "cross_session") or (
        split.method == "cross_subject" and split.folds == "loo"
    ):
        folds = paradigms.paradigm_folds(dataset, split, seed=seed, task=task)
    else:
        folds = _folds(dataset, split, seed=seed, task=task)
    paradigms.check_folds(dataset, split, folds)
    return folds


def _folds(dataset: Dataset, split: SplitSpec, *, seed: int, task: str) -> list[Fold]:
    """none, predefined, holdout, kfold, and cross_subject with K folds (grouped K-fold)."""
    n = dataset.n_samples
    everything = np.arange(n)
    if split.method == "none":
        return [Fold(train=np.array([], dtype=int), test=everything)]
    if split.method == "predefined":
        if dataset.split is None:
            raise DataError(
                f"dataset {dataset.dataset_id}: the benchmark uses a predefined split, but the "
                "dataset has none (a 'split' metadata column, or train.tsv/test.tsv)"
            )
        marks = np.asarray([str(v).lower() for v in dataset.split])
        train, test = everything[marks == "train"], everything[marks == "test"]
        if len(test) == 0 or len(train) == 0:
            raise DataError(f"dataset {dataset.dataset_id}: the predefined split has an empty side")
        return [Fold(train=train, test=test)]
    groups = metadata_labels(dataset, split.group_by)
    y = np.asarray(dataset.y)
    stratify = split.stratify and task == "classification" and y.ndim == 1
    from sklearn import model_selection as ms

    if split.method == "holdout":
        if groups is not None:
            splitter = ms.GroupShuffleSplit(
                n_splits=1, test_size=split.test_size, random_state=seed
            )
            train, test = next(splitter.split(everything, y, groups))
        else:
            train, test = ms.train_test_split(
                everything,
                test_size=split.test_size,
                random_state=seed,
                stratify=y if stratify and can_stratify(y, 2) else None,
            )
        return [Fold(train=np.sort(train), test=np.sort(test))]
    k = int(split.folds)
    if groups is not None:
        n_groups = len(np.unique(groups))
        if n_groups < k:
            raise DataError(
                f"dataset {dataset.dataset_id}: {n_groups} distinct {split.group_by!r} values "
                f"cannot fill {k} grouped folds"
            )
        if stratify and can_stratify(y, k):
            splitter = ms.StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
        else:
            splitter = _ShuffledGroupKFold(k, seed)
        pieces = splitter.split(everything, y, groups)
    else:
        if n < k:
            raise DataError(f"dataset {dataset.dataset_id}: {n} samples cannot fill {k} folds")
        if stratify and can_stratify(y, k):
            pieces = ms.StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(
                everything, y
            )
        else:
            pieces = ms.KFold(n_splits=k, shuffle=True, random_state=seed).split(everything)
    return [Fold(train=np.sort(tr), test=np.sort(te)) for tr, te in pieces]


def can_stratify(y: np.ndarray, k: int) -> bool:
    """True when integer labels have at least two classes of at least ``k`` samples each."""
    if y.dtype.kind not in "iub":
        return False
    counts = np.bincount(y.astype(int))
    counts = counts[counts > 0]
    return len(counts) > 1 and counts.min() >= k


class _ShuffledGroupKFold:
    """GroupKFold with the groups shuffled by a seed (sklearn's is deterministic by size)."""

    def __init__(self, k: int, seed: int) -> None:
        self.k, self.seed = k, seed

    def split(self, X: np.ndarray, y: np.ndarray, groups: np.ndarray):  # type: ignore[no-untyped-def]
        unique = np.unique(groups)
        order = np.random.default_rng(self.seed).permutation(len(unique))
        assignment = {g: i % self.k for i, g in zip(order, unique, strict=True)}
        fold_of = np.array([assignment[g] for g in groups])
        for fold in range(self.k):
            yield np.flatnonzero(fold_of != fold), np.flatnonzero(fold_of == fold)
