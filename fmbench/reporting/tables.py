"""Markdown table cells and numbers for ``report.md`` and its sections.

Example:
    >>> fmt(0.81234)
    '0.8123'
    >>> fmt(None)
    'n/a'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fmbench.reporting.escape import md

__all__ = ["escape_md", "fmt", "fmt_interval", "markdown_table"]


def escape_md(text: Any) -> str:
    """Text for ``report.md`` (also in a table cell): :func:`fmbench.reporting.escape.md`,
    never cut."""
    return md(text, limit=None)


def fmt(value: Any, digits: int = 4) -> str:
    """A number for a table: 4 decimals, or n/a."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return escape_md(value)


def fmt_interval(value: Any, interval: Any, digits: int = 3) -> str:
    """A value with its interval: ``0.812 [0.776, 0.845]`` (the value alone without one).

    Example:
        >>> fmt_interval(0.81234, [0.7761, 0.8449])
        '0.812 [0.776, 0.845]'
    """
    if value is None:
        return "n/a"
    if not interval or interval[0] is None:
        return fmt(value, digits)
    return f"{fmt(value, digits)} [{fmt(interval[0], digits)}, {fmt(interval[1], digits)}]"


def markdown_table(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    head = list(header)
    lines = [
        "| " + " | ".join(escape_md(h) for h in head) + " |",
        "|" + "|".join("---" for _ in head) + "|",
    ]
    lines += [
        "| " + " | ".join(fmt(c) if not isinstance(c, str) else c for c in row) + " |"
        for row in rows
    ]
    return "\n".join(lines)
