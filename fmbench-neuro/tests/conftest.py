"""Shared fixtures of the fmbench-neuro tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fmbench.plugin_system.specs import DatasetSpec


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: builds wheels and a fresh venv (deselect with -m 'not slow')"
    )


@pytest.fixture(scope="session")
def registry():  # type: ignore[no-untyped-def]
    """The registry with the installed plugins (fmbench-neuro among them)."""
    from fmbench.plugin_system.registry import build_registry

    return build_registry(external=True)


@pytest.fixture(scope="session")
def toy_root(tmp_path_factory: pytest.TempPathFactory, registry) -> Path:  # type: ignore[no-untyped-def]
    """Every neuro toy dataset, generated once per session."""
    from fmbench.data.generate_toy import generate_all

    root = tmp_path_factory.mktemp("toy_data")
    names = [s.name for s in registry.all(DatasetSpec) if s.name.startswith("DS-NEURO-")]
    list(generate_all(registry, root, seed=42, only=names))
    return root


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The folder of real test files; skips with the reason when it is absent."""
    candidates = [os.environ.get("FMBENCH_REAL_DATA"), "/work/shared/data/real"]
    here = Path(__file__).resolve()
    candidates += [str(p / "shared" / "data" / "real") for p in here.parents]
    for candidate in candidates:
        if candidate and (Path(candidate) / "functional.nii").is_file():
            return Path(candidate)
    pytest.skip("real NIfTI files not found: set FMBENCH_REAL_DATA to the shared/data/real folder")


CONFIGS = Path(__file__).resolve().parents[1] / "fmbench_neuro" / "definitions" / "models"
