"""``fmbench compare RUN_A RUN_B [RUN...]``: paired differences of the primary metric; with
three or more runs, the Friedman and Nemenyi tests over data sets and a critical-difference
diagram."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from fmbench.cli.common import registry_from


def _print_pair(result: dict[str, Any]) -> None:
    a, b = result["run_a"], result["run_b"]
    click.echo(f"A: {a['model']} ({a['path']})")
    click.echo(f"B: {b['model']} ({b['path']})")
    click.echo(f"Conditional on {result['conditional_on']}.")
    for benchmark_id, entry in result["benchmarks"].items():
        if entry.get("difference") is None or entry.get("interval") is None:
            click.echo(f"{benchmark_id}: {entry['metric']}: no comparison ({entry.get('reason')})")
            continue
        lo, hi = entry["interval"]
        level = round(100 * entry["confidence"])
        split = " [different splits]" if entry.get("split") == "different" else ""
        click.echo(
            f"{benchmark_id}: {entry['metric']} A {entry['a']:.4f}, B {entry['b']:.4f}, "
            f"B - A = {entry['difference']:+.4f} [{lo:+.4f}, {hi:+.4f}] ({level}% paired "
            f"{entry['unit']} bootstrap, {entry['n_used']} resamples), "
            f"p = {entry['p_value']:.4g}{split}"
        )
    for side in ("only_in_a", "only_in_b"):
        if result[side]:
            click.echo(f"{side.replace('_', ' ')}: {', '.join(result[side])}")
    if "different_splits" in result:
        click.echo(f"Different splits were allowed: {result['different_splits']}.")


@click.command(name="compare")
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True))
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
@click.option(
    "--allow-different-splits", is_flag=True,
    help="Compare runs whose folds differ (e.g. other --seed) instead of refusing; the output "
    "then says what the test means.",
)  # fmt: skip
@click.option(
    "--alpha", default=0.05, show_default=True, type=click.FloatRange(0.001, 0.5),
    help="Significance level of the Friedman and post-hoc tests (three or more runs).",
)  # fmt: skip
@click.option(
    "--plot", "plot", default=None, type=click.Path(),
    help="Write the critical-difference diagram (PNG) to this file, or into this folder as "
    "critical_difference.png (three or more runs).",
)  # fmt: skip
@click.option("--overwrite", is_flag=True, help="Replace an existing --plot file.")
@click.pass_context
def compare(
    ctx: click.Context,
    runs: tuple[str, ...],
    as_json: bool,
    n_resamples: int,
    confidence: float,
    seed: int | None,
    allow_different_splits: bool,
    alpha: float,
    plot: str | None,
    overwrite: bool,
) -> int:
    """Compare runs (folders with eval.yaml and predictions.npz).

    Two runs: per shared benchmark, the primary metric's difference B - A with a paired
    bootstrap interval and p-value. Three or more: the Friedman test over data sets, the
    Nemenyi post-hoc, a critical-difference diagram (--plot) and Holm-adjusted paired
    comparisons per benchmark for the pairs on the same split. Every test is conditional on
    the fitted models (retraining variation is not in it)."""
    from fmbench.cli.common import echo_json
    from fmbench.errors import ResultsError

    if len(runs) < 2:
        raise click.UsageError("compare needs two or more run folders")
    if plot is not None and len(runs) < 3:
        raise click.UsageError(
            "--plot draws a critical-difference diagram: give three or more runs"
        )
    if len(runs) == 2:
        from fmbench.statistics.compare import compare_runs

        result = compare_runs(
            registry_from(ctx), Path(runs[0]), Path(runs[1]), n_resamples=n_resamples,
            confidence=confidence, seed=seed, allow_different_splits=allow_different_splits,
        )  # fmt: skip
        if as_json:
            echo_json(result)
        else:
            _print_pair(result)
        return 0
    from fmbench.statistics.compare_many import compare_many

    target: Path | None = None
    if plot is not None:
        from fmbench.reporting.cd_diagram import PLOT_NAME

        target = Path(plot) / PLOT_NAME if Path(plot).is_dir() else Path(plot)
        if target.exists() and not overwrite:
            raise ResultsError(f"{target} exists; pass --overwrite to replace it")
    many = compare_many(
        registry_from(ctx), [Path(r) for r in runs], alpha=alpha, n_resamples=n_resamples,
        confidence=confidence, seed=seed, allow_different_splits=allow_different_splits,
    )  # fmt: skip
    data = many.to_dict()
    if target is not None:
        from fmbench.reporting.cd_diagram import write_critical_difference

        data["plot"] = str(write_critical_difference(many, target))
    if as_json:
        echo_json(data)
        return 0
    for line in many.lines():
        click.echo(line)
    if target is not None:
        click.echo(f"Critical-difference diagram: {data['plot']}")
    return 0
