"""Reference models that ignore the signal: honest chance-level baselines for pipeline checks.

They are deterministic: each output depends only on the input row and the seed, so the same
input always gives the same output, whatever the batch it arrives in.

Example:
    >>> import numpy as np
    >>> model = DummyClassifier(random_seed=123)
    >>> model.prepare({"n_classes": 3})
    >>> model.predict_proba(np.zeros((2, 4))).shape
    (2, 3)
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["DummyClassifier", "DummyEmbedder", "DummyRegressor"]


def _row_seeds(X: Any, seed: int) -> list[int]:
    if callable(getattr(X, "toarray", None)):  # a scipy.sparse batch
        X = X.toarray()
    seeds = []
    for row in X:
        data = row.encode("utf-8") if isinstance(row, str) else np.ascontiguousarray(row).tobytes()
        digest = hashlib.blake2b(data, digest_size=8, key=str(seed).encode()).digest()
        seeds.append(int.from_bytes(digest, "little"))
    return seeds


class DummyClassifier:
    """Pseudo-random class probabilities seeded by each input row: a chance-level reference.

    The number of classes comes from the dataset (``prepare``), so it is right for any k.
    """

    def __init__(self, random_seed: int = 0, n_classes: int = 2) -> None:
        self.random_seed = int(random_seed)
        self.n_classes = int(n_classes)

    def prepare(self, info: Mapping[str, Any]) -> None:
        self.n_classes = int(info.get("n_classes", self.n_classes))

    def predict_proba(self, X: Any) -> np.ndarray:
        rows = [
            np.random.default_rng(s).dirichlet(np.ones(self.n_classes))
            for s in _row_seeds(X, self.random_seed)
        ]
        return np.array(rows).reshape(len(rows), self.n_classes)

    def predict(self, X: Any) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)


class DummyRegressor:
    """Pseudo-random standard-normal outputs seeded by each input row."""

    def __init__(self, random_seed: int = 0, n_outputs: int = 1) -> None:
        self.random_seed = int(random_seed)
        self.n_outputs = int(n_outputs)

    def prepare(self, info: Mapping[str, Any]) -> None:
        self.n_outputs = int(info.get("n_outputs", self.n_outputs))

    def predict(self, X: Any) -> np.ndarray:
        out = np.array(
            [
                np.random.default_rng(s).standard_normal(self.n_outputs)
                for s in _row_seeds(X, self.random_seed)
            ]
        )
        return out[:, 0] if self.n_outputs == 1 else out


class DummyEmbedder:
    """Pseudo-random embeddings seeded by each input row: a chance-level reference for the
    protocols that fit a probe on embeddings (``linear_probe``, ``knn_probe``).

    The vectors depend only on a hash of the input and the seed, never on what the input
    means, so a probe fitted on them scores at chance level.

    Example:
        >>> import numpy as np
        >>> DummyEmbedder(dim=8).embed(np.zeros((3, 5))).shape
        (3, 8)
    """

    def __init__(self, random_seed: int = 0, dim: int = 16) -> None:
        self.random_seed = int(random_seed)
        self.dim = int(dim)

    def embed(self, X: Any) -> np.ndarray:
        rows = [
            np.random.default_rng(s).standard_normal(self.dim)
            for s in _row_seeds(X, self.random_seed)
        ]
        return np.array(rows, dtype=np.float64).reshape(len(rows), self.dim)
