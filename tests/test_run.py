"""The benchmarking run: metrics, strata, failures recorded, determinism, output safety."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fmbench.errors import ModelError, ResultsError
from fmbench.models.config import read_model_config
from fmbench.plugin_system.registry import Registry
from fmbench.plugin_system.specs import SuiteEntry, SuiteSpec
from fmbench.results.eval_file import dump_yaml, read_eval, strip_timing, verify_digest
from fmbench.results.records import EvalDocument
from fmbench.running.suite_run import RunOptions, run_suite


def _run(registry: Registry, toy_root: Path, config: Path, out: Path, **kw: object):
    options = RunOptions(data_root=str(toy_root), progress=False, **kw)  # type: ignore[arg-type]
    suite = registry.get(SuiteSpec, "SUITE-TOY-CLASS")
    return run_suite(registry, suite, read_model_config(config), out, options)


def test_good_model_beats_chance_and_dummy_does_not(core_registry, toy_root, model_dir):
    good = _run(core_registry, toy_root, model_dir / "good.yaml", model_dir / "good_out")
    record = good.document.to_dict()["benchmarks"][0]
    assert record["status"] == "Completed"
    assert record["metrics"]["AUROC"] > 0.8
    dummy_cfg = Path(__file__).resolve().parents[1] / "configs" / "model_dummy_classifier.yaml"
    dummy = _run(core_registry, toy_root, dummy_cfg, model_dir / "dummy_out")
    assert abs(dummy.document.to_dict()["benchmarks"][0]["metrics"]["AUROC"] - 0.5) < 0.12


def test_eval_yaml_has_upstream_and_new_fields(core_registry, toy_root, model_dir):
    result = _run(core_registry, toy_root, model_dir / "good.yaml", model_dir / "out")
    doc = read_eval(model_dir / "out" / "eval.yaml")
    for key in (
        "eval_id",
        "benchmark_id",
        "model_ids",
        "dataset_id",
        "run_metadata",
        "metrics",
        "status",
    ):
        assert key in doc
    assert doc["eval_id"].startswith("SUITE-TOY-CLASS-good-")
    assert doc["model_ids"] == {"candidate": "good"}
    assert doc["benchmark_id"] == "BM-TOY-CLASS"
    assert doc["dataset_id"] == "DS-TOY-FMRI-CLASS"
    assert "site" in doc["metrics"]["stratified"]
    prov = doc["provenance"]
    assert len(prov["dataset_sha256"]["DS-TOY-FMRI-CLASS"]) == 64
    assert prov["benchmark_sha256"]["BM-TOY-CLASS"] and prov["suite_sha256"]
    assert prov["seed"] == 42 and prov["fmbench_version"]
    res = doc["benchmarks"][0]["resources"]
    assert res["wall_time_s"] > 0 and set(res["phases_s"]) >= {"load_data", "predict", "metrics"}
    assert res["model_inputs"] == 200  # every sample went to the model exactly once
    assert verify_digest(doc)
    assert result.document.to_dict() == doc
    # the typed blocks read back the same YAML text, keys in their order, nulls kept
    typed = EvalDocument.from_dict(doc)
    assert dump_yaml(typed.to_dict()) == (model_dir / "out" / "eval.yaml").read_text()
    resources = typed.benchmarks["BM-TOY-CLASS"].resources
    assert resources is not None and resources.model_inputs == 200
    assert resources.phases_s == res["phases_s"] and typed.resources is not None
    assert typed.resources.wall_time_s == doc["resources"]["wall_time_s"]


def test_site_effect_shows_in_strata(core_registry, toy_root, model_dir):
    result = _run(core_registry, toy_root, model_dir / "good.yaml", model_dir / "out")
    sites = result.document.to_dict()["benchmarks"][0]["stratified"]["site"]
    # site C is noisier in the toy data, so a signal-using model is worse there
    assert sites["SiteC"]["AUROC"] < sites["SiteA"]["AUROC"]


def test_small_groups_are_suppressed(core_registry, toy_root, model_dir):
    result = _run(core_registry, toy_root, model_dir / "good.yaml", model_dir / "out")
    groups = result.document.to_dict()["benchmarks"][0]["stratified"]["ethnicity"]
    for entry in groups.values():
        if entry["N"] < 5:
            assert entry["suppressed"] is True and "AUROC" not in entry


def test_undefined_metric_is_null_with_reason(core_registry, toy_root, model_dir):
    result = _run(core_registry, toy_root, model_dir / "good.yaml", model_dir / "out")
    stages = result.document.to_dict()["benchmarks"][0]["stratified"]["disease_stage"]
    cn = stages["CN"]  # only controls: AUROC has one class
    assert cn["AUROC"] is None
    assert "one class" in cn["undefined"]["AUROC"]


def test_predict_only_model_gets_null_auroc(core_registry, toy_root, model_dir):
    result = _run(core_registry, toy_root, model_dir / "onlypredict.yaml", model_dir / "out")
    record = result.document.to_dict()["benchmarks"][0]
    assert record["metrics"]["AUROC"] is None
    assert "no probabilities" in record["metrics_undefined"]["AUROC"]
    assert record["metrics"]["Accuracy"] > 0.7


def test_same_seed_same_results(core_registry, toy_root, model_dir):
    a = _run(core_registry, toy_root, model_dir / "good.yaml", model_dir / "a").document.to_dict()
    b = _run(core_registry, toy_root, model_dir / "good.yaml", model_dir / "b").document.to_dict()
    assert strip_timing(a) == strip_timing(b)
    assert a["digest"]["results_sha256"] == b["digest"]["results_sha256"]


def test_refuses_to_overwrite_results(core_registry, toy_root, model_dir):
    _run(core_registry, toy_root, model_dir / "good.yaml", model_dir / "out")
    before = (model_dir / "out" / "eval.yaml").read_bytes()
    with pytest.raises(ResultsError, match="already holds results"):
        _run(core_registry, toy_root, model_dir / "good.yaml", model_dir / "out")
    assert (model_dir / "out" / "eval.yaml").read_bytes() == before
    _run(core_registry, toy_root, model_dir / "good.yaml", model_dir / "out", overwrite=True)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("raises.yaml", "raised in predict_proba\\(\\): RuntimeError: GPU on fire"),
        ("returnsnan.yaml", "NaN"),
        ("wrongshape.yaml", "dataset has 2 classes"),
        ("wronglength.yaml", "for 200 inputs|for 200"),
        ("nomethods.yaml", "has no predict_proba\\(\\) or predict\\(\\)"),
    ],
)
def test_misbehaving_model_is_recorded_as_failed(
    core_registry, toy_root, model_dir, config, message
):
    result = _run(core_registry, toy_root, model_dir / config, model_dir / "out")
    record = result.document.to_dict()["benchmarks"][0]
    assert record["status"] == "Failed"
    import re

    assert re.search(message, record["error"]), record["error"]
    assert result.document.to_dict()["status"] == "Failed"
    assert (model_dir / "out" / "eval.yaml").exists()


def test_model_that_fails_to_load(core_registry, toy_root, model_dir):
    with pytest.raises(ModelError, match="checkpoint missing"):
        _run(core_registry, toy_root, model_dir / "badinit.yaml", model_dir / "out")


def test_other_benchmarks_still_run_when_one_fails(core_registry, toy_root, model_dir):
    suite = SuiteSpec(
        name="SUITE-MIXED",
        summary="one good, one broken",
        benchmarks=(
            SuiteEntry(benchmark="BM-TOY-CLASS", dataset="DS-DOES-NOT-EXIST"),
            SuiteEntry(benchmark="BM-TOY-CLASS"),
        ),
    )
    options = RunOptions(data_root=str(toy_root), progress=False)
    result = run_suite(
        core_registry, suite, read_model_config(model_dir / "good.yaml"), model_dir / "out", options
    )
    first, second = result.document.to_dict()["benchmarks"]
    assert first["status"] == "Failed" and "DS-DOES-NOT-EXIST" in first["error"]
    assert second["status"] == "Completed"
    assert result.document.to_dict()["status"] == "Partial"


def test_batching_does_not_change_results(core_registry, toy_root, model_dir):
    a = _run(core_registry, toy_root, model_dir / "good.yaml", model_dir / "a", batch_size=7)
    b = _run(core_registry, toy_root, model_dir / "good.yaml", model_dir / "b", batch_size=256)
    assert (
        a.document.to_dict()["benchmarks"][0]["metrics"]
        == b.document.to_dict()["benchmarks"][0]["metrics"]
    )
    assert a.model.calls["predict_proba"] == int(np.ceil(200 / 7))


def test_dummy_classifier_is_deterministic_for_any_number_of_classes():
    from fmbench.models.dummy import DummyClassifier

    X = np.random.default_rng(0).standard_normal((10, 4))
    for k in (2, 3, 8):
        model = DummyClassifier(random_seed=1)
        model.prepare({"n_classes": k})
        p = model.predict_proba(X)
        assert p.shape == (10, k) and np.allclose(p.sum(axis=1), 1)
        # per-row determinism: the same row gives the same output in any batch
        assert np.allclose(model.predict_proba(X[3:5]), p[3:5])
