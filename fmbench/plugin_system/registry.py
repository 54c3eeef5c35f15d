"""What the plugins registered: lookups by name, conflicts, and who provided what.

Example:
    >>> from fmbench.plugin_system.registry import build_registry
    >>> registry = build_registry(external=False)
    >>> registry.get("suite", "SUITE-TOY-CLASS").name
    'SUITE-TOY-CLASS'
    >>> registry.provider("suite", "SUITE-TOY-CLASS")
    'fmbench.builtin'
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable
from typing import Any

import attrs
import pluggy

from fmbench.errors import PluginError, UnknownNameError, suggest
from fmbench.plugin_system.loading import PluginInfo, load_plugins
from fmbench.plugin_system.specs import (
    BenchmarkSpec,
    DatasetSpec,
    MetricSpec,
    ModelAdapterSpec,
    ProbeSpec,
    ProtocolSpec,
    ReporterSpec,
    SuiteSpec,
)

__all__ = ["KINDS", "Registry", "build_registry", "collect", "conflict_message", "get_registry"]

#: kind -> (hook name, record class, the word used in messages)
KINDS: dict[str, tuple[str, type, str]] = {
    "dataset": ("fmbench_datasets", DatasetSpec, "dataset"),
    "model_adapter": ("fmbench_model_adapters", ModelAdapterSpec, "model adapter type"),
    "metric": ("fmbench_metrics", MetricSpec, "metric"),
    "probe": ("fmbench_probes", ProbeSpec, "probe"),
    "reporter": ("fmbench_reporters", ReporterSpec, "reporter"),
    "benchmark": ("fmbench_benchmarks", BenchmarkSpec, "benchmark"),
    "suite": ("fmbench_suites", SuiteSpec, "suite"),
    "protocol": ("fmbench_protocols", ProtocolSpec, "protocol"),
}

_LIST_COMMANDS = {
    "dataset": "fmbench list-datasets",
    "model_adapter": "fmbench list-adapters",
    "metric": "fmbench list-metrics",
    "probe": "fmbench list-probes",
    "reporter": "fmbench plugins list",
    "benchmark": "fmbench list-benchmarks",
    "suite": "fmbench list-suites",
    "protocol": "fmbench list-protocols",
}


@attrs.define
class Registry:
    """Records by kind and name, each tagged with the plugin that registered it."""

    plugins: list[PluginInfo]
    manager: pluggy.PluginManager | None = None
    records: dict[str, dict[str, Any]] = attrs.field(factory=lambda: {k: {} for k in KINDS})
    providers: dict[str, dict[str, str]] = attrs.field(factory=lambda: {k: {} for k in KINDS})
    conflicts: dict[str, dict[str, list[str]]] = attrs.field(factory=lambda: {k: {} for k in KINDS})

    def names(self, kind: str) -> list[str]:
        """Registered names of one kind, sorted."""
        return sorted(self.records[kind])

    def all(self, kind: str) -> list[Any]:
        """Registered records of one kind, sorted by name."""
        return [self.records[kind][name] for name in self.names(kind)]

    def has(self, kind: str, name: str) -> bool:
        return name in self.records[kind]

    def provider(self, kind: str, name: str) -> str:
        """The plugin that registered ``name``."""
        return self.providers[kind][name]

    def get(self, kind: str, name: str) -> Any:
        """Return the record, or raise an error that lists or suggests the right names."""
        if name in self.conflicts[kind]:
            raise PluginError(conflict_message(kind, name, self.conflicts[kind][name]))
        try:
            return self.records[kind][name]
        except KeyError:
            pass
        word = KINDS[kind][2]
        known = self.names(kind)
        hint = suggest(name, known)
        failed = [p.name for p in self.plugins if p.status in {"failed", "incompatible"}]
        extra = f"; plugins that did not load: {', '.join(failed)}" if failed else ""
        if hint:
            raise UnknownNameError(f"unknown {word} {name!r}{hint}{extra}")
        listing = ", ".join(known[:12]) + (" ..." if len(known) > 12 else "")
        raise UnknownNameError(
            f"unknown {word} {name!r}; available: {listing or 'none'} "
            f"(see `{_LIST_COMMANDS[kind]}`){extra}"
        )

    def plugin(self, name: str) -> PluginInfo:
        for info in self.plugins:
            if info.name == name:
                return info
        raise UnknownNameError(
            f"no plugin named {name!r}{suggest(name, [p.name for p in self.plugins])}"
        )

    def plugin_versions(self) -> dict[str, str]:
        """Versions of the loaded plugins, for provenance."""
        return {p.name: p.version for p in self.plugins if p.status == "loaded"}


def conflict_message(kind: str, name: str, providers: list[str]) -> str:
    """The error for a name registered more than once, naming every provider.

    Example:
        >>> conflict_message("probe", "gain", ["fmbench-a", "fmbench-b"])
        "probe 'gain' is registered by both 'fmbench-a' and 'fmbench-b'; uninstall one of them or block it with FMBENCH_BLOCK_PLUGINS"
    """
    word = KINDS[kind][2]
    distinct = list(dict.fromkeys(providers))
    if len(distinct) == 1:
        return (
            f"{word} {name!r} is registered {len(providers)} times by {distinct[0]!r}; "
            "each name must be yielded once"
        )
    both = " and ".join(repr(p) for p in distinct)
    return (
        f"{word} {name!r} is registered by both {both}; "
        "uninstall one of them or block it with FMBENCH_BLOCK_PLUGINS"
    )


def _display_name(plugin_name: str, infos: list[PluginInfo]) -> str:
    if plugin_name.startswith("fmbench.builtin"):
        return "fmbench.builtin"
    for info in infos:
        if info.name == plugin_name or info.module.split(":")[0] == plugin_name:
            return info.name
    return plugin_name


def collect(manager: pluggy.PluginManager, infos: list[PluginInfo]) -> Registry:
    """Call every plugin's hooks one plugin at a time and file their records.

    A hook that raises, or yields something that is not the right record, marks its plugin
    as failed and none of that plugin's records are used.
    """
    registry = Registry(plugins=infos, manager=manager)
    by_name = {info.name: info for info in infos}
    gathered: dict[str, list[tuple[str, Any]]] = {}
    failed: set[str] = set()
    for kind, (hook_name, record_type, _word) in KINDS.items():
        hook = getattr(manager.hook, hook_name)
        for impl in hook.get_hookimpls():  # registration order
            provider = _display_name(impl.plugin_name, infos)
            if provider in failed:
                continue
            try:
                produced = impl.function()
                items = list(produced) if produced is not None else []
                for item in items:
                    if not isinstance(item, record_type):
                        raise TypeError(
                            f"{hook_name}() yielded {type(item).__name__}, "
                            f"expected fmbench.{record_type.__name__}"
                        )
            except Exception as exc:
                failed.add(provider)
                info = by_name.get(provider)
                if info is not None:
                    info.status = "failed"
                    info.error = f"{hook_name}: {type(exc).__name__}: {exc}".splitlines()[0]
                gathered = {k: [(p, r) for p, r in v if p != provider] for k, v in gathered.items()}
                continue
            gathered.setdefault(kind, []).extend((provider, item) for item in items)
    for kind, pairs in gathered.items():
        for provider, record in pairs:
            if provider in failed:
                continue
            name = record.name
            if name in registry.records[kind]:
                # Every registration after the first is kept, even from the same plugin, so
                # that a plugin yielding one name twice is reported as such.
                first = registry.providers[kind][name]
                registry.conflicts[kind].setdefault(name, [first]).append(provider)
                continue
            registry.records[kind][name] = record
            registry.providers[kind][name] = provider
            info = by_name.get(provider)
            if info is not None:
                info.contributes.setdefault(kind, []).append(name)
    return registry


def build_registry(
    *,
    external: bool | None = None,
    extra_modules: Iterable[object] = (),
    only: Collection[str] | None = None,
) -> Registry:
    """Load plugins on a fresh plugin manager and collect what they register.

    ``only`` restricts the installed plugins to those distributions (see
    :func:`fmbench.plugin_system.loading.load_plugins`).
    """
    manager, infos = load_plugins(external=external, extra_modules=tuple(extra_modules), only=only)
    return collect(manager, infos)


def get_registry(external: bool | None = None) -> Registry:
    """The process-wide registry (built once per setting of external plugins and blocks).

    ``external=None`` follows ``FMBENCH_NO_PLUGINS``; the environment is read on every call, so
    a change of it is never answered from a stale cache.
    """
    import os

    from fmbench.plugin_system.loading import BLOCK_ENV, DISABLE_ENV

    if external is None:
        external = os.environ.get(DISABLE_ENV, "").strip().lower() not in {"1", "true", "yes"}
    return _cached_registry(external, os.environ.get(BLOCK_ENV, ""))


@functools.lru_cache(maxsize=8)
def _cached_registry(external: bool, blocked: str) -> Registry:
    return build_registry(external=external)


def _clear_cache() -> None:
    _cached_registry.cache_clear()


get_registry.cache_clear = _clear_cache  # type: ignore[attr-defined]
