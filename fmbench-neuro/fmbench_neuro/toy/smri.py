"""Toy structural MRI: CN vs AD from small T1-like 3-D volumes.

``DS-NEURO-SMRI-AD`` (``neuro/smri_classification``): 160 subjects, 24 x 24 x 24 voxels of
8 mm (a heavily downsampled head). Each volume has white matter, a grey-matter ribbon, two
lateral ventricles, medial-temporal grey matter and CSF, with partial-volume edges. Alzheimer's
disease enlarges the ventricles, thins the ribbon and shrinks the medial-temporal lobes; age
does the same more mildly, so the classes overlap. Scanners differ in gain and bias field,
field strength in noise (Rician), and head size varies by sex.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fmbench.data.toy_files import write_array_dataset
from fmbench_neuro.probes.mri import smooth_field

__all__ = ["generate_smri"]

_SCANNERS = {"Siemens": (1.0, 0.05), "GE": (1.15, 0.08), "Philips": (0.9, 0.06)}  # gain, bias


def _soft(distance: np.ndarray, width: float = 0.6) -> np.ndarray:
    """Partial-volume inside-ness of an implicit surface (distance < 0 is inside)."""
    return 1.0 / (1.0 + np.exp(distance / width))


def _ellipsoid(
    grid: list[np.ndarray], centre: tuple[float, ...], radii: tuple[float, ...]
) -> np.ndarray:
    r = np.sqrt(sum(((g - c) / a) ** 2 for g, c, a in zip(grid, centre, radii, strict=True)))
    return (r - 1.0) * min(radii)  # approximately a signed distance in voxels


def _volume(rng: np.random.Generator, n: int, atrophy: float, head: float) -> np.ndarray:
    grid = list(np.meshgrid(*(np.arange(n) - (n - 1) / 2,) * 3, indexing="ij"))
    radii = (8.5 * head, 10.0 * head, 8.0 * head)
    brain = _soft(_ellipsoid(grid, (0, 0, 0), radii))
    ribbon = 1.6 * (1 - 0.35 * atrophy)
    inner = _soft(_ellipsoid(grid, (0, 0, 0), tuple(r - ribbon for r in radii)))
    vent_r = (1.2 * (1 + 0.9 * atrophy), 3.0 * (1 + 0.5 * atrophy), 1.5 * (1 + 0.8 * atrophy))
    vents = np.maximum(
        _soft(_ellipsoid(grid, (-1.8, 0.5, 1.0), vent_r)),
        _soft(_ellipsoid(grid, (1.8, 0.5, 1.0), vent_r)),
    )
    mtl_r = tuple(r * (1 - 0.45 * atrophy) for r in (1.5, 2.5, 1.3))
    mtl = np.maximum(
        _soft(_ellipsoid(grid, (-5.0, -1.0, -3.0), mtl_r)),
        _soft(_ellipsoid(grid, (5.0, -1.0, -3.0), mtl_r)),
    )
    csf_shell = _soft(_ellipsoid(grid, (0, 0, 0), tuple(r + 1.2 for r in radii)))
    wm = inner * (1 - vents) * (1 - mtl)
    gm = (brain - inner) + inner * mtl * (1 - vents)
    csf = (csf_shell - brain) + inner * vents
    return 1.0 * wm + 0.62 * gm + 0.18 * csf


def generate_smri(folder: Path, seed: int = 42) -> None:
    """Write the CN-vs-AD structural MRI toy set into ``folder``."""
    rng = np.random.default_rng(seed)
    n_subjects, size = 160, 24
    y = rng.permutation(np.repeat([0, 1], n_subjects // 2))
    X = []
    meta: dict[str, list[object]] = {
        k: [] for k in ("subject_id", "age", "sex", "scanner", "field_strength", "diagnosis")
    }
    for i, label in enumerate(y):
        age = float(np.clip(rng.normal(70 + 3 * label, 7), 50, 92))
        sex = str(rng.choice(["F", "M"]))
        head = rng.normal(1.0 if sex == "M" else 0.94, 0.03)
        atrophy = float(np.clip(0.45 * label + 0.012 * (age - 70) + rng.normal(0, 0.18), -0.3, 1.2))
        scanner = str(rng.choice(list(_SCANNERS)))
        field = str(rng.choice(["1.5T", "3T"], p=[0.4, 0.6]))
        gain, bias = _SCANNERS[scanner]
        vol = _volume(rng, size, atrophy, head) * gain * 800
        vol *= np.exp(bias * smooth_field((size, size, size), rng))
        sigma = (0.06 if field == "1.5T" else 0.035) * 800
        vol = np.sqrt(
            (vol + rng.normal(0, sigma, vol.shape)) ** 2 + rng.normal(0, sigma, vol.shape) ** 2
        )
        X.append(vol)
        for key, value in (("subject_id", f"sub-{i:04d}"), ("age", round(age, 1)), ("sex", sex),
                           ("scanner", scanner), ("field_strength", field),
                           ("diagnosis", "AD" if label else "CN")):  # fmt: skip
            meta[key].append(value)
    write_array_dataset(
        folder,
        X=np.asarray(X, dtype=np.float32),
        y=y.astype(np.int64),
        metadata=meta,
        info={
            "dataset_id": "DS-NEURO-SMRI-AD",
            "modality": "mri",
            "task": "classification",
            "n_classes": 2,
            "class_names": ["CN", "AD"],
            "voxel_size_mm": [8.0, 8.0, 8.0],
            "seed": seed,
            "description": "synthetic T1-like volumes 24^3 at 8 mm; AD enlarges ventricles, "
            "thins grey matter, shrinks medial temporal lobes; scanner gain/bias, Rician noise",
        },
    )
