"""``fmbench datasets list | fetch | verify``: public datasets in the download cache."""

from __future__ import annotations

from typing import Any

import click

from fmbench.cli.common import echo_json, registry_from
from fmbench.plugin_system.specs import DatasetSpec

__all__ = ["datasets"]


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"  # pragma: no cover - the loop always returns


def _row(spec: Any, data_root: str | None) -> dict[str, Any]:
    from fmbench.data.fetch import dataset_status

    if spec.sources:
        sizes = [s.size for s in spec.sources]
        size = sum(sizes) if all(s is not None for s in sizes) else None
        kind = "public"
    else:
        size, kind = None, "toy" if spec.toy_path is not None else "local"
    return {
        "dataset": spec.name,
        "kind": kind,
        "modality": spec.modality,
        "size_bytes": size,
        "license": spec.license,
        "status": dataset_status(spec, toy_root=data_root),
        "files": len(spec.sources),
        "citation": spec.citation,
        "homepage": spec.homepage,
        "summary": spec.summary,
    }


@click.group()
def datasets() -> None:
    """Public and toy datasets: list them, download them into the cache, verify them.

    The cache is $FMBENCH_DATA (default: the user's cache folder). Set FMBENCH_OFFLINE=1 to
    never download, FMBENCH_MIRROR=URL to fetch through a mirror.
    """


@datasets.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--data-root", default=None, help="Root of the toy datasets [default: ./toy_data].")
@click.pass_context
def list_cmd(ctx: click.Context, as_json: bool, data_root: str | None) -> None:
    """Toy and public datasets with size, licence and status (cached, corrupted, ...)."""
    from fmbench.data.fetch import data_home

    registry = registry_from(ctx)
    rows = [_row(s, data_root) for s in registry.all(DatasetSpec) if not s.reads]
    if as_json:
        echo_json({"cache": str(data_home()), "datasets": rows})
        return
    table = [["DATASET", "KIND", "SIZE", "LICENSE", "STATUS"]]
    for row in rows:
        size = _size(row["size_bytes"]) if row["kind"] == "public" else "-"
        table.append([row["dataset"], row["kind"], size, row["license"] or "-", row["status"]])
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for r in table:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    click.echo(f"cache: {data_home()}")


@datasets.command(name="fetch")
@click.argument("names", nargs=-1, required=True)
@click.option("--offline", is_flag=True, help="Never download; use files placed by hand.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.pass_context
def fetch_cmd(ctx: click.Context, names: tuple[str, ...], offline: bool, no_progress: bool) -> None:
    """Download, verify (checksum), unpack and prepare the named datasets."""
    from fmbench.data.fetch import fetch_dataset

    registry = registry_from(ctx)
    specs = [registry.get(DatasetSpec, name) for name in names]
    for spec in specs:
        path = fetch_dataset(spec, offline=offline or None, progress=not no_progress)
        click.echo(f"{spec.name}: {path}")


@datasets.command(name="verify")
@click.argument("names", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
@click.pass_context
def verify_cmd(ctx: click.Context, names: tuple[str, ...], as_json: bool) -> int:
    """Re-hash the cached files of the named (default: all) public datasets."""
    from fmbench.data.fetch import source_statuses, verify_prepared

    registry = registry_from(ctx)
    specs = (
        [registry.get(DatasetSpec, n) for n in names]
        if names
        else [s for s in registry.all(DatasetSpec) if s.sources]
    )
    report: list[dict[str, Any]] = []
    bad = 0
    for spec in specs:
        for status in source_statuses(spec, rehash=True):
            report.append({"dataset": spec.name, **status.to_dict()})
            bad += status.state == "corrupted"
        for name in verify_prepared(spec):
            report.append({"dataset": spec.name, "file": f"prepared/{name}", "state": "corrupted"})
            bad += 1
    if as_json:
        echo_json({"files": report, "corrupted": bad})
    else:
        for item in report:
            line = f"{item['dataset']}  {item['file']}  {item['state']}"
            if item["state"] == "corrupted" and item.get("actual_hash"):
                line += f" (expected {item['expected_hash']}, got {item['actual_hash']})"
            click.echo(line)
        click.echo(f"{len(report)} files checked, {bad} corrupted")
    return 1 if bad else 0
