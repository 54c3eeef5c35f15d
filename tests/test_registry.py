"""The registry: records by kind and name, providers, conflicts, failed hooks, in-test plugins.

Plugins are registered in-process with the ``register_plugin`` fixture of ``fmbench.testing``.
"""

from __future__ import annotations

import types

import pytest
from click.testing import CliRunner

import fmbench
from fmbench.cli import cli
from fmbench.errors import PluginError, UnknownNameError
from fmbench.plugin_system.registry import KINDS, Registry, conflict_message
from fmbench.plugin_system.specs import MetricSpec, ProbeSpec, SuiteSpec


def probe(name: str) -> fmbench.ProbeSpec:
    return fmbench.ProbeSpec(
        name=name, summary="scale", levels=(0.0, 1.0), perturb="fmbench.builtin.probes:noise"
    )


def plugin_module(name: str, **hooks: object) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, fmbench.hookimpl(function))  # type: ignore[arg-type]
    return module


def test_isolated_registry_has_only_the_builtins(fmbench_registry: Registry) -> None:
    assert [p.name for p in fmbench_registry.plugins] == ["fmbench.builtin"]
    assert fmbench_registry.provider(SuiteSpec, "SUITE-TOY-CLASS") == "fmbench.builtin"
    assert fmbench_registry.names(ProbeSpec) == ["dropout", "masking", "noise"]
    assert set(fmbench_registry.records) == set(KINDS)


def test_unknown_names_get_a_suggestion(fmbench_registry: Registry) -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'SUITE-TOY-CLASS'"):
        fmbench_registry.get(SuiteSpec, "SUITE-TOY-CLAS")
    with pytest.raises(UnknownNameError, match="available: dropout, masking, noise"):
        fmbench_registry.get(ProbeSpec, "zzzz")


def test_in_test_plugin_records_are_tagged_with_their_provider(register_plugin) -> None:  # type: ignore[no-untyped-def]
    module = plugin_module("acme_in_test", fmbench_probes=lambda: [probe("acme_scale")])
    registry = register_plugin(module)
    assert registry.provider(ProbeSpec, "acme_scale") == "acme_in_test"
    assert registry.plugin("acme_in_test").contributes == {"probe": ["acme_scale"]}
    assert registry.plugin("acme_in_test").hooks == ["fmbench_probes"]


def test_a_single_hook_function_or_an_object_can_be_registered(register_plugin) -> None:  # type: ignore[no-untyped-def]
    @fmbench.hookimpl
    def fmbench_probes() -> list[fmbench.ProbeSpec]:
        return [probe("from_function")]

    class ObjectPlugin:
        __name__ = "object_plugin"

        @fmbench.hookimpl
        def fmbench_probes(self) -> list[fmbench.ProbeSpec]:
            return [probe("from_object")]

    registry = register_plugin(fmbench_probes, ObjectPlugin())
    assert registry.has(ProbeSpec, "from_function")
    assert registry.provider(ProbeSpec, "from_object") == "object_plugin"


def test_the_cli_sees_the_in_test_plugin(register_plugin) -> None:  # type: ignore[no-untyped-def]
    register_plugin(plugin_module("cli_visible", fmbench_probes=lambda: [probe("cli_probe")]))
    result = CliRunner().invoke(cli, ["list-probes"], obj={})
    assert result.exit_code == 0
    row = next(line for line in result.output.splitlines() if line.startswith("cli_probe"))
    assert row.rstrip().endswith("cli_visible")


def test_a_name_taken_by_a_builtin_is_a_conflict_naming_both(register_plugin) -> None:  # type: ignore[no-untyped-def]
    registry = register_plugin(plugin_module("clashing", fmbench_probes=lambda: [probe("noise")]))
    assert registry.conflicts[ProbeSpec]["noise"] == ["fmbench.builtin", "clashing"]
    with pytest.raises(PluginError, match=r"both 'fmbench\.builtin' and 'clashing'"):
        registry.get(ProbeSpec, "noise")
    # other names still work
    assert registry.get(ProbeSpec, "masking").name == "masking"


def test_a_plugin_yielding_one_name_twice_is_reported(register_plugin) -> None:  # type: ignore[no-untyped-def]
    registry = register_plugin(
        plugin_module("twice", fmbench_probes=lambda: [probe("same"), probe("same")])
    )
    with pytest.raises(PluginError, match="registered 2 times by 'twice'"):
        registry.get(ProbeSpec, "same")


def test_a_hook_that_raises_fails_its_plugin_and_drops_all_its_records(register_plugin) -> None:  # type: ignore[no-untyped-def]
    def bad_probes() -> list[fmbench.ProbeSpec]:
        return [fmbench.ProbeSpec(name="p", summary="s", levels=(0.0,), perturb="os:getcwd")]

    module = plugin_module(
        "half_broken",
        fmbench_metrics=lambda: [
            fmbench.MetricSpec(name="HalfMetric", summary="s", compute="os:getcwd")
        ],
        fmbench_probes=bad_probes,
    )
    registry = register_plugin(module)
    info = registry.plugin("half_broken")
    assert info.status == "failed"
    assert (
        info.error == "fmbench_probes: ValueError: ProbeSpec 'p': levels needs at least two values"
    )
    assert not registry.has(MetricSpec, "HalfMetric")
    assert "half_broken" not in registry.plugin_versions()


def test_a_hook_returning_none_registers_nothing(register_plugin) -> None:  # type: ignore[no-untyped-def]
    registry = register_plugin(plugin_module("quiet", fmbench_probes=lambda: None))
    assert registry.plugin("quiet").status == "loaded"
    assert registry.plugin("quiet").contributes == {}


def test_conflict_message() -> None:
    assert conflict_message(SuiteSpec, "S", ["a", "b", "c"]) == (
        "suite 'S' is registered by both 'a' and 'b' and 'c'; uninstall one of them or block "
        "it with FMBENCH_BLOCK_PLUGINS"
    )
    assert "registered 3 times by 'a'" in conflict_message(MetricSpec, "M", ["a", "a", "a"])


def test_unknown_plugin_name_suggests(fmbench_registry: Registry) -> None:
    with pytest.raises(UnknownNameError, match=r"did you mean 'fmbench\.builtin'"):
        fmbench_registry.plugin("fmbench.builtins")
