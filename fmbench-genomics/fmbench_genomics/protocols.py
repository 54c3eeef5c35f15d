"""Two evaluation protocols that genomics benchmarks need besides the core's.

``fit_predict``
    For each split, the model's own ``fit(X_train, y_train)`` on the training samples only,
    then ``predict_proba`` (or ``predict``) on that split's test samples. For supervised
    baselines (PCA + logistic regression fitted inside the training fold) and for models that
    fine-tune themselves.

``embedding_clustering``
    Label-free evaluation of an embedding (no training): every sample is embedded, k-means
    (k = number of classes, 10 restarts, seeded) clusters the embeddings as they are, and the
    predictions carry the cluster ids as ``labels`` and the embeddings as ``values``. Metrics
    that compare a partition with the truth (ARI, NMI) read the labels; silhouette-style
    metrics read the embeddings. With the cell type as the label this measures label
    conservation; with the batch as the label (dataset option ``label_key: batch``), batch
    mixing.

Example:
    >>> from fmbench_genomics.protocols import KMEANS_RESTARTS
    >>> KMEANS_RESTARTS
    10
"""

from __future__ import annotations

import numpy as np

from fmbench.capabilities import CLASSIFIES, Fits, PredictsProba
from fmbench.errors import ModelError
from fmbench.evaluation.protocols import EvalContext, Predictions

__all__ = ["KMEANS_RESTARTS", "embedding_clustering", "fit_predict"]

#: k-means restarts of ``embedding_clustering``.
KMEANS_RESTARTS = 10


def fit_predict(ctx: EvalContext) -> Predictions:
    """The model's own fit on each training split, then its predictions on the test split."""
    if ctx.task != "classification":
        raise ModelError(f"benchmark {ctx.benchmark.name}: fit_predict supports classification")
    ctx.model.require((Fits, CLASSIFIES), "the fit_predict protocol")
    if any(len(f.train) == 0 for f in ctx.folds):
        raise ModelError(
            f"benchmark {ctx.benchmark.name}: fit_predict needs training data, but its split "
            "is 'none'; declare split: {method: kfold} or predefined"
        )
    y = np.asarray(ctx.dataset.y)
    indices = ctx.test_indices()
    order = {int(i): pos for pos, i in enumerate(indices)}
    use_proba = ctx.model.has(PredictsProba)
    proba = np.zeros((len(indices), ctx.n_classes))
    labels = np.zeros(len(indices), dtype=int)
    for fold in ctx.folds:
        with ctx.phase("fit"):
            ctx.model.fit(ctx.dataset.take(fold.train), y[fold.train])
        with ctx.phase("predict"):
            for chunk, batch in ctx.dataset.batches(fold.test, ctx.batch_size):
                rows = np.array([order[int(i)] for i in chunk])
                if use_proba:
                    proba[rows] = ctx.model.predict_proba(batch, ctx.n_classes)
                else:
                    labels[rows] = ctx.model.predict(batch).reshape(len(chunk)).round()
                if ctx.progress:
                    ctx.progress(len(chunk))
    predictions = Predictions(indices=indices, y_true=y[indices], fold=ctx.fold_of(indices))
    if use_proba:
        predictions.proba = proba
        predictions.labels = proba.argmax(axis=1)
    else:
        predictions.labels = labels
        predictions.notes["AUROC"] = "the model gives no probabilities (no predict_proba)"
    predictions.notes["protocol"] = {"fitted_per_split": len(ctx.folds)}
    return predictions


def embedding_clustering(ctx: EvalContext) -> Predictions:
    """k-means clusters of the model's embeddings (labels) and the embeddings (values)."""
    from sklearn.cluster import KMeans

    indices = ctx.test_indices()
    features = ctx.embeddings()[indices]
    y = np.asarray(ctx.dataset.y)[indices]
    k = max(ctx.n_classes, 2)
    if len(indices) <= k:
        raise ModelError(
            f"benchmark {ctx.benchmark.name}: {len(indices)} samples cannot form {k} clusters"
        )
    with ctx.phase("cluster"):
        kmeans = KMeans(n_clusters=k, n_init=KMEANS_RESTARTS, random_state=ctx.seed)
        clusters = kmeans.fit_predict(features)
    predictions = Predictions(
        indices=indices,
        y_true=y,
        fold=ctx.fold_of(indices),
        labels=clusters.astype(int),
        values=features,
    )
    predictions.notes["protocol"] = {
        "embedding_dim": int(features.shape[1]),
        "n_clusters": k,
        "clustering": f"k-means, {KMEANS_RESTARTS} restarts, seed {ctx.seed}",
    }
    return predictions
