"""The linear probe's regularisation search gives what the grid search gave (issue #20.6): the
same inner scores, chosen C / alpha, refitted model and held-out predictions, with fewer fits,
and numbers that do not depend on the BLAS thread count."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from fmbench.evaluation.inner_folds import inner_folds
from fmbench.evaluation.probe_search import tune_logistic, tune_ridge


def classification_data(n: int, dim: int, classes: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    means = rng.standard_normal((classes, dim)) * 0.25
    X = (rng.standard_normal((n, dim)) + means[y]).astype(np.float32)  # FM embeddings: float32
    groups = np.array([f"s{i % (n // 4)}" for i in range(n)], dtype=object)
    return X, y, groups


def grid_search_reference(X, y, splits, grid):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    search = GridSearchCV(pipe, {"logisticregression__C": list(grid)}, cv=list(splits),
                          scoring="balanced_accuracy").fit(X, y)  # fmt: skip
    from sklearn.base import clone

    held_out = cross_val_predict(clone(search.best_estimator_), X, y, cv=list(splits),
                                 method="predict_proba")  # fmt: skip
    return search, held_out


@pytest.mark.parametrize(("classes", "seed"), [(2, 0), (4, 1)])
def test_logistic_path_matches_the_grid_search(classes: int, seed: int) -> None:
    X, y, groups = classification_data(240, 30, classes, seed)
    folds = inner_folds(y, groups=groups, group_by="s", task="classification", seed=seed,
                        where="t")  # fmt: skip
    grid = (0.01, 0.1, 1.0, 10.0)
    tuned = tune_logistic(X, y, folds.splits, grid)
    search, held_out = grid_search_reference(X, y, folds.splits, grid)
    assert tuned.chosen == {"C": search.best_params_["logisticregression__C"]}
    # the same fits as the grid search: the same inner scores, model and held-out predictions
    np.testing.assert_array_equal(tuned.mean_scores, search.cv_results_["mean_test_score"])
    np.testing.assert_allclose(tuned.model.predict_proba(X), search.predict_proba(X), atol=1e-12)
    assert tuned.held_out is not None
    np.testing.assert_allclose(tuned.held_out, held_out, atol=1e-12)


def test_ties_go_to_the_first_value_in_grid_order() -> None:
    X = np.r_[np.full((10, 1), -3.0), np.full((10, 1), 3.0)] + np.linspace(0, 0.1, 20)[:, None]
    y = np.r_[np.zeros(10, int), np.ones(10, int)]
    splits = ((np.r_[0:5, 10:15], np.r_[5:10, 15:20]), (np.r_[5:10, 15:20], np.r_[0:5, 10:15]))
    # separable: every C scores 1.0; GridSearchCV keeps the first listed, so must the path
    assert tune_logistic(X, y, splits, (10.0, 0.01)).chosen == {"C": 10.0}
    assert tune_logistic(X, y, splits, (0.01, 10.0)).chosen == {"C": 0.01}


def test_an_inner_fold_with_one_class_is_left_out_and_its_rows_are_not_predicted() -> None:
    X, y, _ = classification_data(60, 5, 2, 3)
    positives, negatives = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    half = len(negatives) // 2
    parts = (positives, negatives[:half], negatives[half:])
    splits = tuple(
        (np.sort(np.concatenate([p for j, p in enumerate(parts) if j != i])), parts[i])
        for i in range(3)
    )  # holding out every positive leaves a training part with one class
    tuned = tune_logistic(X, y, splits, (0.1, 1.0))
    assert tuned.held_out is not None
    assert np.isnan(tuned.held_out[positives]).all()
    assert np.isfinite(tuned.held_out[negatives]).all()


@pytest.mark.parametrize("outputs", [1, 3])
def test_ridge_path_in_closed_form_equals_the_ridge_grid_search(outputs: int) -> None:
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(7)
    X = rng.standard_normal((150, 40))
    y = X[:, :outputs] @ np.ones((outputs, outputs)) * 0.3 + rng.standard_normal((150, outputs))
    y = y[:, 0] if outputs == 1 else y
    folds = inner_folds(y, groups=None, group_by=None, task="regression", seed=2, where="t")
    grid = (0.1, 1.0, 10.0, 100.0)
    tuned = tune_ridge(X, y, folds.splits, grid)
    search = GridSearchCV(make_pipeline(StandardScaler(), Ridge()), {"ridge__alpha": list(grid)},
                          cv=list(folds.splits), scoring="r2").fit(X, y)  # fmt: skip
    np.testing.assert_allclose(tuned.mean_scores, search.cv_results_["mean_test_score"], rtol=1e-9)
    assert tuned.chosen == {"alpha": search.best_params_["ridge__alpha"]}
    np.testing.assert_allclose(tuned.model.predict(X), search.predict(X), rtol=1e-12)


def test_the_search_does_not_depend_on_the_blas_thread_count() -> None:
    X, y, groups = classification_data(400, 64, 3, 5)
    folds = inner_folds(y, groups=groups, group_by="s", task="classification", seed=0,
                        where="t")  # fmt: skip
    runs = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            tuned = tune_logistic(X, y, folds.splits, (0.01, 0.1, 1.0, 10.0))
        assert tuned.held_out is not None
        runs.append((tuned.chosen, tuned.model.predict_proba(X), tuned.held_out))
    assert runs[0][0] == runs[1][0]
    assert np.max(np.abs(runs[0][1] - runs[1][1])) <= 1e-12
    assert np.max(np.abs(runs[0][2] - runs[1][2])) <= 1e-12


def test_the_linear_probe_protocol_gives_the_grid_searchs_numbers(core_registry) -> None:  # type: ignore[no-untyped-def]
    """End to end through ``linear_probe``: per outer fold, the C that ``GridSearchCV`` picks on
    the same grouped inner folds, its test probabilities and its inner cross-validated
    training predictions (what clinical thresholds are chosen on), to 1e-10."""
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from fmbench.data.dataset import Dataset
    from fmbench.evaluation.protocols import PROBE_C_GRID
    from fmbench.evaluation.splits import make_folds
    from fmbench.models.config import resolve_model_config
    from fmbench.models.handle import load_model
    from fmbench.plugin_system.specs import BenchmarkSpec
    from fmbench.running.suite_run import RunOptions, evaluate_benchmark

    X, y, subjects = classification_data(300, 16, 2, 11)
    X = X.astype(np.float64)
    dataset = Dataset(
        dataset_id="probe-equivalence",
        X=X,
        y=y,
        metadata={
            "subject_id": subjects,
            "site": np.array([f"site{i % 3}" for i in range(len(y))], dtype=object),
            "sex": np.array(["F" if i % 2 else "M" for i in range(len(y))], dtype=object),
        },
        info={"n_classes": 2, "task": "classification"},
    )
    bm = core_registry.get(BenchmarkSpec, "BM-TOY-CLASS-PROBE")
    model = load_model(core_registry, resolve_model_config(core_registry, "raw_features_baseline"))
    options = RunOptions(progress=False, n_resamples=50)
    outcome = evaluate_benchmark(core_registry, bm, model, options, dataset=dataset)
    predictions = outcome.predictions
    assert predictions is not None and predictions.training is not None
    assert predictions.proba is not None
    position = {int(i): p for p, i in enumerate(predictions.indices)}
    folds = make_folds(dataset, bm.split, seed=options.seed)
    assert len(predictions.notes["protocol"]["chosen"]) == len(folds)
    for number, fold in enumerate(folds):
        inner = inner_folds(y[fold.train], groups=subjects[fold.train], group_by="subject_id",
                            task="classification", seed=options.seed, where="t")  # fmt: skip
        pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        search = GridSearchCV(pipe, {"logisticregression__C": list(PROBE_C_GRID)},
                              cv=list(inner.splits), scoring="balanced_accuracy")  # fmt: skip
        search.fit(X[fold.train], y[fold.train])
        chosen = predictions.notes["protocol"]["chosen"][number]
        assert chosen == {"C": search.best_params_["logisticregression__C"]}
        rows = [position[int(i)] for i in fold.test]
        np.testing.assert_allclose(
            predictions.proba[rows], search.predict_proba(X[fold.test]), rtol=0, atol=1e-10
        )
        held_out = cross_val_predict(clone(search.best_estimator_), X[fold.train], y[fold.train],
                                     cv=list(inner.splits), method="predict_proba")  # fmt: skip
        mine = predictions.training.proba[predictions.training.fold == number]
        np.testing.assert_allclose(mine, held_out, rtol=0, atol=1e-10)
