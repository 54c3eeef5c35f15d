"""The documentation: the CLI reference is not stale; pages the site needs exist."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_cli_reference_is_up_to_date():
    spec = importlib.util.spec_from_file_location(
        "gen_cli_reference", ROOT / "docs" / "gen_cli_reference.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.render()
    assert "## fmbench build-leaderboard" in expected
    assert "## fmbench validate" in expected
    actual = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/cli.md is stale: run `python docs/gen_cli_reference.py`"


def test_the_check_mode_reports_staleness():
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "gen_cli_reference.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_every_nav_page_exists_and_the_leaderboard_page_is_generated():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    pages = []
    for item in config["nav"]:
        pages += list(item.values())
    for page in pages:
        assert (ROOT / "docs" / page).is_file(), page
    board = (ROOT / "docs" / "leaderboards" / "index.md").read_text()
    assert board.startswith("# Leaderboard")
    assert "BM-TOY-CLASS" in board


def test_committed_evals_are_valid_and_the_page_is_up_to_date(monkeypatch):
    from click.testing import CliRunner

    from fmbench.cli import cli
    from fmbench.leaderboard import build
    from fmbench.leaderboard.render_md import render_markdown
    from fmbench.plugin_system.registry import get_registry

    files = sorted(str(p) for p in (ROOT / "evals").glob("*.yaml"))
    assert len(files) >= 2
    result = CliRunner().invoke(cli, ["validate", *files], obj={})
    assert result.exit_code == 0, result.output
    monkeypatch.chdir(ROOT)  # the page names the files relative to the repository
    expected = render_markdown(build(["evals"], get_registry(None), jobs=1))
    actual = (ROOT / "docs" / "leaderboards" / "index.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/leaderboards/index.md is stale: run `make docs`"
