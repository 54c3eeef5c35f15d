"""Evaluation protocols: how a model's outputs become predictions for the test samples.

- ``zero_shot``: the model's own ``predict_proba`` / ``predict`` on every test sample;
- ``linear_probe``: frozen embeddings (``embed``/``encode``), then a standardised logistic
  regression (classification) or ridge (regression) fitted on each training split, with its
  regularisation chosen by an inner cross-validation inside that training split only
  (:mod:`fmbench.evaluation.probe_search`: warm-started C paths, the closed-form ridge path);
- ``knn_probe``: k-nearest neighbours on the standardised embeddings, k chosen the same way.

The inner folds group by the outer split's ``group_by`` column
(:mod:`fmbench.evaluation.inner_folds`), and the training-split predictions that clinical
thresholds are chosen on come from the same inner folds.

Embeddings are computed once per dataset (in batches) and reused by every fold.

Example:
    >>> from fmbench.evaluation.protocols import PROBE_C_GRID
    >>> PROBE_C_GRID
    (0.01, 0.1, 1.0, 10.0)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import numpy as np

from fmbench import capabilities
from fmbench.data.dataset import Dataset
from fmbench.errors import ModelError
from fmbench.evaluation.inner_folds import inner_folds
from fmbench.evaluation.splits import Fold
from fmbench.models.handle import ModelHandle
from fmbench.plugin_system.specs import BenchmarkSpec

__all__ = [
    "PROBE_C_GRID",
    "EvalContext",
    "Predictions",
    "TrainingPredictions",
    "knn_probe",
    "linear_probe",
    "zero_shot",
]

#: Inverse regularisation strengths searched by the linear probe (inside training data only).
PROBE_C_GRID = (0.01, 0.1, 1.0, 10.0)
#: Ridge penalties searched for regression probes.
PROBE_ALPHA_GRID = (0.1, 1.0, 10.0, 100.0)
#: Neighbour counts searched by the kNN probe.
KNN_GRID = (1, 5, 15)


@attrs.define(kw_only=True, eq=False)
class TrainingPredictions:
    """Scores on each fold's *training* samples, so that thresholds are chosen without test data.

    Row ``i`` is a training sample of fold ``fold[i]`` (a sample appears once per fold that
    trains on it); ``method`` says how the scores were made.
    """

    fold: np.ndarray
    y_true: np.ndarray
    proba: np.ndarray
    method: str


@attrs.define(kw_only=True, eq=False)
class Predictions:
    """Per-test-sample outputs of one benchmark, in dataset order of ``indices``."""

    indices: np.ndarray
    y_true: np.ndarray
    fold: np.ndarray
    proba: np.ndarray | None = None
    labels: np.ndarray | None = None
    values: np.ndarray | None = None
    notes: dict[str, Any] = attrs.field(factory=dict)
    training: TrainingPredictions | None = None

    def subset(self, mask: np.ndarray) -> Predictions:
        """The predictions of the samples where ``mask`` is true."""

        def pick(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[mask]

        return Predictions(
            indices=self.indices[mask],
            y_true=self.y_true[mask],
            fold=self.fold[mask],
            proba=pick(self.proba),
            labels=pick(self.labels),
            values=pick(self.values),
            notes=self.notes,
            training=self.training,
        )


@attrs.define(kw_only=True, eq=False)
class EvalContext:
    """Everything a protocol needs: the benchmark, data, model, folds and settings."""

    benchmark: BenchmarkSpec
    dataset: Dataset
    model: ModelHandle
    folds: list[Fold]
    seed: int
    batch_size: int
    options: dict[str, Any] = attrs.field(factory=dict)
    phases: dict[str, float] = attrs.field(factory=dict)
    progress: Callable[[int], None] | None = None
    #: an :class:`fmbench.models.embedding_cache.EmbeddingCache` for clean data (None: always compute)
    cache: Any = None
    #: what the cache did for this benchmark (hit / miss / off and why), for the record
    cache_status: dict[str, Any] | None = None
    _embeddings: np.ndarray | None = None

    @property
    def task(self) -> str:
        return self.benchmark.task

    @property
    def n_classes(self) -> int:
        return int(self.dataset.info.get("n_classes", 0))

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time a phase (load, predict, embed, fit, metrics...) into ``phases``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - start

    def fold_of(self, indices: np.ndarray) -> np.ndarray:
        """The number of the outer fold whose test part holds each of ``indices`` (-1: none)."""
        fold_id = np.full(self.dataset.n_samples, -1)
        for number, fold in enumerate(self.folds):
            fold_id[fold.test] = number
        return fold_id[indices]

    def test_indices(self) -> np.ndarray:
        return np.unique(np.concatenate([f.test for f in self.folds]))

    def embeddings(self) -> np.ndarray:
        """Embeddings of every sample, computed once in batches and then reused.

        With a ``cache``, embeddings of the same model on the same data come from disk.
        """
        if self._embeddings is None:
            self.model.require((capabilities.EMBEDS,), "this protocol")
            everything = np.arange(self.dataset.n_samples)
            if self.cache is None:
                self._embeddings = self._compute_embeddings(everything)
            else:
                start, embed_before = time.perf_counter(), self.phases.get("embed", 0.0)
                self._embeddings, self.cache_status = self.cache.fetch(
                    self.model,
                    self.dataset,
                    everything,
                    self.benchmark.dataset_options,
                    lambda: self._compute_embeddings(everything),
                )
                computing = self.phases.get("embed", 0.0) - embed_before
                self.phases["embed_cache"] = time.perf_counter() - start - computing
                if self.cache_status.get("status") == "hit" and self.progress:
                    self.progress(len(everything))
        return self._embeddings

    def _compute_embeddings(self, everything: np.ndarray) -> np.ndarray:
        parts = []
        with self.phase("embed"):
            for chunk, batch in self.dataset.batches(everything, self.batch_size):
                parts.append(self.model.embed(batch))
                if self.progress:
                    self.progress(len(chunk))
        dims = {p.shape[1] for p in parts}
        if len(dims) != 1:
            raise ModelError(
                f"model {self.model.model_id!r}: embedding size changed between batches "
                f"({sorted(dims)})"
            )
        return np.concatenate(parts)


def zero_shot(ctx: EvalContext) -> Predictions:
    """The model's own predictions on every test sample (nothing is trained)."""
    indices = ctx.test_indices()
    y_true = np.asarray(ctx.dataset.y)[indices]
    if ctx.task == "classification":
        ctx.model.require((capabilities.CLASSIFIES,), "the zero_shot protocol")
    else:
        ctx.model.require((capabilities.Predicts,), "the zero_shot protocol for regression")
    use_proba = ctx.task == "classification" and ctx.model.has(capabilities.PredictsProba)
    parts: list[np.ndarray] = []
    with ctx.phase("predict"):
        for chunk, batch in ctx.dataset.batches(indices, ctx.batch_size):
            if use_proba:
                parts.append(ctx.model.predict_proba(batch, ctx.n_classes))
            else:
                parts.append(ctx.model.predict(batch))
            if ctx.progress:
                ctx.progress(len(chunk))
    out = np.concatenate(parts)
    predictions = Predictions(indices=indices, y_true=y_true, fold=ctx.fold_of(indices))
    if ctx.task == "classification":
        if use_proba:
            predictions.proba = out
            predictions.labels = out.argmax(axis=1)
            if _wants_training(ctx):
                predictions.training = _zero_shot_training(ctx, indices, out)
        else:
            labels = out.reshape(len(indices), -1)
            if labels.shape[1] != 1:
                raise ModelError(
                    f"model {ctx.model.model_id!r}: predict() returned shape {out.shape}; "
                    "expected one label per input"
                )
            predictions.labels = labels[:, 0].round().astype(int)
            predictions.notes["AUROC"] = "the model gives no probabilities (no predict_proba)"
    else:
        predictions.values = out.reshape(y_true.shape) if out.size == y_true.size else out
    return predictions


def _wants_training(ctx: EvalContext) -> bool:
    clinical = ctx.benchmark.clinical
    return (
        ctx.task == "classification"
        and clinical is not None
        and clinical.needs_training_predictions
        and all(len(f.train) for f in ctx.folds)
    )


def _zero_shot_training(
    ctx: EvalContext, indices: np.ndarray, proba: np.ndarray
) -> TrainingPredictions:
    """The model's outputs on each fold's training samples (reused where they are also test
    samples of another fold; the others are predicted now)."""
    known = dict(zip(indices.tolist(), proba, strict=True))
    wanted = np.unique(np.concatenate([f.train for f in ctx.folds]))
    missing = np.array([i for i in wanted.tolist() if i not in known], dtype=int)
    if len(missing):
        with ctx.phase("predict"):
            for chunk, batch in ctx.dataset.batches(missing, ctx.batch_size):
                for i, row in zip(
                    chunk.tolist(), ctx.model.predict_proba(batch, ctx.n_classes), strict=True
                ):
                    known[int(i)] = row
    y = np.asarray(ctx.dataset.y)
    train = [(number, f.train) for number, f in enumerate(ctx.folds)]
    return TrainingPredictions(
        fold=np.concatenate([np.full(len(t), n) for n, t in train]),
        y_true=np.concatenate([y[t] for _, t in train]),
        proba=np.vstack([np.vstack([known[int(i)] for i in t]) for _, t in train]),
        method="the model's own outputs on the training split",
    )


@attrs.define(kw_only=True, eq=False)
class _FoldProbe:
    """A probe fitted on one training split: its model, the chosen hyper-parameter, and its
    inner cross-validated probabilities on that split (classification with thresholds)."""

    model: Any
    chosen: dict[str, Any]
    held_out: np.ndarray | None = None


#: fits a probe on one training split: (features, targets, inner splits, wants training
#: predictions) -> the fitted probe
_FitFold = Callable[[np.ndarray, np.ndarray, tuple[tuple[np.ndarray, np.ndarray], ...], bool],
                    _FoldProbe]  # fmt: skip


def _training_groups(ctx: EvalContext) -> tuple[str | None, np.ndarray | None]:
    """The column the outer split keeps apart, and each sample's value of it: ``group_by``
    (subject, donor, site), or for a ``cross_session`` split the session, since its test part
    is a session the model never trained on (None: the split groups nothing)."""
    split = ctx.benchmark.split
    column = split.session_by if split.method == "cross_session" else split.group_by
    if column is None:
        return None, None
    return column, np.asarray([str(v) for v in ctx.dataset.metadata[column]], dtype=object)


def _fold_groups(
    ctx: EvalContext, groups: np.ndarray | None, train: np.ndarray
) -> np.ndarray | None:
    """A training part's groups for its inner folds. A cross-session training part with a
    single session is tuned on inner folds inside that session (there is no other session to
    hold out; the outer test session is still never seen)."""
    if groups is None:
        return None
    mine = groups[train]
    if ctx.benchmark.split.method == "cross_session" and len(np.unique(mine)) < 2:
        return None
    return mine


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Probe fits run BLAS on one thread: many small solver steps are several times faster
    than with threads that wait on each other (and the numbers do not depend on threads)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _probe_predictions(ctx: EvalContext, fit_fold: _FitFold, what: str) -> Predictions:
    features = ctx.embeddings()
    y = np.asarray(ctx.dataset.y)
    if any(len(f.train) == 0 for f in ctx.folds):
        raise ModelError(
            f"benchmark {ctx.benchmark.name}: the {what} protocol needs training data, but "
            "its split is 'none'; declare split: {method: kfold, ...} or predefined"
        )
    indices = ctx.test_indices()
    order = {int(i): pos for pos, i in enumerate(indices)}
    proba = np.zeros((len(indices), ctx.n_classes)) if ctx.task == "classification" else None
    values = np.zeros((len(indices), *y.shape[1:])) if ctx.task == "regression" else None
    group_by, groups = _training_groups(ctx)
    wants_training = _wants_training(ctx)
    chosen: list[dict[str, Any]] = []
    training: list[tuple[int, np.ndarray, np.ndarray]] = []
    descriptions: list[str] = []  # one per kind of inner folds, in fold order
    with ctx.phase("fit"), _one_blas_thread():
        for number, fold in enumerate(ctx.folds):
            fold_groups = _fold_groups(ctx, groups, fold.train)
            inner = inner_folds(
                y[fold.train],
                groups=fold_groups,
                group_by=group_by if fold_groups is not None else None,
                task=ctx.task,
                seed=ctx.seed,
                where=f"benchmark {ctx.benchmark.name}, fold {number}",
            )
            description = inner.description
            if groups is not None and fold_groups is None:
                description += f" (the training part holds one {group_by!r} value: inside it)"
            if description not in descriptions:
                descriptions.append(description)
            fitted = fit_fold(features[fold.train], y[fold.train], inner.splits, wants_training)
            estimator = fitted.model
            rows = np.array([order[int(i)] for i in fold.test])
            if ctx.task == "classification":
                assert proba is not None
                fold_proba = estimator.predict_proba(features[fold.test])
                proba[np.ix_(rows, estimator.classes_.astype(int))] = fold_proba
                if wants_training and fitted.held_out is not None:
                    full = np.zeros((len(fold.train), ctx.n_classes))
                    full[:, np.unique(y[fold.train]).astype(int)] = fitted.held_out
                    kept = np.isfinite(full).all(axis=1)  # rows no inner model could predict
                    training.append((number, fold.train[kept], full[kept]))
            else:
                assert values is not None
                values[rows] = estimator.predict(features[fold.test])
            chosen.append(fitted.chosen)
    inner_description = "; ".join(descriptions)
    predictions = Predictions(indices=indices, y_true=y[indices], fold=ctx.fold_of(indices))
    if proba is not None:
        predictions.proba = proba
        predictions.labels = proba.argmax(axis=1)
    predictions.values = values
    if training:
        predictions.training = TrainingPredictions(
            fold=np.concatenate([np.full(len(t), n) for n, t, _ in training]),
            y_true=np.concatenate([y[t] for _, t, _ in training]),
            proba=np.vstack([p for _, _, p in training]),
            method=f"inner cross-validated probe predictions on the training split "
            f"({inner_description})",
        )
    predictions.notes["protocol"] = {
        "embedding_dim": int(features.shape[1]),
        "chosen": chosen,
        "inner_folds": inner_description,
    }
    return predictions


def linear_probe(ctx: EvalContext) -> Predictions:
    """Standardised logistic regression / ridge on frozen embeddings, tuned inside training.

    The regularisation is chosen on inner folds of each training split (grouped like the
    outer split), with exactly the grid search's fits, fewer of them and BLAS on one thread
    (see :mod:`fmbench.evaluation.probe_search`).
    """
    from fmbench.evaluation.probe_search import tune_logistic, tune_ridge

    if ctx.task == "classification":
        grid = tuple(ctx.options.get("C", PROBE_C_GRID))

        def fit_fold(X: np.ndarray, y: np.ndarray, splits: Any, _: bool) -> _FoldProbe:
            tuned = tune_logistic(X, y, splits, grid)
            return _FoldProbe(model=tuned.model, chosen=tuned.chosen, held_out=tuned.held_out)
    else:
        grid = tuple(ctx.options.get("alpha", PROBE_ALPHA_GRID))

        def fit_fold(X: np.ndarray, y: np.ndarray, splits: Any, _: bool) -> _FoldProbe:
            tuned = tune_ridge(X, y, splits, grid)
            return _FoldProbe(model=tuned.model, chosen=tuned.chosen)

    return _probe_predictions(ctx, fit_fold, "linear_probe")


def _grid_search_fold(make_search: Callable[[Any], Any]) -> _FitFold:
    """Fit a ``GridSearchCV`` on the inner splits; its inner cross-validated probabilities
    (the chosen estimator refitted on each inner training part) when asked."""

    def fit_fold(X: np.ndarray, y: np.ndarray, splits: Any, wants: bool) -> _FoldProbe:
        from sklearn.base import clone
        from sklearn.model_selection import cross_val_predict

        search = make_search(list(splits))
        search.fit(X, y)
        chosen = {k.split("__")[-1]: v for k, v in search.best_params_.items()}
        held_out = None
        if wants:
            held_out = cross_val_predict(
                clone(search.best_estimator_), X, y, cv=list(splits), method="predict_proba"
            )
        return _FoldProbe(model=search, chosen=chosen, held_out=held_out)

    return fit_fold


def knn_probe(ctx: EvalContext) -> Predictions:
    """k-nearest neighbours on standardised embeddings, k chosen inside training (on inner
    folds grouped like the outer split)."""
    from sklearn.model_selection import GridSearchCV
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    grid_k = list(ctx.options.get("k", KNN_GRID))
    if ctx.task == "classification":

        def make(splits: Any) -> Any:
            pipe = make_pipeline(StandardScaler(), KNeighborsClassifier())
            return GridSearchCV(
                pipe,
                {"kneighborsclassifier__n_neighbors": grid_k},
                cv=splits,
                scoring="balanced_accuracy",
            )
    else:

        def make(splits: Any) -> Any:
            pipe = make_pipeline(StandardScaler(), KNeighborsRegressor())
            return GridSearchCV(
                pipe, {"kneighborsregressor__n_neighbors": grid_k}, cv=splits, scoring="r2"
            )

    return _probe_predictions(ctx, _grid_search_fold(make), "knn_probe")
