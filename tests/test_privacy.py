"""Private by default (issue #21 item 3): a run whose model, data and output live under a home
folder writes no absolute path into the files meant to be shared (``eval.yaml``, ``report.md``,
the leaderboard's outputs), and ``validate`` warns about a file that still holds one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from fmbench.cli import cli
from fmbench.results.eval_file import dump_yaml, read_eval, with_digest

MODEL = """
import numpy as np


class MyModel:
    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-np.asarray(X)[:, :10].sum(axis=1) / 3))
        return np.column_stack([1 - p, p])
"""


def test_a_run_from_a_home_folder_writes_no_local_path(tmp_path: Path, toy_root: Path) -> None:
    home = tmp_path / "home" / "alice" / "secret-project"
    (home / "models").mkdir(parents=True)
    (home / "models" / "my_wrapper.py").write_text(MODEL)
    model = home / "models" / "model.yaml"
    model.write_text(
        'model_id: cohort-model\ntype: python_class\nimport_path: "my_wrapper:MyModel"\n'
    )
    data = home / "data" / "my_cohort"
    shutil.copytree(toy_root / "neuro" / "fmri_classification", data)
    out, site = home / "results" / "run1", home / "results" / "site"
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(home / "models"), *sys.path])}
    env["FMBENCH_NO_PLUGINS"] = "1"
    for command in (
        ["run", "--suite", "SUITE-TOY-CLASS", "--model", str(model), "--dataset", str(data),
         "--out", str(out), "--no-progress", "--n-resamples", "100"],
        ["build-leaderboard", "--results", str(out), "--out", str(site)],
    ):  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-m", "fmbench", *command],
            cwd=work, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
    shared = [
        out / "eval.yaml",
        out / "report.md",
        *sorted(p for p in site.iterdir() if p.is_file()),
    ]
    assert len(shared) >= 6, shared  # eval.yaml, report.md and the leaderboard's five files
    for path in shared:
        text = path.read_text(encoding="utf-8")
        for secret in (str(tmp_path), "alice", "secret-project"):
            assert secret not in text, f"{path.name} names {secret!r}"
    # the model that produced it is still named, by its id and its config's file name
    document = read_eval(out / "eval.yaml")
    assert document["model_ids"]["candidate"] == "cohort-model"
    assert "model.yaml" in document["provenance"]["command"]


def test_validate_warns_about_a_local_path_in_an_eval_file(tmp_path: Path, toy_root: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["run", "--suite", "SUITE-TOY-CLASS", "--model", "configs/model_dummy_classifier.yaml",
         "--out", str(tmp_path / "r"), "--no-progress", "--n-resamples", "100",
         "--data-root", str(toy_root)],
        obj={},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    clean = runner.invoke(cli, ["validate", str(tmp_path / "r" / "eval.yaml")], obj={})
    assert clean.exit_code == 0 and "local path" not in clean.output, clean.output
    document = read_eval(tmp_path / "r" / "eval.yaml")
    document.pop("digest")
    document["provenance"]["command"] = "fmbench run --model /home/bob/m.yaml --out r"
    (tmp_path / "old.yaml").write_text(dump_yaml(with_digest(document)))
    warned = runner.invoke(cli, ["validate", str(tmp_path / "old.yaml")], obj={})
    assert warned.exit_code == 0, warned.output
    assert "warning: local path '/home/bob/m.yaml' in provenance.command" in warned.output
