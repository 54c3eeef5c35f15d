"""The kinds of records plugins register, derived from the hook specs in one place.

Each registration hook in :mod:`fmbench.plugin_system.hookspecs` is annotated with the record
it yields (``def fmbench_probes() -> Iterable[ProbeSpec]``); each record class names its kind,
the noun used in messages and the command that lists its kind (``ProbeSpec.KIND`` ...). This
module reads both, so a new hook needs no other table.

Example:
    >>> from fmbench.plugin_system.specs import ProbeSpec
    >>> kind = KINDS[ProbeSpec]
    >>> kind.name, kind.hook, kind.listing
    ('probe', 'fmbench_probes', 'fmbench list-probes')
"""

from __future__ import annotations

import typing
from collections.abc import Iterable

import attrs

from fmbench.plugin_system import hookspecs

__all__ = ["KINDS", "Kind", "kind_named"]


@attrs.frozen
class Kind:
    """One kind of record: its hook, its class, and how messages name it."""

    name: str
    hook: str
    record: type
    noun: str
    listing: str


def _derive() -> dict[type, Kind]:
    kinds: dict[type, Kind] = {}
    for hook_name, function in vars(hookspecs).items():  # definition order
        if not (hook_name.startswith("fmbench_") and callable(function)):
            continue
        returned = typing.get_type_hints(function)["return"]
        if typing.get_origin(returned) is not Iterable:  # pragma: no cover - a spec's mistake
            raise TypeError(f"hook spec {hook_name} must return Iterable[<record class>]")
        (record,) = typing.get_args(returned)
        kinds[record] = Kind(
            name=record.KIND,
            hook=hook_name,
            record=record,
            noun=record.NOUN,
            listing=record.LISTING,
        )
    return kinds


#: record class -> its kind, in the order the hooks are declared.
KINDS: dict[type, Kind] = _derive()


def kind_named(name: str) -> Kind:
    """The kind called ``name`` (``"probe"``), as JSON outputs and messages spell it.

    Example:
        >>> kind_named("suite").hook
        'fmbench_suites'
    """
    for kind in KINDS.values():
        if kind.name == name:
            return kind
    raise KeyError(name)
