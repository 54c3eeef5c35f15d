"""The registration hooks. Each takes no arguments and returns an iterable of records.

A plugin is a module with functions marked ``@fmbench.hookimpl`` whose names are the hooks
below, declared in its package's ``pyproject.toml``::

    [project.entry-points.fmbench]
    fmbench-acme = "fmbench_acme.plugin"
"""

from __future__ import annotations

from collections.abc import Iterable

import pluggy

from fmbench.plugin_system.specs import (
    BenchmarkSpec,
    DatasetSpec,
    MetricSpec,
    ModelAdapterSpec,
    ModelSpec,
    ProbeSpec,
    ProtocolSpec,
    ReporterSpec,
    SuiteSpec,
)

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec"]

#: The pluggy project name, which is also the entry-point group.
PROJECT_NAME = "fmbench"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def fmbench_datasets() -> Iterable[DatasetSpec]:
    """Register datasets and file-format readers.

    Example::

        @fmbench.hookimpl
        def fmbench_datasets():
            yield fmbench.DatasetSpec(
                name="DS-ACME-EEG",
                summary="ACME resting-state EEG, 2 classes",
                modality="eeg",
                task="classification",
                load="fmbench_acme.data:load_acme",      # load(path, **options) -> Dataset
                toy_path="acme/eeg",                      # under the toy-data root
                generate="fmbench_acme.data:generate",    # generate(folder, seed) -> None
            )
    """


@hookspec
def fmbench_model_adapters() -> Iterable[ModelAdapterSpec]:
    """Register model-config types (the ``type:`` key of a model YAML).

    Example::

        @fmbench.hookimpl
        def fmbench_model_adapters():
            yield fmbench.ModelAdapterSpec(
                name="acme_net",
                summary="ACME networks from a checkpoint folder",
                load="fmbench_acme.adapter:load",        # load(config) -> model object
            )
    """


@hookspec
def fmbench_models() -> Iterable[ModelSpec]:
    """Register model configs that users can run by name (``--model NAME``).

    Example::

        @fmbench.hookimpl
        def fmbench_models():
            yield from fmbench.load_definitions("fmbench_acme", "models")
            # or: yield fmbench.ModelSpec(name="acme_baseline", summary="...", type="acme_net",
            #                             settings={"layers": 2})
    """


@hookspec
def fmbench_metrics() -> Iterable[MetricSpec]:
    """Register metrics.

    Example::

        @fmbench.hookimpl
        def fmbench_metrics():
            yield fmbench.MetricSpec(
                name="Kappa",
                summary="Cohen's kappa of predicted labels",
                task="classification",
                needs="label",
                compute="fmbench_acme.metrics:kappa",     # compute(y_true, y_pred) -> float
                range=(-1.0, 1.0),
                chance=0.0,
            )
    """


@hookspec
def fmbench_probes() -> Iterable[ProbeSpec]:
    """Register robustness probes.

    Example::

        @fmbench.hookimpl
        def fmbench_probes():
            yield fmbench.ProbeSpec(
                name="gain",
                summary="multiply the signal by (1 + level)",
                modalities=("eeg",),
                levels=(0.0, 0.1, 0.2, 0.5),
                perturb="fmbench_acme.probes:gain",       # perturb(x, level, rng, info) -> array
            )
    """


@hookspec
def fmbench_reporters() -> Iterable[ReporterSpec]:
    """Register reporters, each writing a run's results in one format.

    Example::

        @fmbench.hookimpl
        def fmbench_reporters():
            yield fmbench.ReporterSpec(
                name="html",
                summary="report.html",
                write="fmbench_acme.report:write_html",   # write(result, out_dir) -> [paths]
                default=False,
            )
    """


@hookspec
def fmbench_benchmarks() -> Iterable[BenchmarkSpec]:
    """Register benchmarks (usually parsed from YAML files shipped in the package).

    Example::

        @fmbench.hookimpl
        def fmbench_benchmarks():
            yield from fmbench.load_definitions("fmbench_acme", "benchmarks")
    """


@hookspec
def fmbench_suites() -> Iterable[SuiteSpec]:
    """Register suites (usually parsed from YAML files shipped in the package).

    Example::

        @fmbench.hookimpl
        def fmbench_suites():
            yield from fmbench.load_definitions("fmbench_acme", "suites")
    """


@hookspec
def fmbench_protocols() -> Iterable[ProtocolSpec]:
    """Register evaluation protocols (how model outputs become test predictions).

    Example::

        @fmbench.hookimpl
        def fmbench_protocols():
            yield fmbench.ProtocolSpec(
                name="ridge_probe",
                summary="closed-form ridge on frozen embeddings",
                evaluate="fmbench_acme.protocols:ridge_probe",
                needs=(fmbench.capabilities.EMBEDS,),
            )
    """
