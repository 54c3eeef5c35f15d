"""Executors: where independent units of a run execute.

- ``inprocess`` (default): one after another, in this process;
- ``processes``: local worker processes (``--jobs N``,
  :mod:`fmbench.running.worker_pool`): a worker that dies or hangs costs only its unit;
- ``dask``: an existing Dask cluster (``--executor dask --scheduler tcp://host:8786``; needs
  ``pip install 'fmbench-core[dask]'``; workers need fmbench and the model's code importable).

Units carry everything that determines their result (and their own seeds), so results are the
same whichever executor runs them and in whatever order. Each worker limits BLAS/OpenMP threads
to one, so N workers on N cores do not fight over them.

Example:
    >>> run_units(abs, [-1, -2, 3], executor="inprocess")
    [1, 2, 3]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fmbench.errors import ConfigError
from fmbench.running.worker_pool import WorkerLost, run_in_workers

__all__ = ["EXECUTORS", "limit_threads", "run_units"]

EXECUTORS = ("inprocess", "processes", "dask")

T = TypeVar("T")
R = TypeVar("R")


def limit_threads() -> None:
    """One BLAS/OpenMP thread in this worker process (no nested parallelism)."""
    import os

    os.environ["FMBENCH_BOOTSTRAP_THREADS"] = "1"  # fmbench's own bootstrap thread pool too
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return
    threadpool_limits(1)


_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                     "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")  # fmt: skip


def _pool_initializer() -> None:
    # A spawned worker has not imported numpy yet: the BLAS libraries read these at load time.
    import os

    for name in _THREAD_VARIABLES:
        os.environ[name] = "1"
    limit_threads()


def run_units(
    fn: Callable[[T], R],
    payloads: Sequence[T],
    *,
    executor: str = "inprocess",
    jobs: int = 1,
    scheduler: str | None = None,
    on_done: Callable[[int, R], None] | None = None,
    on_lost: Callable[[int, WorkerLost], R] | None = None,
    kill_after: float | None = None,
) -> list[R]:
    """Run ``fn`` on every payload; results come back in the order of ``payloads``.

    ``on_done(index, result)`` is called in the parent as each unit finishes (for the journal
    and the progress bar), in completion order. With ``processes``, a unit whose worker
    process ends (``os._exit``, a crash) or runs ``kill_after`` seconds past the start of its
    timed part (:func:`fmbench.running.worker_pool.mark_timed_start`) is killed and gets
    ``on_lost(index, why)`` as its result, and the other units still run; without
    ``on_lost`` that is an error.
    """
    if executor not in EXECUTORS:
        raise ConfigError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    if executor == "processes" and jobs < 1:
        raise ConfigError("--jobs must be at least 1")
    results: dict[int, R] = {}

    def finish(index: int, result: R) -> None:
        results[index] = result
        if on_done is not None:
            on_done(index, result)

    if executor == "inprocess" or (executor == "processes" and (jobs == 1 or len(payloads) <= 1)):
        for index, payload in enumerate(payloads):
            finish(index, fn(payload))
    elif executor == "processes":
        run_in_workers(
            fn, payloads, jobs=jobs, finish=finish, on_lost=on_lost or _lost_is_an_error,
            kill_after=kill_after, initializer=_pool_initializer,
        )  # fmt: skip
    else:
        _run_dask(fn, payloads, scheduler, finish)
    return [results[i] for i in range(len(payloads))]


def _lost_is_an_error(index: int, why: WorkerLost) -> Any:
    raise RuntimeError(f"unit {index} has no result: {why.describe()}")


def _run_dask(
    fn: Callable[[T], R],
    payloads: Sequence[T],
    scheduler: str | None,
    finish: Callable[[int, R], None],
) -> None:
    if not scheduler:
        raise ConfigError("--executor dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ConfigError(
            "--executor dask needs the Dask extra: pip install 'fmbench-core[dask]'"
        ) from None
    try:
        client = Client(scheduler, timeout="10s", set_as_default=False)
    except OSError as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        client.run(limit_threads)
        futures = client.map(fn, list(payloads), pure=False)
        index_of = {future.key: i for i, future in enumerate(futures)}
        for future in as_completed(futures, loop=client.loop):
            finish(index_of[future.key], future.result())
    finally:
        client.close()


def describe(executor: str, jobs: int, scheduler: str | None) -> dict[str, Any]:
    """What goes into eval.yaml's run_metadata about execution (not part of the results)."""
    return {
        "executor": executor,
        "jobs": jobs if executor == "processes" else 1,
        "scheduler": scheduler if executor == "dask" else None,
    }
