"""Baselines, labelled as such in every result (``baseline: true``): no foundation model here.

``genomics_expression_baseline`` (cells)
    ``embed(X)``: log1p of counts scaled to 10,000 per cell (``info['expression_values']``
    = ``counts``), or the values as they are when the data are already normalised. Nothing is
    fitted, so no test cell influences any other cell's embedding; under ``linear_probe`` the
    probe (standardise + logistic regression) is fitted on training folds only.
    ``fit(X, y)`` / ``predict_proba(X)``: the classical PCA + logistic regression. The PCA is
    fitted inside each training fold by the ``fit_predict`` protocol, never on test cells:
    fitting PCA on all cells first and then probing would let the test cells shape the
    features (transductive leakage), which is why ``embed`` does not do it.

``genomics_kmer_baseline`` (DNA)
    ``encode_sequences(list[str])``: k-mer frequency vectors (4^k values; k-mers with a base
    other than A/C/G/T are skipped); per sequence, nothing fitted.

``genomics_genotype_baseline`` (variants)
    ``embed(X)``: the allele dosages themselves, missing calls (-1) set to 0.

Example:
    >>> model = KmerBaseline(k=2)
    >>> model.encode_sequences(["AAAC"]).shape
    (1, 16)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from fmbench.data.dataset import is_sparse
from fmbench.errors import ConfigError
from fmbench.models.config import ModelConfig

__all__ = [
    "ExpressionBaseline",
    "GenotypeBaseline",
    "KmerBaseline",
    "load_expression_baseline",
    "load_genotype_baseline",
    "load_kmer_baseline",
]


def _log_normalise(X: Any, target_sum: float) -> np.ndarray:
    if is_sparse(X):
        csr = X.tocsr().astype(np.float64)
        totals = np.asarray(csr.sum(axis=1)).ravel()
        scale = np.divide(target_sum, totals, out=np.zeros_like(totals), where=totals > 0)
        scaled = csr.multiply(scale[:, None]).tocsr()
        scaled.data = np.log1p(scaled.data)
        return np.asarray(scaled.toarray())
    dense = np.asarray(X, dtype=np.float64)
    totals = dense.sum(axis=1, keepdims=True)
    scale = np.divide(target_sum, totals, out=np.zeros_like(totals), where=totals > 0)
    return np.log1p(dense * scale)


class ExpressionBaseline:
    """log1p-CP10k expression (``embed``) and PCA + logistic regression (``fit``)."""

    def __init__(self, n_components: int = 50, target_sum: float = 1e4, seed: int = 0) -> None:
        self.n_components = int(n_components)
        self.target_sum = float(target_sum)
        self.seed = int(seed)
        self.values = "counts"
        self._pipeline: Any = None
        self._n_classes = 0

    def prepare(self, info: Mapping[str, Any]) -> None:
        """Read whether the data are raw counts; only counts are normalised."""
        self.values = str(info.get("expression_values", "counts"))
        self._n_classes = int(info.get("n_classes", 0))

    def features(self, X: Any) -> np.ndarray:
        """The per-cell features: log1p-CP10k of counts, or normalised values as given."""
        if self.values == "counts":
            return _log_normalise(X, self.target_sum)
        return np.asarray(X.toarray() if is_sparse(X) else X, dtype=np.float64)

    def embed(self, X: Any) -> np.ndarray:
        return self.features(X)

    def fit(self, X: Any, y: np.ndarray) -> None:
        """PCA (fitted on these training cells only) + standardised logistic regression."""
        from sklearn.decomposition import PCA
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        features = self.features(X)
        n_comp = max(1, min(self.n_components, features.shape[0] - 1, features.shape[1]))
        self._pipeline = make_pipeline(
            PCA(n_components=n_comp, random_state=self.seed),
            StandardScaler(),
            LogisticRegression(max_iter=2000, class_weight="balanced"),
        )
        self._pipeline.fit(features, np.asarray(y))

    def predict_proba(self, X: Any) -> np.ndarray:
        if self._pipeline is None:
            raise RuntimeError("fit() must be called before predict_proba()")
        proba = self._pipeline.predict_proba(self.features(X))
        classes = self._pipeline.classes_.astype(int)
        width = max(self._n_classes, int(classes.max()) + 1)
        full = np.zeros((proba.shape[0], width))
        full[:, classes] = proba
        return full


class KmerBaseline:
    """k-mer frequency vectors of DNA sequences."""

    def __init__(self, k: int = 4) -> None:
        if not 1 <= int(k) <= 8:
            raise ValueError(f"k must be between 1 and 8, got {k}")
        self.k = int(k)
        self._lookup = np.full(256, -1, dtype=np.int64)
        for code, base in enumerate("ACGT"):
            self._lookup[ord(base)] = code
            self._lookup[ord(base.lower())] = code

    def _one(self, sequence: str) -> np.ndarray:
        k, size = self.k, 4**self.k
        counts = np.zeros(size)
        codes = self._lookup[np.frombuffer(sequence.encode("ascii", "replace"), dtype=np.uint8)]
        if len(codes) < k:
            return counts
        windows = np.lib.stride_tricks.sliding_window_view(codes, k)
        valid = (windows >= 0).all(axis=1)
        index = (windows[valid] * (4 ** np.arange(k - 1, -1, -1))).sum(axis=1)
        np.add.at(counts, index, 1.0)
        total = counts.sum()
        return counts / total if total else counts

    def encode_sequences(self, sequences: Sequence[str]) -> np.ndarray:
        return np.stack([self._one(str(s)) for s in sequences])

    def embed(self, X: Any) -> np.ndarray:
        return self.encode_sequences(list(X))


class GenotypeBaseline:
    """Allele dosages as features (missing calls set to 0)."""

    def embed(self, X: Any) -> np.ndarray:
        dosage = np.asarray(X, dtype=np.float64)
        return np.where(dosage < 0, 0.0, dosage)


def _kwargs(config: ModelConfig, allowed: dict[str, type]) -> Iterator[tuple[str, Any]]:
    for key, value in config.settings.items():
        kind = allowed[key]
        try:
            yield key, kind(value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"model config {config.source}: {key} must be {kind.__name__}, got {value!r}"
            ) from None


def load_expression_baseline(config: ModelConfig) -> ExpressionBaseline:
    """Model-config type ``genomics_expression_baseline``."""
    return ExpressionBaseline(
        **dict(_kwargs(config, {"n_components": int, "target_sum": float, "seed": int}))
    )


def load_kmer_baseline(config: ModelConfig) -> KmerBaseline:
    """Model-config type ``genomics_kmer_baseline``."""
    try:
        return KmerBaseline(**dict(_kwargs(config, {"k": int})))
    except ValueError as exc:
        raise ConfigError(f"model config {config.source}: {exc}") from None


def load_genotype_baseline(config: ModelConfig) -> GenotypeBaseline:
    """Model-config type ``genomics_genotype_baseline``."""
    return GenotypeBaseline()
