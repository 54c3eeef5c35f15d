"""Intervals that hold at the boundary (issue #19, defects 1, 2 and 10): closed forms for
proportions and the binary AUROC, coverage of small seeded simulations, the design effect
of clustered samples, degenerate intervals flagged, half-sampling without duplicates, and a
subgroup flag that keeps its false-positive rate with many equal groups.

The percentile bootstrap these replace gave AUROC 1.0 [1.0, 1.0] for a perfect classifier
and covered a true accuracy of 0.98 on 50 samples in 59 % of datasets.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest

from fmbench.evaluation.protocols import Predictions
from fmbench.plugin_system.registry import build_registry
from fmbench.plugin_system.specs import BenchmarkSpec, DatasetSpec, MetricSpec
from fmbench.statistics import score_intervals as si
from fmbench.statistics.metric_intervals import metric_intervals


@pytest.fixture(scope="module")
def registry():  # type: ignore[no-untyped-def]
    return build_registry(external=False)


def _specs(registry, *names: str):  # type: ignore[no-untyped-def]
    return {name: registry.get(MetricSpec, name) for name in names}


def _binary(y: np.ndarray, p1: np.ndarray) -> Predictions:
    return Predictions(
        indices=np.arange(len(y)), y_true=y, fold=np.zeros(len(y), int),
        proba=np.c_[1 - p1, p1], labels=(p1 >= 0.5).astype(int),
    )  # fmt: skip


# --- a perfect classifier --------------------------------------------------------------------


def test_perfect_classifier_gets_intervals_of_positive_width_that_contain_1(registry) -> None:  # type: ignore[no-untyped-def]
    y = np.tile([0, 1], 25)
    pred = _binary(y, np.where(y == 1, 0.9, 0.1))
    names = ("AUROC", "Accuracy", "BalancedAccuracy", "Sensitivity", "Specificity", "PPV", "NPV")
    res = metric_intervals(_specs(registry, *names), pred, seed=0, n_resamples=200)
    for name in names:
        lo, hi = res[name].interval  # type: ignore[misc]
        assert hi == 1.0, name
        assert 0.8 < lo < 1.0, (name, lo)  # positive width, not [1.0, 1.0]
        assert res[name].degenerate is None
    assert res["AUROC"].method == "newcombe score"
    assert res["Accuracy"].method == "clopper-pearson"
    assert res["Sensitivity"].method == "clopper-pearson"
    assert res["BalancedAccuracy"].method == "mover-clopper-pearson"
    # Clopper-Pearson at 50/50 and at 25/25, by formula: (alpha / 2) ** (1 / n)
    assert res["Accuracy"].interval[0] == pytest.approx(0.025 ** (1 / 50), abs=2e-6)  # type: ignore[index]
    assert res["Sensitivity"].interval[0] == pytest.approx(0.025 ** (1 / 25), abs=2e-6)  # type: ignore[index]


def test_a_useless_classifier_at_zero_has_an_interval_too(registry) -> None:  # type: ignore[no-untyped-def]
    y = np.tile([0, 1], 25)
    pred = _binary(y, np.where(y == 1, 0.1, 0.9))  # every sample wrong
    res = metric_intervals(_specs(registry, "AUROC", "Accuracy"), pred, seed=0)
    for name in ("AUROC", "Accuracy"):
        lo, hi = res[name].interval  # type: ignore[misc]
        assert lo == 0.0 and 0 < hi < 0.2


def test_bootstrap_metrics_at_the_boundary_are_flagged_degenerate(registry) -> None:  # type: ignore[no-untyped-def]
    y = np.tile([0, 1], 25)
    pred = _binary(y, np.where(y == 1, 0.9, 0.1))
    res = metric_intervals(_specs(registry, "F1-Score"), pred, seed=0, n_resamples=100)
    assert res["F1-Score"].method == "percentile bootstrap"
    assert res["F1-Score"].interval == (1.0, 1.0)
    assert res["F1-Score"].degenerate == "zero width at 1"


def test_a_bootstrap_where_few_resamples_defined_the_metric_is_flagged(registry) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    y = np.array([0] * 38 + [1, 2])  # two rare classes: many resamples miss one
    proba = rng.dirichlet(np.ones(3), 40)
    pred = Predictions(indices=np.arange(40), y_true=y, fold=np.zeros(40, int), proba=proba)
    specs = _specs(registry, "SensitivityAtSpecificity90")
    res = metric_intervals(specs, pred, seed=1, n_resamples=200)["SensitivityAtSpecificity90"]
    assert res.method == "percentile bootstrap"
    assert res.n_used < 180  # resamples without class 1 or 2 leave it undefined
    assert res.degenerate == f"only {res.n_used} of 200 resamples defined the metric"
    # and the rule itself
    from fmbench.statistics.bootstrap import IntervalResult
    from fmbench.statistics.metric_intervals import flag_degenerate

    few = flag_degenerate(IntervalResult(interval=(0.2, 0.6), n_used=150, n_resamples=200))
    assert few.degenerate == "only 150 of 200 resamples defined the metric"
    enough = flag_degenerate(IntervalResult(interval=(0.2, 0.6), n_used=190, n_resamples=200))
    assert enough.degenerate is None


def test_multiclass_auroc_stays_on_the_bootstrap(registry) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 90)
    proba = rng.dirichlet(np.ones(3), 90)
    pred = Predictions(indices=np.arange(90), y_true=y, fold=np.zeros(90, int), proba=proba,
                       labels=proba.argmax(axis=1))  # fmt: skip
    res = metric_intervals(_specs(registry, "AUROC", "Sensitivity", "Accuracy"), pred, seed=0,
                           n_resamples=100)  # fmt: skip
    assert res["AUROC"].method == "percentile bootstrap"
    assert res["Sensitivity"].method == "percentile bootstrap"  # macro one-vs-rest
    assert res["Accuracy"].method == "clopper-pearson"  # a proportion with any number of classes


# --- coverage of small seeded simulations --------------------------------------------------


def _coverage(draw, truth: float, interval, reps: int, seed: int) -> float:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(reps):
        lo, hi = interval(*draw(rng))
        hits += lo <= truth <= hi
    return hits / reps


def test_accuracy_interval_covers_near_1_where_the_percentile_bootstrap_did_not(registry) -> None:  # type: ignore[no-untyped-def]
    spec = _specs(registry, "Accuracy")

    def draw(rng):  # type: ignore[no-untyped-def]
        y = np.tile([0, 1], 25)
        right = rng.random(50) < 0.98
        return (Predictions(indices=np.arange(50), y_true=y, fold=np.zeros(50, int),
                            labels=np.where(right, y, 1 - y)),)  # fmt: skip

    def ours(pred):  # type: ignore[no-untyped-def]
        return metric_intervals(spec, pred, seed=0)["Accuracy"].interval

    def percentile(pred):  # type: ignore[no-untyped-def]
        from fmbench.statistics.bootstrap import bootstrap_intervals

        return bootstrap_intervals(spec, pred, seed=0, n_resamples=200)["Accuracy"].interval

    assert _coverage(draw, 0.98, ours, 300, seed=11) >= 0.92
    assert _coverage(draw, 0.98, percentile, 100, seed=11) < 0.8  # the defect, measured


def test_auroc_interval_covers_at_0_99_with_50_samples_and_at_prevalence_0_1(registry) -> None:  # type: ignore[no-untyped-def]
    spec = _specs(registry, "AUROC")
    for auc, n_pos, n in ((0.99, 25, 50), (0.95, 10, 100)):
        shift = np.sqrt(2) * NormalDist().inv_cdf(auc)
        y = (np.arange(n) < n_pos).astype(int)

        def draw(rng, y=y, shift=shift):  # type: ignore[no-untyped-def]
            score = rng.normal(size=len(y)) + shift * y
            p1 = 1 / (1 + np.exp(-score))
            return (_binary(y, p1),)

        def ours(pred):  # type: ignore[no-untyped-def]
            return metric_intervals(spec, pred, seed=0)["AUROC"].interval

        assert _coverage(draw, auc, ours, 300, seed=5) >= 0.92, auc


# --- clustered samples ---------------------------------------------------------------------


def test_design_effect_widens_intervals_of_correlated_subjects() -> None:
    # 20 subjects x 5 windows; a subject's windows are all right or all wrong
    units = np.repeat(np.arange(20), 5)
    right = np.repeat(np.arange(20) % 4 != 0, 5)  # 15 subjects right, 5 wrong
    iid = si.proportion_interval(right)
    clustered = si.proportion_interval(right, units=units)
    assert isinstance(iid, si.ScoreInterval) and isinstance(clustered, si.ScoreInterval)
    assert clustered.design_effect == pytest.approx(5.0 * 20 / 19, rel=1e-3)
    assert clustered.clusters == 20
    width = clustered.interval[1] - clustered.interval[0]
    assert width > 1.8 * (iid.interval[1] - iid.interval[0])


def test_perfect_clustered_accuracy_counts_each_subject_once() -> None:
    units = np.repeat(np.arange(20), 5)
    res = si.proportion_interval(np.ones(100, bool), units=units)
    assert isinstance(res, si.ScoreInterval)
    # 20 effective samples, shrunk by (z / t_19)^2 (Korn-Graubard), all right
    n_eff = 20 * (si.critical_value(0.95) / si.critical_value(0.95, clusters=20)) ** 2
    assert res.interval[0] == pytest.approx(0.025 ** (1 / n_eff), abs=2e-6)
    assert res.design_effect == 5.0 and res.note is not None


def test_clustered_auroc_interval_is_wider_and_single_units_give_a_reason() -> None:
    rng = np.random.default_rng(3)
    units = np.repeat(np.arange(20), 5)
    positive = np.repeat(np.arange(20) % 2 == 0, 5)  # the label is the subject's
    score = 1.0 * positive + rng.normal(size=20)[units] + rng.normal(size=100)
    iid = si.auroc_interval(positive, score)
    clustered = si.auroc_interval(positive, score, units)
    assert isinstance(iid, si.ScoreInterval) and isinstance(clustered, si.ScoreInterval)
    assert clustered.design_effect > 1.5
    assert (clustered.interval[1] - clustered.interval[0]) > (iid.interval[1] - iid.interval[0])
    one = si.proportion_interval(np.ones(5, bool), units=np.zeros(5))
    assert isinstance(one, str) and "1 unit" in one


def test_clustered_accuracy_coverage_in_a_small_simulation() -> None:
    """10 subjects x 5 windows, subject accuracies vary (logit sd 1): the cluster interval
    holds; the cluster percentile bootstrap did not near 1 (0.38 at 0.99 in the audit)."""
    from scipy.special import expit

    units = np.repeat(np.arange(10), 5)
    mu = 2.2  # marginal accuracy about 0.86
    truth = float(expit(mu + np.random.default_rng(0).normal(size=400_000)).mean())
    rng = np.random.default_rng(8)
    hits = 0
    for _ in range(300):
        p = expit(mu + rng.normal(size=10))[units]
        res = si.proportion_interval(rng.random(50) < p, units=units)
        assert isinstance(res, si.ScoreInterval)
        hits += res.interval[0] <= truth <= res.interval[1]
    assert hits / 300 >= 0.92


def test_record_says_which_method_gave_each_interval(registry) -> None:  # type: ignore[no-untyped-def]
    from fmbench.statistics.intervals import _method_block

    y = np.tile([0, 1], 30)
    pred = _binary(y, np.clip(0.5 * y + 0.5 * np.random.default_rng(0).random(60), 0, 1))
    units = np.repeat(np.arange(12), 5)
    res = metric_intervals(_specs(registry, "AUROC", "Accuracy", "F1-Score"), pred, seed=0,
                           n_resamples=50, units=units)  # fmt: skip
    block = _method_block(res)
    assert block["method"] == "per metric"
    assert block["methods"] == {"AUROC": "newcombe score", "Accuracy": "clopper-pearson",
                                "F1-Score": "percentile bootstrap"}  # fmt: skip
    assert block["n_used"] == {"F1-Score": 50}
    assert set(block["design_effect"]) == {"AUROC", "Accuracy"}


# --- half-sampling ---------------------------------------------------------------------------


def test_half_samples_never_repeat_a_sample_and_keep_whole_units() -> None:
    from fmbench.statistics.subsampling import half_sample_weights

    for W in half_sample_weights(10, 30, 4):
        assert set(np.unique(W).tolist()) <= {0.0, 1.0}
        assert np.all(W.sum(axis=1) == 5)
    codes = np.repeat(np.arange(6), 3)
    for W in half_sample_weights(18, 20, 4, codes=codes, n_units=6):
        for unit in range(6):
            block = W[:, codes == unit]
            assert np.all(block == block[:, :1])
        assert np.all(W.sum(axis=1) == 9)


def test_subsample_metric_sees_no_duplicates_and_its_interval_holds_the_point(registry) -> None:  # type: ignore[no-untyped-def]
    """A metric that compares samples with each other: the share of pairs at distance 0.
    Bootstrap resamples create such pairs (a biased metric); half-samples do not."""
    import attrs

    import fmbench.statistics.bootstrap as bs

    rng = np.random.default_rng(0)
    values = rng.normal(size=(60, 2))
    pred = Predictions(indices=np.arange(60), y_true=np.zeros(60), fold=np.zeros(60, int),
                       values=values)  # fmt: skip
    spec = attrs.evolve(registry.get(MetricSpec, "MSE"), name="ZeroPairs", weighted=None,
                        compute="tests.test_intervals_boundary:zero_pairs",
                        resampling="subsample")  # fmt: skip
    res = metric_intervals({"ZeroPairs": spec}, pred, seed=0, n_resamples=100)["ZeroPairs"]
    assert res.method == "half-sampling"
    assert res.interval == (0.0, 0.0)  # no half-sample holds a duplicated sample
    boot = bs.bootstrap_intervals({"ZeroPairs": attrs.evolve(spec, resampling="bootstrap")},
                                  pred, seed=0, n_resamples=100)["ZeroPairs"]  # fmt: skip
    assert boot.interval is not None and boot.interval[0] > 0  # the bias the issue measured


def zero_pairs(y_true: np.ndarray, values: np.ndarray) -> float:
    """The share of pairs of samples with identical values (0 on distinct data)."""
    v = np.asarray(values).reshape(len(values), -1)
    same = (np.abs(v[:, None, :] - v[None, :, :]).sum(axis=2) == 0).sum() - len(v)
    return float(same / (len(v) * (len(v) - 1)))


# --- subgroup gaps -----------------------------------------------------------------------


def test_subgroup_flag_keeps_its_false_positive_rate_with_eight_equal_groups() -> None:
    from fmbench.plugin_system.specs import ClinicalSpec
    from fmbench.statistics.clinical_block import clinical_block

    rng = np.random.default_rng(19)
    n, k, reps = 400, 8, 150
    group = np.repeat([f"G{i}" for i in range(k)], n // k).astype(object)
    y = np.tile([0, 1], n // 2)
    flagged = 0
    for _ in range(reps):  # sensitivity 0.8 and specificity 0.9 in every group
        called = np.where(y == 1, rng.random(n) < 0.8, rng.random(n) < 0.1)
        p1 = np.where(called, 0.7, 0.3)
        pred = _binary(y, p1)
        block = clinical_block(ClinicalSpec(), pred, seed=0, n_resamples=10,
                               groups={"site": (group, sorted(set(group)))})  # fmt: skip
        gaps = block["subgroup_gaps"]["site"]
        flagged += any(gaps[rate]["flagged"] for rate in ("sensitivity", "specificity"))
    # the old "interval of best minus worst excludes zero" flagged about half of these
    assert flagged / reps <= 0.08


def test_rao_scott_correction_keeps_clustered_equal_groups_unflagged() -> None:
    from fmbench.statistics.homogeneity import homogeneity_test

    rng = np.random.default_rng(4)
    units = np.repeat(np.arange(40), 10)  # 40 subjects x 10 samples, 4 groups of 10 subjects
    groups = np.repeat(np.arange(4), 100)
    naive = corrected = 0
    for _ in range(200):
        p = 1 / (1 + np.exp(-(1.5 + 1.5 * rng.normal(size=40))))  # subjects differ a lot
        success = rng.random(400) < p[units]
        naive += homogeneity_test(success, groups).p_value < 0.05  # type: ignore[union-attr]
        corrected += homogeneity_test(success, groups, units).p_value < 0.05  # type: ignore[union-attr]
    assert naive / 200 > 0.2  # ignoring the subjects: a false flag in many datasets
    assert corrected / 200 <= 0.08


def test_holm_is_applied_across_columns_and_rates() -> None:
    from fmbench.statistics.homogeneity import holm

    assert holm([0.01, 0.02, 0.5]) == [0.03, 0.04, 0.5]
    assert holm([0.04, 0.04]) == [0.08, 0.08]


# --- built-in benchmarks resample their subjects -------------------------------------------


def test_every_builtin_benchmark_on_subject_or_batch_data_resamples_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue #19 (6): BM-EEG-ROBUSTNESS (100 windows of 20 subjects) resampled windows.
    Every installed built-in benchmark (core and the fmbench-neuro / fmbench-genomics packages
    when installed) whose toy data has a ``subject_id`` column resamples subjects; one with a
    ``batch`` column resamples batches or declares ``unit: sample`` (3 batches are too few to
    resample; its intervals are then conditional on the batches)."""
    from fmbench.data.generate_toy import generate_all
    from fmbench.data.locate import load_dataset
    from fmbench.statistics.intervals import bootstrap_unit

    registry = build_registry(external=True)
    builtin = ("fmbench.builtin", "fmbench-neuro", "fmbench-genomics")
    columns: dict[str, list[str]] = {}
    checked = []
    for bm in registry.all(BenchmarkSpec):
        provider = registry.provider(BenchmarkSpec, bm.name)
        if not any(provider.startswith(p) for p in builtin):
            continue
        dataset = registry.get(DatasetSpec, bm.dataset)
        if dataset.generate is None:
            continue
        if bm.dataset not in columns:
            list(generate_all(registry, tmp_path, seed=0, only=[bm.dataset]))
            loaded, _ = load_dataset(registry, bm.dataset, root=tmp_path)
            columns[bm.dataset] = list(loaded.metadata)
        cols = columns[bm.dataset]
        if "subject_id" in cols:
            assert bootstrap_unit(bm) == "subject_id", bm.name
        if "batch" in cols:
            assert bootstrap_unit(bm) == "batch" or bm.bootstrap.unit == "sample", bm.name
        checked.append(bm.name)
    assert "BM-TOY-CLASS" in checked
    if registry.has(BenchmarkSpec, "BM-EEG-ROBUSTNESS"):
        assert "BM-EEG-ROBUSTNESS" in checked


def test_clustered_results_are_plain_python_numbers_for_yaml() -> None:
    """eval.yaml is written by yaml.safe_dump: a numpy float in a design effect broke runs."""
    import yaml

    units = np.repeat(np.arange(6), 4)
    y = np.repeat([0, 1], 12)
    for res in (
        si.balanced_accuracy_interval(y, y, units),  # every recall 1: each unit counts once
        si.proportion_interval(np.ones(24, bool), units),
        si.auroc_interval(y == 1, y + 0.0, units),
    ):
        assert isinstance(res, si.ScoreInterval)
        yaml.safe_dump({"d": res.design_effect, "i": list(res.interval)})
        assert type(res.design_effect) is float


def test_report_and_leaderboard_name_the_primary_metrics_method() -> None:
    from fmbench.leaderboard.rank import _interval_method_text
    from fmbench.reporting.markdown import _interval_note

    block = {
        "method": "per metric", "unit": "subject_id", "n_units": 20, "n_resamples": 1000,
        "confidence": 0.95, "design_effect": {"AUROC": 2.0},
        "methods": {"AUROC": "newcombe score", "F1-Score": "percentile bootstrap"},
    }  # fmt: skip
    assert _interval_method_text(block, "AUROC") == "95% newcombe score over subject_ids"
    assert _interval_method_text(block, "F1-Score") == (
        "95% percentile bootstrap over subject_ids, 1000 resamples"
    )
    old = {"method": "percentile bootstrap", "unit": "sample", "n_resamples": 1000,
           "confidence": 0.95}  # fmt: skip
    assert (
        _interval_method_text(old, "AUROC")
        == "95% percentile bootstrap over samples, 1000 resamples"
    )
    (line, _) = _interval_note({"interval_method": block})
    assert "Newcombe's score interval for the AUC (DeLong-scaled) for AUROC" in line
    assert "percentile bootstrap (1000 resamples) for F1-Score" in line
    assert "design effect" in line and "not retraining" in line
