"""Plugins that misbehave at import or in a hook (issue #21 F13): sys.exit, KeyboardInterrupt,
other BaseExceptions, hangs, and printing. Each is recorded on the plugin as failed (or, for
printing, as a note) and every command still works; ``--json`` output stays valid JSON.

Installed plugins are faked with ``fmbench.testing.make_fake_distribution``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from fmbench.cli import cli
from fmbench.plugin_system.guard import TIMEOUT_ENV, call_guarded, failure_text
from fmbench.plugin_system.loading import load_plugins
from fmbench.plugin_system.registry import build_registry, get_registry
from fmbench.plugin_system.specs import ProbeSpec
from fmbench.testing import make_fake_distribution

from .conftest import default_sigint

GOOD_HOOK = """
import fmbench

@fmbench.hookimpl
def fmbench_probes():
    yield fmbench.ProbeSpec(name="{probe}", summary="s", levels=(0.0, 1.0),
                            perturb="{module}:perturb")

def perturb(x, level, rng, info):
    return x
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.delenv("FMBENCH_NO_PLUGINS", raising=False)
    monkeypatch.delenv("FMBENCH_BLOCK_PLUGINS", raising=False)
    monkeypatch.setenv(TIMEOUT_ENV, "0.5")
    get_registry.cache_clear()
    yield root
    get_registry.cache_clear()


def plugin(site: Path, dist: str, module: str, source: str) -> None:
    make_fake_distribution(site, dist, {f"{module}.py": source}, entry_point=module)


def info_of(name: str):  # type: ignore[no-untyped-def]
    _, infos = load_plugins()
    return next(i for i in infos if i.name == name)


def cli_still_works() -> None:
    result = CliRunner().invoke(cli, ["list-suites"], obj={})
    assert result.exit_code == 0, result.output
    assert "SUITE-TOY-CLASS" in result.stdout


# --- at import ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import sys\nsys.exit(0)\n", "called sys.exit(0) during import"),
        ("import sys\nsys.exit('bye')\n", "called sys.exit('bye') during import"),
        ("raise KeyboardInterrupt\n", "raised KeyboardInterrupt during import"),
        (
            "class Stop(BaseException):\n    pass\nraise Stop('no')\n",
            "raised Stop during import (a plugin must not stop the command)",
        ),
        ("raise GeneratorExit\n", "raised GeneratorExit during import"),
    ],
    ids=["sys.exit(0)", "sys.exit(text)", "KeyboardInterrupt", "BaseException", "GeneratorExit"],
)
def test_a_plugin_that_stops_at_import_is_failed_and_commands_work(
    site: Path, source: str, expected: str, request: pytest.FixtureRequest
) -> None:
    module = "fmbench_stops_" + str(abs(hash(request.node.name)))
    plugin(site, "fmbench-stops", module, source)
    info = info_of("fmbench-stops")
    assert info.status == "failed"
    assert info.error is not None and info.error.startswith(expected)
    cli_still_works()
    result = CliRunner().invoke(cli, ["plugins", "list"], obj={})
    assert result.exit_code == 0
    assert "fmbench-stops 0.1.0  [failed]" in result.stdout
    assert f"error: {expected}" in result.stdout


def test_a_plugin_whose_import_hangs_is_abandoned_after_the_time_limit(site: Path) -> None:
    # sleeps 5 s: longer than the 0.5 s limit, short enough that today's code (no limit)
    # fails this test by loading it instead of hanging the test run
    plugin(site, "fmbench-hangs", "fmbench_hangs_mod", "import time\ntime.sleep(5)\n")
    info = info_of("fmbench-hangs")
    assert info.status == "failed"
    assert info.error == (
        "still running after 0.5 s during import; abandoned (raise the limit with "
        "FMBENCH_PLUGIN_TIMEOUT)"
    )
    cli_still_works()


def test_output_printed_at_import_is_a_note_and_json_stays_valid(site: Path) -> None:
    source = (
        "import sys\nprint('hello from the plugin')\nprint('warn', file=sys.stderr)\n"
        + GOOD_HOOK.format(module="fmbench_chatty", probe="chatty_probe")
    )
    plugin(site, "fmbench-chatty", "fmbench_chatty", source)
    result = CliRunner().invoke(cli, ["plugins", "list", "--json"], obj={})
    assert result.exit_code == 0
    listed = {p["name"]: p for p in json.loads(result.stdout)["plugins"]}  # valid JSON
    chatty = listed["fmbench-chatty"]
    assert chatty["status"] == "loaded"
    assert chatty["contributes"] == {"probe": ["chatty_probe"]}
    assert chatty["notes"] == [
        "printed during import (kept out of fmbench's output): "
        "stdout: 'hello from the plugin\\n'; stderr: 'warn\\n'"
    ]
    assert result.stdout.startswith("{")  # nothing printed before the JSON
    assert result.stderr == ""
    result = CliRunner().invoke(cli, ["plugins", "list"], obj={})
    assert "    note: printed during import (kept out of fmbench's output)" in result.stdout


def test_output_of_an_abandoned_import_stays_out_of_the_output(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    go, done = tmp_path / "go", tmp_path / "done"
    source = textwrap.dedent(
        f"""
        import pathlib, time
        while not pathlib.Path({str(go)!r}).exists():
            time.sleep(0.05)
        print("printed after the time limit")
        pathlib.Path({str(done)!r}).write_text("x")
        """
    )
    plugin(site, "fmbench-late", "fmbench_late_mod", source)
    assert info_of("fmbench-late").status == "failed"
    go.write_text("x")
    deadline = time.monotonic() + 60
    while not done.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert done.exists()
    print("fmbench's own output")
    captured = capsys.readouterr()
    assert "fmbench's own output" in captured.out
    assert "printed after the time limit" not in captured.out + captured.err


# --- in a hook ----------------------------------------------------------------------------

HOOKS = {
    "sys.exit": ("import sys\nsys.exit(2)", "fmbench_probes: called sys.exit(2)"),
    "KeyboardInterrupt": (
        "raise KeyboardInterrupt",
        "fmbench_probes: raised KeyboardInterrupt (a plugin must not stop the command)",
    ),
    "BaseException": ("raise BaseException('x')", "fmbench_probes: raised BaseException"),
    "hang": (
        "import time\ntime.sleep(5)",
        "fmbench_probes: still running after 0.5 s; abandoned",
    ),
}


@pytest.mark.parametrize("case", sorted(HOOKS))
def test_a_hook_that_stops_or_hangs_fails_its_plugin_only(site: Path, case: str) -> None:
    body, expected = HOOKS[case]
    module = "fmbench_hook_" + case.replace(".", "_").lower()
    source = "import fmbench\n\n@fmbench.hookimpl\ndef fmbench_probes():\n" + textwrap.indent(
        body, "    "
    )
    source += "\n    yield from ()\n"
    plugin(site, f"fmbench-hook-{case.replace('.', '-').lower()}", module, source)
    okay = "fmbench_hook_okay_" + case.replace(".", "_").lower()
    plugin(site, "fmbench-hook-neighbour", okay, GOOD_HOOK.format(module=okay, probe=okay))
    registry = build_registry()
    info = registry.plugin(f"fmbench-hook-{case.replace('.', '-').lower()}")
    assert info.status == "failed"
    assert info.error is not None and info.error.startswith(expected)
    assert registry.plugin("fmbench-hook-neighbour").status == "loaded"
    assert registry.has(ProbeSpec, okay)
    cli_still_works()


def test_output_printed_in_a_hook_is_a_note(site: Path) -> None:
    source = GOOD_HOOK.format(module="fmbench_hook_print", probe="hook_print_probe").replace(
        "def fmbench_probes():\n", "def fmbench_probes():\n    print('registering!')\n"
    )
    plugin(site, "fmbench-hook-print", "fmbench_hook_print", source)
    result = CliRunner().invoke(cli, ["list-probes", "--json"], obj={})
    assert result.exit_code == 0, result.output
    names = [p["name"] for p in json.loads(result.stdout)]
    assert "hook_print_probe" in names
    info = build_registry().plugin("fmbench-hook-print")
    assert info.notes == [
        "printed in fmbench_probes() (kept out of fmbench's output): stdout: 'registering!\\n'"
    ]


# --- the guard itself -----------------------------------------------------------------------


def test_a_bad_time_limit_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TIMEOUT_ENV, "soon")
    result = CliRunner().invoke(cli, ["plugins", "list"], obj={})
    assert result.exit_code == 2
    assert "FMBENCH_PLUGIN_TIMEOUT='soon' is not a number of seconds" in result.output


def test_guarded_exceptions_keep_their_text() -> None:
    outcome = call_guarded(lambda: int("x"), timeout=5)
    assert failure_text(outcome) == "ValueError: invalid literal for int() with base 10: 'x'"


# --- end to end: a real process -------------------------------------------------------------


def _env(site: Path, home: Path, **extra: str) -> dict[str, str]:
    return {
        "PYTHONPATH": str(site),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        **extra,
    }


def test_plugins_list_json_stays_valid_json_in_a_real_process(site: Path, tmp_path: Path) -> None:
    """Every misbehaviour at once, through `python -m fmbench` as a user runs it."""
    plugin(site, "fmbench-e2e-exit", "fmbench_e2e_exit", "import sys\nsys.exit(0)\n")
    plugin(site, "fmbench-e2e-kbd", "fmbench_e2e_kbd", "raise KeyboardInterrupt\n")
    plugin(site, "fmbench-e2e-spin", "fmbench_e2e_spin", "while True:\n    pass\n")
    plugin(
        site,
        "fmbench-e2e-print",
        "fmbench_e2e_print",
        "print('{not json')\n" + GOOD_HOOK.format(module="fmbench_e2e_print", probe="e2e_probe"),
    )
    done = subprocess.run(
        [sys.executable, "-m", "fmbench", "plugins", "list", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(site, tmp_path, **{TIMEOUT_ENV: "1"}),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    listed = {p["name"]: p for p in json.loads(done.stdout)["plugins"]}
    assert listed["fmbench-e2e-exit"]["error"] == "called sys.exit(0) during import"
    assert listed["fmbench-e2e-kbd"]["status"] == "failed"
    assert listed["fmbench-e2e-spin"]["error"].startswith("still running after 1 s")
    assert listed["fmbench-e2e-print"]["status"] == "loaded"
    assert "{not json" in listed["fmbench-e2e-print"]["notes"][0]


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_the_users_ctrl_c_still_stops_the_command(site: Path, tmp_path: Path) -> None:
    """A KeyboardInterrupt the plugin raises fails the plugin; the user's Ctrl-C (a real
    SIGINT, delivered to the main thread while it waits for the plugin) stops the command."""
    started = tmp_path / "started"
    source = (
        f"import pathlib, time\npathlib.Path({str(started)!r}).write_text('x')\ntime.sleep(120)\n"
    )
    plugin(site, "fmbench-slow", "fmbench_slow_mod", source)
    process = subprocess.Popen(
        [sys.executable, "-m", "fmbench", "list-suites"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=_env(site, tmp_path, **{TIMEOUT_ENV: "300"}),
        preexec_fn=default_sigint,  # a test run started in the background ignores SIGINT
    )
    try:
        deadline = time.monotonic() + 60
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, err
    assert "Interrupted." in err
    assert "SUITE-TOY-CLASS" not in out
