"""``fmbench validate``: check eval files (schema, digest) and definition/config files."""

from __future__ import annotations

from pathlib import Path

import click

from fmbench.cli.common import registry_from


@click.command(name="validate")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
@click.option(
    "--allowed-signers",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="An allowed-signers file (ssh-keygen's and git's format): check the signatures of "
    "signed eval files against it and name who signed.",
)
@click.option(
    "--verify-signature",
    is_flag=True,
    help="Require every eval file to carry a valid signature by a key --allowed-signers lists.",
)
@click.pass_context
def validate(
    ctx: click.Context,
    files: tuple[str, ...],
    as_json: bool,
    allowed_signers: str | None,
    verify_signature: bool,
) -> None:
    """Check eval.yaml files (schema, digest, known benchmarks) or suite/benchmark/model YAML.

    An eval file with predictions.npz beside it is checked against them (their hash, and every
    metric recomputed). Signed eval files (`fmbench sign`) are verified with --allowed-signers.
    """
    from fmbench.cli.common import echo_json
    from fmbench.results.validation import validate_file

    if verify_signature and allowed_signers is None:
        raise click.UsageError(
            "--verify-signature needs --allowed-signers FILE (lines like "
            "'alice@example.org namespaces=\"fmbench-eval\" ssh-ed25519 AAAA...')"
        )
    signers = Path(allowed_signers) if allowed_signers is not None else None
    if signers is not None:
        from fmbench.results.signing import ssh_keygen

        ssh_keygen()  # missing: one clear error now, not one per file
    registry = registry_from(ctx)
    reports = [
        validate_file(
            Path(f), registry, allowed_signers=signers, require_signature=verify_signature
        )
        for f in files
    ]
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
