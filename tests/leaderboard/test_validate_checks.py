"""``fmbench validate``: edited metrics, wrong versions, impossible and perfect values."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from fmbench.cli import cli
from fmbench.leaderboard.synthetic import synthetic_eval, write_synthetic
from fmbench.plugin_system.registry import build_registry
from fmbench.results.eval_file import with_digest
from fmbench.results.validation import check_eval


@pytest.fixture(scope="module")
def registry():
    return build_registry(external=False)


def _errors(doc, registry) -> list[str]:
    return [f.message for f in check_eval(doc, registry) if f.severity == "error"]


def test_a_clean_file_has_no_errors(registry):
    assert _errors(synthetic_eval("m", 0.7, interval=(0.6, 0.8)), registry) == []


def test_an_edited_metric_fails_the_digest(tmp_path):
    path = write_synthetic(tmp_path / "eval.yaml", synthetic_eval("m", 0.7))
    text = path.read_text()
    assert text.count("AUROC: 0.7\n") >= 2
    path.write_text(text.replace("AUROC: 0.7\n", "AUROC: 0.99\n"))
    result = CliRunner().invoke(cli, ["validate", str(path)], obj={})
    assert result.exit_code == 1
    assert "digest does not match the content" in result.output


def test_a_wrong_benchmark_version_is_an_error(registry):
    doc = synthetic_eval("m", 0.7, benchmark_version="0.9.0")
    assert any("benchmark version 0.9.0 does not match" in e for e in _errors(doc, registry))


def test_a_wrong_suite_version_is_an_error(registry):
    doc = synthetic_eval("m", 0.7)
    doc["run_metadata"]["suite_version"] = "7.0.0"
    assert any(
        "suite SUITE-TOY-CLASS: version 7.0.0" in e for e in _errors(with_digest(doc), registry)
    )


def test_better_than_possible_is_an_error_and_perfect_is_a_warning(registry):
    impossible = _errors(synthetic_eval("m", 1.2), registry)
    assert any("better than possible" in e for e in impossible)
    findings = check_eval(synthetic_eval("m", 1.0), registry)
    assert [f.severity for f in findings if "best possible value" in f.message] == ["warning"]


def test_worse_than_chance_is_a_warning_and_missing_interval_is_info(registry):
    findings = check_eval(synthetic_eval("m", 0.3), registry)
    kinds = {
        (f.severity, "worse than chance" in f.message or "no confidence" in f.message)
        for f in findings
    }
    assert ("warning", True) in kinds
    assert ("info", True) in kinds


def test_primary_metric_must_be_the_declared_one_with_the_declared_direction(registry):
    doc = synthetic_eval("m", 0.7)
    doc["benchmarks"][0]["primary_metric"]["direction"] = "lower"
    assert any("direction 'lower' is wrong" in e for e in _errors(with_digest(doc), registry))
    doc = synthetic_eval("m", 0.7, primary="Accuracy")
    assert any("benchmark declares AUROC" in e for e in _errors(doc, registry))


def test_primary_value_must_match_the_metric(registry):
    doc = synthetic_eval("m", 0.7)
    doc["benchmarks"][0]["primary_metric"]["value"] = 0.9
    assert any("differs from metrics.AUROC" in e for e in _errors(with_digest(doc), registry))


@pytest.mark.parametrize("interval", [[0.8, 0.9], [0.9, 0.6], ["a", 1], [0.1]])
def test_bad_intervals_are_errors(registry, interval):
    doc = synthetic_eval("m", 0.7)
    doc["benchmarks"][0]["intervals"] = {"AUROC": interval}
    assert any("interval of AUROC" in e for e in _errors(with_digest(doc), registry))


def test_out_of_range_stratum_is_an_error(registry):
    doc = synthetic_eval("m", 0.7, stratified={"site": {"A": {"AUROC": 3.0, "N": 10}}})
    assert any("site=A" in e for e in _errors(doc, registry))


def test_validate_json_lists_severities(tmp_path):
    path = write_synthetic(tmp_path / "eval.yaml", synthetic_eval("m", 0.3))
    result = CliRunner().invoke(cli, ["validate", "--json", str(path)], obj={})
    assert result.exit_code == 0, result.output
    (report,) = yaml.safe_load(result.output)
    assert {f["severity"] for f in report["findings"]} == {"warning", "info"}


def test_a_too_deep_file_is_an_error_not_a_crash(tmp_path: Path):
    path = tmp_path / "eval.yaml"
    path.write_text("eval_id: x\nmodel: " + "[" * 100 + "]" * 100 + "\n")
    result = CliRunner().invoke(cli, ["validate", str(path)], obj={})
    assert result.exit_code == 1
    assert "levels deep" in result.output
