"""Evaluation protocols: how a model's outputs become predictions for the test samples.

- ``zero_shot``: the model's own ``predict_proba`` / ``predict`` on every test sample;
- ``linear_probe``: frozen embeddings (``embed``/``encode``), then a standardised logistic
  regression (classification) or ridge (regression) fitted on each training split, with its
  regularisation chosen by an inner cross-validation inside that training split only;
- ``knn_probe``: k-nearest neighbours on the standardised embeddings, k chosen the same way.

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


def _probe_training(
    ctx: EvalContext, estimator: Any, features: np.ndarray, train: np.ndarray
) -> np.ndarray:
    """Inner cross-validated probabilities on one training split: never in-sample, never test."""
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_predict

    y = np.asarray(ctx.dataset.y)[train]
    best = getattr(estimator, "best_estimator_", estimator)
    inner = cross_val_predict(
        clone(best), features[train], y, cv=_inner_cv(ctx), method="predict_proba"
    )
    out = np.zeros((len(train), ctx.n_classes))
    out[:, np.unique(y).astype(int)] = inner
    return out


def _probe_predictions(
    ctx: EvalContext, make_estimator: Callable[[], Any], what: str
) -> Predictions:
    from sklearn.base import clone

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
    estimator_template = make_estimator()
    chosen: list[Any] = []
    training: list[np.ndarray] = []
    with ctx.phase("fit"):
        for fold in ctx.folds:
            estimator = clone(estimator_template)
            estimator.fit(features[fold.train], y[fold.train])
            rows = np.array([order[int(i)] for i in fold.test])
            if ctx.task == "classification":
                assert proba is not None
                fold_proba = estimator.predict_proba(features[fold.test])
                proba[np.ix_(rows, estimator.classes_.astype(int))] = fold_proba
                if _wants_training(ctx):
                    training.append(_probe_training(ctx, estimator, features, fold.train))
            else:
                assert values is not None
                values[rows] = estimator.predict(features[fold.test])
            best = getattr(estimator, "best_params_", None)
            if best is not None:
                chosen.append({k.split("__")[-1]: v for k, v in best.items()})
    predictions = Predictions(indices=indices, y_true=y[indices], fold=ctx.fold_of(indices))
    if proba is not None:
        predictions.proba = proba
        predictions.labels = proba.argmax(axis=1)
    predictions.values = values
    if training:
        predictions.training = TrainingPredictions(
            fold=np.concatenate([np.full(len(f.train), n) for n, f in enumerate(ctx.folds)]),
            y_true=np.concatenate([y[f.train] for f in ctx.folds]),
            proba=np.vstack(training),
            method="inner 3-fold cross-validated probe predictions on the training split",
        )
    predictions.notes["protocol"] = {"embedding_dim": int(features.shape[1]), "chosen": chosen}
    return predictions


def _inner_cv(ctx: EvalContext) -> Any:
    from sklearn.model_selection import KFold, StratifiedKFold

    if ctx.task == "classification":
        return StratifiedKFold(n_splits=3, shuffle=True, random_state=ctx.seed)
    return KFold(n_splits=3, shuffle=True, random_state=ctx.seed)


def linear_probe(ctx: EvalContext) -> Predictions:
    """Standardised logistic regression / ridge on frozen embeddings, tuned inside training."""
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if ctx.task == "classification":

        def make() -> Any:
            pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
            grid = {"logisticregression__C": list(ctx.options.get("C", PROBE_C_GRID))}
            return GridSearchCV(pipe, grid, cv=_inner_cv(ctx), scoring="balanced_accuracy")
    else:

        def make() -> Any:
            pipe = make_pipeline(StandardScaler(), Ridge())
            grid = {"ridge__alpha": list(ctx.options.get("alpha", PROBE_ALPHA_GRID))}
            return GridSearchCV(pipe, grid, cv=_inner_cv(ctx), scoring="r2")

    return _probe_predictions(ctx, make, "linear_probe")


def knn_probe(ctx: EvalContext) -> Predictions:
    """k-nearest neighbours on standardised embeddings, k chosen inside training."""
    from sklearn.model_selection import GridSearchCV
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    grid_k = list(ctx.options.get("k", KNN_GRID))
    if ctx.task == "classification":

        def make() -> Any:
            pipe = make_pipeline(StandardScaler(), KNeighborsClassifier())
            return GridSearchCV(
                pipe,
                {"kneighborsclassifier__n_neighbors": grid_k},
                cv=_inner_cv(ctx),
                scoring="balanced_accuracy",
            )
    else:

        def make() -> Any:
            pipe = make_pipeline(StandardScaler(), KNeighborsRegressor())
            return GridSearchCV(
                pipe, {"kneighborsregressor__n_neighbors": grid_k}, cv=_inner_cv(ctx), scoring="r2"
            )

    return _probe_predictions(ctx, make, "knn_probe")
