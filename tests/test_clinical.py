"""Clinical reporting: operating points against hand-computed confusion matrices, fixed points
and net benefit against slow references, thresholds never chosen on test data, prevalence by
Bayes' rule, the benchmark ``clinical:`` block, the report and its decision-curve plot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import attrs
import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from fmbench.errors import ConfigError, MetricUndefined
from fmbench.evaluation import operating_points as clinical
from fmbench.evaluation.protocols import Predictions, TrainingPredictions
from fmbench.models.config import read_model_config
from fmbench.models.handle import load_model
from fmbench.plugin_system.definitions import parse_benchmark
from fmbench.plugin_system.specs import BenchmarkSpec, ClinicalSpec, MetricSpec, SplitSpec
from fmbench.running.suite_run import RunOptions, evaluate_benchmark
from fmbench.statistics.bootstrap import metric_scorer, resample_weights
from fmbench.statistics.clinical_block import clinical_block

ROOT = Path(__file__).resolve().parents[1]

# --- hand-computed confusion matrices ---------------------------------------------------------

# 10 samples, threshold 0.5: positives score .9 .8 .55 .3 (TP=3, FN=1);
# negatives score .7 .5 .2 .1 .05 .4 (FP=2: .7 and .5 (>= threshold), TN=4)
Y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
P1 = np.array([0.9, 0.8, 0.55, 0.3, 0.7, 0.5, 0.2, 0.1, 0.05, 0.4])
PROBA = np.c_[1 - P1, P1]


def test_rates_match_a_hand_computed_confusion_matrix() -> None:
    tp, fn, fp, tn = 3, 1, 2, 4
    got = clinical.rates_at(Y == 1, P1, 0.5)
    assert got == pytest.approx(
        {
            "sensitivity": tp / (tp + fn),
            "specificity": tn / (tn + fp),
            "ppv": tp / (tp + fp),
            "npv": tn / (tn + fn),
        }
    )
    assert clinical.sensitivity(Y, PROBA) == 0.75
    assert clinical.specificity(Y, PROBA) == pytest.approx(4 / 6)
    assert clinical.ppv(Y, PROBA) == 0.6
    assert clinical.npv(Y, PROBA) == 0.8


def test_undefined_rate_is_an_error_with_a_reason_not_zero() -> None:
    with pytest.raises(MetricUndefined, match="called positive"):
        clinical.ppv(Y, np.c_[np.ones(10), np.zeros(10)])  # nobody called positive


def test_multiclass_is_macro_one_vs_rest_by_hand() -> None:
    y = np.array([0, 0, 1, 1, 2, 2])
    proba = np.array(
        [[0.8, 0.1, 0.1], [0.3, 0.6, 0.1], [0.1, 0.7, 0.2], [0.2, 0.2, 0.6],
         [0.1, 0.3, 0.6], [0.5, 0.0, 0.5]]
    )  # fmt: skip
    # class 0 (>= .5): called rows 0, 5 -> TP 1 (row 0), FN 1 (row 1): sens 1/2
    # class 1: called rows 1, 2 -> TP 1 (row 2), FN 1 (row 3): sens 1/2
    # class 2: called rows 3, 4, 5 -> TP 2, FN 0: sens 1
    assert clinical.sensitivity(y, proba) == pytest.approx((0.5 + 0.5 + 1.0) / 3)
    # specificities: class 0: negatives rows 2-5, row 5 called -> 3/4; class 1: rows 0,1,4,5,
    # row 1 called -> 3/4; class 2: rows 0-3, row 3 called -> 3/4
    assert clinical.specificity(y, proba) == pytest.approx(0.75)


# --- slow references --------------------------------------------------------------------------


def slow_sens_at_spec(pos: np.ndarray, score: np.ndarray, target: float) -> float:
    best = 0.0
    for t in [*sorted(set(score.tolist())), np.inf]:
        called = score >= t
        spec = np.sum(~pos & ~called) / np.sum(~pos)
        if spec >= target - 1e-12:
            best = max(best, np.sum(pos & called) / np.sum(pos))
    return float(best)


def slow_spec_at_sens(pos: np.ndarray, score: np.ndarray, target: float) -> float:
    best = 0.0
    for t in [*sorted(set(score.tolist())), np.inf]:
        called = score >= t
        sens = np.sum(pos & called) / np.sum(pos)
        if sens >= target - 1e-12:
            best = max(best, np.sum(~pos & ~called) / np.sum(~pos))
    return float(best)


def slow_net_benefit(pos: np.ndarray, score: np.ndarray, pt: float) -> float:
    n = len(pos)
    tp = sum(1 for p, s in zip(pos, score, strict=True) if p and s >= pt)
    fp = sum(1 for p, s in zip(pos, score, strict=True) if not p and s >= pt)
    return tp / n - fp / n * pt / (1 - pt)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("target", [0.8, 0.9, 0.95])
def test_fixed_points_match_a_slow_reference(seed: int, target: float) -> None:
    rng = np.random.default_rng(seed)
    n = 60
    pos = rng.random(n) < 0.4
    pos[:2] = [True, False]
    score = np.round(0.3 * pos + rng.random(n), 1)  # rounding plants ties
    assert clinical.sensitivity_at_specificity(pos, score, target) == pytest.approx(
        slow_sens_at_spec(pos, score, target)
    )
    assert clinical.specificity_at_sensitivity(pos, score, target) == pytest.approx(
        slow_spec_at_sens(pos, score, target)
    )
    # weighted forms: each resample equals the slow reference on the repeated samples
    W = np.concatenate(list(resample_weights(n, 8, seed)))
    sens_w = clinical.weighted_sensitivity_at_specificity(pos, score, W, target)
    spec_w = clinical.weighted_specificity_at_sensitivity(pos, score, W, target)
    for row in range(8):
        idx = np.repeat(np.arange(n), W[row].astype(int))
        if pos[idx].all() or not pos[idx].any():
            assert np.isnan(sens_w[row])
            continue
        assert sens_w[row] == pytest.approx(slow_sens_at_spec(pos[idx], score[idx], target))
        assert spec_w[row] == pytest.approx(slow_spec_at_sens(pos[idx], score[idx], target))


def test_net_benefit_matches_a_slow_reference() -> None:
    rng = np.random.default_rng(3)
    pos = rng.random(80) < 0.3
    score = np.clip(0.4 * pos + 0.6 * rng.random(80), 0, 1)
    grid = list(clinical.DEFAULT_DECISION_THRESHOLDS)
    got = clinical.net_benefit(pos, score, grid)
    want = [slow_net_benefit(pos, score, pt) for pt in grid]
    np.testing.assert_allclose(got, want, atol=1e-12)
    prevalence = pos.mean()
    np.testing.assert_allclose(
        clinical.treat_all_net_benefit(prevalence, grid),
        [slow_net_benefit(pos, np.ones(80), pt) for pt in grid],
        atol=1e-12,
    )


@pytest.mark.parametrize(
    "name",
    ["Sensitivity", "Specificity", "PPV", "NPV", "SensitivityAtSpecificity90",
     "SpecificityAtSensitivity95"],
)  # fmt: skip
@pytest.mark.parametrize("k", [2, 3])
def test_registered_metrics_weighted_form_equals_the_loop(core_registry, name: str, k: int) -> None:
    spec = core_registry.get(MetricSpec, name)
    assert spec.weighted is not None and spec.needs == "proba"
    rng = np.random.default_rng(k)
    y = rng.integers(0, k, 50)
    proba = rng.dirichlet(np.ones(k), 50)
    proba[np.arange(50), y] += 0.3
    proba /= proba.sum(axis=1, keepdims=True)
    W = np.concatenate(list(resample_weights(50, 20, 1)))
    fast = metric_scorer(spec)(y, proba, W)
    slow = attrs.evolve(spec, weighted=None)
    np.testing.assert_allclose(fast, metric_scorer(slow)(y, proba, W), atol=1e-12)


# --- prevalence -------------------------------------------------------------------------------


def test_prevalence_adjusted_ppv_npv_is_bayes_by_hand() -> None:
    # sens 0.9, spec 0.8, prevalence 1%: of 10 000 people 100 ill -> 90 TP; 9 900 well ->
    # 1 980 FP, 7 920 TN; 10 FN.  PPV = 90 / 2070, NPV = 7920 / 7930.
    ppv, npv = clinical.prevalence_adjusted(0.9, 0.8, 0.01)
    assert float(ppv) == pytest.approx(90 / 2070)
    assert float(npv) == pytest.approx(7920 / 7930)
    pred = Predictions(indices=np.arange(10), y_true=Y, fold=np.zeros(10, int), proba=PROBA)
    block = clinical_block(
        ClinicalSpec(prevalences={"screening": 0.01, "specialist": 0.3}),
        pred, seed=1, n_resamples=200,
    )  # fmt: skip
    se, sp = 0.75, 4 / 6
    for name, p in (("screening", 0.01), ("specialist", 0.3)):
        got = block["prevalence"][name]
        assert got["ppv"]["value"] == pytest.approx(
            se * p / (se * p + (1 - sp) * (1 - p)), abs=1e-6
        )
        assert got["npv"]["value"] == pytest.approx(
            sp * (1 - p) / (sp * (1 - p) + (1 - se) * p), abs=1e-6
        )
        lo, hi = got["ppv"]["interval"]
        assert lo <= got["ppv"]["value"] <= hi


# --- thresholds chosen on training data only --------------------------------------------------


def planted_case() -> Predictions:
    """Test scores whose own Youden threshold is 0.35, while the training predictions put it at
    0.6: choosing on test data would give sensitivity 1.0; the training threshold gives 0.5."""
    y_test = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    s_test = np.array([0.9, 0.7, 0.4, 0.35, 0.3, 0.2, 0.1, 0.05])
    y_train = np.array([1, 1, 1, 0, 0, 0, 0])
    s_train = np.array([0.8, 0.7, 0.6, 0.5, 0.4, 0.2, 0.1])
    return Predictions(
        indices=np.arange(8), y_true=y_test, fold=np.zeros(8, int),
        proba=np.c_[1 - s_test, s_test],
        training=TrainingPredictions(
            fold=np.zeros(7, int), y_true=y_train, proba=np.c_[1 - s_train, s_train],
            method="planted",
        ),
    )  # fmt: skip


def test_youden_threshold_comes_from_training_not_test() -> None:
    pred = planted_case()
    test_pos, test_score = pred.y_true == 1, pred.proba[:, 1]
    assert clinical.youden_threshold(test_pos, test_score) == 0.35  # what test data would pick
    assert clinical.rates_at(test_pos, test_score, 0.35)["sensitivity"] == 1.0
    block = clinical_block(ClinicalSpec(youden=True), pred, seed=0, n_resamples=100)
    youden = block["youden"]
    assert youden["thresholds"] == [0.6]
    assert youden["sensitivity"]["value"] == 0.5  # 0.9 and 0.7 of four positives
    assert youden["specificity"]["value"] == 1.0


def test_training_threshold_of_a_fixed_point_comes_from_training() -> None:
    pred = planted_case()
    block = clinical_block(ClinicalSpec(fixed_specificity=[0.75]), pred, seed=0, n_resamples=100)
    point = block["fixed_specificity"]["0.75"]
    # training negatives .5 .4 .2 .1: spec >= 0.75 first at threshold 0.5
    assert point["training_threshold"]["thresholds"] == [0.5]
    assert point["training_threshold"]["sensitivity"]["value"] == 0.5
    # the ROC read-out describes the test curve: all 4 negatives below 0.35 -> sensitivity 1
    assert point["sensitivity"]["value"] == 1.0


def test_per_fold_thresholds_apply_to_their_own_fold() -> None:
    y = np.array([1, 0, 1, 0])
    s = np.array([0.55, 0.45, 0.55, 0.45])
    train_s = np.array([0.9, 0.5, 0.3, 0.2])  # fold 0 trains -> threshold .9; fold 1 -> .3
    pred = Predictions(
        indices=np.arange(4), y_true=y, fold=np.array([0, 0, 1, 1]), proba=np.c_[1 - s, s],
        training=TrainingPredictions(
            fold=np.array([0, 0, 1, 1]), y_true=np.array([1, 0, 1, 0]),
            proba=np.c_[1 - train_s, train_s], method="planted",
        ),
    )  # fmt: skip
    youden = clinical_block(ClinicalSpec(youden=True), pred, seed=0, n_resamples=50)["youden"]
    assert youden["thresholds"] == [0.9, 0.3]
    # fold 0 (threshold .9) calls nobody; fold 1 (threshold .3) calls both
    assert youden["sensitivity"]["value"] == 0.5
    assert youden["specificity"]["value"] == 0.5


def test_without_a_training_split_threshold_selection_is_null_with_reason() -> None:
    pred = planted_case()
    pred.training = None
    block = clinical_block(
        ClinicalSpec(youden=True, fixed_specificity=[0.9]), pred, seed=0, n_resamples=50,
        split_method="none",
    )  # fmt: skip
    assert block["youden"]["value"] is None
    assert "split 'none'" in block["youden"]["reason"]
    assert block["fixed_specificity"]["0.9"]["training_threshold"]["value"] is None
    assert block["operating_point"]["sensitivity"]["value"] is not None


def test_zero_shot_training_predictions_are_model_outputs_on_training_samples(
    core_registry, toy_root, model_dir
) -> None:
    bm = attrs.evolve(
        core_registry.get(BenchmarkSpec, "BM-TOY-CLASS"),
        split=SplitSpec(method="kfold", folds=4, group_by="subject_id"),
        clinical=ClinicalSpec(youden=True),
    )
    model = load_model(core_registry, read_model_config(model_dir / "good.yaml"))
    outcome = evaluate_benchmark(
        core_registry, bm, model, RunOptions(data_root=str(toy_root), progress=False)
    )
    pred = outcome.predictions
    assert pred is not None and pred.training is not None and pred.proba is not None
    by_index = {int(i): row for i, row in zip(pred.indices, pred.proba, strict=True)}
    dataset = outcome.dataset
    assert dataset is not None
    from fmbench.evaluation.splits import make_folds

    folds = make_folds(dataset, bm.split, seed=42, task="classification")
    train0 = folds[0].train
    rows = pred.training.fold == 0
    np.testing.assert_allclose(pred.training.proba[rows], [by_index[int(i)] for i in train0])
    assert not set(train0.tolist()) & set(folds[0].test.tolist())
    block = outcome.record["clinical"]
    assert len(block["youden"]["thresholds"]) == 4
    assert "own outputs" in block["training_predictions"]


# --- subgroup gaps, multi-class, intervals ----------------------------------------------------


def test_subgroup_gap_is_flagged_by_a_homogeneity_test() -> None:
    rng = np.random.default_rng(0)
    n = 400
    y = np.tile([0, 1], n // 2)
    group = np.repeat(["A", "B"], n // 2).astype(object)
    # group B's positives are missed (low scores): a sensitivity gap that is real
    s = np.where(y == 1, np.where(group == "A", 0.8, 0.3), 0.2) + 0.05 * rng.random(n)
    pred = Predictions(indices=np.arange(n), y_true=y, fold=np.zeros(n, int), proba=np.c_[1 - s, s])
    block = clinical_block(
        ClinicalSpec(), pred, seed=0, n_resamples=300, groups={"site": (group, ["A", "B"])}
    )
    gap = block["subgroup_gaps"]["site"]["sensitivity"]
    assert gap["best_group"] == "A" and gap["worst_group"] == "B"
    # the flag is a chi-square test of equal rates (Holm-adjusted), no longer "the bootstrap
    # interval of the difference between the data-picked extremes excludes zero" (issue #19)
    assert gap["gap"]["value"] == 1.0 and gap["flagged"] is True
    assert gap["test"]["p_holm"] < 1e-10
    spec_gap = block["subgroup_gaps"]["site"]["specificity"]
    assert spec_gap["gap"]["value"] == 0.0 and spec_gap["flagged"] is False
    assert "Holm over the 2 tests" in block["subgroup_gap_test"]["correction"]


def test_multiclass_block_has_per_class_and_macro() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 90)
    proba = rng.dirichlet(np.ones(3), 90)
    proba[np.arange(90), y] += 1
    proba /= proba.sum(axis=1, keepdims=True)
    pred = Predictions(indices=np.arange(90), y_true=y, fold=np.zeros(90, int), proba=proba)
    block = clinical_block(ClinicalSpec(positive_class=2), pred, seed=0, n_resamples=100)
    assert sorted(block["per_class"]) == ["0", "1", "2"]
    per = [block["per_class"][c]["sensitivity"]["value"] for c in "012"]
    assert block["macro"]["sensitivity"]["value"] == pytest.approx(np.mean(per), abs=1e-6)
    assert block["operating_point"] == block["per_class"]["2"]
    assert clinical.sensitivity(y, proba) == pytest.approx(np.mean(per), abs=1e-6)


def test_no_probabilities_means_no_clinical_block_values() -> None:
    pred = Predictions(indices=np.arange(3), y_true=np.array([0, 1, 0]), fold=np.zeros(3, int))
    block = clinical_block(ClinicalSpec(), pred, seed=0, n_resamples=10)
    assert block == {"status": "undefined", "reason": "the model gives no probabilities"}


# --- the benchmark YAML block -----------------------------------------------------------------

BASE = {"benchmark_id": "BM-X", "task": "classification", "dataset": "D",
        "metrics": {"primary": "AUROC"}}  # fmt: skip


def test_clinical_block_parses() -> None:
    bm = parse_benchmark(
        {**BASE, "clinical": {"threshold": 0.3, "fixed_specificity": [0.95, 0.9],
                              "prevalences": {"screening": 0.01}, "youden": True,
                              "decision_curve": {"start": 0.05, "stop": 0.5, "step": 0.05}}},
        source="x.yaml",
    )  # fmt: skip
    assert bm.clinical is not None
    assert bm.clinical.fixed_specificity == (0.9, 0.95)
    assert bm.clinical.decision_curve[0] == 0.05 and len(bm.clinical.decision_curve) == 10
    assert parse_benchmark({**BASE, "clinical": {"decision_curve": True}}, source="x").clinical
    assert parse_benchmark(BASE, source="x").clinical is None


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"threshold": 1.5}, "threshold must lie in"),
        ({"thresold": 0.5}, "did you mean 'threshold'"),
        ({"prevalences": {"screening": 30}}, "prevalences.screening must lie in"),
        ({"fixed_specificity": [90]}, "fixed_specificity"),
        ({"youden": "yes"}, "youden must be true or false"),
        ({"decision_curve": {"step": 0}}, "decision_curve"),
    ],
)
def test_bad_clinical_blocks_name_the_field(block: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError, match=message) as err:
        parse_benchmark({**BASE, "clinical": block}, source="bm.yaml")
    assert "bm.yaml" in str(err.value)


def test_shipped_benchmarks_declare_clinical_blocks(core_registry) -> None:
    bm = core_registry.get(BenchmarkSpec, "BM-TOY-CLASS-PROBE")
    assert bm.clinical is not None and bm.clinical.youden
    assert bm.clinical.prevalences == {"screening": 0.01, "specialist": 0.3}


# --- run, report, plot, schema, determinism ---------------------------------------------------


def _run_cli(toy_root: Path, out: Path) -> None:
    from fmbench.cli import cli

    result = CliRunner().invoke(
        cli,
        ["run", "--suite", "SUITE-TOY-PROBE", "--model", str(ROOT / "configs" /
         "model_raw_features.yaml"), "--out", str(out), "--data-root", str(toy_root),
         "--no-progress", "--n-resamples", "200"],
        obj={},
    )  # fmt: skip
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def probe_runs(toy_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("clinical")
    _run_cli(toy_root, base / "a")
    _run_cli(toy_root, base / "b")
    return base / "a", base / "b"


def test_report_links_the_decision_curve_png(probe_runs: tuple[Path, Path]) -> None:
    out, _ = probe_runs
    png = out / "plots" / "BM-TOY-CLASS-PROBE_decision_curve.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (out / "report.md").read_text()
    assert "(plots/BM-TOY-CLASS-PROBE_decision_curve.png)" in report
    assert "### Clinical operating points" in report and "Youden threshold" in report


def test_eval_yaml_is_schema_valid_and_deterministic(probe_runs: tuple[Path, Path]) -> None:
    from fmbench.cli import cli

    a, b = probe_runs
    result = CliRunner().invoke(cli, ["validate", str(a / "eval.yaml")], obj={})
    assert result.exit_code == 0, result.output
    blocks = [
        yaml.safe_load((d / "eval.yaml").read_text())["benchmarks"][0]["clinical"] for d in (a, b)
    ]
    assert blocks[0] == blocks[1]
    curve = blocks[0]["decision_curve"]
    assert len(curve["thresholds"]) == 99 == len(curve["net_benefit"]) == len(curve["treat_all"])
    assert blocks[0]["youden"]["sensitivity"]["interval"] is not None


def test_clinical_block_reads_back_typed_and_unchanged(probe_runs: tuple[Path, Path]) -> None:
    from fmbench.results.eval_file import dump_yaml
    from fmbench.results.records import EvalDocument

    text = (probe_runs[0] / "eval.yaml").read_text()
    doc = yaml.safe_load(text)
    typed = EvalDocument.from_dict(doc)
    assert dump_yaml(typed.to_dict()) == text  # same keys, order and nulls
    written = doc["benchmarks"][0]["clinical"]
    block = typed.benchmarks.records[0].clinical
    assert block is not None and block.defined and not block.extra
    assert block.operating_point is not None and block.operating_point.sensitivity is not None
    sensitivity = written["operating_point"]["sensitivity"]
    assert block.operating_point.sensitivity.value == sensitivity["value"]
    assert block.operating_point.sensitivity.interval == tuple(sensitivity["interval"])
    assert block.youden is not None and block.youden.thresholds is not None
    assert list(block.youden.thresholds) == written["youden"]["thresholds"]
    assert block.decision_curve is not None and block.decision_curve.net_benefit is not None
    assert len(block.decision_curve.net_benefit) == 99


def test_run_in_a_subprocess_writes_the_clinical_block(toy_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "fmbench", "run", "--suite", "SUITE-TOY-PROBE", "--model",
           str(ROOT / "configs" / "model_raw_features.yaml"), "--out", str(out),
           "--data-root", str(toy_root), "--no-progress", "--n-resamples", "100"]  # fmt: skip
    done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    record = yaml.safe_load((out / "eval.yaml").read_text())["benchmarks"][0]
    assert record["clinical"]["operating_point"]["sensitivity"]["value"] > 0.5
