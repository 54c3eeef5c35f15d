"""Shared pieces of the commands: the registry, error handling, JSON output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

__all__ = ["copy_to_legacy_folders", "echo_json", "legacy_output_options", "registry_from"]


def registry_from(ctx: click.Context) -> Any:
    """The registry for this invocation (honours --no-plugins)."""
    from fmbench.registry import get_registry

    root = ctx.find_root()
    external = (root.obj or {}).get("external")
    return get_registry(external)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


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
