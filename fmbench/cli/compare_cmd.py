"""``fmbench compare RUN_A RUN_B``: paired differences of the primary metric."""

from __future__ import annotations

from pathlib import Path

import click

from fmbench.cli.common import registry_from


@click.command(name="compare")
@click.argument("run_a", type=click.Path(exists=True))
@click.argument("run_b", type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@click.option(
    "--n-resamples", default=1000, show_default=True, type=click.IntRange(min=100),
    help="Paired bootstrap resamples.",
)  # fmt: skip
@click.option(
    "--confidence", default=0.95, show_default=True, type=click.FloatRange(0.5, 0.999),
    help="Interval confidence level.",
)  # fmt: skip
@click.option("--seed", default=None, type=int, help="Resampling seed [default: run A's seed].")
@click.pass_context
def compare(
    ctx: click.Context,
    run_a: str,
    run_b: str,
    as_json: bool,
    n_resamples: int,
    confidence: float,
    seed: int | None,
) -> int:
    """Compare two runs (folders with eval.yaml and predictions.npz): per shared benchmark,
    the primary metric's difference B - A with a paired bootstrap interval and p-value."""
    from fmbench.cli.common import echo_json
    from fmbench.statistics.compare import compare_runs

    result = compare_runs(
        registry_from(ctx), Path(run_a), Path(run_b),
        n_resamples=n_resamples, confidence=confidence, seed=seed,
    )  # fmt: skip
    if as_json:
        echo_json(result)
        return 0
    a, b = result["run_a"], result["run_b"]
    click.echo(f"A: {a['model']} ({a['path']})")
    click.echo(f"B: {b['model']} ({b['path']})")
    for benchmark_id, entry in result["benchmarks"].items():
        if entry.get("difference") is None or entry.get("interval") is None:
            click.echo(f"{benchmark_id}: {entry['metric']}: no comparison ({entry.get('reason')})")
            continue
        lo, hi = entry["interval"]
        level = round(100 * entry["confidence"])
        click.echo(
            f"{benchmark_id}: {entry['metric']} A {entry['a']:.4f}, B {entry['b']:.4f}, "
            f"B - A = {entry['difference']:+.4f} [{lo:+.4f}, {hi:+.4f}] ({level}% paired "
            f"{entry['unit']} bootstrap, {entry['n_used']} resamples), p = {entry['p_value']:.4g}"
        )
    for side in ("only_in_a", "only_in_b"):
        if result[side]:
            click.echo(f"{side.replace('_', ' ')}: {', '.join(result[side])}")
    return 0
