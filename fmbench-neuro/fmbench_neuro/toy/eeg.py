"""Toy EEG datasets: abnormal-vs-normal windows and the robustness set.

``DS-NEURO-EEG-ABNORMAL`` (``neuro/eeg_classification``): 32 subjects x 8 windows of 2 s at
128 Hz on the 19 channels of the 10-20 system. Every window has a 1/f background, a posterior
alpha rhythm at the subject's own peak frequency, and central beta. Abnormal subjects (the
label is per subject, so windows of one subject must never be split across folds) have a
slowed, weaker alpha peak, more delta/theta, and in some windows focal sharp transients.
Subjects vary (peak frequency, amplitude, noise), so the classes overlap.

``DS-NEURO-EEG-ROBUSTNESS`` (``neuro/robustness``): the earlier project's layout, (100, 16,
500) float32 at 200 Hz, binary: 20 subjects x 5 windows; label 1 shifts power from alpha to
beta over central-parietal channels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fmbench.data.toy_files import write_array_dataset
from fmbench_neuro.toy.signals import bandlimited, pink_noise

__all__ = [
    "CHANNELS_10_20",
    "generate_eeg_abnormal",
    "generate_eeg_robustness",
    "generate_eeg_robustness_train",
]

CHANNELS_10_20 = ["Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T3", "C3", "Cz", "C4", "T4",
                  "T5", "P3", "Pz", "P4", "T6", "O1", "O2"]  # fmt: skip
_POSTERIOR = {"O1": 1.0, "O2": 1.0, "Pz": 0.8, "P3": 0.7, "P4": 0.7, "T5": 0.5, "T6": 0.5}
_CENTRAL = {"C3": 1.0, "C4": 1.0, "Cz": 0.9, "F3": 0.5, "F4": 0.5, "Fz": 0.6}


def _topography(channels: list[str], weights: dict[str, float], floor: float) -> np.ndarray:
    return np.array([weights.get(c, floor) for c in channels])


def _sharp_transient(n_times: int, fs: float, at: int) -> np.ndarray:
    t = (np.arange(n_times) - at) / fs
    spike = -np.exp(-0.5 * (t / 0.012) ** 2)  # 20-70 ms sharp wave
    slow = 0.5 * np.exp(-0.5 * ((t - 0.1) / 0.06) ** 2)  # following slow wave
    return spike + slow


def generate_eeg_abnormal(folder: Path, seed: int = 42) -> None:
    """Write the abnormal-vs-normal EEG toy set into ``folder``."""
    rng = np.random.default_rng(seed)
    fs, n_times, per_subject, n_subjects = 128.0, 256, 8, 32
    channels = CHANNELS_10_20
    n_ch = len(channels)
    labels = rng.permutation(np.repeat([0, 1], n_subjects // 2))
    alpha_topo = _topography(channels, _POSTERIOR, 0.2)
    beta_topo = _topography(channels, _CENTRAL, 0.3)
    X, y = [], []
    meta: dict[str, list[object]] = {k: [] for k in ("subject_id", "age", "sex", "site", "window")}
    for s, label in enumerate(labels):
        age = int(np.clip(rng.normal(48 + 10 * label, 15), 18, 90))
        sex = rng.choice(["F", "M"])
        site = rng.choice(["hospA", "hospB"])
        alpha_peak = rng.normal(8.4 if label else 10.0, 0.7)
        alpha_amp = rng.lognormal(np.log(1.0 if label else 1.5), 0.3)
        slow_amp = rng.lognormal(np.log(1.4 if label else 0.9), 0.3)
        gain = rng.lognormal(np.log(20.0), 0.2)  # microvolts, subject/montage dependent
        for w in range(per_subject):
            background = pink_noise(rng, (n_ch, n_times), exponent=1.6)
            alpha = bandlimited(rng, (1, n_times), fs, alpha_peak, 0.8) * alpha_topo[:, None]
            beta = bandlimited(rng, (1, n_times), fs, 20.0, 3.0) * beta_topo[:, None] * 0.4
            slow = bandlimited(rng, (n_ch, n_times), fs, 3.0, 1.5) * slow_amp
            signal = background + alpha_amp * alpha + beta + slow
            if label and rng.random() < 0.4:
                focus = rng.integers(0, n_ch)
                spread = np.exp(-0.5 * ((np.arange(n_ch) - focus) / 1.5) ** 2)
                at = int(rng.integers(20, n_times - 40))
                signal += 2.5 * spread[:, None] * _sharp_transient(n_times, fs, at)[None, :]
            signal += 0.2 * rng.standard_normal((n_ch, n_times))
            X.append(gain * signal)
            y.append(int(label))
            meta["subject_id"].append(f"sub-{s:03d}")
            meta["age"].append(age)
            meta["sex"].append(str(sex))
            meta["site"].append(str(site))
            meta["window"].append(w)
    write_array_dataset(
        folder,
        X=np.asarray(X, dtype=np.float32),
        y=np.asarray(y, dtype=np.int64),
        metadata=meta,
        info={
            "dataset_id": "DS-NEURO-EEG-ABNORMAL",
            "modality": "eeg",
            "task": "classification",
            "n_classes": 2,
            "class_names": ["normal", "abnormal"],
            "sampling_freq": fs,
            "ch_names": channels,
            "window_s": n_times / fs,
            "unit": "uV",
            "seed": seed,
            "description": "synthetic EEG: 1/f background, alpha/beta rhythms; abnormal = "
            "slowed alpha, more delta/theta, focal sharp transients; labels per subject",
        },
    )


def generate_eeg_robustness(folder: Path, seed: int = 42) -> None:
    """Write the EEG robustness toy set, (100, 16, 500) float32 at 200 Hz, into ``folder``."""
    rng = np.random.default_rng(seed)
    fs, n_times, n_subjects, per_subject = 200.0, 500, 20, 5
    channels = ["Fp1", "Fp2", "F3", "F4", "C3", "C4", "P3", "P4",
                "O1", "O2", "F7", "F8", "T3", "T4", "Cz", "Pz"]  # fmt: skip
    alpha_topo = _topography(channels, _POSTERIOR, 0.25)
    beta_topo = _topography(channels, _CENTRAL, 0.3)
    labels = rng.permutation(np.repeat([0, 1], n_subjects // 2))
    X, y = [], []
    meta: dict[str, list[object]] = {k: [] for k in ("subject_id", "age", "sex", "site", "label")}
    for s, label in enumerate(labels):
        age, sex, site = (
            int(rng.integers(20, 80)),
            str(rng.choice(["F", "M"])),
            str(rng.choice(["A", "B"])),
        )
        peak = rng.normal(10.0, 0.6)
        for _ in range(per_subject):
            background = pink_noise(rng, (16, n_times), exponent=1.4)
            alpha = bandlimited(rng, (1, n_times), fs, peak, 0.8) * alpha_topo[:, None]
            beta = bandlimited(rng, (1, n_times), fs, 21.0, 2.5) * beta_topo[:, None]
            a_amp, b_amp = (0.9, 1.4) if label else (1.5, 0.5)
            signal = background + a_amp * alpha + b_amp * beta
            signal += 0.2 * rng.standard_normal((16, n_times))
            X.append(signal)
            y.append(int(label))
            meta["subject_id"].append(f"sub-{s:03d}")
            meta["age"].append(age)
            meta["sex"].append(sex)
            meta["site"].append(site)
            meta["label"].append(int(label))
    Xa = np.asarray(X, dtype=np.float64)
    Xa = (Xa - Xa.mean()) / Xa.std()
    write_array_dataset(
        folder,
        X=Xa.astype(np.float32),
        y=np.asarray(y, dtype=np.int64),
        metadata=meta,
        info={
            "dataset_id": "DS-NEURO-EEG-ROBUSTNESS",
            "modality": "eeg",
            "task": "classification",
            "n_classes": 2,
            "class_names": ["alpha-dominant", "beta-dominant"],
            "n_samples": 100,
            "n_channels": 16,
            "n_timepoints": n_times,
            "sampling_freq": fs,
            "ch_names": channels,
            "mains_hz": 50,
            "seed": seed,
            "description": "synthetic EEG windows (1/f background, alpha, beta), globally "
            "z-scored; label 1 has more beta and less alpha",
        },
    )


def generate_eeg_robustness_train(folder: Path, seed: int = 42) -> None:
    """Write the training set of ``baseline_eeg_bandpower_lr``: the robustness set's design
    with other simulated subjects (drawn from a seed derived from ``seed``)."""
    derived = int(np.random.SeedSequence([seed, 1]).generate_state(1)[0])
    generate_eeg_robustness(folder, seed=derived)
