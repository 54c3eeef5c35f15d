"""MOABB's evaluation paradigms as folds, and the checks that no fold leaks across them.

The paradigms of MOABB (Jayaram & Barachant 2018, ``moabb.evaluations``), for any data whose
metadata names subjects (and sessions):

- ``within_session``: inside each session of each subject, K stratified folds; each fold
  trains on the rest of that session only (a model per session, as a BCI is calibrated);
- ``cross_session``: for each subject, each session is held out in turn and the model is
  trained on the subject's other sessions;
- ``cross_subject``: the subjects are held out one at a time (``folds: loo``), or in K
  folds of subjects; the model is trained on the other subjects' samples (all sessions).

:func:`check_folds` refuses folds that break their split's promise: a ``group_by`` value
(subject, donor) on both sides of a fold, including a predefined train/test split; a
within-session fold that mixes sessions; a cross-session fold that mixes subjects or trains
on its test session.

Example:
    >>> import numpy as np
    >>> from fmbench.data.dataset import Dataset
    >>> from fmbench.plugin_system.specs import SplitSpec
    >>> ds = Dataset(dataset_id="d", X=np.zeros((12, 2)), y=np.array([0, 1] * 6),
    ...              metadata={"subject": np.array(list("aaaaaabbbbbb"), dtype=object),
    ...                        "session": np.array(list("112233112233"), dtype=object)})
    >>> split = SplitSpec(method="cross_session", subject_by="subject", session_by="session")
    >>> folds = paradigm_folds(ds, split, seed=0)
    >>> len(folds), folds[0].test.tolist(), folds[0].train.tolist()
    (6, [0, 1], [2, 3, 4, 5])
"""

from __future__ import annotations

import numpy as np

from fmbench.data.dataset import Dataset
from fmbench.errors import DataError
from fmbench.evaluation.folds import Fold, can_stratify, metadata_labels
from fmbench.plugin_system.specs import SplitSpec

__all__ = ["check_folds", "paradigm_folds", "session_labels"]


def session_labels(dataset: Dataset, split: SplitSpec) -> np.ndarray:
    """Each sample's session label; one session per subject when ``session_by`` is not set."""
    if split.session_by is None:
        return np.full(dataset.n_samples, "", dtype=object)
    labels = metadata_labels(dataset, split.session_by, "session")
    assert labels is not None
    return labels


def _unit_name(subject: str, session: str) -> str:
    return f"subject {subject}" + (f", session {session}" if session else "")


def paradigm_folds(
    dataset: Dataset, split: SplitSpec, *, seed: int, task: str = "classification"
) -> list[Fold]:
    """The folds of a ``within_session``, ``cross_session`` or leave-one-subject-out
    ``cross_subject`` split; deterministic for a seed (folds ordered by subject, session)."""
    if split.method == "within_session":
        return _within_session(dataset, split, seed=seed, task=task)
    if split.method == "cross_session":
        return _cross_session(dataset, split)
    if split.method == "cross_subject" and split.folds == "loo":
        return _leave_one_subject_out(dataset, split)
    raise ValueError(f"not a paradigm split with its own folds: {split.method} ({split.folds})")


def _subjects(dataset: Dataset, split: SplitSpec) -> np.ndarray:
    assert split.subjects is not None
    labels = metadata_labels(dataset, split.subjects, "subject")
    assert labels is not None
    return labels


def _within_session(dataset: Dataset, split: SplitSpec, *, seed: int, task: str) -> list[Fold]:
    from sklearn.model_selection import KFold, StratifiedKFold

    k = int(split.folds)
    subjects, sessions = _subjects(dataset, split), session_labels(dataset, split)
    y = np.asarray(dataset.y)
    classification = task == "classification" and y.ndim == 1
    folds: list[Fold] = []
    for subject, session in sorted(set(zip(subjects.tolist(), sessions.tolist(), strict=True))):
        unit = np.flatnonzero((subjects == subject) & (sessions == session))
        where = f"dataset {dataset.dataset_id}: {_unit_name(subject, session)}"
        if len(unit) < k:
            raise DataError(
                f"{where} has {len(unit)} samples, fewer than the {k} within-session folds; "
                "lower split.folds"
            )
        if classification and len(np.unique(y[unit])) < 2:
            raise DataError(
                f"{where} holds one class only ({y[unit][0]!r}): nothing to learn inside that "
                "session; use cross_session or cross_subject, or set session_by to a column "
                "whose sessions hold every class"
            )
        if classification and split.stratify and can_stratify(y[unit], k):
            pieces = StratifiedKFold(k, shuffle=True, random_state=seed).split(unit, y[unit])
        else:
            pieces = KFold(k, shuffle=True, random_state=seed).split(unit)
        folds += [Fold(train=unit[np.sort(tr)], test=unit[np.sort(te)]) for tr, te in pieces]
    return folds


def _cross_session(dataset: Dataset, split: SplitSpec) -> list[Fold]:
    subjects, sessions = _subjects(dataset, split), session_labels(dataset, split)
    single = sorted(s for s in np.unique(subjects) if len(np.unique(sessions[subjects == s])) < 2)
    if single:
        shown = ", ".join(single[:5]) + (", ..." if len(single) > 5 else "")
        raise DataError(
            f"dataset {dataset.dataset_id}: {len(single)} subjects have a single "
            f"{split.session_by!r} value ({shown}); a cross_session split needs at least two "
            "sessions per subject"
        )
    folds = []
    for subject in np.unique(subjects).tolist():
        mine = subjects == subject
        for session in np.unique(sessions[mine]).tolist():
            held_out = sessions == session
            folds.append(
                Fold(train=np.flatnonzero(mine & ~held_out), test=np.flatnonzero(mine & held_out))
            )
    return folds


def _leave_one_subject_out(dataset: Dataset, split: SplitSpec) -> list[Fold]:
    subjects = _subjects(dataset, split)
    unique = np.unique(subjects)
    if len(unique) < 2:
        raise DataError(
            f"dataset {dataset.dataset_id}: a cross_subject split needs at least two "
            f"{split.group_by!r} values, found {len(unique)}"
        )
    return [
        Fold(train=np.flatnonzero(subjects != s), test=np.flatnonzero(subjects == s))
        for s in unique.tolist()
    ]


def _shown(values: set[str]) -> str:
    ordered = sorted(values)
    return ", ".join(ordered[:5]) + (", ..." if len(ordered) > 5 else "")


def check_folds(dataset: Dataset, split: SplitSpec, folds: list[Fold]) -> None:
    """Refuse folds that break the split's promise (one line naming what is shared).

    Example:
        >>> import numpy as np
        >>> from fmbench.data.dataset import Dataset
        >>> ds = Dataset(dataset_id="d", X=np.zeros((4, 1)), y=np.array([0, 1, 0, 1]),
        ...              metadata={"subject": np.array(list("abab"), dtype=object)})
        >>> check_folds(ds, SplitSpec(method="predefined", group_by="subject"),
        ...             [Fold(train=np.array([0, 1]), test=np.array([2, 3]))])
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        fmbench.errors.DataError: dataset d: the predefined split puts 2 'subject' values on both sides (a, b); ...
    """
    where = f"dataset {dataset.dataset_id}: the {split.method} split"
    if split.group_by is not None:
        groups = metadata_labels(dataset, split.group_by, "group")
        assert groups is not None
        fix = (
            "fix the dataset's train/test marks, or remove split.group_by"
            if split.method == "predefined"
            else "this is a bug in the fold builder; please report it"
        )
        for number, fold in enumerate(folds):
            shared = set(groups[fold.train].tolist()) & set(groups[fold.test].tolist())
            if shared:
                side = "" if len(folds) == 1 else f" (fold {number})"
                raise DataError(
                    f"{where} puts {len(shared)} {split.group_by!r} values on both sides"
                    f"{side} ({_shown(shared)}); a split grouped by {split.group_by!r} keeps "
                    f"each on one side: {fix}"
                )
    if split.method not in ("within_session", "cross_session"):
        return
    subjects, sessions = _subjects(dataset, split), session_labels(dataset, split)
    for number, fold in enumerate(folds):
        both = np.concatenate([fold.train, fold.test])
        mixed = set(subjects[both].tolist())
        if len(mixed) > 1:
            raise DataError(f"{where}: fold {number} mixes subjects ({_shown(mixed)})")
        if split.method == "within_session":
            if len(set(sessions[both].tolist())) > 1:
                raise DataError(
                    f"{where}: fold {number} mixes sessions "
                    f"({_shown(set(sessions[both].tolist()))})"
                )
        else:
            trained = set(sessions[fold.train].tolist()) & set(sessions[fold.test].tolist())
            if trained:
                raise DataError(
                    f"{where}: fold {number} trains on its test session ({_shown(trained)})"
                )
