"""Which plugin an error came from, so that every failure a run records names it.

A failure during a run is recorded as one line (``eval.yaml``, the terminal). When the code
that failed belongs to an installed plugin, that line names the plugin, found in this order:

1. a reference of one of its records that cannot be imported (a typo in ``perturb=``,
   ``compute=``...): :func:`fmbench.plugin_system.specs.resolve` marks the exception with
   the reference, and the registry knows which plugin's record holds it
   (:meth:`~fmbench.plugin_system.registry.Registry.provider`);
2. the innermost frame of the traceback that runs in a plugin's own package;
3. the plugin a caller suspects (a probe that raised is its provider's).

fmbench's own built-in plugin is never blamed: an error there is an internal error. A
:class:`~fmbench.errors.ModelError` is the model's, and its line names the model instead.

Example:
    >>> from fmbench.plugin_system.registry import build_registry
    >>> failure_message(ValueError("bad"), build_registry(external=False))
    'internal error: ValueError: bad'
    >>> failure_message(ValueError("bad"), None, suspect="fmbench-acme")
    "error in plugin 'fmbench-acme': ValueError: bad"
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

import attrs

from fmbench.debugging import first_line
from fmbench.errors import FmbenchError, ModelError
from fmbench.plugin_system.specs import REFERENCE_ATTRIBUTE

if TYPE_CHECKING:
    from fmbench.plugin_system.registry import Registry

__all__ = [
    "REFERENCE_ATTRIBUTE",
    "failure_message",
    "plugin_of",
    "plugin_packages",
    "provider_plugin",
]


BUILTIN = "fmbench.builtin"


@attrs.frozen
class _Owner:
    """The record whose reference could not be imported, and the import error."""

    plugin: str
    noun: str
    record: str
    field: str
    reference: str = ""
    error: BaseException | None = attrs.field(default=None, eq=False)


def plugin_packages(registry: Registry | None) -> dict[str, str]:
    """Module prefix -> plugin name for every installed plugin (not fmbench's own).

    A plugin's prefix is the top-level package of its entry point module
    (``fmbench_neuro.plugin`` -> ``fmbench_neuro``), or the module itself when it lives in
    fmbench's namespace.
    """
    packages: dict[str, str] = {}
    for info in registry.plugins if registry is not None else []:
        if info.builtin or not info.module:
            continue
        module = info.module.split(":")[0].strip()
        top = module.split(".")[0]
        packages[module if top == "fmbench" else top] = info.name
    return packages


def _reference_owners(registry: Registry) -> dict[str, _Owner]:
    from fmbench.plugin_system.kinds import KINDS

    owners: dict[str, _Owner] = {}
    for kind, records in registry.records.items():
        about = KINDS.get(kind)
        for name, record in records.items():
            provider = registry.providers[kind].get(name, "")
            if not attrs.has(type(record)):
                continue
            for field in attrs.fields(type(record)):
                value = getattr(record, field.name)
                if isinstance(value, str) and ":" in value:
                    owners.setdefault(
                        value,
                        _Owner(provider, about.noun if about else "record", name, field.name),
                    )
    return owners


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from (or during), the root cause first."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not s for s in seen):
        seen.append(current)
        current = current.__cause__ or current.__context__
    return reversed(seen)


def _frame_plugin(exc: BaseException, packages: Mapping[str, str]) -> str | None:
    frames = [frame for frame, _ in traceback.walk_tb(exc.__traceback__)]
    for frame in reversed(frames):  # innermost first
        module = str(frame.f_globals.get("__name__", ""))
        for prefix, plugin in packages.items():
            if module == prefix or module.startswith(prefix + "."):
                return plugin
    return None


def _owner(exc: BaseException, registry: Registry | None) -> _Owner | None:
    """The record holding a reference that failed to import somewhere in ``exc``'s chain."""
    if registry is None:
        return None
    marked = [(e, getattr(e, REFERENCE_ATTRIBUTE, None)) for e in _chain(exc)]
    marked = [(e, r) for e, r in marked if isinstance(r, str)]
    if not marked:
        return None
    owners = _reference_owners(registry)
    for error, reference in marked:
        if reference in owners:
            return attrs.evolve(owners[reference], reference=reference, error=error)
    return None


def plugin_of(
    exc: BaseException, registry: Registry | None, *, suspect: str | None = None
) -> str | None:
    """The installed plugin ``exc`` came from (None: fmbench's own code, or the model's)."""
    if isinstance(exc, ModelError):
        return None
    owner = _owner(exc, registry)
    found = owner.plugin if owner is not None else None
    if found is None:
        packages = plugin_packages(registry)
        for error in _chain(exc):
            found = _frame_plugin(error, packages)
            if found is not None:
                break
    found = found or suspect
    if found is None or found.startswith(BUILTIN):
        return None
    return found


def failure_message(
    exc: BaseException, registry: Registry | None, *, suspect: str | None = None
) -> str:
    """One line for a recorded failure (no traceback, no local path added).

    fmbench's own errors keep their message; another exception is an ``internal error``,
    unless it came from a plugin. Either way a plugin's failure names the plugin.
    """
    plugin = plugin_of(exc, registry, suspect=suspect)
    owner = _owner(exc, registry) if plugin is not None else None
    if owner is not None and owner.plugin == plugin and owner.error is not None:
        return (
            f"plugin {plugin!r}: {owner.noun} {owner.record!r} names {owner.field}="
            f"{owner.reference!r}, which cannot be imported "
            f"({type(owner.error).__name__}: {first_line(owner.error)})"
        )
    text = first_line(exc)
    kind = type(exc).__name__
    if isinstance(exc, FmbenchError):
        text = text or kind
        if plugin is not None and repr(plugin) not in text:
            return f"{text} (plugin {plugin!r})"
        return text
    detail = f"{kind}: {text}" if text else kind
    if plugin is not None:
        return f"error in plugin {plugin!r}: {detail}"
    return f"internal error: {detail}"


def provider_plugin(registry: Registry | None, kind: type, name: str) -> str | None:
    """The plugin that registered ``name`` of ``kind`` (None when unknown or fmbench's own)."""
    if registry is None or not registry.has(kind, name):
        return None
    provider: str = registry.provider(kind, name)
    return None if provider.startswith(BUILTIN) else provider
