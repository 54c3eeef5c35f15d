"""Generating every registered toy dataset.

Example:
    >>> from fmbench.plugin_system.registry import build_registry
    >>> [s.name for s in toy_specs(build_registry(external=False))]
    ['DS-TOY-FMRI-CLASS']
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

from fmbench.errors import DataError, UnknownNameError, suggest
from fmbench.io import atomic_write_text
from fmbench.plugin_system.registry import Registry
from fmbench.plugin_system.specs import DatasetSpec, resolve

__all__ = ["generate_all", "toy_specs"]


def toy_specs(registry: Registry) -> list[DatasetSpec]:
    """Registered datasets that can generate themselves."""
    return [s for s in registry.all(DatasetSpec) if s.generate is not None and s.toy_path]


def generate_all(
    registry: Registry, root: Path, *, seed: int = 42, only: Sequence[str] = ()
) -> Iterator[tuple[DatasetSpec, Path]]:
    """Generate each toy dataset into ``root/<toy_path>``; yields what was written."""
    specs = toy_specs(registry)
    names = [s.name for s in specs]
    for wanted in only:
        if wanted not in names:
            raise UnknownNameError(
                f"no toy dataset {wanted!r}{suggest(wanted, names)}; toy datasets: {', '.join(names)}"
            )
    for spec in specs:
        if only and spec.name not in only:
            continue
        assert spec.toy_path is not None
        folder = root / spec.toy_path
        if root.resolve() not in folder.resolve().parents:
            raise DataError(
                f"dataset {spec.name}: toy_path {spec.toy_path!r} leaves the toy-data folder"
            )
        assert spec.generate is not None
        resolve(spec.generate)(folder, seed)
        manifest = {
            "dataset_id": spec.name,
            "generator": spec.generate if isinstance(spec.generate, str) else repr(spec.generate),
            "seed": seed,
            "provider": registry.provider(DatasetSpec, spec.name),
            # a run given this folder by path reports what the data are (fmbench.data.locate)
            "data_kind": spec.data_kind,
            "files": sorted(
                p.name for p in folder.iterdir() if p.is_file() and p.name != "manifest.json"
            ),
        }
        atomic_write_text(folder / "manifest.json", json.dumps(manifest, indent=2) + "\n")
        yield spec, folder
