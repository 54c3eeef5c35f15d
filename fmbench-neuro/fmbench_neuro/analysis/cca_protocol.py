"""The ``cca_phenotype`` protocol: embedding-phenotype CCA as a benchmark, held out.

For each fold of the benchmark's (subject-grouped) split, the model's embeddings of the
*training* samples are reduced by PCA and a CCA with the phenotype covariates (named in the
benchmark's ``protocol`` options; numeric columns standardised, text columns one-hot) is fitted
on those samples only. The test samples are then projected: ``Predictions.values`` is their
first embedding-side canonical variate and ``Predictions.y_true`` their first phenotype-side
canonical variate, both scaled to unit variance on the training samples. PearsonR of the two
is therefore the *held-out* canonical correlation: an out-of-sample number that in-sample CCA
(which fits noise in high dimensions) cannot give.

The permutation test of :func:`fmbench_neuro.analysis.cca.cca_permutation_test` on all samples
(family-wise corrected p-values, in-sample canonical correlations, covariate loadings) goes
into ``predictions.notes["protocol"]``, which the run writes as the record's
``protocol_details``.

Options (``protocol: {name: cca_phenotype, ...}``): ``covariates`` (required, metadata
columns), ``n_components`` (canonical pairs reported, default 1), ``n_pca`` (embedding PCs;
default ``min(dim, n_train // 10, 20)``), ``n_permutations`` (default 999), ``permute_within``
(a metadata column: shuffle only within its groups, e.g. site).

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> z = rng.standard_normal(300)
    >>> emb = np.column_stack([z + 0.3 * rng.standard_normal(300), rng.standard_normal((300, 4))])
    >>> cov = (z + 0.3 * rng.standard_normal(300))[:, None]
    >>> fit = fit_cca(emb[:200], cov[:200], n_pca=3)
    >>> u, v = fit.project(emb[200:], cov[200:])
    >>> round(float(np.corrcoef(u, v)[0, 1]), 1)
    0.9
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from fmbench.errors import ConfigError, DataError
from fmbench.evaluation.protocols import EvalContext, Predictions

__all__ = ["CCAFit", "cca_phenotype", "fit_cca"]


@attrs.frozen(kw_only=True, eq=False)
class CCAFit:
    """First canonical pair fitted on training data: centring, PCA and canonical weights."""

    x_mean: np.ndarray
    x_basis: np.ndarray  # (dim, n_pca): embedding -> principal components
    x_weights: np.ndarray  # (n_pca,): PCs -> first embedding-side variate
    y_mean: np.ndarray
    y_weights: np.ndarray  # (k,): covariates -> first phenotype-side variate
    correlation: float  # in-sample (training) canonical correlation

    def project(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The first canonical variates of new samples (embedding side, phenotype side)."""
        u = ((np.asarray(x, dtype=float) - self.x_mean) @ self.x_basis) @ self.x_weights
        v = (np.asarray(y, dtype=float) - self.y_mean) @ self.y_weights
        return u, v


def _whitener(a: np.ndarray) -> np.ndarray:
    """Matrix ``w`` such that ``a @ w`` has orthonormal columns (``a`` centred; rank-cut)."""
    _, s, vt = np.linalg.svd(a, full_matrices=False)
    rank = int(np.sum(s > s[0] * 1e-10)) if len(s) and s[0] > 0 else 0
    if rank == 0:
        raise DataError("CCA needs non-constant embeddings and covariates in every training fold")
    return vt[:rank].T / s[:rank]


def fit_cca(x: np.ndarray, y: np.ndarray, *, n_pca: int | None = None) -> CCAFit:
    """Fit PCA (on ``x``) and the first canonical pair of ``x`` and ``y`` on these rows only.

    The variates are scaled to unit variance on the fitting rows, so variates of different
    folds are on one scale.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    k = n_pca or max(1, min(x.shape[1], n // 10, 20))
    x_mean, y_mean = x.mean(axis=0), y.mean(axis=0)
    xc, yc = x - x_mean, y - y_mean
    _, _, vt = np.linalg.svd(xc, full_matrices=False)
    basis = vt[:k].T
    pcs = xc @ basis
    wx, wy = _whitener(pcs), _whitener(yc)
    a, s, bt = np.linalg.svd((pcs @ wx).T @ (yc @ wy), full_matrices=False)
    scale = np.sqrt(n - 1)  # whitened columns have unit norm: this gives unit variance
    return CCAFit(
        x_mean=x_mean,
        x_basis=basis,
        x_weights=wx @ a[:, 0] * scale,
        y_mean=y_mean,
        y_weights=wy @ bt[0] * scale,
        correlation=float(np.clip(s[0], 0.0, 1.0)),
    )


def _option_int(options: dict[str, Any], key: str, default: int | None, low: int) -> int | None:
    value = options.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(
            f"protocol cca_phenotype: option {key}={value!r} must be an integer >= {low}"
        )
    return value


def _subject_level(
    ctx: EvalContext, emb: np.ndarray, cov: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, str]:
    """Rows for the permutation test: one per subject (means) when subjects repeat, so that
    shuffled rows are exchangeable."""
    column = ctx.benchmark.split.group_by
    if not column or column not in ctx.dataset.metadata:
        return emb, cov, np.arange(len(emb)), "samples"
    subjects = np.asarray([str(s) for s in ctx.dataset.metadata[column]])
    unique, inverse = np.unique(subjects, return_inverse=True)
    if len(unique) == len(subjects):
        return emb, cov, np.arange(len(emb)), "samples"
    counts = np.bincount(inverse).astype(float)[:, None]
    emb_s = np.zeros((len(unique), emb.shape[1]))
    cov_s = np.zeros((len(unique), cov.shape[1]))
    np.add.at(emb_s, inverse, emb)
    np.add.at(cov_s, inverse, cov)
    first = np.array([np.flatnonzero(inverse == g)[0] for g in range(len(unique))])
    return emb_s / counts, cov_s / counts, first, f"subject means (by {column})"


def cca_phenotype(ctx: EvalContext) -> Predictions:
    """Held-out first canonical correlation of embeddings and covariates, per fold, plus the
    permutation test on all samples (see the module docstring)."""
    from fmbench_neuro.analysis.cca import cca_permutation_test, encode_covariates

    options = dict(ctx.options)
    columns = options.get("covariates")
    if isinstance(columns, str):
        columns = [columns]
    if not columns or not all(isinstance(c, str) for c in columns):
        raise ConfigError(
            f"benchmark {ctx.benchmark.name}: protocol cca_phenotype needs covariates: a list "
            "of metadata columns, e.g. protocol: {name: cca_phenotype, covariates: [age, sex]}"
        )
    n_components = _option_int(options, "n_components", 1, 1)
    n_pca = _option_int(options, "n_pca", None, 1)
    n_permutations = _option_int(options, "n_permutations", 999, 1)
    within = options.get("permute_within")
    if any(len(f.train) == 0 for f in ctx.folds):
        raise ConfigError(
            f"benchmark {ctx.benchmark.name}: the cca_phenotype protocol fits on training "
            "folds, but its split is 'none'; declare split: {method: kfold, group_by: ...}"
        )
    cov, names = encode_covariates(ctx.dataset.metadata, list(columns))
    emb = np.asarray(ctx.embeddings(), dtype=float)
    indices = ctx.test_indices()
    order = {int(i): pos for pos, i in enumerate(indices)}
    values = np.zeros(len(indices))
    y_true = np.zeros(len(indices))
    fold_id = np.full(len(indices), -1)
    per_fold: list[dict[str, Any]] = []
    with ctx.phase("fit"):
        for number, fold in enumerate(ctx.folds):
            fit = fit_cca(emb[fold.train], cov[fold.train], n_pca=n_pca)
            u, v = fit.project(emb[fold.test], cov[fold.test])
            rows = np.array([order[int(i)] for i in fold.test])
            values[rows], y_true[rows], fold_id[rows] = u, v, number
            held_out = float(np.corrcoef(u, v)[0, 1]) if len(u) > 2 else None
            per_fold.append(
                {
                    "fold": number,
                    "n_train": len(fold.train),
                    "n_test": len(fold.test),
                    "train_correlation": round(fit.correlation, 4),
                    "test_correlation": None if held_out is None else round(held_out, 4),
                }
            )
        test_emb, test_cov, keep, unit = _subject_level(ctx, emb, cov)
        groups = None
        if within is not None:
            if within not in ctx.dataset.metadata:
                raise ConfigError(
                    f"benchmark {ctx.benchmark.name}: permute_within column {within!r} is not "
                    "in the metadata"
                )
            groups = list(np.asarray(ctx.dataset.metadata[within])[keep])
        test = cca_permutation_test(
            test_emb,
            test_cov,
            covariate_names=names,
            n_pca=n_pca,
            n_permutations=n_permutations or 999,
            groups=groups,
            seed=ctx.seed,
        )
    k = min(n_components or 1, len(test.correlations))
    predictions = Predictions(indices=indices, y_true=y_true, fold=fold_id, values=values)
    predictions.notes["protocol"] = {
        "covariates": list(columns),
        "covariate_columns": names,
        "embedding_dim": int(emb.shape[1]),
        "held_out": "PearsonR of the test samples' first canonical variates (embedding side "
        "vs phenotype side), each fold's CCA fitted on its training samples only",
        "folds": per_fold,
        "permutation_test": {
            "rows": unit,
            "n_rows": test.n_samples,
            "n_pca": test.n_pca,
            "n_permutations": test.n_permutations,
            "permute_within": within,
            "in_sample_correlations": list(test.correlations[:k]),
            "p_values": list(test.p_values[:k]),
            "p_value_method": "max-statistic permutation test over all components "
            "(family-wise corrected)",
            "covariate_loadings": [
                dict(zip(names, row, strict=True)) for row in test.covariate_loadings[:k]
            ],
        },
    }
    return predictions
