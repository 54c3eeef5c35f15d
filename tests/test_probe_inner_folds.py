"""Tuning inside a grouped split groups its inner folds too (issue #19, defect 4).

A subject fingerprint planted in the embeddings (every sample of a subject shares an offset,
and the label is a subject's diagnosis) lets an ungrouped inner search "win" with k=1: the
nearest neighbour is the same subject's other sample. Inner folds grouped like the outer
split cannot see the subject, so the search must rely on the label signal.
"""

from __future__ import annotations

import attrs
import numpy as np
import pytest

from fmbench.data.dataset import Dataset
from fmbench.errors import DataError
from fmbench.evaluation.inner_folds import INNER_FOLDS, inner_folds
from fmbench.evaluation.splits import make_folds
from fmbench.models.config import resolve_model_config
from fmbench.models.handle import load_model
from fmbench.plugin_system.registry import Registry
from fmbench.plugin_system.specs import BenchmarkSpec, SplitSpec
from fmbench.running.suite_run import RunOptions, evaluate_benchmark


def fingerprinted(n_subjects: int = 60, per_subject: int = 10, seed: int = 0) -> Dataset:
    """Subject-level labels, a weak label signal and a strong per-subject fingerprint."""
    rng = np.random.default_rng(seed)
    subject = np.repeat(np.arange(n_subjects), per_subject)
    y = (np.arange(n_subjects) % 2)[subject]
    fingerprint = rng.standard_normal((n_subjects, 12)) * 1.5
    fingerprint[:, :2] = 0.0
    X = fingerprint[subject] + 0.5 * rng.standard_normal((len(y), 12))
    X[:, :2] += (2 * y[:, None] - 1) * 1.0 + rng.standard_normal((n_subjects, 2))[subject] * 0.3
    names = np.array([f"s{s:02d}" for s in subject], dtype=object)
    return Dataset(
        dataset_id="fingerprint",
        X=X,
        y=y,
        metadata={
            "subject_id": names,
            "site": np.array([f"site{s % 3}" for s in subject], dtype=object),
            "sex": np.array(["F" if s % 4 < 2 else "M" for s in subject], dtype=object),
        },
        info={"n_classes": 2, "task": "classification"},
    )


def run_probe(registry: Registry, protocol: str, dataset: Dataset) -> tuple[dict, dict]:
    bm = attrs.evolve(registry.get(BenchmarkSpec, "BM-TOY-CLASS-PROBE"), protocol=protocol)
    model = load_model(registry, resolve_model_config(registry, "raw_features_baseline"))
    outcome = evaluate_benchmark(
        registry, bm, model, RunOptions(progress=False, n_resamples=200), dataset=dataset
    )
    assert outcome.predictions is not None
    return outcome.predictions.notes["protocol"], outcome.record["clinical"]


def test_knn_search_on_a_subject_fingerprint_does_not_pick_k1(core_registry: Registry) -> None:
    notes, clinical = run_probe(core_registry, "knn_probe", fingerprinted())
    chosen_k = [c["n_neighbors"] for c in notes["chosen"]]
    assert len(chosen_k) == 5
    assert 1 not in chosen_k, chosen_k  # ungrouped inner folds chose k=1 in 5 of 5 folds
    thresholds = clinical["youden"]["thresholds"]
    assert len(thresholds) == 5
    assert all(0.0 < t < 1.0 for t in thresholds), thresholds  # k=1 gave 1.0 everywhere
    assert "grouped by subject_id" in notes["inner_folds"]
    assert "grouped by subject_id" in clinical["training_predictions"]


def test_linear_probe_training_predictions_come_from_grouped_inner_folds(
    core_registry: Registry,
) -> None:
    notes, clinical = run_probe(core_registry, "linear_probe", fingerprinted())
    assert "grouped by subject_id" in notes["inner_folds"]
    assert "grouped by subject_id" in clinical["training_predictions"]
    assert all(0.0 < t < 1.0 for t in clinical["youden"]["thresholds"])


# --- the inner folds themselves ---------------------------------------------------------------


def _groups(n_groups: int, per_group: int) -> np.ndarray:
    return np.repeat([f"g{i}" for i in range(n_groups)], per_group).astype(object)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_no_group_is_on_both_sides_of_an_inner_split(task: str) -> None:
    groups = _groups(12, 5)
    y = np.arange(60) % 2 if task == "classification" else np.linspace(0, 1, 60)
    folds = inner_folds(y, groups=groups, group_by="subject", task=task, seed=3, where="t")
    assert len(folds.splits) == INNER_FOLDS
    covered = np.zeros(60, int)
    for train, test in folds.splits:
        assert not set(groups[train]) & set(groups[test])
        covered[test] += 1
    assert (covered == 1).all()  # every training sample is held out exactly once
    assert "grouped by subject" in folds.description


def test_classes_are_stratified_across_grouped_inner_folds_where_they_can_be() -> None:
    groups = _groups(30, 4)
    y = np.repeat(np.arange(30) % 3, 4)  # a subject-level label, three classes
    folds = inner_folds(y, groups=groups, group_by="subject", task="classification", seed=0,
                        where="t")  # fmt: skip
    assert "stratified" in folds.description
    for _, test in folds.splits:
        assert set(y[test]) == {0, 1, 2}


def test_fewer_groups_than_inner_folds_leaves_one_group_out() -> None:
    groups = _groups(2, 6)
    y = np.arange(12) % 2
    folds = inner_folds(y, groups=groups, group_by="site", task="classification", seed=0,
                        where="t")  # fmt: skip
    assert len(folds.splits) == 2
    assert "leave-one-group-out" in folds.description
    for train, test in folds.splits:
        assert len(set(groups[test])) == 1 and not set(groups[train]) & set(groups[test])


def test_one_group_in_a_training_split_cannot_be_tuned_without_leakage() -> None:
    with pytest.raises(DataError, match=r"fold 2: its training split holds 1 'site' group"):
        inner_folds(np.arange(8) % 2, groups=_groups(1, 8), group_by="site",
                    task="classification", seed=0, where="fold 2")  # fmt: skip


def test_without_group_by_the_inner_folds_are_the_earlier_stratified_ones() -> None:
    from sklearn.model_selection import StratifiedKFold

    y = np.arange(30) % 3
    folds = inner_folds(y, groups=None, group_by=None, task="classification", seed=5, where="t")
    expected = StratifiedKFold(3, shuffle=True, random_state=5).split(np.zeros(30), y)
    for (train, test), (e_train, e_test) in zip(folds.splits, expected, strict=True):
        np.testing.assert_array_equal(train, e_train)
        np.testing.assert_array_equal(test, e_test)


def test_same_seed_same_inner_folds() -> None:
    groups, y = _groups(10, 3), np.arange(30) % 2
    a = inner_folds(y, groups=groups, group_by="s", task="classification", seed=1, where="t")
    b = inner_folds(y, groups=groups, group_by="s", task="classification", seed=1, where="t")
    for (tr_a, te_a), (tr_b, te_b) in zip(a.splits, b.splits, strict=True):
        np.testing.assert_array_equal(tr_a, tr_b)
        np.testing.assert_array_equal(te_a, te_b)


def test_grouped_outer_split_passes_its_column_to_the_inner_folds(
    core_registry: Registry,
) -> None:
    """A benchmark grouped by a column the kNN can exploit: the inner folds use that column."""
    dataset = fingerprinted()
    dataset.metadata["donor"] = dataset.metadata["subject_id"]
    bm = attrs.evolve(
        core_registry.get(BenchmarkSpec, "BM-TOY-CLASS-PROBE"),
        protocol="knn_probe",
        split=SplitSpec(method="kfold", folds=5, group_by="donor", stratify=True),
    )
    model = load_model(core_registry, resolve_model_config(core_registry, "raw_features_baseline"))
    outcome = evaluate_benchmark(
        core_registry, bm, model, RunOptions(progress=False, n_resamples=200), dataset=dataset
    )
    assert outcome.predictions is not None
    assert "grouped by donor" in outcome.predictions.notes["protocol"]["inner_folds"]


def test_the_linear_probe_tunes_on_inner_folds_that_keep_subjects_apart(
    core_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the search really receives: each inner split of each outer training part, mapped
    back to the dataset's rows, has no subject on both sides (and the tuning never sees a test
    row of its outer fold). The spy sits between the protocol and the search, so a protocol
    that passed wrong groups, or none, fails here even if ``inner_folds`` itself is right."""
    from fmbench.evaluation import probe_search

    dataset = fingerprinted()
    X = np.asarray(dataset.X)
    row_of = {row.tobytes(): i for i, row in enumerate(X)}
    assert len(row_of) == len(X)  # rows are unique, so features identify samples
    seen: list[tuple[np.ndarray, tuple]] = []
    real = probe_search.tune_logistic

    def spy(X_train, y_train, splits, grid):  # type: ignore[no-untyped-def]
        rows = np.array([row_of[np.asarray(r, dtype=X.dtype).tobytes()] for r in X_train])
        seen.append((rows, tuple(splits)))
        return real(X_train, y_train, splits, grid)

    monkeypatch.setattr(probe_search, "tune_logistic", spy)
    notes, _ = run_probe(core_registry, "linear_probe", dataset)
    subjects = np.asarray(dataset.metadata["subject_id"], dtype=object)
    assert len(seen) == 5
    for rows, splits in seen:
        assert len(splits) == INNER_FOLDS
        for train, held_out in splits:
            assert not set(subjects[rows[train]]) & set(subjects[rows[held_out]])
    bm = core_registry.get(BenchmarkSpec, "BM-TOY-CLASS-PROBE")
    outer = make_folds(dataset, bm.split, seed=RunOptions().seed)
    for (rows, _), fold in zip(seen, outer, strict=True):  # tuned on its training part only
        np.testing.assert_array_equal(np.sort(rows), np.sort(fold.train))
    assert "grouped by subject_id" in notes["inner_folds"]


def sessions_dataset(n_sessions: int, n_subjects: int = 4, per_session: int = 24) -> Dataset:
    """Subjects recorded in several sessions; each session adds its own offset."""
    rng = np.random.default_rng(3)
    n = n_subjects * n_sessions * per_session
    subject = np.repeat(np.arange(n_subjects), n_sessions * per_session)
    session = np.tile(np.repeat(np.arange(n_sessions), per_session), n_subjects)
    y = np.tile(np.arange(per_session) % 2, n_subjects * n_sessions)
    X = (
        rng.standard_normal((n, 6))
        + rng.standard_normal((n_subjects * n_sessions, 6))[subject * n_sessions + session]
    )
    X[:, 0] += y * 1.0
    return Dataset(
        dataset_id="sessions",
        X=X,
        y=y,
        metadata={
            "subject_id": np.array([f"s{s}" for s in subject], dtype=object),
            "run": np.array([f"r{r}" for r in session], dtype=object),
            "site": np.array(["site0"] * n, dtype=object),
            "sex": np.array(["F" if s % 2 else "M" for s in subject], dtype=object),
        },
        info={"n_classes": 2, "task": "classification"},
    )


def test_cross_session_tuning_keeps_the_training_sessions_apart(
    core_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cross-session split tests on a session the model never saw, so its tuning holds out
    whole sessions too (three sessions: each training part holds two, one inner fold each)."""
    from fmbench.evaluation import probe_search

    dataset = sessions_dataset(n_sessions=3)
    X = np.asarray(dataset.X)
    row_of = {row.tobytes(): i for i, row in enumerate(X)}
    seen: list[tuple[np.ndarray, tuple]] = []
    real = probe_search.tune_logistic

    def spy(X_train, y_train, splits, grid):  # type: ignore[no-untyped-def]
        seen.append((np.array([row_of[np.asarray(r).tobytes()] for r in X_train]), tuple(splits)))
        return real(X_train, y_train, splits, grid)

    monkeypatch.setattr(probe_search, "tune_logistic", spy)
    split = SplitSpec(method="cross_session", subject_by="subject_id", session_by="run")
    bm = attrs.evolve(core_registry.get(BenchmarkSpec, "BM-TOY-CLASS-PROBE"), split=split)
    model = load_model(core_registry, resolve_model_config(core_registry, "raw_features_baseline"))
    outcome = evaluate_benchmark(
        core_registry, bm, model, RunOptions(progress=False, n_resamples=50), dataset=dataset
    )
    assert outcome.predictions is not None
    runs = np.asarray(dataset.metadata["run"], dtype=object)
    assert len(seen) == 12  # 4 subjects x 3 held-out sessions
    for rows, splits in seen:
        assert len(splits) == 2
        for train, held_out in splits:
            assert not set(runs[rows[train]]) & set(runs[rows[held_out]])
    assert "grouped by run" in outcome.predictions.notes["protocol"]["inner_folds"]


def test_cross_session_with_one_training_session_is_tuned_inside_it(
    core_registry: Registry,
) -> None:
    split = SplitSpec(method="cross_session", subject_by="subject_id", session_by="run")
    bm = attrs.evolve(core_registry.get(BenchmarkSpec, "BM-TOY-CLASS-PROBE"), split=split)
    model = load_model(core_registry, resolve_model_config(core_registry, "raw_features_baseline"))
    outcome = evaluate_benchmark(
        core_registry,
        bm,
        model,
        RunOptions(progress=False, n_resamples=50),
        dataset=sessions_dataset(n_sessions=2),
    )
    assert outcome.predictions is not None
    described = outcome.predictions.notes["protocol"]["inner_folds"]
    assert (
        described
        == "3 inner folds, stratified (the training part holds one 'run' value: inside it)"
    )
