"""Toy fMRI datasets: CN / MCI / AD from ROI time series, and masked-ROI reconstruction.

``DS-NEURO-FMRI-CONNECTIVITY`` (``neuro/fmri_connectivity``): 240 subjects, 32 regions in
four networks (default mode, salience, fronto-parietal, somatomotor), 150 volumes at TR 2 s.
Each region follows its network's slow latent signal plus noise; Alzheimer's disease weakens
default-mode coupling (MCI halfway), and age weakens it a little too. Acquisition facts act on
the data as they do in real studies: field strength and parcellation set the noise, task and
naturalistic acquisitions add shared stimulus-driven signal, a minimal preprocessing pipeline
leaves a global signal and motion spikes, and each site has its own gain.

``DS-NEURO-BRAIN-MAE`` (``neuro/regression``): 60 subjects x 6 target regions (so every region
is a target for some subjects); 24 regions in three networks, 100 volumes. In each sample the
target region's volumes ``mask_window`` (60-80) are set to 0; ``y`` is the true signal there
(z-scored units). Network coupling falls with age, so reconstruction is harder for older
subjects -- the per-age-group scores differ for a reason.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fmbench.data.toy_files import write_array_dataset
from fmbench_neuro.toy.signals import bandlimited

__all__ = ["NETWORKS", "generate_brain_mae", "generate_fmri_connectivity"]

NETWORKS = ("DMN", "SAL", "FPN", "SMN")
_SITES = {  # site -> (scanner, field strength, gain)
    "site01": ("Siemens", "3T", 1.00),
    "site02": ("Siemens", "1.5T", 0.85),
    "site03": ("GE", "3T", 1.10),
    "site04": ("Philips", "3T", 0.95),
    "site05": ("Philips", "1.5T", 0.90),
    "site06": ("Siemens", "7T", 1.20),
}
_FIELD_NOISE = {"1.5T": 1.35, "3T": 1.0, "7T": 0.8}
_PARCELLATION_NOISE = {"AAL": 0.85, "Schaefer": 1.0, "Gordon": 1.05, "Glasser": 1.15,
                       "voxelwise": 1.5}  # fmt: skip
_PREPROCESSING = ("fMRIPrep", "HCP", "CONN", "DPABI", "minimal")
_ACQUISITION = ("resting", "task", "naturalistic")
_STAGE_DMN = {0: 0.85, 1: 0.62, 2: 0.42}  # DMN coupling by stage (CN, MCI, AD)


def _latent(rng: np.random.Generator, n: int, n_times: int, tr: float) -> np.ndarray:
    """Slow BOLD-like fluctuations (peak near 0.04 Hz), unit RMS."""
    return bandlimited(rng, (n, n_times), 1.0 / tr, 0.04, 0.025)


def _subject_series(
    rng: np.random.Generator,
    n_per_net: int,
    n_times: int,
    tr: float,
    coupling: np.ndarray,
    noise: float,
) -> np.ndarray:
    nets = _latent(rng, len(coupling), n_times, tr)
    regions = []
    for k, c in enumerate(coupling):
        loadings = np.clip(rng.normal(c, 0.08, n_per_net), 0.05, 1.0)
        own = _latent(rng, n_per_net, n_times, tr)
        regions.append(loadings[:, None] * nets[k] + np.sqrt(1 - loadings[:, None] ** 2) * own)
    series = np.concatenate(regions)
    return series + noise * rng.standard_normal(series.shape)


def generate_fmri_connectivity(folder: Path, seed: int = 42) -> None:
    """Write the CN / MCI / AD ROI time-series toy set into ``folder``."""
    rng = np.random.default_rng(seed)
    n, n_per_net, n_times, tr = 240, 8, 150, 2.0
    stage = rng.choice([0, 1, 2], size=n, p=[0.4, 0.3, 0.3])
    meta: dict[str, list[object]] = {k: [] for k in (
        "subject_id", "age", "sex", "site", "scanner", "field_strength", "acquisition_type",
        "preprocessing", "parcellation", "diagnosis")}  # fmt: skip
    X = []
    for i in range(n):
        site = str(rng.choice(list(_SITES)))
        scanner, field, gain = _SITES[site]
        acquisition = str(rng.choice(_ACQUISITION, p=[0.6, 0.25, 0.15]))
        preprocessing = str(rng.choice(_PREPROCESSING))
        parcellation = str(rng.choice(list(_PARCELLATION_NOISE)))
        age = float(np.clip(rng.normal(68 + 4 * stage[i], 7), 50, 92))
        dmn = _STAGE_DMN[int(stage[i])] - 0.004 * (age - 70) + rng.normal(0, 0.06)
        coupling = np.array([np.clip(dmn, 0.1, 0.95), 0.7, 0.65, 0.75])
        noise = 0.55 * _FIELD_NOISE[field] * _PARCELLATION_NOISE[parcellation]
        series = _subject_series(rng, n_per_net, n_times, tr, coupling, noise)
        if acquisition == "task":  # block design drives somatomotor and fronto-parietal regions
            blocks = (np.arange(n_times) // 15 % 2).astype(float) - 0.5
            series[2 * n_per_net :] += 0.6 * blocks
        elif acquisition == "naturalistic":  # a shared stimulus drives everything a little
            series += 0.35 * _latent(rng, 1, n_times, tr)
        if preprocessing == "minimal":  # global signal and motion spikes are left in
            series += 0.5 * _latent(rng, 1, n_times, tr)
            spikes = (rng.random(n_times) < 0.04) * rng.normal(0, 2.0, n_times)
            series += spikes[None, :] * rng.normal(1.0, 0.3, (series.shape[0], 1))
        X.append(gain * series * 100 + 1000 * gain)  # BOLD-like units around a baseline
        for key, value in (
            ("subject_id", f"sub-{i:04d}"), ("age", round(age, 1)), ("sex", str(rng.choice(["F", "M"]))),
            ("site", site), ("scanner", scanner), ("field_strength", field),
            ("acquisition_type", acquisition), ("preprocessing", preprocessing),
            ("parcellation", parcellation), ("diagnosis", ["CN", "MCI", "AD"][int(stage[i])]),
        ):  # fmt: skip
            meta[key].append(value)
    roi_names = [f"{net}-{j + 1:02d}" for net in NETWORKS for j in range(n_per_net)]
    write_array_dataset(
        folder,
        X=np.asarray(X, dtype=np.float32),
        y=stage.astype(np.int64),
        metadata=meta,
        info={
            "dataset_id": "DS-NEURO-FMRI-CONNECTIVITY",
            "modality": "fmri",
            "task": "classification",
            "n_classes": 3,
            "class_names": ["CN", "MCI", "AD"],
            "features": "timeseries",
            "n_rois": len(roi_names),
            "roi_names": roi_names,
            "tr_s": tr,
            "sampling_freq": 1.0 / tr,
            "seed": seed,
            "description": "synthetic ROI time series (subjects, regions, volumes) with network "
            "structure; AD weakens default-mode coupling; acquisition facts change noise, "
            "shared signal and gain",
        },
    )


def generate_brain_mae(folder: Path, seed: int = 42) -> None:
    """Write the masked-ROI reconstruction toy set into ``folder``."""
    rng = np.random.default_rng(seed)
    n_subjects, n_per_net, n_times, tr, per_subject = 60, 8, 100, 2.0, 6
    start, stop = 60, 80
    networks = NETWORKS[:3]
    n_rois = n_per_net * len(networks)
    roi_names = [f"{net}-{j + 1:02d}" for net in networks for j in range(n_per_net)]
    X, y = [], []
    meta: dict[str, list[object]] = {
        k: [] for k in ("subject_id", "region", "network", "age", "sex")
    }
    order = rng.permutation(n_rois)
    for s in range(n_subjects):
        age = float(np.round(rng.uniform(20, 85), 1))
        coupling = np.clip(0.9 - 0.006 * (age - 20) + rng.normal(0, 0.04, len(networks)), 0.2, 0.95)
        series = _subject_series(rng, n_per_net, n_times, tr, coupling, 0.3)
        series = (series - series.mean(axis=1, keepdims=True)) / series.std(axis=1, keepdims=True)
        sex = str(rng.choice(["F", "M"]))
        for k in range(per_subject):
            target = int(order[(s * per_subject + k) % n_rois])
            masked = series.copy()
            masked[target, start:stop] = 0.0
            X.append(masked)
            y.append(series[target, start:stop])
            meta["subject_id"].append(f"sub-{s:03d}")
            meta["region"].append(roi_names[target])
            meta["network"].append(roi_names[target].split("-")[0])
            meta["age"].append(age)
            meta["sex"].append(sex)
    write_array_dataset(
        folder,
        X=np.asarray(X, dtype=np.float32),
        y=np.asarray(y, dtype=np.float64),
        metadata=meta,
        info={
            "dataset_id": "DS-NEURO-BRAIN-MAE",
            "modality": "fmri",
            "task": "regression",
            "features": "timeseries",
            "n_rois": n_rois,
            "roi_names": roi_names,
            "mask_window": [start, stop],
            "masked_value": 0.0,
            "tr_s": tr,
            "sampling_freq": 1.0 / tr,
            "seed": seed,
            "description": "synthetic z-scored ROI time series; in each sample one region's "
            "volumes 60-80 are masked (0); the target is the true signal there",
        },
    )
