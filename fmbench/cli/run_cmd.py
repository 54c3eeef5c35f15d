"""``fmbench run``: a suite on a model, written to --out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from fmbench.results.records import EvalDocument


@click.command(name="run")
@click.option("--suite", required=True, help="Suite id (see list-suites) or a suite YAML file.")
@model_option
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Output folder for eval.yaml and report.md.",
)
@click.option("--dataset", default=None, help="Run on this dataset id or folder instead.")
@click.option("--protocol", default=None, help="Override the benchmarks' protocol.")
@run_options
@click.option(
    "--reporter",
    "reporters",
    multiple=True,
    help="Reporters to run (repeatable; default: the default ones).",
)
@legacy_output_options
@click.option(
    "--n-resamples",
    default=None,
    type=click.IntRange(min=100),
    help="Bootstrap resamples per interval [default: the benchmark's, else 1000].",
)
@click.option(
    "--check-determinism",
    is_flag=True,
    help="Give the model a sample of each benchmark twice and report the largest difference.",
)
@click.option(
    "--determinism-samples",
    default=64,
    show_default=True,
    type=click.IntRange(min=1),
    help="Samples used by --check-determinism.",
)
@click.option(
    "--fetch",
    "fetch_data",
    is_flag=True,
    help="First download (verified, cached) the public datasets the suite needs and the "
    "model's declared weights (weights_url / weights_wheel).",
)
@click.option("--offline", is_flag=True, help="With --fetch: never download (FMBENCH_OFFLINE).")
@click.option(
    "--cache-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Embedding cache folder [default: $FMBENCH_CACHE or the user's cache folder].",
)
@click.option(
    "--no-cache", is_flag=True, help="Compute embeddings afresh; read and write no cache."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds one benchmark may take before it is stopped and recorded as failed.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the run in --out (same suite, model, seed): finished benchmarks are not run "
    "again unless their code, weights, data, definitions or options changed.",
)
@click.option(
    "--jobs",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Benchmarks run in this many local processes.",
)
@click.option(
    "--executor",
    type=click.Choice(["inprocess", "processes", "dask"]),
    default=None,
    help="Where benchmarks run [default: processes when --jobs > 1, else inprocess].",
)
@click.option(
    "--scheduler",
    default=None,
    help="Dask scheduler address for --executor dask (e.g. tcp://127.0.0.1:8786).",
)
@click.pass_context
def run(
    ctx: click.Context,
    suite: str,
    model: str,
    out_dir: str,
    dataset: str | None,
    data_root: str | None,
    protocol: str | None,
    seed: int,
    batch_size: int,
    overwrite: bool,
    no_progress: bool,
    reporters: tuple[str, ...],
    evals_dir: str | None,
    reports_dir: str | None,
    n_resamples: int | None = None,
    check_determinism: bool = False,
    determinism_samples: int = 64,
    fetch_data: bool = False,
    offline: bool = False,
    cache_dir: str | None = None,
    no_cache: bool = False,
    timeout: float | None = None,
    resume: bool = False,
    jobs: int = 1,
    executor: str | None = None,
    scheduler: str | None = None,
) -> None:
    """Run a suite on a model and write eval.yaml and report.md into --out."""
    from fmbench.api import resolve_suite
    from fmbench.models.config import resolve_model_config
    from fmbench.running.suite_run import RunOptions, run_suite

    # every folder written (or read later) is fixed now: model code may change the working
    # folder (--out itself is resolved by the run before any model code runs)
    out_path = Path(str(absolute(out_dir)))
    evals_dir, reports_dir = absolute(evals_dir), absolute(reports_dir)
    data_root = absolute(data_root)
    cache_dir = absolute(cache_dir)
    registry = registry_from(ctx)
    suite_spec = resolve_suite(registry, suite)
    config = resolve_model_config(registry, model)
    if fetch_data:
        from fmbench.data.fetch import fetch_for_suite

        fetch_for_suite(
            registry,
            suite_spec,
            dataset=dataset,
            offline=offline or None,
            progress=not no_progress,
        )
        if config.settings.get("weights_url") or config.settings.get("weights_wheel"):
            from fmbench.models.weights import download_weights

            download_weights(
                {**dict(config.settings), "model_id": config.model_id},
                offline=offline or None,
                progress=not no_progress,
            )
    options = RunOptions(
        seed=seed,
        batch_size=batch_size,
        data_root=data_root,
        dataset=dataset,
        protocol=protocol,
        overwrite=overwrite,
        progress=not no_progress,
        model_config_path=model,
        command=command_line(),
        reporters=tuple(reporters) or None,
        n_resamples=n_resamples,
        check_determinism=determinism_samples if check_determinism else 0,
        cache_dir=cache_dir,
        use_cache=not no_cache,
        timeout=timeout,
        resume=resume,
        executor=executor or ("processes" if jobs > 1 else "inprocess"),
        jobs=jobs,
        scheduler=scheduler,
        external=ctx.find_root().obj.get("external") if ctx.find_root().obj else None,
    )
    result = run_suite(registry, suite_spec, config, Path(out_dir), options)
    document = result.document
    copy_to_legacy_folders(out_path, document.eval_id, evals_dir, reports_dir)
    echo_results(document)
    probes_failed = False
    if document.robustness is not None:
        from fmbench.cli.robustness_cmd import echo_robustness

        probes_failed = echo_robustness(document.robustness)
    click.echo(
        f"wrote {Path(out_dir) / 'eval.yaml'} and {Path(out_dir) / 'report.md'} "
        f"(status {document.status.value})"
    )
    if result.failed or probes_failed:
        ctx.exit(1)


def echo_results(document: EvalDocument) -> None:
    """One line per benchmark (its primary metric, or why it failed), and determinism."""
    for record in document.benchmarks.records:
        bid = record.benchmark_id
        if record.ok and record.primary is not None:
            value = record.primary.value
            shown = "null" if value is None else f"{value:.4f}"
            click.echo(f"{bid}: {record.primary.name} = {shown}")
        else:
            click.echo(f"{bid}: FAILED: {record.error}", err=True)
    determinism = document.determinism
    if determinism is not None:
        click.echo(
            f"determinism: largest difference {determinism['max_abs_diff']} on "
            f"{determinism['n_samples']} samples per benchmark"
        )
