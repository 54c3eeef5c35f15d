"""``fmbench plugins new``: the generated packages, installed in place (a fake dist-info on
``sys.path``), pass the contract check; the full check (wheel, fresh venv, the package's own
pytest) is ``scripts/check_wheelhouse.sh`` (``make wheels-check``)."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest
from click.testing import CliRunner

from fmbench.cli import cli
from fmbench.plugin_system.registry import get_registry
from fmbench.plugin_system.scaffold import KINDS, scaffold, template_names
from fmbench.testing import assert_valid_plugin, make_fake_distribution


def new(tmp_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["plugins", "new", *args, "--dir", str(tmp_path)], obj={})
    # fmbench errors reach `fmbench.cli.main`, which prints them as one line
    return result.exit_code, result.output + str(result.exception or "")


def install_in_place(package: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Make ``package`` importable and visible to importlib.metadata, like `pip install -e`."""
    names = template_names(package.name, "probe")
    text = (package / "pyproject.toml").read_text()
    entry = f"{names['__MODULE__']}.plugin"
    assert f'{package.name} = "{entry}"' in text
    make_fake_distribution(
        package, package.name, {}, entry_point=entry, requires=["fmbench-core>=0.1,<0.2"]
    )
    monkeypatch.syspath_prepend(str(package))
    monkeypatch.delenv("FMBENCH_NO_PLUGINS", raising=False)
    return package.name


def test_names() -> None:
    names = template_names("fmbench-acme-probes", "probe")
    assert names["__SLUG__"] == "acme"
    assert names["__UPPER__"] == "ACME"
    assert template_names("fmbench-brain-lab", "metric")["__CLASS__"] == "BrainLab"
    assert template_names("eeg_tools", "adapter")["__MODULE__"] == "eeg_tools"


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_generates_a_valid_package(tmp_path: Path, kind: str) -> None:
    code, out = new(tmp_path, f"fmbench-gen-{kind}", "--kind", kind)
    assert code == 0, out
    package = tmp_path / f"fmbench-gen-{kind}"
    assert f"created {package}" in out
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from 3.11")
    pyproject = tomllib.loads((package / "pyproject.toml").read_text())
    assert pyproject["project"]["entry-points"]["fmbench"] == {
        f"fmbench-gen-{kind}": f"fmbench_gen_{kind}.plugin"
    }
    assert pyproject["project"]["dependencies"][0] == "fmbench-core>=0.1,<0.2"
    for path in package.rglob("*.py"):
        ast.parse(path.read_text(), filename=str(path))
        assert "__" not in path.read_text().replace("__init__", "").replace(
            "__future__", ""
        ).replace("__name__", "").replace("__version__", ""), f"placeholder left in {path}"
    assert (package / "tests" / "test_plugin.py").is_file()
    assert (package / f"fmbench_gen_{kind}" / "py.typed").is_file()


@pytest.mark.parametrize("kind", ["probe", "benchmark", "metric", "reporter"])
def test_scaffolded_plugins_pass_the_contract_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    scaffold(f"fmbench-inplace-{kind}", kind, tmp_path)
    dist = install_in_place(tmp_path / f"fmbench-inplace-{kind}", monkeypatch)
    check = assert_valid_plugin(dist)
    expected = {
        "probe": ("probes", ["inplace_gain"]),
        "benchmark": ("datasets", ["DS-INPLACE-TOY"]),
        "metric": ("metrics", ["InplaceMCC"]),
        "reporter": ("reporters", ["inplace_csv"]),
    }[kind]
    assert getattr(check, expected[0]) == expected[1]


def test_scaffolded_adapter_runs_the_toy_benchmark(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    scaffold("fmbench-inplace-adapter", "adapter", tmp_path)
    dist = install_in_place(tmp_path / "fmbench-inplace-adapter", monkeypatch)
    weights = tmp_path / "w.npz"
    np.savez(weights, W=np.zeros((100, 2)), b=np.zeros(2))
    config = {"model_id": "zero_linear", "type": "inplace_linear", "weights": str(weights)}
    check = assert_valid_plugin(dist, model=config)
    assert check.models == ["zero_linear"]
    assert check.benchmarks == {"BM-TOY-CLASS": 0.5}  # all-equal probabilities: AUROC 0.5


def test_scaffolded_probe_is_listed_and_runs_in_run_robustness(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scaffold("fmbench-zeta-probes", "probe", tmp_path)
    install_in_place(tmp_path / "fmbench-zeta-probes", monkeypatch)
    get_registry.cache_clear()
    try:
        runner = CliRunner()
        listed = runner.invoke(cli, ["plugins", "list"], obj={})
        assert "fmbench-zeta-probes 0.1.0  [loaded]" in listed.output
        assert "probes: zeta_gain" in listed.output
        if importlib.util.find_spec("fmbench.cli.robustness_cmd") is None:
            pytest.skip("run-robustness is not in this fmbench yet (fmbench.cli.robustness_cmd)")
        monkeypatch.chdir(tmp_path)
        assert runner.invoke(cli, ["generate-toy-data"], obj={}).exit_code == 0
        Path("model.yaml").write_text(
            "model_id: dummy\ntype: python_class\n"
            'import_path: "fmbench.models.dummy:DummyClassifier"\n'
        )
        result = runner.invoke(
            cli,
            ["run-robustness", "--model", "model.yaml", "--data",
             "toy_data/neuro/fmri_classification", "--probes", "zeta_gain", "--out", "out",
             "--no-progress"],
            obj={},
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "zeta_gain: rAUC" in result.output
    finally:
        get_registry.cache_clear()


def test_bad_name_kind_and_existing_folder(tmp_path: Path) -> None:
    code, out = new(tmp_path, "fmbench acme", "--kind", "probe")
    assert code != 0
    assert "is not a valid distribution name" in out
    code, out = new(tmp_path, "fmbench-x", "--kind", "dataset")
    assert code != 0
    assert "Invalid value for '--kind'" in out
    (tmp_path / "fmbench-taken").mkdir()
    (tmp_path / "fmbench-taken" / "file").write_text("x")
    code, out = new(tmp_path, "fmbench-taken", "--kind", "probe")
    assert code != 0
    assert "already exists and is not empty" in out
