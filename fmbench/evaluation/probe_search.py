"""The linear probe's regularisation search: every candidate on every inner fold, with fewer fits.

The protocol is a grid search as ``GridSearchCV`` runs it (a standardised estimator per
candidate and inner fold, scored on the held-out part, the first best candidate in grid order,
a refit on the whole training split), and so are the numbers; the work is smaller:

- **logistic regression** (classification): per inner fold the features are standardised once
  (not once per candidate), then one L-BFGS fit per C from zero, exactly the fit the grid
  search makes; held-out balanced accuracy per C is averaged over the inner folds; the refit
  at the chosen C also starts from zero. The held-out probabilities at the chosen C are kept:
  they are the inner cross-validated training-split predictions for clinical thresholds, which
  ``cross_val_predict`` used to fit a second time (3 fits per outer fold saved).
  Fits are not warm-started along the C path: with scikit-learn's tolerance (1e-4) a weakly
  regularised fit stops where the objective is flat, so its coefficients depend on where it
  started (on PBMC 68k, C=10 started from the C=1 solution and from zero gave probabilities
  up to 0.48 apart), and the model scored for a C would not be the model refitted at that C.
- **ridge** (regression): the ridge path in closed form. One SVD of each standardised, centred
  inner training part ``A = U S V^T`` gives the coefficients of every alpha at once,
  ``V diag(s / (s^2 + alpha)) U^T y``, the solution ``Ridge(alpha)`` computes; held-out R^2
  per alpha is averaged over the inner folds; the refit is ``Ridge`` at the chosen alpha.

Most of the time saved is BLAS threads, not fits: the linear probe protocol runs these searches
with BLAS on one thread (:func:`fmbench.evaluation.protocols.linear_probe`), where many small
solver steps ran several times faster than with threads waiting on each other.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((90, 5)); y = (X[:, 0] > 0).astype(int)
    >>> splits = [(np.r_[0:30, 60:90], np.r_[30:60]), (np.r_[0:60], np.r_[60:90]),
    ...           (np.r_[30:90], np.r_[0:30])]
    >>> tuned = tune_logistic(X, y, splits, (0.01, 0.1, 1.0, 10.0))
    >>> sorted(tuned.chosen), tuned.held_out.shape
    (['C'], (90, 2))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

__all__ = ["MAX_ITER", "TunedProbe", "tune_logistic", "tune_ridge"]

#: L-BFGS iterations allowed per logistic-regression fit (as before).
MAX_ITER = 2000

Split = tuple[np.ndarray, np.ndarray]


@attrs.define(kw_only=True, eq=False)
class TunedProbe:
    """The probe refitted on the whole training split at the chosen value, and the search.

    ``held_out``: classification only, the inner held-out probabilities at the chosen C for
    every training sample (each predicted by the inner fold that did not train on it), one
    column per class present in the training split, in sorted class order; NaN rows where
    that inner fold's training part held a single class (no model could be fitted).
    """

    model: Any
    chosen: dict[str, float]
    mean_scores: tuple[float, ...]
    held_out: np.ndarray | None = None


def _first_best(mean_scores: np.ndarray) -> int:
    """``GridSearchCV``'s rule: the highest mean score, the first candidate among ties;
    NaN (no inner fold could score it) counts as the worst."""
    if np.isnan(mean_scores).all():
        return 0
    return int(np.argmax(np.where(np.isnan(mean_scores), -np.inf, mean_scores)))


def _mean_over_folds(scores: np.ndarray) -> np.ndarray:
    """Mean held-out score per candidate over the inner folds that could be scored."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a candidate no fold could score
        return np.nanmean(np.asarray(scores, dtype=float), axis=0)


def tune_logistic(
    X: Any, y: np.ndarray, splits: Sequence[Split], grid: Sequence[float]
) -> TunedProbe:
    """Choose C for a standardised logistic regression on inner ``splits`` of ``(X, y)``."""
    import warnings

    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = np.asarray(y)
    classes = np.unique(y)
    grid = [float(c) for c in grid]
    scores = np.full((len(splits), len(grid)), np.nan)
    held_out: list[dict[int, np.ndarray]] = [{} for _ in splits]
    for s, (train, test) in enumerate(splits):
        if len(np.unique(y[train])) < 2:
            continue  # one class, no model: the fold is left out of the means
        scaler = StandardScaler().fit(X[train])
        train_x, test_x = scaler.transform(X[train]), scaler.transform(X[test])
        for i, c in enumerate(grid):
            model = LogisticRegression(max_iter=MAX_ITER, C=c).fit(train_x, y[train])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # class absent from a held-out part
                scores[s, i] = balanced_accuracy_score(y[test], model.predict(test_x))
            proba = np.zeros((len(test), len(classes)))
            proba[:, np.searchsorted(classes, model.classes_)] = model.predict_proba(test_x)
            held_out[s][i] = proba
    mean_scores = _mean_over_folds(scores)
    best = _first_best(mean_scores)
    refit = make_pipeline(StandardScaler(), LogisticRegression(max_iter=MAX_ITER, C=grid[best]))
    refit.fit(X, y)
    out = np.full((len(y), len(classes)), np.nan)
    for s, (_, test) in enumerate(splits):
        if best in held_out[s]:
            out[test] = held_out[s][best]
    return TunedProbe(
        model=refit,
        chosen={"C": grid[best]},
        mean_scores=tuple(float(v) for v in mean_scores),
        held_out=out,
    )


def tune_ridge(X: Any, y: np.ndarray, splits: Sequence[Split], grid: Sequence[float]) -> TunedProbe:
    """Choose alpha for a standardised ridge regression on inner ``splits`` (closed form)."""
    from sklearn.linear_model import Ridge
    from sklearn.metrics import r2_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    target = np.asarray(y)
    y = np.asarray(y, dtype=np.float64)
    grid = [float(a) for a in grid]
    scores = np.full((len(splits), len(grid)), np.nan)
    for s, (train, test) in enumerate(splits):
        scaler = StandardScaler().fit(X[train])
        train_x = np.asarray(scaler.transform(X[train]), dtype=np.float64)
        test_x = np.asarray(scaler.transform(X[test]), dtype=np.float64)
        x_mean, y_mean = train_x.mean(axis=0), y[train].mean(axis=0)
        u, sv, vt = np.linalg.svd(train_x - x_mean, full_matrices=False)
        projected = u.T @ (y[train] - y_mean)
        rotated_test = (test_x - x_mean) @ vt.T
        for i, alpha in enumerate(grid):
            shrink = sv / (sv**2 + alpha)
            weights = shrink[:, None] * projected if projected.ndim == 2 else shrink * projected
            if len(test) > 1:
                scores[s, i] = r2_score(y[test], rotated_test @ weights + y_mean)
    mean_scores = _mean_over_folds(scores)
    best = _first_best(mean_scores)
    refit = make_pipeline(StandardScaler(), Ridge(alpha=grid[best])).fit(X, target)
    return TunedProbe(
        model=refit, chosen={"alpha": grid[best]}, mean_scores=tuple(float(v) for v in mean_scores)
    )
