"""Read untrusted YAML exactly as ``yaml.safe_load`` does, with limits applied while parsing.

Two readers, one answer:

- :func:`load_exact` is PyYAML's pure-Python safe loader (``yaml.SafeLoader``, the loader
  ``yaml.safe_load`` uses; never libyaml's, which reads some texts differently). It counts the
  values it builds, aliases expanded, and how deep they nest, and stops as soon as a limit is
  passed rather than after building everything.
- :func:`load_fast` asks `yaml-rs <https://pypi.org/project/yaml-rs/>`_ (a Rust YAML parser,
  about 50 times faster than the pure loader) and keeps its answer only when the text and the
  answer pass checks under which both readers must agree (:func:`fast_decline_reason`); it
  returns None otherwise. Callers keep a fast answer only when the document's own digest
  verifies too (``fmbench.results.eval_file.read_eval``): docs/security.md gives the argument.

Example:
    >>> load_exact("a: 1\\nb: [x, 'y']\\n")
    {'a': 1, 'b': ['x', 'y']}
    >>> load_fast("schema_version: '1.0'\\nmetrics:\\n  AUROC: 0.75\\n")
    {'schema_version': '1.0', 'metrics': {'AUROC': 0.75}}
    >>> load_fast("answer: yes\\n") is None  # YAML 1.1 reads a boolean here: not the fast path
    True
    >>> load_exact("answer: yes\\n")
    {'answer': True}
"""

from __future__ import annotations

import functools
import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "MAX_INT",
    "YAMLLimitError",
    "check_json_shape",
    "fast_decline_reason",
    "load_exact",
    "load_fast",
    "prescan",
]

#: Integers of more than 4,000 digits are refused: Python will not turn one into text (its
#: limit is 4,300 digits), so neither the digest nor a page could show it.
MAX_INT = 10**4000


class YAMLLimitError(ValueError):
    """A document that nests too deeply or holds too many values (raised while parsing)."""


# --- the exact reader ---------------------------------------------------------------------


class _CountingLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that stops composing past ``max_values`` values or ``max_depth`` levels.

    Depths count like :func:`fmbench.results.eval_file.check_nesting`: the document is at
    depth 0 and no collection may sit at depth ``max_depth`` or deeper. An alias counts as
    many values as its anchored node holds and nests as deep (so an "alias bomb" is stopped
    while it is read); an alias to a collection that holds it is refused.
    """

    def __init__(self, text: str, *, max_values: int, max_depth: int) -> None:
        super().__init__(text)
        self.max_values = max_values
        self.max_depth = max_depth
        self.values = 0
        self.depth = 0  # depth of the node being composed
        self.sizes: dict[int, tuple[int, int]] = {}  # id(anchored node) -> (values, levels)

    def _add(self, values: int, levels: int) -> None:
        self.values += values
        if self.values > self.max_values:
            raise YAMLLimitError(f"more than {self.max_values} values (YAML aliases expanded)")
        if levels and self.depth + levels > self.max_depth:
            raise YAMLLimitError(f"nested deeper than {self.max_depth} levels")

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            target = self.anchors.get(self.peek_event().anchor)
            if target is not None:
                if id(target) not in self.sizes:
                    raise YAMLLimitError("an alias to a collection that holds it (recursive)")
                self._add(*self.sizes[id(target)])
            return super().compose_node(parent, index)
        container = self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent)
        anchor = getattr(self.peek_event(), "anchor", None)
        before = self.values
        self._add(1, 1 if container else 0)
        self.depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        if anchor is not None and node is not None:
            self.sizes[id(node)] = (self.values - before, _levels(node))
        return node


def _levels(node: Node) -> int:
    """Levels of collections in a composed node (0 for a scalar), iteratively."""
    best = 0
    stack: list[tuple[Node, int]] = [(node, 0)]
    seen: set[int] = set()
    while stack:
        item, level = stack.pop()
        if not isinstance(item, (SequenceNode, MappingNode)) or id(item) in seen:
            continue
        seen.add(id(item))
        best = max(best, level + 1)
        children = (
            item.value if isinstance(item, SequenceNode) else [n for kv in item.value for n in kv]
        )
        stack.extend((child, level + 1) for child in children)
    return best


def load_exact(text: str, *, max_values: int = 1_000_000, max_depth: int = 32) -> Any:
    """``yaml.safe_load(text)``, stopping early (YAMLLimitError) past the limits.

    Example:
        >>> load_exact("x: !\\n")  # libyaml's loader would read ''
        {'x': None}
        >>> load_exact("[[[1]]]", max_depth=2)
        Traceback (most recent call last):
        ...
        fmbench.results.yaml_reading.YAMLLimitError: nested deeper than 2 levels
    """
    loader = _CountingLoader(text, max_values=max_values, max_depth=max_depth)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def prescan(text: str, *, max_marks: int) -> None:
    """Refuse, before any parsing, a text with more than ``max_marks`` lines and flow items.

    Every value of a YAML document but the most deeply nested ones (which the depth limit
    stops) sits on its own line or after a ``[``, ``{`` or ``,``; counting those marks costs
    about a millisecond per megabyte, where the pure-Python parser needs tens of seconds for
    a few megabytes of ``[[1],[1],...]``.

    Example:
        >>> prescan("a: [" + ",".join(["1"] * 10) + "]\\n", max_marks=5)
        Traceback (most recent call last):
        ...
        fmbench.results.yaml_reading.YAMLLimitError: more than 5 lines and flow items
    """
    marks = text.count("\n") + text.count(",") + text.count("[") + text.count("{")
    if marks > max_marks:
        raise YAMLLimitError(f"more than {max_marks} lines and flow items")


def check_json_shape(data: Any) -> None:
    """Raise ValueError unless every mapping key is a string and no integer is too long to write.

    An eval file is JSON-shaped: its digest is computed over canonical JSON, which needs
    string keys it can sort and integers it can write.

    Example:
        >>> check_json_shape({"a": [1, {"b": None}]})
        >>> check_json_shape({"a": {None: 1}})
        Traceback (most recent call last):
        ...
        ValueError: a: the key None is not a string
    """
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if not isinstance(key, str):
                    raise ValueError(
                        f"{where or '(top level)'}: the key {_short(key)} is not a string"
                    )
                stack.append((value, f"{where}.{key}" if where else key))
        elif isinstance(item, list):
            stack.extend((value, f"{where}[{i}]") for i, value in enumerate(item))
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) >= MAX_INT:
            raise ValueError(f"{where or '(top level)'}: an integer of more than 4,000 digits")


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, int) or abs(value) < MAX_INT else "a huge integer"
    return text[:60]


# --- the fast reader ----------------------------------------------------------------------

#: Anything but newline, printable ASCII and printable non-ASCII (no tab, CR, NEL, LS, PS,
#: BOM or other control characters, which the two parsers treat differently).
_OUTSIDE_PROFILE = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
#: An indicator where a node may start (after a newline, ``-``, ``:`` or ``?`` and spaces):
#: a flow collection (an empty ``[]``/``{}`` at the end of a line is let through), anchor,
#: alias, tag, block scalar, double-quoted scalar, directive, complex key, comment or reserved
#: indicator. Only a single quote and plain text may start a node on the fast path.
_NODE_START_INDICATOR = re.compile(r"[\n\-:?] *[!&*|>%@`\"?,:\]}#\[{]")
#: A document marker at the start of a line.
_DOCUMENT_MARKER = re.compile(r"\n(?:---|\.\.\.)(?:[ \n]|$)")
_DEEP_DASHES = re.compile(r"(?:- +){40}")
#: Numbers both parsers read alike, with the same value.
_AGREED_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]+(?:[eE][-+][0-9]{1,3})?)?")

_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"


@functools.lru_cache(maxsize=65536)
def _plain_tag(text: str) -> str:
    """The tag ``yaml.safe_load`` gives a plain (unquoted) scalar with this text."""
    return str(_RESOLVER.resolve(ScalarNode, text, (True, False)))


@functools.lru_cache(maxsize=65536)
def _pyyaml_scalar(text: str) -> Any:
    """What ``yaml.safe_load`` makes of a plain scalar with this text (an error: a marker)."""
    try:
        node = ScalarNode(_plain_tag(text), text)
        return ("ok", yaml.SafeLoader("").construct_object(node, deep=True))
    except Exception:
        return ("error",)


@functools.lru_cache(maxsize=65536)
def _fast_scalar(text: str) -> Any:
    """What yaml-rs makes of a plain scalar with this text (an error: a marker)."""
    try:
        return ("ok", _yaml_rs().loads("k: " + text, parse_datetime=False)["k"])
    except Exception:
        return ("error",)


def _same(a: Any, b: Any) -> bool:
    if a[0] != "ok" or b[0] != "ok":
        return a[0] == b[0]
    x, y = a[1], b[1]
    if type(x) is not type(y):
        return False
    if isinstance(x, float):
        return repr(x) == repr(y)
    return bool(x == y)


@functools.lru_cache(maxsize=1)
def _yaml_rs() -> Any:
    import yaml_rs

    return yaml_rs


def fast_available() -> bool:
    """Is yaml-rs installed (the fast reader declines everything without it)?"""
    try:
        _yaml_rs()
    except ImportError:
        return False
    return True


def fast_decline_reason(
    text: str, *, max_values: int = 1_000_000, max_depth: int = 32
) -> tuple[str | None, Any]:
    """``(None, document)`` when the fast reader's document is the one ``yaml.safe_load``
    gives, else ``(why not, None)``. The checks, in order:

    1. the text holds only plain and single-quoted scalars in block mappings and sequences
       (and empty ``[]``/``{}``): no tab or other character the parsers treat differently, no
       anchor, alias, tag, double quote, block scalar, flow collection, comment or directive
       where a node may start, nothing nested deep enough to strain the Rust parser;
    2. every word that starts like a number is read alike by both (YAML 1.1 and 1.2 differ
       on ``1e3``, ``0o17``, ``012``, ``+.5``...);
    3. yaml-rs reads it (duplicate keys refused) as a mapping with string keys and JSON values,
       within the limits;
    4. no string value or key that yaml-rs would read as that string if it were unquoted, but
       ``yaml.safe_load`` as something else (``yes``, ``2025-01-01``, ``1:30``, ``<<``...),
       stands in the text as a word of its own (so each was quoted).
    """
    if not fast_available():
        return "yaml-rs is not installed", None
    if _OUTSIDE_PROFILE.search(text):
        return "a character outside printable text (tab, CR, control...)", None
    why = _construct_problem("\n" + text)
    if why is not None:
        return why, None
    for word in set(text.split()) - _SAFE_WORDS:
        why = _word_problem(word)
        if why is not None:
            return why, None
        _remember(_SAFE_WORDS, word)
    yaml_rs = _yaml_rs()
    try:
        data = yaml_rs.loads(
            text,
            parse_datetime=False,
            duplicate_key_policy=yaml_rs.DuplicateKeyPolicy.Error,
        )
    except Exception as exc:  # a parse error or a duplicate key: the exact reader decides
        return f"yaml-rs did not read it: {type(exc).__name__}", None
    if not isinstance(data, dict):
        return "not a mapping", None
    why = _check_values(data, text, max_values=max_values, max_depth=max_depth)
    return (why, None) if why else (None, data)


def _construct_problem(lined: str) -> str | None:
    """Why the text (with a newline put in front) is not plain block YAML, or None."""
    for match in _NODE_START_INDICATOR.finditer(lined):
        indicator, end = match.group()[-1], match.end()
        closing = {"[": "]", "{": "}"}.get(indicator)
        if closing and lined.startswith(closing, end) and lined.startswith("\n", end + 1):
            continue  # an empty list or mapping, as PyYAML writes one
        return f"a construct the fast reader leaves to the exact one: {indicator!r}"
    if " #" in lined or _DOCUMENT_MARKER.search(lined):
        return "a comment or a document marker"
    if "\n" + " " * 200 in lined:
        return "indentation of 200 spaces or more"
    if ("- -" in lined or "-  " in lined) and _DEEP_DASHES.search(lined):
        return "a long run of '- '"
    return None


def _word_problem(word: str) -> str | None:
    """Why a whitespace-separated word of the text may read differently (None: it cannot).

    A plain scalar without whitespace is such a word. One that starts like a number (or is
    ``~``) must read alike in both: YAML 1.1 and 1.2 differ on ``1e3``, ``0o17``, ``012``..."""
    if word.endswith(":"):  # a key (keys must also be strings: checked on the document)
        word = word[:-1]
    if not word or word == "-" or word[0] not in _NUMBER_START or _AGREED_NUMBER.fullmatch(word):
        return None
    if not _same(_pyyaml_scalar(word), _fast_scalar(word)):
        return f"{word[:40]!r} reads differently in YAML 1.1 and 1.2"
    return None


_NUMBER_START = frozenset("-+.~0123456789")
#: Words and strings already checked (a memo; cleared when it grows large).
_SAFE_WORDS: set[str] = set()
_SAFE_STRINGS: set[str] = set()


def _remember(memo: set[str], value: str) -> None:
    if len(memo) > 500_000:
        memo.clear()
    memo.add(value)


def _check_values(
    data: dict[str, Any], text: str, *, max_values: int, max_depth: int
) -> str | None:
    """Depth, count, value types and integer sizes of the fast reader's document, and that
    no string in it could have been an unquoted word that YAML 1.1 reads otherwise."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    count = 0
    strings: set[str] = set()
    keys: set[Any] = set()
    while stack:
        item, depth = stack.pop()
        if depth >= max_depth:
            return "nested too deeply"
        values = item.values() if type(item) is dict else item
        if type(item) is dict:
            keys.update(item)
        count += 1 + len(item)
        if count > max_values:
            return "too many values"
        for value in values:
            kind = type(value)
            if kind is str:
                strings.add(value)
            elif kind is dict or kind is list:
                stack.append((value, depth + 1))
            elif kind is int:
                if abs(value) >= MAX_INT:
                    return "an integer of more than 4,000 digits"
            elif kind is not float and kind is not bool and value is not None:
                return f"a {kind.__name__} value"
    for key in keys - _SAFE_STRINGS:
        if type(key) is not str or len(key) > 1000:  # PyYAML: implicit keys < 1024 characters
            return "a key that is not a short string"
    for value in (strings | keys) - _SAFE_STRINGS:
        if value and _plain_tag(value) != _STR_TAG and _fast_scalar(value) == ("ok", value):
            # yaml-rs reads this string unquoted as itself, yaml.safe_load as something else
            if not _always_quoted(value, text):
                return f"{value[:40]!r} may be unquoted, where YAML 1.1 reads it otherwise"
            continue  # quoted in this text, maybe not in the next: not remembered
        _remember(_SAFE_STRINGS, value)
    return None


def _always_quoted(value: str, text: str) -> bool:
    """Does ``value`` never stand in ``text`` as a word of its own (after a space or the line
    start, before a space, ``:`` or the line end)? A plain scalar whose value has no
    whitespace is written as exactly that word in block YAML; a quoted one follows a quote."""
    if any(ch.isspace() for ch in value):
        return False
    # the regex (?<!\S)value(?![^\s:]), without compiling a pattern per value
    start = text.find(value)
    while start != -1:
        end = start + len(value)
        before_ok = start == 0 or text[start - 1].isspace()
        after_ok = end == len(text) or text[end].isspace() or text[end] == ":"
        if before_ok and after_ok:
            return False
        start = text.find(value, start + 1)
    return True


def load_fast(
    text: str, *, max_values: int = 1_000_000, max_depth: int = 32
) -> dict[str, Any] | None:
    """The fast reader's document when :func:`fast_decline_reason` finds no reason to
    decline, else None (read it with :func:`load_exact`)."""
    document: dict[str, Any] | None = fast_decline_reason(
        text, max_values=max_values, max_depth=max_depth
    )[1]
    return document
