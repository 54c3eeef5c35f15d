"""Plugin loading: built-ins first, then each installed entry point on its own.

A plugin that fails to import, declares an incompatible ``fmbench`` requirement, or whose
hooks raise is recorded with its status and error; everything else keeps working. A plugin's
import runs through :func:`fmbench.plugin_system.guard.call_guarded`: whatever it raises
(``SystemExit`` and ``KeyboardInterrupt`` included), an import that does not finish within the
time limit, and what it prints are recorded on its :class:`PluginInfo`, never passed on.

Example:
    >>> from fmbench.plugin_system.loading import load_plugins
    >>> manager, infos = load_plugins(external=False)
    >>> infos[0].name
    'fmbench.builtin'
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import traceback
from collections.abc import Collection, Iterable, Sequence
from importlib import metadata
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from fmbench._version import __version__
from fmbench.plugin_system import hookspecs
from fmbench.plugin_system.guard import call_guarded, failure_text, output_note, plugin_timeout
from fmbench.plugin_system.startup_cache import cached

if TYPE_CHECKING:
    from packaging.requirements import Requirement

__all__ = [
    "BLOCK_ENV",
    "BUILTIN_PLUGINS",
    "CORE_DISTRIBUTIONS",
    "DISABLE_ENV",
    "PluginInfo",
    "canonical_name",
    "core_requirement",
    "incompatibility",
    "load_plugins",
    "new_plugin_manager",
    "plugin_traceback",
    "remember_traceback",
    "requirement_verdict",
]

#: fmbench's own plugins, registered through the same hooks as everybody else's.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "fmbench.builtin.adapters",
    "fmbench.builtin.fm_adapters",
    "fmbench.builtin.metrics",
    "fmbench.builtin.clinical_metrics",
    "fmbench.builtin.probes",
    "fmbench.builtin.protocols",
    "fmbench.builtin.reporters",
    "fmbench.builtin.toy",
)

#: Set to 1 (or pass ``--no-plugins``) to load only fmbench's own built-in plugins.
DISABLE_ENV = "FMBENCH_NO_PLUGINS"

#: Set to a comma-separated list of distribution names to skip just those plugins.
BLOCK_ENV = "FMBENCH_BLOCK_PLUGINS"


@attrs.define(kw_only=True)
class PluginInfo:
    """What ``fmbench plugins list`` shows about one plugin."""

    name: str
    version: str
    module: str
    status: str  # loaded | failed | incompatible | disabled
    builtin: bool = False
    error: str | None = None
    requires_fmbench: str | None = None
    hooks: list[str] = attrs.field(factory=list)
    contributes: dict[str, list[str]] = attrs.field(factory=dict)
    #: e.g. what the plugin printed while it was imported (kept out of fmbench's output)
    notes: list[str] = attrs.field(factory=list)

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def new_plugin_manager() -> pluggy.PluginManager:
    """Return an empty plugin manager that knows fmbench's hook specs."""
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    return manager


def canonical_name(name: str) -> str:
    """A distribution name as packaging compares them (PEP 503).

    Example:
        >>> canonical_name("FMBench_Acme.Probes")
        'fmbench-acme-probes'
    """
    return re.sub(r"[-_.]+", "-", name).lower()


def _object_name(plugin: object) -> str:
    """The name an in-process plugin (a module, class or object) is registered under."""
    name = getattr(plugin, "__name__", None)
    if isinstance(name, str):
        return name
    return f"{type(plugin).__module__}.{type(plugin).__qualname__}@{id(plugin):x}"


def _hook_names(module: object) -> list[str]:
    return sorted(
        name
        for name in dir(module)
        if name.startswith("fmbench_") and hasattr(getattr(module, name), "fmbench_impl")
    )


#: The core's distribution name, and the name it had before it was published (plugins written
#: for that name still declare it; the package index gives that name to another project).
CORE_DISTRIBUTIONS = ("fmbench-core", "fmbench")


def core_requirement(requires: Iterable[str]) -> Requirement | None:
    """The plugin's requirement on the core, if it declares one that applies here.

    Requirements are read with :class:`packaging.requirements.Requirement`, so extras
    (``fmbench-core[onnx]>=0.1``), environment markers and URL requirements work; a
    requirement that belongs to one of the plugin's own extras, or whose marker does not hold
    in this environment, does not apply.

    Example:
        >>> str(core_requirement(["numpy>=1", "fmbench-core[onnx]>=0.1; python_version >= '3.8'"]))
        'fmbench-core[onnx]>=0.1; python_version >= "3.8"'
        >>> core_requirement(['fmbench-core>=9; extra == "test"']) is None
        True
    """
    from packaging.requirements import InvalidRequirement, Requirement

    for text in requires:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if canonical_name(requirement.name) not in CORE_DISTRIBUTIONS:
            continue
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        return requirement
    return None


def incompatibility(requirement: Requirement | None, version: str = __version__) -> str | None:
    """Why the core at ``version`` does not satisfy the plugin's requirement (None if it does).

    A URL requirement (``fmbench-core @ https://...``) names no version range, so any
    installed core satisfies it.

    Example:
        >>> from packaging.requirements import Requirement
        >>> incompatibility(Requirement("fmbench-core[onnx]>=5"), "0.1.0")
        'requires fmbench-core[onnx] >=5, this is fmbench-core 0.1.0'
        >>> incompatibility(Requirement("fmbench>=0.1,<0.2"), "0.1.0") is None
        True
    """
    if requirement is None or not str(requirement.specifier):
        return None
    if requirement.specifier.contains(version, prereleases=True):
        return None
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    return (
        f"requires {requirement.name}{extras} {requirement.specifier}, "
        f"this is fmbench-core {version}"
    )


def requirement_verdict(
    requires: Sequence[str], version: str = __version__
) -> tuple[str | None, str | None]:
    """The version range a plugin requires of the core, and why the core at ``version`` does
    not satisfy it (None when it does): :func:`core_requirement` and :func:`incompatibility`.

    The answer depends only on the plugin's requirement lines, the core's version and what
    environment markers read (the interpreter and the platform), so it is kept in the
    start-up cache under those: ``packaging`` is imported only when a plugin's requirements
    are new.

    Example:
        >>> requirement_verdict(["numpy>=1", "fmbench-core>=0.1,<0.2"], "0.1.0")
        ('<0.2,>=0.1', None)
        >>> requirement_verdict(["fmbench-core>=5"], "0.1.0")
        ('>=5', 'requires fmbench-core >=5, this is fmbench-core 0.1.0')
    """

    def decide() -> tuple[str | None, str | None]:
        requirement = core_requirement(requires)
        specifier = str(requirement.specifier) or None if requirement else None
        return specifier, incompatibility(requirement, version)

    uname = getattr(os, "uname", None)
    if uname is None:  # markers read other sources there (Windows): not cached
        return decide()
    environment = {
        "python": sys.version,
        "implementation": [sys.implementation.name, list(sys.implementation.version)],
        "os": os.name,
        "platform": sys.platform,
        "uname": list(uname()),
    }
    specifier, reason = cached(
        "requirements",
        {"requires": list(requires), "core": version, "environment": environment},
        lambda: list(decide()),
    )
    return specifier, reason


def load_plugins(
    manager: pluggy.PluginManager | None = None,
    *,
    external: bool | None = None,
    extra_modules: tuple[object, ...] = (),
    only: Collection[str] | None = None,
) -> tuple[pluggy.PluginManager, list[PluginInfo]]:
    """Register the built-ins, then each installed ``fmbench`` entry point on its own.

    Args:
        manager: the manager to fill (a new one by default).
        external: load installed plugins; by default yes unless ``FMBENCH_NO_PLUGINS`` is set.
        extra_modules: modules (or any objects with hook implementations) to register as
            plugins too; tests use this.
        only: load just these installed distributions (by name); the others are not listed.
            ``fmbench.testing.assert_valid_plugin`` uses it to check one plugin alone.

    Each installed plugin's import may take ``FMBENCH_PLUGIN_TIMEOUT`` seconds (30 by
    default; see :mod:`fmbench.plugin_system.guard`).

    Returns:
        The manager and one :class:`PluginInfo` per plugin, in load order.
    """
    manager = manager or new_plugin_manager()
    timeout = plugin_timeout()
    if external is None:
        external = os.environ.get(DISABLE_ENV, "").strip().lower() not in {"1", "true", "yes"}
    infos: list[PluginInfo] = []
    for module_name in BUILTIN_PLUGINS:
        module = importlib.import_module(module_name)
        manager.register(module, name=module_name)
    infos.append(
        PluginInfo(
            name="fmbench.builtin",
            version=__version__,
            module=", ".join(BUILTIN_PLUGINS),
            status="loaded",
            builtin=True,
            hooks=sorted(
                {h for m in BUILTIN_PLUGINS for h in _hook_names(importlib.import_module(m))}
            ),
        )
    )
    for plugin in extra_modules:
        name = _object_name(plugin)
        manager.register(plugin, name=name)
        infos.append(
            PluginInfo(
                name=name,
                version="(in-process)",
                module=name,
                status="loaded",
                hooks=_hook_names(plugin),
            )
        )
    blocked = {canonical_name(n) for n in os.environ.get(BLOCK_ENV, "").split(",") if n.strip()}
    wanted = None if only is None else {canonical_name(n) for n in only}
    for entry_point in sorted(
        metadata.entry_points(group=hookspecs.PROJECT_NAME), key=lambda ep: ep.name
    ):
        dist = getattr(entry_point, "dist", None)
        dist_name = dist.metadata["Name"] if dist is not None else entry_point.name
        if wanted is not None and canonical_name(dist_name) not in wanted:
            continue
        version = dist.version if dist is not None else "unknown"
        specifier, reason = requirement_verdict(dist.requires or []) if dist else (None, None)
        info = PluginInfo(
            name=dist_name,
            version=version,
            module=entry_point.value,
            status="loaded",
            requires_fmbench=specifier,
        )
        infos.append(info)
        if not external or canonical_name(dist_name) in blocked:
            info.status = "disabled"
            continue
        # Registered under the distribution's name, so that the registry can tell whose
        # records are whose (and mark the right plugin failed) whatever the entry point's name.
        if manager.has_plugin(dist_name):
            info.status = "failed"
            info.error = (
                f"{dist_name} declares more than one fmbench entry point; declare one module "
                "(it may import others)"
            )
            continue
        if reason is not None:
            info.status = "incompatible"
            info.error = reason
            continue
        # the import runs the plugin's code: guarded (see fmbench.plugin_system.guard)
        outcome = call_guarded(entry_point.load, timeout=timeout, name=dist_name)
        note = output_note(outcome, "during import")
        if note is not None:
            info.notes.append(note)
        if not outcome.ok:  # a broken plugin is data, not a crash
            info.status = "failed"
            info.error = failure_text(outcome, " during import")
            if outcome.error is not None:
                remember_traceback(info.name, outcome.error)
            continue
        module = outcome.value
        try:
            manager.register(module, name=dist_name)
        except Exception as exc:  # e.g. a hook implementation pluggy refuses
            info.status = "failed"
            info.error = failure_text(attrs.evolve(outcome, error=exc))
            remember_traceback(info.name, exc)
            continue
        info.hooks = _hook_names(module)
    return manager, infos


_TRACEBACKS: dict[str, str] = {}


def remember_traceback(name: str, exc: BaseException) -> None:
    """Keep the traceback of a plugin that failed to load or whose hook raised."""
    _TRACEBACKS[name] = "".join(traceback.format_exception(exc))


def plugin_traceback(name: str) -> str | None:
    """The full traceback of a plugin that failed to load (shown with ``--debug``)."""
    return _TRACEBACKS.get(name)
