"""``run-robustness``: probes on any dataset (a folder or a registered id), no suite needed.

It is a run of a one-benchmark suite made for the dataset, through the same runner as
``fmbench run`` (:func:`fmbench.running.suite_run.run_suite`: the lock, the journal, the
staging folder, the reporters): the model is evaluated with the ``zero_shot`` protocol on
every sample (the earlier project's behaviour), and the suite declares the probes, which
perturb the inputs batch by batch (see :mod:`fmbench.robustness.engine`). The primary metric
is AUROC for a classifier with probabilities, balanced accuracy for one without, R2 for
regression.

The ``eval.yaml`` keeps the earlier project's layout: ``benchmark_id: robustness_testing``,
the clean metrics and each probe's chance-relative rAUC in ``metrics``, and the full curves in
the ``robustness`` block; ``report.md`` has the rAUC table and a plot per probe.

Example:
    >>> primary_metric("classification", has_proba=False)
    'BalancedAccuracy'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from fmbench import capabilities
from fmbench.data.locate import load_dataset
from fmbench.errors import ConfigError, ModelError
from fmbench.models.config import ModelConfig
from fmbench.models.handle import load_model
from fmbench.plugin_system.registry import Registry
from fmbench.plugin_system.specs import (
    BenchmarkSpec,
    BootstrapSpec,
    MetricsDeclaration,
    ProbeEntry,
    SuiteEntry,
    SuiteSpec,
)
from fmbench.results.privacy import public_path
from fmbench.results.records import EvalDocument, Status
from fmbench.robustness.engine import plan_probes
from fmbench.running.suite_run import RunOptions, RunResult, run_suite

__all__ = [
    "BENCHMARK_ID",
    "RobustnessOptions",
    "StandaloneRobustness",
    "primary_metric",
    "robustness_layout",
    "run_robustness",
]

#: The benchmark id of a run-robustness result (the earlier project's name).
BENCHMARK_ID = "robustness_testing"
#: The suite name a run-robustness result carries (its eval_id starts with it).
SUITE_ID = "ROBUSTNESS"


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


@attrs.frozen(kw_only=True)
class StandaloneRobustness:
    """What the eval document of a run-robustness call says beyond a suite run's."""

    data: str
    sampling_freq: float | None
    modality: str | None
    probes: tuple[str, ...]

    def layout(self, document: EvalDocument) -> EvalDocument:
        """The document of the run, in run-robustness's layout (:func:`robustness_layout`)."""
        return robustness_layout(document, self)


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


def _subject_unit(metadata: Mapping[str, Any]) -> str | None:
    """``subject_id`` when the data has subjects with several samples (windows of one subject
    are not independent: intervals and the signal gate then resample subjects), else None."""
    subjects = metadata.get("subject_id")
    if subjects is None:
        return None
    values = [str(v) for v in subjects]
    return "subject_id" if len(set(values)) < len(values) else None


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
    """Run the probes on ``data`` and write ``eval.yaml``, ``report.md`` and ``plots/``."""
    dataset, _ = load_dataset(registry, data, root=options.data_root)
    facts: dict[str, Any] = {}
    if options.sampling_freq is not None:
        if options.sampling_freq <= 0:
            raise ConfigError(f"--sampling-freq must be positive, got {options.sampling_freq:g}")
        facts["sampling_freq"] = float(options.sampling_freq)
        dataset.info.update(facts)
    label = f"dataset {dataset.dataset_id}"
    plans = plan_probes(
        registry, _entries(options.probes, options.levels), dataset.info, dataset_label=label
    )
    chosen = {p.name for p in plans}
    unknown = [name for name in options.levels if name not in chosen]
    if unknown:
        raise ConfigError(
            f"--levels names {', '.join(repr(n) for n in unknown)}, which is not among the "
            f"probes that run ({', '.join(sorted(chosen))})"
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
        bootstrap=BootstrapSpec(unit=_subject_unit(dataset.metadata)),
    )
    probes = tuple(
        ProbeEntry(name=p.name, levels=options.levels.get(p.name) or p.levels) for p in plans
    )
    suite = SuiteSpec(
        name=SUITE_ID,
        summary="run-robustness: probes on one dataset",
        benchmarks=(SuiteEntry(benchmark=BENCHMARK_ID, dataset=data),),
        probes=probes,
    )
    run_options = RunOptions(
        seed=options.seed,
        batch_size=options.batch_size,
        data_root=options.data_root,
        overwrite=options.overwrite,
        progress=options.progress,
        command=options.command,
        model_config_path=options.model_config_path,
        dataset_info=facts,
        command_name="run-robustness",
        document_layout=StandaloneRobustness(
            data=data,
            sampling_freq=dataset.info.get("sampling_freq"),
            modality=dataset.info.get("modality"),
            probes=tuple(p.name for p in plans),
        ).layout,
    )
    return run_suite(
        registry, suite, model_config, out_dir, run_options,
        benchmarks={BENCHMARK_ID: benchmark}, model=model,
    )  # fmt: skip


def robustness_layout(document: EvalDocument, run: StandaloneRobustness) -> EvalDocument:
    """The run-robustness fields: the command, the data, the probes, per-probe rAUCs.

    Example:
        >>> from fmbench.results.records import EvalDocument, Status
        >>> doc = EvalDocument(schema_version="1.0", eval_id="e", benchmark_id=BENCHMARK_ID,
        ...                    status=Status.COMPLETED, run_metadata={"suite_id": "ROBUSTNESS"})
        >>> run = StandaloneRobustness(data="/home/a/eeg", sampling_freq=160.0,
        ...                            modality="eeg", probes=("noise",))
        >>> meta = robustness_layout(doc, run).run_metadata
        >>> meta["command_name"], meta["data_dir"], "suite_id" in meta
        ('run-robustness', 'eeg', False)
    """
    meta = {
        k: v for k, v in document.run_metadata.items() if k not in ("suite_id", "suite_version")
    }
    meta.update(
        command_name="run-robustness",
        data_dir=public_path(run.data),
        sampling_freq=run.sampling_freq,
        modality=run.modality,
        probes=list(run.probes),
    )
    metrics = dict(document.metrics)
    block = (document.robustness or {}).get(BENCHMARK_ID)
    status = document.status
    if block is not None:
        for name, probe in block.probes.items():
            metrics[f"{name}_rAUC"] = (
                probe.relative_rauc if probe.status.value == "Completed" else None
            )
        metrics["robustness_score"] = block.robustness_score
        if block.status is not Status.COMPLETED and status is Status.COMPLETED:
            status = Status.PARTIAL
    return attrs.evolve(document, run_metadata=meta, metrics=metrics, status=status)
