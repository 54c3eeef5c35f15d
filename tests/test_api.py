"""The Python API: fmbench.evaluate, Evaluation.write, fmbench.read_eval, and the CLI on top."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fmbench
from fmbench.errors import ConfigError, ResultsError
from fmbench.models.config import read_model_config
from fmbench.plugin_system.registry import Registry

ROOT = Path(__file__).resolve().parents[1]


class NearestMean:
    """A model object as a notebook user writes one: class means of the first feature."""

    def prepare(self, info: dict) -> None:
        self.n_classes = int(info["n_classes"])

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        score = 1.0 / (1.0 + np.exp(-np.asarray(X, dtype=float)[:, :3].sum(axis=1)))
        proba = np.full((len(X), self.n_classes), 0.0)
        proba[:, 1] = score
        proba[:, 0] = 1.0 - score
        return proba


def test_evaluate_a_model_object_write_and_read_back(
    core_registry: Registry, toy_root: Path, tmp_path: Path
) -> None:
    result = fmbench.evaluate(
        NearestMean(), "SUITE-TOY-CLASS", data_root=toy_root, seed=42, registry=core_registry
    )
    assert result.status is fmbench.Status.COMPLETED
    auroc = result.benchmarks["BM-TOY-CLASS"].metrics["AUROC"]
    assert isinstance(auroc, fmbench.MetricValue)
    assert auroc.value is not None and auroc.ci is not None
    assert auroc.ci[0] <= auroc.value <= auroc.ci[1]
    assert result.document.model["type"] == "python_object"
    assert result.document.model_id == "nearest_mean"

    written = result.write(tmp_path / "run1")
    assert written == tmp_path / "run1" / "eval.yaml"
    assert (tmp_path / "run1" / "report.md").is_file()
    same = fmbench.read_eval(written)
    assert same.to_dict() == result.to_dict()
    assert same.benchmarks["BM-TOY-CLASS"].metrics["AUROC"] == auroc

    with pytest.raises(ResultsError, match="already holds results"):
        result.write(tmp_path / "run1")
    result.write(tmp_path / "run1", overwrite=True)


def test_evaluate_gives_the_metrics_of_fmbench_run(
    core_registry: Registry, toy_root: Path, tmp_path: Path
) -> None:
    """The CLI is a layer over the same pipeline: same model and seed, same metrics."""
    config = ROOT / "configs" / "model_dummy_classifier.yaml"
    by_api = fmbench.evaluate(
        str(config), "SUITE-TOY-CLASS", data_root=toy_root, seed=7, registry=core_registry
    )
    run = subprocess.run(
        [sys.executable, "-m", "fmbench", "--no-plugins", "run", "--suite", "SUITE-TOY-CLASS",
         "--model", str(config), "--out", str(tmp_path / "cli"), "--seed", "7",
         "--data-root", str(toy_root), "--no-progress"],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    by_cli = fmbench.read_eval(tmp_path / "cli" / "eval.yaml")
    api_metrics = {
        name: (m.value, m.ci) for name, m in by_api.benchmarks["BM-TOY-CLASS"].metrics.items()
    }
    cli_metrics = {
        name: (m.value, m.ci) for name, m in by_cli.benchmarks["BM-TOY-CLASS"].metrics.items()
    }
    assert api_metrics == cli_metrics
    assert by_api.document.digest is not None and by_cli.digest is not None
    assert by_api.document.digest["results_sha256"] == by_cli.digest["results_sha256"]


def test_a_registered_model_and_a_config_mapping(core_registry: Registry, toy_root: Path) -> None:
    by_name = fmbench.evaluate(
        "raw_features_baseline", "SUITE-TOY-PROBE", data_root=toy_root, registry=core_registry
    )
    by_mapping = fmbench.evaluate(
        {"model_id": "raw_features_baseline", "type": "raw_features"},
        "SUITE-TOY-PROBE",
        data_root=toy_root,
        registry=core_registry,
    )
    key = "BM-TOY-CLASS-PROBE"
    assert by_name.benchmarks[key].metrics == by_mapping.benchmarks[key].metrics


def test_an_object_model_is_not_a_config_type(core_registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("model_id: m\ntype: python_object\n")
    from fmbench.models.handle import load_model

    with pytest.raises(ConfigError, match="use type: python_class"):
        load_model(core_registry, read_model_config(path))


def test_read_eval_of_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="eval file not found"):
        fmbench.read_eval(tmp_path / "nope.yaml")


def test_read_eval_gives_typed_records_of_committed_evals() -> None:
    for path in sorted((ROOT / "evals").glob("*.yaml")):
        doc = fmbench.read_eval(path)
        assert isinstance(doc, fmbench.EvalDocument)
        for record in doc.benchmarks.records:
            assert isinstance(record.status, fmbench.Status)
            for metric in record.metrics.values():
                assert metric.value is None or isinstance(metric.value, float)


def test_the_schema_describes_every_field_the_records_type() -> None:
    """The JSON schema and the typed records name the same fields (tested against each other)."""
    from fmbench.results.eval_file import load_schema
    from fmbench.results.records import (
        BenchmarkResult,
        EvalDocument,
        ProbeResult,
        RobustnessResult,
    )

    schema = load_schema()
    defs = schema["$defs"]
    pairs = [
        (EvalDocument, schema),
        (BenchmarkResult, defs["benchmark"]),
        (RobustnessResult, defs["robustness_block"]),
        (ProbeResult, defs["probe_result"]),
    ]
    for record, part in pairs:
        assert set(record.KEYS) <= set(part["properties"]), record.__name__
        assert set(part.get("required", ())) <= set(record.KEYS), record.__name__
