"""Typed blocks of an eval document, structured and unstructured with cattrs.

A block (a benchmark's ``resources`` or ``clinical`` block and the small records inside them)
is an attrs record whose fields are the keys fmbench writes. Reading one must give back
exactly what was written, so a block also keeps:

- ``extra``: keys it does not know (a newer fmbench, a plugin's addition) and values whose
  type does not fit their field (kept as written rather than refused: a reader never loses
  anything, and checking values is the schema's and the validator's job);
- ``layout``: the keys in the order they were read, so a key written as ``null`` is written
  as ``null`` again (not dropped) and the YAML keeps its key order. A block built in code has
  no layout: its non-null fields are written in declaration order (plus the ``ALWAYS``
  fields, which the schema requires even when null).

cattrs turns each field's value into its type (nested blocks, ``Mapping[str, Block]``,
tuples) and back. Numbers and strings pass through unconverted (an ``int`` stays an ``int``),
so ``Block.from_dict(d).to_dict() == d`` and the YAML text does not change.

Example:
    >>> @attrs.frozen(kw_only=True)
    ... class Point(Block):
    ...     x: float | None = None
    ...     label: str | None = None
    ...     extra: Mapping[str, Any] = attrs.field(factory=dict)
    ...     layout: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False)
    >>> p = Point.from_dict({"label": "a", "x": None, "colour": "red"})
    >>> p.x is None, p.extra
    (True, {'colour': 'red'})
    >>> p.to_dict()
    {'label': 'a', 'x': None, 'colour': 'red'}
    >>> Point(x=1).to_dict()
    {'x': 1}
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

import attrs
import cattrs

__all__ = ["Block", "converter"]

B = TypeVar("B", bound="Block")

#: The converter of the typed blocks (also used by :mod:`fmbench.results.records`).
converter = cattrs.Converter()


def _exact(kind: type | tuple[type, ...], name: str) -> Any:
    """A structure hook that accepts a value of ``kind`` as it is (no coercion)."""

    def hook(value: Any, _: Any) -> Any:
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise TypeError(f"expected {name}, got a boolean")
        if not isinstance(value, kind):
            raise TypeError(f"expected {name}, got {type(value).__name__}")
        return value

    return hook


converter.register_structure_hook(float, _exact((int, float), "a number"))
converter.register_structure_hook(int, _exact(int, "an integer"))
converter.register_structure_hook(str, _exact(str, "a string"))
converter.register_structure_hook(bool, _exact(bool, "a boolean"))
# tuples are written as YAML lists
converter.register_unstructure_hook(tuple, lambda value: [converter.unstructure(v) for v in value])


_UNFIT = object()


def _typed(value: Any, kind: Any) -> Any:
    """``value`` structured as ``kind``, or ``_UNFIT`` when it does not fit (then it is kept
    as written: the schema and the validator judge values, a reader loses nothing)."""
    try:
        return converter.structure(value, kind)
    except Exception:
        return _UNFIT


class Block:
    """Base of the typed blocks: fields typed, unknown keys in ``extra``, key order kept."""

    #: fields written even when null (what the schema requires) for a block built in code
    ALWAYS: ClassVar[tuple[str, ...]] = ()

    extra: Mapping[str, Any]
    layout: tuple[str, ...]

    @classmethod
    @functools.cache
    def field_types(cls) -> dict[str, Any]:
        """The typed fields (on-disk key -> type), in declaration order."""
        hints = typing.get_type_hints(cls)
        return {
            f.name: hints[f.name]
            for f in attrs.fields(cls)  # type: ignore[arg-type]
            if f.name not in ("extra", "layout")
        }

    @classmethod
    def from_dict(cls: type[B], data: Mapping[str, Any]) -> B:
        """The block of a mapping read from an eval file (``to_dict`` gives it back)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"expected a mapping, got {type(data).__name__}")
        types = cls.field_types()
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            typed = _typed(value, types[key]) if key in types else _UNFIT
            if typed is _UNFIT:
                extra[key] = value
            else:
                known[key] = typed
        make: Any = cls
        return make(**known, extra=extra, layout=tuple(data))

    def to_dict(self) -> dict[str, Any]:
        """The block as ``eval.yaml`` holds it."""
        names = self.field_types()
        order = [
            *self.layout,
            *(n for n in names if n not in self.layout),
            *(k for k in self.extra if k not in self.layout),
        ]
        out: dict[str, Any] = {}
        for key in order:
            if key in self.extra:
                out[key] = self.extra[key]
            elif key in names:
                value = getattr(self, key)
                written = value is not None or key in self.layout
                if not written and (self.layout or key not in self.ALWAYS):
                    continue
                out[key] = converter.unstructure(value)
        return out


def _is_block(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, Block)


converter.register_structure_hook_func(_is_block, lambda data, cls: cls.from_dict(data))
converter.register_unstructure_hook_func(_is_block, lambda block: block.to_dict())
