"""Reference baselines, registered as model adapters and labelled as baselines.

They are feature extractors with ``embed(X)``; the benchmark's protocol (``linear_probe``:
standardised logistic regression or ridge, tuned inside the training folds) does the learning.
So a leaderboard row "eeg_bandpower + linear_probe" is band power + logistic regression, which
anybody can reproduce. None of them is a foundation model.

- ``eeg_bandpower``: log power in delta (1-4 Hz), theta (4-8), alpha (8-13), beta (13-30) and
  gamma (30-45, capped below Nyquist) per channel, by Welch's method at the data's own rate.
- ``fmri_connectivity``: Fisher-z correlations between ROI time series (upper triangle);
  input that is already a feature table (n, features) passes through unchanged.
- ``smri_regional``: mean intensity in a coarse grid of blocks plus an intensity histogram of
  the head, after scaling each volume by its 99th percentile.
- ``roi_reconstruction``: fills a masked region from the other regions by least squares over
  the unmasked volumes; ``embed`` and ``predict`` return that reconstruction.

The package ships a model config for each (``fmbench_neuro/definitions/models/``), so
``fmbench run --model baseline_eeg_bandpower ...`` needs no file; as a file it reads::

    model_id: baseline_eeg_bandpower
    type: eeg_bandpower
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fmbench.errors import ConfigError, ModelError
from fmbench.models.config import ModelConfig
from fmbench_neuro.connectivity import fisher_z_connectivity

__all__ = [
    "BANDS",
    "EEGBandPower",
    "EEGBandPowerClassifier",
    "FMRIConnectivity",
    "ROIReconstruction",
    "SMRIRegional",
    "load_eeg_bandpower",
    "load_fmri_connectivity",
    "load_roi_reconstruction",
    "load_smri_regional",
]

#: Frequency bands (Hz) of the band-power baseline.
BANDS: dict[str, tuple[float, float]] = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 13.0),
    "beta": (13.0, 30.0),
    "gamma": (30.0, 45.0),
}


class EEGBandPower:
    """Log band power per channel (Welch). The sampling rate comes from ``prepare(info)``.

    Example:
        >>> import numpy as np
        >>> model = EEGBandPower(sampling_freq=128.0)
        >>> model.embed(np.random.default_rng(0).standard_normal((2, 3, 256))).shape
        (2, 15)
    """

    def __init__(self, sampling_freq: float | None = None) -> None:
        self.sampling_freq = sampling_freq

    def prepare(self, info: Mapping[str, Any]) -> None:
        if self.sampling_freq is None and info.get("sampling_freq"):
            self.sampling_freq = float(info["sampling_freq"])

    def embed(self, X: np.ndarray) -> np.ndarray:
        from scipy.signal import welch

        if self.sampling_freq is None:
            raise ModelError(
                "eeg_bandpower needs the sampling rate: the dataset's info has no "
                "sampling_freq; set sampling_freq in the model config"
            )
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 3:
            raise ModelError(f"eeg_bandpower expects (n, channels, times), got shape {X.shape}")
        fs = self.sampling_freq
        nperseg = min(X.shape[-1], round(fs))  # 1 Hz resolution where windows allow
        freqs, psd = welch(X, fs=fs, nperseg=nperseg, axis=-1)
        features = []
        for lo, hi in BANDS.values():
            hi = min(hi, fs / 2 * 0.95)
            band = (freqs >= lo) & (freqs < hi)
            if not band.any():
                continue
            features.append(np.log(np.mean(psd[..., band], axis=-1) + 1e-12))
        return np.stack(features, axis=-1).reshape(len(X), -1)


class EEGBandPowerClassifier(EEGBandPower):
    """Band power + standardised logistic regression, fitted on a separate training set.

    For zero-shot benchmarks (robustness): the robustness engine scores a model's own
    predictions, so the baseline must be trained before it sees the test data. ``train_data``
    is an array folder of training windows (never the evaluation data).
    """

    def __init__(self, train_data: str, sampling_freq: float | None = None, C: float = 1.0) -> None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        from fmbench.data.dataset import load_array_folder

        train = load_array_folder(train_data, mmap=False)
        super().__init__(sampling_freq or train.info.get("sampling_freq"))
        self.train_data = train_data
        self.classifier = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))
        self.classifier.fit(self.embed(np.asarray(train.X)), np.asarray(train.y))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.classifier.predict_proba(self.embed(X)))


class FMRIConnectivity:
    """Fisher-z functional connectivity of (n, rois, times) series; tables pass through.

    Example:
        >>> import numpy as np
        >>> FMRIConnectivity().embed(np.random.default_rng(0).standard_normal((2, 5, 40))).shape
        (2, 10)
    """

    def embed(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 2:
            return X
        if X.ndim != 3:
            raise ModelError(
                f"fmri_connectivity expects ROI time series (n, rois, times) or connectivity "
                f"features (n, features), got shape {X.shape}"
            )
        return fisher_z_connectivity(X)


class SMRIRegional:
    """Block-mean intensities and a head-intensity histogram of 3-D volumes.

    Example:
        >>> import numpy as np
        >>> SMRIRegional(blocks=2, bins=4).embed(np.ones((3, 8, 8, 8))).shape
        (3, 12)
    """

    def __init__(self, blocks: int = 4, bins: int = 12) -> None:
        self.blocks, self.bins = int(blocks), int(bins)

    def embed(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 4:
            raise ModelError(f"smri_regional expects volumes (n, x, y, z), got shape {X.shape}")
        out = []
        for vol in X:
            scale = np.percentile(vol, 99)
            vol = vol / scale if scale > 0 else vol
            edges = [np.linspace(0, s, self.blocks + 1).astype(int) for s in vol.shape]
            means = [
                vol[edges[0][i] : edges[0][i + 1], edges[1][j] : edges[1][j + 1],
                    edges[2][k] : edges[2][k + 1]].mean()
                for i in range(self.blocks) for j in range(self.blocks) for k in range(self.blocks)
            ]  # fmt: skip
            head = vol[vol > 0.1]
            hist, _ = np.histogram(head, bins=self.bins, range=(0.1, 1.2))
            out.append(np.concatenate([means, hist / max(head.size, 1)]))
        return np.asarray(out)


class ROIReconstruction:
    """Least-squares fill of the masked region from the other regions.

    In each sample the masked region is the one whose values in ``mask_window`` (from
    ``prepare(info)``) all equal ``masked_value``; it is regressed on the other regions over
    the unmasked volumes (ridge, ``alpha``), and the fit predicts the masked volumes.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).standard_normal((1, 4, 30))
        >>> x[0, 2, 10:15] = 0.0
        >>> m = ROIReconstruction()
        >>> m.prepare({"mask_window": [10, 15]})
        >>> m.predict(x).shape
        (1, 5)
    """

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = float(alpha)
        self.window: tuple[int, int] | None = None
        self.masked_value = 0.0

    def prepare(self, info: Mapping[str, Any]) -> None:
        window = info.get("mask_window")
        if window is not None:
            self.window = (int(window[0]), int(window[1]))
        self.masked_value = float(info.get("masked_value", 0.0))

    def predict(self, X: np.ndarray) -> np.ndarray:
        if self.window is None:
            raise ModelError(
                "roi_reconstruction needs the dataset's mask_window [start, stop] in its info"
            )
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 3:
            raise ModelError(f"roi_reconstruction expects (n, rois, times), got shape {X.shape}")
        start, stop = self.window
        inside = np.zeros(X.shape[2], dtype=bool)
        inside[start:stop] = True
        out = np.zeros((len(X), stop - start))
        for i, sample in enumerate(X):
            masked = np.flatnonzero(np.all(sample[:, inside] == self.masked_value, axis=1))
            if len(masked) == 0:
                raise ModelError(f"sample {i}: no region is masked in volumes {start}-{stop}")
            target = int(masked[0])
            others = np.delete(sample, masked, axis=0)
            A = others[:, ~inside].T
            b = sample[target, ~inside]
            coef = np.linalg.solve(A.T @ A + self.alpha * np.eye(A.shape[1]), A.T @ b)
            out[i] = others[:, inside].T @ coef
        return out

    def embed(self, X: np.ndarray) -> np.ndarray:
        return self.predict(X)


def _settings(config: ModelConfig, allowed: tuple[str, ...]) -> dict[str, Any]:
    settings = dict(config.settings)
    unknown = [k for k in settings if k not in allowed]
    if unknown:
        raise ConfigError(
            f"model config {config.source}: unknown key(s) {', '.join(unknown)} for type "
            f"{config.type}; allowed: {', '.join(allowed) or 'none'}"
        )
    return settings


def load_eeg_bandpower(config: ModelConfig) -> EEGBandPower:
    """Adapter ``eeg_bandpower`` (optional keys ``sampling_freq``; ``train_data`` and ``C``
    make it a fitted classifier with ``predict_proba`` for zero-shot benchmarks)."""
    settings = _settings(config, ("sampling_freq", "train_data", "C"))
    if "train_data" in settings:
        from pathlib import Path

        train = Path(str(settings["train_data"])).expanduser()
        if not train.is_absolute() and config.source:
            beside = Path(config.source).parent / train
            train = beside if beside.exists() else train
        settings["train_data"] = str(train)
        return EEGBandPowerClassifier(**settings)
    if "C" in settings:
        raise ConfigError(f"model config {config.source}: 'C' needs 'train_data'")
    return EEGBandPower(**settings)


def load_fmri_connectivity(config: ModelConfig) -> FMRIConnectivity:
    """Adapter ``fmri_connectivity`` (no settings)."""
    _settings(config, ())
    return FMRIConnectivity()


def load_smri_regional(config: ModelConfig) -> SMRIRegional:
    """Adapter ``smri_regional`` (optional keys ``blocks``, ``bins``)."""
    return SMRIRegional(**_settings(config, ("blocks", "bins")))


def load_roi_reconstruction(config: ModelConfig) -> ROIReconstruction:
    """Adapter ``roi_reconstruction`` (optional key ``alpha``)."""
    return ROIReconstruction(**_settings(config, ("alpha",)))
