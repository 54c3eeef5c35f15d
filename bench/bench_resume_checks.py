"""What the safety checks of issue #21 cost: code hashing, resume checks, archive layout.

Usage::

    python bench/bench_resume_checks.py             # prints a Markdown table
    python bench/bench_resume_checks.py --members 20000 --repeat 5

Measures (best of ``--repeat``):

1. ``model_code_sha256`` of a ``python_class`` wrapper importing one local helper, and of
   fmbench's own ``torch_module`` wrapper (which reaches most of the fmbench package);
2. ``fmbench run`` of SUITE-TOY-CLASS into a fresh folder, then ``--resume`` with nothing
   changed (every unit replayed after its dataset's content hash is re-computed), both as
   subprocesses (start-up included);
3. ``safe_extract`` of a tar of ``--members`` small files plus as many links into them:
   tarfile reading the headers alone, the in-memory layout and link resolution (headers
   included), and the whole unpacking.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

MODEL = """
import numpy as np
import bench_helper


class Wrapper:
    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-np.asarray(X)[:, :10].sum(axis=1) / 3))
        return np.column_stack([1 - p, p])
"""


def best(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def code_hashing(folder: Path, repeat: int) -> list[tuple[str, float]]:
    from fmbench.models.code_hash import module_sources_sha256

    (folder / "bench_wrapper.py").write_text(MODEL)
    (folder / "bench_helper.py").write_text("SCALE = 1\n")
    sys.path.insert(0, str(folder))
    import bench_wrapper  # noqa: F401 - imported as a run would

    from fmbench.models import code_hash

    n_fm = len(module_sources_sha256("fmbench.adapters.torch_module"))

    def torch_wrapper_first_time() -> None:
        code_hash._IMPORTS.clear()
        module_sources_sha256("fmbench.adapters.torch_module")

    return [
        (
            "model_code_sha256, python_class wrapper + 1 helper",
            best(lambda: module_sources_sha256("bench_wrapper"), repeat),
        ),
        (
            f"model_code_sha256, torch_module wrapper ({n_fm} fmbench modules), first call",
            best(torch_wrapper_first_time, repeat),
        ),
        (
            "model_code_sha256, torch_module wrapper, again (parsed imports remembered)",
            best(lambda: module_sources_sha256("fmbench.adapters.torch_module"), repeat),
        ),
    ]


def resume(folder: Path, repeat: int) -> list[tuple[str, float]]:
    env = {**os.environ, "PYTHONPATH": str(folder), "FMBENCH_NO_PLUGINS": "1"}
    (folder / "model.yaml").write_text(
        'model_id: bench\ntype: python_class\nimport_path: "bench_wrapper:Wrapper"\n'
    )
    subprocess.run(
        [sys.executable, "-m", "fmbench", "generate-toy-data"], cwd=folder, env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    base = [sys.executable, "-m", "fmbench", "run", "--suite", "SUITE-TOY-CLASS", "--model",
            "model.yaml", "--no-progress"]  # fmt: skip
    counter = iter(range(10**6))

    def fresh() -> None:
        out = f"fresh{next(counter)}"
        subprocess.run([*base, "--out", out], cwd=folder, env=env, check=True, capture_output=True)

    subprocess.run([*base, "--out", "kept"], cwd=folder, env=env, check=True, capture_output=True)

    def resumed() -> None:
        subprocess.run(
            [*base, "--out", "kept", "--resume"], cwd=folder, env=env, check=True,
            capture_output=True,
        )  # fmt: skip

    return [
        ("`fmbench run` SUITE-TOY-CLASS, fresh folder", best(fresh, repeat)),
        ("`fmbench run --resume`, nothing changed (1 unit replayed)", best(resumed, repeat)),
    ]


def archive(folder: Path, members: int, repeat: int) -> list[tuple[str, float]]:
    from fmbench.data import archives

    path = folder / "many.tar"
    with tarfile.open(path, "w") as tar:
        for i in range(members):
            info = tarfile.TarInfo(f"d{i % 100}/f{i}.txt")
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
        for i in range(members):
            info = tarfile.TarInfo(f"links/l{i}")
            info.type = tarfile.SYMTYPE
            info.linkname = f"../d{i % 100}/f{i}.txt"
            tar.addfile(info)

    def members_only() -> None:
        with tarfile.open(path) as tar:
            tar.getmembers()

    def layout() -> None:
        with tarfile.open(path) as tar:
            archives._tar_layout(path, tar, ())

    counter = iter(range(10**6))
    return [
        (f"tarfile reading the headers alone, {members:,} + {members:,}", best(members_only, 1)),
        (
            f"archive layout check (headers included), {members:,} files + {members:,} links",
            best(layout, repeat),
        ),
        (
            f"safe_extract, {members:,} files + {members:,} links",
            best(lambda: archives.safe_extract(path, folder / f"out{next(counter)}"), repeat),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = code_hashing(folder, args.repeat)
        rows += resume(folder, args.repeat)
        rows += archive(folder, args.members, args.repeat)
    print(f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs\n")
    print(f"| what | best of {args.repeat} |")
    print("|---|---|")
    for what, seconds in rows:
        shown = f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"
        print(f"| {what} | {shown} |")


if __name__ == "__main__":
    main()
