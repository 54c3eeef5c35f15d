"""A Benchmarking Run: one AI Solution on one suite, producing ``eval.yaml`` and reports.

Data flows one way: suite -> benchmarks -> dataset -> model -> predictions -> metrics ->
results -> reporters. A benchmark that fails is recorded as failed; the others still run.

Example:
    >>> from fmbench.running.suite_run import RunOptions
    >>> RunOptions().seed
    42
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from fmbench._version import __version__
from fmbench.data.dataset import Dataset, describe_shape, toy_root
from fmbench.data.locate import load_dataset
from fmbench.debugging import show_traceback
from fmbench.errors import ConfigError, DataError, FmbenchError, ModelError, ResultsError
from fmbench.evaluation.protocols import EvalContext, Predictions
from fmbench.evaluation.scoring import chance_level, score_metrics, stratified_metrics
from fmbench.evaluation.splits import make_folds
from fmbench.models.config import ModelConfig
from fmbench.models.embedding_cache import open_cache
from fmbench.models.handle import ModelHandle, load_model
from fmbench.plugin_system.registry import Registry
from fmbench.plugin_system.specs import (
    BenchmarkSpec,
    MetricSpec,
    ProtocolSpec,
    ReporterSpec,
    SuiteEntry,
    SuiteSpec,
    resolve,
)
from fmbench.resource_usage import peak_rss_mb
from fmbench.results.eval_file import SCHEMA_VERSION, write_eval
from fmbench.results.predictions import store_run_predictions
from fmbench.results.privacy import public_command, public_path, public_text
from fmbench.results.records import (
    BenchmarkResult,
    BenchmarkResults,
    EvalDocument,
    RobustnessResult,
    Status,
)
from fmbench.running.interruption import interrupted
from fmbench.running.journal import RunJournal, fingerprint
from fmbench.running.unit_guard import kill_after
from fmbench.statistics.intervals import add_statistics

__all__ = [
    "BenchmarkOutcome",
    "RunOptions",
    "RunResult",
    "evaluate_benchmark",
    "prepare_output_dir",
    "run_suite",
]


@attrs.define(kw_only=True)
class RunOptions:
    """Settings of a run that are not part of the suite."""

    seed: int = 42
    batch_size: int = 256
    data_root: str | None = None
    dataset: str | None = None
    protocol: str | None = None
    overwrite: bool = False
    progress: bool = True
    command: str = ""
    model_config_path: str = ""
    reporters: tuple[str, ...] | None = None
    n_resamples: int | None = None
    check_determinism: int = 0
    resume: bool = False
    executor: str = "inprocess"
    jobs: int = 1
    scheduler: str | None = None
    external: bool | None = None
    #: seconds one benchmark unit may take (None: no limit); enforced where the unit runs in
    #: a process's main thread (in-process and --jobs), not inside Dask's worker threads
    timeout: float | None = None
    #: embedding cache folder (None: $FMBENCH_CACHE or the user's cache folder)
    cache_dir: str | None = None
    #: reuse cached embeddings of clean data (``--no-cache`` turns it off)
    use_cache: bool = True
    #: facts that override the dataset's own (``run-robustness --sampling-freq``)
    dataset_info: Mapping[str, Any] = attrs.field(factory=dict)
    #: the command this run is (``run``, ``run-robustness``): a folder is resumed only by it
    command_name: str = "run"
    #: a last step applied to the document before it is signed and written; ``run-robustness``
    #: gives the earlier project's layout this way (``fmbench.robustness.standalone``)
    document_layout: Callable[[EvalDocument], EvalDocument] | None = None


@attrs.define(kw_only=True, eq=False)
class BenchmarkOutcome:
    """One benchmark's result: its record for ``eval.yaml`` and, when it ran, its predictions."""

    benchmark: BenchmarkSpec
    record: dict[str, Any]
    dataset: Dataset | None = None
    predictions: Predictions | None = None
    units: np.ndarray | None = None

    @property
    def ok(self) -> bool:
        return self.record.get("status") == "Completed"

    @property
    def dataset_sha256(self) -> str | None:
        """The content hash of the dataset the benchmark ran on (None if it did not run)."""
        sha: str | None = self.record.get("data", {}).get("sha256")
        return sha


@attrs.define(kw_only=True, eq=False)
class RunResult:
    """Everything a reporter needs: the signed document, the outcomes, where files go."""

    suite: SuiteSpec
    model: ModelHandle
    outcomes: list[BenchmarkOutcome]
    document: EvalDocument
    out_dir: Path

    @property
    def failed(self) -> list[BenchmarkOutcome]:
        return [o for o in self.outcomes if not o.ok]


def prepare_output_dir(out_dir: Path, *, overwrite: bool, marker: str = "eval.yaml") -> None:
    """Create ``out_dir``; refuse to replace earlier results unless ``overwrite``."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ResultsError(f"--out {out_dir} is a file; give a folder")
    if (out_dir / marker).exists() and not overwrite:
        raise ResultsError(
            f"{out_dir} already holds results ({marker}); choose another --out or pass --overwrite"
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResultsError(f"cannot create output folder {out_dir}: {exc.strerror}") from None
    if not os.access(out_dir, os.W_OK):
        raise ResultsError(f"output folder {out_dir} is not writable")


def _check_benchmark(
    registry: Registry, benchmark: BenchmarkSpec, dataset: Dataset, *, own_targets: bool = False
) -> list[str]:
    """Metric names of the benchmark, after checking them and the data against it.

    ``own_targets``: the protocol derives its targets (ProtocolSpec ``targets="protocol"``), so
    the dataset's label task is not compared with the benchmark's.
    """
    names = [benchmark.metrics.primary, *benchmark.metrics.secondary]
    for name in names:
        spec = registry.get(MetricSpec, name)
        if spec.task != benchmark.task:
            raise ConfigError(
                f"benchmark {benchmark.name}: metric {name!r} is a {spec.task} metric, "
                f"but the task is {benchmark.task}"
            )
    data_task = dataset.info.get("task")
    if data_task and data_task != benchmark.task and not own_targets:
        raise DataError(
            f"benchmark {benchmark.name} is a {benchmark.task} task, but dataset "
            f"{dataset.dataset_id} holds {data_task} targets"
        )
    missing = [c for c in benchmark.data_spec.required_metadata if c not in dataset.metadata]
    if missing:
        raise DataError(
            f"dataset {dataset.dataset_id} lacks metadata required by {benchmark.name}: "
            f"{', '.join(missing)}"
        )
    if benchmark.task == "classification" and not own_targets:
        y = np.asarray(dataset.y)
        if y.ndim != 1:
            raise DataError(
                f"dataset {dataset.dataset_id}: classification needs 1-D labels, got {y.shape}"
            )
    return list(dict.fromkeys(names))


def evaluate_benchmark(
    registry: Registry,
    benchmark: BenchmarkSpec,
    model: ModelHandle,
    options: RunOptions,
    *,
    dataset_name: str | None = None,
    progress: Callable[[int], None] | None = None,
    dataset: Dataset | None = None,
) -> BenchmarkOutcome:
    """Run one benchmark: load its data, evaluate the model by its protocol, compute metrics.

    ``dataset``, when given, is used as it is instead of loading the benchmark's dataset.
    """
    started = time.perf_counter()
    inputs_before = sum(model.samples.values())
    phases: dict[str, float] = {}
    t0 = time.perf_counter()
    if dataset is None:
        dataset = load_benchmark_data(registry, benchmark, dataset_name, options)
    phases["load_data"] = time.perf_counter() - t0
    protocol_name = options.protocol or benchmark.protocol
    protocol = registry.get(ProtocolSpec, protocol_name)
    names = _check_benchmark(
        registry, benchmark, dataset, own_targets=protocol.targets == "protocol"
    )
    model.require(protocol.needs, f"the {protocol_name} protocol of {benchmark.name}")
    folds = make_folds(dataset, benchmark.split, seed=options.seed, task=benchmark.task)
    info = {**dataset.info, "task": benchmark.task, "benchmark_id": benchmark.name}
    model.prepare(info)
    ctx = EvalContext(
        benchmark=benchmark,
        dataset=dataset,
        model=model,
        folds=folds,
        seed=options.seed,
        batch_size=options.batch_size,
        options=dict(benchmark.protocol_options),
        phases=phases,
        progress=progress,
        cache=open_cache(registry, cache_dir=options.cache_dir, enabled=options.use_cache),
    )
    predictions: Predictions = resolve(protocol.evaluate)(ctx)
    t0 = time.perf_counter()
    values, undefined = score_metrics(registry, names, predictions)
    stratified, skipped = stratified_metrics(registry, benchmark, dataset, predictions, names)
    phases["metrics"] = time.perf_counter() - t0
    primary = registry.get(MetricSpec, benchmark.metrics.primary)
    wall = time.perf_counter() - started
    model_time = sum(phases.get(p, 0.0) for p in ("predict", "embed", "fit"))
    record: dict[str, Any] = {
        "benchmark_id": benchmark.name,
        "benchmark_version": benchmark.version,
        "dataset_id": dataset.dataset_id,
        "task": benchmark.task,
        "protocol": protocol_name,
        "split": {**benchmark.split.as_record(), "n_folds": len(folds), "seed": options.seed},
        "status": "Completed",
        "primary_metric": {
            "name": primary.name,
            "direction": primary.direction,
            "value": values.get(primary.name),
        },
        "metrics": values,
    }
    if undefined:
        record["metrics_undefined"] = undefined
    record["chance"] = {
        n: chance_level(registry.get(MetricSpec, n), predictions.y_true) for n in names
    }
    if stratified:
        record["stratified"] = stratified
    if skipped:
        record["stratification_skipped"] = skipped
    t0 = time.perf_counter()
    units = add_statistics(
        registry, benchmark, dataset, predictions, names, record,
        seed=options.seed, n_resamples=options.n_resamples,
    )  # fmt: skip
    if benchmark.clinical is not None:
        from fmbench.statistics.clinical_block import add_clinical

        add_clinical(
            benchmark, dataset, predictions, record,
            seed=options.seed, n_resamples=options.n_resamples, units=units,
        )  # fmt: skip
    if benchmark.split.paradigm:  # MOABB's per-subject/session scores beside the pooled ones
        from fmbench.statistics.paradigm_scores import paradigm_scores

        record["paradigm_scores"] = paradigm_scores(
            registry, benchmark, dataset, predictions, names
        )
    phases["bootstrap"] = time.perf_counter() - t0
    record["data"] = {
        **describe_shape(dataset),
        "n_test": len(predictions.indices),
        "sha256": dataset.content_sha256,
    }
    protocol_notes = predictions.notes.get("protocol")
    if protocol_notes:
        record["protocol_details"] = protocol_notes
    n_model_inputs = sum(model.samples.values()) - inputs_before
    record["resources"] = {
        "wall_time_s": round(wall, 4),
        "phases_s": {k: round(v, 4) for k, v in phases.items()},
        "samples_per_s": round(len(predictions.indices) / model_time, 1)
        if model_time > 0
        else None,
        "model_inputs": n_model_inputs,
        "peak_rss_mb": peak_rss_mb(),
    }
    if ctx.cache_status is not None:
        record["resources"]["embedding_cache"] = ctx.cache_status
    return BenchmarkOutcome(
        benchmark=benchmark,
        record=record,
        dataset=dataset,
        predictions=predictions,
        units=units,
    )


def load_benchmark_data(
    registry: Registry, benchmark: BenchmarkSpec, dataset_name: str | None, options: RunOptions
) -> Dataset:
    """The dataset a benchmark runs on (its own, or the one ``--dataset`` names), with the
    facts the run overrides (``options.dataset_info``) applied."""
    dataset, _ = load_dataset(
        registry,
        dataset_name or benchmark.dataset,
        root=options.data_root,
        options=dict(benchmark.dataset_options),
    )
    dataset.info.update(options.dataset_info)
    return dataset


def _failed_record(
    benchmark_id: str, error: BaseException, version: str | None, message: str | None = None
) -> dict[str, Any]:
    """A failed benchmark's record: its error in one line, local paths reduced to names."""
    if message is None:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        if not isinstance(error, FmbenchError):
            message = f"internal error: {type(error).__name__}: {message}"
    return {
        "benchmark_id": benchmark_id,
        "benchmark_version": version,
        "status": "Failed",
        "error": public_text(message),
    }


def _utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _provenance(
    registry: Registry, suite: SuiteSpec, outcomes: list[BenchmarkOutcome], options: RunOptions
) -> dict[str, Any]:
    from importlib import metadata

    return {
        "fmbench_version": __version__,
        "plugins": registry.plugin_versions(),
        "suite_sha256": suite.source_sha256,
        "benchmark_sha256": {o.benchmark.name: o.benchmark.source_sha256 for o in outcomes},
        "dataset_sha256": {
            o.record["dataset_id"]: o.dataset_sha256 for o in outcomes if o.dataset_sha256
        },
        "seed": options.seed,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "machine": platform.machine(),
        "numpy": np.__version__,
        "scikit_learn": metadata.version("scikit-learn"),
        "command": public_command(options.command),
    }


def build_document(
    registry: Registry,
    suite: SuiteSpec,
    model: ModelHandle,
    outcomes: list[BenchmarkOutcome],
    options: RunOptions,
    *,
    started: _dt.datetime,
    wall: float,
    execution: Mapping[str, Any] | None = None,
    robustness: Mapping[str, Mapping[str, Any]] | None = None,
    determinism: Mapping[str, Any] | None = None,
) -> EvalDocument:
    """The run's :class:`~fmbench.results.records.EvalDocument` (without its digest), built
    once from the units' records and the run-level blocks.

    Nothing in it names a local path: the model config is recorded by file name (or the
    shipped model's name), and the command line with paths reduced to their last part.
    """
    first = outcomes[0].record
    top_metrics: dict[str, Any] = dict(first.get("metrics", {}))
    if first.get("stratified"):
        top_metrics["stratified"] = first["stratified"]
    status = Status.combined([Status(o.record["status"]) for o in outcomes])
    blocks = {k: RobustnessResult.from_dict(v) for k, v in (robustness or {}).items()}
    if status is Status.COMPLETED and any(
        b.status is not Status.COMPLETED for b in blocks.values()
    ):
        status = Status.PARTIAL  # a probe failed: the run is not complete
    meta: dict[str, Any] = {
        "date": started.strftime("%Y-%m-%d"),
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": _utc_now().isoformat(timespec="seconds"),
        "runner": "fmbench",
        "fmbench_version": __version__,
        "suite_id": suite.name,
        "suite_version": suite.version,
        "model_config": public_path(options.model_config_path),
        "seed": options.seed,
        "batch_size": options.batch_size,
    }
    if execution is not None:
        meta["execution"] = dict(execution)
    document = EvalDocument(
        schema_version=SCHEMA_VERSION,
        eval_id=f"{suite.name}-{model.model_id}-{started.strftime('%Y%m%d-%H%M%S')}",
        benchmark_id=first["benchmark_id"],
        model_ids={"candidate": model.model_id},
        dataset_id=first.get("dataset_id"),
        run_metadata=meta,
        metrics=top_metrics,
        status=status,
        model=model.describe(),
        benchmarks=BenchmarkResults(BenchmarkResult.from_dict(o.record) for o in outcomes),
        robustness=blocks or None,
        determinism=determinism,
        provenance=_provenance(registry, suite, outcomes, options),
        resources={
            "wall_time_s": round(wall, 4),
            "peak_rss_mb": peak_rss_mb(),
            **({"model": r} if (r := model.resources()) else {}),
        },
    )
    if options.document_layout is not None:
        document = options.document_layout(document)
    return document


@attrs.frozen(kw_only=True)
class BenchmarkUnit:
    """One benchmark of a run as an independent unit of work (picklable, self-contained)."""

    benchmark: BenchmarkSpec
    dataset_name: str | None
    model_config: ModelConfig
    options: RunOptions

    @property
    def name(self) -> str:
        return self.benchmark.name

    def parts(
        self,
        plugin_versions: dict[str, str],
        *,
        model: dict[str, Any] | None = None,
        suite_sha256: str | None = None,
    ) -> dict[str, Any]:
        """Everything that determines this unit's result, by name (see
        :func:`fmbench.running.resume.unit_parts`; ``model`` is :func:`~fmbench.running.resume.model_fingerprint`)."""
        from fmbench.running.resume import unit_parts

        return unit_parts(
            self, plugin_versions=plugin_versions, model=model or {}, suite_sha256=suite_sha256
        )

    def key(
        self,
        plugin_versions: dict[str, str],
        *,
        model: dict[str, Any] | None = None,
        suite_sha256: str | None = None,
    ) -> str:
        """The journal's key: a hash of :meth:`parts`."""
        return fingerprint(self.parts(plugin_versions, model=model, suite_sha256=suite_sha256))


#: Per-process cache of registries and models, so a worker loads each model once.
_WORKER_CACHE: dict[Any, Any] = {}


def _unit_context(unit: BenchmarkUnit) -> tuple[Registry, ModelHandle]:
    from fmbench.plugin_system.registry import get_registry

    registry = _WORKER_CACHE.get(("registry", unit.options.external))
    if registry is None:
        registry = get_registry(unit.options.external)
        _WORKER_CACHE[("registry", unit.options.external)] = registry
    model = _WORKER_CACHE.get(("model", unit.model_config.sha256))
    if model is None:
        model = load_model(registry, unit.model_config)
        _WORKER_CACHE[("model", unit.model_config.sha256)] = model
    return registry, model


def evaluate_unit(unit: BenchmarkUnit) -> dict[str, Any]:
    """Evaluate one benchmark unit; returns plain data (a record and named arrays).

    Runs in this process or in a worker; a failure (an exception, ``sys.exit``, the time
    limit) is recorded as one line, never raised, and its traceback comes back as text
    (``"traceback"``, shown with ``--debug``). Ctrl-C is not caught.
    """
    from fmbench.results.predictions import prediction_arrays
    from fmbench.running.unit_guard import (
        UNIT_FAILURES,
        describe_failure,
        time_limit,
        warm_imports,
    )

    registry: Registry | None = None
    try:
        registry, model = _unit_context(unit)
        if unit.options.timeout is not None:
            warm_imports()  # not counted against the time limit
        with time_limit(unit.options.timeout, unit.name):
            outcome = evaluate_benchmark(
                registry, unit.benchmark, model, unit.options, dataset_name=unit.dataset_name
            )
    except UNIT_FAILURES as exc:  # recorded; the other benchmarks still run
        message, text = describe_failure(exc, registry)
        record = _failed_record(unit.name, exc, unit.benchmark.version, message)
        return {"record": record, "arrays": {}, "traceback": text}
    assert outcome.predictions is not None
    return {
        "record": outcome.record,
        "arrays": prediction_arrays(outcome.predictions, outcome.units),
    }


def _lost_unit(unit: BenchmarkUnit, why: Any) -> dict[str, Any]:
    """The result of a unit whose worker process ended or was killed (``--jobs``)."""
    error = ModelError(
        f"{unit.name} did not finish: {why.describe()} while model "
        f"{unit.model_config.model_id!r} ran it (the model or code it called ended the process)"
        if why.killed_after is None
        else f"{unit.name} timed out after {unit.options.timeout:g} s (--timeout); {why.describe()}"
    )
    return {"record": _failed_record(unit.name, error, unit.benchmark.version), "arrays": {}}


def _outcome_from(unit: BenchmarkUnit, done: dict[str, Any]) -> BenchmarkOutcome:
    from fmbench.results.predictions import predictions_from_arrays

    outcome = BenchmarkOutcome(benchmark=unit.benchmark, record=done["record"])
    if done["arrays"]:
        outcome.predictions, outcome.units = predictions_from_arrays(done["arrays"])
    return outcome


def _check_resumable(out_dir: Path, journal: RunJournal, options: RunOptions) -> None:
    if options.overwrite and not options.resume:
        journal.clear()
        return
    if journal.finished() and not options.resume and not (out_dir / "eval.yaml").exists():
        raise ResultsError(
            f"{out_dir} holds an unfinished run ({len(journal.finished())} units done); pass "
            "--resume to continue it, or --overwrite to start again"
        )


def run_suite(
    registry: Registry,
    suite: SuiteSpec,
    model_config: ModelConfig,
    out_dir: Path,
    options: RunOptions,
    *,
    benchmarks: Mapping[str, BenchmarkSpec] | None = None,
    model: ModelHandle | None = None,
) -> RunResult:
    """Run every benchmark of ``suite`` on the model and write results into ``out_dir``.

    Benchmarks are independent units: they run in this process, in a process pool
    (``options.executor = "processes"``, ``jobs``) or on a Dask cluster, and each finished one
    is journaled in ``out_dir`` so that ``resume`` runs only what is missing. ``benchmarks``
    gives specs that are not registered (``run-robustness`` makes one for its dataset);
    ``model`` is the model already loaded from ``model_config`` (the Python API passes the
    user's object this way).
    """
    from fmbench.progress import Progress
    from fmbench.running.execution import describe, run_units
    from fmbench.running.output_folder import OutputFolder
    from fmbench.running.resume import RunIdentity, model_fingerprint

    identity = RunIdentity(
        command=options.command_name,
        suite_id=suite.name,
        model_id=model_config.model_id,
        seed=options.seed,
        dataset=options.dataset,
        protocol=options.protocol,
    )
    with OutputFolder(
        out_dir, overwrite=options.overwrite, resume=options.resume, identity=identity
    ) as folder:
        journal = RunJournal(folder.path)
        _check_resumable(folder.path, journal, options)
        journal.save_run(identity.to_json())
        given = benchmarks or {}
        suite_benchmarks: list[tuple[SuiteEntry, BenchmarkSpec]] = [
            (entry, given.get(entry.benchmark) or registry.get(BenchmarkSpec, entry.benchmark))
            for entry in suite.benchmarks
        ]
        # every folder the run reads or writes is resolved now, before the model's code runs:
        # a model that changes the working folder (os.chdir) cannot redirect anything, and
        # units (in workers too) resolve nothing from their environment or working folder
        options = _resolved_folders(options)
        dataset_names = [
            _fixed_dataset(registry, options.dataset or entry.dataset)
            for entry, _ in suite_benchmarks
        ]
        if model is None:
            model = load_model(registry, model_config)
        # units run in this process use this registry and this model object
        _WORKER_CACHE[("registry", options.external)] = registry
        _WORKER_CACHE[("model", model_config.sha256)] = model
        units = [
            BenchmarkUnit(
                benchmark=benchmark,
                dataset_name=dataset_name,
                model_config=model_config,
                options=options,
            )
            for (_, benchmark), dataset_name in zip(suite_benchmarks, dataset_names, strict=True)
        ]
        versions = registry.plugin_versions()
        identity_of_model = model_fingerprint(model)
        parts = [
            unit.parts(versions, model=identity_of_model, suite_sha256=suite.source_sha256)
            for unit in units
        ]
        keys = [fingerprint(p) for p in parts]
        names = [f"benchmark-{index}-{unit.name}" for index, unit in enumerate(units)]
        done: dict[int, dict[str, Any]] = {}
        replayed_data: dict[int, Dataset] = {}
        reruns: list[dict[str, str]] = []
        if options.resume:  # finished units still true are replayed; the others run again
            loaded: dict[str, tuple[Dataset | None, str | None]] = {}
            for index, unit in enumerate(units):
                entry = journal.entry(names[index])
                if entry is None or entry["record"].get("status") != "Completed":
                    continue
                reason, dataset = _replay_check(
                    registry, unit, entry, keys[index], parts[index], loaded
                )
                if reason is not None:
                    reruns.append({"benchmark": unit.name, "reason": reason})
                    print(f"rerunning {unit.name}: {reason}", file=sys.stderr)
                    continue
                done[index] = {
                    "record": entry["record"],
                    "arrays": journal.load_arrays(names[index]) if entry.get("has_arrays") else {},
                }
                if dataset is not None:
                    replayed_data[index] = dataset
        pending = [i for i in range(len(units)) if i not in done]
        started = _utc_now()
        t0 = time.perf_counter()
        with Progress(len(units), f"{suite.name}", enabled=options.progress) as bar:
            bar.advance(len(done))

            def finished(position: int, result: dict[str, Any]) -> None:
                index = pending[position]
                if result["record"].get("status") == "Completed":
                    journal.save(
                        names[index], keys[index], result["record"], result["arrays"],
                        parts=parts[index],
                    )  # fmt: skip
                show_traceback(f"{units[index].name} ({result['record'].get('error')})",
                               result.pop("traceback", None))  # fmt: skip
                done[index] = result
                bar.advance(1)

            try:
                run_units(
                    evaluate_unit, [units[i] for i in pending], executor=options.executor,
                    jobs=options.jobs, scheduler=options.scheduler, on_done=finished,
                    on_lost=lambda position, why: _lost_unit(units[pending[position]], why),
                    kill_after=kill_after(options.timeout),
                )  # fmt: skip
            except KeyboardInterrupt as exc:
                raise interrupted(options, journal) from exc
        outcomes = [_outcome_from(units[i], done[i]) for i in range(len(units))]
        for index, dataset in replayed_data.items():
            outcomes[index].dataset = dataset
        staging = folder.staging
        needs_data = bool(options.check_determinism) or bool(
            suite.probes or any(b.probes for _, b in suite_benchmarks)
        )
        if needs_data:
            _attach_datasets(registry, units, outcomes, options)
        robustness = None
        if suite.probes or any(b.probes for _, b in suite_benchmarks):
            from fmbench.robustness.engine import run_declared_probes

            robustness = run_declared_probes(
                registry, suite, suite_benchmarks, model, options, outcomes
            )
        store_run_predictions(outcomes, staging)
        determinism = None
        if options.check_determinism:
            from fmbench.models.determinism import check_determinism

            determinism = check_determinism(
                registry, outcomes, model, seed=options.seed,
                n_samples=options.check_determinism, batch_size=options.batch_size,
            )  # fmt: skip
        execution = {
            **describe(options.executor, options.jobs, options.scheduler),
            "resumed_units": sorted(units[i].name for i in range(len(units)) if i not in pending),
            "rerun_units": reruns,
        }
        document = build_document(
            registry, suite, model, outcomes, options, started=started,
            wall=time.perf_counter() - t0, execution=execution, robustness=robustness,
            determinism=determinism,
        )  # fmt: skip
        result = RunResult(
            suite=suite,
            model=model,
            outcomes=outcomes,
            document=write_eval(staging / "eval.yaml", document),
            out_dir=staging,
        )
        write_reports(registry, result, options)
        folder.commit()
        result.out_dir = out_dir
        return result


def _resolved_folders(options: RunOptions) -> RunOptions:
    """``data_root`` and ``cache_dir`` as absolute paths (the defaults resolved too)."""
    from fmbench.models.embedding_cache import default_cache_dir

    data_root = str(toy_root(options.data_root).resolve())
    cache_dir = options.cache_dir
    if options.use_cache:
        cache_dir = str(Path(cache_dir or default_cache_dir()).expanduser().resolve())
    return attrs.evolve(options, data_root=data_root, cache_dir=cache_dir)


def _fixed_dataset(registry: Registry, name: str | None) -> str | None:
    """A dataset given as a folder, as an absolute path (a registered id is kept)."""
    from fmbench.plugin_system.specs import DatasetSpec

    if not name or registry.has(DatasetSpec, name) or not os.path.exists(name):
        return name
    return os.path.abspath(name)


def _replay_check(
    registry: Registry,
    unit: BenchmarkUnit,
    entry: dict[str, Any],
    key: str,
    parts: dict[str, Any],
    loaded: dict[str, tuple[Dataset | None, str | None]],
) -> tuple[str | None, Dataset | None]:
    """Why a finished unit of the journal must run again (None: replay it), and its dataset
    when it was loaded to compare its content hash (``loaded``: datasets already read)."""
    from fmbench.running.resume import change_reason

    if entry.get("key") != key:
        return change_reason(entry.get("parts"), parts), None
    name = unit.dataset_name or unit.benchmark.dataset
    which = fingerprint(name, unit.options.data_root, dict(unit.benchmark.dataset_options))
    if which not in loaded:
        try:
            dataset = load_benchmark_data(registry, unit.benchmark, unit.dataset_name, unit.options)
            loaded[which] = (dataset, None)
        except FmbenchError as exc:
            loaded[which] = (None, f"its dataset cannot be loaded ({exc})")
    found, error = loaded[which]
    if found is None:
        return error, None
    if found.content_sha256 != (entry["record"].get("data") or {}).get("sha256"):
        return f"dataset {found.dataset_id} content changed", None
    return None, found


def _attach_datasets(
    registry: Registry,
    units: list[BenchmarkUnit],
    outcomes: list[BenchmarkOutcome],
    options: RunOptions,
) -> None:
    """Load (memory-map) the datasets of finished benchmarks for the steps that need them."""
    for unit, outcome in zip(units, outcomes, strict=True):
        if outcome.ok and outcome.dataset is None:
            outcome.dataset = load_benchmark_data(
                registry, unit.benchmark, unit.dataset_name, options
            )


def write_reports(registry: Registry, result: RunResult, options: RunOptions) -> list[Path]:
    """Call each chosen reporter; a reporter that fails is reported, not fatal to the results."""
    written: list[Path] = []
    chosen = options.reporters
    for spec in registry.all(ReporterSpec):
        if (chosen is None and not spec.default) or (
            chosen is not None and spec.name not in chosen
        ):
            continue
        written.extend(resolve(spec.write)(result, result.out_dir) or [])
    return written
