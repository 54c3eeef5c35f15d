"""``run-robustness``: probes on any dataset (a folder or a registered id), no suite needed.

The model is evaluated with the ``zero_shot`` protocol on every sample (the earlier project's
behaviour): its own ``predict_proba`` (or ``predict``) gives the clean outputs once, then each
probe perturbs the inputs batch by batch (see :mod:`fmbench.robustness.engine`). The primary metric is
AUROC for a classifier with probabilities, balanced accuracy for one without, R2 for regression.

The result is an ``eval.yaml`` with ``benchmark_id: robustness_testing`` (as in the earlier
project), a ``benchmarks`` entry holding the clean metrics, and a ``robustness`` block with
the full curves; ``report.md`` has the rAUC table and a plot per probe.

Example:
    >>> primary_metric("classification", has_proba=False)
    'BalancedAccuracy'
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from fmbench import capabilities
from fmbench.data.locate import load_dataset
from fmbench.errors import ConfigError, ModelError
from fmbench.io import atomic_write_text
from fmbench.models.config import ModelConfig
from fmbench.models.handle import load_model
from fmbench.plugin_system.registry import Registry
from fmbench.plugin_system.specs import (
    BenchmarkSpec,
    MetricsDeclaration,
    ProbeEntry,
    SuiteEntry,
    SuiteSpec,
)
from fmbench.results.eval_file import write_eval
from fmbench.robustness.engine import evaluate_probes, plan_probes
from fmbench.running.suite_run import (
    RunOptions,
    RunResult,
    _utc_now,
    build_document,
    evaluate_benchmark,
)

__all__ = ["BENCHMARK_ID", "RobustnessOptions", "primary_metric", "run_robustness"]

#: The benchmark id of a run-robustness result (the earlier project's name).
BENCHMARK_ID = "robustness_testing"
_SUITE = SuiteSpec(
    name="ROBUSTNESS",
    summary="run-robustness: probes on one dataset",
    benchmarks=(SuiteEntry(benchmark=BENCHMARK_ID),),
)


@attrs.define(kw_only=True)
class RobustnessOptions:
    """Settings of a ``run-robustness`` call."""

    probes: tuple[str, ...] | None = None
    levels: Mapping[str, tuple[float, ...]] = attrs.field(factory=dict)
    sampling_freq: float | None = None
    seed: int = 42
    batch_size: int = 256
    data_root: str | None = None
    overwrite: bool = False
    progress: bool = True
    command: str = ""
    model_config_path: str = ""


def primary_metric(task: str, *, has_proba: bool) -> str:
    """The metric a bare dataset is scored with."""
    if task == "regression":
        return "R2"
    return "AUROC" if has_proba else "BalancedAccuracy"


def _secondary(task: str, primary: str) -> tuple[str, ...]:
    names = (
        ("MSE", "MAE", "PearsonR")
        if task == "regression"
        else ("Accuracy", "BalancedAccuracy", "F1-Score")
    )
    return tuple(n for n in names if n != primary)


def _entries(
    probes: Sequence[str] | None, levels: Mapping[str, tuple[float, ...]]
) -> list[ProbeEntry] | None:
    if probes is None:
        return None  # the default selection; --levels is applied to it by the caller
    return [ProbeEntry(name=name, levels=levels.get(name)) for name in probes]


def run_robustness(
    registry: Registry,
    model_config: ModelConfig,
    data: str,
    out_dir: Path,
    options: RobustnessOptions,
) -> RunResult:
    """Run the probes on ``data`` and write ``eval.yaml``, ``report.md`` and ``plots/``.

    The files are written into a staging folder swapped in as a whole at the end (see
    :mod:`fmbench.running.output_folder`), under the same lock as ``run``.
    """
    from fmbench.running.output_folder import OutputFolder

    with OutputFolder(out_dir, overwrite=options.overwrite) as folder:
        result = _run_robustness(registry, model_config, data, out_dir, options, folder.staging)
        folder.commit(keep_journal=False)  # run-robustness keeps no journal: nothing to resume
    result.out_dir = out_dir
    return result


def _run_robustness(
    registry: Registry,
    model_config: ModelConfig,
    data: str,
    out_dir: Path,
    options: RobustnessOptions,
    staging: Path,
) -> RunResult:
    from fmbench.reporting.markdown import render_report
    from fmbench.reporting.robustness import robustness_sections

    dataset, _ = load_dataset(registry, data, root=options.data_root)
    if options.sampling_freq is not None:
        if options.sampling_freq <= 0:
            raise ConfigError(f"--sampling-freq must be positive, got {options.sampling_freq:g}")
        dataset.info["sampling_freq"] = float(options.sampling_freq)
    label = f"dataset {dataset.dataset_id}"
    entries = _entries(options.probes, options.levels)
    plans = plan_probes(registry, entries, dataset.info, dataset_label=label)
    chosen = {p.name for p in plans}
    unknown = [name for name in options.levels if name not in chosen]
    if unknown:
        raise ConfigError(
            f"--levels names {', '.join(repr(n) for n in unknown)}, which is not among the "
            f"probes that run ({', '.join(sorted(chosen))})"
        )
    if options.probes is None and options.levels:
        plans = plan_probes(
            registry,
            [ProbeEntry(name=p.name, levels=options.levels.get(p.name)) for p in plans],
            dataset.info,
            dataset_label=label,
        )
    task = str(dataset.info.get("task") or "classification")
    model = load_model(registry, model_config)
    needs = capabilities.CLASSIFIES if task == "classification" else (capabilities.Predicts,)
    if not model.has(needs):
        names = capabilities.describe_group(needs)
        raise ModelError(
            f"model {model.model_id!r} has no {names}: run-robustness scores the model's own "
            "predictions (zero_shot). An encoder with only embed() needs a benchmark with a "
            "linear_probe protocol; robustness probes are not run on fitted probes"
        )
    primary = primary_metric(task, has_proba=model.has(capabilities.PredictsProba))
    benchmark = BenchmarkSpec(
        name=BENCHMARK_ID,
        summary="robustness probes on one dataset (zero_shot on every sample)",
        task=task,
        dataset=dataset.dataset_id,
        metrics=MetricsDeclaration(primary=primary, secondary=_secondary(task, primary)),
        protocol="zero_shot",
    )
    run_options = RunOptions(
        seed=options.seed,
        batch_size=options.batch_size,
        progress=options.progress,
        command=options.command,
        model_config_path=options.model_config_path,
    )
    started = _utc_now()
    t0 = time.perf_counter()
    outcome = evaluate_benchmark(registry, benchmark, model, run_options, dataset=dataset)
    assert outcome.predictions is not None
    block = evaluate_probes(
        registry,
        plans,
        dataset=dataset,
        predictions=outcome.predictions,
        model=model,
        task=task,
        primary_metric=primary,
        seed=options.seed,
        batch_size=options.batch_size,
        progress=options.progress,
    )
    blocks = {
        BENCHMARK_ID: {"benchmark_id": BENCHMARK_ID, "dataset_id": dataset.dataset_id, **block}
    }
    document = build_document(
        registry,
        _SUITE,
        model,
        [outcome],
        run_options,
        started=started,
        out_dir=out_dir,
        wall=time.perf_counter() - t0,
    )
    _adapt_document(document, block, dataset.source or data, dataset.info, plans)
    document["robustness"] = blocks
    result = RunResult(suite=_SUITE, model=model, outcomes=[outcome], document={}, out_dir=staging)
    result.extras["robustness"] = blocks
    sections = robustness_sections(blocks, staging, single=True)
    result.document = write_eval(staging / "eval.yaml", document)
    text = render_report(result.document, sections)
    atomic_write_text(staging / "report.md", _retitle(text, dataset.dataset_id))
    return result


def _adapt_document(
    document: dict[str, Any],
    block: Mapping[str, Any],
    data_dir: str,
    info: Mapping[str, Any],
    plans: Sequence[Any],
) -> None:
    """The run-robustness fields: data_dir, sampling_freq, probes, per-probe rAUCs."""
    meta = document["run_metadata"]
    meta.pop("suite_id", None)
    meta.pop("suite_version", None)
    meta["command_name"] = "run-robustness"
    meta["data_dir"] = str(data_dir)
    meta["sampling_freq"] = info.get("sampling_freq")
    meta["modality"] = info.get("modality")
    meta["probes"] = [p.name for p in plans]
    metrics = document["metrics"]
    for name, record in block["probes"].items():
        if record["status"] == "Completed":
            metrics[f"{name}_rAUC"] = record["performance"]["relative_rAUC"]
        else:
            metrics[f"{name}_rAUC"] = None
    metrics["robustness_score"] = block["robustness_score"]
    if block["status"] != "Completed" and document["status"] == "Completed":
        document["status"] = "Partial"


def _retitle(text: str, dataset_id: str) -> str:
    """run-robustness has no suite: say what ran instead of a suite line."""
    lines = text.split("\n")
    out = []
    for line in lines:
        if line.startswith("# fmbench report:"):
            out.append("# fmbench robustness report")
        elif line.startswith("- Suite:"):
            out.append(f"- Command: run-robustness on `{dataset_id}`")
        else:
            out.append(line)
    return "\n".join(out)
