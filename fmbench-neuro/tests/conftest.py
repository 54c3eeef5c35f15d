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


REPO = Path(__file__).resolve().parents[2]
MODEL_WHEELS_PINS = REPO / "tests" / "model-wheels.txt"


def _pinned_wheel(name: str) -> tuple[str, str]:
    """``(requirement, sha256)`` of ``name`` in tests/model-wheels.txt."""
    for line in MODEL_WHEELS_PINS.read_text(encoding="utf-8").splitlines():
        requirement, _, rest = line.partition(" --hash=sha256:")
        if requirement.split("==")[0].strip() == name:
            return requirement.strip(), rest.strip()
    raise LookupError(f"{name} is not pinned in {MODEL_WHEELS_PINS}")


@pytest.fixture(scope="session")
def icalabel_pin() -> tuple[str, str]:
    """``(requirement, wheel sha256)`` of mne-icalabel in tests/model-wheels.txt."""
    return _pinned_wheel("mne-icalabel")


@pytest.fixture(scope="session")
def icalabel_wheel(icalabel_pin: tuple[str, str]) -> Path:
    """The pinned mne-icalabel wheel (ICLabel's weights), from ``make model-wheels``.

    Looked for in ``$FMBENCH_MODEL_WHEELS`` or ``<repo>/.cache/model-wheels``; checked against
    the pinned sha256; skips with the reason when it is absent.
    """
    import hashlib

    requirement, digest = icalabel_pin
    version = requirement.split("==")[1]
    folder = Path(os.environ.get("FMBENCH_MODEL_WHEELS") or REPO / ".cache" / "model-wheels")
    wheel = folder / f"mne_icalabel-{version}-py3-none-any.whl"
    if not wheel.is_file():
        pytest.skip(f"{wheel} not found: run `make model-wheels` (downloads {requirement})")
    if hashlib.sha256(wheel.read_bytes()).hexdigest() != digest:
        pytest.fail(f"{wheel}: sha256 differs from the pin in {MODEL_WHEELS_PINS}")
    return wheel


@pytest.fixture(scope="session")
def mne_icalabel(icalabel_wheel: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """mne-icalabel's own code, imported from the pinned wheel (unpacked in a temporary
    folder, not installed); needs MNE-Python."""
    import sys
    import zipfile

    pytest.importorskip("mne", reason="mne-icalabel's code needs MNE-Python (pip install mne)")
    folder = tmp_path_factory.mktemp("mne_icalabel")
    with zipfile.ZipFile(icalabel_wheel) as wheel:
        wheel.extractall(folder, [m for m in wheel.namelist() if m.startswith("mne_icalabel/")])
    sys.path.insert(0, str(folder))
    import mne_icalabel

    yield mne_icalabel
    sys.path.remove(str(folder))
