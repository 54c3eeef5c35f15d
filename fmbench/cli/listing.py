"""Listing commands: plugins, suites, benchmarks, probes, metrics, datasets, adapters, protocols."""

from __future__ import annotations

from typing import Any

import click

from fmbench.capabilities import describe_group
from fmbench.cli.common import echo_json, registry_from
from fmbench.plugin_system.kinds import KINDS
from fmbench.plugin_system.specs import (
    BenchmarkSpec,
    DatasetSpec,
    MetricSpec,
    ModelAdapterSpec,
    ModelSpec,
    ProbeSpec,
    ProtocolSpec,
    SuiteSpec,
)


def _table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    click.echo("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    for row in rows:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _listing(record: type, header: list[str], row: Any, as_dict: Any) -> click.Command:
    kind = KINDS[record]

    @click.command(name=kind.listing.removeprefix("fmbench "))
    @click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
    @click.pass_context
    def command(ctx: click.Context, as_json: bool) -> None:
        registry = registry_from(ctx)
        records = registry.all(record)
        if as_json:
            echo_json(
                [{**as_dict(r), "provider": registry.provider(record, r.name)} for r in records]
            )
            return
        if not records:
            click.echo(f"no {kind.noun}s registered")
            return
        _table(
            [[*row(r), registry.provider(record, r.name)] for r in records],
            [*header, "PROVIDER"],
        )

    command.help = f"List the registered {kind.noun}s (and which plugin provides each)."
    return command


def _suite_row(s: Any) -> list[str]:
    return [s.name, s.version, ",".join(e.benchmark for e in s.benchmarks), s.title or s.summary]


def _suite_dict(s: Any) -> dict[str, Any]:
    return {
        "suite_id": s.name,
        "version": s.version,
        "name": s.title,
        "summary": s.summary,
        "benchmarks": [{"benchmark_id": e.benchmark, "dataset": e.dataset} for e in s.benchmarks],
        "probes": [{"name": p.name, "levels": p.levels} for p in s.probes],
    }


def _bm_row(b: Any) -> list[str]:
    return [
        b.name,
        b.version,
        b.health_domain or "-",
        b.ai_task or b.task,
        b.protocol,
        b.metrics.primary,
        b.title or b.summary,
    ]


def _bm_dict(b: Any) -> dict[str, Any]:
    import attrs

    data = attrs.asdict(b, recurse=True)
    data["benchmark_id"] = data.pop("name")
    return data


def _plain_dict(r: Any) -> dict[str, Any]:
    import attrs

    data = attrs.asdict(r, recurse=True)
    for key, value in list(data.items()):
        if callable(value):
            data[key] = f"{value.__module__}:{value.__qualname__}"
    return data


list_suites = _listing(
    SuiteSpec, ["SUITE_ID", "VERSION", "BENCHMARKS", "NAME"], _suite_row, _suite_dict
)
list_benchmarks = _listing(
    BenchmarkSpec,
    ["BENCHMARK_ID", "VERSION", "HEALTH_DOMAIN", "AI_TASK", "PROTOCOL", "PRIMARY", "NAME"],
    _bm_row,
    _bm_dict,
)
list_probes = _listing(
    ProbeSpec,
    ["PROBE", "MODALITIES", "LEVELS", "SUMMARY"],
    lambda p: [
        p.name,
        ",".join(p.modalities) or "any",
        ",".join(f"{v:g}" for v in p.levels),
        p.summary,
    ],
    _plain_dict,
)
list_metrics = _listing(
    MetricSpec,
    ["METRIC", "TASK", "NEEDS", "BETTER", "SUMMARY"],
    lambda m: [m.name, m.task, m.needs, m.direction, m.summary],
    _plain_dict,
)
list_datasets = _listing(
    DatasetSpec,
    ["DATASET", "MODALITY", "TASK", "WHERE", "SUMMARY"],
    lambda d: [
        d.name,
        d.modality,
        d.task,
        (d.toy_path and f"<toy>/{d.toy_path}")
        or (",".join(d.reads) and "reads " + ",".join(d.reads))
        or "-",
        d.summary,
    ],
    _plain_dict,
)
list_adapters = _listing(
    ModelAdapterSpec,
    ["TYPE", "BASELINE", "SUMMARY"],
    lambda a: [a.name, "yes" if a.baseline else "no", a.summary],
    _plain_dict,
)
list_models = _listing(
    ModelSpec,
    ["MODEL", "TYPE", "SUMMARY"],
    lambda m: [m.name, m.type, m.summary],
    lambda m: {
        "model_id": m.name,
        "type": m.type,
        "summary": m.summary,
        "settings": dict(m.settings),
        "license": m.license,
        "citation": m.citation,
    },
)
list_protocols = _listing(
    ProtocolSpec,
    ["PROTOCOL", "NEEDS", "SUMMARY"],
    lambda p: [p.name, "; ".join(describe_group(g) for g in p.needs), p.summary],
    _plain_dict,
)


@click.group()
def plugins() -> None:
    """Show and manage fmbench plugins."""


@plugins.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def plugins_list(ctx: click.Context, as_json: bool) -> None:
    """Every plugin: name, version, status, hooks, what it contributes, and errors."""
    registry = registry_from(ctx)
    conflicts = {
        KINDS[record].name: dict(names) for record, names in registry.conflicts.items() if names
    }
    if as_json:
        echo_json({"plugins": [p.to_dict() for p in registry.plugins], "conflicts": conflicts})
        return
    from fmbench.plugin_system.loading import plugin_traceback

    debug = bool((ctx.find_root().obj or {}).get("debug"))
    for info in registry.plugins:
        label = "built-in" if info.builtin else info.module
        click.echo(f"{info.name} {info.version}  [{info.status}]  ({label})")
        if info.error:
            click.echo(f"    error: {info.error}")
        for note in info.notes:
            click.echo(f"    note: {note}")
        trace = plugin_traceback(info.name) if debug else None
        if trace:
            click.echo("    " + trace.rstrip().replace("\n", "\n    "))
        for kind, names in sorted(info.contributes.items()):
            click.echo(f"    {kind}s: {', '.join(sorted(names))}")
    from fmbench.plugin_system.registry import conflict_message

    for record, names in registry.conflicts.items():
        for name, providers in names.items():
            click.echo(f"CONFLICT: {conflict_message(record, name, providers)}")


@plugins.command(name="new")
@click.argument("name")
@click.option(
    "--kind",
    required=True,
    type=click.Choice(["probe", "benchmark", "metric", "adapter", "reporter"]),
    help="What the plugin adds (benchmark: a benchmark with its toy dataset and a suite).",
)
@click.option(
    "--dir",
    "parent",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder in which to create the package folder NAME.",
)
def plugins_new(name: str, kind: str, parent: str) -> None:
    """Create a plugin package NAME (e.g. fmbench-acme-probes) whose tests pass as generated."""
    from pathlib import Path

    from fmbench.plugin_system.scaffold import scaffold

    files = scaffold(name, kind, parent)
    target = Path(parent) / name
    click.echo(f"created {target} ({len(files)} files):")
    for path in files:
        click.echo(f"  {path.relative_to(target)}")
    click.echo(f'next: cd {target} && pip install -e ".[test]" && pytest')
