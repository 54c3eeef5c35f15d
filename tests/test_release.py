"""The version policy: one version for the core and the domain packages, and the ranges
the packages declare on the core include it (docs/releasing.md)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import tomllib
from packaging.requirements import Requirement

import fmbench
from fmbench.plugin_system.loading import core_requirement

ROOT = Path(__file__).resolve().parents[1]


def _release_versions():
    spec = importlib.util.spec_from_file_location(
        "release_versions", ROOT / "scripts" / "release_versions.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["release_versions"] = module
    spec.loader.exec_module(module)
    return module


def test_the_core_is_published_under_its_own_name() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "fmbench-core"
    assert project["scripts"] == {"fmbench": "fmbench.cli:main"}


def test_a_tag_must_name_every_package_version(capsys) -> None:
    release = _release_versions()
    assert set(release.package_versions().values()) == {fmbench.__version__}
    assert release.main(["--tag", f"v{fmbench.__version__}"]) == 0
    assert release.main(["--tag", "v99.0.0"]) == 1
    assert "does not match: fmbench-core is" in capsys.readouterr().err


def test_every_package_and_example_plugin_accepts_this_core() -> None:
    pyprojects = [
        ROOT / "fmbench-neuro" / "pyproject.toml",
        ROOT / "fmbench-genomics" / "pyproject.toml",
        *sorted((ROOT / "plugins").glob("*/pyproject.toml")),
    ]
    for path in pyprojects:
        requires = tomllib.loads(path.read_text())["project"]["dependencies"]
        requirement = core_requirement(requires)
        assert requirement is not None, f"{path}: no requirement on fmbench-core"
        assert requirement.name == "fmbench-core", path
        assert requirement.specifier.contains(fmbench.__version__), (path, str(requirement))
    assert Requirement("fmbench-core>=0.1,<0.2").specifier.contains(fmbench.__version__)
