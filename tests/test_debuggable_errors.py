"""Errors you can debug, and models that cannot take a run down (issue #21 item 4, F9-F11).

- ``--debug`` prints the model's (or plugin's) traceback, in-process and from ``--jobs``
  workers; ``eval.yaml`` keeps one line without local paths;
- a plugin's error names the plugin (a typo in a reference, a probe or protocol that raises,
  a probe whose plugin did not load);
- ``sys.exit`` in a model, ``os._exit`` in a worker, a model that swallows the timeout:
  one benchmark fails, clearly, and the others still run;
- a model that changes the working folder redirects no write;
- Ctrl-C, and a rerun into a failed run's folder, say how to ``--resume``.

Where the process itself matters (its exit code, a hang, a signal) the command runs in a
subprocess with a time limit, so that a hang fails the test instead of stopping the suite.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from fmbench.cli import cli
from fmbench.plugin_system.registry import get_registry
from fmbench.testing import make_fake_distribution

from .conftest import default_sigint

MODELS = textwrap.dedent(
    """
    import os
    import sys
    import time

    import numpy as np


    class Base:
        '''Scores the toy data well; `misbehave()` runs on BM-TOY-CLASS only.'''

        def prepare(self, info):
            self.benchmark = info.get("benchmark_id")

        def predict_proba(self, X):
            if self.benchmark == "BM-TOY-CLASS":
                self.misbehave()
            score = np.asarray(X, dtype=float).reshape(len(X), -1)[:, :10].sum(axis=1)
            p = 1 / (1 + np.exp(-score / 3))
            return np.column_stack([1 - p, p])

        def misbehave(self):
            pass


    def load_weights(path):
        raise RuntimeError("GPU on fire")


    class Raises(Base):
        def misbehave(self):
            load_weights("weights.pt")


    class Exits(Base):
        def misbehave(self):
            sys.exit(0)


    class ExitsWhileLoading(Base):
        def __init__(self):
            sys.exit(2)


    class KillsItsProcess(Base):
        def misbehave(self):
            os._exit(7)


    class SwallowsTheTimeout(Base):
        def misbehave(self):
            while True:
                try:
                    time.sleep(0.05)
                except Exception:
                    continue


    class SwallowsEverything(Base):
        def misbehave(self):
            while True:
                try:
                    time.sleep(0.05)
                except BaseException:
                    continue


    class ChangesFolder(Base):
        def __init__(self):
            os.chdir(os.environ["ERRTEST_CHDIR"])

        def misbehave(self):
            os.chdir(os.environ["ERRTEST_CHDIR"])


    class SlowSecond(Base):
        def predict_proba(self, X):
            if self.benchmark != "BM-TOY-CLASS" and os.environ.get("ERRTEST_SLOW"):
                time.sleep(120)
            return super().predict_proba(X)
    """
)

CLASSES = ("Base", "Raises", "Exits", "ExitsWhileLoading", "KillsItsProcess",
           "SwallowsTheTimeout", "SwallowsEverything", "ChangesFolder", "SlowSecond")  # fmt: skip

#: Two quick benchmarks (both zero_shot with --protocol zero_shot), so that one can fail and
#: the other must still run.
TWO = ("--suite", "two.yaml", "--protocol", "zero_shot")


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toy_root: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FMBENCH_TOY_DATA", str(toy_root))
    monkeypatch.setenv("FMBENCH_NO_PLUGINS", "1")
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "errtest_models.py").write_text(MODELS)
    for name in CLASSES:
        (tmp_path / f"{name.lower()}.yaml").write_text(
            f'model_id: {name.lower()}\ntype: python_class\nimport_path: "errtest_models:{name}"\n'
        )
    (tmp_path / "two.yaml").write_text(
        "suite_id: SUITE-TWO\nbenchmarks: [BM-TOY-CLASS, BM-TOY-CLASS-PROBE]\n"
    )
    return tmp_path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), obj={})


def run_args(model: str, out: str, *extra: str) -> list[str]:
    return ["run", *TWO, "--model", f"{model}.yaml", "--out", out, "--no-progress",
            "--n-resamples", "100", *extra]  # fmt: skip


def fmbench(
    workspace: Path, *args: str, timeout: float = 240, **env: str
) -> subprocess.CompletedProcess[str]:
    """``python -m fmbench ARGS`` in the workspace, as a user runs it (a hang fails the test)."""
    environment = {**os.environ, "PYTHONPATH": str(workspace), **env}
    return subprocess.run(
        [sys.executable, "-m", "fmbench", *args], cwd=workspace, env=environment,
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def errors_of(folder: Path) -> dict[str, str | None]:
    doc = yaml.safe_load((folder / "eval.yaml").read_text())
    return {b["benchmark_id"]: b.get("error") for b in doc["benchmarks"]}


def statuses_of(folder: Path) -> dict[str, str]:
    doc = yaml.safe_load((folder / "eval.yaml").read_text())
    return {b["benchmark_id"]: b["status"] for b in doc["benchmarks"]}


# --- item 4: tracebacks with --debug, one line in eval.yaml ---------------------------------


def test_debug_prints_the_models_traceback_and_eval_yaml_keeps_one_line(workspace: Path) -> None:
    plain = invoke(*run_args("raises", "plain"))
    assert plain.exit_code == 1, plain.output
    assert "Traceback" not in plain.output
    debug = invoke("--debug", *run_args("raises", "debug"))
    assert debug.exit_code == 1, debug.output
    # the model's own frames, down to where it raised
    assert "Traceback" in debug.output
    assert "in load_weights" in debug.output
    assert 'raise RuntimeError("GPU on fire")' in debug.output
    assert "BM-TOY-CLASS-PROBE: AUROC" in debug.output  # the other benchmark still ran
    error = errors_of(workspace / "debug")["BM-TOY-CLASS"]
    assert error == "model 'raises' raised in predict_proba(): RuntimeError: GPU on fire"
    text = (workspace / "debug" / "eval.yaml").read_text()
    assert "Traceback" not in text and str(workspace) not in text


def test_debug_brings_the_traceback_back_from_a_worker_process(workspace: Path) -> None:
    result = invoke("--debug", *run_args("raises", "jobs", "--jobs", "2"))
    assert result.exit_code == 1, result.output
    assert "in load_weights" in result.output
    assert 'raise RuntimeError("GPU on fire")' in result.output
    assert statuses_of(workspace / "jobs") == {
        "BM-TOY-CLASS": "Failed",
        "BM-TOY-CLASS-PROBE": "Completed",
    }


# --- item 4: a plugin's error names the plugin ----------------------------------------------

PLUGIN = textwrap.dedent(
    """
    import fmbench


    def raises(x, level, rng, info):
        if level > 0:
            raise ValueError("cannot perturb")
        return x


    def evaluate(ctx):
        return ctx.options["no_such_option"]


    @fmbench.hookimpl
    def fmbench_probes():
        yield fmbench.ProbeSpec(name="typo", summary="a typo in its reference",
                                levels=(0.0, 0.5), perturb="errtest_plugin:raisse")
        yield fmbench.ProbeSpec(name="raising", summary="raises", levels=(0.0, 0.5),
                                perturb="errtest_plugin:raises")


    @fmbench.hookimpl
    def fmbench_protocols():
        yield fmbench.ProtocolSpec(name="broken_protocol", summary="raises KeyError",
                                   evaluate="errtest_plugin:evaluate")
    """
)


@pytest.fixture
def plugins(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Two installed plugins: ``fmbench-errtest`` (a typo, a raising probe and protocol) and
    ``fmbench-broken`` (fails to import); the repository's domain plugins are blocked."""
    site = workspace / "site"
    make_fake_distribution(
        site, "fmbench-errtest", {"errtest_plugin.py": PLUGIN}, entry_point="errtest_plugin"
    )
    make_fake_distribution(
        site,
        "fmbench-broken",
        {"errtest_broken.py": "raise ImportError('needs scipy 9')\n"},
        entry_point="errtest_broken",
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("FMBENCH_NO_PLUGINS")
    monkeypatch.setenv("FMBENCH_BLOCK_PLUGINS", "fmbench-neuro,fmbench-genomics")
    get_registry.cache_clear()
    yield site
    get_registry.cache_clear()


def robustness(*extra: str) -> list[str]:
    return ["run-robustness", "--model", "base.yaml", "--data", "DS-TOY-FMRI-CLASS",
            "--no-progress", *extra]  # fmt: skip


def test_a_probes_errors_name_its_plugin(workspace: Path, plugins: Path) -> None:
    result = invoke(*robustness("--out", "r", "--probes", "typo,raising,noise"))
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output
    assert (
        "typo: FAILED: plugin 'fmbench-errtest': probe 'typo' names perturb="
        "'errtest_plugin:raisse', which cannot be imported (AttributeError: module "
        "'errtest_plugin' has no attribute 'raisse')"
    ) in result.output
    assert (
        "raising: FAILED: probe 'raising' raised at level 0.5: ValueError: cannot perturb "
        "(plugin 'fmbench-errtest')"
    ) in result.output
    doc = yaml.safe_load((workspace / "r" / "eval.yaml").read_text())
    probes = doc["robustness"]["robustness_testing"]["probes"]
    assert "fmbench-errtest" in probes["typo"]["error"]
    assert "fmbench-errtest" in probes["raising"]["error"]
    assert probes["noise"]["status"] == "Completed"


def test_debug_shows_a_plugins_traceback(workspace: Path, plugins: Path) -> None:
    result = invoke("--debug", *robustness("--out", "r", "--probes", "raising"))
    assert result.exit_code == 1, result.output
    assert "errtest_plugin.py" in result.output
    assert 'raise ValueError("cannot perturb")' in result.output


def test_a_plugin_protocol_that_raises_is_named(workspace: Path, plugins: Path) -> None:
    result = invoke(*run_args("base", "p", "--protocol", "broken_protocol"))
    assert result.exit_code == 1, result.output
    error = errors_of(workspace / "p")["BM-TOY-CLASS"]
    assert error == "error in plugin 'fmbench-errtest': KeyError: 'no_such_option'"


def test_a_probe_of_a_plugin_that_did_not_load_names_the_plugin(
    workspace: Path, plugins: Path
) -> None:
    result = invoke(*robustness("--out", "r", "--probes", "from_broken"))
    assert result.exit_code != 0
    assert "unknown probe 'from_broken'" in result.output
    assert "fmbench-broken (ImportError: needs scipy 9)" in result.output


# --- F9: sys.exit and os._exit ----------------------------------------------------------------


def test_sys_exit_in_a_model_fails_its_benchmark_not_the_run(workspace: Path) -> None:
    done = fmbench(workspace, *run_args("exits", "out"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        "BM-TOY-CLASS: FAILED: model 'exits' called sys.exit(0) in predict_proba(); a model "
        "must raise an exception instead"
    ) in done.stderr
    assert statuses_of(workspace / "out") == {
        "BM-TOY-CLASS": "Failed",
        "BM-TOY-CLASS-PROBE": "Completed",
    }


def test_sys_exit_while_loading_is_a_failed_load(workspace: Path) -> None:
    result = invoke(*run_args("exitswhileloading", "out"))
    assert result.exit_code == 1, result.output
    assert "failed to load: SystemExit: 2" in result.output
    assert not (workspace / "out").exists()


def test_a_worker_that_exits_fails_only_its_benchmark(workspace: Path) -> None:
    done = fmbench(workspace, *run_args("killsitsprocess", "out", "--jobs", "2"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "internal error" not in done.stderr and "BrokenProcessPool" not in done.stderr
    assert "BM-TOY-CLASS-PROBE: AUROC" in done.stdout
    error = errors_of(workspace / "out")["BM-TOY-CLASS"]
    assert error == (
        "BM-TOY-CLASS did not finish: its worker process exited with code 7 while model "
        "'killsitsprocess' ran it (the model or code it called ended the process)"
    )


# --- F10: a model that swallows the timeout ---------------------------------------------------


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_model_that_swallows_the_timeout_is_stopped(workspace: Path, jobs: str) -> None:
    out = f"out{jobs}"
    done = fmbench(
        workspace, *run_args("swallowsthetimeout", out, "--timeout", "2", "--jobs", jobs)
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "BM-TOY-CLASS: FAILED: BM-TOY-CLASS timed out after 2 s (--timeout)" in done.stderr
    assert statuses_of(workspace / out)["BM-TOY-CLASS-PROBE"] == "Completed"


def test_a_worker_that_ignores_even_the_timeout_is_killed(workspace: Path) -> None:
    done = fmbench(
        workspace, *run_args("swallowseverything", "out", "--timeout", "1", "--jobs", "2")
    )
    assert done.returncode == 1, done.stdout + done.stderr
    error = errors_of(workspace / "out")["BM-TOY-CLASS"]
    assert error == (
        "BM-TOY-CLASS timed out after 1 s (--timeout); it did not stop at its time limit, so "
        "its worker process was killed after 2 s"
    )
    assert statuses_of(workspace / "out")["BM-TOY-CLASS-PROBE"] == "Completed"


# --- F11: a model that changes the working folder ----------------------------------------------


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_model_changing_the_working_folder_redirects_no_write(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    elsewhere = workspace.parent / f"{workspace.name}-elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("ERRTEST_CHDIR", str(elsewhere))
    result = invoke(
        *run_args("changesfolder", "results/run", "--jobs", jobs, "--evals-dir", "evals",
                  "--reports-dir", "reports", "--cache-dir", "cache", "--dataset",
                  "DS-TOY-FMRI-CLASS"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert os.getcwd() == str(elsewhere)  # the model did change it (the fixture restores it)
    assert _listing(elsewhere) == []
    assert (workspace / "results/run/eval.yaml").is_file()
    assert (workspace / "results/run/report.md").is_file()
    assert (workspace / "results/run/predictions.npz").is_file()
    assert len(list((workspace / "evals").glob("*.yaml"))) == 1
    assert len(list((workspace / "reports").glob("*.md"))) == 1


# --- item 5: Ctrl-C and reruns say how to resume ------------------------------------------------


def test_ctrl_c_says_how_to_resume(workspace: Path) -> None:
    args = [sys.executable, "-m", "fmbench", *run_args("slowsecond", "out")]
    env = {**os.environ, "PYTHONPATH": str(workspace), "ERRTEST_SLOW": "1"}
    process = subprocess.Popen(
        args, cwd=workspace, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=default_sigint,  # a test run started in the background ignores SIGINT
    )  # fmt: skip
    journal = workspace / "out" / ".fmbench" / "journal"
    try:
        deadline = time.monotonic() + 180
        while not (journal.is_dir() and any(journal.glob("*.json"))):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the first benchmark never finished"
            time.sleep(0.2)
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, stderr
    assert "Interrupted." in stderr
    assert "1 finished benchmark kept in" in stderr
    command = stderr.split("give the same command with --resume: ", 1)[1].strip()
    assert command.startswith("fmbench run --suite two.yaml") and command.endswith("--resume")
    # the command it prints continues the run
    resumed = fmbench(workspace, *command.split()[1:])
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    doc = yaml.safe_load((workspace / "out" / "eval.yaml").read_text())
    assert doc["run_metadata"]["execution"]["resumed_units"] == ["BM-TOY-CLASS"]


def test_a_failed_runs_folder_is_refused_with_the_resume_advice(workspace: Path) -> None:
    first = invoke(*run_args("raises", "out"))
    assert first.exit_code == 1, first.output
    again = invoke(*run_args("raises", "out"))
    assert again.exit_code != 0
    assert "pass --resume to run its failed benchmarks again" in again.output
    other = invoke(*run_args("base", "out"))  # another model: resuming would not apply
    assert other.exit_code != 0
    assert "--resume" not in other.output
    assert "already holds results" in other.output


def test_output_into_a_closed_pipe_stops_quietly(tmp_path: Path) -> None:
    """`fmbench list-benchmarks | head -1`: no "internal error", the status of SIGPIPE."""
    reader = subprocess.Popen(
        [sys.executable, "-m", "fmbench", "list-benchmarks"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()  # the reader goes away before the command (still importing) writes
    stderr = reader.stderr.read().decode()
    assert reader.wait(timeout=120) == 141, stderr
    assert stderr == ""
