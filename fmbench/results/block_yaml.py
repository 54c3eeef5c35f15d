"""A fast reader for the block-style YAML that fmbench writes, exact or silent.

:func:`load_block_yaml` reads the subset of YAML that ``fmbench.results.eval_file.dump_yaml`` emits for
an eval file: block mappings and sequences (indentless ones included), plain and
single-quoted scalars (folded over several lines too), and the empty flow collections
``{}`` and ``[]``. It returns exactly what ``yaml.safe_load`` returns for such a text, in
about a fifth of the time, because it reads lines with string methods instead of building
libyaml's events and nodes in Python.

Anything outside that subset (double quotes, anchors, tags, comments, flow collections,
block scalars, tabs, blank lines, unusual indentation, a document marker, a scalar the safe
resolver would not turn into a string, number, boolean or null) makes it return ``None``
without guessing, and the caller reads the text with the standard safe loader. A text
that the standard loader rejects is never accepted here, so errors are the loader's own.
Plain scalars are resolved and built by PyYAML's own resolver and safe constructor.

Example:
    >>> load_block_yaml("a: 1\\nb:\\n- x\\n- 'y: z'\\nc: {}\\n")
    {'a': 1, 'b': ['x', 'y: z'], 'c': {}}
    >>> load_block_yaml("a: &anchor 1\\n") is None  # not in the subset: use yaml.safe_load
    True
"""

from __future__ import annotations

import re
from typing import Any

import yaml

__all__ = ["load_block_yaml"]

#: Characters the subset allows: printable ASCII, newline, and printable non-ASCII other than
#: YAML 1.1's extra line breaks (U+2028, U+2029) and the byte-order mark.
_OUTSIDE_SUBSET = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
#: Characters that cannot start a plain scalar (YAML indicators).
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
#: A single-quoted scalar closed on its line; its last line; a line with no unpaired quote.
_QUOTED = re.compile(r"'((?:[^']|'')*)'(?!')")
_QUOTED_END = re.compile(r"((?:[^']|'')*)'")
_QUOTED_OPEN = re.compile(r"(?:[^']|'')*")
#: PyYAML's simple keys are at most 1024 characters; stay well below.
_MAX_KEY = 1000

_TAG = "tag:yaml.org,2002:"
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_BUILDERS = {
    _TAG + "int": _CONSTRUCTOR.construct_yaml_int,
    _TAG + "float": _CONSTRUCTOR.construct_yaml_float,
    _TAG + "bool": _CONSTRUCTOR.construct_yaml_bool,
    _TAG + "null": _CONSTRUCTOR.construct_yaml_null,
}
#: plain text -> its value, for texts that passed ``_is_plain`` (the safe resolver's answer
#: depends on the text only; values are immutable, so they can be shared)
_PLAIN_VALUES: dict[str, Any] = {}
_MEMO_LIMIT = 200_000  # entries, each at most _MEMO_TEXT characters: a few tens of MB at most
_MEMO_TEXT = 100
_MISSING = object()


class _Decline(Exception):
    """The text is outside the subset; the standard loader must read it."""


def _is_plain(text: str) -> bool:
    """Does this one-line text read back, unchanged, as a plain scalar in block context?"""
    if not text or text[-1] in " :" or ": " in text or " #" in text:
        return False
    first = text[0]
    if first == " ":
        return False
    return first not in _INDICATORS or (first in "-?:" and len(text) > 1 and text[1] != " ")


def _is_continuation(text: str) -> bool:
    """Can this (non-empty) line continue a plain scalar, folded into it with one space?

    Indicators lose their meaning there; only a comment, ``": "`` and a final colon or
    space do not.
    """
    return text[0] != "#" and text[-1] not in " :" and ": " not in text and " #" not in text


def _plain(text: str) -> Any:
    """What the safe loader makes of a plain scalar; declines timestamps, merge keys..."""
    value = _PLAIN_VALUES.get(text, _MISSING)
    if value is not _MISSING:
        return value
    if not _is_plain(text):
        raise _Decline
    tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))
    if tag == _TAG + "str":
        value = text
    elif tag in _BUILDERS:
        try:
            value = _BUILDERS[tag](yaml.ScalarNode(tag, text))
        except (ValueError, OverflowError):  # e.g. an integer too long: the loader reports it
            raise _Decline from None
    else:
        raise _Decline
    if len(text) <= _MEMO_TEXT and len(_PLAIN_VALUES) < _MEMO_LIMIT:
        _PLAIN_VALUES[text] = value
    return value


def _split_key(text: str) -> tuple[Any, str | None] | None:
    """``(key, rest)`` when ``text`` starts with a mapping key (rest None: value on next lines).

    None when ``text`` is a scalar, not a key; declines a key outside the subset.
    """
    if text[0] == "'":
        match = _QUOTED.match(text)
        if match is None:
            return None  # a quoted scalar over several lines
        after = text[match.end() :]
        if not after:
            return None  # a quoted scalar
        if after == ":":
            rest = None
        elif after.startswith(": "):
            rest = after[2:]
        else:
            raise _Decline
        if match.end() > _MAX_KEY:
            raise _Decline
        return match.group(1).replace("''", "'"), rest
    cut = text.find(": ")
    if cut < 0:
        if not text.endswith(":"):
            return None
        raw, rest = text[:-1], None
    else:
        raw, rest = text[:cut], text[cut + 2 :]
    if len(raw) > _MAX_KEY:
        raise _Decline
    return _plain(raw), rest


class _Lines:
    """The lines of a text: their content without indentation, and their indentation."""

    __slots__ = ("contents", "indents", "n")

    def __init__(self, text: str) -> None:
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
        self.contents = [line.lstrip(" ") for line in lines]
        if not lines or "" in self.contents:
            raise _Decline  # empty, or a blank line
        self.indents = [
            len(line) - len(bare) for line, bare in zip(lines, self.contents, strict=True)
        ]
        self.n = len(lines)

    def deeper(self, i: int, owner: int) -> bool:
        """Is line ``i`` indented more than column ``owner``?"""
        return i < self.n and self.indents[i] > owner


def _value(lines: _Lines, i: int, text: str, owner: int, room: bool) -> tuple[Any, int]:
    """The value written as ``text`` on line ``i`` after ``key: `` or ``- ``.

    ``owner`` is the column of that key or dash (lines indented more continue the value);
    ``room``: may the value be a collection (depth). Returns the value and the next line.
    """
    if not text:
        raise _Decline
    value: Any
    if text[0] == "'":
        value, i = _quoted(lines, i, text, owner)
    elif text == "{}" or text == "[]":
        if not room:
            raise _Decline
        value, i = ({} if text == "{}" else []), i + 1
    else:
        parts = [text]
        i += 1
        while lines.deeper(i, owner):  # a plain scalar folded over several lines
            more = lines.contents[i]
            if text[-1] == " ":
                raise _Decline  # a space before a line break is dropped: keep it simple
            if not _is_continuation(more):
                raise _Decline
            parts.append(more)
            i += 1
        return _plain(" ".join(parts)), i
    if lines.deeper(i, owner):
        raise _Decline
    return value, i


def _quoted(lines: _Lines, i: int, text: str, owner: int) -> tuple[str, int]:
    """A single-quoted scalar starting on line ``i``, maybe folded over several lines."""
    match = _QUOTED.fullmatch(text)
    if match is not None:
        return match.group(1).replace("''", "'"), i + 1
    if _QUOTED_OPEN.fullmatch(text, 1) is None:
        raise _Decline
    parts = [text[1:]]
    while True:
        if not parts[-1] or parts[-1].endswith(" "):
            raise _Decline  # spaces or nothing at a line break: not what the writer emits
        i += 1
        if not lines.deeper(i, owner):
            raise _Decline
        more = lines.contents[i]
        match = _QUOTED_END.fullmatch(more)
        if match is not None:
            parts.append(match.group(1))
            if not parts[-1]:
                raise _Decline
            return " ".join(parts).replace("''", "'"), i + 1
        if _QUOTED_OPEN.fullmatch(more) is None:
            raise _Decline
        parts.append(more)


def _parse(text: str, max_depth: int) -> dict[Any, Any]:
    """The document: one pass over the lines with a stack of open collections.

    Each entry of ``stack`` is ``(column, collection)``, from the root mapping to the
    collection the current line belongs to (its length is that collection's depth). The
    common lines (``key: value``, ``key:`` and ``- value`` with plain scalars seen before)
    take a short path: the memo holds only checked texts, so nothing is left to check.
    """
    lines = _Lines(text)
    contents, indents, n = lines.contents, lines.indents, lines.n
    if indents[0] or contents[0].startswith("- "):
        raise _Decline  # a top-level sequence or an indented first line
    memo = _PLAIN_VALUES
    root: dict[Any, Any] = {}
    stack: list[tuple[int, Any]] = [(0, root)]
    top_col, container = 0, root  # stack[-1]
    pending: list[Any] = []  # a key whose value is the collection starting on this line
    i = 0
    while i < n:
        col = indents[i]
        text = contents[i]
        dash = text.startswith("- ")
        # 1. Which collection does this line belong to?
        if pending:
            if not (col > top_col or (dash and col == top_col)):
                raise _Decline  # "key:" followed by no block: a null the writer never emits
            if len(stack) >= max_depth:
                raise _Decline
            child: Any = [] if dash else {}
            container[pending.pop()] = child
            stack.append((col, child))
            top_col, container = col, child
        elif col != top_col or (not dash and type(container) is list):
            while stack[-1][0] > col:
                stack.pop()
            if stack[-1][0] != col:
                raise _Decline
            if type(stack[-1][1]) is list and not dash:  # the end of an indentless sequence
                stack.pop()
                if stack[-1][0] != col or type(stack[-1][1]) is list:
                    raise _Decline
            top_col, container = stack[-1]
        last = i + 1 == n or indents[i + 1] <= col  # no line continues this one
        # 2. What does it add?
        if type(container) is list:
            if not dash:
                raise _Decline
            if last:
                value = memo.get(text[2:], _MISSING)
                if value is not _MISSING:
                    container.append(value)
                    i += 1
                    continue
            while True:  # "- - x": a sequence in a sequence item
                col += 2
                text = text[2:]
                if not text or text[0] == " ":
                    raise _Decline
                if not text.startswith("- "):
                    break
                if len(stack) >= max_depth:
                    raise _Decline
                child = []
                container.append(child)
                stack.append((col, child))
                top_col, container = col, child
            split = _split_key(text)
            if split is None:
                value, i = _value(lines, i, text, col - 2, len(stack) < max_depth)
                container.append(value)
                continue
            if len(stack) >= max_depth:
                raise _Decline
            child = {}
            container.append(child)
            stack.append((col, child))
            top_col, container = col, child
        else:
            if dash:
                raise _Decline
            cut = text.find(": ")
            if cut < 0:
                if text[-1] == ":" and len(text) <= _MAX_KEY:
                    key = memo.get(text[:-1], _MISSING)
                    if key is not _MISSING:
                        pending.append(key)
                        i += 1
                        continue
            elif last and cut <= _MAX_KEY:
                key = memo.get(text[:cut], _MISSING)
                value = memo.get(text[cut + 2 :], _MISSING)
                if key is not _MISSING and value is not _MISSING:
                    container[key] = value
                    i += 1
                    continue
            split = _split_key(text)
            if split is None:
                raise _Decline  # a scalar where a key belongs
        key, rest = split
        if rest is None:
            pending.append(key)
            i += 1
            continue
        value, i = _value(lines, i, rest, col, len(stack) < max_depth)
        container[key] = value
    if pending:
        raise _Decline
    return root


def load_block_yaml(text: str, *, max_depth: int = 32) -> dict[Any, Any] | None:
    """``yaml.safe_load(text)`` for a block mapping in fmbench's subset, else None.

    ``max_depth``: collections nested deeper than this are declined too (the caller's
    checks then report them), so a result never holds more than ``max_depth`` levels.
    """
    if _OUTSIDE_SUBSET.search(text) or text.startswith(("---", "...")):
        return None
    if "\n---" in text or "\n..." in text:
        return None
    try:
        return _parse(text, max_depth)
    except _Decline:
        return None
