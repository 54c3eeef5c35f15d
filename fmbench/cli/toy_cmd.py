"""``fmbench generate-toy-data``."""

from __future__ import annotations

from pathlib import Path

import click

from fmbench.cli.common import registry_from


@click.command(name="generate-toy-data")
@click.option(
    "--output-dir",
    default="toy_data",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Root folder of the toy datasets.",
)
@click.option("--seed", default=42, show_default=True, type=int, help="Generator seed.")
@click.option("--only", multiple=True, help="Generate only these dataset ids (repeatable).")
@click.pass_context
def generate_toy_data(
    ctx: click.Context, output_dir: str, seed: int, only: tuple[str, ...]
) -> None:
    """Write the deterministic toy datasets of fmbench and every installed plugin."""
    from fmbench.data.generate_toy import generate_all

    registry = registry_from(ctx)
    for spec, folder in generate_all(registry, Path(output_dir), seed=seed, only=only):
        click.echo(f"{spec.name:<28} -> {folder}")
