"""The core's toy dataset, its benchmark and suite, and the two folder readers.

``DS-TOY-FMRI-CLASS`` is a small fMRI-like feature table (200 subjects x 100 features) with
learnable signal and covariates that matter: a site effect (site C is noisier, so performance
really differs by site), scanner tied to site, and age acting on some features.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from fmbench.definitions import load_definitions
from fmbench.hookspecs import hookimpl
from fmbench.specs import BenchmarkSpec, DatasetSpec, SuiteSpec
from fmbench.toydata import write_array_dataset

SITES = ("SiteA", "SiteB", "SiteC")
SCANNER_OF_SITE = {"SiteA": "Siemens", "SiteB": "GE", "SiteC": "Philips"}
SITE_NOISE = {"SiteA": 1.0, "SiteB": 1.3, "SiteC": 2.2}


def generate_fmri_classification(folder: Path, seed: int = 42) -> None:
    """Write the toy fMRI-like classification set into ``folder``."""
    rng = np.random.default_rng(seed)
    n, p, informative = 200, 100, 10
    y = rng.permutation(np.repeat([0, 1], n // 2)).astype(np.int64)
    site = rng.choice(SITES, size=n, p=[0.4, 0.35, 0.25])
    age = np.clip(np.round(rng.normal(55 + 8 * y, 14)), 20, 89).astype(int)
    sex = rng.choice(["F", "M"], size=n)
    stage = np.where(y == 0, "CN", rng.choice(["MCI", "AD"], size=n, p=[0.6, 0.4]))
    ethnicity = rng.choice(
        ["White", "Black", "Asian", "Hispanic", "Other"], size=n, p=[0.4, 0.2, 0.15, 0.2, 0.05]
    )
    noise_scale = np.array([SITE_NOISE[s] for s in site])
    X = rng.standard_normal((n, p)) * noise_scale[:, None]
    direction = rng.standard_normal(informative)
    direction /= np.linalg.norm(direction)
    X[:, :informative] += np.outer(2 * y - 1, direction) * 2.2
    site_offset = {s: rng.normal(0, 0.8, p) for s in SITES}
    X += np.array([site_offset[s] for s in site])
    X[:, informative : 2 * informative] += ((age - 55) / 15)[:, None] * 0.7
    write_array_dataset(
        folder,
        X=X.astype(np.float64),
        y=y,
        metadata={
            "subject_id": [f"sub-{i:04d}" for i in range(n)],
            "age": age.tolist(),
            "sex": sex.tolist(),
            "site": site.tolist(),
            "scanner": [SCANNER_OF_SITE[s] for s in site],
            "disease_stage": stage.tolist(),
            "ethnicity": ethnicity.tolist(),
            "diagnosis": y.tolist(),
        },
        info={
            "dataset_id": "DS-TOY-FMRI-CLASS",
            "modality": "fmri",
            "task": "classification",
            "n_classes": 2,
            "class_names": ["control", "patient"],
            "seed": seed,
            "description": "synthetic fMRI-derived features; 10 informative; site C noisier",
        },
    )


@hookimpl
def fmbench_datasets() -> Iterator[DatasetSpec]:
    yield DatasetSpec(
        name="DS-TOY-FMRI-CLASS",
        summary="toy fMRI-like features, 200 subjects x 100, CN vs patient, site effects",
        modality="fmri",
        task="classification",
        load="fmbench.data:load_array_folder",
        toy_path="neuro/fmri_classification",
        generate="fmbench.builtin.toy:generate_fmri_classification",
        license="CC0-1.0 (synthetic)",
    )
    yield DatasetSpec(
        name="array-folder",
        summary="a folder with X.npy, y.npy, optional metadata.csv and info.json",
        task="any",
        load="fmbench.data:load_array_folder",
        reads=("X.npy",),
    )
    yield DatasetSpec(
        name="sequence-folder",
        summary="a folder with train.tsv / test.tsv (sequence and label columns)",
        modality="dna",
        task="classification",
        load="fmbench.data:load_sequence_folder",
        reads=("train.tsv", "test.tsv"),
    )


@hookimpl
def fmbench_benchmarks() -> list[BenchmarkSpec]:
    return load_definitions("fmbench.builtin", "benchmarks")


@hookimpl
def fmbench_suites() -> list[SuiteSpec]:
    return load_definitions("fmbench.builtin", "suites")
