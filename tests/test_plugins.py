"""Plugin loading: built-ins, installed entry points one by one, statuses, the off switches.

Installed plugins are faked with ``*.dist-info`` folders on ``sys.path`` (see
``fmbench.testing.make_fake_distribution``); every test uses a fresh plugin manager.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from fmbench.cli import cli
from fmbench.errors import PluginError
from fmbench.plugin_system.loading import BUILTIN_PLUGINS, load_plugins, new_plugin_manager
from fmbench.plugin_system.registry import build_registry, get_registry
from fmbench.plugin_system.specs import MetricSpec, ProbeSpec
from fmbench.testing import make_fake_distribution

from .conftest import plugins_list_in_subprocess

GOOD_PLUGIN = """
import fmbench

def scale(x, level, rng, info):
    return x * (1.0 + level)

@fmbench.hookimpl
def fmbench_probes():
    yield fmbench.ProbeSpec(name="{probe}", summary="scale by 1 + level",
                            levels=(0.0, 0.5), perturb="{module}:scale")
"""


def good_plugin(module: str, probe: str) -> str:
    return GOOD_PLUGIN.format(module=module, probe=probe)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on sys.path for fake installed distributions; the CLI's registry cache is
    cleared before and after, so that each test sees exactly its own plugins."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.delenv("FMBENCH_NO_PLUGINS", raising=False)
    monkeypatch.delenv("FMBENCH_BLOCK_PLUGINS", raising=False)
    get_registry.cache_clear()
    yield root
    get_registry.cache_clear()


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), obj={})
    return result.exit_code, result.output


def info_of(infos: list, name: str):  # type: ignore[no-untyped-def]
    return next(i for i in infos if i.name == name)


def test_builtins_load_on_a_fresh_manager() -> None:
    manager, infos = load_plugins(external=False)
    other, _ = load_plugins(external=False)
    assert manager is not other
    assert infos[0].name == "fmbench.builtin"
    assert infos[0].status == "loaded"
    assert infos[0].builtin
    for module in BUILTIN_PLUGINS:
        assert manager.has_plugin(module)
    assert "fmbench_probes" in infos[0].hooks


def test_a_given_manager_is_filled() -> None:
    manager = new_plugin_manager()
    filled, _ = load_plugins(manager, external=False)
    assert filled is manager
    assert manager.hook.fmbench_probes()


def test_plugin_that_raises_on_import_is_failed_and_the_cli_still_works(site: Path) -> None:
    make_fake_distribution(
        site,
        "fmbench-broken",
        {"fmbench_broken_mod.py": "raise RuntimeError('boom at import')\n"},
        entry_point="fmbench_broken_mod",
    )
    _, infos = load_plugins()
    info = info_of(infos, "fmbench-broken")
    assert info.status == "failed"
    assert info.error == "RuntimeError: boom at import"
    assert info.version == "0.1.0"

    code, out = invoke("plugins", "list")
    assert code == 0
    assert "fmbench-broken 0.1.0  [failed]" in out
    assert "error: RuntimeError: boom at import" in out
    code, out = invoke("plugins", "list", "--json")
    assert code == 0
    listed = {p["name"]: p for p in json.loads(out)["plugins"]}
    assert listed["fmbench-broken"]["status"] == "failed"
    assert listed["fmbench.builtin"]["status"] == "loaded"
    code, out = invoke("list-suites")
    assert code == 0
    assert "SUITE-TOY-CLASS" in out
    code, out = invoke("list-probes")
    assert code == 0
    assert "noise" in out


def test_a_command_that_needs_a_failed_plugin_says_so(site: Path) -> None:
    make_fake_distribution(
        site,
        "fmbench-broken-two",
        {"fmbench_broken_two.py": "import not_a_module_anywhere\n"},
        entry_point="fmbench_broken_two",
    )
    registry = build_registry()
    with pytest.raises(Exception, match="plugins that did not load: fmbench-broken-two"):
        registry.get(ProbeSpec, "no_such_probe_anywhere")


def test_incompatible_plugin_is_listed_and_not_imported(site: Path) -> None:
    make_fake_distribution(
        site,
        "fmbench-future",
        {"fmbench_future_mod.py": good_plugin("fmbench_future_mod", "future_probe")},
        entry_point="fmbench_future_mod",
        requires=("fmbench>=99",),
    )
    registry = build_registry()
    info = registry.plugin("fmbench-future")
    assert info.status == "incompatible"
    assert info.requires_fmbench == ">=99"
    assert "requires fmbench >=99" in (info.error or "")
    assert "fmbench_future_mod" not in sys.modules
    assert not registry.has(ProbeSpec, "future_probe")
    code, out = invoke("plugins", "list")
    assert code == 0
    assert "fmbench-future 0.1.0  [incompatible]" in out


@pytest.mark.parametrize(
    "requirement",
    [
        "fmbench-core[onnx]>=0.1; python_version >= '3.8'",  # what an adapter plugin writes
        "fmbench_core[onnx,torch] >=0.1, <1",
        "fmbench-core @ https://example.org/fmbench_core-0.1.0-py3-none-any.whl",
        "fmbench>=0.1,<0.2",  # the core's name before it was published
        "fmbench-core>=99; python_version < '3'",  # a marker that does not hold here
        'fmbench-core>=99; extra == "test"',  # a requirement of the plugin's own extra
    ],
)
def test_requirements_on_the_core_are_read_like_pip_reads_them(
    site: Path, requirement: str
) -> None:
    module = "fmbench_req_mod"
    make_fake_distribution(
        site,
        "fmbench-req",
        {f"{module}.py": good_plugin(module, "req_probe")},
        entry_point=module,
        requires=("numpy>=1", requirement),
    )
    registry = build_registry()
    info = registry.plugin("fmbench-req")
    assert info.status == "loaded", info.error
    assert registry.has(ProbeSpec, "req_probe")
    assert registry.provider(ProbeSpec, "req_probe") == "fmbench-req"


def test_incompatible_extra_requirement_shows_the_specifier_that_failed(site: Path) -> None:
    make_fake_distribution(
        site,
        "fmbench-later",
        {"fmbench_later_mod.py": good_plugin("fmbench_later_mod", "later_probe")},
        entry_point="fmbench_later_mod",
        requires=("fmbench-core[onnx]>=5,<6; python_version >= '3.8'",),
    )
    info = build_registry().plugin("fmbench-later")
    assert info.status == "incompatible"
    assert info.error is not None
    assert "requires fmbench-core[onnx] <6,>=5, this is fmbench-core" in info.error


def test_debug_shows_the_traceback_of_a_plugin_that_failed(site: Path) -> None:
    make_fake_distribution(
        site,
        "fmbench-trace",
        {"fmbench_trace_mod.py": "def helper():\n    raise RuntimeError('deep down')\nhelper()\n"},
        entry_point="fmbench_trace_mod",
    )
    code, out = invoke("plugins", "list")
    assert code == 0
    assert "error: RuntimeError: deep down" in out
    assert "Traceback" not in out
    code, out = invoke("--debug", "plugins", "list")
    assert code == 0
    assert "Traceback (most recent call last)" in out
    assert "in helper" in out


def test_compatible_plugin_loads_and_contributes(site: Path) -> None:
    make_fake_distribution(
        site,
        "fmbench-okay",
        {"fmbench_okay_mod.py": good_plugin("fmbench_okay_mod", "okay_probe")},
        entry_point="fmbench_okay_mod",
    )
    registry = build_registry()
    info = registry.plugin("fmbench-okay")
    assert info.status == "loaded", info.error
    assert info.hooks == ["fmbench_probes"]
    assert info.contributes == {"probe": ["okay_probe"]}
    assert registry.provider(ProbeSpec, "okay_probe") == "fmbench-okay"
    code, out = invoke("list-probes")
    assert code == 0
    assert "okay_probe" in out
    assert "fmbench-okay" in out


def test_duplicate_names_are_an_error_naming_both_providers(site: Path) -> None:
    for dist, module in (("fmbench-dup-a", "fmbench_dup_a"), ("fmbench-dup-b", "fmbench_dup_b")):
        make_fake_distribution(
            site, dist, {f"{module}.py": good_plugin(module, "shared_probe")}, entry_point=module
        )
    registry = build_registry()
    assert registry.conflicts[ProbeSpec]["shared_probe"] == ["fmbench-dup-a", "fmbench-dup-b"]
    with pytest.raises(PluginError) as caught:
        registry.get(ProbeSpec, "shared_probe")
    assert "'fmbench-dup-a' and 'fmbench-dup-b'" in str(caught.value)
    code, out = invoke("plugins", "list")
    assert code == 0
    assert "CONFLICT: probe 'shared_probe' is registered by both 'fmbench-dup-a' and" in out


def test_hook_yielding_a_wrong_type_fails_the_plugin(site: Path) -> None:
    source = textwrap.dedent(
        """
        import fmbench

        @fmbench.hookimpl
        def fmbench_metrics():
            yield fmbench.MetricSpec(name="wrongtype_metric", summary="s", compute="os:getcwd")

        @fmbench.hookimpl
        def fmbench_probes():
            yield {"name": "not_a_record"}
        """
    )
    make_fake_distribution(
        site, "fmbench-wrongtype", {"fmbench_wrongtype.py": source}, entry_point="fmbench_wrongtype"
    )
    registry = build_registry()
    info = registry.plugin("fmbench-wrongtype")
    assert info.status == "failed"
    assert info.error == (
        "fmbench_probes: TypeError: fmbench_probes() yielded dict, expected fmbench.ProbeSpec"
    )
    # none of a failed plugin's records are used, not even those of its good hooks
    assert not registry.has(MetricSpec, "wrongtype_metric")
    code, out = invoke("plugins", "list")
    assert code == 0
    assert "fmbench-wrongtype 0.1.0  [failed]" in out


def test_entry_point_named_unlike_its_distribution_still_fails_the_right_plugin(
    site: Path,
) -> None:
    source = "import fmbench\n\n@fmbench.hookimpl\ndef fmbench_probes():\n    raise ValueError('bad grid')\n"
    make_fake_distribution(
        site, "fmbench-odd-name", {"fmbench_odd.py": source}, entry_point="fmbench_odd"
    )
    entry_points = site / "fmbench_odd_name-0.1.0.dist-info" / "entry_points.txt"
    entry_points.write_text("[fmbench]\nodd = fmbench_odd\n", encoding="utf-8")
    registry = build_registry()
    info = registry.plugin("fmbench-odd-name")
    assert info.status == "failed"
    assert info.error == "fmbench_probes: ValueError: bad grid"


@pytest.mark.parametrize("how", ["env", "flag"])
def test_no_plugins_switch_disables_installed_plugins(
    site: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    make_fake_distribution(
        site,
        "fmbench-switchable",
        {"fmbench_switchable.py": good_plugin("fmbench_switchable", "switch_probe")},
        entry_point="fmbench_switchable",
    )
    args = ["plugins", "list", "--json"]
    if how == "env":
        monkeypatch.setenv("FMBENCH_NO_PLUGINS", "1")
    else:
        args.insert(0, "--no-plugins")
    code, out = invoke(*args)
    assert code == 0
    listed = {p["name"]: p for p in json.loads(out)["plugins"]}
    assert listed["fmbench-switchable"]["status"] == "disabled"
    assert listed["fmbench-switchable"]["contributes"] == {}
    get_registry.cache_clear()
    prefix = ["--no-plugins"] if how == "flag" else []
    code, out = invoke(*prefix, "list-probes")
    assert code == 0
    assert "switch_probe" not in out
    assert "noise" in out


def test_env_switch_off_means_plugins_load(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_fake_distribution(
        site,
        "fmbench-switch-on",
        {"fmbench_switch_on.py": good_plugin("fmbench_switch_on", "on_probe")},
        entry_point="fmbench_switch_on",
    )
    monkeypatch.setenv("FMBENCH_NO_PLUGINS", "0")
    assert build_registry().has(ProbeSpec, "on_probe")


def test_block_list_disables_one_plugin_by_any_spelling(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for dist, module in (("fmbench-keep", "fmbench_keep"), ("fmbench-block-me", "fmbench_blk")):
        make_fake_distribution(
            site, dist, {f"{module}.py": good_plugin(module, f"{module}_p")}, entry_point=module
        )
    monkeypatch.setenv("FMBENCH_BLOCK_PLUGINS", "FMBench_Block.Me")
    registry = build_registry()
    assert registry.plugin("fmbench-block-me").status == "disabled"
    assert registry.plugin("fmbench-keep").status == "loaded"
    assert "fmbench_blk" not in sys.modules


def test_only_loads_just_the_named_distributions(site: Path) -> None:
    for dist, module in (("fmbench-one", "fmbench_one"), ("fmbench-two", "fmbench_two")):
        make_fake_distribution(
            site, dist, {f"{module}.py": good_plugin(module, f"{module}_p")}, entry_point=module
        )
    _, infos = load_plugins(only=["fmbench_one"])
    assert [i.name for i in infos] == ["fmbench.builtin", "fmbench-one"]


HEAVY = ("numpy", "sklearn", "scipy", "pandas", "matplotlib", "torch", "mne", "nibabel", "anndata")


def test_plugins_list_imports_nothing_heavy(tmp_path: Path) -> None:
    """`fmbench plugins list` imports no field library and no plugin's heavy module."""
    site = tmp_path / "site"
    light = textwrap.dedent(
        """
        import fmbench

        @fmbench.hookimpl
        def fmbench_probes():
            yield fmbench.ProbeSpec(name="lazy_probe", summary="referenced lazily",
                                    levels=(0.0, 1.0), perturb="fmbench_heavy_impl:perturb")
        """
    )
    make_fake_distribution(
        site,
        "fmbench-lazy",
        {
            "fmbench_lazy.py": light,
            "fmbench_heavy_impl.py": "import sklearn\n\ndef perturb(x, level, rng, info):\n    return x\n",
        },
        entry_point="fmbench_lazy",
    )
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    printed, roots = plugins_list_in_subprocess(tmp_path, env)
    assert "fmbench-lazy 0.1.0  [loaded]" in printed
    assert "probes: lazy_probe" in printed
    assert "fmbench_lazy" in roots
    imported_heavy = sorted(roots & {*HEAVY, "fmbench_heavy_impl"})
    assert imported_heavy == []


def test_importing_fmbench_testing_is_light() -> None:
    """pytest loads fmbench.testing in every test run of every package."""
    script = "import json, sys, fmbench.testing; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    roots = {m.split(".")[0] for m in json.loads(done.stdout)}
    assert sorted(roots & {*HEAVY, "numpy", "yaml", "cattrs", "jsonschema"}) == []
    assert "fmbench.plugin_system.registry" not in json.loads(done.stdout)
