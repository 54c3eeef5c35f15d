"""Bootstrap intervals: weighted metrics agree with scikit-learn on resamples, intervals agree
with a slow reference loop, the cluster bootstrap resamples subjects, undefined resamples."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from fmbench.evaluation.protocols import Predictions
from fmbench.plugin_system.registry import build_registry
from fmbench.plugin_system.specs import MetricSpec
from fmbench.statistics import bootstrap as bs


@pytest.fixture(scope="module")
def registry():  # type: ignore[no-untyped-def]
    return build_registry(external=False)


def _classification(n: int, k: int, seed: int, ties: bool = False) -> Predictions:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    proba = rng.dirichlet(np.ones(k), n)
    proba[np.arange(n), y] += rng.random(n)  # some signal
    proba /= proba.sum(axis=1, keepdims=True)
    if ties:
        proba = np.round(proba, 1)
        proba[:, -1] = 1 - proba[:, :-1].sum(axis=1)
    return Predictions(
        indices=np.arange(n), y_true=y, fold=np.zeros(n, int), proba=proba,
        labels=proba.argmax(axis=1),
    )  # fmt: skip


def _regression(n: int, seed: int, outputs: int = 1) -> Predictions:
    rng = np.random.default_rng(seed)
    y = rng.normal(size=(n, outputs)).squeeze()
    values = y + rng.normal(scale=0.8, size=y.shape)
    return Predictions(indices=np.arange(n), y_true=y, fold=np.zeros(n, int), values=values)


def _sklearn_reference(name: str, y: np.ndarray, p: Predictions, idx: np.ndarray) -> float:
    yy = y[idx]
    if name == "AUROC":
        proba = p.proba[idx]
        if proba.shape[1] == 2:
            return float(skm.roc_auc_score(yy, proba[:, 1]))
        present = np.unique(yy)
        return float(np.mean([skm.roc_auc_score(yy == c, proba[:, c]) for c in present]))
    if name == "Accuracy":
        return float(skm.accuracy_score(yy, p.labels[idx]))
    if name == "BalancedAccuracy":
        return float(skm.balanced_accuracy_score(yy, p.labels[idx]))
    if name == "F1-Score":
        return float(skm.f1_score(yy, p.labels[idx], average="macro", zero_division=0.0))
    if name == "Brier":
        proba = p.proba[idx]
        if proba.shape[1] == 2:
            return float(skm.brier_score_loss(yy, proba[:, 1]))
        return float(skm.brier_score_loss(yy, proba, labels=np.arange(proba.shape[1])))
    if name == "MSE":
        return float(skm.mean_squared_error(yy, p.values[idx]))
    if name == "MAE":
        return float(skm.mean_absolute_error(yy, p.values[idx]))
    if name == "R2":
        return float(skm.r2_score(yy, p.values[idx]))
    if name == "PearsonR":
        return float(np.corrcoef(yy.ravel(), p.values[idx].ravel())[0, 1])
    raise AssertionError(name)


CLASSIFICATION = ["AUROC", "Accuracy", "BalancedAccuracy", "F1-Score", "Brier"]


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("name", CLASSIFICATION)
def test_weighted_classification_metrics_match_sklearn(registry, name, k, ties) -> None:  # type: ignore[no-untyped-def]
    p = _classification(150, k, seed=k + 10 * ties, ties=ties)
    spec = registry.get(MetricSpec, name)
    scorer = bs.metric_scorer(spec)
    W = np.concatenate(list(bs.resample_weights(150, 12, 5)))
    from fmbench.evaluation.scoring import metric_input

    got = scorer(p.y_true, metric_input(spec, p), W)
    for row in range(W.shape[0]):
        idx = np.repeat(np.arange(150), W[row].astype(int))
        assert got[row] == pytest.approx(_sklearn_reference(name, p.y_true, p, idx), abs=1e-10)


@pytest.mark.parametrize("outputs", [1, 3])
@pytest.mark.parametrize("name", ["MSE", "MAE", "R2", "PearsonR"])
def test_weighted_regression_metrics_match_reference(registry, name, outputs) -> None:  # type: ignore[no-untyped-def]
    p = _regression(120, seed=outputs, outputs=outputs)
    spec = registry.get(MetricSpec, name)
    W = np.concatenate(list(bs.resample_weights(120, 10, 9)))
    got = bs.metric_scorer(spec)(p.y_true, p.values, W)
    for row in range(W.shape[0]):
        idx = np.repeat(np.arange(120), W[row].astype(int))
        assert got[row] == pytest.approx(_sklearn_reference(name, p.y_true, p, idx), abs=1e-9)


def test_unit_weights_reproduce_the_point_metric(registry) -> None:  # type: ignore[no-untyped-def]
    from fmbench.evaluation.scoring import metric_input, score_one

    p = _classification(200, 3, seed=1)
    for name in [*CLASSIFICATION, "ECE"]:
        spec = registry.get(MetricSpec, name)
        got = bs.metric_scorer(spec)(p.y_true, metric_input(spec, p), np.ones((1, 200)))
        assert got[0] == pytest.approx(score_one(spec, p), abs=1e-6)


def test_intervals_agree_with_a_slow_reference_loop(registry) -> None:  # type: ignore[no-untyped-def]
    p = _classification(300, 2, seed=3)
    names = ["AUROC", "BalancedAccuracy"]
    specs = {n: registry.get(MetricSpec, n) for n in names}
    seed = bs.rng_seed(7, "BM-REF")
    got = bs.bootstrap_intervals(specs, p, seed=seed, n_resamples=400)
    W = np.concatenate(list(bs.resample_weights(300, 400, seed)))
    for name in names:
        values = []
        for row in range(400):  # the slow way: index the resample, call scikit-learn
            idx = np.repeat(np.arange(300), W[row].astype(int))
            values.append(_sklearn_reference(name, p.y_true, p, idx))
        lo, hi = np.percentile(values, [2.5, 97.5])
        assert got[name].interval == pytest.approx((lo, hi), abs=2e-6)
        assert got[name].n_used == 400


def test_resamples_are_seeded_and_independent_of_threads(registry, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    p = _classification(2000, 2, seed=4)
    specs = {"AUROC": registry.get(MetricSpec, "AUROC")}
    monkeypatch.setattr(bs, "CHUNK_CELLS", 50_000)  # many chunks
    monkeypatch.setenv("FMBENCH_BOOTSTRAP_THREADS", "1")
    one = bs.bootstrap_distribution(specs, p, seed=bs.rng_seed(1, "BM"), n_resamples=300)
    monkeypatch.setenv("FMBENCH_BOOTSTRAP_THREADS", "4")
    four = bs.bootstrap_distribution(specs, p, seed=bs.rng_seed(1, "BM"), n_resamples=300)
    other = bs.bootstrap_distribution(specs, p, seed=bs.rng_seed(1, "BM-2"), n_resamples=300)
    assert np.array_equal(one["AUROC"], four["AUROC"])
    assert not np.array_equal(one["AUROC"], other["AUROC"])


def _clustered() -> tuple[Predictions, np.ndarray]:
    """20 subjects x 50 samples; a subject's samples are all right or all wrong."""
    subjects = np.repeat(np.arange(20), 50)
    right = np.repeat(np.arange(20) % 2 == 0, 50)  # 10 subjects right, 10 wrong
    y = np.tile([0, 1], 500)
    labels = np.where(right, y, 1 - y)
    p = Predictions(indices=np.arange(1000), y_true=y, fold=np.zeros(1000, int), labels=labels)
    return p, np.array([f"sub-{s:02d}" for s in subjects])


def test_cluster_bootstrap_resamples_subjects() -> None:
    _p, units = _clustered()
    codes, n_units = bs.unit_codes(units, 1000)
    for W in bs.resample_weights(1000, 50, 0, codes=codes, n_units=n_units):
        for s in range(20):  # every sample of a subject has its subject's count
            block = W[:, codes == codes[s * 50]]
            assert np.all(block == block[:, :1])
        assert np.all(W.sum(axis=1) % 50 == 0)  # whole subjects drawn


def test_cluster_and_sample_bootstraps_differ_where_subjects_correlate(registry) -> None:  # type: ignore[no-untyped-def]
    p, units = _clustered()
    specs = {"Accuracy": registry.get(MetricSpec, "Accuracy")}
    by_sample = bs.bootstrap_intervals(specs, p, seed=1, n_resamples=1000)["Accuracy"]
    by_subject = bs.bootstrap_intervals(specs, p, seed=1, n_resamples=1000, units=units)["Accuracy"]
    width_sample = by_sample.interval[1] - by_sample.interval[0]
    width_subject = by_subject.interval[1] - by_subject.interval[0]
    # 1000 independent samples: +-0.03; 20 independent subjects: about +-0.22
    assert width_sample < 0.08
    assert width_subject > 0.3


def test_undefined_resamples_are_skipped_and_counted(registry) -> None:  # type: ignore[no-untyped-def]
    y = np.array([0] * 28 + [1, 1])  # two positives: some resamples have none
    proba1 = np.linspace(0.1, 0.9, 30)
    p = Predictions(indices=np.arange(30), y_true=y, fold=np.zeros(30, int),
                    proba=np.c_[1 - proba1, proba1])  # fmt: skip
    res = bs.bootstrap_intervals({"AUROC": registry.get(MetricSpec, "AUROC")}, p, seed=2)["AUROC"]
    assert 0 < res.n_used < 1000
    assert res.interval is not None


def test_all_undefined_gives_null_with_reason(registry) -> None:  # type: ignore[no-untyped-def]
    p = Predictions(indices=np.arange(10), y_true=np.zeros(10, int), fold=np.zeros(10, int),
                    proba=np.full((10, 2), 0.5))  # fmt: skip
    res = bs.bootstrap_intervals({"AUROC": registry.get(MetricSpec, "AUROC")}, p, seed=2)["AUROC"]
    assert res.interval is None
    assert res.n_used == 0
    assert "undefined in every resample" in (res.reason or "")
    no_proba = Predictions(indices=np.arange(10), y_true=np.zeros(10, int),
                           fold=np.zeros(10, int), labels=np.zeros(10, int))  # fmt: skip
    res = bs.bootstrap_intervals({"AUROC": registry.get(MetricSpec, "AUROC")}, no_proba, seed=2)
    assert res["AUROC"].interval is None
    assert "probabilities" in (res["AUROC"].reason or "")


def test_plugin_metric_without_weighted_form_falls_back_to_a_loop(registry) -> None:  # type: ignore[no-untyped-def]
    import attrs

    spec = attrs.evolve(registry.get(MetricSpec, "Accuracy"), weighted=None)
    p = _classification(100, 2, seed=8)
    slow = bs.bootstrap_intervals({"A": spec}, p, seed=3, n_resamples=200)["A"]
    fast = bs.bootstrap_intervals(
        {"A": registry.get(MetricSpec, "Accuracy")}, p, seed=3, n_resamples=200
    )["A"]
    assert slow.interval == fast.interval


def test_bootstrap_unit_comes_from_the_benchmark() -> None:
    from fmbench.errors import ConfigError, DataError
    from fmbench.plugin_system.definitions import parse_benchmark
    from fmbench.statistics.intervals import bootstrap_unit, sample_units

    base = {
        "benchmark_id": "BM-U", "task": "classification", "dataset": "D",
        "metrics": {"primary": "AUROC"},
    }  # fmt: skip
    assert bootstrap_unit(parse_benchmark(base, source="t")) is None
    grouped = {**base, "split": {"method": "kfold", "group_by": "subject_id"}}
    assert bootstrap_unit(parse_benchmark(grouped, source="t")) == "subject_id"
    forced = {**grouped, "bootstrap": {"unit": "sample"}}
    assert bootstrap_unit(parse_benchmark(forced, source="t")) is None
    named = parse_benchmark(
        {**base, "bootstrap": {"unit": "donor", "n_resamples": 200}}, source="t"
    )
    assert bootstrap_unit(named) == "donor"
    assert named.bootstrap.n_resamples == 200
    with pytest.raises(ConfigError, match="bootstrap"):
        parse_benchmark({**base, "bootstrap": {"confidence": 1.5}}, source="t")
    with pytest.raises(ConfigError, match="bootstrap"):
        parse_benchmark({**base, "bootstrap": {"units": "x"}}, source="t")
    from fmbench.data.dataset import Dataset

    ds = Dataset(dataset_id="d", X=np.zeros((4, 1)), y=np.array([0, 1, 0, 1]),
                 metadata={"site": np.array(list("aabb"), dtype=object)})  # fmt: skip
    with pytest.raises(DataError, match="no such metadata column"):
        sample_units(named, ds, np.arange(4))
