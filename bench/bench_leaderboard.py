"""Build a leaderboard from N generated eval files and report the time (target: 10,000 in 10 s).

Usage: python bench/bench_leaderboard.py [--n 10000] [--keep DIR] [--jobs N] [--steps]

After the build, the same files are read once more, in one process, by libyaml's safe loader
(``yaml.load(text, Loader=yaml.CSafeLoader)``), and the script prints the ratio build time /
libyaml time (target: at most 0.35), both measured in this run.

``--steps`` also times each step of reading one file, per file over the first 1,000 files
(one process; the fast reader's memo of checked words warm, as after the first files).

The files are synthetic but realistic in size and shape (a stratified block, intervals and a
real robustness block from a committed run-robustness file; about 10.8 KB each), correctly
signed, spread over 20 benchmarks and 500 models, 20 runs per model. Generation (about two
minutes for 10,000 files; ``--keep DIR`` reuses a generated folder) is not timed; the build
(find, read, validate, rank, write every output) is.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _robustness_block() -> dict:
    """A real robustness block (from a committed run-robustness eval file) as a template."""
    import glob

    import yaml

    path = sorted(
        glob.glob(str(Path(__file__).resolve().parents[1] / "evals" / "SUITE-ROBUSTNESS-*.yaml"))
    )[0]
    blocks = yaml.safe_load(Path(path).read_text())["robustness"]
    return dict(next(iter(blocks.values())), robustness_score=0.8)


ROBUSTNESS_BLOCK = _robustness_block()


def generate(folder: Path, n: int) -> None:
    from fmbench.leaderboard.synthetic import synthetic_eval, write_synthetic

    rng = random.Random(0)
    for i in range(n):
        value = round(rng.uniform(0.5, 0.95), 4)
        half = round(rng.uniform(0.01, 0.05), 4)
        strata = {
            col: {
                g: {"AUROC": round(rng.uniform(0.4, 0.99), 4), "Accuracy": 0.7, "N": 40}
                for g in ("A", "B", "C", "D")
            }
            for col in ("site", "sex", "scanner", "age")
        }
        bid = "BM-TOY-CLASS" if i % 20 == 0 else f"BM-GEN-{i % 20:02d}"
        doc = synthetic_eval(
            f"model-{i % 500:03d}",
            value,
            benchmark_id=bid,
            interval=(round(value - half, 4), round(min(value + half, 1.0), 4)),
            run=i,
            extra_metrics={"Accuracy": 0.7, "F1-Score": 0.6},
            stratified=strata,
            robustness={bid: ROBUSTNESS_BLOCK},
        )
        write_synthetic(folder / f"{i // 1000:02d}" / f"eval_{i:05d}.yaml", doc)


def libyaml_seconds(folder: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds libyaml's safe loader needs to read every eval file once (one
    process), and the number of files."""
    import yaml

    libyaml_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    paths = sorted(folder.rglob("*.yaml"))
    t0, c0 = time.perf_counter(), time.process_time()
    for path in paths:
        text = path.read_text(encoding="utf-8")
        yaml.load(text, Loader=libyaml_SafeLoader)  # noqa: S506 - a safe loader
    return time.perf_counter() - t0, time.process_time() - c0, len(paths)


def time_steps(folder: Path, registry: Any, count: int = 1000) -> None:
    """Milliseconds per file of each step of reading and checking an eval file."""
    import yaml

    from fmbench.leaderboard.collect import collect_evals
    from fmbench.leaderboard.rank import entries_summary
    from fmbench.results.eval_file import read_eval, schema_errors, verify_digest
    from fmbench.results.validation import check_eval
    from fmbench.results.yaml_reading import load_exact, load_fast

    paths = sorted(folder.rglob("*.yaml"))[:count]
    texts = [p.read_text(encoding="utf-8") for p in paths]
    docs = [load_fast(t) for t in texts]  # warms the memo and the validator below
    schema_errors(docs[0])
    libyaml_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    few = texts[: max(1, len(texts) // 20)]
    steps = [
        ("read the text", paths, lambda: [p.read_text(encoding="utf-8") for p in paths]),
        (
            "libyaml safe loader",
            texts,
            lambda: [yaml.load(t, Loader=libyaml_SafeLoader) for t in texts],  # noqa: S506
        ),
        ("PyYAML pure loader (yaml.safe_load)", few, lambda: [load_exact(t) for t in few]),
        ("fast reader (yaml-rs + its checks)", texts, lambda: [load_fast(t) for t in texts]),
        ("read_eval (fast reader + digest)", paths, lambda: [read_eval(p) for p in paths]),
        ("schema", docs, lambda: [schema_errors(d) for d in docs]),
        ("digest", docs, lambda: [verify_digest(d) for d in docs]),
        ("all checks of validate", docs, lambda: [check_eval(d, registry) for d in docs]),
        (
            "read + check + entries (1 process)",
            list(paths[0].parent.glob("*.yaml")),
            lambda: collect_evals(
                [str(p.parent) for p in paths[:1]],
                registry,
                jobs=1,
                summarize=entries_summary(registry),
            ),
        ),
    ]
    for name, items, step in steps:
        t0 = time.perf_counter()
        step()
        print(f"{name}: {(time.perf_counter() - t0) / len(items) * 1000:.3f} ms per file")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, default=None, help="generate into this folder")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: CPUs)")
    parser.add_argument("--steps", action="store_true", help="also time each step per file")
    args = parser.parse_args()
    from fmbench.leaderboard import build, write_site
    from fmbench.plugin_system.registry import build_registry

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp) / "evals"
        if not folder.exists():
            t0 = time.perf_counter()
            generate(folder, args.n)
            print(f"generated {args.n} files in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        registry = build_registry(external=False)
        cpu0 = os.times()
        t0 = time.perf_counter()
        board = build([str(folder)], registry, jobs=args.jobs)
        t_collect = time.perf_counter() - t0
        write_site(board, Path(tmp) / "site")
        total = time.perf_counter() - t0
        cpu1 = os.times()
        cpu = sum(cpu1[:4]) - sum(cpu0[:4])
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows = sum(len(b.rows) for b in board.boards)
        print(
            f"{args.n} eval files: read+validate+rank {t_collect:.2f} s, with every output "
            f"written {total:.2f} s; {len(board.boards)} boards, {rows} rows, "
            f"{len(board.rejected)} rejected; CPU time {cpu:.1f} s (all processes); "
            f"peak RSS {peak:.0f} MiB (main process)"
        )
        libyaml, libyaml_cpu, n_files = libyaml_seconds(folder)
        print(
            f"libyaml's safe loader reading the same {n_files} files once (one process): "
            f"{libyaml:.2f} s ({libyaml_cpu:.1f} s CPU); ratio build / libyaml = "
            f"{total / libyaml:.3f} wall (target <= 0.35), {cpu / libyaml_cpu:.3f} CPU time"
        )
        if args.steps:
            time_steps(folder, registry)
    return 0


if __name__ == "__main__":
    sys.exit(main())
