"""``fmbench run-robustness``: probes on a dataset folder (or id), written to --out."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import click

from fmbench.cli.common import (
    absolute,
    command_line,
    copy_to_legacy_folders,
    legacy_output_options,
    model_option,
    registry_from,
    run_options,
)
from fmbench.results.records import RobustnessResult, Status


def _probe_names(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if not names:
        raise click.BadParameter("give probe names separated by commas", param_hint="--probes")
    return names


@click.command(name="run-robustness")
@model_option
@click.option(
    "--data",
    required=True,
    help="Dataset folder (X.npy, y.npy, info.json...) or a registered dataset id.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Output folder for eval.yaml, report.md and plots/.",
)
@click.option(
    "--probes",
    default=None,
    help="Comma-separated probes (see list-probes) [default: every probe for the data's modality].",
)
@click.option(
    "--levels",
    "levels",
    multiple=True,
    metavar="PROBE=a,b,c",
    help="Override a probe's severity grid (repeatable), e.g. --levels noise=0,0.1,0.3.",
)
@click.option(
    "--sampling-freq",
    default=None,
    type=float,
    help="Sampling rate in Hz; sets or overrides the dataset's info sampling_freq (never assumed).",
)
@run_options
@legacy_output_options
@click.pass_context
def run_robustness(
    ctx: click.Context,
    model: str,
    data: str,
    out_dir: str,
    probes: str | None,
    levels: tuple[str, ...],
    seed: int,
    batch_size: int,
    sampling_freq: float | None,
    data_root: str | None,
    overwrite: bool,
    no_progress: bool,
    evals_dir: str | None,
    reports_dir: str | None,
) -> int:
    """Perturb the data with robustness probes and score the model at each severity.

    Writes eval.yaml (curves, rAUCs, robustness_score), report.md and a plot per probe.
    Exits non-zero when a probe fails (the others still run and are reported).
    """
    from fmbench.models.config import resolve_model_config
    from fmbench.robustness.engine import parse_levels
    from fmbench.robustness.standalone import RobustnessOptions
    from fmbench.robustness.standalone import run_robustness as run

    # every folder written (or read later) is fixed now: model code may change the working
    # folder (--out itself is resolved by the run before any model code runs)
    out_path = Path(str(absolute(out_dir)))
    evals_dir, reports_dir = absolute(evals_dir), absolute(reports_dir)
    data_root = absolute(data_root)
    registry = registry_from(ctx)
    options = RobustnessOptions(
        probes=_probe_names(probes),
        levels=parse_levels(levels),
        sampling_freq=sampling_freq,
        seed=seed,
        batch_size=batch_size,
        data_root=data_root,
        overwrite=overwrite,
        progress=not no_progress,
        model_config_path=model,
        command=command_line(),
    )
    config = resolve_model_config(registry, model)
    result = run(registry, config, data, Path(out_dir), options)
    document = result.document
    copy_to_legacy_folders(out_path, document.eval_id, evals_dir, reports_dir)
    failed = echo_robustness(document.robustness or {})
    click.echo(
        f"wrote {Path(out_dir) / 'eval.yaml'} and {Path(out_dir) / 'report.md'} "
        f"(status {document.status.value})"
    )
    return 1 if failed else 0


def echo_robustness(blocks: Mapping[str, RobustnessResult]) -> bool:
    """Print one line per probe; return True when anything failed."""
    failed = False
    for name, block in blocks.items():
        if block.error:
            click.echo(f"{name}: robustness FAILED: {block.error}", err=True)
            failed = True
            continue
        for probe, record in block.probes.items():
            if record.status is not Status.COMPLETED:
                click.echo(f"{probe}: FAILED: {record.error}", err=True)
                failed = True
            else:
                value = record.relative_rauc
                shown = "null" if value is None else f"{value:.4f}"
                click.echo(f"{probe}: rAUC (chance-relative) = {shown}")
        score = block.robustness_score
        shown = "null" if score is None else f"{score:.4f}"
        reason = block.robustness_score_reason
        click.echo(f"robustness_score = {shown}" + (f" ({reason})" if reason else ""))
    return failed
