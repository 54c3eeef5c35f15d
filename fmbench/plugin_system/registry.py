"""What the plugins registered: lookups by name, conflicts, and who provided what.

Example:
    >>> from fmbench.plugin_system.registry import build_registry
    >>> registry = build_registry(external=False)
    >>> from fmbench.plugin_system.specs import SuiteSpec
    >>> registry.get(SuiteSpec, "SUITE-TOY-CLASS").name
    'SUITE-TOY-CLASS'
    >>> registry.provider(SuiteSpec, "SUITE-TOY-CLASS")
    'fmbench.builtin'
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable
from typing import Any, TypeVar

import attrs
import pluggy

from fmbench.errors import PluginError, UnknownNameError, suggest
from fmbench.plugin_system.guard import (
    Guarded,
    call_guarded,
    failure_text,
    output_note,
    plugin_timeout,
)
from fmbench.plugin_system.kinds import KINDS, Kind
from fmbench.plugin_system.loading import PluginInfo, load_plugins, remember_traceback

__all__ = ["KINDS", "Registry", "build_registry", "collect", "conflict_message", "get_registry"]

R = TypeVar("R")


def _per_kind() -> dict[type, dict[str, Any]]:
    return {record: {} for record in KINDS}


@attrs.define
class Registry:
    """Records by kind and name, each tagged with the plugin that registered it.

    Lookups take the record class, and return that class:
    ``registry.get(ProbeSpec, "noise")`` is a :class:`~fmbench.ProbeSpec`.
    """

    plugins: list[PluginInfo]
    manager: pluggy.PluginManager | None = None
    records: dict[type, dict[str, Any]] = attrs.field(factory=_per_kind)
    providers: dict[type, dict[str, str]] = attrs.field(factory=_per_kind)
    conflicts: dict[type, dict[str, list[str]]] = attrs.field(factory=_per_kind)

    def names(self, kind: type) -> list[str]:
        """Registered names of one kind, sorted."""
        return sorted(self.records[kind])

    def all(self, kind: type[R]) -> list[R]:
        """Registered records of one kind, sorted by name."""
        return [self.records[kind][name] for name in self.names(kind)]

    def has(self, kind: type, name: str) -> bool:
        return name in self.records[kind]

    def provider(self, kind: type, name: str) -> str:
        """The plugin that registered ``name``."""
        return self.providers[kind][name]

    def get(self, kind: type[R], name: str) -> R:
        """Return the record, or raise an error that lists or suggests the right names."""
        if name in self.conflicts[kind]:
            raise PluginError(conflict_message(kind, name, self.conflicts[kind][name]))
        try:
            record: R = self.records[kind][name]
            return record
        except KeyError:
            pass
        about = KINDS[kind]
        known = self.names(kind)
        hint = suggest(name, known)
        extra = self.unloaded_note()
        if hint:
            raise UnknownNameError(f"unknown {about.noun} {name!r}{hint}{extra}")
        listing = ", ".join(known[:12]) + (" ..." if len(known) > 12 else "")
        raise UnknownNameError(
            f"unknown {about.noun} {name!r}; available: {listing or 'none'} "
            f"(see `{about.listing}`){extra}"
        )

    def unloaded_note(self) -> str:
        """For an unknown name: the plugins that did not load, with why (one of them may be
        the one that registers it); ``""`` when every plugin loaded.

        Example: ``"; plugins that did not load: fmbench-acme (ImportError: no scipy), so
        what they register is missing (see `fmbench --debug plugins list`)"``
        """
        failed = [p for p in self.plugins if p.status in {"failed", "incompatible"}]
        if not failed:
            return ""
        listed = ", ".join(f"{p.name} ({p.error or p.status})" for p in failed)
        return (
            f"; plugins that did not load: {listed}, so what they register is missing "
            "(see `fmbench --debug plugins list`)"
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


def conflict_message(kind: type | Kind, name: str, providers: list[str]) -> str:
    """The error for a name registered more than once, naming every provider.

    Example:
        >>> from fmbench.plugin_system.specs import ProbeSpec
        >>> conflict_message(ProbeSpec, "gain", ["fmbench-a", "fmbench-b"])
        "probe 'gain' is registered by both 'fmbench-a' and 'fmbench-b'; uninstall one of them or block it with FMBENCH_BLOCK_PLUGINS"
    """
    word = (kind if isinstance(kind, Kind) else KINDS[kind]).noun
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


def _records(function: Any, hook_name: str, record_type: type) -> list[Any]:
    """Call one hook implementation and check that it yields ``record_type`` records."""
    produced = function()
    items = list(produced) if produced is not None else []
    for item in items:
        if not isinstance(item, record_type):
            raise TypeError(
                f"{hook_name}() yielded {type(item).__name__}, "
                f"expected fmbench.{record_type.__name__}"
            )
    return items


def collect(manager: pluggy.PluginManager, infos: list[PluginInfo]) -> Registry:
    """Call every plugin's hooks one plugin at a time and file their records.

    A hook that raises (anything, ``SystemExit`` included), does not return within the
    plugin time limit, or yields something that is not the right record marks its plugin as
    failed, and none of that plugin's records are used. A plugin's hooks run guarded
    (:func:`fmbench.plugin_system.guard.call_guarded`); what they print becomes a note.
    """
    registry = Registry(plugins=infos, manager=manager)
    by_name = {info.name: info for info in infos}
    gathered: dict[type, list[tuple[str, Any]]] = {}
    failed: set[str] = set()
    timeout = plugin_timeout()
    for record_type, kind in KINDS.items():
        hook_name = kind.hook
        hook = getattr(manager.hook, hook_name)
        for impl in hook.get_hookimpls():  # registration order
            provider = _display_name(impl.plugin_name, infos)
            info = by_name.get(provider)
            if provider in failed:
                continue
            produce = functools.partial(_records, impl.function, hook_name, record_type)
            if provider == "fmbench.builtin":  # fmbench's own code: called directly
                try:
                    items = produce()
                except Exception as exc:
                    outcome = Guarded(error=exc)
                else:
                    outcome = Guarded(value=items)
            else:  # a plugin's code: guarded (see fmbench.plugin_system.guard)
                outcome = call_guarded(produce, timeout=timeout, name=provider)
                note = output_note(outcome, f"in {hook_name}()")
                if note is not None and info is not None:
                    info.notes.append(note)
            if not outcome.ok:
                failed.add(provider)
                if info is not None:
                    info.status = "failed"
                    info.error = f"{hook_name}: {failure_text(outcome)}"
                    if outcome.error is not None:
                        remember_traceback(info.name, outcome.error)
                gathered = {k: [(p, r) for p, r in v if p != provider] for k, v in gathered.items()}
                continue
            gathered.setdefault(record_type, []).extend((provider, item) for item in outcome.value)
    for record_type, pairs in gathered.items():
        for provider, record in pairs:
            if provider in failed:
                continue
            name = record.name
            if name in registry.records[record_type]:
                # Every registration after the first is kept, even from the same plugin, so
                # that a plugin yielding one name twice is reported as such.
                first = registry.providers[record_type][name]
                registry.conflicts[record_type].setdefault(name, [first]).append(provider)
                continue
            registry.records[record_type][name] = record
            registry.providers[record_type][name] = provider
            info = by_name.get(provider)
            if info is not None:
                info.contributes.setdefault(KINDS[record_type].name, []).append(name)
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
