"""What may end a benchmark unit, and how its failure is recorded.

- The time limit (``--timeout``) raises :class:`TimeLimitExceeded`, a ``BaseException``: a
  model that catches ``Exception`` (``except Exception: continue``) cannot swallow it. Under
  ``--jobs`` the parent also kills a worker that still runs a little after the limit
  (:mod:`fmbench.running.worker_pool`), which stops even a model that catches everything.
- ``sys.exit()`` in a model or a plugin (``SystemExit``) fails that unit, not the run.
- Ctrl-C (``KeyboardInterrupt``) is the user's: it is never caught here.

A failure is recorded as one line (:func:`fmbench.plugin_system.blame.failure_message`: it
names the plugin the error came from); the full traceback is kept as text for ``--debug``.

Example:
    >>> with time_limit(None, "BM-X"):
    ...     pass
    >>> isinstance(TimeLimitExceeded("BM-X", 1.0), Exception)
    False
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from fmbench.debugging import first_line, traceback_text
from fmbench.plugin_system.blame import failure_message, plugin_of

if TYPE_CHECKING:
    from fmbench.plugin_system.registry import Registry

__all__ = [
    "UNIT_FAILURES",
    "TimeLimitExceeded",
    "describe_failure",
    "kill_after",
    "time_limit",
    "warm_imports",
]


class TimeLimitExceeded(BaseException):
    """A unit ran past ``--timeout`` (a BaseException, so ``except Exception`` cannot stop it)."""

    def __init__(self, what: str, seconds: float) -> None:
        super().__init__(f"{what} timed out after {seconds:g} s (--timeout)")


#: What a unit's guard turns into a recorded failure (everything but Ctrl-C).
UNIT_FAILURES: tuple[type[BaseException], ...] = (Exception, SystemExit, TimeLimitExceeded)


#: Libraries every benchmark imports (folds, metrics, intervals): imported before a unit's
#: clock starts, so that a fresh process's one-off imports do not count against --timeout.
WARM_IMPORTS = ("sklearn.model_selection", "sklearn.metrics", "scipy.stats")


def warm_imports() -> None:
    """Import :data:`WARM_IMPORTS` (once per process)."""
    import importlib

    for name in WARM_IMPORTS:
        importlib.import_module(name)


#: How soon the time limit tries again when it fell inside an import.
_RETRY_S = 0.05


def _importing(frame: Any) -> bool:
    """Is this thread inside an import (Python's import machinery on its stack)?

    An exception raised there would leave a module half-initialised (an extension module
    then fails with ``ImportError: initialization failed`` for the rest of the process).
    """
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


@contextlib.contextmanager
def time_limit(seconds: float | None, what: str) -> Iterator[None]:
    """Raise :class:`TimeLimitExceeded` in this (main) thread when ``seconds`` pass (SIGALRM).

    The limit never breaks an import half-way (it fires as soon as the import is done).
    Where signals cannot be used (another thread, Windows) there is no limit in this process;
    a worker process is still killed by its parent (:mod:`fmbench.running.worker_pool`).
    """
    import signal
    import threading

    from fmbench.running.worker_pool import mark_timed_start

    mark_timed_start()
    usable = (
        seconds is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        if _importing(frame):  # never break an import half-way: try again right after it
            signal.setitimer(signal.ITIMER_REAL, _RETRY_S)
            return
        raise TimeLimitExceeded(what, float(seconds))  # type: ignore[arg-type]

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))  # type: ignore[arg-type]
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def kill_after(timeout: float | None) -> float | None:
    """Seconds after a unit's timed part began at which its worker process is killed: the
    limit, plus a grace (the limit itself, 1 to 10 s) for the unit to stop by itself.

    Example:
        >>> kill_after(1), kill_after(60), kill_after(None)
        (2.0, 70.0, None)
    """
    if timeout is None:
        return None
    return float(timeout) + min(max(float(timeout), 1.0), 10.0)


def describe_failure(exc: BaseException, registry: Registry | None) -> tuple[str, str]:
    """The one line a failed unit records, and the full traceback (for ``--debug`` only).

    Example:
        >>> line, text = describe_failure(SystemExit(3), None)
        >>> line
        'code called sys.exit(3) during the benchmark; a model or plugin must raise an exception instead'
    """
    if isinstance(exc, TimeLimitExceeded):
        return first_line(exc), traceback_text(exc)
    if isinstance(exc, SystemExit):
        plugin = plugin_of(exc, registry)
        who = f"plugin {plugin!r}" if plugin else "code"
        return (
            f"{who} called sys.exit({exc.code!r}) during the benchmark; a model or plugin must "
            "raise an exception instead",
            traceback_text(exc),
        )
    return failure_message(exc, registry), traceback_text(exc)
