"""Embedding-quality metrics for single cells (label conservation and batch mixing).

They read what the ``embedding_clustering`` protocol gives: ``ARI`` and ``NMI`` compare the
k-means partition (``needs="label"``) with the labels; ``SilhouetteLabel`` and ``BatchASW``
read the embeddings (``needs="value"``).

- ``ARI``: adjusted Rand index, 0 for a random partition, 1 for the labels themselves.
- ``NMI``: normalised mutual information (arithmetic mean normalisation).
- ``SilhouetteLabel``: mean silhouette width of the labels in the embedding, in [-1, 1].
- ``BatchASW``: 1 - |silhouette| averaged over cells, with the batch as the label (scIB's
  batch ASW without the per-cell-type split); 1 means batches are well mixed. A random or
  constant-ish embedding mixes batches perfectly too, so read it beside label conservation.

Silhouettes on more than 4,000 samples use a seeded random subset of 4,000.

Intervals: ``ARI``, ``SilhouetteLabel`` and ``BatchASW`` compare cells with each other, so a
bootstrap resample that repeats a cell biases them (a repeated cell is at distance 0 from its
copy, and forms a pair that always agrees): they are declared ``resampling="subsample"`` and
get half-sampling intervals (half of the cells, without replacement; see
:mod:`fmbench.statistics.subsampling`). ``NMI`` depends only on the proportions of the
contingency table and keeps the bootstrap.

Example:
    >>> import numpy as np
    >>> ari(np.array([0, 0, 1, 1]), np.array([1, 1, 0, 0]))
    1.0
"""

from __future__ import annotations

import numpy as np

from fmbench.errors import MetricUndefined

__all__ = ["ari", "batch_asw", "nmi", "nmi_chance", "silhouette_label"]

SILHOUETTE_MAX_SAMPLES = 4000


def ari(y_true: np.ndarray, clusters: np.ndarray) -> float:
    """Adjusted Rand index of a partition against the labels."""
    from sklearn.metrics import adjusted_rand_score

    if len(np.unique(y_true)) < 2:
        raise MetricUndefined("ARI needs at least two labels in y_true")
    return float(adjusted_rand_score(y_true, clusters))


def nmi(y_true: np.ndarray, clusters: np.ndarray) -> float:
    """Normalised mutual information of a partition and the labels."""
    from sklearn.metrics import normalized_mutual_info_score

    if len(np.unique(y_true)) < 2:
        raise MetricUndefined("NMI needs at least two labels in y_true")
    return float(normalized_mutual_info_score(y_true, clusters))


def nmi_chance(y_true: np.ndarray) -> float:
    """NMI of the labels against a seeded random permutation of themselves."""
    y = np.asarray(y_true)
    return nmi(y, np.random.default_rng(0).permutation(y))


def _silhouette_samples(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    from sklearn.metrics import silhouette_samples

    X = np.asarray(values, dtype=float).reshape(len(labels), -1)
    n_labels = len(np.unique(labels))
    if n_labels < 2 or n_labels >= len(labels):
        raise MetricUndefined(
            f"a silhouette needs 2 to n-1 distinct labels; got {n_labels} for {len(labels)}"
        )
    if len(labels) > SILHOUETTE_MAX_SAMPLES:
        keep = np.sort(
            np.random.default_rng(0).choice(len(labels), SILHOUETTE_MAX_SAMPLES, replace=False)
        )
        X, labels = X[keep], labels[keep]
        if len(np.unique(labels)) < 2:
            raise MetricUndefined("the silhouette subset holds one label only")
    if np.allclose(X, X[0]):
        raise MetricUndefined("all embeddings are identical; the silhouette is undefined")
    return np.asarray(silhouette_samples(X, labels))


def silhouette_label(y_true: np.ndarray, embeddings: np.ndarray) -> float:
    """Mean silhouette width of the labels in the embedding."""
    return float(np.mean(_silhouette_samples(embeddings, np.asarray(y_true))))


def batch_asw(y_batch: np.ndarray, embeddings: np.ndarray) -> float:
    """1 - |silhouette| averaged over cells, the label being the batch (1 = well mixed)."""
    return float(np.mean(1.0 - np.abs(_silhouette_samples(embeddings, np.asarray(y_batch)))))
