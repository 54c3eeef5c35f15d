"""An idle worker with nothing left to do exits while the others finish (its interpreter's
exit no longer waits for the slowest unit, then runs one after the other)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from fmbench.running.worker_pool import WorkerLost, run_in_workers


def sleep_then_pid(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def _exited(pid: int) -> bool:
    """Gone or a zombie (exited, not yet joined)."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_an_idle_worker_exits_before_the_slowest_unit_ends() -> None:
    pids: dict[int, int] = {}
    exited_when_slow_one_ended: list[bool] = []

    def finish(index: int, pid: int) -> None:
        pids[index] = pid
        if index == 0:  # the slow unit: the other worker has had 3 s to exit
            exited_when_slow_one_ended.append(_exited(pids[1]))

    def on_lost(index: int, why: WorkerLost) -> int:
        raise AssertionError(f"unit {index} lost: {why}")

    run_in_workers(sleep_then_pid, [3.0, 0.0], jobs=2, finish=finish, on_lost=on_lost)
    assert pids[0] != pids[1]
    assert exited_when_slow_one_ended == [True]
