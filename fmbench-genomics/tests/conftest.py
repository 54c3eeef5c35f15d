"""Shared fixtures: the registry with this plugin, toy data generated once, real files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fmbench_genomics import plugin

from fmbench.plugin_system.registry import Registry, build_registry
from fmbench.plugin_system.specs import DatasetSpec

#: the model configs the package ships (fmbench_genomics/definitions/models)
CONFIGS = Path(__file__).resolve().parents[1] / "fmbench_genomics" / "definitions" / "models"
REAL_FILES = {"h5ad": "10x_pbmc68k_reduced.h5ad", "vcf": "1kg.vcf.gz"}


def _real_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("FMBENCH_REAL_DATA"):
        dirs.append(Path(os.environ["FMBENCH_REAL_DATA"]))
    here = Path(__file__).resolve()
    for folder in here.parents:
        dirs.append(folder / "shared" / "data" / "real")
    dirs.append(Path("/work/shared/data/real"))
    return dirs


def real_file(kind: str) -> Path:
    """The real test file of a kind, or skip the test saying where it was looked for."""
    name = REAL_FILES[kind]
    for folder in _real_dirs():
        if (folder / name).is_file():
            return folder / name
    pytest.skip(f"real file {name} not found (set FMBENCH_REAL_DATA to its folder)")


@pytest.fixture(scope="session")
def registry() -> Registry:
    return build_registry(external=False, extra_modules=(plugin,))


@pytest.fixture(scope="session")
def toy_root(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> Path:
    from fmbench.data.generate_toy import generate_all

    root = tmp_path_factory.mktemp("toy")
    wanted = [s.name for s in registry.all(DatasetSpec) if s.name.startswith("DS-TOY-")]
    wanted = [n for n in wanted if registry.provider(DatasetSpec, n) != "fmbench.builtin"]
    list(generate_all(registry, root, seed=42, only=wanted))
    return root


@pytest.fixture
def real_h5ad() -> Path:
    return real_file("h5ad")


@pytest.fixture
def real_vcf() -> Path:
    return real_file("vcf")
