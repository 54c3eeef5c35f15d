"""MOABB's evaluation paradigms (within-session, cross-session, cross-subject) as splits, the
checks that refuse leaking folds (a predefined split grouped by subject included, #19.5),
the parse-time errors of the ``split:`` block, and MOABB's per-unit scores in the record."""

from __future__ import annotations

from pathlib import Path

import attrs
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from fmbench.data.dataset import Dataset
from fmbench.errors import ConfigError, DataError
from fmbench.evaluation.paradigms import check_folds
from fmbench.evaluation.splits import Fold, make_folds
from fmbench.models.config import read_model_config
from fmbench.models.handle import load_model
from fmbench.plugin_system.definitions import parse_benchmark
from fmbench.plugin_system.specs import BenchmarkSpec, MetricsDeclaration, SplitSpec
from fmbench.running.suite_run import RunOptions, evaluate_benchmark
from fmbench.statistics.intervals import bootstrap_unit

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "configs" / "model_raw_features.yaml"


def sessions_dataset(
    n_subjects: int = 6, n_sessions: int = 3, per_session: int = 10, seed: int = 0
) -> Dataset:
    """Subjects x sessions x trials; the label shifts feature 0, each subject and session
    shifts every feature (a fingerprint a leaking split would exploit)."""
    rng = np.random.default_rng(seed)
    subject, session, y, X = [], [], [], []
    for s in range(n_subjects):
        offset = rng.normal(0, 3, 4)
        for t in range(n_sessions):
            drift = rng.normal(0, 1, 4)
            labels = np.arange(per_session) % 2
            X.append(offset + drift + rng.normal(0, 1, (per_session, 4)) + np.c_[labels * 1.2])
            y.append(labels)
            subject += [f"S{s:02d}"] * per_session
            session += [f"R{t}"] * per_session
    return Dataset(
        dataset_id="DS-SESSIONS",
        X=np.vstack(X).astype(np.float32),
        y=np.concatenate(y),
        metadata={
            "subject_id": np.array(subject, dtype=object),
            "session": np.array(session, dtype=object),
        },
        info={"task": "classification", "n_classes": 2},
    )


def labels(ds: Dataset, column: str) -> np.ndarray:
    return np.asarray(ds.metadata[column]).astype(str)


# --- #19.5: a predefined split grouped by subject is checked ---------------------------------


def test_predefined_split_with_subjects_on_both_sides_is_refused() -> None:
    ds = sessions_dataset(n_subjects=10, n_sessions=2)
    ds = attrs.evolve(ds, split=np.where(labels(ds, "session") == "R0", "train", "test"))
    split = SplitSpec(method="predefined", group_by="subject_id")
    with pytest.raises(DataError) as caught:
        make_folds(ds, split, seed=0)
    message = str(caught.value)
    assert "\n" not in message
    assert "predefined split puts 10 'subject_id' values on both sides" in message
    assert "S00, S01, S02, S03, S04, ..." in message
    assert "remove split.group_by" in message


def test_predefined_split_with_disjoint_subjects_passes() -> None:
    ds = sessions_dataset(n_subjects=10, n_sessions=2)
    ds = attrs.evolve(ds, split=np.where(labels(ds, "subject_id") < "S07", "train", "test"))
    (fold,) = make_folds(ds, SplitSpec(method="predefined", group_by="subject_id"), seed=0)
    subjects = labels(ds, "subject_id")
    assert not set(subjects[fold.train]) & set(subjects[fold.test])
    assert len(fold.test) == 3 * 20


# --- within_session ----------------------------------------------------------------------------


def test_within_session_folds_stay_inside_each_session_of_each_subject() -> None:
    ds = sessions_dataset()
    split = SplitSpec(method="within_session", subject_by="subject_id", session_by="session")
    folds = make_folds(ds, split, seed=7)
    assert len(folds) == 6 * 3 * 5  # K folds per session of each subject
    unit = np.char.add(labels(ds, "subject_id"), labels(ds, "session"))
    for fold in folds:
        assert len(set(unit[np.concatenate([fold.train, fold.test])])) == 1
        assert not set(fold.train) & set(fold.test)
        assert set(ds.y[fold.test]) == {0, 1}  # stratified: 10 trials, 5 per class, 5 folds
    tested = np.sort(np.concatenate([f.test for f in folds]))
    assert np.array_equal(tested, np.arange(ds.n_samples))
    # MOABB's splitter on one session: StratifiedKFold(5, shuffle=True, random_state=seed)
    from sklearn.model_selection import StratifiedKFold

    first = np.flatnonzero(unit == "S00R0")
    expected = [
        first[np.sort(te)]
        for _, te in StratifiedKFold(5, shuffle=True, random_state=7).split(first, ds.y[first])
    ]
    assert [f.test.tolist() for f in folds[:5]] == [e.tolist() for e in expected]
    assert [f.test.tolist() for f in make_folds(ds, split, seed=7)] == [
        f.test.tolist() for f in folds
    ]


def test_within_session_without_session_column_is_one_session_per_subject() -> None:
    ds = sessions_dataset()
    folds = make_folds(
        ds, SplitSpec(method="within_session", subject_by="subject_id", folds=3), seed=0
    )
    subjects = labels(ds, "subject_id")
    assert len(folds) == 6 * 3
    assert all(len(f.train) + len(f.test) == 30 for f in folds)
    assert all(len(set(subjects[np.concatenate([f.train, f.test])])) == 1 for f in folds)


def test_within_session_refuses_small_or_single_class_sessions() -> None:
    ds = sessions_dataset(per_session=4)
    split = SplitSpec(method="within_session", subject_by="subject_id", session_by="session")
    with pytest.raises(DataError, match="subject S00, session R0 has 4 samples, fewer than the 5"):
        make_folds(ds, split, seed=0)
    one_class = attrs.evolve(ds, y=(labels(ds, "session") == "R1").astype(int))
    with pytest.raises(DataError, match="session R0 holds one class only"):
        make_folds(one_class, attrs.evolve(split, folds=2), seed=0)


def test_check_folds_refuses_a_within_session_fold_that_mixes_sessions() -> None:
    ds = sessions_dataset()
    split = SplitSpec(method="within_session", subject_by="subject_id", session_by="session")
    mixed = Fold(train=np.arange(0, 8), test=np.arange(8, 14))  # S00: sessions R0 and R1
    with pytest.raises(DataError, match="fold 0 mixes sessions"):
        check_folds(ds, split, [mixed])
    across = Fold(train=np.arange(0, 8), test=np.array([30]))  # S01's first trial
    with pytest.raises(DataError, match="fold 0 mixes subjects"):
        check_folds(ds, split, [across])


# --- cross_session -------------------------------------------------------------------------------


def test_cross_session_holds_out_each_session_and_trains_on_the_others() -> None:
    ds = sessions_dataset()
    split = SplitSpec(method="cross_session", subject_by="subject_id", session_by="session")
    folds = make_folds(ds, split, seed=0)
    subjects, sessions = labels(ds, "subject_id"), labels(ds, "session")
    assert len(folds) == 6 * 3
    for fold in folds:
        assert len(set(subjects[np.concatenate([fold.train, fold.test])])) == 1
        assert len(set(sessions[fold.test])) == 1
        assert set(sessions[fold.train]) == {"R0", "R1", "R2"} - set(sessions[fold.test])
    with pytest.raises(DataError, match="fold 0 trains on its test session"):
        check_folds(ds, split, [Fold(train=np.arange(0, 12), test=np.arange(5, 10))])


def test_cross_session_needs_two_sessions_per_subject() -> None:
    ds = sessions_dataset()
    keep = ~((labels(ds, "subject_id") == "S03") & (labels(ds, "session") != "R0"))
    ds = Dataset(
        dataset_id=ds.dataset_id, X=ds.X[keep], y=ds.y[keep],
        metadata={k: np.asarray(v)[keep] for k, v in ds.metadata.items()},
    )  # fmt: skip
    split = SplitSpec(method="cross_session", subject_by="subject_id", session_by="session")
    with pytest.raises(DataError, match=r"1 subjects have a single 'session' value \(S03\)"):
        make_folds(ds, split, seed=0)


# --- cross_subject -------------------------------------------------------------------------------


def test_cross_subject_leaves_one_subject_out_by_default() -> None:
    ds = sessions_dataset()
    split = SplitSpec(method="cross_subject", group_by="subject_id")
    assert split.folds == "loo"
    folds = make_folds(ds, split, seed=0)
    subjects = labels(ds, "subject_id")
    assert [sorted(set(subjects[f.test])) for f in folds] == [[f"S{i:02d}"] for i in range(6)]
    for fold in folds:
        assert not set(subjects[fold.train]) & set(subjects[fold.test])
        assert len(fold.train) + len(fold.test) == ds.n_samples


def test_cross_subject_with_k_folds_is_the_grouped_kfold() -> None:
    ds = sessions_dataset()
    paradigm = make_folds(
        ds, SplitSpec(method="cross_subject", group_by="subject_id", folds=3), seed=5
    )
    kfold = make_folds(ds, SplitSpec(method="kfold", group_by="subject_id", folds=3), seed=5)
    assert [f.test.tolist() for f in paradigm] == [f.test.tolist() for f in kfold]


def test_a_missing_subject_column_names_the_role() -> None:
    ds = sessions_dataset()
    split = SplitSpec(method="cross_session", subject_by="subject", session_by="session")
    with pytest.raises(DataError, match="takes its subjects from 'subject'.*subject_id"):
        make_folds(ds, split, seed=0)


# --- the split: block, parsed ------------------------------------------------------------------

BENCHMARK = {
    "benchmark_id": "BM-X",
    "task": "classification",
    "dataset": "DS-X",
    "metrics": {"primary": "AUROC"},
}


@pytest.mark.parametrize(
    ("split", "message"),
    [
        ({"method": "within_sessions"}, "split.method must be one of none, predefined"),
        ({"method": "within_session"}, "split.subject_by: a within_session split needs"),
        (
            {"method": "within_session", "subject_by": "s", "group_by": "s"},
            "split.group_by: a within_session split trains inside one subject",
        ),
        (
            {"method": "cross_session", "subject_by": "s"},
            "split.session_by: a cross_session split needs the session column",
        ),
        (
            {"method": "cross_session", "subject_by": "s", "session_by": "r", "folds": 3},
            "split.folds: a cross_session split holds out each session",
        ),
        ({"method": "cross_subject"}, "split.group_by: a cross_subject split needs"),
        (
            {"method": "cross_subject", "subject_by": "s"},
            "cross_subject names its subjects with group_by",
        ),
        ({"method": "kfold", "folds": "loo"}, "split.folds: 'loo' is for cross_subject"),
        (
            {"method": "cross_subject", "group_by": "s", "folds": 1},
            "split.folds must be at least 2",
        ),
        ({"method": "kfold", "session_by": "r"}, "split.session_by is read by within_session"),
        (
            {"method": "within_session", "subject_by": "s", "session_by": "s"},
            "split.session_by: the session column cannot be the subject column",
        ),
        ({"method": "kfold", "stratify": "yes"}, "split.stratify must be true or false"),
        ({"method": "holdout", "test_size": 2}, "split.test_size must be a fraction in (0, 1)"),
    ],
)
def test_split_mistakes_are_one_line_errors_naming_file_and_field(
    split: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_benchmark({**BENCHMARK, "split": split}, source="defs/bm_x.yaml")
    text = str(caught.value)
    assert text.startswith("benchmark defs/bm_x.yaml: split.")
    assert message in text and "\n" not in text


def test_paradigm_splits_parse_and_resample_subjects() -> None:
    parsed = {
        method: parse_benchmark({**BENCHMARK, "split": block}, source="bm.yaml")
        for method, block in {
            "within": {"method": "within_session", "subject_by": "subject_id", "folds": 4},
            "cross_session": {
                "method": "cross_session", "subject_by": "subject_id", "session_by": "run",
            },
            "loso": {"method": "cross_subject", "group_by": "subject_id", "folds": "LOO"},
        }.items()
    }  # fmt: skip
    assert parsed["within"].split.folds == 4 and parsed["loso"].split.folds == "loo"
    assert all(bootstrap_unit(bm) == "subject_id" for bm in parsed.values())
    assert parsed["cross_session"].split.as_record()["session_by"] == "run"
    assert "subject_by" not in SplitSpec(method="kfold").as_record()
    with pytest.raises(ConfigError, match=r"bootstrap.unit: a within_session split resamples"):
        parse_benchmark(
            {
                **BENCHMARK,
                "split": {"method": "within_session", "subject_by": "subject_id"},
                "bootstrap": {"unit": "sample"},
            },
            source="bm.yaml",
        )


# --- a run: pooled metrics and MOABB's per-unit scores --------------------------------------


def run_benchmark(core_registry, split: SplitSpec, ds: Dataset):  # type: ignore[no-untyped-def]
    bm = BenchmarkSpec(
        name="BM-PARADIGM", summary="paradigm test", task="classification", dataset="DS-X",
        metrics=MetricsDeclaration(primary="AUROC", secondary=["Accuracy"]),
        protocol="linear_probe", protocol_options={"C": [1.0]}, split=split,
    )  # fmt: skip
    model = load_model(core_registry, read_model_config(RAW))
    options = RunOptions(progress=False, n_resamples=200, use_cache=False)
    return evaluate_benchmark(core_registry, bm, model, options, dataset=ds)


def test_within_session_run_reports_moabb_scores_beside_the_pooled_metrics(core_registry) -> None:
    ds = sessions_dataset(n_subjects=5, n_sessions=2, per_session=12)
    split = SplitSpec(
        method="within_session", subject_by="subject_id", session_by="session", folds=3
    )
    outcome = run_benchmark(core_registry, split, ds)
    record, pred = outcome.record, outcome.predictions
    assert record["split"]["method"] == "within_session" and record["split"]["n_folds"] == 30
    assert record["interval_method"]["unit"] == "subject_id"
    block = record["paradigm_scores"]
    assert block["unit"] == ["subject_id", "session"] and block["n_units"] == 10
    assert block["n_subjects"] == 5 and block["interval_method"]["unit"] == "subject_id"
    # each unit's AUROC is the mean of its fold AUROCs (MOABB), recomputed with scikit-learn
    subjects, sessions = labels(ds, "subject_id"), labels(ds, "session")
    by_index = dict(zip(pred.indices.tolist(), range(len(pred.indices)), strict=True))
    expected = []
    for unit in block["units"]:
        scores = []
        for fold in make_folds(ds, split, seed=42):
            rows = [by_index[i] for i in fold.test.tolist()]
            if (
                subjects[fold.test[0]] == unit["subject"]
                and sessions[fold.test[0]] == unit["session"]
            ):
                scores.append(roc_auc_score(pred.y_true[rows], pred.proba[rows, 1]))
        assert unit["n_folds"] == len(scores) == 3
        assert unit["scores"]["AUROC"] == pytest.approx(np.mean(scores), abs=1e-6)
        expected.append(np.mean(scores))
    assert block["mean"]["AUROC"] == pytest.approx(np.mean(expected), abs=1e-6)
    assert block["std"]["AUROC"] == pytest.approx(np.std(expected, ddof=1), abs=1e-5)
    lo, hi = block["intervals"]["AUROC"]
    assert lo <= block["mean"]["AUROC"] <= hi
    assert record["metrics"]["AUROC"] > 0.65  # pooled out-of-fold predictions


def test_cross_subject_run_scores_each_held_out_subject(core_registry) -> None:
    ds = sessions_dataset(n_subjects=4, n_sessions=2, per_session=12)
    split = SplitSpec(method="cross_subject", group_by="subject_id")
    outcome = run_benchmark(core_registry, split, ds)
    block = outcome.record["paradigm_scores"]
    assert outcome.record["split"]["n_folds"] == 4 and outcome.record["split"]["folds"] == "loo"
    assert [u["subject"] for u in block["units"]] == ["S00", "S01", "S02", "S03"]
    assert all(u["n_folds"] == 1 and u["n"] == 24 for u in block["units"])
    assert block["intervals"]["AUROC"] is None  # 4 subjects: too few to resample
    assert "an interval needs 5" in block["intervals_undefined"]["AUROC"]


def test_interval_of_the_mean_treats_subjects_as_the_units() -> None:
    from scipy import stats

    from fmbench.statistics.paradigm_scores import mean_interval

    rng = np.random.default_rng(3)
    values = rng.uniform(0.6, 0.9, 8)
    interval, reason = mean_interval(values, np.arange(8).astype(str))
    expected = stats.t.interval(0.95, 7, loc=values.mean(), scale=stats.sem(values))
    assert reason is None and interval == pytest.approx(list(expected), abs=1e-6)
    # two units per subject: the subject, not the unit, is the independent draw
    paired = np.repeat(values, 2)
    wide, _ = mean_interval(paired, np.repeat(np.arange(8), 2).astype(str))
    naive, _ = mean_interval(paired, np.arange(16).astype(str))
    assert wide is not None and naive is not None
    assert wide[1] - wide[0] > 1.3 * (naive[1] - naive[0])
    # bounded metrics stay in range; undefined units are left out; too few or no spread: null
    top, _ = mean_interval(np.array([1.0, 0.99, 1.0, 0.9, 1.0]), np.array(list("abcde")),
                           bounds=(0.0, 1.0))  # fmt: skip
    assert top is not None and top[1] == 1.0
    assert mean_interval(np.array([0.7, np.nan, 0.8, 0.9]), np.array(list("abcd")))[0] is None
    assert mean_interval(np.full(6, 0.75), np.array(list("abcdef")))[1] == (
        "every unit scores 0.75: a zero-width interval says nothing"
    )
