"""Wall time and peak RSS of the earlier README's toy run, end to end (a new process each time):

    fmbench run --suite SUITE-TOY-CLASS --model configs/model_dummy_classifier.yaml \\
        --out results/r --no-progress

The toy data is generated once into a temporary folder; fmbench's modules are compiled to
bytecode first (as `pip install` does) and one untimed run warms the file cache and the
start-up cache. `--reference-src FOLDER` alternates each run with the same command run from
another checkout's source (e.g. `git archive COMMIT | tar -x -C FOLDER`) through PYTHONPATH
with this virtualenv, so that the machine's load affects both alike. `--reference-import
MODULE` adds a third variant: that source with MODULE imported at start-up (a
`sitecustomize.py` first on PYTHONPATH), e.g. to tell the cost of an import that a later
feature needs from the cost of the rest of the code.

Run: .venv/bin/python bench/bench_toy_run.py [--repeat 7] [--reference-src /tmp/old
     [--reference-import scipy.special]]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_cli_startup import compile_sources

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "configs" / "model_dummy_classifier.yaml"


def timed_run(env: dict[str, str], workdir: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one toy run in a new process."""
    out = workdir / "r"
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "fmbench", "run", "--suite", "SUITE-TOY-CLASS",
               "--model", str(MODEL), "--out", str(out), "--no-progress"]  # fmt: skip
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        assert process.stderr is not None
        raise SystemExit(f"the toy run failed: {process.stderr.read().decode()}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--reference-src", type=Path, default=None)
    parser.add_argument("--reference-import", default=None, metavar="MODULE")
    args = parser.parse_args()
    variants = {"this checkout": dict(os.environ)}
    compile_sources(ROOT)
    if args.reference_src is not None:
        source = args.reference_src.resolve()
        compile_sources(source)
        path = os.pathsep.join(str(source / p) for p in (".", "fmbench-genomics", "fmbench-neuro"))
        variants[f"source of {source.name}"] = {**os.environ, "PYTHONPATH": path}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if args.reference_src is not None and args.reference_import:
            hook = workdir / "hook"
            hook.mkdir()
            (hook / "sitecustomize.py").write_text(f"import {args.reference_import}\n")
            label = f"source of {source.name} + import {args.reference_import}"
            variants[label] = {**os.environ, "PYTHONPATH": f"{hook}{os.pathsep}{path}"}
        subprocess.run(
            [sys.executable, "-m", "fmbench", "generate-toy-data", "--only", "DS-TOY-FMRI-CLASS"],
            cwd=workdir, check=True, capture_output=True,
        )  # fmt: skip
        for env in variants.values():  # warm-up
            timed_run(env, workdir)
        walls: dict[str, list[float]] = {name: [] for name in variants}
        peaks: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.repeat):
            for name, env in variants.items():
                wall, peak = timed_run(env, workdir)
                walls[name].append(wall)
                peaks[name].append(peak)
    print(f"| code | median wall time (s), {args.repeat} runs | range | peak RSS (MiB) |")
    print("|---|---|---|---|")
    for name in variants:
        w = walls[name]
        print(
            f"| {name} | {statistics.median(w):.2f} | {min(w):.2f}-{max(w):.2f} | "
            f"{statistics.median(peaks[name]):.0f} |"
        )


if __name__ == "__main__":
    main()
