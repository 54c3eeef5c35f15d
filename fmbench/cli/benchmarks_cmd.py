"""``fmbench list-benchmarks``: each benchmark with the facts of its data.

Real or synthetic, number of samples, licence, source and whether the data are on this
machine come from :func:`fmbench.data.facts.dataset_facts` (nothing is loaded).
"""

from __future__ import annotations

from typing import Any

import click

from fmbench.cli.common import echo_json, registry_from
from fmbench.cli.listing import _table

__all__ = ["list_benchmarks", "short_license"]


def short_license(text: str | None, width: int = 24) -> str:
    """The licence's name for a table cell: its first clause, cut to ``width``.

    Example:
        >>> short_license("CC-BY-4.0 (10x Genomics public dataset)")
        'CC-BY-4.0'
        >>> short_license(None)
        '-'
    """
    if not text:
        return "-"
    first = text
    for stop in (" (", ";", ": ", ", "):
        first = first.split(stop, 1)[0]
    first = first.strip() or text.strip()
    return first if len(first) <= width else first[: width - 1] + "…"


def _facts(registry: Any, dataset: str, data_root: str | None) -> dict[str, Any]:
    from fmbench.data.facts import dataset_facts
    from fmbench.plugin_system.specs import DatasetSpec

    if not registry.has(DatasetSpec, dataset):
        return {
            "dataset": dataset,
            "data_kind": None,
            "n_samples": None,
            "license": None,
            "source": "?",
            "status": "not registered",
        }
    return dataset_facts(registry.get(DatasetSpec, dataset), toy_root=data_root).to_dict()


@click.command(name="list-benchmarks")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--data-root", default=None, help="Root of the toy datasets [default: ./toy_data].")
@click.pass_context
def list_benchmarks(ctx: click.Context, as_json: bool, data_root: str | None) -> None:
    """List the registered benchmarks, their data (real or synthetic, samples, licence,
    source, cached or not) and which plugin provides each."""
    import attrs

    from fmbench.plugin_system.specs import BenchmarkSpec

    registry = registry_from(ctx)
    records = registry.all(BenchmarkSpec)
    facts = {b.dataset: _facts(registry, b.dataset, data_root) for b in records}
    if as_json:
        rows = []
        for b in records:
            data = attrs.asdict(b, recurse=True)
            data["benchmark_id"] = data.pop("name")
            rows.append(
                {
                    **data,
                    "data": facts[b.dataset],
                    "provider": registry.provider(BenchmarkSpec, b.name),
                }
            )
        echo_json(rows)
        return
    if not records:
        click.echo("no benchmarks registered")
        return
    table = []
    for b in records:
        f = facts[b.dataset]
        table.append(
            [
                b.name,
                b.version,
                b.health_domain or "-",
                b.protocol,
                b.metrics.primary,
                f["data_kind"] or "?",
                "?" if f["n_samples"] is None else str(f["n_samples"]),
                short_license(f["license"]),
                f["source"],
                f["status"],
                registry.provider(BenchmarkSpec, b.name),
                b.title or b.summary,
            ]
        )
    _table(
        table,
        [
            "BENCHMARK_ID",
            "VERSION",
            "DOMAIN",
            "PROTOCOL",
            "PRIMARY",
            "DATA",
            "SAMPLES",
            "LICENSE",
            "SOURCE",
            "STATUS",
            "PROVIDER",
            "NAME",
        ],
    )
