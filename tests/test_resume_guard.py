"""``--resume`` continues only the same run; a rewrite of ``--out`` leaves no stale file.

Issue #21 F6 and item 2: ``--resume`` with another suite and model into a finished ``--out``
replaced its ``eval.yaml``, ``report.md`` and ``predictions.npz`` without ``--overwrite``, and
left the old run's reliability plot beside the new results.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from fmbench.cli import cli
from fmbench.results.eval_file import read_eval
from fmbench.running.journal import RunLock

ROOT = Path(__file__).resolve().parents[1]
DUMMY = str(ROOT / "configs/model_dummy_classifier.yaml")
DUMMY7 = str(ROOT / "configs/model_dummy_classifier_seed7.yaml")

ENCODER = """
import numpy as np


class Encoder:
    def predict_proba(self, X):
        s = np.asarray(X)[:, :10].sum(axis=1)
        p = 1 / (1 + np.exp(-s / 3))
        return np.column_stack([1 - p, p])

    def embed(self, X):
        return np.asarray(X)[:, :20]
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toy_root: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("FMBENCH_TOY_DATA", str(toy_root))
    monkeypatch.setenv("FMBENCH_NO_PLUGINS", "1")
    (tmp_path / "guard_encoder.py").write_text(ENCODER)
    (tmp_path / "encoder.yaml").write_text(
        'model_id: encoder\ntype: python_class\nimport_path: "guard_encoder:Encoder"\n'
    )
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["run", "--no-progress", "--n-resamples", "200", *args], obj={})


def hashes(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones and the journal included) with its SHA-256."""
    found = {}
    for here, _, files in os.walk(folder):
        for name in files:
            path = Path(here) / name
            found[path.relative_to(folder).as_posix()] = hashlib.sha256(
                path.read_bytes()
            ).hexdigest()
    return found


def one_line_error(result: Result) -> str:
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_resume_into_another_runs_folder_is_refused_and_nothing_changes(workdir: Path):
    first = run("--suite", "SUITE-TOY-CLASS", "--model", DUMMY, "--out", "out")
    assert first.exit_code == 0, first.output
    assert (workdir / "out/plots/BM-TOY-CLASS_reliability.png").is_file()
    before = hashes(workdir / "out")
    beside = sorted(os.listdir(workdir))

    other = run("--suite", "SUITE-TOY-PROBE", "--model", "encoder.yaml", "--out", "out", "--resume")
    line = one_line_error(other)
    assert "suite SUITE-TOY-CLASS, model dummy_classifier" in line  # what is there
    assert "--overwrite" in line and "another --out" in line  # what to do
    assert hashes(workdir / "out") == before
    assert sorted(os.listdir(workdir)) == beside


@pytest.mark.parametrize(
    ("args", "differs"),
    [
        (("--suite", "SUITE-TOY-CLASS", "--model", DUMMY7), "model dummy_classifier_seed7"),
        (("--suite", "SUITE-TOY-PROBE", "--model", DUMMY), "suite SUITE-TOY-PROBE"),
        (("--suite", "SUITE-TOY-CLASS", "--model", DUMMY, "--seed", "7"), "seed 7"),
        (("--suite", "SUITE-TOY-CLASS", "--model", DUMMY, "--protocol", "zero_shot"), "protocol"),
    ],
)
def test_resume_needs_the_same_suite_model_and_defining_options(
    workdir: Path, args: tuple[str, ...], differs: str
):
    assert run("--suite", "SUITE-TOY-CLASS", "--model", DUMMY, "--out", "out").exit_code == 0
    before = hashes(workdir / "out")
    line = one_line_error(run(*args, "--out", "out", "--resume"))
    assert "holds another run" in line and differs in line
    assert hashes(workdir / "out") == before


def test_resume_into_an_unfinished_run_of_another_model_is_refused(workdir: Path):
    """The folder's run is known from its journal too, before it has an eval.yaml."""
    assert run("--suite", "SUITE-TOY-CLASS", "--model", DUMMY, "--out", "out").exit_code == 0
    (workdir / "out/eval.yaml").unlink()  # as if killed before the end
    before = hashes(workdir / "out")
    line = one_line_error(
        run("--suite", "SUITE-TOY-CLASS", "--model", DUMMY7, "--out", "out", "--resume")
    )
    assert "model dummy_classifier," in line
    assert hashes(workdir / "out") == before


def test_resume_of_the_same_run_replays_it(workdir: Path):
    assert run("--suite", "SUITE-TOY-CLASS", "--model", DUMMY, "--out", "out").exit_code == 0
    again = run("--suite", "SUITE-TOY-CLASS", "--model", DUMMY, "--out", "out", "--resume")
    assert again.exit_code == 0, again.output
    execution = read_eval(workdir / "out/eval.yaml")["run_metadata"]["execution"]
    assert execution["resumed_units"] == ["BM-TOY-CLASS"]
    assert execution["rerun_units"] == []


def test_overwrite_leaves_no_file_of_the_old_run(workdir: Path):
    assert run("--suite", "SUITE-TOY-CLASS", "--model", DUMMY, "--out", "out").exit_code == 0
    old = set(hashes(workdir / "out"))
    assert "plots/BM-TOY-CLASS_reliability.png" in old
    (workdir / "out/plots/extra_old.png").write_bytes(b"an old plot")
    new = run(
        "--suite", "SUITE-TOY-PROBE", "--model", "encoder.yaml", "--out", "out", "--overwrite"
    )
    assert new.exit_code == 0, new.output
    now = set(hashes(workdir / "out"))
    assert "plots/BM-TOY-CLASS_reliability.png" not in now
    assert "plots/extra_old.png" not in now
    assert not any(name.startswith(".fmbench/journal/benchmark-0-BM-TOY-CLASS.") for name in now)
    doc = read_eval(workdir / "out/eval.yaml")
    assert doc["run_metadata"]["suite_id"] == "SUITE-TOY-PROBE"
    assert [n for n in os.listdir(workdir) if "fmbench-staging" in n or "replaced" in n] == []


def test_run_robustness_over_a_run_leaves_no_file_of_it(workdir: Path, toy_root: Path):
    assert run("--suite", "SUITE-TOY-CLASS", "--model", DUMMY, "--out", "out").exit_code == 0
    result = CliRunner().invoke(
        cli,
        ["run-robustness", "--model", DUMMY, "--data", str(toy_root / "neuro/fmri_classification"),
         "--out", "out", "--probes", "noise", "--no-progress", "--overwrite"],
        obj={},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    now = set(hashes(workdir / "out"))
    # run-robustness runs through the same runner: its own predictions and journal, none of
    # the earlier run's
    with np.load(workdir / "out" / "predictions.npz") as stored:
        assert not any("BM-TOY-CLASS" in key for key in stored.files)
    assert "plots/BM-TOY-CLASS_reliability.png" not in now
    assert not any("BM-TOY-CLASS" in name for name in now if name.startswith(".fmbench/"))
    # and --resume does not take it for a `run`
    line = one_line_error(
        run("--suite", "SUITE-TOY-CLASS", "--model", DUMMY, "--out", "out", "--resume")
    )
    assert "a run-robustness result" in line


def test_run_robustness_takes_the_same_lock_as_run(workdir: Path, toy_root: Path):
    with RunLock(workdir / "out"):
        result = CliRunner().invoke(
            cli,
            ["run-robustness", "--model", DUMMY, "--data",
             str(toy_root / "neuro/fmri_classification"), "--out", "out", "--no-progress"],
            obj={},
        )  # fmt: skip
    assert result.exit_code != 0
    assert "in use by another fmbench run" in result.output
    assert not (workdir / "out").exists()


def test_other_files_in_the_folder_are_kept_and_the_old_runs_are_not(workdir: Path):
    """``--out results/`` beside ``results/my_first_run`` (the quickstart's layout)."""
    first = run("--suite", "SUITE-TOY-CLASS", "--model", DUMMY, "--out", "results/first")
    assert first.exit_code == 0, first.output
    (workdir / "results/notes.txt").write_text("my notes")
    assert run("--suite", "SUITE-TOY-CLASS", "--model", DUMMY, "--out", "results").exit_code == 0
    kept = hashes(workdir / "results/first")
    assert (workdir / "results/plots/BM-TOY-CLASS_reliability.png").is_file()
    (workdir / "results/plots/extra_old.png").write_bytes(b"an old plot")
    again = run("--suite", "SUITE-TOY-PROBE", "--model", "encoder.yaml", "--out", "results",
                "--overwrite")  # fmt: skip
    assert again.exit_code == 0, again.output
    assert not (workdir / "results/plots/BM-TOY-CLASS_reliability.png").exists()
    assert not (workdir / "results/plots/extra_old.png").exists()  # the old run's plots went
    assert (workdir / "results/notes.txt").read_text() == "my notes"
    assert hashes(workdir / "results/first") == kept
    assert read_eval(workdir / "results/eval.yaml")["run_metadata"]["suite_id"] == "SUITE-TOY-PROBE"


def test_an_entry_no_run_wrote_is_never_replaced(workdir: Path):
    (workdir / "mine/plots").mkdir(parents=True)
    (workdir / "mine/plots/figure.png").write_bytes(b"my figure")
    line = one_line_error(run("--suite", "SUITE-TOY-CLASS", "--model", DUMMY, "--out", "mine"))
    assert "'plots'" in line and "did not write" in line
    assert hashes(workdir / "mine") == {
        "plots/figure.png": hashlib.sha256(b"my figure").hexdigest()
    }


def test_a_failed_start_leaves_no_folder_behind(workdir: Path):
    (workdir / "broken.yaml").write_text(
        'model_id: broken\ntype: python_class\nimport_path: "no_such_module:X"\n'
    )
    result = run("--suite", "SUITE-TOY-CLASS", "--model", "broken.yaml", "--out", "fresh")
    assert result.exit_code != 0
    assert not (workdir / "fresh").exists()
    assert [n for n in os.listdir(workdir) if "fmbench-staging" in n] == []
