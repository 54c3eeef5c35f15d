"""``fmbench build-leaderboard`` through CliRunner, and end to end through a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from fmbench.cli import cli
from fmbench.leaderboard.synthetic import synthetic_eval, write_synthetic

ROOT = Path(__file__).resolve().parents[2]


def _invoke(args: list[str]):
    return CliRunner().invoke(cli, args, obj={})


def test_defaults_read_evals_and_results_and_write_the_docs_page(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_synthetic(tmp_path / "evals" / "a.yaml", synthetic_eval("model-a", 0.8))
    write_synthetic(tmp_path / "results" / "r1" / "eval.yaml", synthetic_eval("model-b", 0.7))
    # the same run copied into both places (run --evals-dir) is counted once
    write_synthetic(tmp_path / "results" / "r2" / "eval.yaml", synthetic_eval("model-a", 0.8))
    result = _invoke(["build-leaderboard"])
    assert result.exit_code == 0, result.output
    assert result.exit_code == 0
    page = (tmp_path / "docs" / "leaderboards" / "index.md").read_text()
    assert page.index("model-a") < page.index("model-b")
    assert "same run as evals/a.yaml" in page
    copies = list((tmp_path / "docs" / "leaderboards" / "evals").iterdir())
    assert len(copies) == 2


def test_results_takes_several_folders_and_out_writes_every_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_synthetic(tmp_path / "one" / "a.yaml", synthetic_eval("model-a", 0.8))
    write_synthetic(tmp_path / "two" / "b.yaml", synthetic_eval("model-b", 0.9))
    result = _invoke(["build-leaderboard", "--results", "one", "two", "--out", "site"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "site").iterdir())
    assert names == [
        "evals", "index.html", "index.md", "leaderboard.csv", "leaderboard.json", "rejected.md",
    ]  # fmt: skip
    assert not (tmp_path / "docs").exists()  # --output only when asked for as well
    data = json.loads((tmp_path / "site" / "leaderboard.json").read_text())
    assert [r["model_id"] for r in data["boards"][0]["rows"]] == ["model-b", "model-a"]


def test_compat_options_are_accepted_and_strict_fails_on_rejections(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_synthetic(tmp_path / "evals" / "a.yaml", synthetic_eval("model-a", 1.5))
    args = ["build-leaderboard", "--benchmarks-dir", "benchmarks", "--models-dir", "models"]
    result = _invoke([*args, "--datasets-dir", "datasets", "--output", "lb.md"])
    assert result.exit_code == 0
    assert "better than possible" in (tmp_path / "lb.md").read_text()
    assert _invoke(["build-leaderboard", "--strict", "--output", "lb.md"]).exit_code == 1


def test_missing_folders_give_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = _invoke(["build-leaderboard"])
    assert "no eval folders found" in result.output
    result = _invoke(["build-leaderboard", "--results", "nowhere"])
    assert "results folder nowhere not found" in result.output


def test_end_to_end_run_then_build_in_a_subprocess(tmp_path):
    exe = [sys.executable, "-m", "fmbench"]

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*exe, *args], cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
        )

    assert call("generate-toy-data").returncode == 0
    config = ROOT / "configs" / "model_dummy_classifier.yaml"
    run = call("run", "--suite", "SUITE-TOY-CLASS", "--model", str(config), "--out",
               "results/my_first_run", "--no-progress")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert call("validate", "results/my_first_run/eval.yaml").returncode == 0
    built = call("build-leaderboard", "--out", "site")
    assert built.returncode == 0, built.stderr
    page = (tmp_path / "site" / "index.md").read_text()
    assert "dummy\\_classifier *(chance-level reference)*" in page
    assert "| 1 | 1 | – |" in page  # rank, rank range, no row above
    bad = call("build-leaderboard", "--results", "missing")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert bad.stderr.startswith("Error: results folder missing not found")


def _fmbench_checkout(root: Path) -> Path:
    """A folder laid out like a checkout of fmbench: its pyproject, package and docs page."""
    (root / "pyproject.toml").write_text('[project]\nname = "fmbench-core"\n')
    (root / "fmbench").mkdir()
    (root / "fmbench" / "__init__.py").write_text("")
    page = root / "docs" / "leaderboards" / "index.md"
    page.parent.mkdir(parents=True)
    page.write_text("the page the repository tracks\n")
    write_synthetic(root / "evals" / "a.yaml", synthetic_eval("model-a", 0.8))
    return page


def test_no_arguments_in_fmbench_s_own_checkout_leaves_its_docs_alone(tmp_path, monkeypatch):
    """Issue #21 item 5: `build-leaderboard` without arguments rewrote a tracked docs file. The
    earlier README's command still works there: the page goes to leaderboard/index.md."""
    page = _fmbench_checkout(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = _invoke(["build-leaderboard"])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        "note: docs/leaderboards/index.md is a page the fmbench source tree "
        f"({tmp_path.name}/) tracks; writing the leaderboard to leaderboard/index.md instead "
        "(pass --output docs/leaderboards/index.md to rewrite that page on purpose)"
    )
    assert "wrote leaderboard/index.md" in result.stdout
    assert page.read_text() == "the page the repository tracks\n"
    assert not (page.parent / "evals").exists()
    assert "model-a" in (tmp_path / "leaderboard" / "index.md").read_text()
    # asked for explicitly (as `make docs` does), it is rewritten
    result = _invoke(["build-leaderboard", "--output", "docs/leaderboards/index.md"])
    assert result.exit_code == 0, result.output
    assert "model-a" in page.read_text()


def test_no_arguments_in_a_project_of_ones_own_still_writes_the_page(tmp_path, monkeypatch):
    """The earlier README's `python -m fmbench build-leaderboard`, then
    `cat docs/leaderboards/index.md`, in a project that is not fmbench's source."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "my-eeg-study"\n')
    write_synthetic(tmp_path / "evals" / "a.yaml", synthetic_eval("model-a", 0.8))
    monkeypatch.chdir(tmp_path)
    result = _invoke(["build-leaderboard"])
    assert result.exit_code == 0, result.output
    assert "model-a" in (tmp_path / "docs" / "leaderboards" / "index.md").read_text()
