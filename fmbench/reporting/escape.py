"""One escaper per output format: Markdown (``report.md``, the leaderboard's ``index.md``) and
HTML (``index.html``), and the number format the pages share.

Every string that comes from an eval file or a model goes through :func:`md` or
:func:`html_text` before it reaches a page: nothing in it is markup.

Example:
    >>> md("<script>|[x](javascript:y)`")
    '&lt;script&gt;\\\\|&#91;x&#93;(javascript:y)&#96;'
    >>> num(0.123456), num(None), num(12345678.0)
    ('0.1235', '–', '1.235e+07')
"""

from __future__ import annotations

import html
import re
from typing import Any

__all__ = ["html_text", "md", "md_code", "num"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Markdown-active characters, written as HTML entities (pipes as \| for the table parser).
_MD_ENTITIES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "`": "&#96;",
    "[": "&#91;",
    "]": "&#93;",
    "{": "&#123;",
    "}": "&#125;",
    "*": "&#42;",
    "#": "&#35;",
    "!": "&#33;",
    "~": "&#126;",
}
_MD_PATTERN = re.compile(r"[&<>`\[\]{}*#!~\\_|]")


def _md_one(match: re.Match[str]) -> str:
    char = match.group(0)
    if char == "|":
        return "\\|"
    if char == "\\":
        return "&#92;"
    if char == "_":
        return "\\_"
    return _MD_ENTITIES[char]


def md(value: Any, limit: int | None = 300) -> str:
    """Text for a Markdown page (also inside a table cell): nothing in it is markup.

    ``limit`` cuts very long texts (leaderboard cells); None keeps all of it (reports).
    """
    text = _CONTROL.sub(" ", str(value))[:limit]
    return _MD_PATTERN.sub(_md_one, text)


def md_code(value: Any, limit: int | None = 300) -> str:
    """A Markdown code span of ``value``: shown as it is (nothing inside a code span is
    markup), fenced with more backticks than the text holds in a row.

    Example:
        >>> md_code("dummy_classifier"), md_code("a`b")
        ('`dummy_classifier`', '`` a`b ``')
    """
    text = _CONTROL.sub(" ", str(value))[:limit]
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if longest or text.startswith(" ") or text.endswith(" ") else text
    return f"{fence}{padded}{fence}"


def html_text(value: Any, limit: int = 300) -> str:
    """Text for an HTML page or attribute (``html.escape`` with quotes)."""
    return html.escape(_CONTROL.sub(" ", str(value))[:limit], quote=True)


def num(value: float | None, digits: int = 4) -> str:
    """A number as shown: 4 decimals, or 4 significant digits when very large or small."""
    if value is None:
        return "–"
    magnitude = abs(value)
    if magnitude != 0 and (magnitude >= 1e6 or magnitude < 1e-3):
        return f"{value:.{digits}g}" if magnitude < 1e6 else f"{value:.{digits - 1}e}"
    return f"{value:.{digits}f}"
