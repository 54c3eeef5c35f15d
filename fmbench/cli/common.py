"""Shared pieces of the commands: the registry, error handling, JSON output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

__all__ = [
    "absolute",
    "command_line",
    "copy_to_legacy_folders",
    "echo_json",
    "legacy_output_options",
    "model_option",
    "registry_from",
    "run_options",
]


def registry_from(ctx: click.Context) -> Any:
    """The registry for this invocation (honours --no-plugins)."""
    from fmbench.plugin_system.registry import get_registry

    root = ctx.find_root()
    external = (root.obj or {}).get("external")
    return get_registry(external)


def absolute(path: str | None) -> str | None:
    """A path option as an absolute path, fixed when the command starts.

    A model's code runs in this process and may change the working folder (``os.chdir``);
    every folder a command writes into is resolved before that, so nothing can be redirected.

    Example:
        >>> import os
        >>> absolute("results/run1") == os.path.join(os.getcwd(), "results", "run1")
        True
        >>> absolute(None) is None
        True
    """
    import os

    return None if path is None else os.path.abspath(os.path.expanduser(path))


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def command_line() -> str:
    """This invocation as a shell command line (recorded in eval.yaml's provenance)."""
    import shlex
    import sys

    return " ".join(shlex.quote(a) for a in ["fmbench", *sys.argv[1:]])


def model_option(command: Any) -> Any:
    """``--model``: the model of a run, a config file or a shipped model's name (required)."""
    return click.option(
        "--model",
        "model",
        required=True,
        metavar="CONFIG|NAME",
        help="Model config YAML (model_id, type, ...), or the name of a model an installed "
        "plugin ships (see `fmbench list-models`).",
    )(command)


def run_options(command: Any) -> Any:
    """The options every evaluating command has: ``--data-root``, ``--seed``,
    ``--batch-size``, ``--overwrite`` and ``--no-progress``."""
    for option in reversed(
        (
            click.option(
                "--data-root", default=None, help="Root of the toy datasets [default: ./toy_data]."
            ),
            click.option("--seed", default=42, show_default=True, type=int),
            click.option(
                "--batch-size", default=256, show_default=True, type=click.IntRange(min=1)
            ),
            click.option(
                "--overwrite",
                is_flag=True,
                help="Replace the results in --out (the folder is rewritten as a whole).",
            ),
            click.option("--no-progress", is_flag=True, help="No progress output."),
        )
    ):
        command = option(command)
    return command


def legacy_output_options(command: Any) -> Any:
    """``--evals-dir`` and ``--reports-dir``: the earlier project's extra copies of the results."""
    command = click.option(
        "--reports-dir",
        default=None,
        type=click.Path(file_okay=False),
        help="Also copy report.md there as <eval_id>.md.",
    )(command)
    return click.option(
        "--evals-dir",
        default=None,
        type=click.Path(file_okay=False),
        help="Also copy eval.yaml there as <eval_id>.yaml (the earlier project's layout).",
    )(command)


def copy_to_legacy_folders(
    out_dir: Path, eval_id: str, evals_dir: str | None, reports_dir: str | None
) -> None:
    """Copy ``eval.yaml`` / ``report.md`` to the folders the earlier project wrote into."""
    import shutil

    for folder, name, suffix in (
        (evals_dir, "eval.yaml", ".yaml"),
        (reports_dir, "report.md", ".md"),
    ):
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out_dir / name, Path(folder) / f"{eval_id}{suffix}")
