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

import numpy as np

from fmbench.data.dataset import Dataset
from fmbench.errors import DataError
from fmbench.evaluation import paradigms
from fmbench.evaluation.folds import Fold, can_stratify, metadata_labels
from fmbench.plugin_system.specs import SplitSpec

__all__ = ["Fold", "can_stratify", "make_folds", "metadata_labels"]


def make_folds(
    dataset: Dataset, split: SplitSpec, *, seed: int, task: str = "classification"
) -> list[Fold]:
    """Split sample indices as the benchmark declares; deterministic for a seed.

    The folds are checked before they are returned: a ``group_by`` value on both sides of a
    fold (a predefined split included), or a paradigm fold that crosses its subject or
    session, is a :class:`DataError`.
    """
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
