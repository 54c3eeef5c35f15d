"""Inner cross-validation folds for tuning inside one outer training split.

A probe's hyper-parameter (C of the logistic regression, alpha of the ridge, k of the kNN)
is chosen by cross-validation *inside* the outer training split, and the training-split
predictions that clinical thresholds are chosen on come from the same inner folds. When the
benchmark's split groups samples (``split.group_by``: subject, donor, site), the inner folds
group by the same column: otherwise a sample's neighbour from the same subject sits on the
other side of an inner split, and the search rewards memorising subjects (k=1, no
regularisation) and the thresholds fitted to those predictions degenerate.

- grouped, classification: ``StratifiedGroupKFold`` (shuffled, seeded) where every class has at
  least as many training samples as inner folds, else a seeded shuffled ``GroupKFold``;
- grouped, regression: the seeded shuffled ``GroupKFold``;
- fewer groups in the training split than ``INNER_FOLDS``: one inner fold per group
  (leave-one-group-out); a single group cannot be tuned on without leakage (an error);
- not grouped: ``StratifiedKFold`` (classification) or ``KFold`` (regression), 3 folds,
  shuffled with the run seed, as before.

Example:
    >>> import numpy as np
    >>> groups = np.repeat(["a", "b", "c", "d", "e", "f"], 2).astype(object)
    >>> folds = inner_folds(np.arange(12) % 2, groups=groups, group_by="subject",
    ...                     task="classification", seed=0, where="fold 0")
    >>> folds.description
    '3 inner folds, stratified, grouped by subject'
    >>> all(not set(groups[tr]) & set(groups[te]) for tr, te in folds.splits)
    True
"""

from __future__ import annotations

import attrs
import numpy as np

from fmbench.errors import DataError
from fmbench.evaluation.folds import can_stratify
from fmbench.evaluation.splits import _ShuffledGroupKFold

__all__ = ["INNER_FOLDS", "InnerFolds", "inner_folds"]

#: Inner folds per outer training split (fewer when the split holds fewer groups).
INNER_FOLDS = 3

Split = tuple[np.ndarray, np.ndarray]


@attrs.frozen
class InnerFolds:
    """Inner splits of one training split: positions ``(train, held_out)`` into that split."""

    splits: tuple[Split, ...]
    description: str


def inner_folds(
    y: np.ndarray,
    *,
    groups: np.ndarray | None,
    group_by: str | None,
    task: str,
    seed: int,
    where: str,
    n_splits: int = INNER_FOLDS,
) -> InnerFolds:
    """The inner folds of one training split (``y``, ``groups``: its samples, in order).

    ``where`` names the split in error messages (e.g. ``"benchmark BM-X, fold 2"``).
    """
    from sklearn import model_selection as ms

    y = np.asarray(y)
    positions = np.arange(len(y))
    classification = task == "classification" and y.ndim == 1
    if groups is None:
        if classification:
            splitter: object = ms.StratifiedKFold(n_splits, shuffle=True, random_state=seed)
            kind = "stratified"
        else:
            splitter = ms.KFold(n_splits, shuffle=True, random_state=seed)
            kind = "shuffled"
        pieces = splitter.split(positions, y)  # type: ignore[attr-defined]
        return InnerFolds(
            splits=tuple((tr, te) for tr, te in pieces),
            description=f"{n_splits} inner folds, {kind}",
        )
    groups = np.asarray(groups, dtype=object)
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise DataError(
            f"{where}: its training split holds {n_groups} {group_by!r} group, so a "
            f"hyper-parameter cannot be tuned on inner folds that keep groups apart; use "
            f"fewer outer folds or data with more {group_by!r} values"
        )
    k = min(n_splits, n_groups)
    leave_one_out = " (leave-one-group-out: fewer groups than inner folds)" if k < n_splits else ""
    splits: tuple[Split, ...] = ()
    kind = "shuffled"
    if classification and can_stratify(y, k):
        stratified = ms.StratifiedGroupKFold(k, shuffle=True, random_state=seed)
        splits = tuple((tr, te) for tr, te in stratified.split(positions, y, groups))
        kind = "stratified"
        if any(len(te) == 0 or len(tr) == 0 for tr, te in splits):
            splits, kind = (), "shuffled"
    if not splits:
        splits = tuple(_ShuffledGroupKFold(k, seed).split(positions, y, groups))
    return InnerFolds(
        splits=splits,
        description=f"{k} inner folds, {kind}, grouped by {group_by}{leave_one_out}",
    )
