"""``fmbench run --limit N``: a smoke run on N samples of each benchmark's dataset.

The N samples are chosen deterministically from the run's seed (their own random stream, so
the selection does not move any other random draw) and stratified where the data allow it:
by the predefined split (train/test marks) and by class label, each stratum keeping its share
of the samples (largest remainders; every stratum keeps at least one sample when N is at
least the number of strata). A dataset with at most N samples is used whole.

A limited run says so: ``run_metadata.limit`` in ``eval.yaml``, ``data.limit`` in each
benchmark's record, a line in ``report.md``; ``fmbench validate`` and the leaderboard refuse it
as a submission.

Example:
    >>> import numpy as np
    >>> from fmbench.data.dataset import Dataset
    >>> data = Dataset(dataset_id="d", X=np.arange(20.0).reshape(10, 2),
    ...                y=np.array([0] * 8 + [1] * 2))
    >>> small = limit_dataset(data, 5, seed=42)
    >>> small.n_samples, int(small.y.sum()), small.info["limit"]["stratified_by"]
    (5, 1, ['label'])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fmbench.data.dataset import Dataset

__all__ = ["LIMIT_STREAM", "limit_dataset", "select_samples"]

#: The subsample's own random stream (with the run's seed): ``np.random.default_rng([seed, LIMIT_STREAM])``.
LIMIT_STREAM = 0x4C494D  # "LIM"


def _strata(dataset: Dataset) -> tuple[list[np.ndarray], list[str]]:
    """Per-sample stratum keys (one array per key) and their names."""
    keys: list[np.ndarray] = []
    names: list[str] = []
    if dataset.split is not None:
        keys.append(np.asarray([str(v) for v in dataset.split], dtype=object))
        names.append("split")
    y = np.asarray(dataset.y)
    if y.ndim == 1 and y.dtype.kind in "iub":
        keys.append(y.astype(np.int64))
        names.append("label")
    return keys, names


def _quotas(sizes: np.ndarray, n: int) -> np.ndarray:
    """How many of ``n`` samples each stratum gets: proportional, largest remainders first,
    at least one per stratum when ``n`` allows it (taken from the largest quotas)."""
    total = int(sizes.sum())
    exact = sizes * n / total
    quotas = np.floor(exact).astype(np.int64)
    remainder = n - int(quotas.sum())
    order = np.lexsort((np.arange(len(sizes)), -(exact - quotas)))  # stable: ties by position
    quotas[order[:remainder]] += 1
    if n >= len(sizes):
        for empty in np.flatnonzero(quotas == 0):
            donor = int(np.argmax(quotas))
            quotas[donor] -= 1
            quotas[empty] += 1
    return quotas


def select_samples(dataset: Dataset, n: int, *, seed: int) -> tuple[np.ndarray, list[str]]:
    """The sorted indices of ``n`` samples of ``dataset`` and what they are stratified by.

    Example:
        >>> import numpy as np
        >>> from fmbench.data.dataset import Dataset
        >>> data = Dataset(dataset_id="d", X=np.zeros((6, 1)), y=np.array([0, 1] * 3),
        ...                split=np.array(["train"] * 4 + ["test"] * 2, dtype=object))
        >>> indices, by = select_samples(data, 4, seed=0)
        >>> by, sorted(str(m) for m in data.split[indices])
        (['split', 'label'], ['test', 'test', 'train', 'train'])
    """
    if n < 1:
        raise ValueError(f"limit must be at least 1, got {n}")
    total = dataset.n_samples
    if n >= total:
        return np.arange(total), []
    rng = np.random.default_rng([seed, LIMIT_STREAM])
    keys, names = _strata(dataset)
    if not keys:
        return np.sort(rng.choice(total, size=n, replace=False)), []
    # one integer code per sample for the combination of its keys
    codes = np.zeros(total, dtype=np.int64)
    for key in keys:
        _, inverse = np.unique(key, return_inverse=True)
        codes = codes * (int(inverse.max()) + 1) + inverse
    strata, inverse = np.unique(codes, return_inverse=True)
    members = [np.flatnonzero(inverse == s) for s in range(len(strata))]
    quotas = _quotas(np.array([len(m) for m in members]), n)
    chosen = [rng.permutation(m)[:q] for m, q in zip(members, quotas, strict=True)]
    return np.sort(np.concatenate(chosen)), names


def limit_dataset(dataset: Dataset, n: int, *, seed: int) -> Dataset:
    """``dataset`` reduced to ``n`` samples (see the module docstring); ``info["limit"]``
    records how: ``{"n_samples", "of", "stratified_by"}``."""
    indices, names = select_samples(dataset, n, seed=seed)
    limit: dict[str, Any] = {
        "n_samples": len(indices),
        "of": dataset.n_samples,
        "stratified_by": names,
    }
    if len(indices) == dataset.n_samples:
        dataset.info["limit"] = limit
        return dataset
    info = {**dataset.info, "limit": limit}
    if "n_samples" in info:
        info["n_samples"] = limit["n_samples"]
    return Dataset(
        dataset_id=dataset.dataset_id,
        X=dataset.take(indices),
        y=np.asarray(dataset.y)[indices],
        metadata={k: np.asarray(v)[indices] for k, v in dataset.metadata.items()},
        info=info,
        split=None if dataset.split is None else np.asarray(dataset.split)[indices],
        source=dataset.source,
    )
