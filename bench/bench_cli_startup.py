"""Wall time of `fmbench --help`, `fmbench plugins list` and `fmbench list-suites` (target:
at most 0.25 s for `--help` and `plugins list`).

The commands run alternately, `--repeat` times each, and the median and the fastest run are
printed. Before timing, fmbench's modules are compiled to bytecode (as `pip install` does;
an editable checkout run with PYTHONDONTWRITEBYTECODE=1 would otherwise compile them at every
start) and each command runs once, which fills the start-up cache
(`fmbench.plugin_system.startup_cache`); one row measures listing with that cache turned off.

`--reference-src FOLDER` adds the same listing commands run from another checkout's source
(e.g. `git archive COMMIT | tar -x -C FOLDER`), through PYTHONPATH with this virtualenv, in
the same alternation.

Run: .venv/bin/python bench/bench_cli_startup.py [--repeat 15] [--reference-src /tmp/old]
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("fmbench", "fmbench-neuro/fmbench_neuro", "fmbench-genomics/fmbench_genomics")


def compile_sources(root: Path) -> None:
    for package in PACKAGES:
        if (root / package).is_dir():
            compileall.compile_dir(str(root / package), quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--reference-src", type=Path, default=None)
    args = parser.parse_args()
    exe = str(Path(sys.executable).with_name("fmbench"))
    plain = dict(os.environ)
    no_cache = {**plain, "FMBENCH_NO_STARTUP_CACHE": "1"}
    rows: list[tuple[str, list[str], dict[str, str]]] = [
        ("python -c pass", [sys.executable, "-c", "pass"], plain),
        (
            "import click, pluggy, yaml, attrs, cattrs",
            [sys.executable, "-c", "import click, pluggy, yaml, attrs, cattrs"],
            plain,
        ),
        ("fmbench --help", [exe, "--help"], plain),
        ("fmbench plugins list", [exe, "plugins", "list"], plain),
        ("fmbench list-suites", [exe, "list-suites"], plain),
        ("fmbench plugins list, start-up cache off", [exe, "plugins", "list"], no_cache),
    ]
    compile_sources(ROOT)
    if args.reference_src is not None:
        source = args.reference_src.resolve()
        compile_sources(source)
        path = os.pathsep.join(str(source / p) for p in (".", "fmbench-genomics", "fmbench-neuro"))
        reference = {**plain, "PYTHONPATH": path}
        for listing in ("plugins list", "list-suites"):
            label = f"fmbench {listing}, source of {source.name}"
            rows.append((label, [exe, *listing.split()], reference))
    times: list[list[float]] = [[] for _ in rows]
    for _, command, env in rows:  # warm-up: file cache, start-up cache
        subprocess.run(command, check=True, capture_output=True, env=env, cwd=ROOT)
    for _ in range(args.repeat):
        for i, (_, command, env) in enumerate(rows):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env=env, cwd=ROOT)
            times[i].append(time.perf_counter() - start)
    print(f"| command | median wall time (s), {args.repeat} runs | fastest |")
    print("|---|---|---|")
    for (label, _, _), measured in zip(rows, times, strict=True):
        print(f"| `{label}` | {statistics.median(measured):.3f} | {min(measured):.3f} |")


if __name__ == "__main__":
    main()
