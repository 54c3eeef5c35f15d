"""Worker processes for ``--jobs N``: a unit whose process dies or hangs costs only that unit.

A :class:`concurrent.futures.ProcessPoolExecutor` breaks as a whole when one worker dies (a
model calling ``os._exit``, a crash in native code, the kernel's OOM killer): every unit then
fails with ``BrokenProcessPool``, and nobody knows which one did it. Here each worker process
runs one unit at a time through its own pipe, so the parent always knows which unit a worker
was running:

- a worker that ends while running a unit (exit code, or the signal that killed it) loses
  just that unit; ``on_lost`` turns it into a result (a failed record naming the benchmark and
  the exit code) and a fresh worker takes the next unit;
- a unit that runs past ``kill_after`` seconds after it told the parent its timed part began
  (:func:`mark_timed_start`) has its worker killed, whatever its code catches; the unit's own
  ``SIGALRM`` limit in the worker normally ends it first, cleanly;
- Ctrl-C is the parent's: workers ignore ``SIGINT``, and the parent stops them all.

Workers start with the ``spawn`` method: no threads or locks of the parent leak into them, and
each sees the parent's environment and ``sys.path``. A worker keeps its process between units,
so a model is loaded once per worker.

Example:
    >>> WorkerLost(exitcode=7).describe()
    'its worker process exited with code 7'
    >>> WorkerLost(exitcode=-9).describe()
    'its worker process was killed by SIGKILL'
"""

from __future__ import annotations

import collections
import contextlib
import signal
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from fmbench.debugging import traceback_text

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

__all__ = ["WorkerLost", "mark_timed_start", "run_in_workers"]

T = TypeVar("T")
R = TypeVar("R")

#: In a worker process: the pipe to the parent (None in the parent itself).
_PARENT: Connection | None = None


@attrs.frozen
class WorkerLost:
    """Why a unit has no result: its worker process ended, or was killed after a time limit."""

    exitcode: int | None = None
    killed_after: float | None = None

    def describe(self) -> str:
        if self.killed_after is not None:
            return (
                f"it did not stop at its time limit, so its worker process was killed after "
                f"{self.killed_after:g} s"
            )
        code = self.exitcode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"its worker process was killed by {name}"
        return f"its worker process exited with code {code}"


def mark_timed_start() -> None:
    """Tell the parent that the timed part of this worker's unit begins (no-op elsewhere).

    The parent counts ``kill_after`` from here, so loading the model in a fresh worker is
    not counted against a unit's time limit.
    """
    if _PARENT is not None:
        with contextlib.suppress(OSError, ValueError):
            _PARENT.send(("started",))


class _RemoteTraceback(Exception):
    """The traceback text of an exception raised in a worker process."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _worker_main(
    connection: Connection, fn: Callable[[Any], Any], initializer: Callable[[], None] | None
) -> None:
    global _PARENT
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the parent
    _PARENT = connection
    if initializer is not None:
        initializer()
    while True:
        try:
            payload = connection.recv()
        except (EOFError, OSError):
            return
        if payload is None:
            return
        try:
            message: tuple[Any, ...] = ("ok", fn(payload))
        except BaseException as exc:  # the parent decides; this process goes on
            message = ("error", exc, traceback_text(exc))
        try:
            connection.send(message)  # pickled whole before anything is written
        except Exception as exc:  # an exception or a result that cannot be sent
            text = message[2] if message[0] == "error" else ""
            failure = message[1] if message[0] == "error" else exc
            connection.send(("error", f"{type(failure).__name__}: {failure}", text))


@attrs.define(eq=False)
class _Worker:
    process: Any
    connection: Connection
    index: int | None = None
    deadline: float | None = None
    released: bool = False  # told to exit (sent None)


def run_in_workers(
    fn: Callable[[T], R],
    payloads: Sequence[T],
    *,
    jobs: int,
    finish: Callable[[int, R], None],
    on_lost: Callable[[int, WorkerLost], R],
    kill_after: float | None = None,
    initializer: Callable[[], None] | None = None,
) -> None:
    """Run ``fn(payload)`` for every payload in up to ``jobs`` worker processes.

    ``finish(index, result)`` is called in this process as each unit ends, in completion
    order; a unit whose worker ends (or is killed ``kill_after`` seconds after
    :func:`mark_timed_start`) gets ``on_lost(index, why)`` as its result. An exception that
    ``fn`` raises is raised here, with the worker's traceback as its cause.
    """
    # imported here: a run without --jobs loads this module (mark_timed_start), not these
    import multiprocessing
    from multiprocessing.connection import wait

    context = multiprocessing.get_context("spawn")
    waiting = collections.deque(range(len(payloads)))
    workers: list[_Worker] = []

    def start() -> _Worker:
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_worker_main, args=(theirs, fn, initializer), daemon=True,
            name="fmbench-worker",
        )  # fmt: skip
        process.start()
        theirs.close()
        worker = _Worker(process=process, connection=ours)
        workers.append(worker)
        return worker

    def assign(worker: _Worker) -> None:
        if not waiting:
            _release(worker)  # nothing left for it: it exits while the others finish
            return
        index = waiting.popleft()
        worker.index, worker.deadline = index, None
        with contextlib.suppress(OSError, ValueError):  # a dead worker: the loop sees it
            worker.connection.send(payloads[index])

    def retire(worker: _Worker, why: WorkerLost) -> None:
        index = worker.index
        workers.remove(worker)
        _stop(worker)
        if index is not None:
            worker.index = None
            finish(index, on_lost(index, why))
        if waiting:
            assign(start())

    try:
        for _ in range(min(jobs, len(payloads))):
            assign(start())
        while any(w.index is not None for w in workers):
            busy = [w for w in workers if w.index is not None]
            now = time.monotonic()
            deadlines = [w.deadline for w in busy if w.deadline is not None]
            timeout = max(0.0, min(deadlines) - now) if deadlines else None
            objects: list[Any] = [w.connection for w in busy]
            objects += [w.process.sentinel for w in busy]
            ready = wait(objects, timeout=timeout)
            for worker in busy:
                _step(worker, ready, finish, assign, retire, kill_after)
    finally:
        for worker in workers:  # all asked first, so that they exit side by side
            if worker.index is None:
                _release(worker)
        for worker in list(workers):
            _stop(worker)


def _step(
    worker: _Worker,
    ready: list[Any],
    finish: Callable[[int, Any], None],
    assign: Callable[[_Worker], None],
    retire: Callable[[_Worker, WorkerLost], None],
    kill_after: float | None,
) -> None:
    """Read what one busy worker sent, and notice its death or its deadline."""
    while worker.index is not None and worker.connection.poll():
        try:
            message = worker.connection.recv()
        except (EOFError, OSError):
            break  # it died while sending: its sentinel says how
        except Exception as exc:  # an answer that cannot be read back here
            message = ("error", f"cannot read a worker's answer: {type(exc).__name__}: {exc}", "")
        if message[0] == "started":
            if kill_after is not None:
                worker.deadline = time.monotonic() + kill_after
        elif message[0] == "ok":
            index, worker.index = worker.index, None
            finish(index, message[1])
            assign(worker)
        else:
            _, error, text = message
            raised = error if isinstance(error, BaseException) else RuntimeError(str(error))
            raised.__cause__ = _RemoteTraceback(text)
            raise raised
    if worker.index is None:
        return
    if worker.process.sentinel in ready or not worker.process.is_alive():
        worker.process.join(5)
        retire(worker, WorkerLost(exitcode=worker.process.exitcode))
    elif worker.deadline is not None and time.monotonic() >= worker.deadline:
        retire(worker, WorkerLost(killed_after=kill_after))


def _release(worker: _Worker) -> None:
    """Ask an idle worker to exit (once); it is joined later by :func:`_stop`."""
    if worker.released:
        return
    worker.released = True
    with contextlib.suppress(OSError, ValueError):
        worker.connection.send(None)


def _stop(worker: _Worker) -> None:
    """End a worker process: asked nicely when idle, killed when busy or deaf."""
    process = worker.process
    if process.is_alive() and worker.index is None:
        _release(worker)
        process.join(2)
    if process.is_alive():
        process.kill()
        process.join(5)
    with contextlib.suppress(OSError):
        worker.connection.close()
