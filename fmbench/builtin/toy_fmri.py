"""The core's toy dataset DS-TOY-FMRI-CLASS: synthetic fMRI-derived features.

200 subjects x 100 features with learnable signal (patients are higher on the first 10
features) and covariates that matter: a site effect (site C is noisier, so performance really
differs by site), scanner tied to site, and age acting on features 10-19.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fmbench.data.toy_files import write_array_dataset

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
    # patients have higher values on the first 10 features (a documented, learnable signal)
    direction = np.ones(informative) / np.sqrt(informative)
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
