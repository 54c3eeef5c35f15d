"""Canonical correlation between model embeddings and phenotype covariates, with a
permutation test.

Which combinations of a model's embedding dimensions co-vary with which combinations of
phenotypes (age, sex, site, diagnosis...)? CCA finds pairs of directions with the highest
correlation; because high-dimensional embeddings can always be fitted to anything, the
embeddings are first reduced to ``n_pca`` principal components and the significance of each
canonical correlation comes from a permutation test: the covariate rows are shuffled
``n_permutations`` times (within ``groups`` when given, e.g. sites), and each observed
correlation is compared with the null distribution of the *largest* permuted correlation
(family-wise error control across components; Winkler et al. 2020).

Example (a snippet that runs on the toy data after ``fmbench generate-toy-data``)::

    from fmbench.plugin_system.registry import build_registry
    from fmbench_neuro.analysis.cca import embedding_phenotype_cca

    result = embedding_phenotype_cca(
        build_registry(), "baseline_fmri_connectivity",  # a shipped model's name, or a config file
        "DS-NEURO-FMRI-CONNECTIVITY", ["age", "sex", "diagnosis", "field_strength"],
    )
    print(result.summary())

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> z = rng.standard_normal((200, 1))
>>> emb = np.hstack([z + 0.5 * rng.standard_normal((200, 1)), rng.standard_normal((200, 5))])
>>> cov = np.hstack([z + 0.5 * rng.standard_normal((200, 1)), rng.standard_normal((200, 2))])
>>> r = cca_permutation_test(emb, cov, n_permutations=200, seed=0)
>>> round(r.correlations[0], 1), r.p_values[0] < 0.05
(0.8, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from fmbench.errors import DataError

__all__ = [
    "CCAResult",
    "canonical_correlations",
    "cca_permutation_test",
    "embedding_phenotype_cca",
    "encode_covariates",
]


@attrs.frozen(kw_only=True)
class CCAResult:
    """Canonical correlations, their permutation p-values, and what went in."""

    correlations: tuple[float, ...]
    p_values: tuple[float, ...]
    n_samples: int
    n_pca: int
    n_permutations: int
    covariates: tuple[str, ...]
    covariate_loadings: tuple[tuple[float, ...], ...]

    def summary(self) -> str:
        """A few readable lines: each component's correlation, p-value and top covariates."""
        lines = [
            f"CCA of {self.n_pca} embedding PCs vs {len(self.covariates)} covariate columns, "
            f"n={self.n_samples}, {self.n_permutations} permutations (FWE-corrected p)"
        ]
        for k, (r, p) in enumerate(zip(self.correlations, self.p_values, strict=True)):
            loads = self.covariate_loadings[k]
            top = sorted(range(len(loads)), key=lambda i: -abs(loads[i]))[:3]
            names = ", ".join(f"{self.covariates[i]} ({loads[i]:+.2f})" for i in top)
            lines.append(f"  CC{k + 1}: r={r:.3f}  p={p:.4f}  strongest: {names}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def _whiten(a: np.ndarray) -> tuple[np.ndarray, int]:
    """Orthonormal basis of the centred columns (rank-revealing via SVD)."""
    centred = a - a.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    rank = int(np.sum(s > s[0] * 1e-10)) if len(s) and s[0] > 0 else 0
    return u[:, :rank], rank


def canonical_correlations(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """All canonical correlations of two data matrices (rows are samples), largest first.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(1).standard_normal((50, 3))
        >>> float(canonical_correlations(x, x[:, :2])[0].round(6))
        1.0
    """
    qx, rx = _whiten(np.asarray(x, dtype=float))
    qy, ry = _whiten(np.asarray(y, dtype=float))
    if rx == 0 or ry == 0:
        raise DataError("CCA needs non-constant embeddings and covariates")
    return np.clip(np.linalg.svd(qx.T @ qy, compute_uv=False), 0.0, 1.0)


def encode_covariates(
    metadata: Mapping[str, Any], columns: Sequence[str]
) -> tuple[np.ndarray, list[str]]:
    """Numeric columns standardised; text columns one-hot (first level dropped).

    Rows with a missing numeric value are an error (impute or drop them first).
    """
    blocks: list[np.ndarray] = []
    names: list[str] = []
    for column in columns:
        if column not in metadata:
            raise DataError(
                f"CCA covariate {column!r} is not in the metadata (columns: "
                f"{', '.join(sorted(metadata))})"
            )
        values = np.asarray(metadata[column])
        numeric = None
        if values.dtype.kind in "fiub":
            numeric = values.astype(float)
        else:
            try:
                numeric = np.array([float(v) for v in values])
            except (TypeError, ValueError):
                numeric = None
        if numeric is not None:
            if np.any(~np.isfinite(numeric)):
                raise DataError(f"CCA covariate {column!r} has missing values")
            std = numeric.std()
            blocks.append(((numeric - numeric.mean()) / (std if std > 0 else 1.0))[:, None])
            names.append(column)
            continue
        levels = sorted({str(v) for v in values})
        for level in levels[1:]:
            blocks.append((np.array([str(v) for v in values]) == level).astype(float)[:, None])
            names.append(f"{column}={level}")
    if not blocks:
        raise DataError("CCA needs at least one covariate with two or more values")
    return np.hstack(blocks), names


def _permute(rng: np.random.Generator, n: int, groups: np.ndarray | None) -> np.ndarray:
    if groups is None:
        return rng.permutation(n)
    order = np.arange(n)
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        order[idx] = idx[rng.permutation(len(idx))]
    return order


def cca_permutation_test(
    embeddings: np.ndarray,
    covariates: np.ndarray,
    *,
    covariate_names: Sequence[str] | None = None,
    n_pca: int | None = None,
    n_permutations: int = 1000,
    groups: Sequence[Any] | None = None,
    seed: int = 0,
) -> CCAResult:
    """CCA of PCA-reduced embeddings and covariates, with FWE-corrected permutation p-values.

    Args:
        embeddings: (n_samples, dim) model embeddings.
        covariates: (n_samples, k) numeric covariates (see :func:`encode_covariates`).
        covariate_names: a name per covariate column.
        n_pca: embedding principal components kept (default ``min(dim, n // 10, 20)``).
        n_permutations: covariate-row shuffles for the null distribution.
        groups: exchangeability blocks: rows are only shuffled within a group.
        seed: the permutation stream's seed (same seed, same p-values).
    """
    emb = np.asarray(embeddings, dtype=float)
    cov = np.asarray(covariates, dtype=float)
    if cov.ndim == 1:
        cov = cov[:, None]
    if emb.ndim != 2 or len(emb) != len(cov):
        raise DataError(
            f"CCA needs embeddings (n, dim) and covariates (n, k) with the same n; got "
            f"{emb.shape} and {cov.shape}"
        )
    n = len(emb)
    if n < 10:
        raise DataError(f"CCA needs at least 10 samples, got {n}")
    if n_permutations < 1:
        raise DataError("n_permutations must be at least 1")
    k = n_pca or max(1, min(emb.shape[1], n // 10, 20))
    centred = emb - emb.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    pcs = u[:, :k] * s[:k]
    observed = canonical_correlations(pcs, cov)
    qx, _ = _whiten(pcs)
    qy, _ = _whiten(cov)
    rng = np.random.default_rng(seed)
    group_arr = None if groups is None else np.asarray([str(g) for g in groups])
    null_max = np.empty(n_permutations)
    for b in range(n_permutations):
        perm = _permute(rng, n, group_arr)
        null_max[b] = np.linalg.svd(qx.T @ qy[perm], compute_uv=False)[0]
    p_values = [(1 + int(np.sum(null_max >= r - 1e-12))) / (n_permutations + 1) for r in observed]
    # structure coefficients: correlation of each covariate with each covariate-side variate
    _, _, vt = np.linalg.svd(qx.T @ qy, full_matrices=False)
    variates = qy @ vt.T
    cov_c = cov - cov.mean(axis=0)
    norms = np.linalg.norm(cov_c, axis=0) * np.linalg.norm(variates, axis=0)[:, None]
    loadings = (variates.T @ cov_c) / np.where(norms > 0, norms, 1.0)
    names = list(covariate_names or [f"cov{i}" for i in range(cov.shape[1])])
    return CCAResult(
        correlations=tuple(float(round(r, 6)) for r in observed),
        p_values=tuple(float(p) for p in p_values),
        n_samples=n,
        n_pca=k,
        n_permutations=n_permutations,
        covariates=tuple(names),
        covariate_loadings=tuple(
            tuple(float(round(v, 4)) for v in row) for row in loadings[: len(observed)]
        ),
    )


def embedding_phenotype_cca(
    registry: Any,
    model_config: str | Path,
    dataset: str,
    columns: Sequence[str],
    *,
    data_root: str | None = None,
    n_permutations: int = 1000,
    group_by: str | None = None,
    seed: int = 0,
    batch_size: int = 256,
) -> CCAResult:
    """Embed a dataset with a model (a config file or a shipped model's name) and run the CCA
    permutation test.

    ``dataset`` is a registered id or a folder; ``columns`` name metadata covariates;
    ``group_by`` restricts permutations to within that column's groups (e.g. ``site``).
    """
    from fmbench.data.locate import load_dataset
    from fmbench.models.config import resolve_model_config
    from fmbench.models.handle import load_model

    data, _ = load_dataset(registry, dataset, root=data_root)
    model = load_model(registry, resolve_model_config(registry, str(model_config)))
    model.prepare(dict(data.info))
    parts = [model.embed(batch) for _, batch in data.batches(np.arange(data.n_samples), batch_size)]
    covariates, names = encode_covariates(data.metadata, columns)
    groups = None
    if group_by is not None:
        if group_by not in data.metadata:
            raise DataError(f"group_by column {group_by!r} is not in the metadata")
        groups = list(data.metadata[group_by])
    return cca_permutation_test(
        np.concatenate(parts),
        covariates,
        covariate_names=names,
        n_permutations=n_permutations,
        groups=groups,
        seed=seed,
    )
