"""Progress on long work: a bar with counts and an ETA on a terminal, plain lines otherwise.

Example:
    >>> with Progress(total=10, label="predict", enabled=False) as bar:
    ...     bar.advance(10)
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any

__all__ = ["Progress"]


class Progress:
    """Counts finished items; draws a click progress bar when stderr is a terminal."""

    def __init__(self, total: int, label: str, *, enabled: bool = True) -> None:
        self.total = max(int(total), 0)
        self.label = label
        self.done = 0
        self.enabled = enabled
        self._bar: Any = None
        self._last_log = 0.0
        self._start = time.monotonic()

    def __enter__(self) -> Progress:
        if self.enabled and sys.stderr.isatty():
            import click

            self._bar = click.progressbar(
                length=self.total, label=self.label, file=sys.stderr, show_eta=True, show_pos=True
            )
            self._bar.__enter__()
        return self

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        elif self.enabled:
            now = time.monotonic()
            if now - self._last_log >= 10 or self.done >= self.total:
                self._last_log = now
                elapsed = now - self._start
                print(
                    f"[fmbench] {self.label}: {self.done}/{self.total} ({elapsed:.1f} s)",
                    file=sys.stderr,
                )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(exc_type, exc, tb)
