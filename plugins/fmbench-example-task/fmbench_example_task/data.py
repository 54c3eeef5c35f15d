"""The toy dataset ``DS-ACME-EYES``: writing it (deterministically) and reading it back.

Each epoch is summarised as log band power in 5 bands (delta, theta, alpha, beta, gamma) on
4 occipital/parietal channels. Eyes closed raises alpha power, more so at O1/O2; site C is
noisier, so results really differ by site; subjects have their own offsets, which is why the
benchmark splits by subject.

The folder is an array folder (``X.npy``, ``y.npy``, ``metadata.csv``, ``info.json``),
written here with numpy and the standard library only, and read back into an
:class:`fmbench.data.dataset.Dataset`.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from fmbench.data.dataset import Dataset

__all__ = ["BANDS", "CHANNELS", "generate", "load"]

BANDS = ("delta", "theta", "alpha", "beta", "gamma")
CHANNELS = ("O1", "O2", "P3", "P4")
SITES = ("SiteA", "SiteB", "SiteC")
SITE_NOISE = {"SiteA": 0.25, "SiteB": 0.3, "SiteC": 0.6}


def generate(folder: str | os.PathLike[str], seed: int = 42) -> None:
    """Write the toy dataset into ``folder`` (same seed, same bytes)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_subjects, n_epochs = 24, 8
    subject = np.repeat(np.arange(n_subjects), n_epochs)
    site = np.array(SITES)[subject % 3]
    y = np.tile(np.repeat([0, 1], n_epochs // 2), n_subjects)  # 0 open, 1 closed
    base = np.log([4.0, 2.0, 1.5, 0.8, 0.3])
    offsets = rng.normal(0, 0.3, size=(n_subjects, len(CHANNELS), 1))
    X = np.broadcast_to(base, (len(y), len(CHANNELS), len(BANDS))).copy()
    X += offsets[subject]
    alpha_gain = np.array([0.9, 0.9, 0.5, 0.5])  # occipital > parietal
    X[:, :, 2] += y[:, None] * alpha_gain
    noise = np.array([SITE_NOISE[s] for s in site])
    X += rng.standard_normal(X.shape) * noise[:, None, None]
    np.save(folder / "X.npy", X.astype(np.float32), allow_pickle=False)
    np.save(folder / "y.npy", y.astype(np.int64), allow_pickle=False)
    with (folder / "metadata.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["subject_id", "site"])
        for s, where in zip(subject, site, strict=True):
            writer.writerow([f"sub-{s:02d}", where])
    info = {
        "modality": "eeg",
        "task": "classification",
        "n_classes": 2,
        "class_names": ["eyes_open", "eyes_closed"],
        "ch_names": list(CHANNELS),
        "bands": list(BANDS),
        "features": "log band power",
        "seed": seed,
    }
    (folder / "info.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")


def load(path: str | os.PathLike[str], **options: Any) -> Dataset:
    """Read the folder written by :func:`generate` into a Dataset."""
    if options:
        raise ValueError(f"DS-ACME-EYES takes no options, got {sorted(options)}")
    folder = Path(path)
    X = np.load(folder / "X.npy", allow_pickle=False)
    y = np.load(folder / "y.npy", allow_pickle=False)
    with (folder / "metadata.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    metadata = {
        column: np.array([row[column] for row in rows], dtype=object)
        for column in ("subject_id", "site")
    }
    info = json.loads((folder / "info.json").read_text(encoding="utf-8"))
    return Dataset(
        dataset_id="DS-ACME-EYES", X=X, y=y, metadata=metadata, info=info, source=str(folder)
    )
