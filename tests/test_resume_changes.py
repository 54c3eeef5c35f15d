"""``--resume`` replays a finished unit only while everything its result depends on is unchanged.

Issue #21 item 1: changing ``my_model.py`` after a run and resuming kept the old AUROC, listed
the benchmark under ``resumed_units`` and said nothing. Now the unit runs again, a line on
stderr names the benchmark and what changed, and ``run_metadata.execution.rerun_units`` keeps
the reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from fmbench.cli import cli
from fmbench.results.eval_file import read_eval, schema_errors
from fmbench.running.resume import change_reason

MODEL = """
import numpy as np
{imports}

class MyModel:
    def __init__(self, weights=None):
        self.sign = float(np.load(weights)[0]) if weights else 1.0

    def predict_proba(self, X):
        s = self.sign * np.asarray(X)[:, :10].sum(axis=1)
        p = 1 / (1 + np.exp(-{expression} / 3))
        return np.column_stack([1 - p, p])
"""


def write_model(folder: Path, *, expression: str = "s", imports: str = "") -> None:
    (folder / "my_model.py").write_text(MODEL.format(expression=expression, imports=imports))


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toy_root: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FMBENCH_TOY_DATA", str(toy_root))
    monkeypatch.setenv("FMBENCH_NO_PLUGINS", "1")
    for name in ("my_model", "resume_helper_a"):  # in-process runs import them anew
        monkeypatch.delitem(sys.modules, name, raising=False)
    write_model(tmp_path)
    (tmp_path / "model.yaml").write_text(
        'model_id: mine\ntype: python_class\nimport_path: "my_model:MyModel"\n'
    )
    return tmp_path


def fmbench_run(workdir: Path, out: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """A fresh process per run, as a user's: the model module is imported anew each time."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(workdir), *sys.path])}
    return subprocess.run(
        [sys.executable, "-m", "fmbench", "run", "--suite", "SUITE-TOY-CLASS", "--model",
         "model.yaml", "--out", out, "--no-progress", "--n-resamples", "200", *extra],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def auroc(path: Path) -> float:
    value: float = read_eval(path)["benchmarks"][0]["metrics"]["AUROC"]
    return value


def test_a_changed_model_file_reruns_the_benchmark_and_says_so(workdir: Path):
    first = fmbench_run(workdir, "out")
    assert first.returncode == 0, first.stderr
    before = auroc(workdir / "out/eval.yaml")

    write_model(workdir, expression="-s")  # the wrapper now inverts its scores
    fresh = fmbench_run(workdir, "fresh")
    assert fresh.returncode == 0, fresh.stderr
    resumed = fmbench_run(workdir, "out", "--resume")
    assert resumed.returncode == 0, resumed.stderr

    assert "rerunning BM-TOY-CLASS: model code changed (my_model)" in resumed.stderr
    after = auroc(workdir / "out/eval.yaml")
    assert after == auroc(workdir / "fresh/eval.yaml")
    assert after != before
    doc = read_eval(workdir / "out/eval.yaml")
    execution = doc["run_metadata"]["execution"]
    assert execution["resumed_units"] == []
    assert execution["rerun_units"] == [
        {"benchmark": "BM-TOY-CLASS", "reason": "model code changed (my_model)"}
    ]
    assert schema_errors(doc) == []

    # resuming again, with nothing changed, replays it and reruns nothing
    again = fmbench_run(workdir, "out", "--resume")
    assert again.returncode == 0, again.stderr
    assert "rerunning" not in again.stderr
    execution = read_eval(workdir / "out/eval.yaml")["run_metadata"]["execution"]
    assert execution == {**execution, "resumed_units": ["BM-TOY-CLASS"], "rerun_units": []}


def run(*args: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["run", "--suite", "SUITE-TOY-CLASS", "--model", "model.yaml", "--no-progress",
         "--n-resamples", "200", *args],
        obj={},
    )  # fmt: skip


def rerun_reasons(out: Path) -> list[str]:
    units = read_eval(out / "eval.yaml")["run_metadata"]["execution"]["rerun_units"]
    return [unit["reason"] for unit in units]


def test_a_changed_local_module_the_model_imports_reruns_it(workdir: Path, monkeypatch):
    monkeypatch.syspath_prepend(str(workdir))
    (workdir / "resume_helper_a.py").write_text("SCALE = 1\n")
    write_model(workdir, imports="import resume_helper_a")
    assert run("--out", "out").exit_code == 0
    (workdir / "resume_helper_a.py").write_text("SCALE = 2\n")
    result = run("--out", "out", "--resume")
    assert result.exit_code == 0, result.output
    assert "rerunning BM-TOY-CLASS: model code changed (resume_helper_a)" in result.stderr
    assert rerun_reasons(workdir / "out") == ["model code changed (resume_helper_a)"]


def test_changed_weights_named_in_the_config_rerun_it(workdir: Path, monkeypatch):
    monkeypatch.syspath_prepend(str(workdir))
    np.save(workdir / "w.npy", np.array([1.0]))
    (workdir / "model.yaml").write_text(
        'model_id: mine\ntype: python_class\nimport_path: "my_model:MyModel"\n'
        "init_kwargs: {weights: w.npy}\n"
    )
    assert run("--out", "out").exit_code == 0
    np.save(workdir / "w.npy", np.array([-1.0]))
    result = run("--out", "out", "--resume")
    assert result.exit_code == 0, result.output
    assert rerun_reasons(workdir / "out") == ["model weights changed"]


def test_changed_data_reruns_it(workdir: Path, monkeypatch, toy_root: Path):
    monkeypatch.syspath_prepend(str(workdir))
    import shutil

    data = workdir / "data"
    shutil.copytree(toy_root, data)
    assert run("--out", "out", "--data-root", str(data)).exit_code == 0
    X = np.load(data / "neuro/fmri_classification/X.npy")
    np.save(data / "neuro/fmri_classification/X.npy", X[:, ::-1].copy())
    result = run("--out", "out", "--data-root", str(data), "--resume")
    assert result.exit_code == 0, result.output
    assert rerun_reasons(workdir / "out") == ["dataset DS-TOY-FMRI-CLASS content changed"]


def test_changed_options_rerun_it(workdir: Path, monkeypatch):
    monkeypatch.syspath_prepend(str(workdir))
    assert run("--out", "out").exit_code == 0
    result = run("--out", "out", "--resume", "--batch-size", "32")
    assert result.exit_code == 0, result.output
    assert rerun_reasons(workdir / "out") == ["options changed (batch_size 256 -> 32)"]


def test_a_changed_suite_definition_reruns_it(workdir: Path, monkeypatch):
    monkeypatch.syspath_prepend(str(workdir))
    suite = "suite_id: SUITE-MINE\nname: mine\nbenchmarks:\n  - benchmark_id: BM-TOY-CLASS\n"
    (workdir / "suite.yaml").write_text(suite)
    args = ("--model", "model.yaml", "--no-progress", "--n-resamples", "200", "--out", "out")
    assert CliRunner().invoke(cli, ["run", "--suite", "suite.yaml", *args], obj={}).exit_code == 0
    (workdir / "suite.yaml").write_text(suite.replace("name: mine", "name: mine, edited"))
    result = CliRunner().invoke(cli, ["run", "--suite", "suite.yaml", *args, "--resume"], obj={})
    assert result.exit_code == 0, result.output
    assert rerun_reasons(workdir / "out") == ["suite definition changed"]


def test_change_reason_names_each_part():
    old = {
        "fmbench": "0.1",
        "plugins": {"fmbench-neuro": "1.0"},
        "benchmark": "a",
        "model_code": {"my_model": "x", "helper": "y"},
        "weights": {"weights_sha256": "1"},
        "options": {"seed": 1, "batch_size": 8},
    }
    new = {
        "fmbench": "0.2",
        "plugins": {"fmbench-neuro": "1.1", "fmbench-genomics": "0.3"},
        "benchmark": "b",
        "model_code": {"my_model": "z", "helper": "y"},
        "weights": {"weights_sha256": "2"},
        "options": {"seed": 1, "batch_size": 16},
    }
    assert change_reason(old, new).split("; ") == [
        "fmbench version changed (0.1 -> 0.2)",
        "plugin versions changed (fmbench-genomics absent -> 0.3, fmbench-neuro 1.0 -> 1.1)",
        "benchmark definition changed",
        "model code changed (my_model)",
        "model weights changed",
        "options changed (batch_size 8 -> 16)",
    ]
    assert "older fmbench" in change_reason(None, new)
