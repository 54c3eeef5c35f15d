"""``run-robustness`` and suites that declare probes, through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner, Result

import fmbench
from fmbench.cli import cli
from fmbench.data.toy_files import write_array_dataset
from fmbench.plugin_system.registry import build_registry
from fmbench.plugin_system.specs import ProbeSpec
from fmbench.results.eval_file import dump_yaml, schema_errors, verify_digest

MODELS = textwrap.dedent(
    """
    import numpy as np

    class Signal:
        def predict_proba(self, X):
            score = np.asarray(X, dtype=float)[:, 0].reshape(len(X), -1).mean(axis=1)
            p1 = 1.0 / (1.0 + np.exp(-3.0 * score))
            return np.column_stack([1 - p1, p1])

    class EmbedOnly:
        def embed(self, X):
            return np.asarray(X, dtype=float).reshape(len(X), -1)
    """
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with an EEG-like array dataset and model configs; the current directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "rt_cli_models.py").write_text(MODELS)
    for name, cls in (("signal", "Signal"), ("embed", "EmbedOnly")):
        (tmp_path / f"{name}.yaml").write_text(
            f"model_id: {name}\ntype: python_class\nimport_path: rt_cli_models:{cls}\n"
        )
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 40)
    X = rng.standard_normal((80, 4, 32)).astype(np.float32)
    X[:, 0, :] += np.where(y == 1, 0.6, -0.6)[:, None].astype(np.float32)
    write_array_dataset(
        tmp_path / "eeg",
        X=X,
        y=y,
        metadata={"subject_id": [f"s{i}" for i in range(80)]},
        info={"modality": "eeg", "task": "classification", "n_classes": 2},
    )
    return tmp_path


def invoke(args: list[str]) -> Result:
    """Run the CLI as `fmbench` does (errors become one line and an exit code)."""
    return CliRunner().invoke(cli, args, obj={})


def base(out: str = "out") -> list[str]:
    return ["run-robustness", "--model", "signal.yaml", "--data", "eeg", "--out", out,
            "--no-progress"]  # fmt: skip


def test_run_robustness_writes_a_valid_eval_report_and_plots(workdir: Path) -> None:
    result = invoke([*base(), "--probes", "noise,dropout", "--levels", "noise=0,0.3,1,3"])
    assert result.exit_code == 0, result.output
    assert result.exit_code == 0
    assert "noise: rAUC (chance-relative) =" in result.output
    doc = yaml.safe_load((workdir / "out" / "eval.yaml").read_text())
    assert schema_errors(doc) == []
    assert verify_digest(doc)
    assert doc["benchmark_id"] == "robustness_testing"
    assert doc["eval_id"].startswith("ROBUSTNESS-signal-")
    assert doc["benchmarks"][0]["metrics"]["AUROC"] > 0.9  # the clean metrics
    block = doc["robustness"]["robustness_testing"]
    assert list(block["probes"]) == ["noise", "dropout"]
    assert block["probes"]["noise"]["levels"] == [0.0, 0.3, 1.0, 3.0]
    assert doc["metrics"]["robustness_score"] == block["robustness_score"]
    assert doc["metrics"]["noise_rAUC"] == block["probes"]["noise"]["performance"]["relative_rAUC"]
    typed = fmbench.read_eval(workdir / "out" / "eval.yaml")  # same YAML text back
    assert dump_yaml(typed.to_dict()) == (workdir / "out" / "eval.yaml").read_text()
    typed_block = (typed.robustness or {})["robustness_testing"]
    assert typed_block.resources is not None and typed_block.resources.wall_time_s is not None
    noise = typed_block.probes["noise"].resources
    assert (
        noise is not None
        and noise.model_inputs == block["probes"]["noise"]["resources"]["model_inputs"]
    )
    report = (workdir / "out" / "report.md").read_text()
    assert "## Robustness" in report
    assert "| noise |" in report
    for probe in ("noise", "dropout"):
        png = workdir / "out" / "plots" / f"{probe}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"](plots/{probe}.png)" in report


def test_default_probes_are_those_for_the_modality(workdir: Path) -> None:
    result = invoke([*base(), "--evals-dir", "evals", "--reports-dir", "reports"])
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load((workdir / "out" / "eval.yaml").read_text())
    registry = build_registry()
    expected = [
        p.name
        for p in registry.all(ProbeSpec)
        if (not p.modalities or "eeg" in p.modalities) and not p.requires  # no sampling_freq here
    ]
    assert doc["run_metadata"]["probes"] == expected
    assert (workdir / "evals" / f"{doc['eval_id']}.yaml").is_file()
    assert (workdir / "reports" / f"{doc['eval_id']}.md").is_file()


def test_unknown_probe_is_an_error_listing_the_available_ones(workdir: Path) -> None:
    result = invoke([*base(), "--probes", "noise,bogus"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "unknown probe 'bogus'" in result.output
    assert "available: " in result.output
    assert "noise" in result.output
    assert not (workdir / "out" / "eval.yaml").exists()


@pytest.mark.parametrize(
    ("levels", "message"),
    [
        ("noise:0,1", "expected PROBE=a,b,c"),
        ("noise=0,x", "must be numbers"),
        ("noise=1,0.5,2", "in order of severity"),
        ("masking=0,0.5", "not among the probes that run"),
    ],
)
def test_bad_levels_are_clear_errors(workdir: Path, levels: str, message: str) -> None:
    result = invoke([*base(), "--probes", "noise", "--levels", levels])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert message in result.output


def test_an_embed_only_model_is_told_why_it_cannot_run(workdir: Path) -> None:
    result = invoke(
        [
            "run-robustness",
            "--model",
            "embed.yaml",
            "--data",
            "eeg",
            "--out",
            "o",
            "--probes",
            "noise",
        ]
    )
    assert "has no predict_proba() or predict()" in result.output


def _bad(x: np.ndarray, level: float, rng: Any, info: Any) -> np.ndarray:
    if level > 0:
        raise ValueError("cannot perturb")
    return np.array(x)


def _rate(x: np.ndarray, level: float, rng: Any, info: Any) -> np.ndarray:
    t = np.arange(x.shape[-1]) / info["sampling_freq"]
    return np.array(x) + level * np.sin(2 * np.pi * 10 * t)


def _registry_with_test_probes() -> Any:
    module = types.ModuleType("rt_cli_probes")

    @fmbench.hookimpl
    def fmbench_probes() -> Any:
        yield fmbench.ProbeSpec(name="bad", summary="fails", levels=(0, 1), perturb=_bad)
        yield fmbench.ProbeSpec(
            name="rate", summary="needs a rate", levels=(0, 1), perturb=_rate,
            requires=("sampling_freq",), modalities=("eeg",),
        )  # fmt: skip

    module.fmbench_probes = fmbench_probes  # type: ignore[attr-defined]
    return build_registry(external=False, extra_modules=(module,))


def test_a_failing_probe_is_reported_others_run_and_exit_is_nonzero(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = _registry_with_test_probes()
    monkeypatch.setattr("fmbench.cli.robustness_cmd.registry_from", lambda ctx: registry)
    result = invoke([*base(), "--probes", "bad,noise"])
    assert result.exit_code == 1, result.output
    assert "bad: FAILED: probe 'bad' raised at level 1: ValueError: cannot perturb" in result.output
    doc = yaml.safe_load((workdir / "out" / "eval.yaml").read_text())
    assert schema_errors(doc) == []
    assert doc["status"] == "Partial"
    block = doc["robustness"]["robustness_testing"]
    assert block["probes"]["bad"]["status"] == "Failed"
    assert block["probes"]["noise"]["status"] == "Completed"
    assert doc["metrics"]["bad_rAUC"] is None


def test_sampling_freq_is_never_assumed(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = _registry_with_test_probes()
    monkeypatch.setattr("fmbench.cli.robustness_cmd.registry_from", lambda ctx: registry)
    result = invoke([*base(), "--probes", "rate"])
    assert "needs the dataset's 'sampling_freq'" in result.output
    result = invoke([*base(), "--probes", "rate", "--sampling-freq", "128"])
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load((workdir / "out" / "eval.yaml").read_text())
    assert doc["run_metadata"]["sampling_freq"] == 128.0


def test_run_with_a_suite_that_declares_probes(workdir: Path) -> None:
    assert invoke(["generate-toy-data", "--output-dir", "toy_data"]).exit_code == 0
    result = invoke(
        [
            "run",
            "--suite",
            "SUITE-TOY-ROBUSTNESS",
            "--model",
            "signal.yaml",
            "--out",
            "s",
            "--data-root",
            "toy_data",
            "--no-progress",
        ]
    )
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load((workdir / "s" / "eval.yaml").read_text())
    assert schema_errors(doc) == []
    block = doc["robustness"]["BM-TOY-CLASS"]
    assert list(block["probes"]) == ["noise", "masking", "dropout"]
    assert block["probes"]["masking"]["levels"] == [0.0, 0.1, 0.2, 0.3, 0.5]  # the suite's grid
    assert (workdir / "s" / "plots" / "noise.png").is_file()
    assert "## Robustness" in (workdir / "s" / "report.md").read_text()


def test_probes_on_a_fitted_probe_protocol_fail_clearly(workdir: Path) -> None:
    assert invoke(["generate-toy-data", "--output-dir", "toy_data"]).exit_code == 0
    Path("suite.yaml").write_text(
        "suite_id: SUITE-RT-LINEAR\nbenchmarks: [BM-TOY-CLASS]\nprobes: [noise]\n"
    )
    result = invoke(
        [
            "run",
            "--suite",
            "suite.yaml",
            "--model",
            "signal.yaml",
            "--out",
            "s",
            "--data-root",
            "toy_data",
            "--protocol",
            "knn_probe",
            "--no-progress",
        ]
    )
    # knn_probe needs embed(); the benchmark fails, so its probes cannot run
    assert result.exit_code == 1
    doc = yaml.safe_load((workdir / "s" / "eval.yaml").read_text())
    assert doc["robustness"]["BM-TOY-CLASS"]["status"] == "Failed"


def test_run_robustness_end_to_end_in_a_subprocess(tmp_path: Path) -> None:
    env = {**os.environ, "FMBENCH_NO_PLUGINS": "1"}
    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [sys.executable, "-m", "fmbench", "generate-toy-data"], cwd=tmp_path, env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "fmbench",
            "run-robustness",
            "--model",
            str(root / "configs" / "model_dummy_classifier.yaml"),
            "--data",
            "toy_data/neuro/fmri_classification",
            "--out",
            "results/robustness_eval",
            "--probes",
            "dropout,noise",
            "--batch-size",
            "64",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    # a chance-level model is not robust: no score (null with the gate's p-value), never 0
    assert "robustness_score = null (no evidence that the clean AUROC" in done.stdout
    assert "p = " in done.stdout
    valid = subprocess.run(
        [sys.executable, "-m", "fmbench", "validate", "results/robustness_eval/eval.yaml"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert valid.returncode == 0, valid.stdout + valid.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "fmbench", "run-robustness", "--model",
         str(root / "configs" / "model_dummy_classifier.yaml"), "--data",
         "toy_data/neuro/fmri_classification", "--out", "x", "--probes", "line_nois"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "unknown probe 'line_nois'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_run_robustness_permutes_subjects_when_the_data_has_them(workdir: Path) -> None:
    """Windows of one subject are not independent: the signal gate (and the intervals)
    resample subjects when the data has a subject_id column with repeated subjects."""
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1], 40)  # 16 subjects of 5 windows, one label each
    X = rng.standard_normal((80, 4, 32)).astype(np.float32)
    X[:, 0, :] += np.where(y == 1, 0.6, -0.6)[:, None].astype(np.float32)
    write_array_dataset(
        workdir / "windows",
        X=X,
        y=y,
        metadata={"subject_id": [f"s{i // 5}" for i in range(80)]},
        info={"modality": "eeg", "task": "classification", "n_classes": 2},
    )
    result = invoke(["run-robustness", "--model", "signal.yaml", "--data", "windows",
                     "--out", "w", "--no-progress", "--probes", "noise"])  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load((workdir / "w" / "eval.yaml").read_text())
    assert schema_errors(doc) == []
    gate = doc["robustness"]["robustness_testing"]["signal_test"]
    assert gate["unit"] == "subject_id"
    assert gate["permuted"] == "across clusters"
    assert gate["n_units"] == 16
    assert gate["passed"] is True
    report = (workdir / "w" / "report.md").read_text()
    assert "Signal test (does the clean AUROC beat chance?): passed" in report
    # the eeg folder's subjects are all different: single samples are permuted
    assert invoke([*base("b"), "--probes", "noise"]).exit_code == 0
    gate = yaml.safe_load((workdir / "b" / "eval.yaml").read_text())["robustness"][
        "robustness_testing"
    ]["signal_test"]
    assert (gate["unit"], gate["permuted"]) == ("sample", "samples")
