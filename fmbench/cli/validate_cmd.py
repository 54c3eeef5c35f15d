"""``fmbench validate``: check eval files (schema, digest) and definition/config files."""

from __future__ import annotations

from pathlib import Path

import click

from fmbench.cli.common import registry_from


@click.command(name="validate")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
@click.pass_context
def validate(ctx: click.Context, files: tuple[str, ...], as_json: bool) -> None:
    """Check eval.yaml files (schema, digest, known benchmarks) or suite/benchmark/model YAML."""
    from fmbench.cli.common import echo_json
    from fmbench.results.validation import validate_file

    registry = registry_from(ctx)
    reports = [validate_file(Path(f), registry) for f in files]
    if as_json:
        echo_json([r.to_dict() for r in reports])
    else:
        for report in reports:
            for finding in report.findings:
                click.echo(f"{report.path}: {finding.severity}: {finding.message}")
            if report.ok:
                click.echo(f"{report.path}: OK ({report.kind})")
    if not all(r.ok for r in reports):
        ctx.exit(1)
