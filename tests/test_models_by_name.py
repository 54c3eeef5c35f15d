"""Models that plugins ship, run by name (``--model NAME``): no config file needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from fmbench.cli import cli
from fmbench.errors import ConfigError
from fmbench.models.config import config_of, read_model_config, resolve_model_config
from fmbench.plugin_system.definitions import load_definitions, parse_model
from fmbench.plugin_system.registry import build_registry
from fmbench.plugin_system.specs import ModelSpec

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("FMBENCH_NO_PLUGINS", "1")
    return CliRunner()


def invoke(runner: CliRunner, *args: str):
    return runner.invoke(cli, list(args), obj={})


def test_the_builtin_models_are_registered_from_package_data() -> None:
    registry = build_registry(external=False)
    assert registry.names(ModelSpec) == ["dummy_classifier", "raw_features_baseline"]
    assert registry.provider(ModelSpec, "dummy_classifier") == "fmbench.builtin"
    config = config_of(registry.get(ModelSpec, "dummy_classifier"), "fmbench.builtin")
    assert config.model_id == "dummy_classifier"
    assert config.source == "<model dummy_classifier of fmbench.builtin>"


def test_a_shipped_model_equals_the_repository_config_file() -> None:
    """The earlier project's `configs/model_dummy_classifier.yaml` and the shipped model agree."""
    registry = build_registry(external=False)
    shipped = resolve_model_config(registry, "dummy_classifier")
    from_file = read_model_config(ROOT / "configs" / "model_dummy_classifier.yaml")
    assert (shipped.model_id, shipped.type, dict(shipped.settings)) == (
        from_file.model_id,
        from_file.type,
        dict(from_file.settings),
    )
    assert shipped.sha256 == from_file.sha256


def test_descriptive_keys_are_not_adapter_settings(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("model_id: m\ntype: raw_features\nsummary: mine\nlicense: MIT\ncitation: me\n")
    assert dict(read_model_config(path).settings) == {}
    spec = parse_model(yaml.safe_load(path.read_text()), source=str(path))
    assert (spec.summary, spec.license, spec.citation) == ("mine", "MIT", "me")


def test_parse_model_names_the_file_and_the_missing_key() -> None:
    with pytest.raises(ConfigError, match=r"x\.yaml: missing required key 'summary'"):
        parse_model({"model_id": "m", "type": "raw_features"}, source="x.yaml")
    with pytest.raises(ConfigError, match="ModelSpec.name must be a model_id"):
        parse_model({"model_id": "a b", "type": "t", "summary": "s"}, source="x.yaml")


def test_load_definitions_reads_models() -> None:
    names = [m.name for m in load_definitions("fmbench.builtin", "models")]
    assert names == ["dummy_classifier", "raw_features_baseline"]


def test_run_with_a_model_named_on_the_command_line_matches_the_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toy_root: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FMBENCH_TOY_DATA", str(toy_root))
    by_name = invoke(
        runner, "run", "--suite", "SUITE-TOY-CLASS", "--model", "dummy_classifier",
        "--out", "by_name", "--no-progress",
    )  # fmt: skip
    assert by_name.exit_code == 0, by_name.output
    by_file = invoke(
        runner, "run", "--suite", "SUITE-TOY-CLASS", "--model",
        str(ROOT / "configs" / "model_dummy_classifier.yaml"), "--out", "by_file", "--no-progress",
    )  # fmt: skip
    assert by_file.exit_code == 0, by_file.output
    a = yaml.safe_load((tmp_path / "by_name" / "eval.yaml").read_text())
    b = yaml.safe_load((tmp_path / "by_file" / "eval.yaml").read_text())
    assert a["model_ids"]["candidate"] == b["model_ids"]["candidate"] == "dummy_classifier"
    assert a["metrics"] == b["metrics"]


def test_an_unknown_model_name_is_one_line_with_a_suggestion(runner: CliRunner) -> None:
    result = invoke(
        runner, "run", "--suite", "SUITE-TOY-CLASS", "--model", "dummy_clasifier", "--out", "x"
    )
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        "Error: --model 'dummy_clasifier' is neither a model config file nor the name of a "
        "model a plugin ships (did you mean 'dummy_classifier'?) (see `fmbench list-models`)"
    ]
    missing_file = invoke(
        runner, "run", "--suite", "SUITE-TOY-CLASS", "--model", "no/such.yaml", "--out", "x"
    )
    assert missing_file.exit_code != 0
    assert "model config not found: no/such.yaml" in missing_file.output


def test_list_models(runner: CliRunner) -> None:
    table = invoke(runner, "list-models")
    assert table.exit_code == 0, table.output
    assert "dummy_classifier" in table.output and "fmbench.builtin" in table.output
    listed = json.loads(invoke(runner, "list-models", "--json").output)
    by_id = {m["model_id"]: m for m in listed}
    assert by_id["raw_features_baseline"]["type"] == "raw_features"
    assert by_id["dummy_classifier"]["settings"]["import_path"] == (
        "fmbench.models.dummy:DummyClassifier"
    )
