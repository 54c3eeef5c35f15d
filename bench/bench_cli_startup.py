"""Median wall time of `fmbench --help` and `fmbench plugins list` (issue: <= 0.25 s).

Run: .venv/bin/python bench/bench_cli_startup.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path


def median_seconds(args: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    repeat = parser.parse_args().repeat
    exe = str(Path(sys.executable).with_name("fmbench"))
    rows = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        (
            "import click, pluggy, yaml, attrs, cattrs",
            [sys.executable, "-c", "import click, pluggy, yaml, attrs, cattrs"],
        ),
        ("fmbench --help", [exe, "--help"]),
        ("fmbench plugins list", [exe, "plugins", "list"]),
        ("fmbench list-suites", [exe, "list-suites"]),
    ]
    print(f"| command | median wall time (s), {repeat} runs |")
    print("|---|---|")
    for label, args in rows:
        print(f"| `{label}` | {median_seconds(args, repeat):.3f} |")


if __name__ == "__main__":
    main()
