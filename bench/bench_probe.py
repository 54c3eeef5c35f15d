"""Time the linear probe at foundation-model size, end to end through ``fmbench run``.

Builds a deterministic array folder of synthetic "embeddings" (float32, ``--n`` x ``--dim``)
with a known class signal, a subject fingerprint and a ``subject_id`` grouping column, then
runs ``fmbench run --suite SUITE-TOY-PROBE --dataset FOLDER --model raw_features_baseline``
(standardised logistic regression, C tuned in grouped inner folds, subject-grouped 5-fold
outer split, 1000-resample bootstrap) and reports the median over ``--repeat`` runs of the
wall time, the CPU time (user + system) of the run, the ``fit`` and ``bootstrap`` phases recorded
in eval.yaml, the AUROC, the chosen
C per fold, and the load average (the machine is shared: compare numbers measured together).

Run: ``.venv/bin/python bench/bench_probe.py --n 10000 --dim 768 --classes 2,10 --repeat 2``.
``--pbmc FILE.h5ad`` also times ``SUITE-GEN-PBMC68K`` with ``baseline_expression_pca_logreg``
(BM-PBMC68K-CELLTYPE's ``linear_probe`` on the 765 log-normalised genes) on the real PBMC 68k
reduced file (``/work/shared/data/real/10x_pbmc68k_reduced.h5ad``). ``--search`` also times one
outer fold's search in-process (the earlier grid search against the new one, each with the
default BLAS threads and with one).

``--reference-src DIR`` runs every case a second time with another checkout's source first on
the path (``PYTHONPATH=DIR:DIR/fmbench-genomics:DIR/fmbench-neuro``, the same virtualenv) and
prints the speed-up and the AUROC difference, e.g. against main before the change:
``mkdir /tmp/old && git archive main | tar -x -C /tmp/old`` then
``--reference-src /tmp/old``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml


def build_folder(
    folder: Path, *, n: int, dim: int, classes: int, subjects: int, seed: int
) -> dict[str, Any]:
    """Write ``X.npy`` (float32), ``y.npy``, ``metadata.csv`` (subject_id, site, sex).

    Each class has a mean on a random 8-dimensional subspace; each subject adds its own
    fingerprint (an offset as large as the class signal, unrelated to the label); the
    dimensions have decaying scales, as FM embeddings do.
    """
    from fmbench.data.toy_files import write_array_dataset

    rng = np.random.default_rng(seed)
    subject = np.arange(n) % subjects
    rng.shuffle(subject)
    y = rng.integers(0, classes, n)
    basis = np.linalg.qr(rng.standard_normal((dim, 8)))[0]
    class_means = rng.standard_normal((classes, 8)) * 0.12
    fingerprints = rng.standard_normal((subjects, dim)) * 0.35 / np.sqrt(dim / 8)
    scales = 1.0 / np.sqrt(1.0 + np.arange(dim) / 32.0)
    X = rng.standard_normal((n, dim)) * scales
    X += class_means[y] @ basis.T + fingerprints[subject]
    write_array_dataset(
        folder,
        X=X.astype(np.float32),
        y=y.astype(np.int64),
        metadata={
            "subject_id": [f"s{s:04d}" for s in subject],
            "site": [f"site{s % 4}" for s in subject],
            "sex": ["F" if s % 2 else "M" for s in subject],
        },
        info={"modality": "embedding", "task": "classification", "n_classes": classes},
    )
    return {"n": n, "dim": dim, "classes": classes, "subjects": subjects}


def source_env(source: Path | None) -> dict[str, str] | None:
    """The environment that runs another checkout's fmbench (its source first on the path)."""
    if source is None:
        return None
    source = source.resolve()
    paths = [source, source / "fmbench-genomics", source / "fmbench-neuro"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in paths)}
    where = subprocess.run(
        [sys.executable, "-c", "import fmbench; print(fmbench.__file__)"],
        capture_output=True, text=True, check=True, env=env, cwd=tempfile.gettempdir(),
    ).stdout.strip()  # fmt: skip
    if not Path(where).is_relative_to(source):
        raise SystemExit(f"--reference-src {source}: fmbench is imported from {where} instead")
    return env


def run_once(args: list[str], out: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """One ``fmbench run``: wall time, phases, AUROC, chosen C and the load average.

    It runs in the temporary folder, not here: ``python -m`` puts its working folder first on
    the path, which would shadow a reference checkout given by ``PYTHONPATH``."""
    load_before = os.getloadavg()[0]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "fmbench", "run", *args, "--out", str(out), "--no-progress",
         "--overwrite"],
        capture_output=True, text=True, check=False, env=env, cwd=out.parent,
    )  # fmt: skip
    wall = time.perf_counter() - start
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"fmbench run failed:\n{done.stdout}\n{done.stderr}")
    doc = yaml.safe_load((out / "eval.yaml").read_text())
    (record,) = doc["benchmarks"]
    phases = record["resources"]["phases_s"]
    primary = record["primary_metric"]
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "fit_s": phases.get("fit"),
        "bootstrap_s": phases.get("bootstrap"),
        "phases_s": {k: round(float(v), 2) for k, v in phases.items()},
        "auroc": record["metrics"].get("AUROC"),
        "primary": f"{primary['name']} {primary['value']}",
        "chosen": record.get("protocol_details", {}).get("chosen"),
        "load": (load_before + os.getloadavg()[0]) / 2,
    }


def time_search(folder: Path, repeat: int) -> None:
    """In-process, one outer training split (the first grouped fold): the earlier grid search
    (``GridSearchCV`` + ``cross_val_predict`` for training predictions) against
    :func:`~fmbench.evaluation.probe_search.tune_logistic`, each with BLAS on its default
    threads and on one thread, so the speed-up can be told apart."""
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_info, threadpool_limits

    from fmbench.data.dataset import load_array_folder
    from fmbench.evaluation.inner_folds import inner_folds
    from fmbench.evaluation.probe_search import tune_logistic
    from fmbench.evaluation.splits import make_folds
    from fmbench.plugin_system.specs import SplitSpec

    data = load_array_folder(folder)
    split = SplitSpec(method="kfold", folds=5, group_by="subject_id", stratify=True)
    train = make_folds(data, split, seed=42)[0].train
    X, y = np.asarray(data.X)[train], np.asarray(data.y)[train]
    groups = np.asarray(data.metadata["subject_id"], dtype=object)[train]
    splits = list(inner_folds(y, groups=groups, group_by="subject_id", task="classification",
                              seed=42, where="bench").splits)  # fmt: skip
    grid = (0.01, 0.1, 1.0, 10.0)

    def grid_search() -> None:
        pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        search = GridSearchCV(pipe, {"logisticregression__C": list(grid)}, cv=splits,
                              scoring="balanced_accuracy").fit(X, y)  # fmt: skip
        cross_val_predict(clone(search.best_estimator_), X, y, cv=splits, method="predict_proba")

    default = max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")
    for name, work in (("GridSearchCV + cross_val_predict", grid_search),
                       ("tune_logistic", lambda: tune_logistic(X, y, splits, grid))):  # fmt: skip
        for threads in (default, 1):
            times = []
            for _ in range(repeat):
                with threadpool_limits(limits=threads, user_api="blas"):
                    start = time.perf_counter()
                    work()
                    times.append(time.perf_counter() - start)
            print(f"one outer fold ({len(y)} x {X.shape[1]}), {name}, {threads} BLAS "
                  f"thread(s): {statistics.median(times):.2f} s (median of {repeat}), "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip


def median(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in rows if isinstance(r.get(key), (int, float))]
    return statistics.median(values) if values else None


def spread(rows: list[dict[str, Any]], key: str) -> str:
    values = [r[key] for r in rows if isinstance(r.get(key), (int, float))]
    return f"{min(values):.1f}-{max(values):.1f}" if values else "-"


def report(label: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("wall_s", "cpu_s", "fit_s", "bootstrap_s", "load")
    summary = {
        "case": label,
        "runs": len(rows),
        **{k: median(rows, k) for k in keys},
        "every_run": [{k: r.get(k) for k in keys} for r in rows],
        "auroc": rows[0]["auroc"],
        "auroc_same_every_run": len({json.dumps(r["auroc"]) for r in rows}) == 1,
        "chosen": rows[0]["chosen"],
    }
    print(
        f"{label}: wall {summary['wall_s']:.1f} s, CPU {summary['cpu_s']:.1f} s, "
        f"fit {summary['fit_s'] or 0:.1f} s, "
        f"bootstrap {summary['bootstrap_s'] or 0:.1f} s, AUROC {summary['auroc']}, "
        f"load {summary['load']:.1f} (median of {len(rows)}); chosen {summary['chosen']}",
        flush=True,
    )
    print(f"  phases of the first run (s): {rows[0]['phases_s']}", flush=True)
    if len(rows) > 1:
        print(
            f"  range over {len(rows)} runs: wall {spread(rows, 'wall_s')} s, CPU "
            f"{spread(rows, 'cpu_s')} s, fit {spread(rows, 'fit_s')} s, bootstrap "
            f"{spread(rows, 'bootstrap_s')} s, load {spread(rows, 'load')}",
            flush=True,
        )
    return summary


def macro_auroc(value: Any) -> float | None:
    """AUROC as eval.yaml writes it: a number (binary, or the macro average)."""
    return float(value) if isinstance(value, (int, float)) else None


def versus(label: str, mine: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    """This checkout against the reference one on the same case: speed-up and AUROC gap."""
    a, b = macro_auroc(mine["auroc"]), macro_auroc(reference["auroc"])
    gap = None if a is None or b is None else abs(a - b)
    print(
        f"{label}: reference wall {reference['wall_s']:.1f} s (fit "
        f"{reference['fit_s'] or 0:.1f} s) -> {mine['wall_s']:.1f} s (fit {mine['fit_s'] or 0:.1f}"
        f" s), x{reference['wall_s'] / mine['wall_s']:.1f}; |AUROC difference| "
        f"{'n/a' if gap is None else f'{gap:.6f}'}",
        flush=True,
    )
    return {"case": label, "reference": reference, "auroc_difference": gap}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="samples")
    parser.add_argument("--dim", type=int, default=768, help="embedding dimensions")
    parser.add_argument("--classes", default="2,10", help="comma-separated class counts")
    parser.add_argument("--subjects", type=int, default=200, help="distinct subject_id values")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (median reported)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic data")
    parser.add_argument("--pbmc", type=Path, default=None, help="also time PBMC 68k (h5ad)")
    parser.add_argument("--json", type=Path, default=None, help="write the summaries here")
    parser.add_argument("--search", action="store_true",
                        help="also time the search of one outer fold in-process: grid search "
                        "vs tune_logistic, default vs one BLAS thread")  # fmt: skip
    parser.add_argument("--reference-src", type=Path, default=None,
                        help="also run every case with another checkout's source first on the "
                        "path (e.g. `git archive main | tar -x -C /tmp/old`) and print the "
                        "speed-up and the AUROC difference")  # fmt: skip
    ns = parser.parse_args()
    summaries: list[dict[str, Any]] = []
    reference = source_env(ns.reference_src)

    def case(label: str, args: list[str], out: Path) -> None:
        rows = [run_once(args, out) for _ in range(ns.repeat)]
        summaries.append(report(label, rows))
        if reference is not None:
            old = report(f"{label} [reference]", [run_once(args, out, reference)
                                                   for _ in range(ns.repeat)])  # fmt: skip
            summaries[-1]["versus_reference"] = versus(label, summaries[-1], old)

    with tempfile.TemporaryDirectory(prefix="bench_probe_") as tmp:
        root = Path(tmp)
        for classes in [int(c) for c in ns.classes.split(",") if c]:
            folder = root / f"emb_{classes}"
            build_folder(
                folder, n=ns.n, dim=ns.dim, classes=classes, subjects=ns.subjects, seed=ns.seed
            )
            args = ["--suite", "SUITE-TOY-PROBE", "--dataset", str(folder),
                    "--model", "raw_features_baseline"]  # fmt: skip
            case(f"{ns.n} x {ns.dim} float32, {classes} classes", args, root / "out")
            if ns.search:
                time_search(folder, ns.repeat)
        if ns.pbmc is not None:
            args = ["--suite", "SUITE-GEN-PBMC68K", "--dataset", str(ns.pbmc.resolve()),
                    "--model", "baseline_expression_pca_logreg"]  # fmt: skip
            case("PBMC 68k reduced (700 x 765), 10 classes", args, root / "out")
    if ns.json is not None:
        ns.json.write_text(json.dumps(summaries, indent=2, default=str))


if __name__ == "__main__":
    main()
