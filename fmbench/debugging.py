"""Tracebacks for ``fmbench --debug``: kept as text, shown on the terminal, never in eval.yaml.

A failure that a run records (a benchmark or a probe that failed) goes into ``eval.yaml`` as one
line without local paths. Its full traceback (the model's or the plugin's own frames, with the
exceptions it was raised from) is kept as text, so that it can travel back from a worker
process, and printed on stderr when ``--debug`` (or ``FMBENCH_DEBUG=1``) is on.

Example:
    >>> try:
    ...     raise ValueError("bad value\\nsecond line")
    ... except ValueError as exc:
    ...     first_line(exc), "ValueError: bad value" in traceback_text(exc)
    ('bad value', True)
"""

from __future__ import annotations

import os
import sys
import traceback

__all__ = ["DEBUG_ENV", "debug_enabled", "first_line", "show_traceback", "traceback_text"]

#: Set by ``fmbench --debug`` for the command (worker processes inherit it).
DEBUG_ENV = "FMBENCH_DEBUG"


def debug_enabled() -> bool:
    """Is ``--debug`` (or ``FMBENCH_DEBUG=1``) on?"""
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in {"", "0", "false", "no"}


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message ("" when it has none)."""
    text = str(exc)
    return text.splitlines()[0] if text.strip() else ""


def traceback_text(exc: BaseException) -> str:
    """The full traceback of ``exc`` with the exceptions it was raised from, as text."""
    return "".join(traceback.format_exception(exc))


def show_traceback(title: str, text: str | None) -> None:
    """Print ``text`` (a traceback) on stderr under ``title``, when ``--debug`` is on."""
    if not text or not debug_enabled():
        return
    print(f"--- traceback: {title} ---", file=sys.stderr)
    print(text.rstrip("\n"), file=sys.stderr)
    print("--- end of traceback ---", file=sys.stderr, flush=True)
