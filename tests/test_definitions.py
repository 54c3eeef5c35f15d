"""Benchmark, suite and model-config files: parsed into records, with helpful errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from fmbench.errors import ConfigError
from fmbench.models.config import read_model_config
from fmbench.plugin_system.definitions import (
    load_definition_file,
    load_definitions,
    parse_benchmark,
    parse_suite,
)

BENCHMARK = {
    "benchmark_id": "BM-X",
    "name": "X",
    "task": "classification",
    "dataset": "DS-X",
    "metrics": {"primary": "AUROC", "secondary": ["Accuracy"]},
}


def test_builtin_definitions_parse():
    (suite,) = load_definitions("fmbench.builtin", "suites")[:1]
    assert suite.name == "SUITE-TOY-CLASS" and suite.version == "1.0.0"
    bm = next(
        b for b in load_definitions("fmbench.builtin", "benchmarks") if b.name == "BM-TOY-CLASS"
    )
    assert bm.metrics.primary == "AUROC"
    assert bm.stratification.bins["age"] == (20.0, 40.0, 60.0, 80.0, 100.0)
    assert bm.health_domain == "Neurology" and bm.source_sha256


def test_misspelled_key_is_named_with_a_suggestion():
    with pytest.raises(ConfigError, match=r"unknown key 'metricz' \(did you mean 'metrics'\?\)"):
        parse_benchmark({**BENCHMARK, "metricz": {}}, source="bm.yaml")


def test_misspelled_nested_key():
    bad = {**BENCHMARK, "stratification": {"colums": ["site"]}}
    with pytest.raises(
        ConfigError, match=r"stratification: unknown key 'colums' \(did you mean 'columns'\?\)"
    ):
        parse_benchmark(bad, source="bm.yaml")


def test_missing_required_key():
    data = dict(BENCHMARK)
    del data["metrics"]
    with pytest.raises(ConfigError, match="missing required key 'metrics'"):
        parse_benchmark(data, source="bm.yaml")


def test_wrong_type_is_reported():
    with pytest.raises(ConfigError, match="split"):
        parse_benchmark(
            {**BENCHMARK, "split": {"method": "kfold", "folds": "five"}}, source="bm.yaml"
        )


def test_bad_task_value():
    with pytest.raises(ConfigError, match="task must be one of classification, regression"):
        parse_benchmark({**BENCHMARK, "task": "segmentation"}, source="bm.yaml")


def test_upstream_single_benchmark_suite_form():
    suite = parse_suite(
        {
            "suite_id": "SUITE-TOY-CLASS",
            "benchmark_id": "BM-TOY-CLASS",
            "name": "Toy",
            "inputs": {"dataset": {"default": "DS-TOY-FMRI-CLASS"}},
        },
        source="suite.yaml",
    )
    assert suite.benchmarks[0].benchmark == "BM-TOY-CLASS"
    assert suite.benchmarks[0].dataset == "DS-TOY-FMRI-CLASS"


def test_suite_without_benchmarks():
    with pytest.raises(ConfigError, match="benchmarks"):
        parse_suite({"suite_id": "S"}, source="s.yaml")


def test_hash_ignores_key_order():
    a = parse_benchmark(BENCHMARK, source="a")
    b = parse_benchmark(dict(reversed(list(BENCHMARK.items()))), source="b")
    assert a.source_sha256 == b.source_sha256


def test_malformed_yaml_names_file_and_line(tmp_path: Path):
    path = tmp_path / "suite.yaml"
    path.write_text("suite_id: S\nbenchmarks: [a, b\n")
    with pytest.raises(ConfigError, match=r"suite.yaml:.*line \d+.*malformed YAML"):
        load_definition_file(path)


def test_unsafe_yaml_tags_are_refused(tmp_path: Path):
    path = tmp_path / "model.yaml"
    path.write_text(
        "model_id: !!python/object/apply:os.system ['echo pwned']\ntype: python_class\n"
    )
    with pytest.raises(ConfigError, match="malformed YAML"):
        read_model_config(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("type: python_class\n", "missing required key 'model_id'"),
        ("model_id: m\n", "missing required key 'type'"),
        ("model_id: ../../etc\ntype: python_class\n", "model_id '../../etc' must be"),
        ("- a\n- b\n", "expected a mapping"),
    ],
)
def test_model_config_errors(tmp_path: Path, text: str, message: str):
    path = tmp_path / "m.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        read_model_config(path)


def test_missing_model_config():
    with pytest.raises(ConfigError, match="model config not found"):
        read_model_config("/nonexistent/model.yaml")
