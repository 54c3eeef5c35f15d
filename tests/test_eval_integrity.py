"""What the digest does not catch, and what now does (issue #21 F3).

The digest is a plain SHA-256 of the content: a short script that edits a metric and
recomputes it produces a file that validates. These tests show that attack, and the checks
that catch it where they can: ``results_sha256`` against the content, and the predictions
written beside ``eval.yaml`` (their hash, and every metric recomputed from them).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from fmbench.cli import cli
from fmbench.leaderboard.synthetic import synthetic_eval, write_synthetic
from fmbench.results.eval_file import dump_yaml, with_digest
from fmbench.results.predictions import load_predictions, save_predictions

ROOT = Path(__file__).resolve().parents[1]
DUMMY = str(ROOT / "configs" / "model_dummy_classifier.yaml")


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), obj={})
    return result.exit_code, result.output


def resign_with_an_edited_auroc(path: Path, auroc: float) -> None:
    """The attack of the adversarial review: edit, recompute the digest, write."""
    doc = yaml.safe_load(path.read_text())
    for record in doc["benchmarks"]:
        record["metrics"]["AUROC"] = auroc
        record["primary_metric"]["value"] = auroc
        record["intervals"]["AUROC"] = [auroc - 0.01, min(1.0, auroc + 0.01)]
    path.write_text(dump_yaml(with_digest(doc)))


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory, toy_root: Path) -> Path:
    """One finished run of the dummy model (eval.yaml, predictions.npz), made once."""
    folder = tmp_path_factory.mktemp("integrity")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FMBENCH_TOY_DATA", str(toy_root))
        patch.setenv("FMBENCH_NO_PLUGINS", "1")
        code, output = invoke(
            "run", "--suite", "SUITE-TOY-CLASS", "--model", DUMMY, "--out",
            str(folder / "run"), "--no-progress", "--n-resamples", "100",
        )  # fmt: skip
    assert code == 0, output
    return folder / "run"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_folder: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FMBENCH_NO_PLUGINS", "1")
    shutil.copytree(run_folder, tmp_path / "results" / "run")
    return tmp_path


def test_an_unedited_run_validates_with_its_predictions(workspace: Path) -> None:
    assert invoke("validate", "results/run/eval.yaml") == (0, "results/run/eval.yaml: OK (eval)\n")


def test_a_resigned_edited_auroc_is_caught_by_the_predictions_beside_it(workspace: Path) -> None:
    eval_path = workspace / "results" / "run" / "eval.yaml"
    resign_with_an_edited_auroc(eval_path, 0.99)
    code, output = invoke("validate", str(eval_path))
    assert code == 1
    assert "BM-TOY-CLASS: AUROC = 0.99, but the predictions in predictions.npz beside it give" in (
        output
    )
    assert "the value was edited" in output
    # and the leaderboard does not rank it first: it rejects it
    code, output = invoke("build-leaderboard", "--results", "results", "--out", "site")
    assert code == 0, output
    board = json.loads((workspace / "site" / "leaderboard.json").read_text())
    assert board["boards"] == []
    assert "AUROC = 0.99, but the predictions" in (workspace / "site" / "rejected.md").read_text()


def test_without_the_predictions_the_digest_cannot_tell(workspace: Path) -> None:
    """Stated plainly in docs/security.md: the digest detects accidental and naive edits
    only; an eval file alone, edited and re-digested, validates. Signatures answer this."""
    alone = workspace / "alone"
    alone.mkdir()
    shutil.copy(workspace / "results" / "run" / "eval.yaml", alone / "eval.yaml")
    resign_with_an_edited_auroc(alone / "eval.yaml", 0.99)
    assert invoke("validate", "alone/eval.yaml") == (0, "alone/eval.yaml: OK (eval)\n")


def test_predictions_of_another_run_are_named(workspace: Path) -> None:
    folder = workspace / "results" / "run"
    stored = load_predictions(folder / "predictions.npz")
    (bid, one), *_ = stored.items()
    one.predictions.proba = one.predictions.proba[::-1].copy()
    save_predictions(folder / "predictions.npz", {bid: (one.predictions, one.units)})
    code, output = invoke("validate", str(folder / "eval.yaml"))
    assert code == 1
    assert (
        f"{bid}: the predictions in predictions.npz beside it do not match predictions_sha256"
        in (output)
    )


def test_predictions_without_the_benchmark_are_named(workspace: Path) -> None:
    folder = workspace / "results" / "run"
    stored = load_predictions(folder / "predictions.npz")
    (bid, one), *_ = stored.items()
    save_predictions(folder / "predictions.npz", {"BM-OTHER": (one.predictions, one.units)})
    code, output = invoke("validate", str(folder / "eval.yaml"))
    assert code == 1
    assert f"{bid}: predictions.npz beside it holds no predictions of this benchmark" in output


def test_an_unreadable_predictions_file_is_an_error_not_a_crash(workspace: Path) -> None:
    folder = workspace / "results" / "run"
    (folder / "predictions.npz").write_bytes(b"not a zip file")
    code, output = invoke("validate", str(folder / "eval.yaml"))
    assert code == 1
    assert "predictions.npz beside it cannot be read" in output
    assert "Traceback" not in output


def test_results_sha256_is_checked_against_the_content(tmp_path: Path) -> None:
    """`results_sha256` was never checked: recomputing `sha256` alone was enough."""
    doc = synthetic_eval("model-a", 0.8)
    doc["benchmarks"][0]["metrics"]["AUROC"] = 0.95
    doc["benchmarks"][0]["primary_metric"]["value"] = 0.95
    body = {k: v for k, v in doc.items() if k != "digest"}
    doc["digest"]["sha256"] = with_digest(body)["digest"]["sha256"]  # only the sha256
    path = tmp_path / "e.yaml"
    path.write_text(dump_yaml(doc))
    result = CliRunner().invoke(cli, ["--no-plugins", "validate", str(path)], obj={})
    assert result.exit_code == 1
    assert "digest.results_sha256 does not match the content without its timing fields" in (
        result.output
    )


def test_timing_fields_may_differ_without_a_results_error(tmp_path: Path) -> None:
    doc = synthetic_eval("model-a", 0.8)
    doc["run_metadata"]["date"] = "2031-01-01"
    write_synthetic(tmp_path / "e.yaml", with_digest(doc))
    result = CliRunner().invoke(cli, ["--no-plugins", "validate", str(tmp_path / "e.yaml")], obj={})
    assert result.exit_code == 0, result.output


def test_metrics_recomputed_agree_with_every_metric_written(run_folder: Path) -> None:
    """No false alarm: each metric of a real run is what its predictions give."""
    from fmbench.plugin_system.registry import build_registry
    from fmbench.results.integrity import check_predictions_beside

    doc = yaml.safe_load((run_folder / "eval.yaml").read_text())
    assert len(doc["benchmarks"][0]["metrics"]) >= 4
    assert (
        check_predictions_beside(run_folder / "eval.yaml", doc, build_registry(external=False))
        == []
    )
    assert np.isfinite(doc["benchmarks"][0]["metrics"]["AUROC"])
