"""Every core command through click's CliRunner, with the errors a user can hit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fmbench.cli import cli

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("FMBENCH_NO_PLUGINS", "1")
    return CliRunner()


def invoke(runner: CliRunner, *args: str):
    return runner.invoke(cli, list(args), obj={})


@pytest.fixture
def toy_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toy_root: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FMBENCH_TOY_DATA", str(toy_root))
    return tmp_path


def test_help_lists_commands(runner):
    result = invoke(runner, "--help")
    assert result.exit_code == 0
    for command in (
        "run",
        "list-suites",
        "list-benchmarks",
        "generate-toy-data",
        "plugins",
        "validate",
    ):
        assert command in result.output


def test_listing_commands(runner):
    for command, expected in (
        ("list-suites", "SUITE-TOY-CLASS"),
        ("list-benchmarks", "BM-TOY-CLASS"),
        ("list-probes", "noise"),
        ("list-metrics", "AUROC"),
        ("list-datasets", "DS-TOY-FMRI-CLASS"),
        ("list-adapters", "python_class"),
        ("list-protocols", "linear_probe"),
    ):
        result = invoke(runner, command)
        assert result.exit_code == 0, result.output
        assert expected in result.output and "fmbench.builtin" in result.output
        as_json = invoke(runner, command, "--json")
        rows = json.loads(as_json.output)
        assert rows and all(row["provider"] == "fmbench.builtin" for row in rows)


def test_plugins_list(runner):
    result = invoke(runner, "plugins", "list")
    assert (
        result.exit_code == 0 and "fmbench.builtin" in result.output and "[loaded]" in result.output
    )
    data = json.loads(invoke(runner, "plugins", "list", "--json").output)
    assert "SUITE-TOY-CLASS" in data["plugins"][0]["contributes"]["suite"]


def test_generate_toy_data(runner, tmp_path: Path):
    result = invoke(runner, "generate-toy-data", "--output-dir", str(tmp_path / "td"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "td/neuro/fmri_classification/X.npy").exists()
    bad = invoke(
        runner, "generate-toy-data", "--output-dir", str(tmp_path / "td"), "--only", "DS-NOPE"
    )
    assert bad.exit_code != 0 and "no toy dataset 'DS-NOPE'" in bad.output


def test_run_writes_eval_and_report(runner, toy_cwd: Path):
    result = invoke(
        runner,
        "run",
        "--suite",
        "SUITE-TOY-CLASS",
        "--model",
        str(CONFIGS / "model_dummy_classifier.yaml"),
        "--out",
        "results/r1",
        "--no-progress",
    )
    assert result.exit_code == 0, result.output
    assert "BM-TOY-CLASS: AUROC =" in result.output
    assert (toy_cwd / "results/r1/eval.yaml").exists()
    assert "# fmbench report" in (toy_cwd / "results/r1/report.md").read_text()
    # nothing written outside --out
    assert sorted(p.name for p in toy_cwd.iterdir()) == ["results"]
    again = invoke(
        runner,
        "run",
        "--suite",
        "SUITE-TOY-CLASS",
        "--model",
        str(CONFIGS / "model_dummy_classifier.yaml"),
        "--out",
        "results/r1",
    )
    assert again.exit_code != 0
    assert "already holds results" in again.output and "--overwrite" in again.output
    assert "Traceback" not in again.output
    valid = invoke(runner, "validate", "results/r1/eval.yaml")
    assert valid.exit_code == 0 and "OK (eval)" in valid.output


def test_run_with_evals_dir_copies(runner, toy_cwd: Path):
    result = invoke(
        runner,
        "run",
        "--suite",
        "SUITE-TOY-CLASS",
        "--model",
        str(CONFIGS / "model_dummy_classifier.yaml"),
        "--out",
        "r",
        "--evals-dir",
        "evals",
        "--reports-dir",
        "reports",
        "--no-progress",
    )
    assert result.exit_code == 0, result.output
    assert len(list((toy_cwd / "evals").glob("SUITE-TOY-CLASS-dummy_classifier-*.yaml"))) == 1
    assert len(list((toy_cwd / "reports").glob("*.md"))) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--suite", "SUITE-TOY-CLAS"],
            "unknown suite 'SUITE-TOY-CLAS' (did you mean 'SUITE-TOY-CLASS'?)",
        ),
        (
            ["--suite", "SUITE-TOY-CLASS", "--model", "missing.yaml"],
            "model config not found: missing.yaml",
        ),
        (["--suite", "SUITE-TOY-CLASS", "--model", "bad.yaml"], "malformed YAML"),
        (["--suite", "SUITE-TOY-CLASS", "--model", "noclass.yaml"], "has no 'Missing'"),
        (
            ["--suite", "SUITE-TOY-CLASS", "--model", "nomodule.yaml"],
            "cannot import module 'nowhere_mod'",
        ),
        (
            ["--suite", "SUITE-TOY-CLASS", "--model", "unknown_type.yaml"],
            "unknown model adapter type 'python_clas' (did you mean 'python_class'?)",
        ),
    ],
)
def test_run_errors_are_one_line(runner, toy_cwd: Path, args, message):
    (toy_cwd / "bad.yaml").write_text("model_id: [unclosed\n")
    (toy_cwd / "noclass.yaml").write_text(
        'model_id: m\ntype: python_class\nimport_path: "fmbench.models.dummy:Missing"\n'
    )
    (toy_cwd / "nomodule.yaml").write_text(
        'model_id: m\ntype: python_class\nimport_path: "nowhere_mod:X"\n'
    )
    (toy_cwd / "unknown_type.yaml").write_text("model_id: m\ntype: python_clas\n")
    full = ["run", *args]
    if "--model" not in args:
        full += ["--model", str(CONFIGS / "model_dummy_classifier.yaml")]
    result = invoke(runner, *full, "--out", "out")
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_failed_benchmark_exits_non_zero(runner, toy_cwd: Path, model_dir: Path):
    result = invoke(
        runner,
        "run",
        "--suite",
        "SUITE-TOY-CLASS",
        "--model",
        str(model_dir / "raises.yaml"),
        "--out",
        str(toy_cwd / "out"),
        "--no-progress",
    )
    assert result.exit_code == 1
    assert "FAILED" in result.output and "GPU on fire" in result.output
    assert (toy_cwd / "out/eval.yaml").exists()


def test_validate_catches_an_edited_metric(runner, toy_cwd: Path):
    invoke(
        runner,
        "run",
        "--suite",
        "SUITE-TOY-CLASS",
        "--model",
        str(CONFIGS / "model_dummy_classifier.yaml"),
        "--out",
        "r",
        "--no-progress",
    )
    path = toy_cwd / "r/eval.yaml"
    text = path.read_text()
    import re

    edited = re.sub(r"(\n  AUROC: )[0-9.]+", r"\g<1>0.99", text, count=1)
    assert edited != text
    path.write_text(edited)
    result = invoke(runner, "validate", str(path))
    assert result.exit_code == 1 and "digest does not match" in result.output


def test_validate_reports_schema_errors(runner, tmp_path: Path):
    path = tmp_path / "eval.yaml"
    path.write_text("eval_id: x\nstatus: Done\n")
    result = invoke(runner, "validate", str(path))
    assert result.exit_code == 1 and "schema:" in result.output


def test_validate_definition_and_model_files(runner, tmp_path: Path):
    suite = tmp_path / "suite.yaml"
    suite.write_text("suite_id: S\nbenchmarks: [BM-NOPE]\n")
    result = invoke(runner, "validate", str(suite))
    assert result.exit_code == 1 and "unknown benchmark 'BM-NOPE'" in result.output
    result = invoke(runner, "validate", str(CONFIGS / "model_dummy_classifier.yaml"))
    assert result.exit_code == 0 and "OK (model config)" in result.output


def test_suite_file_path_is_accepted(runner, toy_cwd: Path):
    (toy_cwd / "my_suite.yaml").write_text(
        "suite_id: SUITE-MINE\nname: Mine\nbenchmarks:\n  - benchmark_id: BM-TOY-CLASS\n"
    )
    result = invoke(
        runner,
        "run",
        "--suite",
        "my_suite.yaml",
        "--model",
        str(CONFIGS / "model_dummy_classifier.yaml"),
        "--out",
        "o",
        "--no-progress",
    )
    assert result.exit_code == 0, result.output
