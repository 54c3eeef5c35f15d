"""The module fmbench loads: records only; the data and metric code is referenced lazily."""

from __future__ import annotations

from collections.abc import Iterator

import fmbench

_PKG = "fmbench_example_task"


@fmbench.hookimpl
def fmbench_datasets() -> Iterator[fmbench.DatasetSpec]:
    yield fmbench.DatasetSpec(
        name="DS-ACME-EYES",
        summary="toy EEG band powers, eyes open vs closed, 24 subjects x 8 epochs, 3 sites",
        modality="eeg",
        task="classification",
        load=f"{_PKG}.data:load",
        toy_path="acme/eyes",
        generate=f"{_PKG}.data:generate",
        license="CC0-1.0 (synthetic)",
    )


@fmbench.hookimpl
def fmbench_metrics() -> Iterator[fmbench.MetricSpec]:
    yield fmbench.MetricSpec(
        name="CohenKappa",
        summary="Cohen's kappa: agreement of predicted and true labels beyond chance",
        task="classification",
        needs="label",
        compute=f"{_PKG}.metrics:cohen_kappa",
        range=(-1.0, 1.0),
        chance=0.0,
    )


@fmbench.hookimpl
def fmbench_benchmarks() -> list[fmbench.BenchmarkSpec]:
    return fmbench.load_definitions(_PKG, "benchmarks")


@fmbench.hookimpl
def fmbench_suites() -> list[fmbench.SuiteSpec]:
    return fmbench.load_definitions(_PKG, "suites")
