"""Plugin code at arm's length: every exception kept, a time limit, its printed output set aside.

fmbench runs a plugin's code twice before any command does its work: when it imports the
plugin's module and when it calls the plugin's registration hooks. A plugin that raises
``SystemExit`` or ``KeyboardInterrupt``, never returns, or prints would otherwise stop every
command or corrupt ``--json`` output. :func:`call_guarded` runs such a call in a worker
thread and waits for it at most ``timeout`` seconds:

* **anything raised** (``SystemExit``, ``KeyboardInterrupt``, any ``BaseException``) is caught
  in the worker thread and returned, so the plugin is marked failed and the command goes on.
  Python delivers signals to the main thread only, so a ``KeyboardInterrupt`` caught in the
  worker was raised by the plugin's own code, never by the user; the user's Ctrl-C reaches
  the main thread, which is waiting, and stops the command as it always does.
* **a call that does not return** within ``timeout`` is abandoned: the result says so and the
  command goes on. Python cannot stop a thread, so the abandoned one keeps running in the
  background (a daemon thread: it does not keep the process alive) until the command ends.
* **what the call prints** to ``sys.stdout`` / ``sys.stderr`` is kept in the result instead of
  reaching the terminal; writes are routed by thread, so the abandoned thread's later output
  is set aside too.

Limits (in-process, these cannot be helped): ``os._exit`` ends the process; output written
to file descriptors directly (``os.write(1, ...)``, C extensions) or from threads the plugin
starts is not captured; a plugin that sends the process a real signal (``os.kill``) is
indistinguishable from the user; an abandoned thread that spins on the CPU slows the rest of
the command (block that plugin with ``FMBENCH_BLOCK_PLUGINS``).

Example:
    >>> outcome = call_guarded(lambda: print("hello") or 42, timeout=5)
    >>> outcome.value, outcome.stdout
    (42, 'hello\\n')
    >>> import sys
    >>> failed = call_guarded(lambda: sys.exit(3), timeout=5)
    >>> failure_text(failed, " during import")
    'called sys.exit(3) during import'
"""

from __future__ import annotations

import io
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

import attrs

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "TIMEOUT_ENV",
    "Guarded",
    "call_guarded",
    "failure_text",
    "output_note",
    "plugin_timeout",
]

#: Seconds a plugin's import, or one of its hooks, may take.
DEFAULT_TIMEOUT_S = 30.0

#: Set to a number of seconds to change :data:`DEFAULT_TIMEOUT_S`.
TIMEOUT_ENV = "FMBENCH_PLUGIN_TIMEOUT"

#: At most this many characters of a plugin's printed output are kept.
MAX_KEPT = 2000


def plugin_timeout() -> float:
    """The time limit for a plugin's import or hook: ``FMBENCH_PLUGIN_TIMEOUT`` or 30 s.

    Example:
        >>> plugin_timeout() > 0
        True
    """
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        from fmbench.errors import ConfigError

        raise ConfigError(
            f"{TIMEOUT_ENV}={text!r} is not a number of seconds; unset it or give e.g. 60"
        ) from None
    if not value > 0:
        from fmbench.errors import ConfigError

        raise ConfigError(f"{TIMEOUT_ENV}={text!r} must be a positive number of seconds")
    return value


@attrs.define(kw_only=True)
class Guarded:
    """What a guarded call gave: its value, or what it raised, or that it did not finish."""

    value: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    timeout: float = 0.0
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and not self.timed_out


class _Sink:
    """Where one guarded thread's output goes: two bounded text buffers."""

    def __init__(self) -> None:
        self.streams = {"stdout": io.StringIO(), "stderr": io.StringIO()}
        self.lock = threading.Lock()

    def write(self, stream: str, text: str) -> int:
        with self.lock:
            buffer = self.streams[stream]
            if buffer.tell() < MAX_KEPT + 1:
                buffer.write(text[: MAX_KEPT + 1 - buffer.tell()])
        return len(text)

    def text(self, stream: str) -> str:
        with self.lock:
            return self.streams[stream].getvalue()


#: thread ident -> sink, for every guarded call still running (abandoned ones included)
_SINKS: dict[int, _Sink] = {}
_ROUTER_LOCK = threading.Lock()


class _Router:
    """Stands in for ``sys.stdout`` / ``sys.stderr``: a guarded thread's writes go to its
    sink, everybody else's to the stream it replaced (every other attribute is that
    stream's)."""

    def __init__(self, stream: str, original: Any) -> None:
        self._stream = stream
        self._original = original

    def write(self, text: str) -> int:
        sink = _SINKS.get(threading.get_ident())
        if sink is not None:
            return sink.write(self._stream, str(text))
        written: int = self._original.write(text)
        return written

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if threading.get_ident() not in _SINKS:
            self._original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


def _install() -> list[tuple[str, Any]]:
    """Put routers in place of sys.stdout and sys.stderr; what to put back."""
    replaced = []
    with _ROUTER_LOCK:
        for name in ("stdout", "stderr"):
            current = getattr(sys, name)
            if not isinstance(current, _Router):
                setattr(sys, name, _Router(name, current))
                replaced.append((name, current))
    return replaced


def _restore(replaced: list[tuple[str, Any]]) -> None:
    """Put the streams back, unless an abandoned plugin thread may still write to them (then
    the router stays: it passes everybody else's writes through unchanged)."""
    with _ROUTER_LOCK:
        if _SINKS:
            return
        for name, original in replaced:
            current = getattr(sys, name)
            if isinstance(current, _Router) and current._original is original:
                setattr(sys, name, original)


def call_guarded(function: Callable[[], Any], *, timeout: float, name: str = "plugin") -> Guarded:
    """Call ``function()`` in a worker thread; see the module docstring.

    ``KeyboardInterrupt`` in the caller's thread (the user's Ctrl-C while waiting) is not
    caught: it propagates, and the worker is left to finish on its own.
    """
    outcome = Guarded(timeout=timeout)
    sink = _Sink()
    finished = threading.Event()

    def target() -> None:
        ident = threading.get_ident()
        _SINKS[ident] = sink
        try:
            outcome.value = function()
        except BaseException as exc:  # the whole point: nothing escapes
            outcome.error = exc
        finally:
            _SINKS.pop(ident, None)
            finished.set()

    replaced = _install()
    try:
        worker = threading.Thread(target=target, name=f"fmbench-guard-{name}", daemon=True)
        worker.start()
        if not finished.wait(timeout):
            outcome.timed_out = True
    finally:
        _restore(replaced)
    outcome.stdout = sink.text("stdout")
    outcome.stderr = sink.text("stderr")
    return outcome


def failure_text(outcome: Guarded, during: str = "") -> str:
    """One line saying how a guarded call failed; ``during`` is e.g. ``" during import"``.

    An ordinary exception reads ``Type: first line of its message``.

    Example:
        >>> failure_text(Guarded(error=KeyboardInterrupt()), " during import")
        'raised KeyboardInterrupt during import (a plugin must not stop the command)'
        >>> failure_text(Guarded(timed_out=True, timeout=30.0))
        'still running after 30 s; abandoned (raise the limit with FMBENCH_PLUGIN_TIMEOUT)'
    """
    if outcome.timed_out:
        return (
            f"still running after {outcome.timeout:g} s{during}; abandoned (raise the limit "
            f"with {TIMEOUT_ENV})"
        )
    exc = outcome.error
    if exc is None:
        return "ok"
    if isinstance(exc, SystemExit):
        return f"called sys.exit({exc.code!r}){during}"
    if not isinstance(exc, Exception):
        return f"raised {type(exc).__name__}{during} (a plugin must not stop the command)"
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def output_note(outcome: Guarded, where: str) -> str | None:
    """A note about what the call printed (None when it printed nothing).

    Example:
        >>> output_note(Guarded(stdout="hi\\n"), "at import")
        "printed at import (kept out of fmbench's output): stdout: 'hi\\\\n'"
    """
    parts = []
    for stream in ("stdout", "stderr"):
        text = getattr(outcome, stream)
        if text:
            shown = text[:200] + ("..." if len(text) > 200 else "")
            parts.append(f"{stream}: {shown!r}")
    if not parts:
        return None
    return f"printed {where} (kept out of fmbench's output): " + "; ".join(parts)
