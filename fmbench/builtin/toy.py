"""The core's toy dataset, its benchmark and suite, and the two folder readers."""

from __future__ import annotations

from collections.abc import Iterator

from fmbench.plugin_system.definitions import load_definitions
from fmbench.plugin_system.hookspecs import hookimpl
from fmbench.plugin_system.specs import BenchmarkSpec, DatasetSpec, SuiteSpec


@hookimpl
def fmbench_datasets() -> Iterator[DatasetSpec]:
    yield DatasetSpec(
        name="DS-TOY-FMRI-CLASS",
        summary="toy fMRI-like features, 200 subjects x 100, CN vs patient, site effects",
        modality="fmri",
        task="classification",
        load="fmbench.data.dataset:load_array_folder",
        toy_path="neuro/fmri_classification",
        generate="fmbench.builtin.toy_fmri:generate_fmri_classification",
        license="CC0-1.0 (synthetic)",
        data_kind="synthetic",
        n_samples=200,
    )
    yield DatasetSpec(
        name="array-folder",
        summary="a folder with X.npy, y.npy, optional metadata.csv and info.json",
        task="any",
        load="fmbench.data.dataset:load_array_folder",
        reads=("X.npy",),
    )
    yield DatasetSpec(
        name="sequence-folder",
        summary="a folder with train.tsv / test.tsv (sequence and label columns)",
        modality="dna",
        task="classification",
        load="fmbench.data.dataset:load_sequence_folder",
        reads=("train.tsv", "test.tsv"),
    )


@hookimpl
def fmbench_benchmarks() -> list[BenchmarkSpec]:
    return load_definitions("fmbench.builtin", "benchmarks")


@hookimpl
def fmbench_suites() -> list[SuiteSpec]:
    return load_definitions("fmbench.builtin", "suites")
